"""Taking personal data out of a case's records, for the purge past retention and for a person's
erasure: what a case keeps (its skeleton), and which archived files may then go.

A case's skeleton is its id, mailbox, kind, status, dates and finding codes. Everything read from
its mail goes: the senders and subjects of its messages, the attachments' names and notes, the
fields read from its forms, the free text of an incident report, staff notes, the finding texts,
the replies' addresses and bodies, the personal words in its audit entries, and its rows of the
search index. Archive files are
removed only after the transaction is committed, and only those no kept message shares.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, delete, select

from intake.archive import Archive
from intake.db import audit, search
from intake.db.tables import (
    ApplicationForm,
    Attachment,
    AuditEntry,
    Case,
    Finding,
    IncidentRecord,
    Message,
    Note,
    OutboxReply,
    QuarantineEntry,
    StaffEntry,
)
from intake.secretariat.privacy.matching import mask_addresses

PURGED_NOTE = "（個人データの保存期間経過により削除）"
UNSENT = ("queued", "held", "failed")


@dataclass
class Released:
    """What may leave the disk once the database change is committed."""

    sha256s: set[str] = field(default_factory=set)  # archived raw messages
    attachments: set[int] = field(default_factory=set)  # their decrypted copies (keep_decrypted)


def release_message(message: Message, now: datetime, released: Released) -> None:
    """The message loses its sender and subject, and its archived raw bytes (body, attachments)."""
    message.from_addr = message.from_name = message.subject = ""
    message.purged_at = now
    if message.sha256:
        released.sha256s.add(message.sha256)


def strip_case(session: Session, case: Case, now: datetime, released: Released) -> dict[str, int]:
    """Reduce ``case`` to its skeleton; returns how many records of each kind lost personal data."""
    case.sender = case.sender_name = case.subject = ""
    case.org_name, case.purged_at = None, now
    session.add(case)
    messages = _rows(session, Message, case.id)
    for message in messages:
        release_message(message, now, released)
    attachments = _rows(session, Attachment, case.id)
    for attachment in attachments:
        attachment.filename, attachment.detail = None, ""
        released.attachments.add(attachment.id)  # type: ignore[arg-type]
    forms = len(_rows(session, ApplicationForm, case.id)) + len(_rows(session, StaffEntry, case.id))
    session.exec(delete(ApplicationForm).where(col(ApplicationForm.case_id) == case.id))
    session.exec(delete(StaffEntry).where(col(StaffEntry.case_id) == case.id))
    notes = len(_rows(session, Note, case.id))
    session.exec(delete(Note).where(col(Note.case_id) == case.id))
    incident = session.get(IncidentRecord, case.id)
    if incident is not None:
        incident.secret_detail = incident.coordination_detail = None
        session.add(incident)
    for finding in _rows(session, Finding, case.id):
        finding.message_ja = finding.message_en = ""
    replies = _rows(session, OutboxReply, case.id)
    for reply in replies:
        strip_reply(reply)
    session.add_all([*messages, *attachments, *replies])
    session.flush()
    search.drop_case(session, case.id)  # the search index's rows of it (its forms, notes went in bulk)
    redacted = _purge_audit(session, case.id)
    return {
        "messages": len(messages),
        "attachments": len(attachments),
        "form_rows": forms,
        "notes": notes,
        "replies": len(replies),
        "audit_entries": redacted,
    }


def strip_reply(reply: OutboxReply) -> None:
    """A reply keeps its template, state and times; one not sent yet will never be."""
    reply.to_addr = reply.subject = reply.body = reply.cc = ""
    if reply.state in UNSENT:
        reply.state = "cancelled"


def _purge_audit(session: Session, case_id: str) -> int:
    """Notes and addresses leave the case's audit entries; what was done, when and by whom stays."""
    count = 0
    for entry in _rows(session, AuditEntry, case_id):
        detail = _purged_detail(entry)
        if detail != entry.detail:
            audit.redact(session, entry.id, detail)  # type: ignore[arg-type]
            count += 1
    return count


def _purged_detail(entry: AuditEntry) -> str:
    if entry.action == "note":
        return PURGED_NOTE
    try:
        data = json.loads(entry.detail)
    except ValueError:
        return mask_addresses(entry.detail)
    if isinstance(data, dict) and (data.get("note") or "register" in data):
        if data.get("note"):
            data["note"] = PURGED_NOTE
        data.pop(
            "register", None
        )  # an acceptance's register rows (its people) go; it can no longer be undone
        return mask_addresses(json.dumps(data, ensure_ascii=False))
    return mask_addresses(entry.detail)


def _rows(session: Session, table, case_id: str) -> list:
    return list(session.exec(select(table).where(table.case_id == case_id).order_by(table.id)))


def remove_released(session: Session, archive: Archive, released: Released) -> int:
    """After the commit: delete the decrypted copies, and each archived file that no kept message
    (one not purged) and no open quarantine entry still needs. Returns the files deleted."""
    for attachment_id in released.attachments:
        archive.remove_decrypted(attachment_id)
    removed = 0
    for sha256 in sorted(released.sha256s):
        kept = select(Message.id).where(Message.sha256 == sha256, col(Message.purged_at).is_(None))
        waiting = select(QuarantineEntry.id).where(
            QuarantineEntry.sha256 == sha256, QuarantineEntry.state == "open"
        )
        if session.exec(kept.limit(1)).first() is None and session.exec(waiting.limit(1)).first() is None:
            removed += archive.remove(sha256)
    return removed
