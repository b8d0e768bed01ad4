"""The POC (point of contact, 担当者代表 4(1)) and item (10) POCとしての登録 (Q10).

``poc_not_registered``: secret information is wanted, so the POC must also be registered as staff
with (10) = する. The POC is the application's 4(1) when the case has an application (and 3(2) =
希望する); with a staff registration alone, the organisation's POC on the register. The people
looked at are the blocks of the case's staff registration, else the active people on file.
``multiple_poc``: more than one block with (10) = する (blocks being removed, 廃止, do not count).
"""

from __future__ import annotations

from intake.checks.base import (
    APPLICATION,
    STAFF_REGISTRATION,
    CheckContext,
    RuleFinding,
    check,
    current_form,
    field_value,
)
from intake.checks.facts import CaseFacts, StaffFacts
from intake.checks.names import describe, email_key, same_person
from intake.checks.secrets import WANTS

IS_POC = "する"
REMOVAL = "廃止"


def live_blocks(blocks: tuple[StaffFacts, ...]) -> list[StaffFacts]:
    """Blocks that stay registered (not 廃止, removal)."""
    return [b for b in blocks if b.fields.get("application_type") != REMOVAL]


def _poc_wanted(facts: CaseFacts) -> tuple[str | None, str | None] | None:
    """(name, email) of the POC who must be registered, or None when nothing is to be checked."""
    app = current_form(facts, APPLICATION)
    if app is not None:
        if field_value(app, "receive_secrets") != WANTS:
            return None
        return field_value(app, "poc.name"), field_value(app, "poc.email")
    if current_form(facts, STAFF_REGISTRATION) is None:
        return None
    return None, (facts.register.poc_email if facts.register else None)


def _candidates(facts: CaseFacts) -> list[tuple[str | None, str | None, str | None]]:
    """(name, email, poc) of the people the POC must be among."""
    staff = current_form(facts, STAFF_REGISTRATION)
    if staff is not None:
        return [
            (b.fields.get("name"), b.fields.get("email"), b.fields.get("poc"))
            for b in live_blocks(staff.staff)
        ]
    people = facts.register.people if facts.register else ()
    return [(p.name, p.email, p.poc) for p in people if p.status == "active"]


@check("poc_not_registered", "Secrets wanted, but the POC has no staff block with (10) POC = する (Q10).")
def poc_not_registered(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    wanted = _poc_wanted(facts)
    people = _candidates(facts)
    if wanted is None or not people:
        return []  # nobody registered at all: staff_registration_required says so
    name, email = wanted
    if not name and not email_key(email):
        if any(poc == IS_POC for _, _, poc in people):
            return []
    elif any(poc == IS_POC and same_person({"name": n, "email": e}, name, email) for n, e, poc in people):
        return []
    return [
        ctx.finding(
            "poc_not_registered",
            {
                "poc_name": name or email or "",
                "poc_email": email or "",
            },
            variant=None if (name or email) else "unknown_poc",
        )
    ]


@check("multiple_poc", "More than one staff block with (10) POCとしての登録 = する (Q10).")
def multiple_poc(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    blocks = [b for b in live_blocks(ctx.form.staff if ctx.form else ()) if b.fields.get("poc") == IS_POC]
    if len(blocks) < 2:
        return []
    return [
        ctx.finding(
            "multiple_poc",
            {
                "people": "、".join(describe(b) for b in blocks),
                "positions": ", ".join(str(b.position) for b in blocks),
                "count": len(blocks),
            },
        )
    ]


CHECKS = (poc_not_registered, multiple_poc)
