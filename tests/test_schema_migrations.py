"""The tables of intake/db/tables.py and the schema the migrations build are the same: every
column, type, index and constraint a model declares is made by a migration, and nothing more."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import intake.db.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from intake.db import make_engine, upgrade
from support import postgres


def test_the_migrations_build_what_the_models_declare(tmp_path):
    engine = make_engine(postgres.database_url(tmp_path))  # SQLite, or PostgreSQL with --db=postgresql
    upgrade(engine)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert differences == []
