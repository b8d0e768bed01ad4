"""The interface every mail source implements."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlmodel import Session

MAX_BATCH_BYTES = 64 * 1024 * 1024


def chunks(keys: Iterable, size_of: Callable[[object], int], count: int) -> Iterator[list]:
    """Batches of at most ``count`` messages and about MAX_BATCH_BYTES (a big one goes alone),
    so a backlog of big messages never sits in memory at once."""
    batch: list = []
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


class MailSource(Protocol):
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
