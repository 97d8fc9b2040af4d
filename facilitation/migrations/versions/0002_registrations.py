"""registrations: kept-aside rows, organisation review queue, registration sources, sheet sync state

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "org_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("text_key", sa.String(length=300), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("suggestion_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("seen", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("resolved_org_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"],
                                name=op.f("fk_org_reviews_meeting_id_meetings"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["resolved_org_id"], ["organisations.id"],
                                name=op.f("fk_org_reviews_resolved_org_id_organisations"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["suggestion_id"], ["organisations.id"],
                                name=op.f("fk_org_reviews_suggestion_id_organisations"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_reviews")),
        sa.UniqueConstraint("text_key", name=op.f("uq_org_reviews_text_key")),
    )
    with op.batch_alter_table("org_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_org_reviews_status"), ["status"], unique=False)

    op.create_table(
        "sheet_syncs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("sheet_url", sa.String(length=500), nullable=False),
        sa.Column("tab", sa.String(length=100), nullable=False),
        sa.Column("survey_tab", sa.String(length=100), nullable=False),
        sa.Column("last_synced_at", sa.DateTime(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_result", sa.JSON(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"],
                                name=op.f("fk_sheet_syncs_meeting_id_meetings"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sheet_syncs")),
        sa.UniqueConstraint("meeting_id", name=op.f("uq_sheet_syncs_meeting_id")),
    )

    op.create_table(
        "kept_aside_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_ref", sa.String(length=300), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("column", sa.String(length=200), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("resolution", sa.String(length=20), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"],
                                name=op.f("fk_kept_aside_rows_meeting_id_meetings"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["registration_id"], ["registrations.id"],
                                name=op.f("fk_kept_aside_rows_registration_id_registrations"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kept_aside_rows")),
        sa.UniqueConstraint("meeting_id", "row_hash", name=op.f("uq_kept_aside_rows_meeting_id")),
    )
    with op.batch_alter_table("kept_aside_rows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kept_aside_rows_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "registration_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["registration_id"], ["registrations.id"],
                                name=op.f("fk_registration_sources_registration_id_registrations"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_sources")),
        sa.UniqueConstraint("registration_id", name=op.f("uq_registration_sources_registration_id")),
    )


def downgrade() -> None:
    op.drop_table("registration_sources")
    with op.batch_alter_table("kept_aside_rows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kept_aside_rows_meeting_id"))
    op.drop_table("kept_aside_rows")
    op.drop_table("sheet_syncs")
    with op.batch_alter_table("org_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_reviews_status"))
    op.drop_table("org_reviews")
