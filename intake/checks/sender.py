"""``sender_not_on_file``: a change for a registered organisation from an unknown address.

A change (申込区分 = 申込み事項の変更, or a 事務従事者登録届) for an organisation already on the
register should come from its POC or one of its registered people. Anything else may be spoofed:
staff are warned, and nothing is applied to the register until they approve.
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
    has_document,
)
from intake.checks.facts import CaseFacts
from intake.checks.names import email_key

CHANGE = "申込み事項の変更"


def changes_organisation(facts: CaseFacts) -> bool:
    """The case changes what is registered: a change notice or a staff registration."""
    app = current_form(facts, APPLICATION)
    return field_value(app, "application_kind") == CHANGE or has_document(facts, STAFF_REGISTRATION)


@check(
    "sender_not_on_file",
    "A change for a registered organisation comes from neither its POC nor a registered person.",
)
def sender_not_on_file(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    register = facts.register
    if register is None or not changes_organisation(facts):
        return []
    known = {email_key(register.poc_email)} | {
        email_key(p.email) for p in register.people if p.status == "active"
    }
    if email_key(facts.sender) in known - {None}:
        return []
    return [ctx.finding("sender_not_on_file", {"sender": facts.sender, "org_name": register.org_name})]
