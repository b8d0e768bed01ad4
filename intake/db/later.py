"""Rows a poller's batch inserts with one statement a table after its next flush.

In a batch (:func:`insert_later`) the ORM writes the batch's new cases, messages and replies in
one flush at its end; rows written without the ORM that refer to them (a new case's findings) wait
for that flush, then go in one ``executemany`` a table. Anywhere else they are inserted at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from intake.db.memo import hold

_LATER = "intake.later"


def insert_rows(session: Session, table: type, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` into ``table``: now, or after the batch's next flush."""
    later: dict[type, list[dict[str, Any]]] | None = session.info.get(_LATER)
    if later is None:
        session.execute(insert(table), rows)
    else:
        later.setdefault(table, []).extend(rows)


def insert_later(session: Session) -> None:
    """Until the session's next commit or rollback, keep the rows of :func:`insert_rows` for after
    each flush."""
    hold(session, _LATER, {})
    if not event.contains(session, "after_flush", _write):
        event.listen(session, "after_flush", _write)


def _write(session: Session, _context: object) -> None:
    later: dict[type, list[dict[str, Any]]] = session.info.get(_LATER) or {}
    for table, rows in later.items():
        if rows:
            session.connection().execute(insert(table.__table__), rows)  # type: ignore[attr-defined]
    later.clear()
