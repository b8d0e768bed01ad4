"""``intake desk``: the desk served by uvicorn, on loopback unless told otherwise.

Behind a TLS reverse proxy (README, "The web desk"), uvicorn believes the proxy's
``X-Forwarded-For`` / ``X-Forwarded-Proto`` only from ``[desk] forwarded_allow_ips``. The access
log shows paths and status codes; a password only ever travels in a POST body, which is never logged.
"""

from __future__ import annotations

import logging

import uvicorn
from rich.console import Console
from sqlalchemy import Engine

from intake.config import Config
from intake.web.app import make_app

log = logging.getLogger(__name__)


def serve(*, config: Config, engine: Engine, host: str | None, port: int | None, out: Console) -> None:
    app = make_app(config=config, engine=engine)
    host, port = host or config.desk.host, port or config.desk.port
    where = config.desk.public_url or f"http://{host}:{port}/"
    out.print(f"the desk: {where}  (Ctrl-C stops it)", markup=False)
    uvicorn.run(
        app,
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=config.desk.forwarded_allow_ips,
        server_header=False,
        log_level="info",
    )
