"""open chat: talk-history imports, posts, system events, chat members

Revision ID: 0007
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('openchat_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=300), nullable=False),
    sa.Column('file_hash', sa.String(length=64), nullable=False),
    sa.Column('chat_name', sa.String(length=200), nullable=False),
    sa.Column('saved_at', sa.DateTime(), nullable=True),
    sa.Column('first_date', sa.Date(), nullable=True),
    sa.Column('last_date', sa.Date(), nullable=True),
    sa.Column('total_lines', sa.Integer(), nullable=False),
    sa.Column('messages_found', sa.Integer(), nullable=False),
    sa.Column('messages_added', sa.Integer(), nullable=False),
    sa.Column('events_found', sa.Integer(), nullable=False),
    sa.Column('events_added', sa.Integer(), nullable=False),
    sa.Column('unparsed_count', sa.Integer(), nullable=False),
    sa.Column('unparsed_lines', sa.JSON(), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('imported_by', sa.String(length=254), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_openchat_imports'))
    )
    with op.batch_alter_table('openchat_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_openchat_imports_file_hash'), ['file_hash'], unique=False)

    op.create_table('openchat_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('new_name', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['openchat_imports.id'], name=op.f('fk_openchat_events_import_id_openchat_imports'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_openchat_events')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_openchat_events_fingerprint'))
    )
    with op.batch_alter_table('openchat_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_openchat_events_at'), ['at'], unique=False)

    op.create_table('openchat_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nickname', sa.String(length=200), nullable=False),
    sa.Column('org_text', sa.String(length=200), nullable=False),
    sa.Column('surname', sa.String(length=100), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('suggestion_id', sa.Integer(), nullable=True),
    sa.Column('first_seen', sa.DateTime(), nullable=True),
    sa.Column('last_seen', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_openchat_members_organisation_id_organisations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_openchat_members_person_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['suggestion_id'], ['organisations.id'], name=op.f('fk_openchat_members_suggestion_id_organisations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_openchat_members')),
    sa.UniqueConstraint('nickname', name=op.f('uq_openchat_members_nickname'))
    )
    with op.batch_alter_table('openchat_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_openchat_members_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_openchat_members_person_id'), ['person_id'], unique=False)

    op.create_table('openchat_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('sender', sa.String(length=200), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('media', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('is_question', sa.Boolean(), nullable=False),
    sa.Column('redacted', sa.Boolean(), nullable=False),
    sa.Column('redacted_at', sa.DateTime(), nullable=True),
    sa.Column('redacted_by', sa.String(length=254), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['openchat_imports.id'], name=op.f('fk_openchat_messages_import_id_openchat_imports'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['openchat_members.id'], name=op.f('fk_openchat_messages_member_id_openchat_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_openchat_messages')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_openchat_messages_fingerprint'))
    )
    with op.batch_alter_table('openchat_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_openchat_messages_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_openchat_messages_member_id'), ['member_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('openchat_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_openchat_messages_member_id'))
        batch_op.drop_index(batch_op.f('ix_openchat_messages_at'))

    op.drop_table('openchat_messages')
    with op.batch_alter_table('openchat_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_openchat_members_person_id'))
        batch_op.drop_index(batch_op.f('ix_openchat_members_organisation_id'))

    op.drop_table('openchat_members')
    with op.batch_alter_table('openchat_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_openchat_events_at'))

    op.drop_table('openchat_events')
    with op.batch_alter_table('openchat_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_openchat_imports_file_hash'))

    op.drop_table('openchat_imports')
