"""The daily digest (日次通知): each desk user with an e-mail gets, once a JST day, the list of the
cases they own (担当) that are overdue or due today — internal mail, queued in the outbox with no
case (``OutboxReply.case_id`` None, template ``digest``) and sent like any reply.

At most one per user per day: a :class:`~intake.db.tables.DigestSent` row (user, day) is written
in the same transaction as the mail, and its primary key refuses a second — across restarts and
two schedulers at once. A user with nothing overdue or due gets no mail, and the day is marked
done all the same. It goes even in ``[replies] mode = "hold"`` (holding is for mail to senders,
and this is staff's own), never with ``off``. ``intake run`` queues the digests once the JST hour reaches
``[sla] digest_hour`` (with ``digest = true``); ``intake digest`` does it at once.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from intake.cases import sla
from intake.clock import JST, as_utc
from intake.config import Config
from intake.db.tables import Case, DeskUser, DigestSent, OutboxReply, utcnow
from intake.replies.compose import render_template
from intake.secretariat.labels import kind_label, status_label

log = logging.getLogger(__name__)
TEMPLATE = "digest"


@dataclass(kw_only=True)
class DigestReport:
    """What one run did: the users mailed, those with nothing to report, those done already."""

    queued: list[str] = field(default_factory=list)
    nothing: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    stopped: str | None = None


def digest_time(config: Config, now: datetime | None = None) -> bool:
    """Whether ``intake run`` should queue today's digests now (the JST hour has come)."""
    return config.sla.digest and as_utc(now or utcnow()).astimezone(JST).hour >= config.sla.digest_hour


def queue_digests(engine: Engine, config: Config, *, now: datetime | None = None) -> DigestReport:
    """Queue today's digest for every enabled desk user with an e-mail not served yet today; each
    user in a transaction of their own."""
    now = as_utc(now or utcnow())
    report = DigestReport()
    mailbox = _mailbox(config)
    if mailbox is None:
        report.stopped = "no mailbox to send the digest from"
        return report
    if config.replies.mode == "off":
        report.stopped = "replies.mode is off"
        return report
    day = now.astimezone(JST).date().isoformat()
    with Session(engine) as session:
        users = [(u.name, u.email) for u in session.exec(_recipients())]
    for name, email in users:
        getattr(report, _queue_one(engine, config, name, email or "", day, mailbox, now)).append(name)
    if report.queued:
        log.info("digest: queued for %s", ", ".join(report.queued))
    return report


def owned_due(session: Session, owner: str, *, now: datetime | None = None) -> tuple[list[Case], list[Case]]:
    """The owner's open cases overdue (most overdue first) and due today."""
    today = sla.today_start(now)
    query = (
        select(Case)
        .where(Case.owner == owner, Case.robot == False, col(Case.due_at) < today + timedelta(days=1))  # noqa: E712
        .order_by(col(Case.due_at), col(Case.id))
    )
    cases = list(session.exec(query))
    return [c for c in cases if sla.is_overdue(c.due_at, now)], [
        c for c in cases if sla.is_due_today(c.due_at, now)
    ]


def _recipients():
    return (
        select(DeskUser)
        .where(DeskUser.disabled == False, col(DeskUser.email).is_not(None))  # noqa: E712
        .order_by(col(DeskUser.name))
    )


def _mailbox(config: Config):
    if config.sla.digest_mailbox:
        return config.get_mailbox(config.sla.digest_mailbox)
    return config.mailbox[0] if config.mailbox else None


def _queue_one(
    engine: Engine, config: Config, name: str, email: str, day: str, mailbox, now: datetime
) -> str:
    """``queued``, ``nothing`` or ``already``: what happened to this user's digest today."""
    with Session(engine) as session:
        if session.get(DigestSent, (name, day)) is not None:
            return "already"
        overdue, due_today = owned_due(session, name, now=now)
        reply = None
        if overdue or due_today:
            reply = _reply(config, name, email, day, mailbox, overdue, due_today, now)
            session.add(reply)
            session.flush()
        session.add(DigestSent(user_name=name, day=day, reply_id=reply.id if reply else None, created_at=now))
        try:
            session.commit()
        except IntegrityError:  # another scheduler served this user a moment ago
            session.rollback()
            return "already"
    return "queued" if reply else "nothing"


def _reply(config, name, email, day, mailbox, overdue, due_today, now) -> OutboxReply:
    rules = config.rules_path
    context = {
        "user": name,
        "day": day,
        "overdue": [_line(c, rules) for c in overdue],
        "due_today": [_line(c, rules) for c in due_today],
        "desk_url": config.desk.public_url,
    }
    domain = mailbox.address.rpartition("@")[2].lower()
    return OutboxReply(
        case_id=None,
        mailbox=mailbox.name,
        template=TEMPLATE,
        to_addr=email.lower(),
        subject=f"【期限】担当ケース 期限超過 {len(overdue)}件・本日期限 {len(due_today)}件（{day}）",
        message_id=f"digest.{secrets.token_hex(10)}@{domain}",
        body=render_template(rules, TEMPLATE, context),
        state="queued",
        next_attempt_at=now,
        created_at=now,
    )


def _line(case: Case, rules) -> dict:
    return {
        "id": case.id,
        "kind": kind_label(case.kind, rules),
        "status": status_label(case.status, rules),
        "org": case.org_name or case.sender,
        "due": sla.due_date(case.due_at),
    }
