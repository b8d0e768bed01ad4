"""A local Maildir (``cur/ new/ tmp/``), for local delivery and for the demo.

The same once-only rule as IMAP: the database records each processed message by its unique file
name, in the transaction that stores it; only then is the file moved from ``new/`` to ``cur/``
(as a mail client does when it has seen a message, without marking it read), or into the
``processed_folder`` sub-Maildir when one is configured. Files are never deleted.

The ``sent_folder`` is the Maildir++ sub-folder ``.NAME`` of ``path`` (``sent_folder = "Sent"``:
``path/.Sent``; a folder a server such as Dovecot named in modified UTF-7 on disk,
``.&kAFP4W4IMH8wojCkMMYw4A-`` for ``送信済みアイテム``, is found too). It is read with ``marks=False``:
its files are recorded as ``.NAME/KEY`` (apart from the inbox's) and never moved.

The kind ``maildir``: its keys (``path``, ``processed_folder``, ``sent_folder``), its cursor (the
``maildir_seen`` table: one row per file name), its doctor lines and the folder ``intake run``
writes in. No push watcher: the schedule polls it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import model_validator
from sqlalchemy import text
from sqlmodel import Session, col, select

from intake.config import MailboxConfig
from intake.config.base import FilePath
from intake.db.tables import MaildirSeen
from intake.errors import SourceError
from intake.sources.base import Fetched, MailSource, Probe, SourceKind, chunks
from intake.sources.registry import register

if TYPE_CHECKING:
    from collections.abc import Callable

    from intake.access.login import Login
    from intake.config import Config

_SEEN = 'INSERT INTO {table} (mailbox, "key") VALUES (:mailbox, :key) ON CONFLICT DO NOTHING'


class MaildirMailbox(MailboxConfig):
    """``source = "maildir"``: the Maildir at ``path``; ``processed_folder`` (empty: ``new/`` →
    ``cur/``) is the Maildir++ sub-folder processed messages move to, ``sent_folder`` the one
    staff's sent mail is read from."""

    source: Literal["maildir"]
    path: FilePath | None = None
    processed_folder: str = ""

    @model_validator(mode="after")
    def _maildir_keys(self) -> MaildirMailbox:
        if self.path is None:
            raise ValueError('path: required when source = "maildir"')
        self.check_sent_folder("INBOX", self.processed_folder)
        sent = self.sent_folder
        if sent and ("/" in sent or sent.startswith(".")):
            raise ValueError(
                f'sent_folder: {sent!r} is not a Maildir++ folder name (write "Sent" for {{path}}/.Sent)'
            )
        return self

    def anchored(self, anchor: Callable[[Path | None], Path | None]) -> MaildirMailbox:
        return self.model_copy(update={"path": anchor(self.path)})

    @property
    def root(self) -> Path:
        assert self.path is not None  # required by the validator
        return Path(self.path)


class MaildirSource:
    login: Login | None = None  # a local folder: no sign-in

    def __init__(
        self, *, mailbox: MaildirMailbox, batch_size: int = 100, folder: str = "", marks: bool = True
    ) -> None:
        self.mailbox = mailbox
        self.root = sub_folder(mailbox.root, folder) if folder else mailbox.root
        self.prefix = f".{folder}/" if folder else ""  # a sub-folder's keys, apart from the inbox's
        self.marks = marks  # False: the database alone records what was read; files stay where they are
        self.batch_size = batch_size
        self.found = 0
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
        """The batch's files as seen: one statement (a file seen already stays as it is)."""
        rows = [{"mailbox": self.mailbox.name, "key": f"{self.prefix}{fetched.key}"} for fetched in batch]
        if rows:
            table = MaildirSeen.__table__  # type: ignore[attr-defined]  # SQLModel declares no __table__
            session.connection().execute(text(_SEEN.format(table=table.name)), rows)

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


def is_maildir(path: Path) -> bool:
    return all((path / d).is_dir() for d in ("cur", "new", "tmp"))


class MaildirKind(SourceKind[MaildirMailbox]):
    name = "maildir"
    config = MaildirMailbox

    def open(self, mailbox: MailboxConfig, config: Config, *, sent: bool = False) -> MailSource:
        box = self.own(mailbox)
        folder = box.sent_folder if sent else ""
        return MaildirSource(mailbox=box, batch_size=config.imap.batch_size, folder=folder, marks=not sent)

    def is_sent(self, mailbox: MailboxConfig, ref: str) -> bool:
        """``maildir:.FOLDER/KEY`` is a message of the sent folder (the inbox's are ``maildir:KEY``)."""
        return ref.startswith(f"maildir:.{mailbox.sent_folder}/")

    def probe(self, mailbox: MailboxConfig, config: Config) -> list[Probe]:
        box = self.own(mailbox)
        ok = is_maildir(box.root)
        fix = "" if ok else f"make {box.path} a Maildir (cur/, new/, tmp/) or correct path"
        probes = [Probe("ok" if ok else "fail", f"Maildir {box.path}", fix)]
        return probes + ([_sent_probe(box)] if ok and box.sent_folder else [])

    def writable_dirs(self, mailbox: MailboxConfig) -> list[Path]:
        return [self.own(mailbox).root.absolute()]


def _sent_probe(mailbox: MaildirMailbox) -> Probe:
    folder = sub_folder(mailbox.root, mailbox.sent_folder)
    if is_maildir(folder):
        return Probe("ok", f"sent_folder {mailbox.sent_folder!r}: Maildir {folder}")
    fix = f"make {folder} a Maildir (cur/, new/, tmp/), or set sent_folder to the mail program's sent folder"
    return Probe("fail", f"no sent_folder {mailbox.sent_folder!r} ({folder})", fix)


KIND = register(MaildirKind())
