"""Merging a case into another, and splitting it back out.

When a second mail opened a case of its own (another address of the same person, a colleague of
the same organisation), staff merge it into the first: every record of it that belongs to a case
(each table with a ``case_id`` — messages, attachments, forms, notes, replies, security rows,
password offers, tables added later too) moves to the first, which is evaluated again over all it
now holds. The second is closed, points to the first (``Case.merged_into``), and mail answering it
lands in the first (:func:`intake.cases.threads.merged_root`).

What does not move:

* the audit log: history stays where it was written;
* findings: they are verdicts on a case, not its contents. The first case's are evaluated again;
  the second's are resolved (nothing is left in it to raise them) and come back when it is split;
* the incident record (確認①②③): the first keeps its own; the reporter's answers are read again
  from all the mail it now holds, and a staff decision it lacks is taken from the second's
  (remembered, so a split takes it back);
* a row that the first case already has in a unique form (a password mail offered on both).

No reply goes out on a merge or a split: the sender did nothing, and a checklist or acknowledgement
for a desk operation would only confuse them. The next mail they send is answered as usual.

Every moved row's id is recorded in the merge's audit entry, so :func:`split` moves exactly those
back (and the rows made since from them: the forms read from a moved attachment unlocked after the
merge), reopens the second case in its previous status, and evaluates both again.

Refused: a case into itself, into a case that is itself merged (the message names where it went —
merge into that one), a case that others are merged into (split those first), cases of different
mailboxes (the mailbox decides the matter — incident or membership — the case id and the address
replies come from), an accepted case (the register was changed from it), a purged one. A merged
case is closed: retention purges it in time like any closed case, and then it stays merged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import Table, UniqueConstraint, func, or_, tuple_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from intake.cases.refresh import refresh_case
from intake.config import Config
from intake.db import audit
from intake.db.tables import AuditEntry, Case, Finding, IncidentRecord, utcnow
from intake.errors import IntakeError, NotFound

#: Tables with a case_id whose rows never move (see the module's docstring).
STAYING = frozenset({"case", "auditentry", "finding", "incidentrecord"})
DECISION = ("decided_secret", "decided_scope", "decided_by", "decided_at")
FINAL = "accepted"


@dataclass
class Moved:
    """The rows a merge moved (table name → primary keys), what else it changed, and where."""

    source: str
    target: str
    rows: dict[str, list] = field(default_factory=dict)
    marks: dict[str, object] = field(default_factory=dict)  # each table's highest key at the merge
    status: str = ""  # the source's status before
    target_org_name: str | None = None
    decision_filled: bool = False

    def counts(self) -> dict[str, int]:
        return {table: len(ids) for table, ids in self.rows.items()}

    def as_detail(self) -> dict:
        return {
            "into": self.target,
            "status": self.status,
            "moved": self.rows,
            "marks": self.marks,
            "target_org_name": self.target_org_name,
            "decision_filled": self.decision_filled,
        }


def case_tables() -> list[Table]:
    """Every table whose rows belong to a case and move with it, parents before children."""
    return [t for t in SQLModel.metadata.sorted_tables if "case_id" in t.c and t.name not in STAYING]


def preview(session: Session, source_id: str, *, into: str) -> Moved:
    """What :func:`merge` would move (nothing is changed); refusals as :func:`merge` says them."""
    source, target = _checked(session, source_id, into)
    moved = Moved(source=source.id, target=target.id, status=source.status)
    for table in case_tables():
        ids = list(session.execute(_movable(table, source.id, target.id)).scalars())
        if ids:
            moved.rows[table.name] = ids
    return moved


def merge(session: Session, source_id: str, *, into: str, by: str, config: Config) -> Moved:
    """Merge case ``source_id`` into ``into``: its rows move, it is closed and points there, the
    target is evaluated again (no reply); audited on both cases with every moved row's id."""
    session.flush()
    lock_cases(session, source_id, into)
    moved = preview(session, source_id, into=into)
    source, target = get_case(session, moved.source), get_case(session, moved.target)
    moved.target_org_name = target.org_name
    for table in case_tables():
        moved.marks[table.name] = session.execute(sa_select(func.max(_key(table)))).scalar()
        ids = moved.rows.get(table.name)
        if ids:
            move_rows(session, table, ids, source=source.id, to=target.id)
    moved.decision_filled = _fill_decision(session, source.id, target.id)
    _resolve_findings(session, source.id)
    source.status, source.merged_into, source.updated_at = "closed", target.id, utcnow()
    session.add(source)
    audit.record(session, by=by, action="merge", case_id=source.id, detail=moved.as_detail())
    detail = {"from": source.id, "moved": moved.counts()}
    audit.record(session, by=by, action="merged_in", case_id=target.id, detail=detail)
    session.flush()
    session.expire_all()  # the rows were moved by statements: read them again
    refresh_case(session, config=config, case_id=target.id, reply=False)
    return moved


def split(session: Session, case_id: str, *, by: str, config: Config) -> Moved:
    """Undo the merge of ``case_id``: exactly the rows that moved go back (with the rows made since
    from them), it reopens in its previous status, both cases are evaluated again (no reply)."""
    session.flush()
    source = get_case(session, case_id)
    lock_cases(session, case_id, source.merged_into or case_id)
    if source.merged_into is None:
        message = f"{case_id} was not merged into another case: nothing to split"
        raise MergeRefused("refused_not_merged", message, case=case_id)
    target = get_case(session, source.merged_into)
    for case in (source, target):
        refuse_purged(case)
    merged = _last_merge(session, source.id)
    back = Moved(source=source.id, target=target.id, status=merged.get("status") or "ready_for_review")
    recorded, marks = merged.get("moved", {}), merged.get("marks", {})
    for table in case_tables():
        ids = rows_to_take(session, table, recorded, marks, back.rows, target.id)
        if ids:
            move_rows(session, table, ids, source=target.id, to=source.id)
            back.rows[table.name] = ids
    if merged.get("decision_filled"):
        _take_back_decision(session, source.id, target.id)
    target.org_name = merged.get("target_org_name")
    source.status, source.merged_into, source.updated_at = back.status, None, utcnow()
    session.add_all([source, target])
    detail = {"from": target.id, "status": back.status, "moved": back.rows}
    audit.record(session, by=by, action="split", case_id=source.id, detail=detail)
    audit.record(session, by=by, action="split_out", case_id=target.id, detail={"case": source.id})
    session.flush()
    session.expire_all()
    refresh_case(session, config=config, case_id=source.id, reply=False)
    refresh_case(session, config=config, case_id=target.id, reply=False)
    return back


def merged_from(session: Session, case_id: str) -> list[str]:
    """The cases merged into ``case_id``."""
    query = select(Case.id).where(Case.merged_into == case_id).order_by(col(Case.id))
    return list(session.exec(query))


# -- checks --------------------------------------------------------------------------------------


def get_case(session: Session, case_id: str) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}", label="no_case", case=case_id)
    return case


class MergeRefused(IntakeError):
    """A merge or split refused: ``reason`` names it (the desk says it in Japanese, labels.toml
    ``[merge]``), ``values`` fill it in; the message is what the command line says."""

    labels_section = "merge"

    def __init__(self, reason: str, message: str, **values: str) -> None:
        super().__init__(message, label=reason, **values)
        self.reason = reason


def _checked(session: Session, source_id: str, target_id: str) -> tuple[Case, Case]:
    source, target = get_case(session, source_id), get_case(session, target_id)
    case, into = source.id, target.id
    if case == into:
        raise MergeRefused("refused_itself", f"{case} cannot be merged into itself", case=case)
    if source.merged_into is not None:
        where = source.merged_into
        raise MergeRefused("refused_merged", f"{case} is already merged into {where}", case=case, into=where)
    if target.merged_into is not None:
        root = target.merged_into
        message = f"{into} is itself merged into {root}: merge into {root} instead"
        raise MergeRefused("refused_target_merged", message, case=into, into=root)
    inside = ", ".join(merged_from(session, case))
    if inside:
        message = f"{inside} merged into {case}: split them first, or merge them into {into}"
        raise MergeRefused("refused_has_merged", message, case=case, cases=inside)
    if source.mailbox != target.mailbox:
        message = (
            f"{case} ({source.mailbox}) and {into} ({target.mailbox}) are of different mailboxes: "
            "an incident report and a membership matter, or two desks, are not one case"
        )
        raise MergeRefused("refused_mailbox", message, case=case, into=into)
    for one in (source, target):
        refuse_purged(one)
        if one.status == FINAL:
            message = f"{one.id} is accepted: the register was changed from it, so nothing may move in or out"
            raise MergeRefused("refused_accepted", message, case=one.id)
    return source, target


def lock_cases(session: Session, *case_ids: str) -> None:
    """Hold both cases' rows until the transaction ends (PostgreSQL; SQLite has one writer anyway),
    in one order: two staff merging the same case at once are done one after the other, and the
    second sees the first's merge — refused, never moving rows a second time."""
    for case_id in sorted(set(case_ids)):
        session.get(Case, case_id, with_for_update=True, populate_existing=True)


def refuse_purged(case: Case) -> None:
    if case.purged_at is not None:
        message = f"{case.id} was purged (its personal data removed): it cannot be merged or split"
        raise MergeRefused("refused_purged", message, case=case.id)


def _last_merge(session: Session, case_id: str) -> dict:
    query = (
        select(AuditEntry.detail)
        .where(AuditEntry.case_id == case_id, AuditEntry.action == "merge")
        .order_by(col(AuditEntry.id).desc())
    )
    text = session.exec(query).first()
    try:
        detail = json.loads(text or "")
    except ValueError:
        detail = None
    if not isinstance(detail, dict) or not isinstance(detail.get("moved"), dict):
        message = f"the record of how {case_id} was merged is missing: it cannot be split"
        raise MergeRefused("refused_no_record", message, case=case_id)
    return detail


# -- moving rows ---------------------------------------------------------------------------------


def _key(table: Table):
    (key,) = table.primary_key.columns  # every moving table has a one-column key
    return key


def _movable(table: Table, source: str, target: str):
    """The keys of the source's rows, less those the target already has in a unique form."""
    query = sa_select(_key(table)).where(table.c.case_id == source).order_by(_key(table))
    for unique in table.constraints:
        if not isinstance(unique, UniqueConstraint) or "case_id" not in unique.columns:
            continue
        others = [c for c in unique.columns if c.name != "case_id"]
        taken = sa_select(*others).where(table.c.case_id == target)
        query = query.where(tuple_(*others).not_in(taken) if len(others) > 1 else others[0].not_in(taken))
    return query


def move_rows(session: Session, table: Table, ids: list, *, source: str, to: str) -> None:
    for start in range(0, len(ids), 500):  # bound the statement's parameters
        chunk = ids[start : start + 500]
        where = (_key(table).in_(chunk), table.c.case_id == source)
        session.execute(update(table).where(*where).values(case_id=to))


def rows_to_take(
    session: Session, table: Table, picked: dict, marks: dict, going: dict[str, list], holder: str
) -> list:
    """The keys of ``table``'s rows of case ``holder`` that leave it: those named in ``picked``
    (table → keys), and those hanging off a row already leaving (``going``, by a foreign key) —
    with ``marks`` (table → its highest key at the merge) only those made since: a form read from a
    moved attachment unlocked after the merge goes back with it, one there before stays."""
    key = _key(table)
    picks = []
    ids = picked.get(table.name) or []
    if ids:
        picks.append(key.in_(ids))
    mark = marks.get(table.name)
    for fk in table.foreign_keys:
        parents = going.get(fk.column.table.name)
        if parents and fk.column.table.name != "case":
            since = fk.parent.in_(parents)
            picks.append(since if mark is None else (since & (key > mark)))
    if not picks:
        return []
    query = sa_select(key).where(table.c.case_id == holder, or_(*picks)).order_by(key)
    return list(session.execute(query).scalars())


# -- what is combined instead --------------------------------------------------------------------


def _fill_decision(session: Session, source: str, target: str) -> bool:
    """The source's staff decision (秘密指定, 共有範囲) on a target that has none; True when taken."""
    theirs = session.get(IncidentRecord, source)
    if theirs is None or (theirs.decided_secret is None and theirs.decided_scope is None):
        return False
    ours = session.get(IncidentRecord, target) or IncidentRecord(case_id=target)
    if ours.decided_secret is not None or ours.decided_scope is not None:
        return False
    for name in DECISION:
        setattr(ours, name, getattr(theirs, name))
    session.add(ours)
    return True


def _take_back_decision(session: Session, source: str, target: str) -> None:
    """Undo :func:`_fill_decision`, unless staff decided on the target since."""
    theirs, ours = session.get(IncidentRecord, source), session.get(IncidentRecord, target)
    if theirs is None or ours is None:
        return
    if all(getattr(ours, name) == getattr(theirs, name) for name in DECISION):
        for name in DECISION:
            setattr(ours, name, None)
        session.add(ours)


def _resolve_findings(session: Session, case_id: str) -> None:
    now = utcnow()
    for finding in session.exec(select(Finding).where(Finding.case_id == case_id, Finding.open == True)):  # noqa: E712
        finding.open, finding.resolved_at = False, now
        session.add(finding)
