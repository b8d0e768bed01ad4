"""A long poll shows a progress line per mailbox on a terminal (messages, rate, time left), and
nothing at all when its output goes elsewhere (cron, a pipe, the journal)."""

from __future__ import annotations

import mailbox

import pytest

from support.mailfactory import numbered_mails
from support.terminal import Terminal

COUNT = 320  # above the few hundred from which a line is worth showing


@pytest.fixture
def backlog(workspace):
    box = mailbox.Maildir(workspace.add_maildir(), create=False)
    for raw in numbered_mails(COUNT, to="csc-anken@example.jp"):
        box.add(raw)
    workspace.extra = '[replies]\nmode = "hold"\n'
    workspace.cli("init")
    return workspace


@pytest.mark.e2e
def test_a_long_poll_shows_its_progress_on_a_terminal(backlog):
    term = Terminal(backlog, "poll")
    assert term.wait(timeout=300) == 0
    line = next(x for x in term.text.splitlines() if x.startswith("mailbox anken"))
    assert f"{COUNT}/{COUNT}" in term.text and "msg/s" in line


def test_no_progress_line_when_not_on_a_terminal(backlog):
    polled = backlog.cli("poll")
    assert polled.returncode == 0
    assert "msg/s" not in polled.stdout + polled.stderr and f"/{COUNT}" not in polled.stderr
    assert f"{COUNT} 件" in backlog.cli("queue", "--all").stdout
