"""A local Maildir (``cur/ new/ tmp/``), for local delivery and for the demo.

The same once-only rule as IMAP: the database records each processed message by its unique file
name, in the transaction that stores it; only then is the file moved from ``new/`` to ``cur/``
(as a mail client does when it has seen a message, without marking it read), or into the
``processed_folder`` sub-Maildir when one is configured. Files are never deleted.

The ``sent_folder`` is the Maildir++ sub-folder ``.NAME`` of ``path`` (``sent_folder = "Sent"``:
``path/.Sent``; a folder a server such as Dovecot named in modified UTF-7 on disk,
``.&kAFP4W4IMH8wojCkMMYw4A-`` for ``送信済みアイテム``, is found too). It is read with ``marks=False``:
its files are recorded as ``.NAME/KEY`` (apart from the inbox's) and never moved.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from intake.config import MailboxConfig
from intake.db.tables import MaildirSeen
from intake.errors import SourceError
from intake.sources.base import Fetched, chunks


class MaildirSource:
    def __init__(
        self, *, mailbox: MailboxConfig, batch_size: int = 100, folder: str = "", marks: bool = True
    ) -> None:
        assert mailbox.path is not None
        self.mailbox = mailbox
        self.root = sub_folder(Path(mailbox.path), folder) if folder else Path(mailbox.path)
        self.prefix = f".{folder}/" if folder else ""  # a sub-folder's keys, apart from the inbox's
        self.marks = marks  # False: the database alone records what was read; files stay where they are
        self.batch_size = batch_size
        self._files: dict[str, Path] = {}

    def __enter__(self) -> MaildirSource:
        if not all((self.root / sub).is_dir() for sub in ("cur", "new", "tmp")):
            raise SourceError(
                f"mailbox {self.mailbox.name}: {self.root} is not a Maildir (needs cur/, new/ and tmp/)"
            )
        return self

    def __exit__(self, *exc: object) -> None:
        self._files.clear()

    def _listing(self) -> dict[str, Path]:
        files: dict[str, Path] = {}
        for sub in ("new", "cur"):
            with os.scandir(self.root / sub) as entries:
                for entry in entries:
                    if entry.is_file() and not entry.name.startswith("."):
                        files[entry.name.split(":", 1)[0]] = Path(entry.path)
        return files

    def batches(self, session: Session) -> Iterator[list[Fetched]]:
        seen = self._seen(session)
        try:
            listing = self._listing()
        except OSError as exc:
            raise SourceError(
                f"mailbox {self.mailbox.name}: {self.root} cannot be read ({exc.strerror})"
            ) from None
        self._repair_marks(listing, seen)
        new = sorted((k for k in listing if k not in seen), key=lambda k: (_mtime(listing[k]), k))
        self.found = len(new)
        for keys in chunks(new, lambda k: _size(listing[k]), self.batch_size):
            batch = []
            for key in keys:
                path = listing[key]
                try:
                    raw = path.read_bytes()
                except FileNotFoundError:  # taken away by someone else meanwhile
                    continue
                except OSError as exc:
                    raise SourceError(
                        f"mailbox {self.mailbox.name}: {path} cannot be read ({exc.strerror})"
                    ) from None
                self._files[key] = path
                when = datetime.fromtimestamp(_mtime(path), UTC)
                batch.append(Fetched(ref=f"maildir:{self.prefix}{key}", raw=raw, key=key, received_at=when))
            if batch:
                yield batch

    def _seen(self, session: Session) -> set[str]:
        query = select(MaildirSeen.key).where(MaildirSeen.mailbox == self.mailbox.name)
        if self.prefix:
            query = query.where(col(MaildirSeen.key).startswith(self.prefix, autoescape=True))
        return {key.removeprefix(self.prefix) for key in session.exec(query)}

    def record(self, session: Session, batch: list[Fetched]) -> None:
        for fetched in batch:
            session.merge(MaildirSeen(mailbox=self.mailbox.name, key=f"{self.prefix}{fetched.key}"))

    def mark_processed(self, batch: list[Fetched]) -> None:
        if not self.marks:
            return
        for fetched in batch:
            path = self._files.pop(str(fetched.key), None)
            if path is not None:
                self._mark(str(fetched.key), path)

    def _mark(self, key: str, path: Path) -> None:
        if self.mailbox.processed_folder:
            target_dir = self.root / f".{self.mailbox.processed_folder}" / "cur"
            for sub in ("cur", "new", "tmp"):
                (target_dir.parent / sub).mkdir(parents=True, exist_ok=True)
        elif path.parent.name == "new":
            target_dir = self.root / "cur"
        else:
            return
        name = path.name if ":" in path.name else f"{key}:2,"
        try:
            os.replace(path, target_dir / name)
        except FileNotFoundError:
            pass

    def _repair_marks(self, listing: dict[str, Path], seen: set[str]) -> None:
        if not self.marks:
            return
        for key in seen & listing.keys():
            path = listing[key]
            if path.parent.name == "new" or self.mailbox.processed_folder:
                self._mark(key, path)


def sub_folder(root: Path, name: str) -> Path:
    """The Maildir++ folder ``name`` of ``root``: ``.NAME`` as written, or as a server that keeps
    folder names in modified UTF-7 on disk wrote it (the first that exists; else ``.NAME``)."""
    plain = root / f".{name}"
    if plain.is_dir() or name.isascii():
        return plain
    from imapclient import imap_utf7  # the codec only, for a name that is not ASCII

    encoded = root / f".{imap_utf7.encode(name).decode('ascii')}"
    return encoded if encoded.is_dir() else plain


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0
