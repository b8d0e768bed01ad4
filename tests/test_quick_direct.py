"""``intake queue``, ``show``, ``outbox``, ``audit`` and ``status`` with no service running, on
SQLite: read straight from the database (no ORM, no pydantic) and printed exactly as the full
command line prints them — text and ``--json``, with every filter — and left to the full command
line whenever it would say more (a failing mail server, a protected message, an acceptance to sum
up) or the database is not one it reads."""

from __future__ import annotations

import json
import mailbox
import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import make_msgid

import pytest

from intake.access.health import record_failure
from intake.forms import write_application, write_staff_registration
from intake.mail.ours import CONFIRMATION_BLOCK
from support.accepting import registered, staff_case
from support.bounces import postfix
from support.crypto_keys import make_pgp_world, pgp_signed
from support.mailfactory import DOCX_TYPE, make_mail, numbered_mails
from support.office_fixtures import encrypt_agile
from support.samples import APPLICATION, PEOPLE

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


def heavy_imports(workspace, argv: list[str]) -> subprocess.CompletedProcess:
    """Run ``intake ARGV`` as staff do; its last line lists which heavy packages it loaded."""
    probe = (
        f"import sys, runpy; sys.argv = ['intake', *{argv!r}]\n"
        "try:\n    runpy.run_module('intake', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'pydantic', 'typer', 'intake.cli') if m in sys.modules))"
    )
    return subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, **workspace.environment},
        cwd=workspace.root,
        timeout=120,
    )


def test_the_quick_path_imports_neither_the_orm_nor_pydantic(cases):
    done = heavy_imports(cases, ["queue", "--json"])
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


def _forward_of(original: bytes) -> bytes:
    """A report that carries the suspicious mail as an attachment (message/rfc822)."""
    report = EmailMessage()
    report["From"] = "報告者 <reporter@example.co.jp>"
    report["To"] = "csc-anken@example.jp"
    report["Subject"] = "不審メールの転送"
    report["Message-ID"] = make_msgid(domain="example.co.jp")
    report.set_content("不審なメールが届きましたので転送します。\nパスワード: Abcd1234\n")
    report.add_attachment(message_from_bytes(original, policy=default))
    return report.as_bytes()


ORG = APPLICATION["org_name"]


@pytest.fixture
def shown(workspace):
    """Incident reports (one carrying a suspicious mail attached, a password in its text, and a
    reply quoting our acknowledgement; a bounce of robot mail) and membership mail (one with no
    form, one with a Word file that is not a form); a note, an owner, a merge, a purged message."""
    anken = workspace.add_maildir()
    kyogikai = workspace.add_maildir(
        name="kyogikai", profile="membership", prefix="KYOGIKAI", address="kyogikai-shomu@example.jp"
    )
    workspace.extra = '[replies]\nmode = "hold"\n'
    suspicious = make_mail(
        sender="Bank <notice@example.com>", to="reporter@example.co.jp", subject="[要確認] アカウント停止"
    )
    reports = [
        _forward_of(suspicious),
        make_mail(
            sender="報告者 <reporter@example.co.jp>",
            to="csc-anken@example.jp",
            subject="[KYOGIKAI] 不正アクセスの報告",
            body="不正アクセスがありました。\n\n> 以前のメール\n> の引用です\n",
            attachments=[("ログ.txt", "ログ\n".encode(), "text/plain")],
        ),
    ]
    for raw in reports:
        mailbox.Maildir(anken, create=False).add(raw)
    mailbox.Maildir(anken, create=False).add(postfix(reports[1]))
    today = datetime.now(UTC).strftime("%y%m%d")
    forms = [
        (f"{today}_協議会加入申込書（{ORG}）.docx", write_application(APPLICATION), DOCX_TYPE),
        (f"{today}_事務従事者登録届（{ORG}）.docx", write_staff_registration(ORG, PEOPLE), DOCX_TYPE),
    ]
    membership = [
        make_mail(sender="山田 太郎 <yamada@example.co.jp>", body="加入について質問があります。\n"),
        make_mail(attachments=[("申込書.docx", b"not a word file", DOCX_TYPE)]),
        make_mail(sender="協議会 花子 <hanako@example.co.jp>", attachments=forms),
        make_mail(
            sender="協議会 花子 <hanako@example.co.jp>",
            subject="事務従事者登録届の提出",
            attachments=[forms[1][:1] + (encrypt_agile(forms[1][1], "Akasaka#2026-0923"), DOCX_TYPE)],
        ),
    ]
    for raw in membership:
        mailbox.Maildir(kyogikai, create=False).add(raw)
    assert workspace.cli("init").returncode == 0
    assert workspace.cli("poll").returncode == 0
    every = json.loads(workspace.cli("queue", "--all", "--json").stdout)
    incident = sorted(c["id"] for c in every if c["id"].startswith("CSC") and not c["robot"])
    assert workspace.cli("note", incident[0], "電話で確認済み [bold]").returncode == 0
    added = workspace.cli("user", "add", "tanaka", "--password-stdin", input="Tanaka-Pass-2026\n")
    assert added.returncode == 0, added.stderr
    assert workspace.cli("assign", incident[0], "tanaka").returncode == 0
    # the reporter answers our acknowledgement, quoting it
    held = json.loads(workspace.cli("outbox", "--json").stdout)
    ack = next(r for r in held if r["case_id"] == incident[1])
    answer = make_mail(
        sender="報告者 <reporter@example.co.jp>",
        to="csc-anken@example.jp",
        subject=f"Re: {ack['subject']}",
        body="確認①（秘密指定の有無）：不要\n\n> " + "\n> ".join(CONFIRMATION_BLOCK.splitlines()) + "\n",
        in_reply_to=ack["message_id"],
    )
    mailbox.Maildir(anken, create=False).add(answer)
    assert workspace.cli("poll").returncode == 0
    return workspace, every, incident


def _show_both(workspace, case_id: str) -> None:
    """``intake show CASE`` (text and --json) read directly equals the full command line's, byte
    for byte."""
    for extra in ([], ["--json"]):
        quick = workspace.cli_process("--verbose", "show", case_id, *extra)
        full = workspace.cli("show", case_id, *extra)
        assert DIRECT in quick.stderr, (case_id, extra, quick.stderr)
        assert (quick.stdout, quick.returncode) == (full.stdout, full.returncode), (case_id, extra)


def test_show_read_straight_from_the_database_is_the_full_command_lines_show(shown):
    workspace, every, incident = shown
    forwarded = json.loads(workspace.cli("show", incident[0], "--json").stdout)
    assert forwarded["attached_messages"] and forwarded["owner"] == "tanaka" and forwarded["notes"]
    assert forwarded["password_mails"], "the password in its text makes it a password mail"
    answered = json.loads(workspace.cli("show", incident[1], "--json").stdout)
    assert answered["attachments"] and answered["findings"]
    assert [m["direction"] for m in answered["messages"]][:2] == ["in", "out"]
    assert any(s["kind"] == "quote" for m in answered["messages"] for s in m["segments"])
    assert any(c["robot"] for c in every) and any(c["id"].startswith("KYOGIKAI") for c in every)
    read = [json.loads(workspace.cli("show", c["id"], "--json").stdout) for c in every]
    assert any(c["fields"].get("application") and c["fields"].get("staff") for c in read)
    assert any(a["state"] == "password_pending" for c in read for a in c["attachments"])
    for case in json.loads(workspace.cli("queue", "--all", "--json").stdout):
        _show_both(workspace, case["id"])
    text = workspace.cli_process("show", incident[0]).stdout
    assert "電話で確認済み [bold]" in text and "●●●●●●●●" in text and "Abcd1234" not in text


def test_show_of_a_merged_case_and_of_a_purged_message_read_straight_from_the_database(shown):
    workspace, _every, incident = shown
    assert workspace.cli("merge", incident[0], "--into", incident[1]).returncode == 0
    with sqlite3.connect(workspace.root / "intake.db") as db:  # as retention leaves a message
        first = db.execute("SELECT min(id) FROM message WHERE case_id = ?", (incident[1],)).fetchone()[0]
        db.execute("UPDATE message SET purged_at = ? WHERE id = ?", (_stored(datetime.now(UTC)), first))
    for case_id in incident:
        _show_both(workspace, case_id)
    merged = json.loads(workspace.cli_process("show", incident[1], "--json").stdout)
    assert merged["merged_from"] == [incident[0]]


def test_show_and_audit_read_directly_import_neither_the_orm_nor_pydantic(shown):
    workspace, _every, incident = shown
    for argv in (["show", incident[1]], ["show", incident[1], "--json"], ["audit"], ["audit", incident[0]]):
        done = heavy_imports(workspace, ["--verbose", *argv])
        assert DIRECT in done.stderr, (argv, done.stderr)
        assert done.stdout.splitlines()[-1] == "[]", (argv, done.stderr)


def test_show_of_a_missing_case_is_the_full_command_lines_to_say(shown):
    workspace, _every, _incident = shown
    quick = workspace.cli_process("--verbose", "show", "CSC-2000-9999")
    full = workspace.cli("show", "CSC-2000-9999")
    assert BY_FULL_CLI in quick.stderr
    assert (quick.stdout, quick.returncode) == (full.stdout, full.returncode) and quick.returncode != 0


def test_an_acceptance_in_the_history_is_summed_up_by_the_full_command_line(workspace):
    """The register rows an acceptance changed are summed up in words by the secretariat's code:
    the text goes to the full command line, the JSON (which has no history) is read directly."""
    built = registered(workspace)
    case_id = staff_case(built)
    assert workspace.cli("--by", "tanaka", "accept", case_id).returncode == 0
    text = workspace.cli_process("--verbose", "show", case_id)
    assert BY_FULL_CLI in text.stderr and "受理" in text.stdout
    assert text.stdout == workspace.cli("show", case_id).stdout
    as_json = workspace.cli_process("--verbose", "show", case_id, "--json")
    assert DIRECT in as_json.stderr
    assert as_json.stdout == workspace.cli("show", case_id, "--json").stdout
    assert [p["name"] for p in json.loads(as_json.stdout)["fields"]["staff"]] == [
        "継続 一郎",
        "廃止 二郎",
        "新規 三郎",
    ]


def test_the_audit_log_read_straight_from_the_database_is_the_full_command_lines(shown):
    workspace, _every, incident = shown
    assert workspace.cli("merge", incident[0], "--into", incident[1]).returncode == 0
    entries = json.loads(workspace.cli("audit", "--json").stdout)
    assert any(isinstance(e["detail"], dict) for e in entries) and {"merge", "note"} <= {
        e["action"] for e in entries
    }
    for command in (["audit"], ["audit", incident[0]], ["audit", incident[1]]):
        for extra in ([], ["--json"]):
            quick = workspace.cli_process("--verbose", *command, *extra)
            full = workspace.cli(*command, *extra)
            assert DIRECT in quick.stderr, (command, quick.stderr)
            assert (quick.stdout, quick.returncode) == (full.stdout, full.returncode), command
    quick = workspace.cli_process("--verbose", "audit", "CSC-2000-9999")
    assert BY_FULL_CLI in quick.stderr and quick.returncode != 0


def test_a_signed_message_is_left_to_the_full_command_line_which_holds_the_keys(workspace):
    world = make_pgp_world()
    try:
        signed = pgp_signed(world, "不審な通信を検知しましたので報告いたします。\n")
    finally:
        world.stop()
    path = workspace.add_maildir()
    workspace.extra = '[replies]\nmode = "hold"\n'
    mailbox.Maildir(path, create=False).add(signed)
    assert workspace.cli("init").returncode == 0
    assert workspace.cli("poll").returncode == 0
    [case] = json.loads(workspace.cli("queue", "--json").stdout)
    shown = json.loads(workspace.cli("show", case["id"], "--json").stdout)
    assert shown["messages"][0]["security"]["protection"] == "pgp_mime"
    for extra in ([], ["--json"]):
        quick = workspace.cli_process("--verbose", "show", case["id"], *extra)
        assert BY_FULL_CLI in quick.stderr
        assert quick.stdout == workspace.cli("show", case["id"], *extra).stdout
