"""Fixtures every test may use: a real Dovecot for the session, an account on it, a workspace."""

from __future__ import annotations

import pytest

from support.dovecot import Dovecot, ImapAccount
from support.workspace import Workspace


@pytest.fixture(scope="session")
def dovecot():
    server = Dovecot().start()
    yield server
    server.stop()


@pytest.fixture
def imap_account(dovecot) -> ImapAccount:
    return dovecot.add_account()


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Workspace:
    return Workspace(root=tmp_path, monkeypatch=monkeypatch)
