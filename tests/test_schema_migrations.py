"""The tables of intake/db/tables.py and the schema the migrations build are the same: every
column, type, index and constraint a model declares is made by a migration, and nothing more —
but for the search index's full-text parts, which no SQLModel can declare (SQLite's FTS5 table
and its shadow tables, PostgreSQL's GIN indexes): those are left out here by name, and
tests/test_search.py shows they work."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import intake.db.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from intake.db import make_engine, upgrade
from intake.db.search import OUTSIDE_METADATA
from support import postgres
from support.statements import narrows_to_key, plan_of
from support.workspace import Workspace


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


# The lookups a poll makes for every message (intake/cases/ingest.py, intake/cases/sent.py,
# intake/replies/outbox.py), as SQLAlchemy writes them.
LOOKUPS = (
    "SELECT message.id FROM message WHERE message.sha256 = ? AND message.mailbox = ? LIMIT ?",
    "SELECT message.id FROM message "
    "WHERE message.message_id = ? AND message.from_addr = ? AND message.mailbox = ? LIMIT ?",
    "SELECT message.id FROM message WHERE message.message_id = ? AND message.mailbox = ? LIMIT ?",
    "SELECT outboxreply.id FROM outboxreply WHERE outboxreply.in_reply_to = ? "
    "AND outboxreply.template = ? AND outboxreply.to_addr = ? LIMIT ?",
)


@pytest.mark.e2e
@pytest.mark.sqlite_only(
    reason="SQLite's batch migrations re-create tables; its planner takes the index met first"
)
def test_fresh_databases_get_one_schema_and_one_plan_whatever_the_hash_seed(tmp_path, monkeypatch):
    schemas, plans = set(), set()
    for seed in range(10):
        workspace = Workspace(tmp_path / f"seed{seed}", monkeypatch, env={"PYTHONHASHSEED": str(seed)})
        workspace.add_maildir()
        result = workspace.cli_process("init")
        assert result.returncode == 0, result.stderr
        engine = create_engine(workspace.database)
        with engine.connect() as conn:
            master = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid"
            schemas.add(tuple(tuple(row) for row in conn.exec_driver_sql(master)))
            plans.add(tuple(tuple(plan_of(conn, q, ("x",) * q.count("?"))) for q in LOOKUPS))
        engine.dispose()
    assert len(schemas) == 1
    [plan] = plans
    assert all(
        narrows_to_key(step, lookup) for lookup, steps in zip(LOOKUPS, plan, strict=True) for step in steps
    ), plan
