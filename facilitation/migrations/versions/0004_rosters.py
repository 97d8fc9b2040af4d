"""rosters: Zoom participant rows and the report's meeting-wide sections

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('zoom_participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('joined_at', sa.DateTime(), nullable=True),
    sa.Column('left_at', sa.DateTime(), nullable=True),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.Column('guest', sa.Boolean(), nullable=False),
    sa.Column('source_rows', sa.String(length=200), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('match', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('source_ref', sa.String(length=300), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_zoom_participants_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_zoom_participants_registration_id_registrations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zoom_participants'))
    )
    with op.batch_alter_table('zoom_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zoom_participants_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_zoom_participants_registration_id'), ['registration_id'], unique=False)

    op.create_table('report_sections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('overall', sa.Text(), nullable=False),
    sa.Column('next_meeting', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_report_sections_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_sections')),
    sa.UniqueConstraint('meeting_id', name=op.f('uq_report_sections_meeting_id'))
    )


def downgrade() -> None:
    op.drop_table('report_sections')
    with op.batch_alter_table('zoom_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zoom_participants_registration_id'))
        batch_op.drop_index(batch_op.f('ix_zoom_participants_meeting_id'))
    op.drop_table('zoom_participants')
