"""What an acceptance changes in the register, row by row and field by field, and how it is put back.

A :class:`Rows` snapshot holds some organisations and all their people as plain values (JSON
text for dates), so it can be kept in the audit log. :func:`diff` compares two snapshots: rows
added, changed (each field before → after) and removed. :func:`restore` writes a snapshot back
over the rows another snapshot holds: rows it lacks are deleted, the others get its values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from intake.db.tables import Organisation, RegisteredPerson

TABLES: dict[str, type[SQLModel]] = {"organisation": Organisation, "person": RegisteredPerson}
# Kept and restored, never shown as a change: derived keys and times the change itself sets.
# The organisation a person belongs to is the row above them in the change.
HIDDEN = frozenset({"id", "name_key", "updated_at", "removed_at", "organisation_id"})
DATES = frozenset({"updated_at", "removed_at"})

Row = dict[str, Any]
Rows = dict[str, dict[str, Row]]  # table → row id (as text: JSON keys) → column → value


@dataclass(frozen=True)
class FieldChange:
    name: str
    before: Any
    after: Any


@dataclass(frozen=True)
class RowChange:
    """One register row an acceptance adds, changes or removes (``kind``)."""

    table: str  # organisation | person
    row_id: int
    kind: str  # added | changed | removed
    label: str  # the organisation's or the person's name
    fields: tuple[FieldChange, ...] = field(default_factory=tuple)


def snapshot(session: Session, organisation_ids: set[int]) -> Rows:
    """The organisations and every person of theirs, as plain values read back from the database."""
    ids = sorted(organisation_ids)
    if not ids:
        return {"organisation": {}, "person": {}}
    fresh = {"populate_existing": True}
    orgs = session.exec(select(Organisation).where(col(Organisation.id).in_(ids)).execution_options(**fresh))
    query = select(RegisteredPerson).where(col(RegisteredPerson.organisation_id).in_(ids))
    return {
        "organisation": _rows(orgs.all()),
        "person": _rows(session.exec(query.execution_options(**fresh)).all()),
    }


def _rows(objects) -> dict[str, Row]:
    return {str(o.id): {k: _plain(k, v) for k, v in o.model_dump().items()} for o in objects}


def _plain(key: str, value: Any) -> Any:
    return value.isoformat() if key in DATES and isinstance(value, datetime) else value


def diff(before: Rows, after: Rows) -> list[RowChange]:
    """Rows added, changed and removed from ``before`` to ``after``; organisations first, then
    people, each in id order; unchanged rows and :data:`HIDDEN` columns left out."""
    changes = []
    for table in TABLES:
        old, new = before.get(table, {}), after.get(table, {})
        for key in sorted(old.keys() | new.keys(), key=int):
            change = _row_change(table, int(key), old.get(key), new.get(key))
            if change is not None:
                changes.append(change)
    return changes


def _row_change(table: str, row_id: int, old: Row | None, new: Row | None) -> RowChange | None:
    shown = [k for k in (new or old or {}) if k not in HIDDEN]
    if old is None or new is None:
        kind, row = ("added", new) if old is None else ("removed", old)
        assert row is not None
        fields = tuple(
            FieldChange(k, None if old is None else row[k], None if new is None else row[k]) for k in shown
        )
        return RowChange(table, row_id, kind, str(row.get("name") or ""), fields)
    changed = tuple(FieldChange(k, old.get(k), new.get(k)) for k in shown if old.get(k) != new.get(k))
    if not changed:
        return None
    return RowChange(table, row_id, "changed", str(new.get("name") or ""), changed)


def same_rows(one: Rows, other: Rows) -> bool:
    """Every column of every row alike (times included): nothing changed in between."""
    return all(one.get(t, {}) == other.get(t, {}) for t in TABLES)


def restore(session: Session, before: Rows, after: Rows) -> None:
    """Put ``before`` back where ``after`` is now: rows only ``after`` holds are deleted (people
    first), the rows ``before`` holds get all its values back (added again if gone)."""
    for table in ("person", "organisation"):
        model = TABLES[table]
        for key in after.get(table, {}).keys() - before.get(table, {}).keys():
            row = session.get(model, int(key))
            if row is not None:
                session.delete(row)
        session.flush()
    for table in ("organisation", "person"):
        model = TABLES[table]
        for key, values in before.get(table, {}).items():
            row = session.get(model, int(key)) or model(id=int(key))
            for name, value in values.items():
                setattr(row, name, datetime.fromisoformat(value) if name in DATES and value else value)
            session.add(row)
        session.flush()
