"""staff replies: who wrote a reply (none for an automatic one), its Cc, and the message as built
when it carries files

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outboxreply", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("cc", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("raw_sha256", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outboxreply", schema=None) as batch_op:
        batch_op.drop_column("raw_sha256")
        batch_op.drop_column("cc")
        batch_op.drop_column("author")
