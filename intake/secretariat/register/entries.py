"""What changing the register is made of: a new organisation, fields set, a person found by name
(or, for 継続, by address) and added or updated. People are never deleted: a removal keeps the row
with status ``removed``. Every change is audited by its caller.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import Session

from intake.cases.organisations import corporate, org_key, people
from intake.db.keys import stored_id
from intake.db.tables import Organisation, RegisteredPerson, utcnow
from intake.forms.normalize import fold
from intake.secretariat.register.file import PERSON_FIELDS


def new_organisation(
    session: Session, name: str, number: str | None, department: str | None, *, rules_dir: Path
) -> Organisation:
    org = Organisation(
        name=name,
        name_key=org_key(name, rules_dir),
        corporate_number=corporate(number),
        department=department or None,
    )
    session.add(org)
    session.flush()
    return org


def set_fields(obj: Organisation | RegisteredPerson, values: dict) -> bool:
    """Set the values that are given (not None) and differ; True when anything changed."""
    changed = False
    for key, value in values.items():
        if value is not None and getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    if changed:
        obj.updated_at = utcnow()
    return changed


def find_person(
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


def upsert_person(
    session: Session, org: Organisation, values: dict, *, source: str, by_email: bool
) -> tuple[RegisteredPerson, str]:
    """Add the person, or update the one on file; returns it and ``added`` / ``updated`` / ``same``."""
    person = find_person(session, org, values["name"], values.get("email"), by_email=by_email)
    details: dict[str, Any] = {k: values.get(k) for k in PERSON_FIELDS} | {"name_key": fold(values["name"])}
    if person is None:
        person = RegisteredPerson(organisation_id=stored_id(org), source=source, **details)
        outcome = "added"
    else:
        outcome = "updated" if set_fields(person, details) else "same"
    session.add(person)
    session.flush()
    return person, outcome
