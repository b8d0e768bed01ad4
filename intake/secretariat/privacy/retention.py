"""Personal data past retention (``[retention]``): what is due, and the purge of it.

A case closed or rejected (``closed`` / ``rejected``) whose last change is ``closed_case_days`` old
(its mailbox's own ``closed_case_days`` first) is stripped down to its skeleton
(:func:`~intake.secretariat.privacy.wiping.strip_case`) — again, if mail joined it after a purge; a person removed from the register (廃止:
registration withdrawn) ``removed_person_days`` ago is deleted from it. Nothing is due while the
days are not set. Each purged case and each deleted person gets an audit entry naming the rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_
from sqlmodel import Session, col, select

from intake.archive import Archive
from intake.clock import jst_iso
from intake.config import Config
from intake.db import audit, session_scope, wipe_deleted
from intake.db.tables import Case, Organisation, RegisteredPerson, utcnow
from intake.secretariat.privacy.wiping import Released, remove_released, strip_case

CLOSED = ("closed", "rejected")


@dataclass(frozen=True)
class DueCase:
    case_id: str
    mailbox: str
    kind: str
    status: str
    last_change: datetime
    rule: str


@dataclass(frozen=True)
class DuePerson:
    person_id: int
    organisation: str
    removed_at: datetime
    rule: str


@dataclass
class Plan:
    """What falls past retention now; after :func:`apply_retention`, also what was removed."""

    cases: list[DueCase] = field(default_factory=list)
    people: list[DuePerson] = field(default_factory=list)
    files_removed: int = 0

    def as_dict(self) -> dict:
        return {
            "cases": [
                {"id": c.case_id, "mailbox": c.mailbox, "kind": c.kind, "status": c.status,
                 "last_change": jst_iso(c.last_change), "rule": c.rule}
                for c in self.cases
            ],
            "people": [
                {"id": p.person_id, "organisation": p.organisation, "removed_at": jst_iso(p.removed_at),
                 "rule": p.rule}
                for p in self.people
            ],
            "files_removed": self.files_removed,
        }  # fmt: skip


def due(session: Session, config: Config, now: datetime) -> Plan:
    """The cases and people past retention at ``now`` (none while the days are not set)."""
    return Plan(cases=_due_cases(session, config, now), people=_due_people(session, config, now))


def _due_cases(session: Session, config: Config, now: datetime) -> list[DueCase]:
    found = []
    for mailbox in sorted(session.exec(select(Case.mailbox).distinct())):
        days = config.closed_case_days(mailbox)
        if days is None:
            continue
        own = any(mb.name == mailbox and mb.closed_case_days is not None for mb in config.mailbox)
        rule = (
            f"mailbox {mailbox!r}: closed_case_days = {days}"
            if own
            else f"retention.closed_case_days = {days}"
        )
        query = select(Case).where(
            Case.mailbox == mailbox,
            col(Case.status).in_(CLOSED),
            or_(col(Case.purged_at).is_(None), col(Case.updated_at) > col(Case.purged_at)),  # mail since
            Case.updated_at < now - timedelta(days=days),
        )
        for case in session.exec(query.order_by(col(Case.received_at), col(Case.id))):
            found.append(DueCase(case.id, case.mailbox, case.kind, case.status, case.updated_at, rule))
    return found


def _due_people(session: Session, config: Config, now: datetime) -> list[DuePerson]:
    days = config.retention.removed_person_days
    if days is None:
        return []
    query = (
        select(RegisteredPerson, Organisation)
        .join(Organisation, col(Organisation.id) == RegisteredPerson.organisation_id)
        .where(RegisteredPerson.status == "removed", col(RegisteredPerson.removed_at).is_not(None))
        .where(col(RegisteredPerson.removed_at) < now - timedelta(days=days))
        .order_by(col(RegisteredPerson.id))
    )
    rule = f"retention.removed_person_days = {days}"
    return [
        DuePerson(p.id, o.name, p.removed_at, rule)  # type: ignore[arg-type]
        for p, o in session.exec(query)
    ]


def purge(session: Session, plan: Plan, *, by: str, now: datetime) -> Released:
    """Strip every due case and delete every due person, each with its audit entry; the caller
    commits, then removes what was released from the disk."""
    released = Released()
    for due_case in plan.cases:
        case = session.get(Case, due_case.case_id)
        if case is None:
            continue
        counts = strip_case(session, case, now, released)
        detail = {"rule": due_case.rule, "status": due_case.status,
                  "last_change": jst_iso(due_case.last_change), **counts}  # fmt: skip
        audit.record(session, by=by, action="retention.purge", case_id=case.id, detail=detail)
    for due_person in plan.people:
        person = session.get(RegisteredPerson, due_person.person_id)
        if person is None:
            continue
        session.delete(person)
        detail = {"rule": due_person.rule, "person_id": due_person.person_id,
                  "organisation": due_person.organisation, "removed_at": jst_iso(due_person.removed_at)}  # fmt: skip
        audit.record(session, by=by, action="retention.person", detail=detail)
    return released


def apply_retention(engine: Engine, config: Config, *, by: str) -> Plan:
    """Purge what is due now, delete the files no kept message needs, and wipe the database's free
    space (:func:`~intake.db.wipe_deleted`). Returns what was purged."""
    now = utcnow()
    with session_scope(engine) as session:
        plan = due(session, config, now)
        if not (plan.cases or plan.people):
            return plan
        released = purge(session, plan, by=by, now=now)
    with Session(engine) as session:
        plan.files_removed = remove_released(session, Archive(config.storage.archive_dir), released)
    wipe_deleted(engine)
    return plan
