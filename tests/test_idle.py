"""IMAP IDLE in ``intake run`` against a real Dovecot: mail appended while intake idles becomes a case
at once (the scheduled poll is an hour away), and a server that kicks intake out or freezes is
recovered from, the mail that arrived meanwhile fetched exactly once.

How fast, measured: ``scripts/bench_idle`` (arrival → reply in the SMTP sink)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from support.mailfactory import make_mail

pytestmark = pytest.mark.e2e  # intake run as a separate process

IDLE_KEYS = "timeout = 2\nidle_renew_seconds = 2"  # a frozen server is noticed in seconds, not minutes
WITHIN = 60.0  # seconds: far below the hour of the scheduled poll, generous for a loaded machine


@contextmanager
def running(workspace) -> Iterator[subprocess.Popen]:
    service = subprocess.Popen(
        [sys.executable, "-m", "intake", "run"],
        env={**os.environ, **workspace.environment},
        cwd=workspace.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield service
    finally:
        service.send_signal(signal.SIGTERM)
        _, err = service.communicate(timeout=30)
        assert service.returncode == 0, err
        assert "Traceback" not in err


def _subjects(workspace) -> list[str]:
    result = workspace.cli("queue", "--json", "--all")
    return sorted(c["subject"] for c in json.loads(result.stdout)) if result.returncode == 0 else []


def _wait_for(workspace, subjects: list[str], timeout: float = WITHIN) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _subjects(workspace) == sorted(subjects):
            return True
        time.sleep(0.2)
    return False


def _mail(n: int) -> bytes:
    return make_mail(sender=f"報告者 <reporter{n}@corp.example.co.jp>", subject=f"不審メールの報告 {n}")


@pytest.fixture
def idling(workspace, imap_account):
    """``intake run`` with an hour between scheduled polls, after its first round is done."""
    imap_account.append([_mail(1)])
    workspace.add_imap(
        imap_account,
        name="anken",
        profile="incident",
        prefix="CSC",
        address="csc-anken@example.jp",
        extra=IDLE_KEYS,
    )
    workspace.poll_interval = 3600
    workspace.extra = '[replies]\nmode = "off"\n'
    workspace.cli("init")
    with running(workspace) as service:
        assert _wait_for(workspace, ["不審メールの報告 1"])
        time.sleep(1.0)  # the IDLE connection is up once its own catch-up poll has run
        yield service


def test_mail_appended_while_intake_idles_is_a_case_at_once(workspace, imap_account, idling):
    for n in (2, 3):
        imap_account.append([_mail(n)])
        assert _wait_for(workspace, [f"不審メールの報告 {i}" for i in range(1, n + 1)])


def test_a_server_kick_is_recovered_and_mail_meanwhile_is_fetched_once(
    workspace, imap_account, dovecot, idling
):
    dovecot.kick(imap_account.username)
    imap_account.append([_mail(2)])  # while intake reconnects
    assert _wait_for(workspace, ["不審メールの報告 1", "不審メールの報告 2"])
    imap_account.append([_mail(3)])  # and IDLE works again afterwards
    assert _wait_for(workspace, [f"不審メールの報告 {i}" for i in (1, 2, 3)])


def test_a_frozen_server_is_noticed_and_mail_meanwhile_is_fetched_once(
    workspace, imap_account, dovecot, idling
):
    frozen = dovecot.freeze(imap_account.username)  # the IDLE connection now hears nothing, ever
    try:
        assert frozen
        imap_account.append([_mail(2)])  # a new connection still works: only the old one is dead
        assert _wait_for(workspace, ["不審メールの報告 1", "不審メールの報告 2"])
    finally:
        dovecot.thaw()
    imap_account.append([_mail(3)])
    assert _wait_for(workspace, [f"不審メールの報告 {i}" for i in (1, 2, 3)])
