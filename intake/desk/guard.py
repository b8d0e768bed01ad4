"""What stands between the office network and the desk: the cookie, CSRF tokens, the client's
address, how much of a request body is read, and the headers every page carries.

* The cookie is signed (itsdangerous, the key in ``[desk] session_key_file``), ``HttpOnly``,
  ``SameSite=Strict``, ``Secure`` when ``[desk] public_url`` is https. It holds the CSRF token and
  the token of a session kept in the database (:mod:`intake.secretariat.sessions`): the database, not the
  cookie, says whether anyone is signed in.
* Every state-changing request is a POST carrying the cookie's CSRF token in a hidden field; a
  missing or wrong one is refused (403) before anything is changed.
* The client's address is the connection's, unless that is one of ``[desk] trusted_proxies``: then
  it is the nearest address in ``X-Forwarded-For`` that is not a trusted proxy.
* A request body is read only up to a bound (:class:`Bounded`): a declared ``Content-Length`` over it
  is refused before anything is read, a chunked body as soon as it passes it.
* Pages carry a Content-Security-Policy without any script, and are never cached.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Awaitable, Callable, Sequence
from ipaddress import ip_address, ip_network
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


class TrustedProxies:
    """An ASGI middleware: behind a trusted proxy, the client is the one ``X-Forwarded-For`` names.

    The proxy appends the address it was connected from, so the list is read from its right end:
    the first address that is not a trusted proxy is the client. From anywhere else the header is
    ignored (anyone can write it)."""

    def __init__(self, app: ASGIApp, *, proxies: Sequence[str]) -> None:
        self.app = app
        self.networks = [ip_network(p, strict=False) for p in proxies]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] == "http" and client and self.networks and self._trusted(client[0]):
            scope["client"] = (self._forwarded_for(scope, client[0]), 0)
        await self.app(scope, receive, send)

    def _forwarded_for(self, scope: Scope, peer: str) -> str:
        values = [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"x-forwarded-for"]
        nearest = peer
        for item in reversed([a.strip() for a in ",".join(values).split(",") if a.strip()]):
            if not _is_address(item):
                break  # not written by a proxy of ours: nothing further left is believed
            nearest = item
            if not self._trusted(item):
                break
        return nearest

    def _trusted(self, address: str) -> bool:
        return _is_address(address) and any(ip_address(address) in n for n in self.networks)


def _is_address(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True


class TooLarge(Exception):
    """A request body went past its bound."""


class Bounded:
    """The ASGI ``receive`` of a request, refusing (:class:`TooLarge`) a body longer than ``limit``."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self.receive, self.limit, self.seen = receive, limit, 0

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                raise TooLarge
        return message


def declared_too_large(request: Request, limit: int) -> bool:
    """The body the request announces is over ``limit`` (a chunked one is caught while it is read)."""
    length = request.headers.get("content-length", "")
    return length.isdigit() and int(length) > limit


Handler = Callable[[Request], Awaitable[Response]]
