"""The member register: organisations and the people registered for them.

Japanese terms: 事務従事者 — a person of a member organisation registered to handle the Council's
secret information; 申請区分 — what a 事務従事者登録届 (staff registration) asks for each person:
新規 add, 継続 keep (details may change), 廃止 remove (Q15); 法人番号 — the 13-digit corporate number.

Only three things change the register, and each writes an :class:`AuditEntry`: :func:`import_register`
(the secretariat's spreadsheet) and, when staff accept a case, :func:`apply_application` and
:func:`apply_staff_registration`. People are never deleted: a removal keeps the row with status
``removed`` and ``removed_at``, and :func:`removed_last_time` tells whom the last accepted
registration removed (Q15: their blocks must be gone from the next one).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from intake.classify import fold
from intake.errors import IntakeError
from intake.forms.normalize import normalize_corporate_number
from intake.models import AuditEntry, Case, utcnow
from intake.records import ApplicationForm, Organisation, RegisteredPerson, StaffEntry
from intake.registerfile import PERSON_FIELDS, REGISTER_COLUMNS, read_register_file  # noqa: F401 (re-exported)
from intake.resources import default_rules_dir


def org_key(name: str) -> str:
    """How organisation names are compared: NFKC, no white space, legal forms written out (the
    ``[legal_forms]`` table of rules/checks.toml), case folded — the same key the checks use.

    ``org_key("㈱ テスト")`` == ``org_key("株式会社テスト")`` == ``"株式会社テスト"``.
    """
    from intake.checks import load_rules
    from intake.checks.names import org_key as checks_org_key

    return checks_org_key(name, load_rules(default_rules_dir()).data.legal_forms)


def _corporate(number: str | None) -> str | None:
    return normalize_corporate_number(number)[0] or None if number else None


def _dept(department: str | None) -> str:
    return fold(department or "")


def find_organisation(
    session: Session,
    *,
    org_name: str | None,
    corporate_number: str | None = None,
    department: str | None = None,
) -> Organisation | None:
    """The organisation on the register: same 法人番号 (else same normalised name) and same department.

    When no candidate has the same department but exactly one candidate has none on one side (an
    organisation imported without its department, or a form that left it blank), that one is it.
    An organisation whose 法人番号 differs from the one given is never matched by name.
    """
    number = _corporate(corporate_number)
    candidates: list[Organisation] = []
    if number:
        candidates = list(session.exec(select(Organisation).where(Organisation.corporate_number == number)))
    if not candidates and org_name:
        by_name = session.exec(select(Organisation).where(Organisation.name_key == org_key(org_name)))
        candidates = [
            o for o in by_name if not (number and o.corporate_number and o.corporate_number != number)
        ]
    wanted = _dept(department)
    same = [o for o in sorted(candidates, key=lambda o: o.id or 0) if _dept(o.department) == wanted]
    if same:
        return same[0]
    loose = [o for o in candidates if not wanted or not _dept(o.department)]
    return loose[0] if len(loose) == 1 else None


def find_organisations(session: Session, text: str) -> list[Organisation]:
    """Every organisation (all departments) a staff member means by a name or a 法人番号."""
    number, ok = normalize_corporate_number(text)
    where = Organisation.corporate_number == number if ok else Organisation.name_key == org_key(text)
    return list(session.exec(select(Organisation).where(where).order_by(Organisation.id)))


def people(session: Session, org: Organisation, *, include_removed: bool = False) -> list[RegisteredPerson]:
    query = select(RegisteredPerson).where(RegisteredPerson.organisation_id == org.id)
    if not include_removed:
        query = query.where(RegisteredPerson.status == "active")
    return list(session.exec(query.order_by(RegisteredPerson.id)))


def register_rows(
    session: Session, org: Organisation | None = None, *, include_removed: bool = False
) -> list[dict[str, str]]:
    """The register as rows of the register file (one per person; an organisation with nobody gets one
    row with the person columns empty). ``include_removed`` adds removed people and the columns
    ``status`` and ``removed_at``."""
    everyone = select(Organisation).order_by(Organisation.name_key, Organisation.id)
    rows: list[dict[str, str]] = []
    for o in [org] if org else session.exec(everyone):
        base = {"org_name": o.name, "corporate_number": o.corporate_number, "department": o.department}
        for p in people(session, o, include_removed=include_removed) or [None]:
            row = base | {k: getattr(p, k, None) for k in PERSON_FIELDS}
            if include_removed:
                row |= {"status": getattr(p, "status", None), "removed_at": getattr(p, "removed_at", None)}
            rows.append({k: "" if v is None else str(v) for k, v in row.items()})
    return rows


@dataclass
class ImportReport:
    """What one import did; importing the same file again gives a report with ``changed`` False."""

    rows: int = 0
    organisations_added: int = 0
    organisations_updated: int = 0
    people_added: int = 0
    people_updated: int = 0

    @property
    def changed(self) -> bool:
        counts = (
            self.organisations_added,
            self.organisations_updated,
            self.people_added,
            self.people_updated,
        )
        return any(counts)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def import_register(session: Session, path: Path, *, by: str) -> ImportReport:
    """Add or update the organisations and people of a register file (CSV or XLSX).

    The file is read and checked whole before anything is written. Import never removes anyone:
    removals come only from 廃止 in an accepted staff registration. Nothing changed, nothing audited.
    """
    rows = read_register_file(path)
    report = ImportReport(rows=len(rows))
    touched: set[int] = set()
    for row in rows:
        org = _import_organisation(session, row, report, touched)
        if row["name"]:
            _, outcome = _upsert_person(session, org, row, source="import", by_email=False)
            report.people_added += outcome == "added"
            report.people_updated += outcome == "updated"
    if report.changed:
        _audit(session, None, by, "register.import", {"file": path.name, **report.as_dict()})
    return report


def _import_organisation(
    session: Session, row: dict, report: ImportReport, touched: set[int]
) -> Organisation:
    org = find_organisation(
        session,
        org_name=row["org_name"],
        corporate_number=row["corporate_number"],
        department=row["department"],
    )
    if org is None:
        org = _new_organisation(session, row["org_name"], row["corporate_number"], row["department"])
        report.organisations_added += 1
        touched.add(org.id)
        return org
    changes = {"corporate_number": _corporate(row["corporate_number"]), "department": row["department"]}
    if _set_fields(org, changes) and org.id not in touched:
        report.organisations_updated += 1
        touched.add(org.id)
        session.add(org)
    return org


def _new_organisation(
    session: Session, name: str, number: str | None, department: str | None
) -> Organisation:
    org = Organisation(
        name=name, name_key=org_key(name), corporate_number=_corporate(number), department=department or None
    )
    session.add(org)
    session.flush()
    return org


def _set_fields(obj: Organisation | RegisteredPerson, values: dict) -> bool:
    """Set the values that are given (not None) and differ; True when anything changed."""
    changed = False
    for key, value in values.items():
        if value is not None and getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    if changed:
        obj.updated_at = utcnow()
    return changed


def _find_person(
    session: Session, org: Organisation, name: str, email: str | None, *, by_email: bool
) -> RegisteredPerson | None:
    """The active person of the organisation with this name; with ``by_email``, else the only active
    person with this e-mail address (a 継続 whose name was corrected). 新規 and import match by name
    only, so a shared address (Q12) never merges two people."""
    active = people(session, org)
    by_name = [p for p in active if p.name_key == fold(name)]
    mail = (email or "").casefold()
    by_mail = [p for p in active if by_email and mail and (p.email or "").casefold() == mail]
    return by_name[0] if by_name else by_mail[0] if len(by_mail) == 1 else None


def _upsert_person(
    session: Session, org: Organisation, values: dict, *, source: str, by_email: bool
) -> tuple[RegisteredPerson, str]:
    """Add the person, or update the one on file; returns it and ``added`` / ``updated`` / ``same``."""
    person = _find_person(session, org, values["name"], values.get("email"), by_email=by_email)
    details = {k: values.get(k) for k in PERSON_FIELDS} | {"name_key": fold(values["name"])}
    if person is None:
        person = RegisteredPerson(organisation_id=org.id, source=source, **details)
        outcome = "added"
    else:
        outcome = "updated" if _set_fields(person, details) else "same"
    session.add(person)
    session.flush()
    return person, outcome


def apply_application(session: Session, case_id: str, *, by: str) -> Organisation:
    """Create or update the organisation from the case's 加入申込書 (the newest one read)."""
    form = _newest_application(session, case_id)
    if form is None or not form.org_name:
        raise IntakeError(f"{case_id}: no application form with an organisation name has been read")
    org = find_organisation(
        session, org_name=form.org_name, corporate_number=form.corporate_number, department=form.department
    )
    created = org is None
    if org is None:
        org = _new_organisation(session, form.org_name, form.corporate_number, form.department)
    _set_fields(org, _application_values(form))
    session.add(org)
    session.flush()
    detail = {"organisation_id": org.id, "organisation": org.name, "created": created}
    _audit(session, case_id, by, "register.application", detail | {"roster": org.roster_publication})
    return org


def _application_values(form: ApplicationForm) -> dict:
    """What the organisation takes from a form; a value the form leaves empty keeps the one on file.
    区分 category, 分野 sector, 参加区分 participation; 構成員名簿への登載 = 登載する: on the roster."""
    roster = form.roster_publication
    return {
        "name": form.org_name,
        "name_key": org_key(form.org_name or ""),
        "corporate_number": _corporate(form.corporate_number),
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


def apply_staff_registration(session: Session, case_id: str, *, by: str) -> StaffReport:
    """Apply the person blocks of the case's newest 事務従事者登録届 to the organisation's register.

    新規 adds (or updates a person already on file), 継続 updates the person (adding one not on file:
    staff accepted it), 廃止 marks the person removed. Blocks without a name or 申請区分 are skipped.
    """
    entries = _staff_entries(session, case_id)
    org = _case_organisation(session, case_id, entries)
    report = StaffReport(organisation_id=org.id)
    now = utcnow()
    for entry in entries:
        _apply_entry(session, org, entry, report, now, source=case_id)
    _audit(session, case_id, by, "register.staff", asdict(report) | {"organisation": org.name})
    return report


def _apply_entry(
    session: Session, org: Organisation, entry: StaffEntry, report: StaffReport, now: datetime, *, source: str
) -> None:
    kind = entry.application_type
    if not entry.name or kind not in ("新規", "継続", "廃止"):
        report.skipped.append(f"block {entry.position}: no name or 申請区分")
        return
    person = _find_person(session, org, entry.name, entry.email, by_email=True)
    if kind == "廃止":
        if person is None:
            report.skipped.append(f"block {entry.position}: 廃止 for a person not on the register")
            return
        person.status, person.removed_at, person.updated_at = "removed", now, now
        session.add(person)
        report.removed.append(person.id)
        return
    values = {k: getattr(entry, k) for k in PERSON_FIELDS} | {"phone": entry.phone or entry.mobile}
    person, outcome = _upsert_person(session, org, values, source=source, by_email=kind == "継続")
    (report.added if outcome == "added" else report.kept).append(person.id)


def _staff_entries(session: Session, case_id: str) -> list[StaffEntry]:
    """The person blocks of the newest staff registration attachment of the case."""
    entries = list(session.exec(select(StaffEntry).where(StaffEntry.case_id == case_id)))
    if not entries:
        raise IntakeError(f"{case_id}: no staff registration entries have been read")
    newest = max(e.attachment_id for e in entries)
    return sorted((e for e in entries if e.attachment_id == newest), key=lambda e: e.position)


def _case_organisation(session: Session, case_id: str, entries: list[StaffEntry]) -> Organisation:
    form = _newest_application(session, case_id)
    case = session.get(Case, case_id)
    if form is not None and form.org_name:
        name, number, dept = form.org_name, form.corporate_number, form.department
    else:
        name = next((e.org_name for e in entries if e.org_name), None) or (case.org_name if case else None)
        number = dept = None
    org = find_organisation(session, org_name=name, corporate_number=number, department=dept)
    if org is None:
        raise IntakeError(
            f"{case_id}: organisation {name!r} is not on the register; "
            "import it (intake register import) or accept its application first"
        )
    return org


def removed_last_time(session: Session, organisation_id: int) -> list[RegisteredPerson]:
    """The people the organisation's last accepted staff registration marked 廃止 (Q15)."""
    entries = session.exec(
        select(AuditEntry).where(AuditEntry.action == "register.staff").order_by(col(AuditEntry.id).desc())
    )
    for entry in entries:
        detail = json.loads(entry.detail or "{}")
        if detail.get("organisation_id") == organisation_id:
            ids = detail.get("removed", [])
            return [session.get(RegisteredPerson, i) for i in ids]
    return []


def _newest_application(session: Session, case_id: str) -> ApplicationForm | None:
    query = select(ApplicationForm).where(ApplicationForm.case_id == case_id)
    return session.exec(query.order_by(col(ApplicationForm.id).desc())).first()


def _audit(session: Session, case_id: str | None, by: str, action: str, detail: dict) -> None:
    session.add(
        AuditEntry(by=by, case_id=case_id, action=action, detail=json.dumps(detail, ensure_ascii=False))
    )
