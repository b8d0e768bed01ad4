"""The quarantine (a shunt queue): messages whose processing failed, kept with their error.

The raw message is already in the archive, so putting an entry back through the pipeline needs
nothing from the mail server: ``reprocess`` reads it from the archive once the cause is fixed.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from intake.archive import Archive
from intake.config import Config
from intake.errors import IntakeError, NotFound
from intake.models import AuditEntry, QuarantineEntry, utcnow
from intake.pipeline import Ingested, ingest
from intake.poller import describe


def open_entries(session: Session) -> list[QuarantineEntry]:
    query = select(QuarantineEntry).where(QuarantineEntry.state == "open").order_by(QuarantineEntry.id)
    return list(session.exec(query))


def reprocess(*, config: Config, engine: Engine, entry_id: int, by: str) -> Ingested:
    """Run a quarantined message through the pipeline again; on failure the new error is kept."""
    with Session(engine) as session:
        entry = session.get(QuarantineEntry, entry_id)
        if entry is None or entry.state != "open":
            raise NotFound(f"no open quarantine entry {entry_id}")
        mailbox = config.get_mailbox(entry.mailbox)
        raw = Archive(config.storage.archive_dir).load(entry.sha256)
        try:
            with session.begin_nested():
                result = ingest(
                    session,
                    config=config,
                    mailbox=mailbox,
                    raw=raw,
                    sha256=entry.sha256,
                    source_ref=entry.source_ref,
                    received_at=entry.received_at,
                )
        except Exception as exc:
            entry.error = describe(exc)
            session.add(entry)
            session.commit()
            raise IntakeError(f"quarantine entry {entry_id} failed again: {entry.error}") from None
        entry.state, entry.case_id, entry.resolved_at = "reprocessed", result.case_id, utcnow()
        session.add(entry)
        session.add(
            AuditEntry(by=by, case_id=result.case_id, action="reprocessed", detail=f"quarantine {entry_id}")
        )
        session.commit()
        return result
