"""outbox indexes: the per-sender cap and the already-replied check read off an index

Both filtered on ``lower(to_addr)``, which no index serves, so SQLite walked the outbox by state —
every reply ever queued — once per incoming message. ``to_addr`` is written in lower case (the
only writer lower-cases it; the upgrade makes sure of the old rows), so the checks compare it as it
is, on ``(to_addr, created_at)``; ``in_reply_to`` gets its own index. ``ix_outboxreply_to_addr``
goes: the new index begins with the same column.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE outboxreply SET to_addr = lower(to_addr) WHERE to_addr <> lower(to_addr)")
    with op.batch_alter_table("outboxreply", schema=None) as batch_op:
        batch_op.create_index("ix_outboxreply_recipient", ["to_addr", "created_at"], unique=False)
        batch_op.create_index("ix_outboxreply_in_reply_to", ["in_reply_to"], unique=False)
        batch_op.drop_index("ix_outboxreply_to_addr")


def downgrade() -> None:
    with op.batch_alter_table("outboxreply", schema=None) as batch_op:
        batch_op.create_index("ix_outboxreply_to_addr", ["to_addr"], unique=False)
        batch_op.drop_index("ix_outboxreply_in_reply_to")
        batch_op.drop_index("ix_outboxreply_recipient")
