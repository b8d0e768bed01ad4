"""An encrypted membership application delivered to a Maildir mailbox, for the unlock, password and
fault tests: the password staff type, a wrong one, and the steps that make a file wait for it."""

from __future__ import annotations

import functools
import mailbox
from pathlib import Path

from sqlmodel import Session, select

from intake.db.tables import Attachment, ExpectedPassword
from intake.forms import write_application
from support.mailfactory import DOCX_TYPE, make_mail
from support.office_fixtures import JAPANESE_NAME, encrypt_agile
from support.samples import APPLICATION

PASSWORD = "Kasumigaseki#2026-Tel"
WRONG = "Wrong#Guess-0417"
SENDER = "yamada@example.co.jp"


@functools.cache
def encrypted_application(password: str = PASSWORD) -> bytes:
    return encrypt_agile(write_application(APPLICATION), password)


def new_mailbox(workspace, *, debug: bool = False) -> Path:
    """A membership Maildir mailbox; replies held (no SMTP); with ``debug`` the log level is DEBUG."""
    workspace.extra = '[replies]\nmode = "hold"\n'
    if debug:
        write = workspace.write

        def write_debug() -> Path:  # log_level is a top-level key: it must come before [storage]
            path = write()
            path.write_text('log_level = "DEBUG"\n' + path.read_text(encoding="utf-8"), encoding="utf-8")
            return path

        workspace.write = write_debug
    path = workspace.add_maildir(
        profile="membership", name="kyogikai", prefix="KYOGIKAI", address="kyogikai-shomu@example.jp"
    )
    assert workspace.cli("init").returncode == 0
    return path


def deliver_application(
    path: Path, *, password: str = PASSWORD, sender: str = f"山田 太郎 <{SENDER}>"
) -> None:
    data = encrypted_application(password)
    mailbox.Maildir(path, create=False).add(
        make_mail(sender=sender, attachments=[(JAPANESE_NAME, data, DOCX_TYPE)])
    )


def poll(workspace) -> str:
    result = workspace.cli("poll")
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def attachment_rows(workspace) -> list[Attachment]:
    with Session(workspace.engine()) as s:
        return list(s.exec(select(Attachment).order_by(Attachment.id)))


def expected_rows(workspace) -> list[ExpectedPassword]:
    with Session(workspace.engine()) as s:
        return list(s.exec(select(ExpectedPassword)))


def unlock(workspace, attachment_id: int, password: str):
    return workspace.cli("unlock", str(attachment_id), "--password-stdin", input=password + "\n")


def expect_password(workspace, *args: str, password: str = PASSWORD):
    return workspace.cli("expect-password", *args, "--password-stdin", input=password + "\n")


def make_pending(workspace) -> Attachment:
    """One case whose encrypted 加入申込書 waits for its password."""
    deliver_application(new_mailbox(workspace))
    poll(workspace)
    (row,) = attachment_rows(workspace)
    assert row.state == "password_pending" and row.filename == JAPANESE_NAME
    return row
