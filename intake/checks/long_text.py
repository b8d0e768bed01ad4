"""``text_read_in_part`` (staff only): a message's body was longer than ``[limits] max_text_chars``.

Only the first part of such a body is read for answers (確認①②③) and passwords; the whole message
is kept and shown. Staff read the rest themselves: an answer written past the limit is not seen.
"""

from __future__ import annotations

from intake.checks.base import CheckContext, RuleFinding, check
from intake.checks.facts import CaseFacts


@check("text_read_in_part", "A body was too long to be read whole; its first part was read (staff only).")
def text_read_in_part(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    long = [m for m in facts.messages if m.unread_chars]
    if not long:
        return []
    read = len(long[-1].text)
    params = {
        "read": f"{read:,}",
        "unread": f"{sum(m.unread_chars for m in long):,}",
        "count": str(len(long)),
    }
    return [ctx.finding("text_read_in_part", params)]


CHECKS = (text_read_in_part,)
