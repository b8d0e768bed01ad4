"""source cursor: how far every message is known to be marked at the server

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sourcecursor", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "marked_uid",
                sa.Integer().with_variant(sa.BigInteger(), "postgresql"),  # an IMAP UID: unsigned 32-bit
                nullable=False,
                server_default="0",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("sourcecursor", schema=None) as batch_op:
        batch_op.drop_column("marked_uid")
