"""Two guards of a mailbox's poll, kept as small files beside the archive (``archive_dir/.state``).

* :class:`MailboxLock` — one poller per mailbox at a time. A second ``intake poll`` waits its turn;
  the service skips a mailbox another process is polling. The lock is an ``flock`` on a file, so
  the kernel releases it when its process dies, however it dies.
  On PostgreSQL, where instances on several hosts share the database, :func:`poll_lock` gives an
  advisory lock held for the poll instead (:class:`intake.db.locks.CursorLock`).
* :class:`InFlight` — the message in hand. Its hash is written before the message is processed and
  cleared when processing returns; a file still naming one at the next start means the poller
  died with it in hand (killed, or out of memory). A message in hand at two such deaths is not
  tried a third time: it goes to the quarantine (``intake reprocess`` tries it again), so one
  hostile message cannot stop its mailbox for good.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from intake.config import MailboxConfig
from intake.db.locks import CursorLock, is_postgresql
from intake.sources import kind_of

DEATHS_BEFORE_QUARANTINE = 2
_RECORD = 65  # a SHA-256 in hex and a newline


def state_dir(archive_dir: Path) -> Path:
    path = Path(archive_dir) / ".state"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


class PollLock(Protocol):
    @property
    def handed_over(self) -> bool: ...  # another instance may poll the mailbox now (the lock was lost)

    def acquire(self, *, wait_seconds: float = 0.0) -> bool: ...

    def release(self) -> None: ...

    def session(self, engine: Engine) -> Session: ...


def poll_lock(engine: Engine, archive_dir: Path, mailbox: MailboxConfig) -> PollLock:
    """The lock of one mailbox's poll: an advisory lock on PostgreSQL, a file lock on SQLite."""
    if is_postgresql(engine):
        return CursorLock(engine, mailbox.name, kind_of(mailbox).lock_folder(mailbox))
    return MailboxLock(archive_dir, mailbox.name)


class MailboxLock:
    """An exclusive lock on one mailbox's poll, held by an open file descriptor."""

    handed_over = False  # one process polls: no one takes the poll over

    def __init__(self, archive_dir: Path, mailbox: str) -> None:
        self.path = state_dir(archive_dir) / f"{mailbox}.lock"
        self._fd: int | None = None

    def session(self, engine: Engine) -> Session:
        return Session(engine)

    def acquire(self, *, wait_seconds: float = 0.0) -> bool:
        """Take the lock, waiting up to ``wait_seconds``; False when another process keeps it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(0.2)
                continue
            self._fd = fd
            return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None


class InFlight:
    """The message a poller of one mailbox has in hand, and how often one was found there after
    the poller died (``<mailbox>.inflight`` and ``<mailbox>.deaths`` in the state folder)."""

    def __init__(self, archive_dir: Path, mailbox: str) -> None:
        folder = state_dir(archive_dir)
        self.marker = folder / f"{mailbox}.inflight"
        self.deaths_file = folder / f"{mailbox}.deaths"
        self._fd: int | None = None
        self.deaths: dict[str, int] = {}

    def open(self) -> str | None:
        """Start a poll (holding the mailbox lock): count a death for a message left in hand by
        the previous poller, if any, and return its hash."""
        self.deaths = self._load_deaths()
        self._fd = os.open(self.marker, os.O_RDWR | os.O_CREAT, 0o600)
        left = os.pread(self._fd, _RECORD, 0).decode("ascii", "replace").strip()
        if left:
            self.deaths[left] = self.deaths.get(left, 0) + 1
            self._save_deaths()
        self.clear()  # also gives the file its size once, while there is room
        return left or None

    def close(self) -> None:
        if self._fd is not None:
            self.clear()
            os.close(self._fd)
            self._fd = None

    def begin(self, sha256: str) -> None:
        """Name the message about to be processed (no fsync: it must outlive the process, not the OS)."""
        if self._fd is not None:
            os.pwrite(self._fd, f"{sha256}\n".encode("ascii"), 0)

    def clear(self) -> None:
        """Blank the record in place: the file keeps its size, so a full disk cannot stop it."""
        if self._fd is not None:
            os.pwrite(self._fd, b" " * (_RECORD - 1) + b"\n", 0)

    def killed_poller(self, sha256: str) -> bool:
        """True when this message was in hand at enough deaths to be set aside."""
        return self.deaths.get(sha256, 0) >= DEATHS_BEFORE_QUARANTINE

    def forget(self, sha256: str) -> None:
        if self.deaths.pop(sha256, None) is not None:
            self._save_deaths()

    def _load_deaths(self) -> dict[str, int]:
        with contextlib.suppress(FileNotFoundError, ValueError):
            data = json.loads(self.deaths_file.read_text(encoding="ascii"))
            return {str(k): int(v) for k, v in data.items()}
        return {}

    def _save_deaths(self) -> None:
        temp = self.deaths_file.with_suffix(".tmp")
        temp.write_text(json.dumps(self.deaths), encoding="ascii")
        temp.chmod(0o600)
        os.replace(temp, self.deaths_file)
