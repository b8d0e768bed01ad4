"""What ClamAV said of a case's attachments, read back from the case's audit log, where
:mod:`intake.cases.scanning` keeps it: ``malware_detected`` (the signature) or
``attachment_not_scanned`` (why), each naming the attachment and the file. Kept apart from the
scanning so that the queue and ``intake show`` do not load the document libraries."""

from __future__ import annotations

import json

from sqlmodel import Session, col, select

from intake.checks.facts import ScanFacts
from intake.db.tables import AuditEntry

DETECTED, NOT_SCANNED = "malware_detected", "attachment_not_scanned"


def scan_facts(session: Session, case_id: str) -> tuple[ScanFacts, ...]:
    """Every detection and every file not scanned of the case, oldest first."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.case_id == case_id, col(AuditEntry.action).in_((DETECTED, NOT_SCANNED)))
        .order_by(col(AuditEntry.id))
    )
    facts = []
    for entry in session.exec(query):
        try:
            detail = json.loads(entry.detail)
            facts.append(
                ScanFacts(
                    attachment_id=int(detail["attachment"]),
                    filename=str(detail.get("file", "")),
                    signature=str(detail.get("signature", "")) if entry.action == DETECTED else "",
                    problem=str(detail.get("reason", "")),
                )
            )
        except (ValueError, KeyError, TypeError):
            continue  # an entry whose detail was redacted past recognition: nothing to read
    return tuple(facts)


def detections(session: Session, case_id: str) -> dict[int, list[str]]:
    """The signatures found in each attachment of the case (by attachment id)."""
    found: dict[int, list[str]] = {}
    for fact in scan_facts(session, case_id):
        if fact.signature:
            found.setdefault(fact.attachment_id, []).append(fact.signature)
    return found
