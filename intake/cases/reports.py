"""Robots answering our replies: a bounce (a delivery report) joins the case of the reply it returns,
and a reply that could not be delivered is marked ``bounced`` with the server's words.

An auto-reply (out of office, 不在) carries our reply's Message-ID in its In-Reply-To and joins the
case by the usual threading; a bounce usually does not, so the Message-IDs quoted in the report
(:func:`intake.mail.read_delivery_report`) are looked up among the replies we sent.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from intake.db import audit
from intake.db.tables import OutboxReply
from intake.mail import DeliveryReport

ACTOR = "intake"


def reported_reply(session: Session, mailbox: str, report: DeliveryReport | None) -> OutboxReply | None:
    """Our reply the report is about (its Message-ID quoted in the report), if any."""
    if report is None or not report.original_ids:
        return None
    query = select(OutboxReply).where(
        OutboxReply.mailbox == mailbox, col(OutboxReply.message_id).in_(report.original_ids)
    )
    return session.exec(query.order_by(col(OutboxReply.id).desc()).limit(1)).first()


def mark_bounced(session: Session, reply: OutboxReply, report: DeliveryReport, message_pk: int) -> None:
    """The reply did not reach its recipient: ``bounced``, with the status and the server's words."""
    if reply.state not in ("sent", "failed"):
        return
    reply.state, reply.last_error = "bounced", report.summary()[:1000]
    session.add(reply)
    detail = {"reply": reply.id, "to": reply.to_addr, "message": message_pk, "error": reply.last_error}
    audit.record(session, by=ACTOR, action="reply_bounced", case_id=reply.case_id, detail=detail)
