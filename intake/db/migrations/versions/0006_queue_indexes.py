"""queue indexes: the review queue newest first, and its counts per status, read off an index

``ix_case_robot`` goes: ``ix_case_queue`` begins with the same column.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.create_index("ix_case_queue", ["robot", "received_at", "id"], unique=False)
        batch_op.create_index("ix_case_queue_status", ["robot", "status", "received_at", "id"], unique=False)
        batch_op.drop_index("ix_case_robot")


def downgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.create_index("ix_case_robot", ["robot"], unique=False)
        batch_op.drop_index("ix_case_queue_status")
        batch_op.drop_index("ix_case_queue")
