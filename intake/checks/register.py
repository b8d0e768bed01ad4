"""(8) 申請区分 (application type) against the organisation's register (Q15).

新規 = a new person, 継続 = a person who stays registered, 廃止 = a person to remove. A block is
matched to a registered person by e-mail address, else by name (spaces ignored).
``continuing_unknown``: 継続 for someone not currently registered; ``new_already_registered``: 新規
for someone already registered; ``abolished_unknown``: 廃止 for someone not registered;
``abolished_not_removed``: someone marked 廃止 in the previous accepted registration appears again
(Q15 asks to delete that block; a 新規 block re-registering the person is fine). With no register
entry for the organisation, nobody counts as registered.
"""

from __future__ import annotations

from collections.abc import Callable

from intake.checks.base import CheckContext, RuleFinding, check, join
from intake.checks.facts import CaseFacts, PersonOnFile, StaffFacts
from intake.checks.names import describe, find_person

NEW, CONTINUING, REMOVAL = "新規", "継続", "廃止"


def active(facts: CaseFacts) -> tuple[PersonOnFile, ...]:
    return tuple(p for p in facts.register.people if p.status == "active") if facts.register else ()


def _finding(ctx: CheckContext, code: str, blocks: list[StaffFacts]) -> list[RuleFinding]:
    if not blocks:
        return []
    return [
        ctx.finding(
            code,
            {
                "people": "、".join(describe(b) for b in blocks),
                "positions": ", ".join(str(b.position) for b in blocks),
                "emails": join([b.fields.get("email") or "" for b in blocks], ", "),
            },
        )
    ]


def _blocks(ctx: CheckContext, kind: str, keep: Callable[[StaffFacts], bool]) -> list[StaffFacts]:
    blocks = ctx.form.staff if ctx.form else ()
    return [b for b in blocks if b.fields.get("application_type") == kind and keep(b)]


@check("continuing_unknown", "(8) 継続 (continuing) for a person not on the current register (Q15).")
def continuing_unknown(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    people = active(facts)
    return _finding(
        ctx, "continuing_unknown", _blocks(ctx, CONTINUING, lambda b: find_person(b.fields, people) is None)
    )


@check("new_already_registered", "(8) 新規 (new) for a person already on the register (Q15).")
def new_already_registered(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    people = active(facts)
    return _finding(
        ctx, "new_already_registered", _blocks(ctx, NEW, lambda b: find_person(b.fields, people) is not None)
    )


@check("abolished_unknown", "(8) 廃止 (removal) for a person not on the register (Q15).")
def abolished_unknown(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    # Someone removed by the previous accepted registration is known: their block left in place is
    # abolished_not_removed (delete the block), not a name to check.
    known = active(facts) + (facts.register.removed_last_time if facts.register else ())
    return _finding(
        ctx, "abolished_unknown", _blocks(ctx, REMOVAL, lambda b: find_person(b.fields, known) is None)
    )


@check(
    "abolished_not_removed",
    "A person marked 廃止 last time appears again; their block should be deleted (Q15).",
)
def abolished_not_removed(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    removed = facts.register.removed_last_time if facts.register else ()
    blocks = ctx.form.staff if ctx.form and removed else ()
    again = [b for b in blocks if b.fields.get("application_type") != NEW and find_person(b.fields, removed)]
    return _finding(ctx, "abolished_not_removed", again)


CHECKS = (continuing_unknown, new_already_registered, abolished_unknown, abolished_not_removed)
