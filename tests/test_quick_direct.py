"""``intake queue`` with no service running, on SQLite: read straight from the database (no ORM,
no pydantic) and printed exactly as the full command line prints it — text and ``--json``, with
every filter — and left to the full command line whenever it would say more (a failing mail
server) or the database is not one it reads."""

from __future__ import annotations

import json
import mailbox
import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from intake.access.health import record_failure
from support.mailfactory import numbered_mails

pytestmark = [
    pytest.mark.e2e,  # python -m intake as staff run it
    pytest.mark.sqlite_only(
        reason="the quick path reads SQLite itself; PostgreSQL goes to the full command line"
    ),
]

DIRECT = "read from the database directly"
BY_FULL_CLI = "answered by the full command line"


@pytest.fixture
def cases(workspace):
    """Five reports received three days ago: one overdue, one due today, one merged into another,
    one in another status, one robot mail (a bounce); replies held."""
    path = workspace.add_maildir()
    workspace.extra = '[replies]\nmode = "hold"\n'
    box = mailbox.Maildir(path, create=False)
    mails = numbered_mails(4, to="csc-anken@example.jp", sender="報告者 <reporter@example.co.jp>")
    bounce = numbered_mails(1, to="csc-anken@example.jp", sender="MAILER-DAEMON@example.com")
    for raw in mails + bounce:
        file = path / "new" / box.add(raw)
        then = time.time() - 3 * 86400 - 3600  # the age column reads 3日 for the whole test
        os.utime(file, (then, then))
    assert workspace.cli("init").returncode == 0
    assert workspace.cli("poll").returncode == 0
    assert len(json.loads(workspace.cli("queue", "--all", "--json").stdout)) == 5
    ids = [c["id"] for c in json.loads(workspace.cli("queue", "--json").stdout)]  # the robot mail left out
    assert len(ids) == 4
    assert workspace.cli("merge", ids[2], "--into", ids[3]).returncode == 0
    assert workspace.cli("set-status", ids[3], "ready_for_review").returncode == 0
    today = datetime.now(UTC).replace(microsecond=0)
    with sqlite3.connect(workspace.root / "intake.db") as db:  # due days, as the SLA would set them
        db.execute('UPDATE "case" SET due_at = ? WHERE id = ?', (_stored(today - timedelta(days=5)), ids[0]))
        db.execute('UPDATE "case" SET due_at = ? WHERE id = ?', (_stored(today), ids[1]))
    return workspace


def _stored(when: datetime) -> str:
    return when.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


COMMANDS = [
    ["queue"],
    ["queue", "--all"],
    ["queue", "--robots"],
    ["queue", "--limit", "2"],
    ["queue", "--limit=1"],
    ["queue", "--status", "ready_for_review"],
    ["queue", "--kind", "other", "--all"],
    ["queue", "--mailbox", "anken", "--org", "nothing-like-this"],
    ["queue", "--owner", "nobody"],
]


def test_the_queue_read_straight_from_the_database_is_the_full_command_lines_queue(cases):
    assert "overdue" in cases.cli("queue", "--json").stdout
    for command in COMMANDS + [[*c, "--json"] for c in COMMANDS]:
        quick = cases.cli_process("--verbose", *command)
        full = cases.cli(*command)
        assert DIRECT in quick.stderr, (command, quick.stderr)
        assert (quick.stdout, quick.returncode) == (full.stdout, full.returncode), command
    shown = json.loads(cases.cli_process("queue", "--json").stdout)
    assert shown[0]["overdue"] and any(c["due_today"] for c in shown)
    assert any(c["merged_into"] for c in json.loads(cases.cli_process("queue", "--all", "--json").stdout))


def test_the_quick_path_imports_neither_the_orm_nor_pydantic(cases):
    probe = (
        "import sys, runpy; sys.argv = ['intake', 'queue', '--json']\n"
        "try:\n    runpy.run_module('intake', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'pydantic', 'typer', 'intake.cli') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, **cases.environment},
        cwd=cases.root,
        timeout=120,
    )
    assert done.stdout.splitlines()[-1] == "[]", done.stderr


def test_a_failing_mail_server_is_left_to_the_full_command_line_which_names_it(cases):
    record_failure(cases.engine(), "mailbox:anken", auth_kind="-", error="connection refused", auth=False)
    quick = cases.cli_process("--verbose", "queue")
    assert BY_FULL_CLI in quick.stderr
    assert "anken" in quick.stdout.splitlines()[0]


def test_a_usage_error_an_old_schema_or_a_missing_database_is_the_full_command_lines_to_say(cases):
    quick = cases.cli_process("--verbose", "queue", "--limit", "0")
    assert BY_FULL_CLI in quick.stderr and quick.returncode == 2
    with sqlite3.connect(cases.root / "intake.db") as db:  # as a database of an older intake
        db.execute("UPDATE alembic_version SET version_num = '0001'")
    quick = cases.cli_process("--verbose", "queue")
    assert BY_FULL_CLI in quick.stderr and "intake init" in quick.stderr and quick.returncode != 0
    (cases.root / "intake.db").rename(cases.root / "elsewhere.db")
    quick = cases.cli_process("--verbose", "queue")
    assert BY_FULL_CLI in quick.stderr and quick.returncode != 0


@pytest.fixture
def held_replies(workspace):
    """Three reports just received; their acknowledgements held in the outbox."""
    path = workspace.add_maildir()
    workspace.extra = '[replies]\nmode = "hold"\n'
    box = mailbox.Maildir(path, create=False)
    for raw in numbered_mails(3, to="csc-anken@example.jp", sender="報告者 <reporter@example.co.jp>"):
        box.add(raw)
    assert workspace.cli("init").returncode == 0
    assert workspace.cli("poll").returncode == 0
    return workspace


def test_the_outbox_read_straight_from_the_database_is_the_full_command_lines_outbox(held_replies):
    assert len(json.loads(held_replies.cli("outbox", "--json").stdout)) >= 3
    for command in (["outbox"], ["outbox", "--state", "held"], ["outbox", "--state=sent"]):
        for extra in ([], ["--json"]):
            quick = held_replies.cli_process("--verbose", *command, *extra)
            full = held_replies.cli(*command, *extra)
            assert DIRECT in quick.stderr, (command, quick.stderr)
            assert (quick.stdout, quick.returncode) == (full.stdout, full.returncode), command


def test_the_status_read_straight_from_the_database_is_the_full_command_lines_status(cases):
    for extra in ([], ["--json"]):
        quick = cases.cli_process("--verbose", "status", *extra)
        full = cases.cli("status", *extra)
        assert DIRECT in quick.stderr, quick.stderr
        assert (quick.stdout, quick.returncode) == (full.stdout, full.returncode)
        assert quick.returncode == 4  # a case is overdue
    record_failure(cases.engine(), "mailbox:anken", auth_kind="-", error="connection refused", auth=False)
    an_hour_ago = _stored(datetime.now(UTC) - timedelta(hours=1))
    with sqlite3.connect(cases.root / "intake.db") as db:  # failing for an hour: longer than 30 min
        db.execute("UPDATE serverhealth SET failing_since = ?", (an_hour_ago,))
    for extra in ([], ["--json"]):
        quick = cases.cli_process("--verbose", "status", *extra)
        full = cases.cli("status", *extra)
        assert DIRECT in quick.stderr
        said = [line for line in quick.stderr.splitlines() if DIRECT not in line]
        assert (quick.stdout, said, quick.returncode) == (
            full.stdout,
            full.stderr.splitlines(),
            full.returncode,
        )
        assert quick.returncode == 1 and "anken" in full.stderr
