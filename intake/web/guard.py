"""What stands between the office network and the desk: sessions, CSRF tokens, sign-in throttling,
and the headers every page carries.

* Sessions are signed cookies (itsdangerous, the key in ``[desk] session_key_file``), ``HttpOnly``,
  ``SameSite=Strict``, ``Secure`` when ``[desk] public_url`` is https; they end after
  ``idle_minutes`` without a request (each response signs the session anew).
* Every state-changing request is a POST carrying the session's CSRF token in a hidden field; a
  missing or wrong one is refused (403) before anything is read or changed.
* Sign-in is throttled per account and per client address: after too many failures in a window the
  next tries are refused for a while, whatever the password.
* Pages carry a Content-Security-Policy without any script, and are never cached.
"""

from __future__ import annotations

import os
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    b"content-security-policy": CSP.encode(),
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"no-referrer",
    b"cache-control": b"no-store",
}


def session_key(path: Path) -> str:
    """The key that signs session cookies, made on first use (0600, atomically)."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_urlsafe(48).encode("ascii"))
        finally:
            os.close(fd)
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
        finally:
            temp.unlink()
    return path.read_text(encoding="ascii").strip()


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made when the session starts)."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(request: Request, sent: str | None) -> bool:
    wanted = request.session.get("csrf")
    return bool(wanted and sent) and secrets.compare_digest(str(wanted), str(sent))


class SignInThrottle:
    """Failures per account and per address in a sliding window; over the limit, no more tries."""

    def __init__(self, *, per_account: int = 5, per_address: int = 20, window_seconds: float = 900) -> None:
        self.limits = {"account": per_account, "address": per_address}
        self.window = window_seconds
        self.failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def blocked(self, account: str, address: str) -> bool:
        return any(self._count(kind, key) >= self.limits[kind] for kind, key in self._keys(account, address))

    def failed(self, account: str, address: str) -> None:
        now = time.monotonic()
        for key in self._keys(account, address):
            self.failures[key].append(now)

    def succeeded(self, account: str) -> None:
        self.failures.pop(("account", account.lower()), None)

    def _keys(self, account: str, address: str) -> list[tuple[str, str]]:
        return [("account", account.lower()), ("address", address)]

    def _count(self, kind: str, key: str) -> int:
        times = self.failures[(kind, key)]
        while times and times[0] < time.monotonic() - self.window:
            times.popleft()
        return len(times)


class SecurityHeaders:
    """An ASGI middleware adding :data:`SECURITY_HEADERS` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in SECURITY_HEADERS]
                message["headers"] = headers + list(SECURITY_HEADERS.items())
            await send(message)

        await self.app(scope, receive, with_headers)


Handler = Callable[[Request], Awaitable[Response]]
