"""``intake run``: the scheduler that polls every mailbox every ``poll_interval`` seconds, and the
push watchers of the sources that have one (IMAP IDLE: :mod:`intake.sources.imap.idle`) that poll a
mailbox the moment its server announces new mail.
With ``[retention] auto = true`` it also purges, once a day, what is past retention
(:func:`~intake.secretariat.privacy.retention.apply_retention`), never during a poll; with ``[sla]
digest = true`` it queues each owner's daily digest once the JST hour reaches ``digest_hour``
(:mod:`intake.secretariat.digest`; the next round sends it).

APScheduler 3 with ``max_instances=1`` and ``coalesce``: a poll that overruns is never run twice
at once, and missed runs collapse into one. SIGTERM or Ctrl-C sets the stop flag (the poll in hand
finishes the message it is processing, commits and stops) and shuts the scheduler down — also a
signal that comes while the service is still starting.

On SQLite one ``intake run`` works on a database: a second one says so and waits for the first to
stop (:class:`~intake.db.locks.InstanceLock`). On PostgreSQL any number run side by side, on any
hosts: each mailbox is polled by one at a time, each reply sent by one (:mod:`intake.db.locks`).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from intake.cases.expected import purge_expired
from intake.config import Config, MailboxConfig
from intake.db.locks import InstanceLock, Leadership
from intake.errors import ConfigError, IntakeError
from intake.replies.sender import SendReport, send_due
from intake.runner.poller import Poller, PollReport, database_problem
from intake.secretariat.digest import DigestReport, digest_time, queue_digests
from intake.secretariat.privacy.retention import Plan, apply_retention
from intake.sources import kind_of

log = logging.getLogger(__name__)
T = TypeVar("T")
IDLE_POLL_WAIT = (
    300.0  # seconds a watcher-triggered (IDLE) poll waits for a scheduled one of the same mailbox
)
ACTOR = "intake"


@dataclass
class RoundReport:
    """What one round did: per mailbox, the failures in one line each, and the replies sent."""

    reports: list[PollReport] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    sent: SendReport | None = None

    @property
    def skipped(self) -> list[str]:
        return [r.skipped for r in self.reports if r.skipped]


def poll_round(
    poller: Poller, config: Config, mailboxes: list[MailboxConfig] | None = None, *, wait_seconds: float = 0.0
) -> RoundReport:
    """One round, the same for ``intake poll``, each tick of ``intake run`` and the demo: every
    mailbox (one that fails is reported and the others are still polled), then the replies that
    are due, then the passwords phoned in ahead whose time ran out."""
    round_ = RoundReport()
    misconfigured: ConfigError | None = None
    for mailbox in config.mailbox if mailboxes is None else mailboxes:
        if poller.stop.is_set():
            return round_
        try:
            round_.reports.append(poller.poll(mailbox, wait_seconds=wait_seconds))
        except ConfigError as exc:  # this mailbox's (a missing secret): the others still go on
            misconfigured = misconfigured or exc
        except IntakeError as exc:
            _failed(round_, str(exc))
        except Exception as exc:  # a bug must not stop the other mailboxes either
            log.debug("mailbox %s: internal error", mailbox.name, exc_info=True)
            _failed(round_, f"mailbox {mailbox.name}: internal error ({exc.__class__.__name__}: {exc})")
    if poller.stop.is_set():
        return round_
    try:
        round_.sent = send_due(config=config, engine=poller.engine)
        forget_expired_passwords(poller.engine)
    except OperationalError as exc:
        _failed(round_, f"replies: {database_problem(exc, config)}")
    if misconfigured is not None:
        raise misconfigured  # after the rest of the round: one line, exit 2
    return round_


def _failed(round_: RoundReport, line: str) -> None:
    round_.failures.append(line)


def tick(poller: Poller, config: Config) -> RoundReport:
    """One round of ``intake run``: its failures go to the log, the only place it reports to."""
    try:
        round_ = poll_round(poller, config)
    except ConfigError as exc:
        log.error("%s", exc)
        return RoundReport(failures=[str(exc)])
    for line in round_.failures:
        log.error("%s", line)
    return round_


def forget_expired_passwords(engine: Engine) -> int:
    """Passwords phoned in ahead whose time ran out are deleted even if no mail ever came."""
    with Session(engine) as session:
        count = purge_expired(session)
        session.commit()
    return count


def retention_tick(engine: Engine, config: Config) -> Plan | None:
    """The daily purge of ``intake run``: what it did, or its failure, goes to the log."""
    try:
        plan = apply_retention(engine, config, by=ACTOR)
    except (IntakeError, OperationalError) as exc:
        log.error("retention: %s", exc)
        return None
    if plan.cases or plan.people:
        log.info(
            "retention: %d cases purged, %d removed people deleted, %d archived files deleted",
            len(plan.cases),
            len(plan.people),
            plan.files_removed,
        )
    return plan


DIGEST_CHECK_SECONDS = 300  # how often intake run asks whether today's digests are due


def digest_tick(engine: Engine, config: Config) -> DigestReport | None:
    """Queue today's digests once their hour has come (each owner at most once a day)."""
    if not digest_time(config):
        return None
    try:
        return queue_digests(engine, config)
    except (IntakeError, OperationalError) as exc:
        log.error("digest: %s", exc)
        return None


def add_digest_job(scheduler, rounds: threading.Lock, engine: Engine, config: Config) -> bool:
    """With ``[sla] digest``: every few minutes, between two rounds, queue the digests that are due
    (a restart after the hour still sends that day's). Returns whether it was added."""
    if not config.sla.digest:
        return False
    scheduler.add_job(
        _one_at_a_time(rounds, digest_tick),
        "interval",
        args=(engine, config),
        seconds=DIGEST_CHECK_SECONDS,
        next_run_time=datetime.now().astimezone() + timedelta(seconds=config.poll_interval),
        max_instances=1,
        coalesce=True,
        id="digest",
    )
    return True


def add_retention_job(scheduler, rounds: threading.Lock, engine: Engine, config: Config) -> bool:
    """With ``[retention] auto``: the purge once a day, the first a poll interval after the start,
    each between two rounds (never while one is in hand). Returns whether it was added."""
    if not config.retention.auto:
        return False
    scheduler.add_job(
        _one_at_a_time(rounds, retention_tick),
        "interval",
        args=(engine, config),
        days=1,
        next_run_time=datetime.now().astimezone() + timedelta(seconds=config.poll_interval),
        max_instances=1,
        coalesce=True,
        id="retention",
    )
    return True


def serve(*, config: Config, engine: Engine) -> None:
    stop = threading.Event()
    poller = Poller(config=config, engine=engine, stop=stop)
    rounds = threading.Lock()
    scheduler = BackgroundScheduler(timezone="Asia/Tokyo")

    def shutdown(signum, _frame) -> None:
        log.info("signal %s: finishing the message in hand, then stopping", signum)
        stop.set()  # the main thread waits for this, however early the signal came

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    instance = _instance_lock(engine)
    if instance is not None and not instance.acquire(stop=stop):
        log.info("stopped")
        return
    scheduler.add_job(
        _one_at_a_time(rounds, tick),
        "interval",
        args=(poller, config),
        seconds=config.poll_interval,
        next_run_time=datetime.now().astimezone(),
        max_instances=1,
        coalesce=True,
        id="poll",
    )

    add_retention_job(scheduler, rounds, engine, config)
    add_digest_job(scheduler, rounds, engine, config)
    watchers = start_idle_watchers(poller, config, rounds)
    log.info(
        "polling %d mailbox(es) every %d s; %d wait for new mail with IDLE",
        len(config.mailbox),
        config.poll_interval,
        len(watchers),
    )
    scheduler.start()
    while not stop.is_set():  # never wait on the Event's lock here: the signal handler takes it
        time.sleep(0.2)
    scheduler.shutdown(wait=True)  # the round in hand finishes the message it is processing
    if instance is not None:
        instance.release()
    log.info("stopped")


def _instance_lock(engine: Engine) -> InstanceLock | None:
    """SQLite: one ``intake run`` per database file (PostgreSQL: any number, see intake.db.locks)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or database in (None, "", ":memory:"):
        return None
    return InstanceLock(Path(database))


def _one_at_a_time(rounds: threading.Lock, round_: Callable[..., T]) -> Callable[..., T]:
    """Rounds of one process never overlap: replies made due by one poll are never sent while
    another poll is half-way through the mail that may answer them."""

    def run(*args: object) -> T:
        with rounds:
            return round_(*args)

    return run


def start_idle_watchers(poller: Poller, config: Config, rounds: threading.Lock) -> list[threading.Thread]:
    """One watcher thread per mailbox whose kind keeps one (IMAP IDLE); on news it runs a round of
    that mailbox after the round in hand (scheduled or another mailbox's) — never skipping the news."""
    watchers = []
    for mailbox in config.mailbox:
        kind = kind_of(mailbox)
        if not kind.watches(mailbox):
            continue

        def on_mail(mailbox: MailboxConfig = mailbox) -> None:
            with rounds:
                round_ = poll_round(poller, config, [mailbox], wait_seconds=IDLE_POLL_WAIT)
            for line in round_.failures:
                log.error("%s", line)

        watcher = kind.watcher(
            mailbox,
            config,
            on_mail=on_mail,
            stop=poller.stop,
            leader=Leadership(poller.engine, f"intake idle {mailbox.name}"),
            leader_retry=float(config.poll_interval),
        )
        watcher.start()
        watchers.append(watcher)
    return watchers
