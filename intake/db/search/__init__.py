"""The search index: one row per searchable record (:class:`~intake.db.tables.SearchEntry`), the
full-text index over it, and the queries staff's search box and ``intake search`` run.

Rows are keyed by where their text came from (``source``, ``source_id``) and carry the case they
belong to, so a merge that moves a case's records moves their rows with them: through the ORM it
happens by itself (:func:`~intake.db.search.index.watch`), by hand it is one call,
:func:`~intake.db.search.index.move_case`.
"""

from intake.db.search.index import (
    defer,
    drop,
    drop_case,
    entry_count,
    has_entries,
    move_case,
    put,
    watch,
    write_deferred,
)
from intake.db.search.query import Entry, entries
from intake.db.search.text import normal

#: What the migration makes beside the tables' metadata, for the schema comparison to leave alone:
#: SQLite's FTS5 table (with the shadow tables FTS5 keeps its index in and its vocabulary, all named
#: searchentry_fts…) and PostgreSQL's GIN indexes.
OUTSIDE_METADATA = ("searchentry_fts", "ix_searchentry_text_trgm", "ix_searchentry_grams_trgm")

__all__ = [
    "OUTSIDE_METADATA",
    "Entry",
    "defer",
    "drop",
    "drop_case",
    "entries",
    "entry_count",
    "has_entries",
    "move_case",
    "normal",
    "put",
    "watch",
    "write_deferred",
]
