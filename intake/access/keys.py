"""The key file that seals secrets at rest (``storage.key_file``): a Fernet key, mode 0600.

Fernet is AES-128-CBC with HMAC-SHA256. The file is made on first use, atomically, and never
overwritten; one that other users can read is refused with the ``chmod`` that fixes it.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from cryptography.fernet import Fernet

from intake.errors import ConfigError

log = logging.getLogger(__name__)


def fernet_for(path: Path) -> Fernet:
    """The Fernet of the key in ``path``, made first if there is none."""
    if not path.exists():
        _create_key_file(path)
    return Fernet(read_key(path))


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (a reader sees the old file or the new, whole),
    mode 0600, flushed to disk before it takes the old one's place."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)


def _create_key_file(path: Path) -> None:
    """Write a new key atomically with mode 0600: a complete file appears, or none (another won)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, Fernet.generate_key() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temp, path)  # fails if the file exists: never overwrite a key in use
    except FileExistsError:
        pass
    finally:
        temp.unlink()
    log.info("created the key file %s", path)


def read_key(path: Path) -> bytes:
    """The key, after checking that nobody but its owner can read or change the file."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ConfigError(
                f"storage.key_file: {path} is open to other users (mode {mode:04o}); run: chmod 600 {path}"
            )
        key = path.read_bytes().strip()
    except OSError as exc:
        raise ConfigError(f"storage.key_file: {path} cannot be read: {exc.strerror}") from None
    try:
        Fernet(key)
    except ValueError:
        raise ConfigError(f"storage.key_file: {path} does not hold a valid key") from None
    return key
