"""OAuth2 access tokens for IMAP and SMTP logins (XOAUTH2).

One function per way of getting a token, chosen from a table by ``(auth, flow)``:

* ``command`` — run ``token_command`` (a list of arguments, no shell); its first output line is the
  token. Works with any provider and any tool an operator already has.
* ``microsoft`` / ``app`` — MSAL client credentials: the app's own ``IMAP.AccessAsApp`` /
  ``SMTP.SendAsApp`` permission. No person, no refresh token to lose.
* ``microsoft`` / ``device`` — a person signed in once (``intake auth login``, device code); MSAL's
  cache, kept sealed in the :class:`~intake.access.tokens.TokenStore`, is saved after every
  refresh, since Microsoft rotates refresh tokens and an old one stops working.
* ``google`` / ``service_account`` — a Workspace service account with domain-wide delegation,
  acting as the mailbox's user.
* ``google`` / ``refresh_token`` — a refresh token stored once with ``intake auth login``; a new
  one handed back by Google replaces it.

A token endpoint behind a private CA is trusted through ``REQUESTS_CA_BUNDLE``. Tokens, secrets
and refresh tokens never reach a log line or an error text; errors carry the provider's words.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from intake.access.tokens import TokenStore
from intake.config import ServerConfig, read_secret_file
from intake.errors import AuthError

MICROSOFT_LOGIN = "https://login.microsoftonline.com"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


@dataclass(frozen=True)
class AccessToken:
    value: SecretStr
    expires_at: datetime | None = None  # UTC; None when the provider does not say


def store_name(server: ServerConfig) -> str:
    """The server's entry in the token cache and in the health table: ``mailbox:anken`` or ``smtp``."""
    name = getattr(server, "name", None)
    return f"mailbox:{name}" if name else "smtp"


def fetch_token(server: ServerConfig, store: TokenStore) -> AccessToken:
    """A fresh access token for ``server``; :class:`AuthError` with the provider's words if none."""
    fetch = _FETCHERS[(server.auth, server.oauth_flow or None)]
    try:
        return fetch(server, store)
    except AuthError:
        raise
    except Exception as exc:  # noqa: BLE001 — a provider library's failure, said in one line
        raise AuthError(f"{server.label}: no access token ({_plain(exc)})") from None


def forget(server: ServerConfig) -> None:
    """The server refused a token: drop what this process keeps, so the next login asks anew."""
    for key in [k for k in _APPS if k[0] == store_name(server)]:
        del _APPS[key]


def scopes(server: ServerConfig) -> list[str]:
    """``oauth.scopes`` as written, else the ones the server's kind needs (its ``DEFAULT_SCOPES``:
    IMAP's, SMTP's, or another source's)."""
    if server.oauth.scopes:
        return list(server.oauth.scopes)
    return server.default_scopes()


# -- command ------------------------------------------------------------------------------------
def _from_command(server: ServerConfig, store: TokenStore) -> AccessToken:
    try:
        done = subprocess.run(server.token_command, capture_output=True, text=True, timeout=server.timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AuthError(f"{server.label}: token_command could not run ({_plain(exc)})") from None
    token = done.stdout.strip().splitlines()[0].strip() if done.stdout.strip() else ""
    if done.returncode != 0 or not token:
        said = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
        raise AuthError(f"{server.label}: token_command failed (exit {done.returncode}: {said})")
    return AccessToken(value=SecretStr(token))


# -- Microsoft 365 (MSAL) -----------------------------------------------------------------------
_APPS: dict[tuple, object] = {}  # one MSAL app per server and process: its memory cache is reused


def _msal_app(server: ServerConfig, *, confidential: bool, cache=None):
    import msal  # loaded only for Microsoft mailboxes

    where = {"oidc_authority": server.oauth.authority} if server.oauth.authority else {}
    where = where or {"authority": f"{MICROSOFT_LOGIN}/{server.oauth.tenant}"}
    if confidential:
        secret = server.client_secret().get_secret_value()
        key = (store_name(server), server.oauth.client_id, tuple(where.items()))
        if key not in _APPS:
            _APPS[key] = msal.ConfidentialClientApplication(
                server.oauth.client_id, client_credential=secret, timeout=server.timeout, **where
            )
        return _APPS[key]
    return msal.PublicClientApplication(
        server.oauth.client_id, token_cache=cache, timeout=server.timeout, **where
    )


def _microsoft_app(server: ServerConfig, store: TokenStore) -> AccessToken:
    result = _msal_app(server, confidential=True).acquire_token_for_client(scopes=scopes(server))
    return _msal_token(server, result)


def _microsoft_device(server: ServerConfig, store: TokenStore) -> AccessToken:
    import msal

    name = store_name(server)
    cache = msal.SerializableTokenCache()
    if state := store.get(name).get("msal"):
        cache.deserialize(state)
    app = _msal_app(server, confidential=False, cache=cache)
    accounts = app.get_accounts(username=server.username) or app.get_accounts()
    if not accounts:
        raise AuthError(
            f"{server.label}: nobody has signed in yet; run: intake auth login {_cli_name(server)}"
        )
    result = app.acquire_token_silent(scopes(server), account=accounts[0])
    if cache.has_state_changed:  # a rotated refresh token: saved before it is ever needed again
        store.put(name, {"msal": cache.serialize()})
    if result is None:
        raise AuthError(
            f"{server.label}: the sign-in has expired; run: intake auth login {_cli_name(server)}"
        )
    return _msal_token(server, result)


def _msal_token(server: ServerConfig, result: dict) -> AccessToken:
    if "access_token" not in result:
        words = (result.get("error_description") or "").splitlines()[:1]
        raise AuthError(
            f"{server.label}: the provider refused: {result.get('error')}: {' '.join(words)}".rstrip(": ")
        )
    expires = (
        datetime.now(UTC) + timedelta(seconds=int(result.get("expires_in", 0)))
        if "expires_in" in result
        else None
    )
    return AccessToken(value=SecretStr(result["access_token"]), expires_at=expires)


# -- Google Workspace (google-auth) -------------------------------------------------------------
def _google_service_account(server: ServerConfig, store: TokenStore) -> AccessToken:
    from google.oauth2 import service_account

    assert server.oauth.service_account_file is not None
    info = json.loads(
        read_secret_file(server.oauth.service_account_file, server.key("oauth.service_account_file"))
    )
    if server.oauth.token_uri:
        info["token_uri"] = server.oauth.token_uri
    credentials = service_account.Credentials.from_service_account_info(
        info, scopes=scopes(server), subject=server.username
    )
    return _google_refresh(server, credentials)


def _google_refresh_token(server: ServerConfig, store: TokenStore) -> AccessToken:
    from google.oauth2.credentials import Credentials

    name = store_name(server)
    kept = store.get(name).get("refresh_token")
    if not kept:
        raise AuthError(
            f"{server.label}: no refresh token stored; run: intake auth login {_cli_name(server)}"
        )
    credentials = Credentials(
        token=None,
        refresh_token=kept,
        token_uri=server.oauth.token_uri or GOOGLE_TOKEN_URI,
        client_id=server.oauth.client_id,
        client_secret=server.client_secret().get_secret_value(),
        scopes=scopes(server),
    )
    token = _google_refresh(server, credentials)
    if credentials.refresh_token and credentials.refresh_token != kept:
        store.put(name, {"refresh_token": credentials.refresh_token})
    return token


def _google_refresh(server: ServerConfig, credentials) -> AccessToken:
    import google.auth.exceptions
    from google.auth.transport.requests import Request

    try:
        credentials.refresh(Request())
    except google.auth.exceptions.GoogleAuthError as exc:
        raise AuthError(f"{server.label}: the provider refused: {_plain(exc)}") from None
    expiry = credentials.expiry.replace(tzinfo=UTC) if credentials.expiry else None
    return AccessToken(value=SecretStr(credentials.token), expires_at=expiry)


# -- signing in once (intake auth login) --------------------------------------------------------
def sign_in(
    server: ServerConfig, store: TokenStore, *, say: Callable[[str], None], secret: Callable[[], str]
) -> None:
    """Sign in once for flows that keep a refresh token: Microsoft's device code (``say`` shows the
    code and the address to open), or a Google refresh token (``secret`` asks for it)."""
    flow = (server.auth, server.oauth_flow)
    if flow == ("microsoft", "device"):
        _device_sign_in(server, store, say)
    elif flow == ("google", "refresh_token"):
        store.put(store_name(server), {"refresh_token": secret().strip()})
    else:
        raise AuthError(
            f"{server.label}: auth = {server.auth!r} ({server.oauth_flow or 'no flow'}) needs no sign-in"
        )
    fetch_token(server, store)  # proves it works, and keeps what the first refresh hands back


def _device_sign_in(server: ServerConfig, store: TokenStore, say: Callable[[str], None]) -> None:
    import msal

    cache = msal.SerializableTokenCache()
    app = _msal_app(server, confidential=False, cache=cache)
    flow = app.initiate_device_flow(scopes=scopes(server))
    if "user_code" not in flow:
        raise AuthError(
            f"{server.label}: the provider refused the sign-in: {flow.get('error_description', flow.get('error'))}"
        )
    say(flow["message"])
    _msal_token(server, app.acquire_token_by_device_flow(flow))
    store.put(store_name(server), {"msal": cache.serialize()})


def _cli_name(server: ServerConfig) -> str:
    return getattr(server, "name", None) or "smtp"


def _plain(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]


_FETCHERS: dict[tuple[str, str | None], Callable[[ServerConfig, TokenStore], AccessToken]] = {
    ("command", None): _from_command,
    ("microsoft", "app"): _microsoft_app,
    ("microsoft", "device"): _microsoft_device,
    ("google", "service_account"): _google_service_account,
    ("google", "refresh_token"): _google_refresh_token,
}
