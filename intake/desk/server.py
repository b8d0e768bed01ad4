"""``intake desk``: the desk served by uvicorn, on loopback unless told otherwise.

uvicorn itself believes no proxy header (``proxy_headers=False``): behind a TLS reverse proxy
(README, "The web desk") the desk reads ``X-Forwarded-For`` only from ``[desk] trusted_proxies``
(:class:`intake.desk.guard.TrustedProxies`). The access log shows paths and status codes; a password
only ever travels in a POST body, which is never logged.
"""

from __future__ import annotations

import logging
import socket

import uvicorn
from rich.console import Console
from sqlalchemy import Engine
from starlette.types import ASGIApp

from intake.config import Config
from intake.desk.app import make_app
from intake.errors import IntakeError

log = logging.getLogger(__name__)


def server_config(app: ASGIApp, *, host: str, port: int, log_level: str = "info") -> uvicorn.Config:
    """How uvicorn serves the desk (the tests serve it the same way)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        proxy_headers=False,
        server_header=False,
        log_level=log_level,
        lifespan="off",
    )


def serve(*, config: Config, engine: Engine, host: str | None, port: int | None, out: Console) -> None:
    app = make_app(config=config, engine=engine)
    host, port = host or config.desk.host, port or config.desk.port
    sock = listening_socket(host, port)  # a port in use is said here, exit 1 (uvicorn's would be 3)
    where = config.desk.public_url or f"http://{host}:{port}/"
    out.print(f"the desk: {where}  (Ctrl-C stops it)", markup=False)
    with sock:
        uvicorn.Server(server_config(app, host=host, port=port)).run(sockets=[sock])


def listening_socket(host: str, port: int) -> socket.socket:
    """The desk's listening socket, bound as uvicorn binds it; a port another program holds (or an
    address this machine does not have) is one line and exit 1 — exit 3 means a wrong password."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = exc.strerror or str(exc)
        raise IntakeError(
            f"the desk cannot listen on {host}:{port}: {reason} "
            "(another program may be using the port: choose one with --port or [desk] port)"
        ) from None
    return sock
