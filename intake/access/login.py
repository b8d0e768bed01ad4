"""What a connection logs in with: the password, or a fresh OAuth2 access token (XOAUTH2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import SecretStr

from intake.access.oauth import fetch_token
from intake.access.tls import login_hint
from intake.access.tokens import TokenStore
from intake.config import ServerConfig
from intake.errors import AuthError


@dataclass(frozen=True)
class Login:
    username: str
    secret: SecretStr
    oauth: bool  # True: log in with XOAUTH2 and ``secret`` is an access token
    expires_at: datetime | None = None

    def __repr__(self) -> str:
        return f"Login({self.username!r}, oauth={self.oauth})"


def login_for(server: ServerConfig, store: TokenStore) -> Login:
    """Read the password, or fetch a token, right before connecting (and again on every reconnect)."""
    if server.auth == "password":
        return Login(username=server.username, secret=server.password(), oauth=False)
    try:
        token = fetch_token(server, store)
    except AuthError as exc:
        exc.hint = exc.hint or login_hint(server)
        raise
    return Login(username=server.username, secret=token.value, oauth=True, expires_at=token.expires_at)
