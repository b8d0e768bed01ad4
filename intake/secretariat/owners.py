"""Who handles a case (担当者, the owner): a desk user it is assigned to, or who takes it.

The owner is an enabled desk account (:mod:`intake.secretariat.users`), named by its account name. Every
assignment — to someone, to oneself, or cleared — is audited with who assigned whom, in the same
transaction; a refused one (an unknown or disabled account) changes nothing.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from intake.db import audit
from intake.db.tables import Case, DeskUser, utcnow
from intake.errors import IntakeError
from intake.secretariat.actions import get_case


def assign(session: Session, case_id: str, owner: str | None, *, by: str) -> Case:
    """Make ``owner`` the case's 担当者 (None: nobody); ``by`` is who did it."""
    case = get_case(session, case_id)
    if owner is not None:
        _check_owner(session, owner)
    before = case.owner
    if before == owner:
        return case
    case.owner, case.updated_at = owner, utcnow()
    session.add(case)
    action = "unassigned" if owner is None else ("taken" if owner == by else "assigned")
    audit.record(session, case_id=case_id, by=by, action=action, detail={"from": before, "to": owner})
    return case


def take(session: Session, case_id: str, *, by: str) -> Case:
    """「自分が担当する」: the signed-in user becomes the case's owner."""
    return assign(session, case_id, by, by=by)


def assignable(session: Session) -> list[str]:
    """The names of the enabled desk accounts, in order: who a case may be given to."""
    query = select(DeskUser.name).where(DeskUser.disabled == False).order_by(col(DeskUser.name))  # noqa: E712
    return list(session.exec(query))


def _check_owner(session: Session, name: str) -> None:
    user = session.exec(select(DeskUser).where(DeskUser.name == name)).first()
    if user is None:
        raise IntakeError(
            f"no desk user {name!r}: a case is assigned to a desk account (intake user list)",
            label="owner_unknown",
            name=name,
        )
    if user.disabled:
        raise IntakeError(
            f"desk user {name!r} is disabled: a case cannot be assigned to them",
            label="owner_disabled",
            name=name,
        )
