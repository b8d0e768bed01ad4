"""message: one row per place a message was read from (imap:FOLDER:UIDVALIDITY:UID), the last
guard when several intake instances share a PostgreSQL database

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

WHERE = sa.text("source_ref LIKE 'imap:%'")


def upgrade() -> None:
    op.create_index(
        "ux_message_source",
        "message",
        ["mailbox", "source_ref"],
        unique=True,
        sqlite_where=WHERE,
        postgresql_where=WHERE,
    )


def downgrade() -> None:
    op.drop_index("ux_message_source", table_name="message")
