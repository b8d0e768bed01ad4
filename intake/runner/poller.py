"""One poll of one mailbox: fetch new mail, keep it, process it, and only then mark it.

For every message: the raw bytes are archived (on disk, flushed) first; the message is read with
no database transaction open (parsing, decrypting, reading forms and text: the slow part), then
written in one short transaction together with the source's cursor past it — or, when reading or
writing it raises or takes longer than ``[limits] max_message_seconds``, the message goes to the
quarantine with its error instead. Once a batch is done its messages are marked at the source. A
crash at any point loses nothing and processes nothing twice; a desk write waits at most for one
message's write, never for a whole batch.

One poller per mailbox at a time (:func:`~intake.runner.guards.poll_lock`: a file lock on SQLite,
the cursor row on PostgreSQL, where several instances share the database); a message that was in
hand when the poller died twice is set aside in the quarantine (:class:`~intake.guards.InFlight`).
An archive or database that cannot be written stops the mailbox's poll with a
:class:`~intake.errors.StorageError` after committing what was done; nothing is marked that is
not stored.

A mailbox's ``sent_folder`` is polled after its inbox (so a reply staff wrote to a report that
came in the same poll finds the report's case), under the same lock, by the same per-message
path: a message there joins the case it answers as an outgoing message
(:func:`~intake.cases.sent.join_sent`) and nothing else happens — no case, no reply. One that
answers no case is only counted: it is not archived, and the cursor alone records that it was
read. A failure of one folder does not keep the other from being polled; the mailbox's health
is ``ok`` only when both were read.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

from intake.access import health
from intake.archive import Archive
from intake.budget import message_budget
from intake.cases import memo
from intake.cases.ingest import Ingested, ingest, read_arrival
from intake.cases.sent import join_sent
from intake.config import Config, MailboxConfig
from intake.db.locks import is_source_guard
from intake.db.tables import Message, QuarantineEntry
from intake.errors import (
    AuthError,
    ConfigError,
    IntakeError,
    LimitExceeded,
    MessageError,
    SourceError,
    StorageError,
    Throttled,
)
from intake.mail.readable import read_message
from intake.runner.guards import InFlight, PollLock, poll_lock
from intake.sources import Fetched, MailSource, from_sent_folder, kind_of, open_source

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]  # (mailbox, messages done, messages found) after each message
KILLED_TWICE = (
    "processing this message stopped intake twice (the process was killed, for example out of "
    "memory); it was set aside so that the rest of the mailbox goes on — `intake reprocess ID` "
    "tries it again"
)


@dataclass
class PollReport:
    mailbox: str
    fetched: int = 0
    created: int = 0
    joined: int = 0
    duplicates: int = 0
    quarantined: int = 0
    sent_joined: int = 0  # replies from the sent folder added to their cases
    sent_unmatched: int = 0  # sent messages that answer no case (skipped)
    skipped: str | None = None  # why the mailbox was not polled (another process polls it)
    case_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "case_ids"}


class Poller:
    """Polls mailboxes into the database; ``stop`` ends a poll after the message in hand."""

    def __init__(
        self,
        *,
        config: Config,
        engine: Engine,
        stop: threading.Event | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.config = config
        self.engine = engine
        self.archive = Archive(config.storage.archive_dir)
        self.stop = stop or threading.Event()
        self.progress = progress
        self._found = 0  # new messages the source found in this poll (for progress)
        self._before = 0  # messages fetched from the mailbox's other folder before this one

    def poll(self, mailbox: MailboxConfig, *, wait_seconds: float = 0.0) -> PollReport:
        """Poll one mailbox; when another process polls it, wait up to ``wait_seconds`` for it to
        finish, else skip it (``report.skipped`` says so)."""
        report = PollReport(mailbox=mailbox.name)
        lock: PollLock | None = None
        try:
            lock = poll_lock(self.engine, self.config.storage.archive_dir, mailbox)
            inflight = InFlight(self.config.storage.archive_dir, mailbox.name)
            locked = lock.acquire(wait_seconds=wait_seconds)
            left = inflight.open() if locked else None
        except OSError as exc:
            if lock is not None:
                lock.release()
            raise StorageError(f"mailbox {mailbox.name}: {self._full(exc)}") from None
        if not locked:
            report.skipped = f"mailbox {mailbox.name}: another intake is polling it; skipped this time"
            log.info("%s", report.skipped)
            return report
        try:
            if left:
                log.warning("mailbox %s: the last poll died while processing message %s", mailbox.name, left)
            self._drain_recording_health(mailbox, report, inflight, lock)
        finally:
            inflight.close()
            lock.release()
        log.info("polled %s: %s", mailbox.name, report.as_dict())
        return report

    def _drain_recording_health(
        self, mailbox: MailboxConfig, report: PollReport, inflight: InFlight, lock: PollLock
    ) -> None:
        """Poll the inbox, then the sent folder (if any), and write how the server answered: a
        mailbox silently not fetched must show. A refused login is not tried on the sent folder."""
        name, kind = f"mailbox:{mailbox.name}", kind_of(mailbox).health_kind(mailbox)
        failure: SourceError | ConfigError | None = None
        source: MailSource | None = None
        try:
            with open_source(mailbox, self.config) as source:
                self._drain(source, mailbox, report, inflight, lock)
        except (SourceError, ConfigError) as exc:  # a missing secret cannot log in either
            failure, source = exc, None
        fetched = report.fetched
        if self._sent_due(mailbox, report, failure):
            sent_failure = self._drain_sent(mailbox, report, inflight, lock)
            failure = failure or sent_failure  # the inbox's is raised first
        if failure is not None:
            auth = isinstance(failure, AuthError | ConfigError)
            throttled = isinstance(failure, Throttled)
            health.record_failure(
                self.engine, name, auth_kind=kind, error=str(failure), auth=auth, throttled=throttled
            )
            raise failure
        assert source is not None  # opened, or the failure was raised
        backlog = max(source.found - fetched, 0)
        expires = source.login.expires_at if source.login else None
        health.record_success(self.engine, name, auth_kind=kind, token_expires_at=expires, backlog=backlog)

    def _sent_due(self, mailbox: MailboxConfig, report: PollReport, failure: Exception | None) -> bool:
        """The sent folder is read unless there is none, the poll was stopped or handed over, or
        the server refused the login (it would refuse it again)."""
        refused = isinstance(failure, AuthError | ConfigError)
        return bool(mailbox.sent_folder) and not refused and not self.stop.is_set() and not report.skipped

    def _drain_sent(
        self, mailbox: MailboxConfig, report: PollReport, inflight: InFlight, lock: PollLock
    ) -> SourceError | ConfigError | None:
        """Read the sent folder; its failure is returned (the inbox's, if any, is raised first)."""
        self._before = report.fetched
        try:
            with open_source(mailbox, self.config, sent=True) as source:
                self._drain(source, mailbox, report, inflight, lock)
        except (SourceError, ConfigError) as exc:
            log.warning("mailbox %s: sent_folder %r: %s", mailbox.name, mailbox.sent_folder, exc)
            return exc
        finally:
            self._before = 0
        return None

    def _drain(
        self,
        source: MailSource,
        mailbox: MailboxConfig,
        report: PollReport,
        inflight: InFlight,
        lock: PollLock,
    ) -> None:
        with lock.session(self.engine) as session:
            try:
                for batch in source.batches(session):
                    self._found = source.found
                    done, failure = self._process_batch(
                        session, source, mailbox, batch, report, inflight, lock
                    )
                    source.mark_processed(done)
                    if failure is not None:
                        raise failure
                    if len(done) < len(batch):  # stopped part-way, or handed over
                        return
            except OperationalError as exc:
                session.rollback()
                raise StorageError(f"mailbox {mailbox.name}: {database_problem(exc, self.config)}") from None
            except StorageError:
                session.rollback()
                raise
            except IntegrityError as exc:  # the last guard: another instance stored the same message
                session.rollback()
                if not is_source_guard(exc):
                    raise
                report.skipped = f"mailbox {mailbox.name}: another intake stored these messages first"

    def _process_batch(
        self,
        session: Session,
        source: MailSource,
        mailbox: MailboxConfig,
        batch: list[Fetched],
        report: PollReport,
        inflight: InFlight,
        lock: PollLock,
    ) -> tuple[list[Fetched], StorageError | None]:
        """Process what the stop flag allows, one message per transaction: its records and the
        cursor past it are committed together, so the database is held only while one message is
        written. An archive that cannot be written ends the batch (returned, to be raised once
        what was done is marked)."""
        done: list[Fetched] = []
        session.commit()  # what the source read or repaired: nothing is held while a message is read
        memo.begin_batch(session)  # staff or another instance may have changed things meanwhile
        for position, fetched in enumerate(batch):
            if self.stop.is_set():
                break
            try:
                self.process_one(session, mailbox, fetched, report, inflight)
            except ArchiveFull as exc:
                session.rollback()
                return done, StorageError(f"mailbox {mailbox.name}: {exc}")
            batch[position] = light = replace(fetched, raw=b"")  # archived: no need to hold the bytes
            source.record(session, [light])
            if lock.handed_over:  # another instance polled it meanwhile: its work counts
                session.rollback()
                report.skipped = f"mailbox {mailbox.name}: another intake took over its poll"
                break
            session.commit()
            done.append(light)
            if self.progress is not None:
                self.progress(mailbox.name, report.fetched - self._before, self._found)
        return done, None

    def process_one(
        self,
        session: Session,
        mailbox: MailboxConfig,
        fetched: Fetched,
        report: PollReport,
        inflight: InFlight | None = None,
    ) -> Ingested | None:
        """Archive and process one message in the caller's transaction; None when it went to the
        quarantine. The message is read first, with no transaction open (the caller has
        committed), then written; the whole is bounded by ``[limits] max_message_seconds``."""
        report.fetched += 1
        sent = from_sent_folder(mailbox, fetched.ref)
        # a sent message is archived only once it joins a case (or is quarantined): staff's other mail is not kept
        sha256 = hashlib.sha256(fetched.raw).hexdigest() if sent else self._store(fetched.raw)
        if inflight is not None and inflight.killed_poller(sha256) and not _stored(session, mailbox, sha256):
            self._quarantine(session, mailbox, fetched, sha256, MessageError(KILLED_TWICE))
            report.quarantined += 1
            return None
        if fetched.refused:  # left at the source (over a limit): kept in the quarantine with why
            self._quarantine(session, mailbox, fetched, sha256, LimitExceeded(fetched.refused))
            report.quarantined += 1
            return None
        if inflight is not None:
            self._begin(inflight, sha256)
        try:
            with message_budget(self.config.limits.max_message_seconds):
                if sent:
                    result = self._join_sent(session, mailbox, fetched, sha256)
                else:
                    result = self._ingest(session, mailbox, fetched, sha256)
        except (OperationalError, ArchiveFull):  # the database or the disk, not the message: stop the poll
            raise
        except Exception as exc:  # one bad message must not stop the poll
            if isinstance(exc, IntegrityError) and is_source_guard(exc):  # another instance stored it
                raise
            self._quarantine(session, mailbox, fetched, sha256, exc)
            report.quarantined += 1
            return None
        finally:
            if inflight is not None:
                inflight.clear()
        self._count(report, result, sent=sent)
        return result

    def _count(self, report: PollReport, result: Ingested, *, sent: bool) -> None:
        if result.duplicate:
            report.duplicates += 1
        elif sent and result.case_id is None:
            report.sent_unmatched += 1
        elif sent:
            report.sent_joined += 1
        elif result.created:
            report.created += 1
            assert result.case_id is not None  # a case was created: it has its id
            report.case_ids.append(result.case_id)
        else:
            report.joined += 1

    def _join_sent(self, session: Session, mailbox: MailboxConfig, fetched: Fetched, sha256: str) -> Ingested:
        """A message of the sent folder: read (no transaction open), then joined to its case."""
        parsed = read_message(fetched.raw, self.config)[0]
        with session.begin_nested():
            result = join_sent(
                session,
                mailbox=mailbox,
                parsed=parsed,
                size=len(fetched.raw),
                sha256=sha256,
                source_ref=fetched.ref,
                received_at=fetched.received_at,
            )
        if result.case_id is None:
            log.info("mailbox %s: sent message %s answers no case; skipped", mailbox.name, fetched.ref)
        elif not result.duplicate:
            self._store(fetched.raw)  # before the commit that records it, like every message
        return result

    def _ingest(self, session: Session, mailbox: MailboxConfig, fetched: Fetched, sha256: str) -> Ingested:
        # the slow part: nothing of the database held
        arrival = read_arrival(fetched.raw, self.config, regenerated=fetched.regenerated)
        with session.begin_nested():
            return ingest(
                session,
                config=self.config,
                mailbox=mailbox,
                raw=fetched.raw,
                sha256=sha256,
                source_ref=fetched.ref,
                received_at=fetched.received_at,
                arrival=arrival,
            )

    def _store(self, raw: bytes) -> str:
        try:
            return self.archive.store(raw)
        except OSError as exc:
            raise self._full(exc) from None

    def _begin(self, inflight: InFlight, sha256: str) -> None:
        try:
            inflight.begin(sha256)
        except OSError as exc:
            raise self._full(exc) from None

    def _full(self, exc: OSError) -> ArchiveFull:
        return ArchiveFull(
            f"archive_dir {self.archive.root}: a message cannot be stored ({exc.strerror or exc}); "
            "nothing after it was processed or marked, the next poll catches up"
        )

    def _quarantine(
        self, session: Session, mailbox: MailboxConfig, fetched: Fetched, sha256: str, exc: Exception
    ):
        error = describe(exc)
        self._store(fetched.raw)  # a sent message is not archived yet; for the rest a no-op
        log.warning("quarantined %s from %s: %s", fetched.ref, mailbox.name, error)
        already = session.exec(
            select(QuarantineEntry).where(
                QuarantineEntry.mailbox == mailbox.name,
                QuarantineEntry.sha256 == sha256,
                QuarantineEntry.state == "open",
            )
        ).first()
        if already is not None:  # tried again (intake reprocess): the newest error counts
            already.error = error
            session.add(already)
        else:
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


class ArchiveFull(StorageError):
    """The archive folder cannot be written (disk full, permissions)."""


def _stored(session: Session, mailbox: MailboxConfig, sha256: str) -> bool:
    query = select(Message.id).where(Message.mailbox == mailbox.name, Message.sha256 == sha256)
    return session.exec(query.limit(1)).first() is not None


def database_problem(exc: OperationalError, config: Config | None = None) -> str:
    """A database error in plain words (no SQL, no parameters)."""
    text = str(getattr(exc, "orig", exc))
    if "locked" in text or "busy" in text or "lock timeout" in text:  # SQLite / PostgreSQL
        wait = f" for more than {config.storage.lock_timeout_seconds:g} s" if config else ""
        return (
            f"the database is busy: another program has held it{wait} (storage.lock_timeout_seconds); "
            "nothing was lost, try again or let the next poll catch up"
        )
    return f"the database cannot be written now ({text}); nothing was lost, try again once it is fixed"


def describe(exc: Exception) -> str:
    """An error in plain words: ours as they are, anything else marked as an internal error."""
    if isinstance(exc, IntakeError):
        return str(exc)
    return f"internal error while processing ({exc.__class__.__name__}: {exc})"
