"""Storing what was read from a form as typed rows, and giving it back as the ``fields`` JSON.

The items of a form are those its description in ``rules/forms/*.toml`` declares; nothing here
names them. An item is stored in the column of its form's table named after its key (``poc.name``
→ ``poc_name``); an item a newer edition added that has no column yet is kept in the row's
``detail_json`` under ``extra`` and given back, checked and shown like the others. Giving it a
column of its own (to search it, or to carry it to the register) is one column in
:mod:`intake.db.tables` and one migration; ``tests/test_form_storage.py`` keeps the shipped
descriptions and the tables in step.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session, SQLModel, col, delete, select

from intake.db.keys import stored_id
from intake.db.tables import ApplicationForm, Attachment, StaffEntry
from intake.forms import ExtractedForm, FieldValue, FormSpec, FormSpecs, load_form_specs
from intake.forms.stored import BOOKKEEPING, column, nested, stored_items

#: The table each form's rows go to: one row per form, or (staff registration) per person block.
FORM_TABLES: dict[str, type[SQLModel]] = {"application": ApplicationForm, "staff_registration": StaffEntry}


@lru_cache(maxsize=4)
def form_specs(rules_dir: Path) -> FormSpecs:
    """The form descriptions under ``rules_dir`` (read once per folder)."""
    return load_form_specs(rules_dir)


def item_columns(table: type[SQLModel]) -> frozenset[str]:
    """The columns of a form's table that hold items of the form."""
    return frozenset(table.model_fields) - BOOKKEEPING


def _fill(row: SQLModel, values: Mapping[str, FieldValue]) -> dict[str, str]:
    """Each value into its column; returns those with no column (kept in ``detail_json``)."""
    columns = item_columns(type(row))
    extra: dict[str, str] = {}
    for key, value in values.items():
        if column(key) in columns:
            setattr(row, column(key), value.value)
        elif value.value is not None:
            extra[key] = value.value
    return extra


def _detail(values: Mapping[str, FieldValue], extra: dict[str, str], problems: list[dict]) -> str:
    return json.dumps(
        {
            "original": {k: v.original for k, v in values.items()},
            "ticked": {k: list(v.ticked) for k, v in values.items() if v.ticked},
            "extra": extra,
            "problems": problems,
        },
        ensure_ascii=False,
    )


def store_form(session: Session, attachment: Attachment, form: ExtractedForm) -> None:
    """Replace whatever was stored for this attachment by what ``form`` holds."""
    attachment_id = stored_id(attachment)
    session.exec(delete(ApplicationForm).where(col(ApplicationForm.attachment_id) == attachment_id))
    session.exec(delete(StaffEntry).where(col(StaffEntry.attachment_id) == attachment_id))
    problems = [{"field": p.field, "problem": p.problem} for p in form.problems]
    if form.document == "application":
        application = ApplicationForm(
            case_id=attachment.case_id, attachment_id=attachment_id, submitted_on=form.submitted_on
        )
        extra = _fill(application, form.fields)
        application.detail_json = _detail(form.fields, extra, problems)
        session.add(application)
    elif form.document == "staff_registration":
        for position, person in enumerate(form.staff, start=1):
            mine = [p for p in problems if p["field"].startswith(f"staff[{position}].")]
            row = StaffEntry(
                case_id=attachment.case_id,
                attachment_id=attachment_id,
                position=position,
                org_name=form.org_name,
            )
            extra = _fill(row, person)
            row.detail_json = _detail(person, extra, mine)
            session.add(row)


def stored_values(row: SQLModel, spec: FormSpec) -> dict[str, str | None]:
    """Every item ``spec`` declares, as ``row`` holds it (:func:`intake.forms.stored.stored_items`)."""
    return stored_items({name: getattr(row, name) for name in type(row).model_fields}, spec)


def fields_json(session: Session, case_id: str, kind: str, rules_dir: Path) -> dict:
    """The ``fields`` object of ``intake show --json``: only what applies to the case's kind."""
    specs = form_specs(rules_dir)
    fields: dict = {}
    applications = session.exec(
        select(ApplicationForm).where(ApplicationForm.case_id == case_id).order_by(col(ApplicationForm.id))
    ).all()
    if applications:
        fields["application"] = nested(stored_values(applications[-1], specs["application"]))
    staff = session.exec(
        select(StaffEntry).where(StaffEntry.case_id == case_id).order_by(col(StaffEntry.id))
    ).all()
    if staff or kind == "staff_registration":
        fields["staff"] = [stored_values(row, specs["staff_registration"]) for row in staff]
    return fields
