"""mail: the send log of room e-mails

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("room_name", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("sent_by", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"],
                                name=op.f("fk_mail_sends_meeting_id_meetings"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["registration_id"], ["registrations.id"],
                                name=op.f("fk_mail_sends_registration_id_registrations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["version_id"], ["assignment_versions.id"],
                                name=op.f("fk_mail_sends_version_id_assignment_versions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_sends")),
        sa.UniqueConstraint("version_id", "registration_id", "kind", name=op.f("uq_mail_sends_version_id")),
    )
    with op.batch_alter_table("mail_sends", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_sends_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_sends_registration_id"), ["registration_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_sends_version_id"), ["version_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mail_sends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_sends_version_id"))
        batch_op.drop_index(batch_op.f("ix_mail_sends_registration_id"))
        batch_op.drop_index(batch_op.f("ix_mail_sends_meeting_id"))
    op.drop_table("mail_sends")
