"""The outbox: deciding whether a reply may go at all, and queueing it with the case change.

:func:`queue_reply` adds the reply to the caller's session and never commits: the reply exists
exactly when the case change that caused it does (one transaction). It refuses — returns ``None``
and adds nothing — when any loop-safety rule says no (see :func:`refusal`):

- ``mode_off``: ``[replies] mode = "off"``;
- ``no_reply_reason``: the message is a bounce, auto-reply, list or bulk mail, a no-reply sender … ;
- ``own_address``: the recipient is one of the mailboxes we serve (plus-tags ignored);
- ``no_recipient``: the message has no usable sender address;
- ``backlog``: the message was received more than ``backlog_age_hours`` ago (0 turns this off);
- ``daily_cap``: ``max_per_sender_per_day`` replies (queued, held or sent) went to that address in
  the last 24 hours (0 turns this off);
- ``already_replied``: a reply from the same template to the same message is already in the outbox.

In ``hold`` mode the reply waits as ``held`` until staff :func:`release` it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from intake.clock import as_utc
from intake.config import Config
from intake.db import audit, memo
from intake.db.keys import with_id
from intake.db.tables import Case, Message, OutboxReply, utcnow
from intake.errors import IntakeError, NotFound

log = logging.getLogger(__name__)
COUNTED_STATES = ("queued", "held", "sent")  # what the daily cap counts
RELEASABLE_STATES = ("held", "failed")
DAY = timedelta(hours=24)
_SEEN = "outbox_seen"


@dataclass
class _Seen:
    """Of a poller's batch, the recipients and Message-IDs the outbox was asked about at once, and
    those of them it holds replies for (or that the batch queued since): any other was asked and
    has none, and is answered without a lookup."""

    since: datetime  # replies created from then on were looked at
    asked_to: set[str] = field(default_factory=set)
    asked_ids: set[str] = field(default_factory=set)
    replied_to: set[str] = field(default_factory=set)
    replied_ids: set[str] = field(default_factory=set)


def look_up_batch(session: Session, *, recipients: Iterable[str], message_ids: Iterable[str | None]) -> None:
    """Read once for a poller's batch which of its senders had an automatic reply in the last 24
    hours and which of its messages were answered already; two statements for the whole batch."""
    seen = _Seen(since=as_utc(utcnow()) - DAY)
    seen.asked_to = {a.strip().lower() for a in recipients if a}
    seen.asked_ids = {m for m in message_ids if m}
    if seen.asked_to:
        recent = select(OutboxReply.to_addr).where(
            col(OutboxReply.to_addr).in_(sorted(seen.asked_to)),
            col(OutboxReply.state).in_(COUNTED_STATES),
            OutboxReply.created_at >= seen.since,
            col(OutboxReply.author).is_(None),
        )
        seen.replied_to.update(session.exec(recent.distinct()))
    if seen.asked_ids:
        answered = select(OutboxReply.in_reply_to).where(
            col(OutboxReply.in_reply_to).in_(sorted(seen.asked_ids)),
            col(OutboxReply.state).in_(COUNTED_STATES),
        )
        seen.replied_ids.update(i for i in session.exec(answered.distinct()) if i)
    memo.keep(session, _SEEN, seen)


def _none_since(session: Session, to_addr: str, since: datetime) -> bool:
    """The batch's lookup showed no automatic reply to ``to_addr`` since then."""
    seen: _Seen | None = memo.peek(session, _SEEN)
    return seen is not None and since >= seen.since and to_addr in seen.asked_to - seen.replied_to


def _never_answered(session: Session, message_id: str) -> bool:
    """The batch's lookup showed that no reply answers ``message_id``."""
    seen: _Seen | None = memo.peek(session, _SEEN)
    return seen is not None and message_id in seen.asked_ids - seen.replied_ids


def _queued(session: Session, reply: OutboxReply) -> None:
    seen: _Seen | None = memo.peek(session, _SEEN)
    if seen is not None:
        seen.replied_to.add(reply.to_addr)
        seen.replied_ids.add(reply.in_reply_to or "")


def queue_reply(
    session: Session,
    *,
    config: Config,
    case: Case,
    trigger: Message,
    template: str,
    context: Mapping[str, object],
    now: datetime | None = None,
) -> OutboxReply | None:
    """Queue a reply to ``trigger`` in the caller's transaction, or return None if it may not go."""
    from intake.replies.compose import compose_reply, recipient_address  # Jinja2: not to list the outbox

    now = as_utc(now or utcnow())
    to_addr = recipient_of(trigger, case)
    reason = refusal(session, config=config, trigger=trigger, to_addr=to_addr, template=template, now=now)
    if reason:
        log.info("no reply to message %s of case %s: %s", trigger.id, case.id, reason)
        return None
    mailbox = config.get_mailbox(case.mailbox)
    try:
        recipient_address(to_addr)
        unusable = ""
    except ValueError:  # a From we could read but cannot write back: staff answer by hand
        unusable = f"the sender's address {to_addr!r} cannot be used as a recipient: answer by hand"
    composed = compose_reply(
        case_id=case.id,
        mailbox_address=mailbox.address,
        to_addr=to_addr,
        original_subject=trigger.subject or case.subject,
        in_reply_to=trigger.message_id,
        references=trigger.references,
        template=template,
        context={"sender_name": trigger.from_name or case.sender_name, "kind": case.kind, **context},
        rules_dir=config.rules_path,
        check_recipient=not unusable,
    )
    reply = OutboxReply(
        case_id=case.id,
        mailbox=case.mailbox,
        template=template,
        to_addr=to_addr,
        subject=composed.subject,
        message_id=composed.message_id,
        in_reply_to=composed.in_reply_to,
        references=" ".join(composed.references),
        body=composed.body,
        state="held" if config.replies.mode == "hold" or unusable else "queued",
        last_error=unusable or None,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(reply)
    with_id(session, reply)
    _queued(session, reply)
    return reply


def recipient_of(trigger: Message, case: Case) -> str:
    return (trigger.from_addr or case.sender or "").strip().lower()


def refusal(
    session: Session, *, config: Config, trigger: Message, to_addr: str, template: str, now: datetime
) -> str | None:
    """Why no reply may go to ``to_addr`` for ``trigger`` (a short code), or None when one may."""
    if config.replies.mode == "off":
        return "mode_off"
    if trigger.no_reply_reason:
        return "no_reply_reason"
    if not to_addr or "@" not in to_addr:
        return "no_recipient"
    if is_own_address(config, to_addr):
        return "own_address"
    backlog = config.replies.backlog_age_hours
    if backlog and as_utc(trigger.received_at) < now - timedelta(hours=backlog):
        return "backlog"
    cap = config.replies.max_per_sender_per_day
    if (
        cap
        and not _none_since(session, to_addr, now - DAY)
        and replies_since(session, to_addr, now - DAY) >= cap
    ):
        return "daily_cap"
    if (
        trigger.message_id
        and not _never_answered(session, trigger.message_id)
        and _already_replied(session, trigger.message_id, template, to_addr)
    ):
        return "already_replied"
    return None


def replies_since(session: Session, to_addr: str, since: datetime) -> int:
    """Automatic replies to ``to_addr`` since then (staff's own replies are not a robot's loop),
    those the session holds unwritten too."""
    session.flush()
    query = select(func.count()).where(
        OutboxReply.to_addr == to_addr.lower(),
        col(OutboxReply.state).in_(COUNTED_STATES),
        OutboxReply.created_at >= since,
        col(OutboxReply.author).is_(None),
    )
    return session.exec(query).one()


class OwnReplyRelease(IntakeError):
    """A held staff reply released by the person who wrote it: another must read it first."""


def release(session: Session, reply_id: int, by: str) -> OutboxReply:
    """Let a held (or failed) reply go with the next send; the caller commits. A reply staff wrote
    that waits for review (held) is released by someone else than its author (four eyes)."""
    reply = session.get(OutboxReply, reply_id)
    if reply is None:
        raise NotFound(f"no reply {reply_id} in the outbox", label="no_reply", reply=reply_id)
    if reply.state not in RELEASABLE_STATES:
        raise IntakeError(
            f"reply {reply_id} is {reply.state}: only a held or failed reply can be released",
            label="reply_not_releasable",
            reply=reply_id,
            state=reply.state,
        )
    if reply.state == "held" and reply.author and reply.author == by:
        raise OwnReplyRelease(
            f"reply {reply_id} was written by {by}: another desk user must read and release it "
            "([replies] staff_review)",
            label="release_own_reply",
        )
    before = reply.state
    reply.state, reply.attempts, reply.next_attempt_at, reply.last_error = "queued", 0, utcnow(), None
    session.add(reply)
    detail = {"reply": reply_id, "template": reply.template, "to": reply.to_addr, "was": before}
    audit.record(session, by=by, action="reply_released", case_id=reply.case_id, detail=detail)
    return reply


def cancel(session: Session, reply_id: int, by: str) -> OutboxReply:
    """Drop a reply that has not gone yet (queued, held or failed); the caller commits."""
    reply = session.get(OutboxReply, reply_id)
    if reply is None:
        raise NotFound(f"no reply {reply_id} in the outbox", label="no_reply", reply=reply_id)
    if reply.state not in ("queued", *RELEASABLE_STATES):
        raise IntakeError(
            f"reply {reply_id} is {reply.state}: it can no longer be cancelled",
            label="reply_not_cancellable",
            reply=reply_id,
            state=reply.state,
        )
    before, reply.state = reply.state, "cancelled"
    session.add(reply)
    detail = {"reply": reply_id, "template": reply.template, "to": reply.to_addr, "was": before}
    audit.record(session, by=by, action="reply_cancelled", case_id=reply.case_id, detail=detail)
    return reply


def list_replies(session: Session, *, state: str | None = None) -> list[OutboxReply]:
    """Every reply (or those in one state), newest first."""
    query = select(OutboxReply).order_by(col(OutboxReply.id).desc())
    if state:
        query = query.where(OutboxReply.state == state)
    return list(session.exec(query))


def is_own_address(config: Config, address: str) -> bool:
    """Whether ``address`` is one of the mailboxes we serve (plus-tags ignored) or the SMTP login."""
    return _base_address(address) in _own_addresses(config)


def _base_address(address: str) -> str:
    """``name+tag@domain`` → ``name@domain``, lower case."""
    local, _, domain = address.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def _own_addresses(config: Config) -> set[str]:
    """Every mailbox we serve, and the SMTP login when it is an address."""
    own = {_base_address(a) for a in config.own_addresses}
    if "@" in config.smtp.username:
        own.add(_base_address(config.smtp.username))
    return own


def _already_replied(session: Session, message_id: str, template: str, to_addr: str) -> bool:
    session.flush()  # the replies the session holds unwritten count too
    query = select(OutboxReply.id).where(
        OutboxReply.in_reply_to == message_id,
        OutboxReply.template == template,
        OutboxReply.to_addr == to_addr.lower(),
        col(OutboxReply.state).in_(COUNTED_STATES),
    )
    return session.exec(query.limit(1)).first() is not None
