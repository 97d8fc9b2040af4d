"""access: sign-in accounts and facilitator links

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_access_accounts_email")),
    )
    op.create_table(
        "facilitator_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jti", sa.String(length=32), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("issued_by", sa.String(length=254), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"],
                                name=op.f("fk_facilitator_links_meeting_id_meetings"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"],
                                name=op.f("fk_facilitator_links_room_id_rooms"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facilitator_links")),
        sa.UniqueConstraint("jti", name=op.f("uq_facilitator_links_jti")),
    )
    with op.batch_alter_table("facilitator_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_facilitator_links_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_facilitator_links_room_id"), ["room_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("facilitator_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facilitator_links_room_id"))
        batch_op.drop_index(batch_op.f("ix_facilitator_links_meeting_id"))
    op.drop_table("facilitator_links")
    op.drop_table("access_accounts")
