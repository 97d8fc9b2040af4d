"""The search index: one row per searchable passage, with its tokens and where it came from.

The tokens (`terms`, space-separated, see search.terms) are what both engines match: SQLite through
the FTS5 table `search_fts` (external content, kept in sync by triggers), PostgreSQL through a GIN
index on the generated column terms_tsv = to_tsvector('simple', terms). Both are created by migration 0010, not by this metadata.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from facilitation.storage.models import Base

FTS_TABLE = "search_fts"  # SQLite only; with its shadow tables search_fts_data, _idx, _docsize, _config
GIN_INDEX = "search_passages_terms_gin"  # PostgreSQL only, on the generated column below
TSV_COLUMN = "terms_tsv"  # PostgreSQL only: to_tsvector('simple', terms), generated and stored


def engine_owned(name: str | None) -> bool:
    """The engine-specific parts of the index, made by the migration, not by the models (alembic's
    comparison leaves them out; backups never read them: the engine makes them again)."""
    name = name or ""
    return name in (FTS_TABLE, GIN_INDEX, TSV_COLUMN) or name.startswith(FTS_TABLE + "_")


class SearchPassage(Base):
    __tablename__ = "search_passages"
    __table_args__ = {"info": {"derived": True}}  # storage.backup.derived: left out of backups, rebuilt
    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(120), unique=True)  # note:12:issues, chat:345 …
    parent: Mapped[str] = mapped_column(String(60), index=True)  # note:12, report:3, survey:7, chat:345
    source: Mapped[str] = mapped_column(String(10), index=True)  # note / report / survey / chat
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    room_id: Mapped[int | None] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(String(300), default="")  # 現状の課題… / the survey question
    theme: Mapped[str] = mapped_column(String(300), default="")  # the room's theme
    place: Mapped[str] = mapped_column(String(300), default="")  # meeting title, room, survey title
    regions: Mapped[str] = mapped_column(String(600), default="")  # |空知総合振興局|石狩振興局|
    municipalities: Mapped[str] = mapped_column(Text, default="")  # |札幌市|江別市|
    org_kinds: Mapped[str] = mapped_column(String(200), default="")  # |自治体|NPO等|
    fiscal_year: Mapped[int | None] = mapped_column(Integer, index=True)
    at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)  # Japan local time
    passage: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[str] = mapped_column(Text, default="")


# --- connecting the writers of the areas below to the index (see search.index) --------------------

def _index():
    from facilitation.search import index

    return index


def _when_built(refresh):
    """`refresh` runs only in a database whose index was built: before that there is nothing to keep
    current (the first search builds it from what is stored), so no write pays for tokenising."""
    def run(session, **details) -> None:
        index = _index()
        if index.is_built(session):
            refresh(index, session, **details)
    return run


def _erase(session, subject):
    index = _index()
    return index.erase(session, subject) if index.is_built(session) else []


def _connect() -> None:
    from facilitation.access import privacy
    from facilitation.storage import hooks

    hooks.on(hooks.TEXT_SAVED, _when_built(lambda ix, s, table, key: ix.refresh_saved(s, table, key)))
    hooks.on(hooks.SURVEY_CHANGED, _when_built(lambda ix, s, survey_id: ix.refresh_survey(s, survey_id)))
    hooks.on(hooks.CHAT_IMPORTED, _when_built(lambda ix, s, import_id: ix.refresh_chat_import(s, import_id)))
    hooks.on(hooks.CHAT_REDACTED, _when_built(lambda ix, s, message_ids: ix.refresh_chat(s, message_ids, purge=True)))
    hooks.on(hooks.RESTORED, lambda s: _index().forget(s))
    privacy.eraser("95_search")(_erase)


_connect()
