"""Applying an accepted case to the register: a 加入申込書 (membership application) creates or
updates its organisation; a 事務従事者登録届 (staff registration) adds (新規), keeps (継続) and
removes (廃止) its people (Q15). Nothing else writes the register; each writes an audit entry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from intake.cases.organisations import corporate, find_organisation, org_key
from intake.db import audit
from intake.db.keys import stored_id
from intake.db.tables import ApplicationForm, Case, Organisation, StaffEntry, utcnow
from intake.errors import IntakeError
from intake.secretariat.register.changes import Rows, snapshot
from intake.secretariat.register.entries import find_person, new_organisation, set_fields, upsert_person
from intake.secretariat.register.file import PERSON_FIELDS

REGISTER_KINDS = ("membership_application", "staff_registration")


def apply_case(session: Session, case: Case, *, by: str, rules_dir: Path) -> tuple[Rows, Rows]:
    """Apply an accepted case to the register (a membership application first, then any staff
    entries); returns the rows it touched before and after (:mod:`.changes`), read back from the
    database. A case of another kind changes nothing."""
    if case.kind not in REGISTER_KINDS:
        return {}, {}
    touched = _on_file(session, case, rules_dir)
    before = snapshot(session, touched)
    touched |= _apply(session, case, by=by, rules_dir=rules_dir)
    return before, snapshot(session, touched)


def preview_case(session: Session, case: Case, *, rules_dir: Path) -> tuple[Rows, Rows]:
    """What :func:`apply_case` would change, the register left as it is (the change is rolled back)."""
    if case.kind not in REGISTER_KINDS:
        return {}, {}
    nested = session.begin_nested()
    try:
        touched = _apply(session, case, by="", rules_dir=rules_dir)
        after = snapshot(session, touched)
    finally:
        nested.rollback()
    return snapshot(session, touched), after


def _on_file(session: Session, case: Case, rules_dir: Path) -> set[int]:
    """The organisation on the register the case's forms name, if there is one: the rows an
    acceptance may change besides those it adds (its staff entries go to the same organisation as
    its application, found or created)."""
    form = _newest_application(session, case.id)
    if form is not None and form.org_name:
        org = find_organisation(
            session,
            rules_dir=rules_dir,
            org_name=form.org_name,
            corporate_number=form.corporate_number,
            department=form.department,
        )
        return {stored_id(org)} if org is not None else set()
    entries = list(session.exec(select(StaffEntry).where(StaffEntry.case_id == case.id)))
    try:
        return {stored_id(_case_organisation(session, case.id, entries, rules_dir))} if entries else set()
    except IntakeError:  # not on the register: applying says so
        return set()


def _apply(session: Session, case: Case, *, by: str, rules_dir: Path) -> set[int]:
    touched = set()
    if case.kind == "membership_application":
        touched.add(stored_id(apply_application(session, case.id, by=by, rules_dir=rules_dir)))
        has_staff = session.exec(select(StaffEntry.id).where(StaffEntry.case_id == case.id)).first()
        if has_staff is not None:
            touched.add(
                apply_staff_registration(session, case.id, by=by, rules_dir=rules_dir).organisation_id
            )
    elif case.kind == "staff_registration":
        touched.add(apply_staff_registration(session, case.id, by=by, rules_dir=rules_dir).organisation_id)
    session.flush()
    return touched


def apply_application(session: Session, case_id: str, *, by: str, rules_dir: Path) -> Organisation:
    """Create or update the organisation from the case's 加入申込書 (the newest one read)."""
    form = _newest_application(session, case_id)
    if form is None or not form.org_name:
        raise IntakeError(
            f"{case_id}: no application form with an organisation name has been read",
            label="no_application_read",
            case=case_id,
        )
    org = find_organisation(
        session,
        rules_dir=rules_dir,
        org_name=form.org_name,
        corporate_number=form.corporate_number,
        department=form.department,
    )
    created = org is None
    if org is None:
        org = new_organisation(
            session, form.org_name, form.corporate_number, form.department, rules_dir=rules_dir
        )
    set_fields(org, _application_values(form, rules_dir))
    session.add(org)
    session.flush()
    detail = {"organisation_id": org.id, "organisation": org.name, "created": created}
    audit.record(
        session,
        by=by,
        action="register.application",
        case_id=case_id,
        detail=detail | {"roster": org.roster_publication},
    )
    return org


def _application_values(form: ApplicationForm, rules_dir: Path) -> dict:
    """What the organisation takes from a form; a value the form leaves empty keeps the one on file.
    区分 category, 分野 sector, 参加区分 participation; 構成員名簿への登載 = 登載する: on the roster."""
    roster = form.roster_publication
    return {
        "name": form.org_name,
        "name_key": org_key(form.org_name or "", rules_dir),
        "corporate_number": corporate(form.corporate_number),
        **{k: getattr(form, k) for k in ("department", "category", "sector", "participation", "poc_email")},
        "roster_publication": None if roster is None else roster == "登載する",
        "is_member": True,
    }


@dataclass
class StaffReport:
    """Who an accepted staff registration added, kept, removed, and which blocks it skipped (and why)."""

    organisation_id: int
    added: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def apply_staff_registration(session: Session, case_id: str, *, by: str, rules_dir: Path) -> StaffReport:
    """Apply the person blocks of the case's newest 事務従事者登録届 to the organisation's register.

    新規 adds (or updates a person already on file), 継続 updates the person (adding one not on file:
    staff accepted it), 廃止 marks the person removed. Blocks without a name or 申請区分 are skipped.
    """
    entries = _staff_entries(session, case_id)
    org = _case_organisation(session, case_id, entries, rules_dir)
    report = StaffReport(organisation_id=stored_id(org))
    now = utcnow()
    for entry in entries:
        _apply_entry(session, org, entry, report, now, source=case_id)
    audit.record(
        session,
        by=by,
        action="register.staff",
        case_id=case_id,
        detail=asdict(report) | {"organisation": org.name},
    )
    return report


def _apply_entry(
    session: Session, org: Organisation, entry: StaffEntry, report: StaffReport, now: datetime, *, source: str
) -> None:
    kind = entry.application_type
    if not entry.name or kind not in ("新規", "継続", "廃止"):
        report.skipped.append(f"block {entry.position}: no name or 申請区分")
        return
    person = find_person(session, org, entry.name, entry.email, by_email=True)
    if kind == "廃止":
        if person is None:
            report.skipped.append(f"block {entry.position}: 廃止 for a person not on the register")
            return
        person.status, person.removed_at, person.updated_at = "removed", now, now
        session.add(person)
        report.removed.append(stored_id(person))
        return
    values = {k: getattr(entry, k) for k in PERSON_FIELDS} | {"phone": entry.phone or entry.mobile}
    person, outcome = upsert_person(session, org, values, source=source, by_email=kind == "継続")
    (report.added if outcome == "added" else report.kept).append(stored_id(person))


def _staff_entries(session: Session, case_id: str) -> list[StaffEntry]:
    """The person blocks of the newest staff registration attachment of the case."""
    entries = list(session.exec(select(StaffEntry).where(StaffEntry.case_id == case_id)))
    if not entries:
        raise IntakeError(
            f"{case_id}: no staff registration entries have been read", label="no_staff_read", case=case_id
        )
    newest = max(e.attachment_id for e in entries)
    return sorted((e for e in entries if e.attachment_id == newest), key=lambda e: e.position)


def _case_organisation(
    session: Session, case_id: str, entries: list[StaffEntry], rules_dir: Path
) -> Organisation:
    form = _newest_application(session, case_id)
    case = session.get(Case, case_id)
    name: str | None
    if form is not None and form.org_name:
        name, number, dept = form.org_name, form.corporate_number, form.department
    else:
        name = next((e.org_name for e in entries if e.org_name), None) or (case.org_name if case else None)
        number = dept = None
    org = find_organisation(
        session, rules_dir=rules_dir, org_name=name, corporate_number=number, department=dept
    )
    if org is None:
        raise IntakeError(
            f"{case_id}: organisation {name!r} is not on the register; "
            "import it (intake register import) or accept its application first",
            label="organisation_not_registered",
            case=case_id,
            name=name,
        )
    return org


def _newest_application(session: Session, case_id: str) -> ApplicationForm | None:
    query = select(ApplicationForm).where(ApplicationForm.case_id == case_id)
    return session.exec(query.order_by(col(ApplicationForm.id).desc())).first()
