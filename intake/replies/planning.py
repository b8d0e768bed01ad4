"""Which reply a case change calls for, written to the outbox in the caller's transaction.

* an encrypted file still waits for its phoned-in password: no reply yet (the contents decide);
* a PDF or other format instead of the Word file: the "Word, not PDF" notice;
* a new application outside every recruitment period: the out-of-period notice;
* anything the sender must still supply (``missing`` findings): the checklist, one line each
  (for incidents with the fill-in block, holding a line for each of 確認①②③ still unanswered);
* nothing missing: one acknowledgement (受付完了), once per case.

Loop safety (robots, our own addresses, the per-sender cap, old backlog) is the outbox's job.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from intake.checks import CONFIRMATION_BLOCK, RuleFinding
from intake.checks.period import next_period
from intake.clock import JST
from intake.config import Config
from intake.db.keys import stored_id
from intake.db.tables import Case, Message, OutboxReply, utcnow
from intake.replies.calendar import REGISTRATION_BUSINESS_DAYS, add_business_days
from intake.replies.outbox import cancel, queue_reply


def plan_reply(
    session: Session,
    *,
    config: Config,
    case: Case,
    findings: list[RuleFinding],
    trigger: Message | None = None,
    opened: bool = False,
) -> OutboxReply | None:
    """The reply to ``trigger`` (default: the case's newest incoming message), if one is due;
    ``opened``: the case was opened in this transaction (no older reply of it waits)."""
    trigger = trigger or latest_incoming(session, case.id)
    codes = {f.code for f in findings}
    if trigger is None or "password_pending" in codes:
        return None
    template = _template(config, case, findings, codes)
    if template is None:
        return None
    context = _context(config, case, findings)
    context["filenames"] = [f.params["filename"] for f in findings if f.code == "word_format_required"]
    reply = queue_reply(
        session, config=config, case=case, trigger=trigger, template=template, context=context
    )
    if reply is None:
        return None
    if not opened:
        _supersede_unsent(session, case, reply)
    if template == "acknowledgement":
        case.acknowledged_at = utcnow()
        session.add(case)
    record_outgoing(session, case, reply, config.get_mailbox(case.mailbox).address)
    return reply


def _supersede_unsent(session: Session, case: Case, newest: OutboxReply) -> None:
    """An older automatic reply still waiting (the SMTP server was down, or staff hold it) would ask
    for what the sender has since sent: the newest reply replaces it. A reply staff wrote is theirs
    to send or cancel: it is never superseded."""
    waiting = select(OutboxReply).where(
        OutboxReply.case_id == case.id,
        col(OutboxReply.state).in_(("queued", "held")),
        OutboxReply.id != newest.id,
        col(OutboxReply.author).is_(None),
    )
    for older in session.exec(waiting):
        cancel(session, stored_id(older), by=f"intake (superseded by reply {newest.id})")


def record_outgoing(
    session: Session, case: Case, reply: OutboxReply, mailbox_address: str, *, sha256: str = "", size: int = 0
) -> None:
    """The reply as a message of the case, so the sender's answer threads back by its headers;
    ``sha256``: the whole message in the archive, when it was built there (a staff reply with files)."""
    session.add(
        Message(
            case_id=case.id,
            mailbox=case.mailbox,
            direction="out",
            message_id=reply.message_id,
            in_reply_to=reply.in_reply_to,
            references=reply.references,
            sha256=sha256,
            size=size,
            subject=reply.subject,
            from_addr=mailbox_address,
            from_name=reply.author or "",
            source_ref=f"outbox:{reply.id}",
        )
    )


def _template(config: Config, case: Case, findings: list[RuleFinding], codes: set[str]) -> str | None:
    if "word_format_required" in codes:
        return "word_required"
    if "outside_recruitment_period" in codes:
        return "out_of_period"
    if any(f.severity == "missing" for f in findings):
        return "checklist"
    if case.acknowledged_at is None and case.kind != "other":
        return "acknowledgement"
    return None


def _context(config: Config, case: Case, findings: list[RuleFinding]) -> dict:
    missing = [f for f in findings if f.severity == "missing"]
    periods = tuple((p.start, p.end) for p in config.membership.recruitment_periods)
    upcoming = next_period(case.received_at.astimezone(JST).date(), periods)
    today = utcnow().astimezone(JST).date()
    return {
        "case_id": case.id,
        "kind": case.kind,
        "org_name": case.org_name,
        "sender_name": case.sender_name,
        "missing": [f.message_ja for f in missing],
        "missing_codes": [f.code for f in missing],
        "is_incident": case.kind == "incident_report",
        "confirmation_block": confirmation_block([f.code for f in missing]),
        "encryption_reminder": any(f.code == "encryption_required" for f in findings),
        "phone_reminder": any(f.code == "password_in_email" for f in findings),
        "next_period": {"start": upcoming[0], "end": upcoming[1]} if upcoming else None,
        "expected_date": add_business_days(today, REGISTRATION_BUSINESS_DAYS)
        if case.kind == "staff_registration"
        else None,
    }


# The finding of each Q24 confirmation, and how its line in CONFIRMATION_BLOCK begins.
CONFIRMATION_ITEMS = {
    "secret_designation": "確認①",
    "sharing_scope": "確認②",
    "external_coordination": "確認③",
}


def confirmation_block(missing_codes: list[str]) -> str:
    """The fill-in block with the lines of the confirmations still unanswered only (none: empty),
    so a reporter who answered two is asked for the third alone."""
    wanted = {CONFIRMATION_ITEMS[code] for code in missing_codes if code in CONFIRMATION_ITEMS}
    if not wanted:
        return ""
    lines = CONFIRMATION_BLOCK.splitlines(keepends=True)
    items = set(CONFIRMATION_ITEMS.values())
    return "".join(line for line in lines if line[:3] not in items or line[:3] in wanted)


def latest_incoming(session: Session, case_id: str) -> Message | None:
    query = select(Message).where(Message.case_id == case_id, Message.direction == "in")
    return session.exec(query.order_by(col(Message.received_at).desc(), col(Message.id).desc())).first()
