"""lookup indexes: the duplicate checks read one row off an index of their own, whichever order a
database's indexes were made in; a Graph message, like an IMAP one, is stored once per place

A message's duplicate is looked up by (mailbox, sha256), then by (mailbox, Message-ID, sender):
with single-column indexes alone SQLite chose among mailbox, sha256 and message_id by the order
they had been made in, which the batch re-creation of ``message`` (0002), ``case`` (0003) and
``outboxreply`` (0015) left to chance; those three tables' indexes are made again in name order.
``ix_message_mailbox`` goes: both new indexes begin with the mailbox. The already-replied check
(in_reply_to, to_addr, template) likewise gets ``ix_outboxreply_replied``, which replaces
``ix_outboxreply_in_reply_to``: SQLite had read it off the recipient's index, every reply to that
address.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from intake.db.migrations.ordering import in_name_order

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

IMAP = sa.text("source_ref LIKE 'imap:%'")
PLACES = sa.text("source_ref LIKE 'imap:%' OR source_ref LIKE 'graph:%'")


def upgrade() -> None:
    op.create_index("ix_message_same_bytes", "message", ["mailbox", "sha256"])
    op.create_index("ix_message_same_id", "message", ["mailbox", "message_id", "from_addr"])
    op.drop_index("ix_message_mailbox", table_name="message")
    op.create_index("ix_outboxreply_replied", "outboxreply", ["in_reply_to", "to_addr", "template"])
    op.drop_index("ix_outboxreply_in_reply_to", table_name="outboxreply")
    _source_guard(PLACES)
    in_name_order("case", "message", "outboxreply")


def downgrade() -> None:
    _source_guard(IMAP)
    op.create_index("ix_outboxreply_in_reply_to", "outboxreply", ["in_reply_to"])
    op.drop_index("ix_outboxreply_replied", table_name="outboxreply")
    op.create_index("ix_message_mailbox", "message", ["mailbox"])
    op.drop_index("ix_message_same_id", table_name="message")
    op.drop_index("ix_message_same_bytes", table_name="message")


def _source_guard(where: sa.TextClause) -> None:
    """One message per (mailbox, source_ref) for the refs ``where`` selects."""
    op.drop_index("ux_message_source", table_name="message")
    op.create_index(
        "ux_message_source",
        "message",
        ["mailbox", "source_ref"],
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )
