"""Indexes in a fixed order on SQLite.

When a migration's batch operation re-creates a SQLite table (move and copy), Alembic re-creates
its indexes in the order of a Python set, which changes from one process to the next (the hash
seed). SQLite's planner, weighing two indexes it has no statistics for, takes the one met first:
the same lookup then reads one row off one database's index and walks a whole mailbox in
another's. A migration that re-creates a table calls :func:`in_name_order` for it afterwards.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text


def in_name_order(*tables: str) -> None:
    """Drop the indexes of ``tables`` (SQLite) and create them again, table after table, each
    table's in name order, from the very text they were made with. Nothing on other databases."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for table in tables:
        rows = bind.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"
            ),
            {"t": table},
        ).all()
        for name, _sql in rows:
            bind.exec_driver_sql(f'DROP INDEX "{name}"')
        for _name, sql in sorted(rows):
            bind.exec_driver_sql(sql)
