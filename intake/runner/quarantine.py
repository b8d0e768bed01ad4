"""The quarantine (a shunt queue): messages whose processing failed, kept with their error.

The raw message is already in the archive, so putting an entry back through the pipeline needs
nothing from the mail server: ``reprocess`` reads it from the archive once the cause is fixed.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from intake.archive import Archive
from intake.cases.ingest import Ingested
from intake.config import Config
from intake.db import audit
from intake.db.tables import QuarantineEntry, utcnow
from intake.errors import IntakeError, NotFound
from intake.runner.poller import Poller, PollReport
from intake.sources import Fetched


def open_entries(session: Session) -> list[QuarantineEntry]:
    query = select(QuarantineEntry).where(QuarantineEntry.state == "open").order_by(col(QuarantineEntry.id))
    return list(session.exec(query))


def reprocess(*, config: Config, engine: Engine, entry_id: int, by: str) -> Ingested:
    """Run a quarantined message through the poller's own per-message path again, from the
    archive; on failure the entry stays open with the new error."""
    with Session(engine) as session:
        entry = session.get(QuarantineEntry, entry_id)
        if entry is None or entry.state != "open":
            raise NotFound(f"no open quarantine entry {entry_id}")
        mailbox = config.get_mailbox(entry.mailbox)
        raw = Archive(config.storage.archive_dir).load(entry.sha256)
        fetched = Fetched(ref=entry.source_ref, raw=raw, key=entry.source_ref, received_at=entry.received_at)
        result = Poller(config=config, engine=engine).process_one(
            session, mailbox, fetched, PollReport(mailbox.name)
        )
        if result is None:
            session.commit()
            raise IntakeError(
                f"quarantine entry {entry_id} failed again: {entry.error}",
                label="reprocess_failed",
                entry=entry_id,
                reason=entry.error,
            )
        entry.state, entry.case_id, entry.resolved_at = "reprocessed", result.case_id, utcnow()
        session.add(entry)
        audit.record(
            session, by=by, action="reprocessed", case_id=result.case_id, detail={"quarantine": entry_id}
        )
        session.commit()
        return result
