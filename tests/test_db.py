"""Storage: migrations from empty and from the previous revision, on SQLite and PostgreSQL."""

import datetime as dt

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from facilitation.meetings import schedule
from facilitation.search.models import engine_owned
from facilitation.storage import db
from facilitation.storage.schema import metadata


def test_migrated_schema_matches_the_models(db_url):
    engine = db.get_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={
            "compare_type": False,  # the FTS5 tables SQLite keeps for the search index are the engine's
            "include_name": lambda name, type_, _p: not engine_owned(name)}), metadata)
    assert diff == []


INSERT_MEETING = text(
    "INSERT INTO meetings (title, kind, starts_at, format, venue, fiscal_year, program, status,"
    " registration_url, sheet_url, settings, created_at) VALUES ('旧版の会', '情報交換会',"
    " '2021-06-04 14:00:00', 'オンライン', '', 2021, '[]', '開催済', '', '', '{}', '2021-05-01')")


def test_history_is_one_line_of_revisions():
    script = ScriptDirectory.from_config(db.alembic_config(create_engine("sqlite://")))
    assert len(script.get_heads()) == 1
    assert script.get_bases() == ["0001"]


@pytest.mark.parametrize("start", ["first", "previous"])
def test_upgrade_keeps_data(tmp_path, start):
    """A database at the first revision, or at the one before the newest, upgrades without loss."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    cfg = db.alembic_config(engine)
    script = ScriptDirectory.from_config(cfg)
    head = script.get_current_head()
    revision = "0001" if start == "first" else script.get_revision(head).down_revision
    command.upgrade(cfg, revision)
    with engine.begin() as conn:
        conn.execute(INSERT_MEETING)
    engine.dispose()
    with db.session(url) as s:  # get_engine migrates to the newest revision
        titles = [m.title for m in schedule.list_meetings(s)]
    assert titles == ["旧版の会"]
    with db.get_engine(url).connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == (head,)


def test_meeting_round_trip(db_url):
    data = schedule.MeetingInput(title="第1回 情報交換会", starts_at=dt.datetime(2027, 3, 5, 14, 0),
                                 format="ハイブリッド", venue="札幌市内", capacity=100)
    with db.session(db_url) as s:
        created = schedule.add_meeting(s, data)
        mid = created.id
    with db.session(db_url) as s:
        m = schedule.get_meeting(s, mid)
        assert (m.title, m.format, m.capacity, m.fiscal_year, m.number) == ("第1回 情報交換会", "ハイブリッド", 100, 2026, 1)
        assert schedule.label(m) == "第1回 第1回 情報交換会（2027年3月5日（金））"
    tables = set(inspect(db.get_engine(db_url)).get_table_names())
    assert {"meetings", "organisations", "people", "registrations", "rooms", "assignments"} <= tables
