"""Importing the secretariat's register file (CSV or XLSX), so the register checks work from day
one. The file is read and checked whole before anything is written; importing never removes anyone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from sqlmodel import Session

from intake.cases.organisations import corporate, find_organisation
from intake.db import audit
from intake.db.keys import stored_id
from intake.db.tables import Organisation
from intake.secretariat.register.entries import new_organisation, set_fields, upsert_person
from intake.secretariat.register.file import read_register_file


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


def import_register(session: Session, path: Path, *, by: str, rules_dir: Path) -> ImportReport:
    """Add or update the organisations and people of a register file (CSV or XLSX).

    The file is read and checked whole before anything is written. Import never removes anyone:
    removals come only from 廃止 in an accepted staff registration. Nothing changed, nothing audited.
    """
    rows = read_register_file(path)
    report = ImportReport(rows=len(rows))
    touched: set[int] = set()
    for row in rows:
        org = _import_organisation(session, row, report, touched, rules_dir)
        if row["name"]:
            _, outcome = upsert_person(session, org, row, source="import", by_email=False)
            report.people_added += outcome == "added"
            report.people_updated += outcome == "updated"
    if report.changed:
        audit.record(session, by=by, action="register.import", detail={"file": path.name, **report.as_dict()})
    return report


def _import_organisation(
    session: Session, row: dict, report: ImportReport, touched: set[int], rules_dir: Path
) -> Organisation:
    org = find_organisation(
        session,
        rules_dir=rules_dir,
        org_name=row["org_name"],
        corporate_number=row["corporate_number"],
        department=row["department"],
    )
    if org is None:
        org = new_organisation(
            session, row["org_name"], row["corporate_number"], row["department"], rules_dir=rules_dir
        )
        report.organisations_added += 1
        touched.add(stored_id(org))
        return org
    changes = {"corporate_number": corporate(row["corporate_number"]), "department": row["department"]}
    if set_fields(org, changes) and org.id not in touched:
        report.organisations_updated += 1
        touched.add(stored_id(org))
        session.add(org)
    return org
