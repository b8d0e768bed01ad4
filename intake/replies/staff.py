"""A reply staff wrote, queued in the same outbox as the automatic ones.

It is a person's mail: no ``Auto-Submitted`` mark, and the loop guards meant for robots (the
per-sender cap, the backlog, already replied) do not apply — our own addresses are still refused.
It threads to the case's last incoming message, carries the case tag and its own Message-ID, may
have Cc recipients and files. With files the whole message is built once, here, and kept in the
archive (``OutboxReply.raw_sha256``): every retry sends the same bytes. With ``[replies]
staff_review`` it waits (held) until another desk user releases it
(:func:`intake.replies.outbox.release`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy

from sqlmodel import Session

from intake.archive import Archive
from intake.clock import as_utc
from intake.config import Config
from intake.db.tables import Case, Message, OutboxReply, utcnow
from intake.errors import IntakeError
from intake.replies.compose import (
    new_message_id,
    recipient_address,
    reply_subject,
    thread_headers,
    to_email_message,
)
from intake.replies.outbox import is_own_address
from intake.replies.planning import record_outgoing

STAFF_TEMPLATE = "staff"  # the template column of a reply written without a template


class StaffReplyError(IntakeError):
    """A staff reply that cannot go as asked (an address, the files); said in Japanese."""


@dataclass(frozen=True, kw_only=True)
class ReplyFile:
    """A file a staff reply carries: one of the case's attachments, or one uploaded."""

    filename: str
    content_type: str
    data: bytes


def checked_recipient(config: Config, address: str) -> str:
    """``address`` as one usable recipient that is not one of ours, in lower case."""
    text = address.strip()
    try:
        recipient_address(text)
    except ValueError:
        raise StaffReplyError(f"宛先のアドレスが正しくありません: {text!r}") from None
    if is_own_address(config, text):
        raise StaffReplyError(f"事務局自身のアドレスには送信できません: {text}")
    return text.lower()


def queue_staff_reply(
    session: Session,
    *,
    config: Config,
    case: Case,
    trigger: Message | None,
    to_addr: str,
    cc: Sequence[str] = (),
    body: str,
    template: str | None,
    author: str,
    files: Sequence[ReplyFile] = (),
    now: datetime | None = None,
) -> OutboxReply:
    """Queue the reply (held under ``staff_review``) in the caller's transaction, with its message
    on the case; the caller audits and commits."""
    now = as_utc(now or utcnow())
    to_addr = checked_recipient(config, to_addr)
    copies = [checked_recipient(config, a) for a in cc if a.strip()]
    if not body.strip():
        raise StaffReplyError("本文が空です")
    mailbox = config.get_mailbox(case.mailbox)
    parent, chain = thread_headers(
        trigger.message_id if trigger else None, trigger.references if trigger else None
    )
    reply = OutboxReply(
        case_id=case.id,
        mailbox=case.mailbox,
        template=f"{STAFF_TEMPLATE}:{template}" if template else STAFF_TEMPLATE,
        to_addr=to_addr,
        cc=", ".join(dict.fromkeys(copies)),
        subject=reply_subject((trigger.subject if trigger else "") or case.subject, case.id),
        message_id=new_message_id(case.id, mailbox.address.rpartition("@")[2]),
        in_reply_to=parent,
        references=" ".join(chain),
        body=body.rstrip() + "\n",
        state="held" if config.replies.staff_review else "queued",
        author=author,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(reply)
    session.flush()
    sha256, size = _archive_built(config, reply, mailbox.address, files, now) if files else ("", 0)
    reply.raw_sha256 = sha256 or None
    session.add(reply)
    record_outgoing(session, case, reply, mailbox.address, sha256=sha256, size=size)
    return reply


def _archive_built(
    config: Config, reply: OutboxReply, from_addr: str, files: Sequence[ReplyFile], now: datetime
) -> tuple[str, int]:
    """Build the message with its files and keep it in the archive: (its SHA-256, its size)."""
    limit = int(config.replies.max_attachment_mb * 1024 * 1024)
    total = sum(len(f.data) for f in files)
    if total > limit:
        raise StaffReplyError(
            f"添付ファイルが大きすぎます（合計 {total / 2**20:.1f} MB、上限 {config.replies.max_attachment_mb:g} MB）"
        )
    message = to_email_message(reply, from_addr, date=now)
    for item in files:
        maintype, _, subtype = (item.content_type or "application/octet-stream").partition("/")
        if not subtype or maintype == "multipart":
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(item.data, maintype=maintype, subtype=subtype, filename=item.filename)
    raw = message.as_bytes(policy=policy.SMTP)
    return Archive(config.storage.archive_dir).store(raw), len(raw)
