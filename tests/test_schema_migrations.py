"""The tables of intake/db/tables.py and the schema the migrations build are the same: every
column, type, index and constraint a model declares is made by a migration, and nothing more —
but for the search index's full-text parts, which no SQLModel can declare (SQLite's FTS5 table
and its shadow tables, PostgreSQL's GIN indexes): those are left out here by name, and
tests/test_search.py shows they work."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import intake.db.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from intake.db import make_engine, upgrade
from intake.db.search import OUTSIDE_METADATA
from support import postgres


def _ours(name, type_, *_args) -> bool:
    """Everything but the search index's full-text parts (and FTS5's shadow tables of it)."""
    return not (type_ in ("table", "index") and name and name.startswith(OUTSIDE_METADATA))


def test_the_migrations_build_what_the_models_declare(tmp_path):
    engine = make_engine(postgres.database_url(tmp_path))  # SQLite, or PostgreSQL with --db=postgresql
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": _ours})
        differences = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert differences == []


def test_the_full_text_parts_are_made(tmp_path):
    engine = make_engine(postgres.database_url(tmp_path))
    upgrade(engine)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            names = conn.exec_driver_sql("SELECT name FROM sqlite_master").scalars().all()
        else:
            names = conn.exec_driver_sql("SELECT indexname FROM pg_indexes").scalars().all()
    engine.dispose()
    sqlite = {"searchentry_fts", "searchentry_fts_vocab"}
    expected = sqlite if engine.dialect.name == "sqlite" else set(OUTSIDE_METADATA[1:])
    assert expected <= set(names)
