"""The register as rows of the register file, for ``intake register export`` and show."""

from __future__ import annotations

from sqlmodel import Session, col, select

from intake.cases.organisations import people
from intake.db.tables import Organisation, RegisteredPerson
from intake.secretariat.register.file import PERSON_FIELDS


def register_rows(
    session: Session, org: Organisation | None = None, *, include_removed: bool = False
) -> list[dict[str, str]]:
    """The register as rows of the register file (one per person; an organisation with nobody gets one
    row with the person columns empty). ``include_removed`` adds removed people and the columns
    ``status`` and ``removed_at``."""
    everyone = select(Organisation).order_by(col(Organisation.name_key), col(Organisation.id))
    rows: list[dict[str, str]] = []
    for o in [org] if org else session.exec(everyone):
        base = {"org_name": o.name, "corporate_number": o.corporate_number, "department": o.department}
        on_file: list[RegisteredPerson | None] = list(people(session, o, include_removed=include_removed))
        for p in on_file or [None]:
            row = base | {k: getattr(p, k, None) for k in PERSON_FIELDS}
            if include_removed:
                row |= {"status": getattr(p, "status", None), "removed_at": getattr(p, "removed_at", None)}
            rows.append({k: "" if v is None else str(v) for k, v in row.items()})
    return rows
