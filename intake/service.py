"""``intake run``: the scheduler that polls every mailbox every ``poll_interval`` seconds.

APScheduler 3 with ``max_instances=1`` and ``coalesce``: a poll that overruns is never run twice
at once, and missed runs collapse into one. SIGTERM or Ctrl-C sets the stop flag (the poll in hand
finishes the message it is processing, commits and stops) and shuts the scheduler down.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from intake.config import Config
from intake.errors import IntakeError
from intake.poller import Poller

log = logging.getLogger(__name__)


def poll_all(poller: Poller, config: Config) -> None:
    """One tick: every mailbox, then the replies that are due."""
    from intake.replies.sender import send_due

    for mailbox in config.mailbox:
        if poller.stop.is_set():
            return
        try:
            poller.poll(mailbox)
        except IntakeError as exc:  # one unreachable mailbox must not stop the others
            log.error("%s", exc)
    if not poller.stop.is_set():
        send_due(config=config, engine=poller.engine)
        forget_expired_passwords(poller.engine)


def forget_expired_passwords(engine) -> int:
    """Passwords phoned in ahead whose time ran out are deleted even if no mail ever came."""
    from sqlmodel import Session

    from intake.passwords import purge_expired

    with Session(engine) as session:
        count = purge_expired(session)
        session.commit()
    return count


def serve(*, config: Config, engine: Engine) -> None:
    stop = threading.Event()
    poller = Poller(config=config, engine=engine, stop=stop)
    scheduler = BlockingScheduler(timezone="Asia/Tokyo")
    scheduler.add_job(
        poll_all,
        "interval",
        args=(poller, config),
        seconds=config.poll_interval,
        next_run_time=datetime.now().astimezone(),
        max_instances=1,
        coalesce=True,
        id="poll",
    )

    def shutdown(signum, _frame) -> None:
        log.info("signal %s: finishing the message in hand, then stopping", signum)
        stop.set()
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    log.info("polling %d mailbox(es) every %d s", len(config.mailbox), config.poll_interval)
    scheduler.start()
    log.info("stopped")
