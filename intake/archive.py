"""The archive of raw messages: every message byte-exact, named by its SHA-256.

A message is written here (and flushed to disk) before anything else happens to it, so whatever
processing does later — quarantine included — the original bytes are safe. The database keeps
what was read from a message, never its body: :func:`read_archived` is the one way back to it.
A file is deleted only when personal data leaves (retention, or a person's erasure:
:mod:`intake.secretariat.privacy`), and only once no message that is kept shares it (same bytes, same file).
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from intake.errors import NotFound

if TYPE_CHECKING:
    from intake.config import Config
    from intake.mail import ParsedMessage


class Archive:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._unsynced: list[Path] = []  # stored with ``sync=False``, flushed by :meth:`sync`

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.eml"

    def store(self, raw: bytes, *, sync: bool = True) -> str:
        """Keep ``raw`` and return its SHA-256; storing the same bytes twice is a no-op. With
        ``sync=False`` the file is on disk only once :meth:`sync` returns (a batch of messages
        then costs one flush, before the commit that records them)."""
        digest = hashlib.sha256(raw).hexdigest()
        target = self.path_for(digest)
        if target.exists():
            return digest
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
                fh.flush()
                if sync:
                    os.fsync(fh.fileno())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        if not sync:
            self._unsynced.append(target)
        return digest

    def sync(self) -> None:
        """Flush to disk every file stored with ``sync=False`` since the last call, and the folders
        that name them: one ``syncfs`` of the archive's file system where Linux offers it, else
        each file and folder."""
        if not self._unsynced:
            return
        if not _syncfs(self.root):
            for path in self._unsynced:
                _fsync(path)
            for folder in {path.parent for path in self._unsynced}:
                _fsync(folder)
        self._unsynced.clear()

    def remove(self, sha256: str) -> bool:
        """Delete the file of ``sha256`` (True if there was one)."""
        try:
            self.path_for(sha256).unlink()
        except FileNotFoundError:
            return False
        return True

    def decrypted_copies(self, attachment_id: int) -> list[Path]:
        """The decrypted copies of an attachment kept with ``storage.keep_decrypted``, by name."""
        return sorted((self.root / "decrypted").glob(f"{attachment_id}_*"))

    def remove_decrypted(self, attachment_id: int) -> int:
        """Delete the decrypted copies of an attachment (``storage.keep_decrypted``); how many."""
        found = self.decrypted_copies(attachment_id)
        for path in found:
            path.unlink(missing_ok=True)
        return len(found)

    def load(self, sha256: str) -> bytes:
        try:
            return self.path_for(sha256).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"archived message {sha256} is missing from {self.root}") from None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _syncfs(root: Path) -> bool:
    """``syncfs(2)`` of the file system holding ``root``; False where there is none."""
    libc = _libc()
    if libc is None:
        return False
    fd = os.open(root, os.O_RDONLY)
    try:
        if libc.syncfs(fd) != 0:
            error = ctypes.get_errno()
            raise OSError(error, os.strerror(error))
    finally:
        os.close(fd)
    return True


@functools.cache
def _libc():
    if sys.platform != "linux":
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    return libc if hasattr(libc, "syncfs") else None


def read_archived(config: Config, sha256: str) -> ParsedMessage:
    """The archived message ``sha256``, loaded, opened if it was encrypted, and parsed under the
    configured limits (the archive keeps the original bytes only)."""
    from intake.mail.readable import read_message  # the keys and the configuration: not to store or load

    raw = Archive(config.storage.archive_dir).load(sha256)
    return read_message(raw, config)[0]
