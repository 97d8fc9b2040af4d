"""search: the passages index, with SQLite FTS5, or on PostgreSQL a generated tsvector with a GIN index

Revision ID: 0010
Revises: 0009

New table only: an upgrade keeps every row. The index starts empty and is filled on first search
(or by `python -m facilitation search-index`).
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FTS_SQLITE = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(terms, content='search_passages', content_rowid='id',"
    " tokenize=\"unicode61 remove_diacritics 0\")",
    "CREATE TRIGGER search_passages_ai AFTER INSERT ON search_passages BEGIN"
    " INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END",
    "CREATE TRIGGER search_passages_ad AFTER DELETE ON search_passages BEGIN"
    " INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms); END",
    "CREATE TRIGGER search_passages_au AFTER UPDATE ON search_passages BEGIN"
    " INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms);"
    " INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END",
]


def upgrade() -> None:
    op.create_table(
        "search_passages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=120), nullable=False),
        sa.Column("parent", sa.String(length=60), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("section", sa.String(length=300), nullable=False),
        sa.Column("theme", sa.String(length=300), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("regions", sa.String(length=600), nullable=False),
        sa.Column("municipalities", sa.Text(), nullable=False),
        sa.Column("org_kinds", sa.String(length=200), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=True),
        sa.Column("passage", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"],
                                name=op.f("fk_search_passages_meeting_id_meetings"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_passages")),
        sa.UniqueConstraint("ref", name=op.f("uq_search_passages_ref")),
    )
    with op.batch_alter_table("search_passages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_search_passages_parent"), ["parent"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_passages_source"), ["source"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_passages_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_passages_fiscal_year"), ["fiscal_year"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_passages_at"), ["at"], unique=False)
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in FTS_SQLITE:
            op.execute(statement)
    elif dialect == "postgresql":
        # A stored tsvector: a phrase match rechecks positions row by row, and reading them beats
        # parsing `terms` again for every candidate row.
        op.execute("ALTER TABLE search_passages ADD COLUMN terms_tsv tsvector"
                   " GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED")
        op.execute("CREATE INDEX search_passages_terms_gin ON search_passages USING gin (terms_tsv)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("search_passages_au", "search_passages_ad", "search_passages_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS search_passages_terms_gin")
        op.execute("ALTER TABLE search_passages DROP COLUMN IF EXISTS terms_tsv")
    with op.batch_alter_table("search_passages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_passages_at"))
        batch_op.drop_index(batch_op.f("ix_search_passages_fiscal_year"))
        batch_op.drop_index(batch_op.f("ix_search_passages_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_search_passages_source"))
        batch_op.drop_index(batch_op.f("ix_search_passages_parent"))
    op.drop_table("search_passages")
