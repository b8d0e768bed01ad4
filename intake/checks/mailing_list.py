"""``mailing_list_address``: (7) 電子メール must be one person's own address (Q12).

Each person who may handle secrets is registered individually; a mailing list (メーリングリスト) or a
shared role address hides who receives the information. An address is suspect when it matches one
of ``[mailing_list] patterns`` of checks.toml, or when two people give the same address. Blocks
being removed (廃止) are not looked at.
"""

from __future__ import annotations

from collections import Counter

from intake.checks.base import CheckContext, RuleFinding, check, join
from intake.checks.facts import CaseFacts, StaffFacts
from intake.checks.names import describe, email_key
from intake.checks.poc import live_blocks


def looks_like_list(address: str, ctx: CheckContext) -> bool:
    """The address matches a mailing-list / role-address pattern."""
    key = email_key(address) or ""
    return any(p.search(key) for p in ctx.data.mailing_list_patterns)


@check(
    "mailing_list_address",
    "(7) e-mail looks like a mailing list or shared address, or is given for two people (Q12).",
)
def mailing_list_address(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    blocks = [(b, email_key(b.fields.get("email"))) for b in live_blocks(ctx.form.staff if ctx.form else ())]
    counts = Counter(key for _, key in blocks if key)
    hits: list[tuple[StaffFacts, str, str]] = []
    for block, key in blocks:
        if not key:
            continue
        if counts[key] > 1:
            hits.append((block, key, "given for more than one person"))
        elif looks_like_list(key, ctx):
            hits.append((block, key, "matches a mailing-list pattern"))
    if not hits:
        return []
    return [
        ctx.finding(
            "mailing_list_address",
            {
                "people": "、".join(describe(b) for b, _, _ in hits),
                "emails": join([k for _, k, _ in hits], ", "),
                "positions": ", ".join(str(b.position) for b, _, _ in hits),
                "reasons_en": join([f"{k}: {why}" for _, k, why in hits], "; "),
            },
        )
    ]
