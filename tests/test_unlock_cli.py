"""`intake unlock ID --password-stdin`, `intake expect-password`, `intake check-office`, and the
password phoned in ahead opening mail on arrival; no password is left anywhere afterwards.

Cases are made the real way: an encrypted Word form is delivered to a Maildir and polled.
"""

from __future__ import annotations

import stat
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from intake.cases.expected import aware
from intake.db.tables import Attachment, AuditEntry, ExpectedPassword, utcnow
from support.at_rest import snapshot
from support.unlocking import (
    PASSWORD,
    SENDER,
    WRONG,
    attachment_rows,
    deliver_application,
    expect_password,
    expected_rows,
    make_pending,
    new_mailbox,
    poll,
    unlock,
)


@pytest.fixture
def pending(workspace) -> Attachment:
    return make_pending(workspace)


# -- unlock --password-stdin -----------------------------------------------------------------------


def test_unlock_stdin_wrong_password_exits_3_and_keeps_the_file_pending(workspace, pending):
    result = unlock(workspace, pending.id, WRONG)
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "パスワードが違います" in lines[0] and "wrong password" in lines[0]
    assert WRONG not in result.stdout + result.stderr
    (row,) = attachment_rows(workspace)
    assert (row.state, row.attempts) == ("password_pending", 1)  # the attempt was committed


def test_unlock_stdin_right_password_exits_0_with_what_was_read(workspace, pending):
    result = unlock(workspace, pending.id, PASSWORD)
    assert result.returncode == 0, result.stderr
    assert "opened" in result.stdout and "加入申込書:" in result.stdout and "fields read" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    (row,) = attachment_rows(workspace)
    assert (row.state, row.document) == ("decrypted", "application")


def test_unlock_stdin_exits_1_when_not_pending_or_unknown_and_2_without_a_password(workspace, pending):
    assert unlock(workspace, pending.id, PASSWORD).returncode == 0
    again = unlock(workspace, pending.id, PASSWORD)
    assert again.returncode == 1 and f"no attachment {pending.id} waiting for a password" in again.stderr
    assert unlock(workspace, 9999, PASSWORD).returncode == 1
    empty = workspace.cli("unlock", str(pending.id), "--password-stdin", input="")
    assert empty.returncode == 2 and "no password" in empty.stderr
    assert workspace.cli("unlock", "--password-stdin", input=PASSWORD + "\n").returncode == 2


# -- expect-password -------------------------------------------------------------------------------


def test_expect_password_needs_exactly_one_of_sender_and_org(workspace):
    new_mailbox(workspace)
    assert expect_password(workspace).returncode == 2
    both = expect_password(workspace, "--sender", SENDER, "--org", "テスト株式会社")
    assert both.returncode == 2 and "exactly one" in both.stderr
    assert expect_password(workspace, "--sender", "not-an-address").returncode == 2
    assert expected_rows(workspace) == []


def test_expect_password_says_until_when_and_never_prints_the_password(workspace):
    new_mailbox(workspace)
    result = expect_password(workspace, "--sender", SENDER, "--ttl-hours", "5")
    assert result.returncode == 0, result.stderr
    assert (
        SENDER in result.stdout and "JST" in result.stdout and PASSWORD not in result.stdout + result.stderr
    )
    (row,) = expected_rows(workspace)
    assert timedelta(hours=4.9) < aware(row.expires_at) - utcnow() < timedelta(hours=5.1)
    key_file = workspace.root / "storage" / "intake.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


# -- a password phoned in ahead, used on arrival ----------------------------------------------------


@pytest.mark.parametrize("who", [("--sender", "YAMADA@Example.co.jp"), ("--org", "テスト(株)")])
def test_password_phoned_in_ahead_opens_the_mail_on_arrival_and_is_gone(workspace, who):
    path = new_mailbox(workspace)
    assert expect_password(workspace, *who).returncode == 0
    deliver_application(path)
    poll(workspace)
    (row,) = attachment_rows(workspace)
    assert (row.state, row.document, row.attempts) == ("decrypted", "application", 1)
    assert expected_rows(workspace) == []
    with Session(workspace.engine()) as s:
        actions = [a.action for a in s.exec(select(AuditEntry).order_by(AuditEntry.id))]
    assert "expected_password_used" in actions and "unlocked" in actions


def test_a_wrong_password_phoned_in_is_tried_once_then_gone(workspace):
    path = new_mailbox(workspace)
    assert expect_password(workspace, "--sender", SENDER, password=WRONG).returncode == 0
    deliver_application(path)
    poll(workspace)
    (row,) = attachment_rows(workspace)
    assert (row.state, row.attempts) == ("password_pending", 1)
    assert expected_rows(workspace) == []


def test_an_expired_password_is_not_used_and_is_purged(workspace):
    path = new_mailbox(workspace)
    assert expect_password(workspace, "--sender", SENDER).returncode == 0
    with Session(workspace.engine()) as s:
        (row,) = s.exec(select(ExpectedPassword)).all()
        row.expires_at = utcnow() - timedelta(hours=1)
        s.add(row)
        s.commit()
    deliver_application(path)
    poll(workspace)
    (attachment,) = attachment_rows(workspace)
    assert (attachment.state, attachment.attempts) == ("password_pending", 0)
    assert expected_rows(workspace) == []
    with Session(workspace.engine()) as s:
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "password_expired")).all()


def test_an_expired_password_is_deleted_by_the_next_poll_even_without_mail(workspace):
    new_mailbox(workspace)
    assert expect_password(workspace, "--sender", SENDER).returncode == 0
    with Session(workspace.engine()) as s:
        (row,) = s.exec(select(ExpectedPassword)).all()
        row.expires_at = utcnow() - timedelta(minutes=1)
        s.add(row)
        s.commit()
    poll(workspace)
    assert expected_rows(workspace) == []


# -- no password anywhere --------------------------------------------------------------------------


def _all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_no_password_in_logs_database_archive_or_any_file(workspace):
    """Every flow at log level DEBUG; then the passwords must be in no output and no file — the
    database's among them (SQLite's file, or PostgreSQL's files, WAL and rows: support.at_rest)."""
    started = time.time()
    path = new_mailbox(workspace, debug=True)
    outputs = []
    for args, password in [(("--sender", SENDER), PASSWORD), (("--org", "別組織株式会社"), WRONG)]:
        result = expect_password(workspace, *args, password=password)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout + result.stderr)
    deliver_application(path)  # opened on arrival by the password phoned in
    deliver_application(path, sender="佐藤 <sato@example.co.jp>", password=WRONG)
    outputs.append(poll(workspace))
    second = [a for a in attachment_rows(workspace) if a.state == "password_pending"]
    assert len(second) == 1
    for password, code in [(PASSWORD, 3), (WRONG, 0)]:
        result = unlock(workspace, second[0].id, password)
        assert result.returncode == code, result.stderr
        outputs.append(result.stdout + result.stderr)
    assert all(a.state == "decrypted" for a in attachment_rows(workspace))
    assert "DEBUG intake.cases.expected" in "".join(outputs)  # the log level did apply
    database = snapshot(workspace.database, workspace.root / "database-copy", since=started)
    files = _all_files(workspace.root)
    assert "intake.key" in {p.name for p in files} and database and set(database) <= set(files)
    assert any("messages" in p.parts for p in files)  # the archive is among the files searched
    for secret in (PASSWORD, WRONG):
        assert secret not in "".join(outputs)
        for encoded in {secret.encode("utf-8"), secret.encode("utf-16-le")}:
            leaked = [str(p) for p in files if encoded in p.read_bytes()]
            assert leaked == [], f"a password is written in {leaked}"
