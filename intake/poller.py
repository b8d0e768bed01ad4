"""One poll of one mailbox: fetch new mail, keep it, process it, and only then mark it.

For every batch: each raw message is archived (on disk, flushed) first; each is processed in a
savepoint, and a message whose processing raises goes to the quarantine with its error instead;
the source's cursor moves in the same transaction; the batch is committed; only then are the
messages marked at the source. A crash at any point loses nothing and processes nothing twice.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlmodel import Session, select

from intake.archive import Archive
from intake.config import Config, MailboxConfig
from intake.errors import IntakeError
from intake.models import QuarantineEntry
from intake.pipeline import Ingested, ingest
from intake.sources import Fetched, MailSource, open_source

log = logging.getLogger(__name__)


@dataclass
class PollReport:
    mailbox: str
    fetched: int = 0
    created: int = 0
    joined: int = 0
    duplicates: int = 0
    quarantined: int = 0
    case_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "case_ids"}


class Poller:
    """Polls mailboxes into the database; ``stop`` ends a poll after the message in hand."""

    def __init__(self, *, config: Config, engine: Engine, stop: threading.Event | None = None) -> None:
        self.config = config
        self.engine = engine
        self.archive = Archive(config.storage.archive_dir)
        self.stop = stop or threading.Event()

    def poll(self, mailbox: MailboxConfig) -> PollReport:
        report = PollReport(mailbox=mailbox.name)
        with open_source(mailbox, self.config) as source:
            self._drain(source, mailbox, report)
        log.info("polled %s: %s", mailbox.name, report.as_dict())
        return report

    def _drain(self, source: MailSource, mailbox: MailboxConfig, report: PollReport) -> None:
        with Session(self.engine) as session:
            for batch in source.batches(session):
                done = self._process_batch(session, mailbox, batch, report)
                source.record(session, done)
                session.commit()
                source.mark_processed(done)
                if len(done) < len(batch):  # stopped part-way
                    return

    def _process_batch(
        self, session: Session, mailbox: MailboxConfig, batch: list[Fetched], report: PollReport
    ):
        done: list[Fetched] = []
        for fetched in batch:
            if self.stop.is_set():
                break
            self.process_one(session, mailbox, fetched, report)
            done.append(fetched)
        return done

    def process_one(
        self, session: Session, mailbox: MailboxConfig, fetched: Fetched, report: PollReport
    ) -> Ingested | None:
        """Archive and process one message; None when it went to the quarantine."""
        report.fetched += 1
        sha256 = self.archive.store(fetched.raw)
        try:
            with session.begin_nested():
                result = ingest(
                    session,
                    config=self.config,
                    mailbox=mailbox,
                    raw=fetched.raw,
                    sha256=sha256,
                    source_ref=fetched.ref,
                    received_at=fetched.received_at,
                )
        except Exception as exc:  # one bad message must not stop the poll
            self._quarantine(session, mailbox, fetched, sha256, exc)
            report.quarantined += 1
            return None
        if result.duplicate:
            report.duplicates += 1
        elif result.created:
            report.created += 1
            report.case_ids.append(result.case_id)
        else:
            report.joined += 1
        return result

    def _quarantine(
        self, session: Session, mailbox: MailboxConfig, fetched: Fetched, sha256: str, exc: Exception
    ):
        error = describe(exc)
        log.warning("quarantined %s from %s: %s", fetched.ref, mailbox.name, error)
        already = session.exec(
            select(QuarantineEntry).where(
                QuarantineEntry.mailbox == mailbox.name,
                QuarantineEntry.sha256 == sha256,
                QuarantineEntry.state == "open",
            )
        ).first()
        if already is None:
            entry = QuarantineEntry(
                mailbox=mailbox.name,
                source_ref=fetched.ref,
                sha256=sha256,
                size=len(fetched.raw),
                error=error,
            )
            if fetched.received_at is not None:
                entry.received_at = fetched.received_at
            session.add(entry)


def describe(exc: Exception) -> str:
    """An error in plain words: ours as they are, anything else marked as an internal error."""
    if isinstance(exc, IntakeError):
        return str(exc)
    return f"internal error while processing ({exc.__class__.__name__}: {exc})"
