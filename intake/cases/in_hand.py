"""The applications of cases still in hand, as the Q5 check compares them: by 法人番号 and by the
organisation's name key, kept in memory for a poll's batch.

Every membership message asks which other cases carry an application from another department of
the same organisation. Asked of the database, that read every application in hand, twice per
message: a backlog poll grew with the square of the applications. Here the session keeps each
application's keys once: a later question reads only the applications stored since (by id), then
the few candidates again, to confirm them against the stored rows (still there, same case, the
case still in hand). Kept in :mod:`intake.cases.memo`, for one batch of a poll: a rollback
forgets it (an id may be used again afterwards); elsewhere every question reads them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, col, select

from intake.cases.organisations import cached_org_key
from intake.db.memo import remembered
from intake.db.tables import ApplicationForm, Case

CLOSED = ("rejected", "closed")


@dataclass
class _Known:
    """The applications seen so far: ids by corporate number and by name key, and their cases."""

    up_to: int = 0
    case_of: dict[int, str] = field(default_factory=dict)
    by_number: dict[str, set[int]] = field(default_factory=dict)
    by_key: dict[str, set[int]] = field(default_factory=dict)


def other_department_forms(
    session: Session, *, case_id: str, number: str | None, key: str, department: str, rules_dir: Path
) -> list[ApplicationForm]:
    """Applications in other cases still in hand with the same 法人番号 or name key and another
    department, by id."""
    known = _known(session, rules_dir)
    ids = set(known.by_key.get(key, ())) | (set(known.by_number.get(number, ())) if number else set())
    ids = {i for i in ids if known.case_of[i] != case_id}  # its own form is no other department
    if not ids:
        return []
    query = (
        select(ApplicationForm)
        .join(Case, col(Case.id) == ApplicationForm.case_id)
        .where(
            col(ApplicationForm.id).in_(sorted(ids)),
            ApplicationForm.case_id != case_id,
            col(Case.status).not_in(CLOSED),
        )
        .order_by(col(ApplicationForm.id))
    )
    return [
        form
        for form in session.exec(query)
        if ((number and form.corporate_number == number) or _key(form.org_name, rules_dir) == key)
        and (form.department or "") != department
    ]


def _known(session: Session, rules_dir: Path) -> _Known:
    known = remembered(session, "applications_in_hand", _Known)
    rows = session.exec(
        select(
            ApplicationForm.id,
            ApplicationForm.case_id,
            ApplicationForm.corporate_number,
            ApplicationForm.org_name,
        )
        .where(col(ApplicationForm.id) > known.up_to)
        .order_by(col(ApplicationForm.id))
    ).all()
    for form_id, case_id, number, name in rows:
        assert form_id is not None  # stored rows have their id
        known.up_to, known.case_of[form_id] = form_id, case_id
        if number:
            known.by_number.setdefault(number, set()).add(form_id)
        if name:
            known.by_key.setdefault(cached_org_key(name, rules_dir), set()).add(form_id)
    return known


def _key(name: str | None, rules_dir: Path) -> str | None:
    return cached_org_key(name, rules_dir) if name else None
