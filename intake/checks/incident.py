"""The incident / consultation mailbox (Q24): the three confirmations and non-members.

``secret_designation`` (確認① 秘密指定の有無), ``sharing_scope`` (確認② 情報の共有範囲) and
``external_coordination`` (確認③ 協議会事務局外への対応調整の要否) stay open while the reporter has
not answered them clearly. The answers are ``facts.incident``, else read from the case's messages.
``answer_unclear`` (warning, for staff only): a line answers an item in words intake cannot read
(「確認①：社内で検討中です」); it is never taken as an answer, and staff see the line — one finding
per item, ``answer_unclear:secret_designation`` and so on.
``non_member`` (info): the sender's organisation is not a member; the report is handled anyway.
"""

from __future__ import annotations

from intake.checks.answers.confirmations import read_confirmations
from intake.checks.answers.marks import ITEMS
from intake.checks.base import CheckContext, RuleFinding, check
from intake.checks.facts import CaseFacts, IncidentAnswers


def answers_of(facts: CaseFacts) -> IncidentAnswers:
    if facts.incident is not None:
        return facts.incident
    return read_confirmations([m.text for m in facts.messages], [m.subject for m in facts.messages])


def _open(code: str, field: str):
    def run(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
        return [ctx.finding(code, {})] if getattr(answers_of(facts), field) is None else []

    return run


secret_designation = check(
    "secret_designation", "確認① 秘密指定の有無 (secret designation) not answered (Q24)."
)(_open("secret_designation", "secret_designation"))
sharing_scope = check(
    "sharing_scope", "確認② 情報の共有範囲 (sharing scope, or a TLP label) not answered (Q24)."
)(_open("sharing_scope", "sharing_scope"))
external_coordination = check(
    "external_coordination",
    "確認③ 協議会事務局外への対応調整の要否 (coordination outside the secretariat) not answered (Q24).",
)(_open("external_coordination", "external_coordination"))


@check(
    "answer_unclear",
    "A line answering 確認①②③ in words intake cannot read: not taken as an answer; staff see the line.",
)
def answer_unclear(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    unclear = answers_of(facts).unclear
    return [
        ctx.finding(f"answer_unclear:{item.code}", {"item": item.mark, "line": " / ".join(lines)})
        for item in ITEMS
        if (lines := [line for code, line in unclear if code == item.code])
    ]


@check("non_member", "The sender's organisation is not on the member register (info; still handled, Q24).")
def non_member(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    return [] if facts.member else [ctx.finding("non_member", {"sender": facts.sender})]


CHECKS = (secret_designation, sharing_scope, external_coordination, answer_unclear, non_member)
