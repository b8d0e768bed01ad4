"""search index: one row per searchable record (searchentry), with SQLite's FTS5 trigram table
and its triggers, or PostgreSQL's pg_trgm GIN indexes. The rows are filled by
``intake search --reindex`` (the archive, which holds the message texts, is not read here).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# SQLite: the FTS5 table reads its text from searchentry (external content); the triggers keep its
# index in step with every insert, update and delete, so writing a row stays one statement.
SQLITE = (
    "CREATE VIRTUAL TABLE searchentry_fts USING fts5("
    "text, grams, content='searchentry', content_rowid='id', tokenize='trigram')",
    # its vocabulary (every trigram indexed), which a two-character query reads by a range of terms
    "CREATE VIRTUAL TABLE searchentry_fts_vocab USING fts5vocab(searchentry_fts, row)",
    "CREATE TRIGGER searchentry_fts_insert AFTER INSERT ON searchentry BEGIN "
    "INSERT INTO searchentry_fts(rowid, text, grams) VALUES (new.id, new.text, new.grams); END",
    "CREATE TRIGGER searchentry_fts_delete AFTER DELETE ON searchentry BEGIN "
    "INSERT INTO searchentry_fts(searchentry_fts, rowid, text, grams) "
    "VALUES ('delete', old.id, old.text, old.grams); END",
    "CREATE TRIGGER searchentry_fts_update AFTER UPDATE OF text, grams ON searchentry BEGIN "
    "INSERT INTO searchentry_fts(searchentry_fts, rowid, text, grams) "
    "VALUES ('delete', old.id, old.text, old.grams); "
    "INSERT INTO searchentry_fts(rowid, text, grams) VALUES (new.id, new.text, new.grams); END",
)
POSTGRESQL = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_searchentry_text_trgm ON searchentry USING gin (text gin_trgm_ops)",
    "CREATE INDEX ix_searchentry_grams_trgm ON searchentry USING gin (grams gin_trgm_ops)",
)


def upgrade() -> None:
    op.create_table(
        "searchentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("grams", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "source_id", name="uq_searchentry_source"),
    )
    with op.batch_alter_table("searchentry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_searchentry_case_id"), ["case_id"], unique=False)
    for statement in SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE searchentry_fts_vocab")
        op.execute("DROP TABLE searchentry_fts")
    op.drop_table("searchentry")
