"""password offers: a mail carrying a password offered on each of an organisation's cases that
wait for one, when it cannot join one of them by itself

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "passwordoffer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_pk", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["message_pk"], ["message.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_pk", "case_id", name="uq_passwordoffer_message_case"),
    )
    with op.batch_alter_table("passwordoffer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_passwordoffer_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_passwordoffer_message_pk"), ["message_pk"], unique=False)


def downgrade() -> None:
    op.drop_table("passwordoffer")
