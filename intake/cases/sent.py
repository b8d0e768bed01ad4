"""Replies staff wrote in their own mail program, read from the mailbox's ``sent_folder``.

Staff sometimes answer a sender from the shared mailbox in Thunderbird or Outlook rather than from
the desk; the copy their program keeps in the Sent folder joins the case it answers — by the case
tag ``[KYOGIKAI-2026-0001]`` in its subject or by its In-Reply-To / References, exactly as incoming
mail finds its case (:func:`~intake.cases.threads.find_thread_case`) — as an outgoing message,
so the case's history tells the whole conversation.

Such a message is a record of what was said, nothing more: it opens no case, changes no status,
re-evaluates no finding and so can never make intake send anything. A copy of a message the case
already holds (the same bytes, or the same Message-ID — our own automatic reply, which the server
or a mail client saved into Sent, carries the Message-ID intake gave it) is not added again.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from intake.cases.ingest import ACTOR, Ingested
from intake.cases.threads import find_thread_case
from intake.config import MailboxConfig
from intake.db import audit
from intake.db.tables import Case, Message, utcnow
from intake.mail import ParsedMessage

ACTION = "sent_elsewhere"  # the audit entry of a reply written outside intake


def join_sent(
    session: Session,
    *,
    mailbox: MailboxConfig,
    parsed: ParsedMessage,
    size: int,
    sha256: str,
    source_ref: str,
    received_at: datetime | None = None,
) -> Ingested:
    """Add one sent message to the case it answers, in the caller's transaction. ``case_id`` is
    None when it answers no case (nothing is written); ``duplicate`` when the case holds it."""
    held = _already_held(session, mailbox.name, sha256, parsed.message_id)
    if held is not None:
        return Ingested(case_id=held.case_id, message_pk=held.id, duplicate=True)
    case = find_thread_case(session, mailbox=mailbox.name, prefix=mailbox.case_prefix, parsed=parsed)
    if case is None:
        return Ingested(case_id=None)
    message = _record(session, case, mailbox, parsed, size, sha256, source_ref, received_at)
    audit.record(
        session,
        by=ACTOR,
        action=ACTION,
        case_id=case.id,
        detail={"message": message.id, "source": source_ref},
    )
    return Ingested(case_id=case.id, message_pk=message.id)


def _already_held(session: Session, mailbox: str, sha256: str, message_id: str | None) -> Message | None:
    """The same bytes, or the same Message-ID, already in this mailbox (any direction): a second
    copy of one mail, read again after a UIDVALIDITY change, or a reply intake sent itself."""
    same_bytes = select(Message).where(Message.sha256 == sha256, Message.mailbox == mailbox)
    found = session.exec(same_bytes.limit(1)).first()
    if found is None and message_id:
        same_id = select(Message).where(Message.message_id == message_id, Message.mailbox == mailbox)
        found = session.exec(same_id.limit(1)).first()
    return found


def _record(
    session: Session,
    case: Case,
    mailbox: MailboxConfig,
    parsed: ParsedMessage,
    size: int,
    sha256: str,
    source_ref: str,
    received_at: datetime | None,
) -> Message:
    """The outgoing message. Its attachments are not recorded: the checks read what senders
    sent, never what staff sent them (the raw bytes keep everything)."""
    message = Message(
        case_id=case.id,
        mailbox=mailbox.name,
        direction="out",
        message_id=parsed.message_id,
        in_reply_to=" ".join(parsed.in_reply_to),
        references=" ".join(parsed.references),
        sha256=sha256,
        size=size,
        subject=parsed.subject,
        from_addr=parsed.from_addr,
        from_name=parsed.from_name,
        date=parsed.date,
        source_ref=source_ref,
    )
    if received_at is not None:
        message.received_at = received_at
    case.updated_at = utcnow()  # mail joined: retention counts from here (a purged case is purged again)
    session.add_all([message, case])
    session.flush()
    return message
