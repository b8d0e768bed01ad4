"""Whether our replies reach the sender: a reply that bounced leaves the sender without an answer.

``reply_bounced`` (staff only, never in a reply — there is nobody to send it to): a reply of ours
came back undelivered. It stays open until a later reply goes to another address: the sender wrote
again from a working address (the reply to it is written right after this check), or staff
released one to a corrected address.
"""

from __future__ import annotations

from datetime import UTC, datetime

from intake.checks.base import CheckContext, RuleFinding, check, join
from intake.checks.facts import CaseFacts, ReplyFacts


@check("reply_bounced", "A reply of ours bounced: the sender has no answer (staff should call them).")
def reply_bounced(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    bounced = [r for r in facts.replies if r.state == "bounced" and not _answered_since(r, facts)]
    if not bounced:
        return []
    params = {
        "to": join([r.to_addr for r in bounced]),
        "reason": join([f"{r.to_addr}: {r.detail}" for r in bounced], "; "),
    }
    return [ctx.finding("reply_bounced", params)]


def _answered_since(bounced: ReplyFacts, facts: CaseFacts) -> bool:
    elsewhere = ("queued", "held", "sent")
    if any(
        r.id > bounced.id and r.state in elsewhere and r.to_addr != bounced.to_addr for r in facts.replies
    ):
        return True
    return any(
        _as_utc(m.received_at) > _as_utc(bounced.created_at) and m.sender.lower() != bounced.to_addr
        for m in facts.messages
    )


def _as_utc(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


CHECKS = (reply_bounced,)
