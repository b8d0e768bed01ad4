"""One poll of one mailbox: fetch new mail, keep it, process it, and only then mark it.

For every message: the raw bytes are archived first; the message is read with no database
transaction open (parsing, decrypting, reading forms and text: the slow part). Then the batch is
written in one short transaction together with the source's cursor past it, its archive files
flushed to disk once just before the commit, each message's search rows in one statement for the
batch. When a message fails to be written the batch is written again, each message in its own
savepoint, and that message goes to the quarantine with its error — as does one whose reading
raised or took longer than ``[limits] max_message_seconds``. Once a batch is done its messages are
marked at the source. A crash at any point loses nothing and processes nothing twice.

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

import copy
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field, replace

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session, select

from intake.access import health
from intake.archive import Archive
from intake.budget import message_budget
from intake.cases.duplicates import look_up_batch
from intake.cases.ingest import Arrival, Ingested, ingest, read_arrival
from intake.cases.sent import join_sent
from intake.cases.threads import look_up_threads, number_in_batch
from intake.config import Config, MailboxConfig
from intake.db import memo, search
from intake.db.keys import keys_in_batch
from intake.db.later import insert_later
from intake.db.locks import is_source_guard
from intake.db.tables import Attachment, AuditEntry, Message, OutboxReply, QuarantineEntry
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
from intake.mail import ParsedMessage
from intake.mail.readable import read_message
from intake.replies import outbox
from intake.runner.guards import InFlight, PollLock, poll_lock
from intake.sources import Fetched, MailSource, from_sent_folder, kind_of, open_source

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]  # (mailbox, messages done, messages found) after each message
READ_AHEAD_BYTES = (
    4 * 1024 * 1024
)  # of mail read before it is written (a batch of big messages, a part at a time)
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
        self._before = 0  # messages done in the mailbox's other folder before this one
        self._committed = 0  # messages done in this poll

    def poll(self, mailbox: MailboxConfig, *, wait_seconds: float = 0.0) -> PollReport:
        """Poll one mailbox; when another process polls it, wait up to ``wait_seconds`` for it to
        finish, else skip it (``report.skipped`` says so)."""
        report = PollReport(mailbox=mailbox.name)
        self._committed = 0
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
        name, kind = f"mailbox:{mailbox.name}", kind_of(mailbox).sign_in(mailbox)
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
        self._before = self._committed
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
        """Process what the stop flag allows in two steps: messages are archived and read with no
        transaction open (the slow part), then written in one transaction together with the
        source's cursor past them, their archive files flushed to disk once just before the
        commit — the whole batch at once, or every ``READ_AHEAD_BYTES`` of mail, so that a batch of
        big messages is not held in memory whole. A message that cannot be read or written goes
        to the quarantine on its own. An archive that cannot be written ends the batch (returned,
        to be raised once what was done is marked)."""
        session.commit()  # what the source read or repaired: nothing is held while a message is read
        done: list[Fetched] = []
        items: list[_Read] = []
        held = 0  # bytes of mail read and not yet written
        for position, fetched in enumerate(batch):
            if self.stop.is_set():
                break
            try:
                items.append(self._read(session, mailbox, fetched, report, inflight))
            except ArchiveFull as exc:
                written, failure = self._write(session, source, mailbox, items, report, inflight, lock)
                return done + written, failure or StorageError(f"mailbox {mailbox.name}: {exc}")
            batch[position] = replace(fetched, raw=b"")  # the batch's list lets go of the bytes
            held += len(fetched.raw)
            if held >= READ_AHEAD_BYTES:
                written, failure = self._write(session, source, mailbox, items, report, inflight, lock)
                done += written
                if failure is not None or report.skipped:
                    return done, failure
                items, held = [], 0
        written, failure = self._write(session, source, mailbox, items, report, inflight, lock)
        return done + written, failure

    def _write(
        self,
        session: Session,
        source: MailSource,
        mailbox: MailboxConfig,
        items: list[_Read],
        report: PollReport,
        inflight: InFlight,
        lock: PollLock,
    ) -> tuple[list[Fetched], StorageError | None]:
        """Write messages read by :meth:`_read` in one transaction, all at once; when one of them
        fails, again in one transaction but each in its own savepoint (the one that failed goes to
        the quarantine); when the archive cannot be written, one message per transaction, up to
        the one that could not be stored."""
        if not items:
            return [], None
        self._look_up(session, mailbox, items)
        before = copy.deepcopy(report)
        try:
            return self._commit(session, source, mailbox, items, report, inflight, lock), None
        except _Redo as failed:
            log.info(
                "mailbox %s: %s; the batch is written again, one message at a time", mailbox.name, failed
            )
            session.rollback()
            vars(report).update(vars(before))  # counted again below
            self._look_up(session, mailbox, items)
            try:
                return self._commit(
                    session, source, mailbox, items, report, inflight, lock, careful=True
                ), None
            except ArchiveFull:
                session.rollback()
                vars(report).update(vars(before))
        except ArchiveFull:
            session.rollback()
            vars(report).update(vars(before))  # counted again below, one message at a time
        done: list[Fetched] = []
        for item in items:
            try:
                done += self._commit(session, source, mailbox, [item], report, inflight, lock, careful=True)
            except ArchiveFull as exc:
                session.rollback()
                return done, StorageError(f"mailbox {mailbox.name}: {exc}")
            if report.skipped:
                break
        return done, None

    def _look_up(self, session: Session, mailbox: MailboxConfig, items: list[_Read]) -> None:
        """What the batch's messages ask the database, asked once for all of them."""
        memo.begin_batch(session)  # staff or another instance may have changed things meanwhile
        read = [(i.sha256, i.content.incoming.parsed) for i in items if isinstance(i.content, Arrival)]
        look_up_batch(session, mailbox.name, read)  # whether each is stored already
        outbox.look_up_batch(  # whether its sender had replies, or it an answer
            session,
            recipients=[parsed.from_addr for _, parsed in read],
            message_ids=[parsed.message_id for _, parsed in read],
        )
        sent = [i.content for i in items if isinstance(i.content, ParsedMessage)]
        look_up_threads(session, [*(parsed for _, parsed in read), *sent])  # which case each answers

    def _commit(
        self,
        session: Session,
        source: MailSource,
        mailbox: MailboxConfig,
        items: list[_Read],
        report: PollReport,
        inflight: InFlight,
        lock: PollLock,
        *,
        careful: bool = False,
    ) -> list[Fetched]:
        """Write ``items`` and the cursor past them in one transaction; the messages done.
        ``careful``: each message in its own savepoint, so that one that fails goes to the
        quarantine alone (else a failure raises :class:`_Redo`, and the search index's rows of the
        whole batch are written at once)."""
        if not items:
            return []
        if not careful:
            search.defer(session)
            number_in_batch(session)
            keys_in_batch(session, (Message, Attachment, AuditEntry, OutboxReply))
            insert_later(session)
        for item in items:
            self._write_one(session, mailbox, item, report, inflight, careful=careful)
        if not careful:
            self._flush_batch(session)
        done = [replace(item.fetched, raw=b"") for item in items]
        source.record(session, done)
        if lock.handed_over:  # another instance polled it meanwhile: its work counts
            session.rollback()
            report.skipped = f"mailbox {mailbox.name}: another intake took over its poll"
            return []
        self._sync()
        session.commit()
        for _ in items:
            self._committed += 1
            if self.progress is not None:
                self.progress(mailbox.name, self._committed - self._before, self._found)
        return done

    def _flush_batch(self, session: Session) -> None:
        """Send the batch's rows, its search rows too, before its cursor and its commit: a row the
        database refuses is some message's, and the batch is written again, carefully."""
        try:
            session.flush()
            search.write_deferred(session)
        except OperationalError:  # the database, not a message
            raise
        except Exception as exc:
            if isinstance(exc, IntegrityError) and is_source_guard(exc):  # another instance stored them
                raise
            raise _Redo(describe(exc)) from None

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
        committed), then written; the whole is bounded by ``[limits] max_message_seconds``. Its
        archive file is on disk when this returns."""
        item = self._read(session, mailbox, fetched, report, inflight)
        result = self._write_one(session, mailbox, item, report, inflight)
        self._sync()
        return result

    def _read(
        self,
        session: Session,
        mailbox: MailboxConfig,
        fetched: Fetched,
        report: PollReport,
        inflight: InFlight | None,
    ) -> _Read:
        """Archive a message (not yet flushed to disk) and read it, no database written."""
        report.fetched += 1
        sent = from_sent_folder(mailbox, fetched.ref)
        # a sent message is archived only once it joins a case (or is quarantined): staff's other mail is not kept
        sha256 = hashlib.sha256(fetched.raw).hexdigest() if sent else self._store(fetched.raw)
        item = _Read(fetched, sha256, sent)
        if inflight is not None and inflight.killed_poller(sha256):
            stored = _stored(session, mailbox, sha256)
            session.commit()  # (nothing is written yet) the poller holds no transaction while it reads
            if not stored:
                item.problem = MessageError(KILLED_TWICE)
                return item
        if fetched.refused:  # left at the source (over a limit): kept in the quarantine with why
            item.problem = LimitExceeded(fetched.refused)
            return item
        if inflight is not None:
            self._begin(inflight, sha256)
        started = time.monotonic()
        try:
            with message_budget(self.config.limits.max_message_seconds):
                if sent:
                    item.content = read_message(fetched.raw, self.config)[0]
                else:
                    item.content = read_arrival(fetched.raw, self.config, regenerated=fetched.regenerated)
        except Exception as exc:  # one bad message must not stop the poll
            item.problem = exc.with_traceback(None)  # its frames would hold the message, parsed, in a cycle
        finally:
            item.seconds = time.monotonic() - started
            if inflight is not None:
                inflight.clear()
        return item

    def _write_one(
        self,
        session: Session,
        mailbox: MailboxConfig,
        item: _Read,
        report: PollReport,
        inflight: InFlight | None,
        *,
        careful: bool = True,
    ) -> Ingested | None:
        """Write a message read by :meth:`_read` in the caller's transaction, or put it in the
        quarantine; the rest of its time budget bounds the write. ``careful``: in its own
        savepoint, and a failure sends it to the quarantine (else a failure raises :class:`_Redo`:
        the caller writes the batch again, carefully)."""
        fetched, sha256 = item.fetched, item.sha256
        if item.problem is not None:
            self._quarantine(session, mailbox, fetched, sha256, item.problem)
            report.quarantined += 1
            return None
        if inflight is not None:
            self._begin(inflight, sha256)
        try:
            with message_budget(self.config.limits.max_message_seconds, spent=item.seconds):
                with session.begin_nested() if careful else nullcontext():
                    if isinstance(item.content, Arrival):
                        result = self._ingest(session, mailbox, fetched, sha256, item.content)
                    else:
                        assert item.content is not None  # read, or item.problem says why not
                        result = self._join_sent(session, mailbox, fetched, sha256, item.content)
        except (OperationalError, ArchiveFull):  # the database or the disk, not the message: stop the poll
            raise
        except Exception as exc:  # one bad message must not stop the poll
            if isinstance(exc, IntegrityError) and is_source_guard(exc):  # another instance stored it
                raise
            if not careful:
                raise _Redo(describe(exc)) from None
            self._quarantine(session, mailbox, fetched, sha256, exc)
            report.quarantined += 1
            return None
        finally:
            if inflight is not None:
                inflight.clear()
        self._count(report, result, sent=item.sent)
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

    def _join_sent(
        self, session: Session, mailbox: MailboxConfig, fetched: Fetched, sha256: str, parsed: ParsedMessage
    ) -> Ingested:
        """A message of the sent folder, read already, joined to its case."""
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

    def _ingest(
        self, session: Session, mailbox: MailboxConfig, fetched: Fetched, sha256: str, arrival: Arrival
    ) -> Ingested:
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
        """Archive ``raw``; on disk by the :meth:`_sync` before the commit that records it."""
        try:
            return self.archive.store(raw, sync=False)
        except OSError as exc:
            raise self._full(exc) from None

    def _sync(self) -> None:
        try:
            self.archive.sync()
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


@dataclass
class _Read:
    """A message of a batch as read before anything of it is written."""

    fetched: Fetched
    sha256: str
    sent: bool  # from the sent folder: joins the case it answers, if any
    content: Arrival | ParsedMessage | None = None
    problem: Exception | None = None  # why it goes to the quarantine instead
    seconds: float = 0.0  # of its time budget, spent reading


class _Redo(Exception):
    """A message of a batch written at once failed: the batch is written again, carefully."""


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
    """An error in plain words: ours as they are, anything else marked as an internal error (the
    database's own words only: never the statement or the values a message put in it)."""
    if isinstance(exc, IntakeError):
        return str(exc)
    said = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    return f"internal error while processing ({exc.__class__.__name__}: {said})"
