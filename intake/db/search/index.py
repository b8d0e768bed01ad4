"""Writing the search index where the data is written.

:func:`put` writes one record's row (one statement: an upsert; a session that :func:`defer` was
called on writes all the rows put until its commit in one statement then), :func:`drop` and
:func:`drop_case` remove rows, :func:`move_case` gives a case's rows to another case (a merge).
:func:`watch` keeps the rows of the records the ORM writes — cases, forms, register organisations,
notes, replies — in step by itself, in the same transaction, after every flush: a new record is
indexed, one whose searched columns (or case) changed is indexed again, a deleted one leaves.
A message's row is written by ingest, which holds its text (the database keeps none): the watcher
only removes it once the message is purged and follows it when it moves to another case.

Rows deleted with a bulk ``DELETE`` statement are not seen by the ORM: who deletes so removes
their rows too (the purge past retention: :func:`drop_case`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Insert, delete, event, func, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from intake.db.memo import hold
from intake.db.search.text import normal, stored
from intake.db.tables import (
    ApplicationForm,
    Case,
    Message,
    Note,
    Organisation,
    OutboxReply,
    SearchEntry,
    StaffEntry,
)

TABLE = SearchEntry.__table__  # type: ignore[attr-defined]
_PENDING = "intake.search.pending"


def put(session: Session, *, source: str, source_id: object, case_id: str | None, text: str) -> None:
    """Index ``text`` as the record's row (replacing the one it had); no text, no row."""
    normal_text = normal(text)
    if not normal_text:
        drop(session, source, [source_id])
        return
    dialect = session.get_bind().dialect.name
    row = stored(normal_text, pairs=dialect == "postgresql")
    values = {"source": source, "source_id": str(source_id), "case_id": case_id, **row}
    pending = session.info.get(_PENDING)
    if pending is not None:
        pending.append(values)
    else:
        session.connection().execute(_upsert(dialect), values)


def defer(session: Session) -> None:
    """Until the session's next commit or rollback, keep the rows :func:`put` writes and write them
    all at once just before the commit (a poller's batch: one statement, not several a message).
    Anything else that touches the index writes them first, so the order holds."""
    hold(session, _PENDING, [])
    if not event.contains(session, "before_commit", _write_before_commit):
        event.listen(session, "before_commit", _write_before_commit)


def write_deferred(session: Session) -> None:
    """Write the rows :func:`put` kept for the commit now (the session keeps deferring)."""
    pending = session.info.get(_PENDING)
    if pending:
        session.connection().execute(_upsert(session.get_bind().dialect.name), list(pending))
        pending.clear()


def _write_before_commit(session: Session) -> None:
    if _PENDING in session.info:
        session.flush()  # what the last flush indexes is among the rows written
        write_deferred(session)
        del session.info[_PENDING]  # what the commit's last flush indexes is written at once


@cache
def _upsert(dialect: str) -> Insert:
    """INSERT … ON CONFLICT (source, source_id) DO UPDATE, made once per dialect (and so compiled
    once: the poller writes several rows a message)."""
    insert = postgresql.insert(TABLE) if dialect == "postgresql" else sqlite.insert(TABLE)
    changed = {c: insert.excluded[c] for c in ("case_id", "text", "grams")}
    return insert.on_conflict_do_update(index_elements=["source", "source_id"], set_=changed)


def drop(session: Session, source: str, source_ids: Iterable[object]) -> None:
    """Remove the rows of these records."""
    ids = [str(i) for i in source_ids]
    if ids:
        write_deferred(session)
        session.connection().execute(
            delete(TABLE).where(TABLE.c.source == source, TABLE.c.source_id.in_(ids))
        )


def drop_case(session: Session, case_id: str) -> None:
    """Remove every row of the case (its personal data is leaving: the purge past retention)."""
    write_deferred(session)
    session.connection().execute(delete(TABLE).where(TABLE.c.case_id == case_id))


def move_case(session: Session, from_case: str, to_case: str) -> None:
    """Give every row of ``from_case`` to ``to_case`` (a merge moved its records)."""
    statement = update(TABLE).where(TABLE.c.case_id == from_case).values(case_id=to_case)
    write_deferred(session)
    session.connection().execute(statement)


def entry_count(session: Session) -> int:
    write_deferred(session)
    return int(session.connection().execute(select(func.count()).select_from(TABLE)).scalar_one())


def has_entries(session: Session) -> bool:
    """Whether the index has any row (one row read, however large it is)."""
    write_deferred(session)
    return session.connection().execute(select(TABLE.c.id).limit(1)).first() is not None


@dataclass(frozen=True)
class Indexed:
    """How a table's records are indexed: their source name, the columns searched, their id."""

    source: str
    columns: tuple[str, ...]
    record_id: Callable[[object], object] = lambda row: row.id  # type: ignore[attr-defined]


APPLICATION_COLUMNS = (
    "org_name", "org_name_kana", "corporate_number", "department", "address", "representative",
    "category", "sector", "participation", "poc_name", "poc_name_kana", "poc_title", "poc_phone",
    "poc_email",
)  # fmt: skip
STAFF_COLUMNS = ("org_name", "name", "name_kana", "department", "title", "phone", "mobile", "email")

INDEXED: dict[type, Indexed] = {
    Case: Indexed("case", ("subject", "org_name", "sender_name", "sender"), lambda row: row.id),  # type: ignore[attr-defined]
    ApplicationForm: Indexed("application", APPLICATION_COLUMNS),
    StaffEntry: Indexed("staff", STAFF_COLUMNS),
    Organisation: Indexed("organisation", ("name", "department")),
    Note: Indexed("note", ("text",)),
    OutboxReply: Indexed("reply", ("subject", "body")),
}


def record_text(row: object, columns: Iterable[str]) -> str:
    """The searched columns of a record as one text, a line each."""
    return "\n".join(str(value) for c in columns if (value := getattr(row, c, None)))


def _case_of(row: object) -> str | None:
    return row.id if isinstance(row, Case) else getattr(row, "case_id", None)  # type: ignore[attr-defined]


def _changed(row: object, columns: Iterable[str]) -> bool:
    state = inspect(row)
    return any(state.attrs[c].history.has_changes() for c in (*columns, "case_id") if c in state.attrs)


def _after_flush(session: Session, _context: object) -> None:
    for row in session.deleted:
        indexed = INDEXED.get(type(row))
        if indexed is not None:
            drop(session, indexed.source, [indexed.record_id(row)])
        elif isinstance(row, Message):
            drop(session, "message", [row.id])
    for row in (*session.new, *session.dirty):
        indexed = INDEXED.get(type(row))
        if indexed is not None and (row in session.new or _changed(row, indexed.columns)):
            text = record_text(row, indexed.columns)
            put(
                session,
                source=indexed.source,
                source_id=indexed.record_id(row),
                case_id=_case_of(row),
                text=text,
            )
        elif isinstance(row, Message) and row in session.dirty:
            _follow_message(session, row)


def _follow_message(session: Session, message: Message) -> None:
    """A purged message's row leaves; a message moved to another case takes its row along."""
    state = inspect(message)
    if message.purged_at is not None and state.attrs["purged_at"].history.has_changes():
        drop(session, "message", [message.id])
    elif state.attrs["case_id"].history.has_changes():
        statement = (
            update(TABLE)
            .where(TABLE.c.source == "message", TABLE.c.source_id == str(message.id))
            .values(case_id=message.case_id)
        )
        write_deferred(session)
        session.connection().execute(statement)


def watch() -> None:
    """Keep the index in step with what every session flushes (once per process)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
