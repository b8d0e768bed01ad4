"""Delivering queued replies over SMTP (aiosmtplib), one at a time, with retries.

Each due reply (``queued``, ``next_attempt_at`` ≤ now) is first *claimed*: one conditional UPDATE
moves its ``next_attempt_at`` ``[replies] claim_lease_seconds`` ahead and is committed before
connecting, so a second sender running at the same moment (``intake run`` and ``intake send``,
or another instance on PostgreSQL, where the row is first taken with ``FOR UPDATE SKIP LOCKED``)
skips it. Then the SMTP
transaction runs, and its outcome is committed at once, reply by reply:

- accepted → ``sent``, with ``sent_at`` and the server's answer in ``server_reply``;
- temporary failure (no listener, timeout, dropped connection, a 4xx answer, refused login) →
  ``attempts`` + 1 and a new try after ``retry_base × 2^(attempts-1)``, capped at ``retry_max``;
  after ``max_attempts`` tries → ``failed``;
- permanent refusal (a 5xx answer, the recipient refused) → ``failed`` at once, with ``last_error``.

A problem with the server itself (connection, TLS, login, timeout) ends the round: every other
due reply records the same attempt and error without another connection, and all are tried again
after their backoff. In ``off`` mode nothing is sent.

**Crash guarantee.** If the process dies — or the database cannot be written — after the server
accepted a reply and before ``sent`` was recorded, the reply is still ``queued`` and goes again once
its lease (``claim_lease_seconds``) has passed. The recipient then gets at most one duplicate per such crash, and it is
recognisable: the Message-ID is fixed when the reply is queued, so the copy carries the same one
(many mail systems drop it on that basis). A reply is never lost, and never sent twice otherwise.

With ``[smtp] transport = "graph"`` the same outbox, retries and audit send through Microsoft
Graph's ``sendMail`` instead (:mod:`intake.sources.graph.sender`): the reply's MIME as built and
protected here, from the mailbox ``[smtp] username``, with the app's token (``[smtp.oauth]``).

The SMTP password is read from its environment variable only here, passed to aiosmtplib and never
logged or stored; error texts are the server's answers, which do not contain it.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from email.policy import SMTP as SMTP_POLICY

import aiosmtplib
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from intake.access import health
from intake.access.login import Login, login_for
from intake.access.oauth import forget
from intake.access.smtp import smtp_session
from intake.access.tls import tls_problem
from intake.access.tokens import TokenStore
from intake.clock import as_utc
from intake.config import Config, SmtpConfig
from intake.db.locks import claim_row
from intake.db.tables import OutboxReply, utcnow
from intake.errors import AuthError, ConfigError, NotFound
from intake.replies.compose import message_for, recipients_of
from intake.replies.outcome import Outcome
from intake.replies.protect import ReplyNotProtected, protect_reply

log = logging.getLogger(__name__)

BATCH_LIMIT = 200


@dataclass(kw_only=True)
class SendReport:
    """What one round of sending did, by reply id."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    stopped: str | None = None  # why the round ended early, if it did
    outcome: Outcome | None = field(default=None, repr=False)  # the outcome that ended it

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "outcome"}


def send_due(*, config: Config, engine: Engine, now: datetime | None = None) -> SendReport:
    """Send every reply that is due now; commits after each one."""
    now = as_utc(now or utcnow())
    report = SendReport()
    if config.replies.mode == "off":
        report.stopped = "replies.mode is off"
        return report
    lease = timedelta(seconds=config.replies.claim_lease_seconds)
    due = _due_ids(engine, now)
    if not due:
        return report
    signs_in = config.smtp.username and config.smtp.transport == "smtp"  # Graph: the app's token
    early: Outcome | None
    try:
        login = login_for(config.smtp, TokenStore.for_config(config)) if signs_in else None
    except ConfigError as exc:
        log.error("replies not sent: %s", exc)
        report.stopped = str(exc)
        return report
    except AuthError as exc:  # no token: like a refused login, every due reply waits for the next round
        login, early = None, Outcome(kind="retry", detail=str(exc), stop_round=True, auth=True)
    else:
        early = None
    for position, reply_id in enumerate(due):
        if not _claim(engine, reply_id, now, lease):
            continue  # another sender took it
        outcome = early or _attempt(engine, config, reply_id, login)
        _note(report, reply_id, _record(engine, config, reply_id, outcome, now))
        if outcome.stop_round:
            report.stopped, report.outcome = outcome.detail, outcome
            _record_rest(engine, config, due[position + 1 :], outcome, now, lease, report)
            break
    _record_health(engine, config, report, login, early)
    return report


def _record_health(
    engine: Engine, config: Config, report: SendReport, login: Login | None, early: Outcome | None
) -> None:
    """SMTP's row in the health table: a round that reached the server is a success."""
    outcome = early or report.outcome
    if outcome is not None and outcome.auth:
        forget(config.smtp)  # a cached token the server refused must not be offered again
    if outcome is not None and outcome.stop_round:
        health.record_failure(
            engine, "smtp", auth_kind=config.smtp.sign_in, error=outcome.detail, auth=outcome.auth
        )
    elif report.sent or report.failed or report.retrying:
        expires = login.expires_at if login else None
        health.record_success(engine, "smtp", auth_kind=config.smtp.sign_in, token_expires_at=expires)


def _record_rest(
    engine: Engine,
    config: Config,
    rest: list[int],
    outcome: Outcome,
    now: datetime,
    lease: timedelta,
    report: SendReport,
) -> None:
    """The server is down for every reply of the round: each due one records the attempt."""
    for reply_id in rest:
        if _claim(engine, reply_id, now, lease):
            _note(report, reply_id, _record(engine, config, reply_id, outcome, now))


def _note(report: SendReport, reply_id: int, state: str) -> None:
    getattr(report, {"sent": "sent", "queued": "retrying", "failed": "failed"}[state]).append(reply_id)


def backoff(attempts: int, config: Config) -> timedelta:
    """The wait before the next try after ``attempts`` failed ones (1 → the base delay)."""
    base, cap = config.replies.retry_base_seconds, config.replies.retry_max_seconds
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def _due_ids(engine: Engine, now: datetime) -> list[int]:
    query = (
        select(OutboxReply.id)
        .where(OutboxReply.state == "queued", OutboxReply.next_attempt_at <= now)
        .order_by(col(OutboxReply.next_attempt_at), col(OutboxReply.id))
        .limit(BATCH_LIMIT)
    )
    with Session(engine) as session:
        return [reply_id for reply_id in session.exec(query) if reply_id is not None]  # (a key never is)


def _claim(engine: Engine, reply_id: int, now: datetime, lease: timedelta) -> bool:
    """Take the reply for this round, or learn that someone else did."""
    statement = (
        update(OutboxReply)
        .where(
            col(OutboxReply.id) == reply_id,
            col(OutboxReply.state) == "queued",
            col(OutboxReply.next_attempt_at) <= now,
        )
        .values(next_attempt_at=now + lease)
    )
    table = OutboxReply.__table__.name  # type: ignore[attr-defined]  # SQLModel's types declare no __table__
    with engine.begin() as conn:  # on PostgreSQL the row is locked first: another instance skips it
        return claim_row(conn, table, reply_id) and conn.execute(statement).rowcount == 1


def _attempt(engine: Engine, config: Config, reply_id: int, login: Login | None) -> Outcome:
    """Build and protect the reply, then hand it to the configured transport."""
    with Session(engine) as session:
        reply = session.get(OutboxReply, reply_id)
        assert reply is not None
        try:
            from_addr = config.get_mailbox(reply.mailbox).address
            message = protect_reply(session, config, reply, message_for(config, reply, from_addr))
        except ReplyNotProtected as exc:
            return Outcome(kind="failed", detail=str(exc))
        except (ConfigError, NotFound, ValueError) as exc:
            return Outcome(kind="failed", detail=f"cannot build the message: {exc}")
        recipients = recipients_of(reply)
    if config.smtp.transport != "smtp":  # through Graph: the MIME as built, from [smtp] username
        from intake.sources.graph.sender import send_reply

        return send_reply(config.smtp, message.as_bytes(policy=SMTP_POLICY))
    try:
        response = asyncio.run(_deliver(message, from_addr, recipients, config.smtp, login))
    except Exception as exc:  # noqa: BLE001 — every failure is classified and recorded
        return classify(exc, config.smtp)
    return Outcome(kind="sent", detail=f"250 {response}".strip())


async def _deliver(message, sender: str, recipients: list[str], smtp: SmtpConfig, login: Login | None) -> str:
    async with smtp_session(smtp, login) as client:
        _errors, response = await client.send_message(message, sender=sender, recipients=recipients)
    return response


def classify(exc: BaseException, smtp: SmtpConfig | None = None) -> Outcome:
    """Temporary or permanent, and whether the server as a whole is the problem."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        text = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
        return Outcome(kind="failed" if any(c >= 500 for c in codes) else "retry", detail=text)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return Outcome(
            kind="retry", detail=f"login refused: {exc.code} {exc.message}", stop_round=True, auth=True
        )
    tls = exc if isinstance(exc, ssl.SSLError) else exc.__cause__
    if isinstance(tls, ssl.SSLError):
        detail = tls_problem(tls, smtp) if smtp else f"TLS failed: {tls}"
        return Outcome(kind="retry", detail=f"smtp: {detail}", stop_round=True)
    if isinstance(exc, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPHeloError):
        return Outcome(kind="retry", detail=_text(exc), stop_round=True)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return Outcome(kind="failed" if exc.code >= 500 else "retry", detail=f"{exc.code} {exc.message}")
    if isinstance(exc, aiosmtplib.SMTPNotSupported) and "SMTPUTF8" in str(exc):
        return Outcome(kind="failed", detail=_text(exc))
    if isinstance(exc, aiosmtplib.SMTPException | OSError | TimeoutError):
        return Outcome(kind="retry", detail=_text(exc), stop_round=True)
    log.exception("unexpected error while sending a reply")
    return Outcome(kind="retry", detail=f"unexpected error: {type(exc).__name__}")


def _text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _record(engine: Engine, config: Config, reply_id: int, outcome: Outcome, now: datetime) -> str:
    """Commit the outcome of one try; returns the reply's new state."""
    limit = config.replies.max_attempts
    with Session(engine) as session:
        reply = session.get(OutboxReply, reply_id)
        assert reply is not None
        reply.attempts += 1
        if outcome.kind == "sent":
            reply.state, reply.sent_at = "sent", now
            reply.server_reply, reply.last_error = outcome.detail, None
        elif outcome.kind == "failed" or reply.attempts >= limit:
            reply.state = "failed"
            reply.last_error = outcome.detail[:1000]
            if outcome.kind == "retry":
                reply.last_error = f"gave up after {reply.attempts} attempts: {reply.last_error}"
        else:
            reply.next_attempt_at = now + backoff(reply.attempts, config)
            reply.last_error = outcome.detail[:1000]
        session.add(reply)
        session.commit()
        _log(reply, outcome)
        return reply.state


def _log(reply: OutboxReply, outcome: Outcome) -> None:
    if reply.state == "sent":
        log.info("reply %s (%s) sent to %s: %s", reply.id, reply.case_id, reply.to_addr, outcome.detail)
    elif reply.state == "failed":
        log.warning(
            "reply %s (%s) to %s failed: %s", reply.id, reply.case_id, reply.to_addr, reply.last_error
        )
    else:
        log.warning(
            "reply %s (%s) to %s not sent yet (attempt %s): %s",
            reply.id,
            reply.case_id,
            reply.to_addr,
            reply.attempts,
            outcome.detail,
        )
