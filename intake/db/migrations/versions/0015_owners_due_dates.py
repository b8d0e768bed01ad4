"""owners and due dates: a case's 担当者 and the day it is due, a desk user's e-mail for the
daily digest, the digests sent, and outbox mail that belongs to no case (the digest)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_case_queue_owner", ["robot", "owner", "received_at", "id"], unique=False)
        batch_op.create_index("ix_case_due", ["robot", "due_at"], unique=False)
    with op.batch_alter_table("deskuser", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(), nullable=True))
    with op.batch_alter_table("outboxreply", schema=None) as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.String(), nullable=True)
    op.create_table(
        "digestsent",
        sa.Column("user_name", sa.String(), nullable=False),
        sa.Column("day", sa.String(), nullable=False),
        sa.Column("reply_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["reply_id"], ["outboxreply.id"]),
        sa.PrimaryKeyConstraint("user_name", "day"),
    )


def downgrade() -> None:
    op.drop_table("digestsent")
    op.execute("DELETE FROM outboxreply WHERE case_id IS NULL")
    with op.batch_alter_table("outboxreply", schema=None) as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.String(), nullable=False)
    with op.batch_alter_table("deskuser", schema=None) as batch_op:
        batch_op.drop_column("email")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index("ix_case_due")
        batch_op.drop_index("ix_case_queue_owner")
        batch_op.drop_column("due_at")
        batch_op.drop_column("owner")
