"""The web desk for the tests: served by a real uvicorn on 127.0.0.1 in a thread, signed into with
httpx (HTTP-level tests) or driven by a real headless Chromium (Debian's ``chromium``, through
Playwright — no browser is downloaded)."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn
from pydantic import SecretStr

from intake.config import Config
from intake.db import make_engine, session_scope
from intake.desk.app import make_app
from intake.desk.server import server_config
from intake.secretariat import users

STAFF = "suzuki"
STAFF_PASSWORD = "Desk-Pass-2026-Kasumi"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@dataclass
class Desk:
    url: str
    config: Config
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self) -> httpx.Client:
        """A client of its own (closed when the desk stops)."""
        client = httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)
        self.clients.append(client)
        return client

    def signed_in(self, name: str = STAFF, password: str = STAFF_PASSWORD) -> httpx.Client:
        client = self.client()
        response = sign_in(client, name, password)
        assert response.status_code == 303 and response.headers["location"] == "/", response.text
        return client


def add_staff(config: Config, name: str = STAFF, password: str = STAFF_PASSWORD) -> None:
    engine = make_engine(config.storage.database)
    with session_scope(engine) as session:
        users.add_user(session, name, SecretStr(password), by="test")
    engine.dispose()


@contextmanager
def desk_server(config: Config) -> Iterator[Desk]:
    """The desk on a free loopback port for the duration of the block."""
    engine = make_engine(config.storage.database, lock_timeout=config.storage.lock_timeout_seconds)
    app = make_app(config=config, engine=engine)
    server = uvicorn.Server(server_config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the desk did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    desk = Desk(f"http://127.0.0.1:{port}", config)
    try:
        yield desk
    finally:
        for client in desk.clients:
            client.close()
        server.should_exit = True
        thread.join(timeout=15)
        engine.dispose()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def acceptance_form(html: str) -> dict[str, str]:
    """The hidden fields of an acceptance's confirmation page (its CSRF token and the digest of
    the change it shows)."""
    found = re.search(r'name="fingerprint" value="([0-9a-f]+)"', html)
    assert found, "not the confirmation of an acceptance"
    return {"csrf": csrf_of(html), "fingerprint": found.group(1)}


def sign_in(client: httpx.Client, name: str, password: str) -> httpx.Response:
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"name": name, "password": password, "csrf": token})
