"""Who applies: an organisation, not a person (Q4); one department only (Q5); task forces (Q3).

``individual_applicant``: no 2(1) 組織・団体名 (organisation name), or one equal to the POC's personal
name; raised from info to warning (variant ``free_mail``) when the sender or the POC writes from a
free-mail or mobile-carrier domain. ``duplicate_department``: another department of the same
organisation already applied or is a member (the facts list them). ``taskforce_contact``: 3(1)
参加区分 is タスクフォース第一類 / 第二類構成員 (task-force class 1 / 2), which staff arrange separately.
"""

from __future__ import annotations

from intake.checks.base import CheckContext, RuleFinding, check, field_value, join
from intake.checks.facts import CaseFacts
from intake.checks.names import domain_of, is_free_mail, name_key

TASKFORCE = ("タスクフォース第一類構成員", "タスクフォース第二類構成員")


@check("individual_applicant", "The applicant looks like a person, not an organisation (Q4).")
def individual_applicant(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    org = field_value(ctx.form, "org_name")
    poc = field_value(ctx.form, "poc.name")
    if org and name_key(org) != name_key(poc):
        return []
    poc_email = field_value(ctx.form, "poc.email")
    free = [a for a in (facts.sender, poc_email) if is_free_mail(a, ctx.data.free_mail_domains)]
    return [
        ctx.finding(
            "individual_applicant",
            {
                "org_name": org or "",
                "poc_name": poc or "",
                "sender_domain": domain_of(free[0] if free else facts.sender),
            },
            variant="free_mail" if free else None,
        )
    ]


@check(
    "duplicate_department", "Another department of the same organisation already applied or is a member (Q5)."
)
def duplicate_department(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    if not facts.other_departments:
        return []
    return [
        ctx.finding(
            "duplicate_department",
            {
                "org_name": field_value(ctx.form, "org_name") or "",
                "department": field_value(ctx.form, "department") or "",
                "departments": join(list(facts.other_departments)),
            },
        )
    ]


@check(
    "taskforce_contact", "Task-force class 1 / 2 participation requested: staff contact the applicant (Q3)."
)
def taskforce_contact(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    participation = field_value(ctx.form, "participation")
    if participation not in TASKFORCE:
        return []
    return [ctx.finding("taskforce_contact", {"participation": participation})]


CHECKS = (individual_applicant, duplicate_department, taskforce_contact)
