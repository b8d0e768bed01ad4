"""Looking a query up in the index, newest rows first.

A query of three characters or more is a substring looked up through the trigram index (SQLite:
FTS5's ``trigram`` tokenizer, a phrase match on ``text``; PostgreSQL: ``LIKE`` on pg_trgm's GIN
index). A trigram index cannot narrow one or two characters directly:

* one character is looked up in ``grams``, where it stands between spaces (`` 林 ``): exact;
* two characters, on PostgreSQL, the same way: there ``grams`` lists every pair of the text too;
* two characters, on SQLite: every trigram of the index that begins with them (FTS5's own
  vocabulary, ``searchentry_fts_vocab``, read by a range of terms) — each stored text ends with a
  space, so its last two characters begin one too — and the rows holding any of those; when the
  pair begins very many trigrams (a pair found nearly everywhere), both characters in ``grams``
  and the pair checked in the text of those rows.

Either way the answer is exact: a row is returned only when its text holds the query. FTS5
gives the rows newest first by itself; PostgreSQL reads the newest rows in id order, then the
older ones through the GIN index alone (:func:`_newest_then_index`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from intake.db.search.text import gram, normal

BATCH = 200


@dataclass(frozen=True)
class Entry:
    """One row that holds the query."""

    id: int
    source: str
    source_id: str
    case_id: str | None
    text: str


def entries(session: Session, query: str, *, batch: int = BATCH) -> Iterator[Entry]:
    """Every row whose text holds ``query`` (normalised like the text), newest first, read
    ``batch`` rows at a time as the caller goes on."""
    wanted = normal(query)
    if not wanted:
        return
    if session.get_bind().dialect.name == "postgresql":
        yield from _newest_then_index(session, wanted, batch)
        return
    before: int | None = None
    while rows := _batch(session, wanted, batch, before=before):
        yield from rows
        if len(rows) < batch:
            return
        before = rows[-1].id


NEWEST = 2000  # PostgreSQL: how many of the newest rows are read in id order before the index is asked


def _newest_then_index(session: Session, wanted: str, batch: int) -> Iterator[Entry]:
    """PostgreSQL: the newest rows first, read in id order (a word found often fills the page
    there, whatever it costs to read the rest); then the older ones through the GIN index alone.
    PostgreSQL's statistics leave long values (a message's text) out, so left to itself it may take
    a word found in a third of the mail for a rare one, or the reverse, and read every row."""
    top = session.connection().execute(sql("SELECT max(id) FROM searchentry")).scalar()
    if top is None:
        return
    floor = max(top - NEWEST, 0)
    yield from _pages(session, wanted, batch, before=top + 1, after=floor)
    yield from _pages(session, wanted, batch, before=floor + 1, after=None, index_only=True)


def _pages(
    session: Session, wanted: str, batch: int, *, before: int, after: int | None, index_only: bool = False
) -> Iterator[Entry]:
    while rows := _batch(session, wanted, batch, before=before, after=after, index_only=index_only):
        yield from rows
        if len(rows) < batch:
            return
        before = rows[-1].id


def _batch(
    session: Session,
    wanted: str,
    batch: int,
    *,
    before: int | None = None,
    after: int | None = None,
    index_only: bool = False,
) -> list[Entry]:
    postgres = session.get_bind().dialect.name == "postgresql"
    where, params = _postgresql(wanted) if postgres else _sqlite(session, wanted)
    row_id = "e.id" if postgres else "f.rowid"
    if before is not None:
        where += f" AND {row_id} < :before"
    if after is not None:
        where += f" AND {row_id} > :after"
    source = "searchentry e" if postgres else "searchentry_fts f JOIN searchentry e ON e.id = f.rowid"
    statement = sql(
        f"SELECT e.id, e.source, e.source_id, e.case_id, e.text FROM {source} "
        f"WHERE {where} ORDER BY {row_id} DESC LIMIT :batch"
    )
    values = {**params, "before": before, "after": after, "batch": batch}
    connection = session.connection()
    if index_only:  # the GIN index's bitmap, never the primary key read in order
        connection.execute(sql("SET LOCAL enable_indexscan = off"))
    try:
        return [Entry(*row) for row in connection.execute(statement, values)]
    finally:
        if index_only:
            connection.execute(sql("SET LOCAL enable_indexscan = on"))


def _sqlite(session: Session, wanted: str) -> tuple[str, dict]:
    """FTS5 MATCH: a phrase on ``text`` (trigrams), the trigrams a pair begins, or the characters
    on ``grams``."""
    if len(wanted) >= 3:
        return "searchentry_fts MATCH :match", {"match": f"text : {_phrase(wanted)}"}
    if len(wanted) == 2 and (trigrams := _beginning(session, wanted)) is not None:
        if not trigrams:
            return "0", {}  # no text holds the pair
        return "searchentry_fts MATCH :match", {"match": f"text : ({' OR '.join(map(_phrase, trigrams))})"}
    match = " AND ".join(f"grams : {_phrase(gram(c))}" for c in dict.fromkeys(wanted))
    pair = " AND instr(e.text, :wanted) > 0" if len(wanted) == 2 else ""
    return f"searchentry_fts MATCH :match{pair}", {"match": match, "wanted": wanted}


MAX_TRIGRAMS = 300  # a pair that begins more is found nearly everywhere: the rows are read instead


def _beginning(session: Session, pair: str) -> list[str] | None:
    """The trigrams of the index that begin with ``pair`` (None: too many to ask for each)."""
    statement = sql("SELECT term FROM searchentry_fts_vocab WHERE term >= :low AND term < :high LIMIT :most")
    params = {"low": pair, "high": pair + "\U0010ffff", "most": MAX_TRIGRAMS + 1}
    terms = list(session.connection().execute(statement, params).scalars())
    return None if len(terms) > MAX_TRIGRAMS else terms


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _postgresql(wanted: str) -> tuple[str, dict]:
    """LIKE through pg_trgm's GIN indexes on ``text``, or on ``grams`` for one or two characters."""
    if len(wanted) >= 3:
        return "e.text LIKE :pattern ESCAPE '\\'", {"pattern": f"%{_like(wanted)}%"}
    return "e.grams LIKE :gram ESCAPE '\\'", {"gram": f"%{_like(gram(wanted))}%"}


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
