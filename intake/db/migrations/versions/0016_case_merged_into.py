"""case merged into another: the case staff merged it into (``intake merge``), until it is split again

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into", sa.String(), nullable=True))
        batch_op.create_index(batch_op.f("ix_case_merged_into"), ["merged_into"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_merged_into"))
        batch_op.drop_column("merged_into")
