"""Locks that let several ``intake run`` instances share one PostgreSQL database safely.

On SQLite one process polls a mailbox at a time (an ``flock``, :class:`intake.runner.guards.MailboxLock`),
and one ``intake run`` works on a database (:class:`InstanceLock`). On PostgreSQL any number of
instances, on any hosts, share the database and the mailboxes:

* :class:`CursorLock` — a mailbox's folder is polled by one instance at a time: its cursor row
  (``sourcecursor``) is taken with ``SELECT … FOR UPDATE SKIP LOCKED`` in the poll's own session,
  and taken again at the start of every transaction of the poll, so it is held for each whole
  fetch-and-store transaction. Another instance that holds it skips the mailbox this time. If the
  row was taken by someone else between two transactions of a poll, the poll is *handed over*:
  its uncommitted batch is rolled back and the other instance goes on. A killed instance's
  connection closes, and PostgreSQL releases its row lock at once. The unique index on a
  message's ``(mailbox, source_ref)`` (``imap:FOLDER:UIDVALIDITY:UID``) is the last guard.
* :class:`Leadership` — one IMAP IDLE watcher per mailbox among all instances: a session advisory
  lock on a connection of its own (a pooled connection would keep a session lock after it is
  returned to the pool). The others wait, and still poll on the schedule.
* Outbox replies are claimed with ``FOR UPDATE SKIP LOCKED`` (:func:`claim_row`), case numbers
  come from one atomic ``UPDATE … RETURNING`` (:func:`intake.cases.threads.new_case_id`).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
import time
from pathlib import Path

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from intake.errors import StorageError

log = logging.getLogger(__name__)
RETRY_SECONDS = 0.2
SOURCE_GUARD = "ux_message_source"  # the unique index of a message's (mailbox, source_ref)


def is_postgresql(bind: Engine | Connection | Session) -> bool:
    """True when ``bind`` works on PostgreSQL (the instances may be several)."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name == "postgresql"


def is_source_guard(exc: IntegrityError) -> bool:
    """The error of a message stored twice from the same place: another instance stored it."""
    return SOURCE_GUARD in str(getattr(exc, "orig", exc))


class CursorLock:
    """The poll of one mailbox folder, held through its cursor row (PostgreSQL)."""

    def __init__(self, engine: Engine, mailbox: str, folder: str) -> None:
        self.engine = engine
        self.key = {"mailbox": mailbox, "folder": folder}
        self._session: Session | None = None
        self.handed_over = False  # another instance took the row between two of our transactions
        self._last: tuple | None = None  # the cursor as our last commit left it

    def acquire(self, *, wait_seconds: float = 0.0) -> bool:
        """Take the cursor row, waiting up to ``wait_seconds``; False when another instance keeps it."""
        deadline = time.monotonic() + wait_seconds
        try:
            self._create_row()
            session = Session(self.engine)
            while (taken := self._take(session.connection())) is None:
                session.rollback()
                if time.monotonic() >= deadline:
                    session.close()
                    return False
                time.sleep(RETRY_SECONDS)
        except OperationalError as exc:
            raise StorageError(
                f"mailbox {self.key['mailbox']}: the database cannot be reached ({exc.orig})"
            ) from None
        self._last = taken
        event.listen(session, "after_begin", self._retake)
        event.listen(session, "before_commit", self._remember)
        self._session = session
        return True

    def session(self, _engine: Engine | None = None) -> Session:
        """The poll's session: its transactions hold the row."""
        assert self._session is not None, "acquire() first"
        return self._session

    def release(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def _create_row(self) -> None:
        """The row to lock exists before anyone locks it (a folder never polled has none yet)."""
        statement = text(
            "INSERT INTO sourcecursor (mailbox, folder, uidvalidity, last_uid, marked_uid) "
            "VALUES (:mailbox, :folder, 0, 0, 0) ON CONFLICT DO NOTHING"
        )
        with self.engine.begin() as conn:
            conn.execute(statement, self.key)

    def _take(self, conn: Connection) -> tuple | None:
        statement = text(
            "SELECT uidvalidity, last_uid FROM sourcecursor WHERE mailbox = :mailbox AND folder = :folder "
            "FOR UPDATE SKIP LOCKED"
        )
        row = conn.execute(statement, self.key).first()
        return None if row is None else tuple(row)

    def _retake(self, _session: Session, transaction, conn: Connection) -> None:
        if transaction.nested:
            return
        found = self._take(conn)
        if found != self._last:  # locked by another instance, or moved on by one in between
            self.handed_over = True

    def _remember(self, session: Session) -> None:
        session.flush()
        self._last = self._take(session.connection())


def claim_row(conn: Connection, table: str, row_id: int) -> bool:
    """Lock one row of ``table`` for this transaction, skipping it when another holds it
    (PostgreSQL; on SQLite the transaction's write lock already excludes everyone)."""
    if conn.dialect.name != "postgresql":
        return True
    found = conn.execute(
        text(f"SELECT id FROM {table} WHERE id = :id FOR UPDATE SKIP LOCKED"), {"id": row_id}
    )
    return found.first() is not None


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Leadership:
    """Being the one instance that does ``name`` (PostgreSQL advisory lock on a dedicated
    connection); always granted on SQLite, where one instance runs."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name
        self._conn: Connection | None = None
        self._mutex = threading.Lock()

    def take(self) -> bool:
        """Become the leader if no one is; True while this instance is."""
        if not is_postgresql(self.engine):
            return True
        with self._mutex:
            if self._conn is not None and self._alive(self._conn):
                return True
            self._drop()
            try:
                conn = self.engine.connect()
                held = conn.execute(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(self.name)}
                ).scalar()
                conn.commit()
            except OperationalError as exc:
                log.warning("%s: the database cannot be reached (%s)", self.name, exc.orig)
                return False
            if not held:
                conn.close()
                return False
            self._conn = conn
            return True

    def release(self) -> None:
        with self._mutex:
            if self._conn is not None:
                try:
                    self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(self.name)})
                    self._conn.commit()
                except OperationalError:
                    pass
            self._drop()

    def _alive(self, conn: Connection) -> bool:
        try:
            conn.execute(text("SELECT 1"))
            conn.commit()
            return True
        except OperationalError:
            return False

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()  # never back to the pool: a lock may live on it
                self._conn.close()
            except OperationalError:
                pass
            self._conn = None


class InstanceLock:
    """One ``intake run`` per SQLite database: an ``flock`` beside the database file."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".run.lock")
        self._fd: int | None = None

    def acquire(self, *, stop: threading.Event, said: list[str] | None = None) -> bool:
        """Take the lock; while another instance holds it, say so once and wait (False: stopped)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._fd = fd
                return True
            except BlockingIOError:
                if not told:
                    line = (
                        f"another `intake run` is polling this SQLite database ({self.path.with_suffix('')}); "
                        "waiting for it to stop — with SQLite one instance polls at a time, several "
                        "instances need PostgreSQL"
                    )
                    log.warning("%s", line)
                    if said is not None:
                        said.append(line)
                    told = True
                if stop.wait(1.0):
                    os.close(fd)
                    return False

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
