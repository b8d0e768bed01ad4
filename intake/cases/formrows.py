"""Storing what was read from a form as typed rows, and giving it back as the ``fields`` JSON."""

from __future__ import annotations

import json

from sqlmodel import Session, col, delete, select

from intake.db.keys import stored_id
from intake.db.tables import ApplicationForm, Attachment, StaffEntry
from intake.forms import ExtractedForm, FieldValue

APPLICATION_KEYS = (
    "application_kind",
    "org_name",
    "org_name_kana",
    "corporate_number",
    "department",
    "address",
    "representative",
    "category",
    "sector",
    "participation",
    "receive_secrets",
    "early_warning_service",
    "roster_publication",
    "poc.name",
    "poc.name_kana",
    "poc.title",
    "poc.phone",
    "poc.email",
)
STAFF_KEYS = (
    "name",
    "name_kana",
    "department",
    "title",
    "phone",
    "mobile",
    "email",
    "application_type",
    "system_registration",
    "poc",
)


def _column(key: str) -> str:
    return key.replace(".", "_")


def _detail(values: dict[str, FieldValue], problems: list[dict] | None = None) -> str:
    return json.dumps(
        {
            "original": {k: v.original for k, v in values.items()},
            "ticked": {k: list(v.ticked) for k, v in values.items() if v.ticked},
            "problems": problems or [],
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
            case_id=attachment.case_id,
            attachment_id=attachment_id,
            submitted_on=form.submitted_on,
            detail_json=_detail(form.fields, problems),
        )
        for key in APPLICATION_KEYS:
            value = form.fields.get(key)
            setattr(application, _column(key), value.value if value else None)
        session.add(application)
    elif form.document == "staff_registration":
        for position, person in enumerate(form.staff, start=1):
            mine = [p for p in problems if p["field"].startswith(f"staff[{position}].")]
            row = StaffEntry(
                case_id=attachment.case_id,
                attachment_id=attachment_id,
                position=position,
                org_name=form.org_name,
                detail_json=_detail(person, mine),
            )
            for key in STAFF_KEYS:
                value = person.get(key)
                setattr(row, key, value.value if value else None)
            session.add(row)


def fields_json(session: Session, case_id: str, kind: str) -> dict:
    """The ``fields`` object of ``intake show --json``: only what applies to the case's kind."""
    fields: dict = {}
    applications = session.exec(
        select(ApplicationForm).where(ApplicationForm.case_id == case_id).order_by(col(ApplicationForm.id))
    ).all()
    if applications:
        fields["application"] = _application_json(applications[-1])
    staff = session.exec(
        select(StaffEntry).where(StaffEntry.case_id == case_id).order_by(col(StaffEntry.id))
    ).all()
    if staff or kind == "staff_registration":
        fields["staff"] = [{key: getattr(row, key) for key in STAFF_KEYS} for row in staff]
    return fields


def _application_json(row: ApplicationForm) -> dict:
    data: dict = {}
    for key in APPLICATION_KEYS:
        value = getattr(row, _column(key))
        if key.startswith("poc."):
            data.setdefault("poc", {})[key[4:]] = value
        else:
            data[key] = value
    return data
