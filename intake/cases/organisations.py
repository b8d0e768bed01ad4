"""The member register as the checks see it: how organisation names compare, finding an
organisation, its people, and whom its last accepted registration removed (Q15).

Japanese terms: 事務従事者 — a person of a member organisation registered to handle the Council's
secret information; 申請区分 — what a 事務従事者登録届 (staff registration) asks for each person:
新規 add, 継続 keep (details may change), 廃止 remove (Q15); 法人番号 — the 13-digit corporate number.
How staff change the register lives in :mod:`intake.secretariat.register`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session, col, select

from intake.checks.names import org_key as _org_key
from intake.checks.rules import load_rules
from intake.db.tables import AuditEntry, Organisation, RegisteredPerson
from intake.forms.normalize import fold, normalize_corporate_number


def org_key(name: str, rules_dir: Path) -> str:
    """How organisation names are compared: NFKC, no white space, legal forms written out (the
    ``[legal_forms]`` table of ``checks.toml`` in ``rules_dir``), case folded — the checks' key.

    ``org_key("㈱ テスト", …)`` == ``org_key("株式会社テスト", …)`` == ``"株式会社テスト"``.
    """
    return _org_key(name, load_rules(rules_dir).data.legal_forms)


def cached_org_key(name: str, rules_dir: Path) -> str:
    """:func:`org_key`, remembered (the rules it uses are read once per folder too)."""
    return _cached_key(name, str(rules_dir))


@lru_cache(maxsize=100_000)
def _cached_key(name: str, rules_dir: str) -> str:
    return org_key(name, Path(rules_dir))


def corporate(number: str | None) -> str | None:
    """A 法人番号 as stored: 13 half-width digits, or None."""
    return normalize_corporate_number(number)[0] or None if number else None


def dept(department: str | None) -> str:
    return fold(department or "")


def find_organisation(
    session: Session,
    *,
    rules_dir: Path,
    org_name: str | None,
    corporate_number: str | None = None,
    department: str | None = None,
) -> Organisation | None:
    """The organisation on the register: same 法人番号 (else same normalised name) and same department.

    When no candidate has the same department but exactly one candidate has none on one side (an
    organisation imported without its department, or a form that left it blank), that one is it.
    An organisation whose 法人番号 differs from the one given is never matched by name.
    """
    number = corporate(corporate_number)
    candidates: list[Organisation] = []
    if number:
        candidates = list(session.exec(select(Organisation).where(Organisation.corporate_number == number)))
    if not candidates and org_name:
        by_name = session.exec(
            select(Organisation).where(Organisation.name_key == org_key(org_name, rules_dir))
        )
        candidates = [
            o for o in by_name if not (number and o.corporate_number and o.corporate_number != number)
        ]
    wanted = dept(department)
    same = [o for o in sorted(candidates, key=lambda o: o.id or 0) if dept(o.department) == wanted]
    if same:
        return same[0]
    loose = [o for o in candidates if not wanted or not dept(o.department)]
    return loose[0] if len(loose) == 1 else None


def find_organisations(session: Session, text: str, *, rules_dir: Path) -> list[Organisation]:
    """Every organisation (all departments) a staff member means by a name or a 法人番号."""
    number, ok = normalize_corporate_number(text)
    where = (
        Organisation.corporate_number == number if ok else Organisation.name_key == org_key(text, rules_dir)
    )
    return list(session.exec(select(Organisation).where(where).order_by(col(Organisation.id))))


def people(session: Session, org: Organisation, *, include_removed: bool = False) -> list[RegisteredPerson]:
    query = select(RegisteredPerson).where(RegisteredPerson.organisation_id == org.id)
    if not include_removed:
        query = query.where(RegisteredPerson.status == "active")
    return list(session.exec(query.order_by(col(RegisteredPerson.id))))


def removed_last_time(session: Session, organisation_id: int) -> list[RegisteredPerson]:
    """The people the organisation's last accepted staff registration marked 廃止 (Q15)."""
    entries = session.exec(
        select(AuditEntry).where(AuditEntry.action == "register.staff").order_by(col(AuditEntry.id).desc())
    )
    for entry in entries:
        detail = json.loads(entry.detail or "{}")
        if detail.get("organisation_id") == organisation_id:
            found = (session.get(RegisteredPerson, i) for i in detail.get("removed", []))
            return [person for person in found if person is not None]  # a person purged since is gone
    return []
