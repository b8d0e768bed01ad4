"""The token cache: refresh tokens and MSAL caches, sealed with ``storage.key_file``.

One file (``storage.token_cache_file``) holds a Fernet token of a JSON object with one entry per
server (``mailbox:anken``, ``smtp``). Every change is read–modify–written under an exclusive lock
and replaces the file atomically, so two processes (``intake run`` and ``intake auth login``) never
lose each other's update — and a provider that rotates its refresh token (Microsoft does, on every
use) finds the new one saved before the old one is forgotten.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.fernet import InvalidToken

from intake.access.keys import fernet_for, write_private
from intake.config import Config
from intake.errors import ConfigError


class TokenStore:
    def __init__(self, *, path: Path, key_file: Path) -> None:
        self.path = Path(path)
        self.key_file = Path(key_file)

    @classmethod
    def for_config(cls, config: Config) -> TokenStore:
        return cls(path=config.storage.token_cache_file, key_file=config.storage.key_file)

    def __repr__(self) -> str:
        return f"TokenStore({str(self.path)!r})"

    def get(self, name: str) -> dict:
        """The entry kept for ``name`` (empty when there is none)."""
        with self._locked(exclusive=False):
            return dict(self._read().get(name, {}))

    def put(self, name: str, entry: dict) -> None:
        """Replace the entry of ``name`` (others are kept as they are on disk now)."""
        with self._locked(exclusive=True):
            data = self._read()
            data[name] = entry
            write_private(self.path, fernet_for(self.key_file).encrypt(json.dumps(data).encode()))

    def names(self) -> list[str]:
        with self._locked(exclusive=False):
            return sorted(self._read())

    def _read(self) -> dict:
        try:
            sealed = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            return json.loads(fernet_for(self.key_file).decrypt(sealed))
        except InvalidToken:
            raise ConfigError(
                f"storage.token_cache_file: {self.path} was sealed with another key than "
                f"{self.key_file}; restore that key, or delete the file and sign in again"
            ) from None

    @contextmanager
    def _locked(self, *, exclusive: bool) -> Iterator[None]:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = self.path.with_name(self.path.name + ".lock")
        with open(lock, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
