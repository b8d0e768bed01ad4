"""A stored row's key: a table's ``id`` is ``None`` only on a row not yet flushed into the database,
so code holding a row read from its table (or flushed) takes the key as a plain ``int``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from intake.db.memo import hold


class _Keyed(Protocol):
    @property
    def id(self) -> int | None: ...


def stored_id(row: _Keyed) -> int:
    """The key of a row read from its table or flushed into it — such a row always has one."""
    assert row.id is not None, f"{type(row).__name__} has no key: it was never flushed"
    return row.id


_BATCH = "intake.keys"
_CHUNK = 64  # ids taken from a PostgreSQL sequence at a time


def keys_in_batch(session: Session, tables: Iterable[type]) -> None:
    """Until the session's next commit or rollback, give new rows of ``tables`` their ids as they
    are made (:func:`with_id`), so that nothing needs a flush to learn its key and a poller's batch
    goes to the database in one flush, one INSERT a table. Only for a transaction that holds the
    right to write (a poller's batch): on SQLite the next ids are read once and counted on (no one
    else can insert meanwhile); on PostgreSQL they are drawn from the table's sequence. Every row
    of these tables that the session writes meanwhile is given its id here."""
    hold(session, _BATCH, {table: _Ids(table) for table in tables})
    if not event.contains(session, "before_flush", _give_ids):
        event.listen(session, "before_flush", _give_ids)


def with_id(session: Session, row: _Keyed) -> int:
    """``row``'s key, given now in a batch (:func:`keys_in_batch`), else by flushing it."""
    ids: _Ids | None = session.info.get(_BATCH, {}).get(type(row))
    if row.id is None and ids is not None:
        row.id = ids.next(session)  # type: ignore[misc]  # the protocol reads; the tables' rows are written
    if row.id is None:
        session.flush()
    return stored_id(row)


class _Ids:
    """The next ids of one table for the batch."""

    def __init__(self, table: type) -> None:
        self.name: str = table.__table__.name  # type: ignore[attr-defined]  # SQLModel declares no __table__
        self.given: list[int] = []
        self.last: int | None = None  # SQLite: the last id given

    def next(self, session: Session) -> int:
        if not self.given:
            self.given = self._more(session)
        return self.given.pop(0)

    def _more(self, session: Session) -> list[int]:
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            draw = text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)")
            return [int(i) for i in conn.execute(draw, {"t": self.name, "n": _CHUNK}).scalars()]
        if self.last is None:  # once: the rows given ids are not all written yet
            self.last = conn.execute(text(f'SELECT max(id) FROM "{self.name}"')).scalar() or 0
        first, self.last = self.last + 1, self.last + _CHUNK
        return list(range(first, self.last + 1))


def _give_ids(session: Session, _context: object, _instances: object) -> None:
    batch: dict[type, _Ids] = session.info.get(_BATCH, {})
    for row in session.new:
        ids = batch.get(type(row))
        if ids is not None and row.id is None:
            row.id = ids.next(session)
