"""graph sync state: per Graph mailbox and folder, the delta link the next poll starts from and the
one the last round started from (to repair marks after a crash)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "graphsyncstate",
        sa.Column("mailbox", sa.String(), nullable=False),
        sa.Column("folder", sa.String(), nullable=False),
        sa.Column("delta_link", sa.Text(), nullable=False),
        sa.Column("repair_link", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mailbox", "folder"),
    )


def downgrade() -> None:
    op.drop_table("graphsyncstate")
