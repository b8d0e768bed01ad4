"""message security: sender authentication, encryption and signature of each incoming message

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "messagesecurity",
        sa.Column("message_pk", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("auth", sa.String(), nullable=False),
        sa.Column("auth_detail", sa.Text(), nullable=False),
        sa.Column("scheme", sa.String(), nullable=False),
        sa.Column("encrypted", sa.Boolean(), nullable=False),
        sa.Column("decrypted", sa.Boolean(), nullable=False),
        sa.Column("signature", sa.String(), nullable=False),
        sa.Column("signer", sa.String(), nullable=False),
        sa.Column("signer_matches", sa.Boolean(), nullable=True),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["message_pk"], ["message.id"]),
        sa.PrimaryKeyConstraint("message_pk"),
    )
    with op.batch_alter_table("messagesecurity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messagesecurity_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("messagesecurity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messagesecurity_case_id"))
    op.drop_table("messagesecurity")
