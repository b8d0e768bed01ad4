"""Fixtures every test may use: a real Dovecot for the session, an account on it, a workspace, a
real ClamAV clamd for the session.

``--db=postgresql`` runs the suite against PostgreSQL (a throwaway cluster per worker, a fresh
database per workspace, :mod:`support.postgres`); SQLite is the default. A test about SQLite itself
is marked ``sqlite_only``, one about PostgreSQL itself ``postgresql_only``, each with its reason.
"""

from __future__ import annotations

import os

import pytest

from support import postgres
from support.clamd import Clamd
from support.dovecot import Dovecot, ImapAccount
from support.idp import GRAPH_APP, IdP
from support.tls import make_ca
from support.workspace import Workspace


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db", choices=postgres.BACKENDS, default="sqlite", help="the database the suite runs against"
    )


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` runs twice as many workers as there are cores: the suite is meant to stay green on
    a busy machine, and every run shows it does."""
    return 2 * (os.cpu_count() or 1)


def pytest_configure(config: pytest.Config) -> None:
    postgres.use(config.getoption("--db"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    backend = config.getoption("--db")
    for item in items:
        for marker, needs in (("sqlite_only", "sqlite"), ("postgresql_only", "postgresql")):
            found = item.get_closest_marker(marker)
            if found is not None and backend != needs:
                reason = found.kwargs.get("reason") or (found.args[0] if found.args else marker)
                item.add_marker(pytest.mark.skip(reason=f"{needs} only: {reason}"))


@pytest.fixture(scope="session", autouse=True)
def _database_cluster():
    yield
    postgres.stop()


@pytest.fixture(scope="session")
def dovecot():
    server = Dovecot().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def clamd():
    server = Clamd().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    """A private certificate authority for a module's TLS servers (:mod:`support.tls`)."""
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def idp(ca, tmp_path_factory):
    """The test identity provider on loopback TLS (:mod:`support.idp`), for a module; it knows the
    Graph app (``GRAPH_APP``), and a module adds the clients of its own."""
    with IdP(ca.issue(tmp_path_factory.mktemp("idp"))) as provider:
        provider.clients[GRAPH_APP.client_id] = GRAPH_APP
        yield provider


@pytest.fixture
def imap_account(dovecot) -> ImapAccount:
    return dovecot.add_account()


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    workspace = Workspace(root=tmp_path, monkeypatch=monkeypatch)
    yield workspace
    workspace.close()
