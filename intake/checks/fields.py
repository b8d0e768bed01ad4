"""``required_field:<field>`` and ``choice_required:<field>``, from the flags of ``rules/forms``.

Listed in the table under ``application`` they check the application's items (codes such as
``required_field:poc.email``); under ``staff_registration`` each person block (事務従事者N) of the
registration (``required_field:staff[2].email``). A field is required when its spec says
``required`` or its ``required_when`` condition holds (2(8) 分野 when 2(7) 区分 =
重要社会基盤事業者). A choice (tick boxes) must have exactly one box ticked: a required one with none
or several, an optional one with several, gives ``choice_required``. A value the reader found but
could not understand (「value unreadable」, e.g. an e-mail without @) gives ``required_field`` with
the variant ``unreadable`` — except a 法人番号, which ``corporate_number_invalid`` reports.
"""

from __future__ import annotations

from collections.abc import Mapping

from intake.checks.base import STAFF_REGISTRATION, CheckContext, RuleFinding, check, fullwidth
from intake.checks.facts import CaseFacts, FormFacts, StaffFacts
from intake.forms.spec import FieldSpec, FormSpec

REQUIRED, CHOICE, UNREADABLE = "required_field", "choice_required", "unreadable"
# Kinds whose unreadable values another check reports (corporate_number_invalid says what is wrong
# with a 法人番号): no second, vaguer required_field line for the same item.
OWN_CHECK = frozenset({"corporate_number"})


def field_gaps(
    spec: FormSpec,
    values: Mapping[str, str | None],
    ticked: Mapping[str, tuple[str, ...]],
    problems: Mapping[str, str] | None = None,
    prefix: str = "",
) -> list[tuple[str, FieldSpec]]:
    """``(kind, field)`` for each gap, in form order; kind is required_field, choice_required or
    unreadable. ``prefix`` (``staff[2].``) is how ``problems`` name a block's fields."""
    required = set(spec.required_keys(values))
    gaps: list[tuple[str, FieldSpec]] = []
    for fs in spec.fields:
        value = (values.get(fs.key) or "").strip()
        several = len(ticked.get(fs.key, ())) >= 2
        if fs.kind == "choice" and not value and (fs.key in required or several):
            gaps.append((CHOICE, fs))
        elif fs.kind == "text_or_choice" and not value and several:
            gaps.append((CHOICE, fs))
        elif not value and fs.key in required:
            gaps.append((REQUIRED, fs))
        elif (
            value
            and fs.kind not in OWN_CHECK
            and not fs.is_choice
            and "unreadable" in (problems or {}).get(prefix + fs.key, "")
        ):
            gaps.append((UNREADABLE, fs))
    return gaps


def application_label(spec: FormSpec, fs: FieldSpec) -> str:
    """「２（１）組織・団体名」, 「４（１）担当者代表（POC）の電子メール」."""
    return spec.label(fs.key)


def staff_label(fs: FieldSpec, position: int) -> str:
    """「（７）電子メール（事務従事者２）」."""
    return f"{fullwidth(fs.item)}{fs.labels[0]}（事務従事者{fullwidth(str(position))}）"


def _findings(ctx: CheckContext, wanted: str, form: FormFacts) -> list[RuleFinding]:
    """The findings of one family (required_field or choice_required) for a form."""
    spec = ctx.specs[form.document]
    out: list[RuleFinding] = []
    if form.document != STAFF_REGISTRATION:
        for kind, fs in field_gaps(spec, form.fields, form.ticked, form.problems):
            out.extend(_one(ctx, wanted, kind, fs, fs.key, application_label(spec, fs), form.ticked))
        return out
    blocks = form.staff or (StaffFacts(position=1, fields={}),)
    for block in blocks:
        prefix = f"staff[{block.position}]."
        for kind, fs in field_gaps(spec, block.fields, block.ticked, form.problems, prefix):
            label = staff_label(fs, block.position)
            out.extend(_one(ctx, wanted, kind, fs, prefix + fs.key, label, block.ticked))
    return out


def _one(
    ctx: CheckContext,
    wanted: str,
    kind: str,
    fs: FieldSpec,
    key: str,
    label: str,
    ticked: Mapping[str, tuple[str, ...]],
) -> list[RuleFinding]:
    family = CHOICE if kind == CHOICE else REQUIRED
    if family != wanted:
        return []
    params = {"field": key, "label": label}
    if family == CHOICE:
        chosen = ticked.get(fs.key, ())
        params |= {
            "options": "／".join(fs.options),
            "ticked": "、".join(chosen) or "なし",
            "ticked_en": ", ".join(chosen) or "none",
        }
    return [ctx.finding(f"{family}:{key}", params, variant=UNREADABLE if kind == UNREADABLE else None)]


@check("required_field", "Each required item of the form is filled in (required_field:<field>).")
def required_field(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    return _findings(ctx, REQUIRED, ctx.form) if ctx.form else []


@check("choice_required", "Each single-choice item has exactly one box ticked (choice_required:<field>).")
def choice_required(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    return _findings(ctx, CHOICE, ctx.form) if ctx.form else []


CHECKS = (required_field, choice_required)
