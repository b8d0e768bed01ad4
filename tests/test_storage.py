"""Database and archive guarantees (issue 2)."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from intake.archive import Archive
from intake.db import current_revision, head_revision, make_engine, upgrade
from intake.db.engine import MIGRATIONS
from intake.db.locks import is_postgresql, is_source_guard
from intake.db.tables import Message
from support.smtp_server import add_case


@pytest.mark.sqlite_only(reason="the database file's mode and WAL journal are SQLite's")
def test_init_is_idempotent_and_creates_a_private_wal_database(workspace):
    workspace.write()
    first = workspace.cli("init")
    assert first.returncode == 0, first.stderr
    assert "upgraded from nothing" in first.stdout
    again = workspace.cli("init")
    assert again.returncode == 0
    assert "database is current" in again.stdout

    db = workspace.root / "intake.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert current_revision(engine) == head_revision()


def test_commands_refuse_an_uninitialised_database(workspace):
    workspace.write()
    result = workspace.cli("queue")
    assert result.returncode == 1
    assert "run `intake init`" in result.stderr


def test_the_head_revision_read_from_the_file_names_is_alembics(tmp_path):
    """Commands check the schema without loading Alembic: each migration's file name starts with
    its revision, so the newest file name is the head."""
    scripts = ScriptDirectory(str(MIGRATIONS))
    assert head_revision() == scripts.get_current_head()
    for script in scripts.walk_revisions():
        assert Path(script.path).name.startswith(f"{script.revision}_"), script.path
    engine = make_engine(f"sqlite:///{tmp_path}/fresh.db")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_any_sqlalchemy_url_is_accepted(tmp_path):
    engine = make_engine(f"sqlite+pysqlite:///{tmp_path}/other.db")
    assert upgrade(engine) == (None, head_revision())


def test_archive_keeps_bytes_exactly_named_by_sha256(tmp_path):
    archive = Archive(tmp_path / "messages")
    raw = b"Subject: =?ISO-2022-JP?B?GyRCJTUlJCVQITwbKEI=?=\r\n\r\n\x1b$B$3$s$K$A$O\x1b(B\r\n"
    digest = archive.store(raw)
    assert digest == hashlib.sha256(raw).hexdigest()
    assert archive.load(digest) == raw
    assert archive.store(raw) == digest  # storing again changes nothing
    path = archive.path_for(digest)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(path.parent.glob("*.tmp*")) == []


@pytest.mark.parametrize("ref", ["graph:Inbox:AAMkAGI2TG93AAA=", "imap:INBOX:1700000000:42"])
def test_a_message_is_stored_once_per_place_it_was_read_from(workspace, ref):
    """The last guard when instances share a database: a second row for the same mailbox and
    place (an IMAP UID, a Graph message id) is refused by the database itself."""
    engine = workspace.engine()
    with Session(engine) as session:
        case, first = add_case(session)
        first.source_ref = ref
        session.commit()
        again = Message(case_id=case.id, mailbox=case.mailbox, sha256="b" * 64, source_ref=ref)
        session.add(again)
        with pytest.raises(IntegrityError) as refused:
            session.flush()
    if is_postgresql(engine):  # the error names the index: how an instance knows another stored it
        assert is_source_guard(refused.value)
