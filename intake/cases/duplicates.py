"""Whether a message is already stored: the same bytes, or the same Message-ID from the same
sender, in the same mailbox.

A poller asks for its whole batch at once (:func:`look_up_batch`, two statements), and then asks
the database again only about a message whose keys it found there, or that the batch itself
stored (every Message the session adds adds its keys): the others are new without a lookup.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlmodel import Session, col, select

from intake.db import memo
from intake.db.tables import Message
from intake.mail import ParsedMessage

_NAME = "stored_keys"


@dataclass
class _Stored:
    """Of a batch's keys, those the mailbox holds (and what the batch stored since)."""

    mailbox: str
    sha256s: set[str] = field(default_factory=set)
    ids: set[tuple[str, str]] = field(default_factory=set)  # (Message-ID, sender)


def look_up_batch(session: Session, mailbox: str, messages: Iterable[tuple[str, ParsedMessage]]) -> None:
    """Read which of the batch's keys (sha256, parsed message) the mailbox holds already."""
    given = list(messages)
    shas = sorted({sha for sha, _ in given})
    ids = sorted({parsed.message_id for _, parsed in given if parsed.message_id})
    stored = _Stored(mailbox)
    if shas:
        same_bytes = select(Message.sha256).where(Message.mailbox == mailbox, col(Message.sha256).in_(shas))
        stored.sha256s.update(session.exec(same_bytes))
    if ids:
        same_id = select(Message.message_id, Message.from_addr).where(
            Message.mailbox == mailbox, col(Message.message_id).in_(ids)
        )
        stored.ids.update((mid, sender) for mid, sender in session.exec(same_id) if mid)
    memo.keep(session, _NAME, stored)
    if not event.contains(session, "transient_to_pending", _add_written):
        event.listen(session, "transient_to_pending", _add_written)


def duplicate_of(session: Session, mailbox: str, sha256: str, parsed: ParsedMessage) -> Message | None:
    """The stored message this one repeats, if any. Two lookups, each on its own index: one
    query with OR made SQLite scan the whole mailbox."""
    stored: _Stored | None = memo.peek(session, _NAME)
    if stored is not None and stored.mailbox == mailbox and sha256 not in stored.sha256s:
        if not parsed.message_id or (parsed.message_id, parsed.from_addr) not in stored.ids:
            return None  # none of its keys is in the mailbox
    same_bytes = select(Message).where(Message.sha256 == sha256, Message.mailbox == mailbox).limit(1)
    found = session.exec(same_bytes).first()
    if found is None and parsed.message_id:
        same_id = select(Message).where(
            Message.message_id == parsed.message_id,
            Message.from_addr == parsed.from_addr,
            Message.mailbox == mailbox,
        )
        found = session.exec(same_id.limit(1)).first()
    return found


def _add_written(session: Session, row: object) -> None:
    """Messages the batch writes count as stored for the rest of it (from when they are added: a
    batch may write them all in one flush at its end)."""
    stored: _Stored | None = memo.peek(session, _NAME)
    if stored is not None and isinstance(row, Message) and row.mailbox == stored.mailbox:
        stored.sha256s.add(row.sha256)
        if row.message_id:
            stored.ids.add((row.message_id, row.from_addr))
