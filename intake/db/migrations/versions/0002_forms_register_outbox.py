"""forms, register, incidents, expected passwords, outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "expectedpassword",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(), nullable=True),
        sa.Column("org_key", sa.String(), nullable=True),
        sa.Column("token", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("expectedpassword", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_expectedpassword_org_key"), ["org_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_expectedpassword_sender"), ["sender"], unique=False)

    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("corporate_number", sa.String(), nullable=True),
        sa.Column("department", sa.String(), nullable=True),
        sa.Column("category", sa.String(), nullable=True),
        sa.Column("sector", sa.String(), nullable=True),
        sa.Column("participation", sa.String(), nullable=True),
        sa.Column("roster_publication", sa.Boolean(), nullable=False),
        sa.Column("poc_email", sa.String(), nullable=True),
        sa.Column("is_member", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organisation_corporate_number"), ["corporate_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_organisation_name_key"), ["name_key"], unique=False)

    op.create_table(
        "incidentrecord",
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("secret_designation", sa.String(), nullable=True),
        sa.Column("secret_detail", sa.String(), nullable=True),
        sa.Column("sharing_scope", sa.String(), nullable=True),
        sa.Column("tlp", sa.String(), nullable=True),
        sa.Column("external_coordination", sa.String(), nullable=True),
        sa.Column("coordination_detail", sa.String(), nullable=True),
        sa.Column("decided_secret", sa.String(), nullable=True),
        sa.Column("decided_scope", sa.String(), nullable=True),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "outboxreply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("mailbox", sa.String(), nullable=False),
        sa.Column("template", sa.String(), nullable=False),
        sa.Column("to_addr", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("in_reply_to", sa.String(), nullable=False),
        sa.Column("references", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("server_reply", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outboxreply", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outboxreply_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outboxreply_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outboxreply_message_id"), ["message_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outboxreply_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_outboxreply_to_addr"), ["to_addr"], unique=False)

    op.create_table(
        "registeredperson",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("system_registration", sa.String(), nullable=True),
        sa.Column("poc", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("registeredperson", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registeredperson_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_registeredperson_name_key"), ["name_key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_registeredperson_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "applicationform",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("submitted_on", sa.String(), nullable=True),
        sa.Column("application_kind", sa.String(), nullable=True),
        sa.Column("org_name", sa.String(), nullable=True),
        sa.Column("org_name_kana", sa.String(), nullable=True),
        sa.Column("corporate_number", sa.String(), nullable=True),
        sa.Column("department", sa.String(), nullable=True),
        sa.Column("address", sa.String(), nullable=True),
        sa.Column("representative", sa.String(), nullable=True),
        sa.Column("category", sa.String(), nullable=True),
        sa.Column("sector", sa.String(), nullable=True),
        sa.Column("participation", sa.String(), nullable=True),
        sa.Column("receive_secrets", sa.String(), nullable=True),
        sa.Column("early_warning_service", sa.String(), nullable=True),
        sa.Column("roster_publication", sa.String(), nullable=True),
        sa.Column("poc_name", sa.String(), nullable=True),
        sa.Column("poc_name_kana", sa.String(), nullable=True),
        sa.Column("poc_title", sa.String(), nullable=True),
        sa.Column("poc_phone", sa.String(), nullable=True),
        sa.Column("poc_email", sa.String(), nullable=True),
        sa.Column("detail_json", sa.Text(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachment.id"],
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("applicationform", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applicationform_attachment_id"), ["attachment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_applicationform_case_id"), ["case_id"], unique=False)

    op.create_table(
        "staffentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("org_name", sa.String(), nullable=True),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("name_kana", sa.String(), nullable=True),
        sa.Column("department", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("mobile", sa.String(), nullable=True),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("application_type", sa.String(), nullable=True),
        sa.Column("system_registration", sa.String(), nullable=True),
        sa.Column("poc", sa.String(), nullable=True),
        sa.Column("detail_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachment.id"],
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("staffentry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staffentry_attachment_id"), ["attachment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_staffentry_case_id"), ["case_id"], unique=False)

    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("password_in_text", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:

    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("password_in_text")

    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_column("acknowledged_at")

    with op.batch_alter_table("staffentry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staffentry_case_id"))
        batch_op.drop_index(batch_op.f("ix_staffentry_attachment_id"))

    op.drop_table("staffentry")
    with op.batch_alter_table("applicationform", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applicationform_case_id"))
        batch_op.drop_index(batch_op.f("ix_applicationform_attachment_id"))

    op.drop_table("applicationform")
    with op.batch_alter_table("registeredperson", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registeredperson_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_registeredperson_name_key"))
        batch_op.drop_index(batch_op.f("ix_registeredperson_email"))

    op.drop_table("registeredperson")
    with op.batch_alter_table("outboxreply", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outboxreply_to_addr"))
        batch_op.drop_index(batch_op.f("ix_outboxreply_state"))
        batch_op.drop_index(batch_op.f("ix_outboxreply_message_id"))
        batch_op.drop_index(batch_op.f("ix_outboxreply_created_at"))
        batch_op.drop_index(batch_op.f("ix_outboxreply_case_id"))

    op.drop_table("outboxreply")
    op.drop_table("incidentrecord")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_name_key"))
        batch_op.drop_index(batch_op.f("ix_organisation_corporate_number"))

    op.drop_table("organisation")
    with op.batch_alter_table("expectedpassword", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expectedpassword_sender"))
        batch_op.drop_index(batch_op.f("ix_expectedpassword_org_key"))

    op.drop_table("expectedpassword")
