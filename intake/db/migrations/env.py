"""Alembic environment: the engine comes from intake.db.engine, never from a file of its own."""

from alembic import context
from sqlmodel import SQLModel

import intake.db.tables  # noqa: F401  (registers the tables on SQLModel.metadata)

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
