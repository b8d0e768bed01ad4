"""The interfaces every kind of mail source implements: :class:`MailSource`, what the poller reads
from, and :class:`SourceKind`, the registered object that says how a kind is configured, opened,
watched, checked and shown."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Generic, Literal, Protocol, TypeVar

from sqlmodel import Session

from intake.config import MailboxConfig

if TYPE_CHECKING:
    from intake.access.login import Login
    from intake.config import Config
    from intake.db.locks import Leadership

MAX_BATCH_BYTES = 64 * 1024 * 1024


_Key = TypeVar("_Key")


def chunks(keys: Iterable[_Key], size_of: Callable[[_Key], int], count: int) -> Iterator[list[_Key]]:
    """Batches of at most ``count`` messages and about MAX_BATCH_BYTES (a big one goes alone),
    so a backlog of big messages never sits in memory at once."""
    batch: list[_Key] = []
    total = 0
    for key in keys:
        size = size_of(key)
        if batch and (len(batch) >= count or total + size > MAX_BATCH_BYTES):
            yield batch
            batch, total = [], 0
        batch.append(key)
        total += size
    if batch:
        yield batch


@dataclass(frozen=True)
class Fetched:
    """One message as read from its source, not yet processed."""

    ref: str  # where it came from, e.g. imap:INBOX:1700000000:42 or maildir:1700000000.M1P2.host
    raw: bytes
    key: int | str  # the source's own handle: the IMAP UID or the Maildir key
    received_at: datetime | None = None  # when the server got it (IMAP INTERNALDATE, file time)
    # The server rebuilt the MIME from its store (Graph's ``$value``): a DKIM signature over the
    # bytes that arrived is not verified again over these.
    regenerated: bool = False
    # Why the message was not downloaded (over ``[limits] max_message_mb``): ``raw`` then only
    # names it, and the message goes to the quarantine with this reason.
    refused: str = ""


class MailSource(Protocol):
    """One folder of one mailbox, opened (``with``) for one poll."""

    found: int  # new messages the last ``batches`` found (the backlog the health table shows)
    login: Login | None  # the sign-in used (its token's expiry is shown), None where there is none

    def __enter__(self) -> MailSource: ...

    def __exit__(self, *exc: object) -> None: ...

    def batches(self, session: Session) -> Iterator[list[Fetched]]:
        """New messages in batches, oldest first; reads how far it got from ``session``."""
        ...

    def record(self, session: Session, batch: list[Fetched]) -> None:
        """Write in ``session`` that ``batch`` is processed (committed with the cases)."""
        ...

    def mark_processed(self, batch: list[Fetched]) -> None:
        """After the commit: mark the batch at the source (keyword or move)."""
        ...


@dataclass(frozen=True)
class Probe:
    """One line of ``intake doctor`` about a mailbox: ``ok``, ``warn`` or ``fail``, and the fix."""

    state: Literal["ok", "warn", "fail"]
    detail: str
    fix: str = ""


C = TypeVar("C", bound=MailboxConfig)


class SourceKind(ABC, Generic[C]):
    """A kind of mail source (``[[mailbox]] source = NAME``), registered once with
    :func:`intake.sources.registry.register`. Everything outside :mod:`intake.sources` asks the
    mailbox's kind (:func:`intake.sources.kind_of`) and never compares source names.

    The :class:`MailSource` it opens keeps the kind's cursor (``batches`` reads it, ``record``
    advances it in the poll's transaction) and marks what was processed (``mark_processed``, after
    the commit); its config class names the OAuth2 scopes it signs in with (``DEFAULT_SCOPES`` of
    :class:`~intake.config.ServerConfig`)."""

    name: ClassVar[str]  # the value of ``source``
    config: ClassVar[type[MailboxConfig]]  # its keys, validated when the configuration is read

    def own(self, mailbox: MailboxConfig) -> C:
        """The mailbox as this kind's config class (it was read as one)."""
        if not isinstance(mailbox, self.config):
            raise TypeError(f"mailbox {mailbox.name} is not a {self.name} mailbox")
        return mailbox  # type: ignore[return-value]

    @abstractmethod
    def open(self, mailbox: MailboxConfig, config: Config, *, sent: bool = False) -> MailSource:
        """The mailbox's inbox, or with ``sent`` its ``sent_folder`` (read by the cursor alone,
        never marked)."""

    @abstractmethod
    def is_sent(self, mailbox: MailboxConfig, ref: str) -> bool:
        """Whether ``ref`` (a :attr:`Fetched.ref` of this kind) is a message of the sent folder."""

    @abstractmethod
    def health_kind(self, mailbox: MailboxConfig) -> str:
        """How the health table names the way in (``auth_kind``): a sign-in, or the kind."""

    def sign_in(self, mailbox: MailboxConfig) -> str:
        """How the mailbox is signed in to, as status shows it (``microsoft/app``); ``-`` when
        there is no sign-in (a local folder)."""
        return "-"

    @abstractmethod
    def probe(self, mailbox: MailboxConfig, config: Config) -> list[Probe]:
        """``intake doctor``'s lines: everything tried once, nothing changed."""

    def lock_folder(self, mailbox: MailboxConfig) -> str:
        """The folder named in the lock one poll of the mailbox holds (several instances on
        PostgreSQL: ``intake poll MAILBOX FOLDER``), so that instances of every version agree."""
        return "INBOX"

    def watches(self, mailbox: MailboxConfig) -> bool:
        """Whether ``intake run`` keeps a push watcher on the mailbox (new mail polled at once)."""
        return False

    def watcher(
        self,
        mailbox: MailboxConfig,
        config: Config,
        *,
        on_mail: Callable[[], object],
        stop: threading.Event,
        leader: Leadership,
        leader_retry: float,
    ) -> threading.Thread:
        """The push watcher (started by the service) that calls ``on_mail`` on news."""
        raise NotImplementedError(f"{self.name} mailboxes have no watcher")

    def writable_dirs(self, mailbox: MailboxConfig) -> list[Path]:
        """Local folders ``intake run`` moves messages in (the systemd unit's ReadWritePaths)."""
        return []
