"""Who really sent it, and whether what they signed holds — findings for staff only (warnings, never
in a reply: telling a forger which check caught them helps the forger).

``sender_not_authenticated``: a message's From domain failed DMARC, or no DKIM or SPF pass aligned
with it, by our own receiving servers' Authentication-Results or DKIM checked here. A change to the
register (継続 continuing / 廃止 removal / 新規 new staff, a POC change) from such a message is
applied on acceptance only when staff confirm it in that action (``--confirm-unauthenticated``).

``signature_bad``: a PGP or S/MIME signature that does not hold (altered in transit, or forged).
``signer_not_sender``: a signature that holds, made with a key or certificate that does not name the
From address (a colleague signing for someone, a forwarded message — or someone else's key used to
lend a forged From the look of a signed message).
``message_undecryptable``: mail encrypted to a key the secretariat does not hold (or that could not
be unlocked); the original is kept, and staff ask the sender for it again.
"""

from __future__ import annotations

from intake.checks.base import CheckContext, RuleFinding, check, join
from intake.checks.facts import CaseFacts, SecurityFacts


@check(
    "sender_not_authenticated",
    "The From domain failed DMARC, or no DKIM/SPF pass aligned with it (staff only).",
)
def sender_not_authenticated(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    failed = [s for s in facts.security if s.auth == "fail"]
    if not failed:
        return []
    params = {"senders": join([s.sender for s in failed], ", "), "detail": failed[-1].auth_detail}
    return [ctx.finding("sender_not_authenticated", params)]


@check("signature_bad", "A PGP or S/MIME signature does not hold (staff only).")
def signature_bad(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    bad = [s for s in facts.security if s.signature == "bad"]
    if not bad:
        return []
    return [ctx.finding("signature_bad", _senders_and_signers(bad))]


@check("signer_not_sender", "A valid signature whose signer is not the From address (staff only).")
def signer_not_sender(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    other = [s for s in facts.security if s.signature == "good" and s.signer_matches is False]
    if not other:
        return []
    return [ctx.finding("signer_not_sender", _senders_and_signers(other))]


def _senders_and_signers(signed: list[SecurityFacts]) -> dict[str, str]:
    return {
        "senders": join([s.sender for s in signed], ", "),
        "signers": join([s.signer for s in signed], ", "),
    }


@check("message_undecryptable", "An encrypted message could not be decrypted (staff only).")
def message_undecryptable(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    locked = [s for s in facts.security if s.encrypted and not s.decrypted]
    if not locked:
        return []
    params = {"senders": join([s.sender for s in locked], ", "), "problem": locked[-1].problem}
    return [ctx.finding("message_undecryptable", params)]


def unauthenticated(facts: CaseFacts) -> bool:
    """Some message of the case failed sender authentication."""
    return any(s.auth == "fail" for s in facts.security)


CHECKS = (sender_not_authenticated, signature_bad, signer_not_sender, message_undecryptable)
