"""Several programs on one SQLite database at once, as an office really runs them.

* staff commands — notes, status changes, unlocking, exports, the queue — while ``intake run``
  works through a backlog of 1,000 messages: every command succeeds, none says "database is
  locked", every message ends in exactly one case;
* three ``intake poll`` started at the same moment (a manual poll while cron polls, twice): one
  polls each mailbox, the others wait their turn and find nothing left; no error, nothing twice.
"""

from __future__ import annotations

import json
import mailbox
import os
import signal
import subprocess
import sys
import time

import pytest

from support.mailfactory import numbered_mails
from support.unlocking import PASSWORD, WRONG, deliver_application, new_mailbox, poll

pytestmark = pytest.mark.e2e  # starts intake as a separate process

BACKLOG = 1000


def count_cases(workspace, mailbox_name: str) -> int:
    result = workspace.cli("queue", "--json", "--all", "--mailbox", mailbox_name)
    assert result.returncode == 0, result.stderr
    return len(json.loads(result.stdout))


def start(workspace, *args: str) -> subprocess.Popen:
    """A long-running command whose output goes to a file (a pipe nobody reads would block it)."""
    env = {**os.environ, **workspace.env, "INTAKE_CONFIG": str(workspace.config_file)}
    with (workspace.root / f"{args[0]}.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "intake", *args], env=env, cwd=workspace.root, stdout=log, stderr=log
        )


def workspace_process(workspace, *args: str) -> subprocess.Popen:
    """A short command whose output is read back with ``communicate``."""
    env = {**os.environ, **workspace.env, "INTAKE_CONFIG": str(workspace.config_file)}
    return subprocess.Popen(
        [sys.executable, "-m", "intake", *args],
        env=env,
        cwd=workspace.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def staff_morning(workspace, case_id: str, attachment_id: int) -> list[subprocess.CompletedProcess]:
    """What staff do first, each command a separate process as at the prompt."""
    steps = [
        ("note", case_id, "電話で確認済み"),
        ("show", case_id, "--json"),
        ("set-status", case_id, "ready_for_review", "--note", "確認中"),
        ("audit", case_id),
    ]
    results = [workspace.cli(*step) for step in steps]
    results.append(workspace.cli("unlock", str(attachment_id), "--password-stdin", input=WRONG + "\n"))
    results.append(workspace.cli("unlock", str(attachment_id), "--password-stdin", input=PASSWORD + "\n"))
    return results


def staff_rounds(workspace, case_id: str) -> list[subprocess.CompletedProcess]:
    """Then notes, the queue and the exports, again and again."""
    out = workspace.root / "exports"
    out.mkdir(exist_ok=True)
    steps = [
        ("note", case_id, "追記"),
        ("queue", "--json"),
        ("export", "--format", "xlsx", "--output", str(out / "queue.xlsx")),
        ("register", "export", "--output", str(out / "register.csv")),
        ("outbox", "--json"),
    ]
    return [workspace.cli(*step) for step in steps]


def test_staff_commands_while_the_service_works_through_a_backlog(workspace):
    membership = new_mailbox(workspace)  # replies held: no SMTP server needed
    deliver_application(membership)
    incident = workspace.add_maildir()
    poll(workspace)
    (pending,) = json.loads(workspace.cli("queue", "--json", "--mailbox", "kyogikai").stdout)
    attachment_id = json.loads(workspace.cli("show", pending["id"], "--json").stdout)["attachments"][0]["id"]
    box = mailbox.Maildir(incident, create=False)
    for raw in numbered_mails(BACKLOG, to="csc-anken@example.jp", sender="報告者 <reporter@example.co.jp>"):
        box.add(raw)

    service = start(workspace, "run")
    try:
        time.sleep(1.5)  # the service is importing, then polling
        morning = staff_morning(workspace, pending["id"], attachment_id)
        later = []
        while count_cases(workspace, "anken") < BACKLOG:
            later += staff_rounds(workspace, pending["id"])
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(120)
    assert [r.returncode for r in morning] == [0, 0, 0, 0, 3, 0], [r.stderr for r in morning]
    assert all(r.returncode == 0 for r in later), [r.stderr for r in later if r.returncode]
    assert not [r.stderr for r in morning + later if "locked" in r.stderr.lower()]
    assert service.returncode == 0
    assert count_cases(workspace, "anken") == BACKLOG
    assert json.loads(workspace.cli("quarantine", "--json").stdout) == []
    assert os.listdir(incident / "new") == []  # every message marked processed


def test_three_polls_started_at_once_each_message_once_no_error(workspace):
    path = workspace.add_maildir()
    workspace.extra = '[replies]\nmode = "hold"\n'
    box = mailbox.Maildir(path, create=False)
    for raw in numbered_mails(300, to="csc-anken@example.jp"):
        box.add(raw)
    assert workspace.cli("init").returncode == 0
    workspace.write()
    polls = [workspace_process(workspace, "poll", "--json") for _ in range(3)]
    outputs = [p.communicate(timeout=300) for p in polls]
    assert [p.returncode for p in polls] == [0, 0, 0], [err for _, err in outputs]
    assert not any("locked" in err.lower() or "error" in err.lower() for _, err in outputs)
    fetched = sorted(r["fetched"] for out, _ in outputs for r in json.loads(out)["mailboxes"])
    assert sum(fetched) == 300 and fetched.count(0) >= 1  # one did the work, the others found nothing
    assert count_cases(workspace, "anken") == 300
