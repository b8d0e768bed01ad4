"""Locks that let several ``intake run`` instances share one PostgreSQL database safely.

On SQLite one process polls a mailbox at a time (an ``flock``, :class:`intake.runner.guards.MailboxLock`),
and one ``intake run`` works on a database (:class:`InstanceLock`). On PostgreSQL any number of
instances, on any hosts, share the database and the mailboxes:

* :class:`CursorLock` — a mailbox's folder is polled by one instance at a time: a session advisory
  lock on a connection of its own, held for the whole poll while the poll commits message by
  message. Another instance that finds it held skips the mailbox this time. A killed instance's
  connection closes, and PostgreSQL releases the lock at once. The unique index on a message's
  ``(mailbox, source_ref)`` (``imap:FOLDER:UIDVALIDITY:UID``) is the last guard.
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

from sqlalchemy import Connection, Engine, text
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
    """The poll of one mailbox folder (PostgreSQL): a session advisory lock on a connection of its
    own, held from the start of the poll to its end, while the poll's work commits one message at
    a time on other connections. Another instance that asks while it is held skips the mailbox.
    A killed instance's connection closes and PostgreSQL releases the lock at once; if the lock's
    connection is lost while we poll, the lock may pass to another instance, so the poll notices
    (``handed_over``) and stops after the message in hand."""

    CHECK_SECONDS = 5.0  # how often the lock's connection is asked whether it is still there

    def __init__(self, engine: Engine, mailbox: str, folder: str) -> None:
        self.engine = engine
        self.name = f"intake poll {mailbox} {folder}"
        self._conn: Connection | None = None
        self._checked = 0.0

    def acquire(self, *, wait_seconds: float = 0.0) -> bool:
        """Take the lock, waiting up to ``wait_seconds``; False when another instance keeps it."""
        deadline = time.monotonic() + wait_seconds
        try:
            conn = self.engine.connect()
            while not conn.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(self.name)}
            ).scalar():
                conn.commit()
                if time.monotonic() >= deadline:
                    conn.close()
                    return False
                time.sleep(RETRY_SECONDS)
            conn.commit()
        except OperationalError as exc:
            raise StorageError(f"{self.name}: the database cannot be reached ({exc.orig})") from None
        self._conn, self._checked = conn, time.monotonic()
        return True

    def session(self, engine: Engine) -> Session:
        return Session(engine)

    @property
    def handed_over(self) -> bool:
        """True when the lock's connection is gone: another instance may poll the folder now."""
        if self._conn is None or time.monotonic() - self._checked < self.CHECK_SECONDS:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
        except OperationalError:
            return True
        self._checked = time.monotonic()
        return False

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(self.name)})
            self._conn.commit()
        except OperationalError:
            pass
        finally:
            self._conn.invalidate()  # never back to the pool: a lock may live on it
            self._conn.close()
            self._conn = None


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
