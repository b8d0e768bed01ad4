"""3(2) 秘密を含む情報の受信 (receiving information that includes secrets) and the staff registration.

Q3 / Q8: who answers 希望する (wants it) must also send a 事務従事者登録届 (staff registration)
naming the people who may handle secrets — unless the organisation already has people on file;
who answers 希望しない (does not want it) need not send one.
"""

from __future__ import annotations

from intake.checks.base import STAFF_REGISTRATION, CheckContext, RuleFinding, check, field_value, has_document
from intake.checks.facts import CaseFacts

WANTS, DOES_NOT_WANT = "希望する", "希望しない"


def active_people(facts: CaseFacts) -> int:
    register = facts.register
    return sum(1 for p in register.people if p.status == "active") if register else 0


@check(
    "staff_registration_required",
    "Secrets wanted (3(2) = 希望する) but no staff registration sent or on file.",
)
def staff_registration_required(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    if field_value(ctx.form, "receive_secrets") != WANTS:
        return []
    if has_document(facts, STAFF_REGISTRATION) or active_people(facts):
        return []
    return [ctx.finding("staff_registration_required", {"org_name": field_value(ctx.form, "org_name") or ""})]


@check("staff_registration_not_needed", "3(2) = 希望しない, yet a staff registration was sent (info).")
def staff_registration_not_needed(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    if field_value(ctx.form, "receive_secrets") != DOES_NOT_WANT or not has_document(
        facts, STAFF_REGISTRATION
    ):
        return []
    return [ctx.finding("staff_registration_not_needed", {})]


CHECKS = (staff_registration_required, staff_registration_not_needed)
