"""Backup and restore: identical data after a round trip on SQLite and PostgreSQL, old archives migrate."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import MetaData, create_engine, text

from facilitation.demo import dataset
from facilitation.meetings import schedule
from facilitation.storage import backup, db
from facilitation.storage.models import Meeting, Person


def _without_restore_entries(data: dict) -> dict:
    """The restore itself is a change and gets its own audit entry: leave that out of comparisons."""
    out = dict(data)
    out["audit_log"] = [e for e in data.get("audit_log", []) if e["action"] != "restore"]
    return out


def _fill(url: str) -> None:
    with db.session(url, actor="demo") as s:
        dataset.generate(s)


def test_round_trip_gives_identical_data(db_url, tmp_path):
    _fill(db_url)
    with db.session(db_url, actor="office@example.org") as s:  # values that like to drift
        p = s.get(Person, 1)
        p.name, p.years_experience = "𠮷野 👩‍💼 花子\u3099", 2.75
    original = backup.dump(db.get_engine(db_url))
    archive = backup.backup_bytes(db_url)
    # Into the same database after damage: everything comes back.
    with db.session(db_url, actor="oops") as s:
        for m in s.query(Meeting).all():
            s.delete(m)
    result = backup.restore_bytes(archive, db_url, actor="office@example.org")
    assert result.migrated_from is None and sum(result.rows.values()) > 1000
    assert _without_restore_entries(backup.dump(db.get_engine(db_url))) == original
    # New rows get fresh ids after a restore (PostgreSQL sequences were moved on).
    with db.session(db_url, actor="t") as s:
        p = Person(name="新しい 人")
        s.add(p)
        s.flush()
        assert p.id > max(r["id"] for r in original["people"])


def test_cross_database_restore(db_url, sqlite_url):
    """An archive from SQLite restores into PostgreSQL (and SQLite into SQLite) unchanged."""
    _fill(sqlite_url)
    original = backup.dump(db.get_engine(sqlite_url))
    backup.restore_bytes(backup.backup_bytes(sqlite_url), db_url)
    assert _without_restore_entries(backup.dump(db.get_engine(db_url))) == original
    with db.session(db_url) as s:
        m = s.query(Meeting).order_by(Meeting.starts_at).first()
        assert schedule.meeting_counts(s, m.id).people > 0


def test_cli_backup_and_restore(sqlite_url, tmp_path, capsys):
    from facilitation.cli import main

    _fill(sqlite_url)
    original = backup.dump(db.get_engine(sqlite_url))
    out = tmp_path / "b.zip"
    assert main(["--db", sqlite_url, "backup", "-o", str(out)]) == 0
    assert "バックアップを作成しました" in capsys.readouterr().out
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    assert main(["--db", other, "restore", str(out), "--yes"]) == 0
    assert "復元しました" in capsys.readouterr().out
    assert _without_restore_entries(backup.dump(db.get_engine(other))) == original
    assert main(["--db", other, "restore", str(tmp_path / "missing.zip"), "--yes"]) == 2


def _old_archive(tmp_path) -> bytes:
    """A database at revision 0001 (the first release) with data, archived by that schema."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    command.upgrade(db.alembic_config(engine), "0001")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO organisations (id, name, legal_body, office, kind, gov_mode, region, municipality,"
            " programs, facilitator_body, is_target, name_key, created_at) VALUES (1, '江別市社会福祉協議会',"
            " '', '', '社会福祉協議会', '', '石狩', '江別市', '[\"自立相談支援事業\"]', 1, 1, 'えべつ',"
            " '2021-04-01 00:00:00')"))
        conn.execute(text(
            "INSERT INTO meetings (id, title, kind, starts_at, format, venue, fiscal_year, program, status,"
            " registration_url, sheet_url, settings, created_at) VALUES (1, '第1回 情報交換会', '情報交換会',"
            " '2021-06-04 14:00:00', 'オンライン', '', 2021, '[]', '開催済', '', '', '{}', '2021-05-01 00:00:00')"))
        conn.execute(text(
            "INSERT INTO people (id, name, furigana, email, organisation_id, role_title, name_key, created_at)"
            " VALUES (1, '旧版 太郎', 'きゅうばん たろう', 'taro@example.org', 1, '相談支援員', 'きゅうばんたろう',"
            " '2021-05-01 00:00:00')"))
        conn.execute(text(
            "INSERT INTO registrations (id, meeting_id, person_id, choice1, choice2, choice3, attendance_mode,"
            " role, status, willing_facilitator, programs, org_text, department, note, source, source_ref,"
            " extra, created_at, updated_at) VALUES (1, 1, 1, '', '', '', 'オンライン', '参加者', '参加', 0, '[]',"
            " '江別市社協', '', '', 'manual', '', '{}', '2021-05-01 00:00:00', '2021-05-01 00:00:00')"))
    old = MetaData()
    old.reflect(engine)
    data = backup.archive_bytes(engine, old)
    engine.dispose()
    return data


def test_an_archive_from_revision_0001_restores_into_the_newest_schema(db_url, tmp_path):
    archive = _old_archive(tmp_path)
    assert backup.read_manifest(archive).revisions == ["0001"]
    _fill(db_url)  # the target has other data: it is replaced
    result = backup.restore_bytes(archive, db_url, actor="office@example.org")
    assert result.migrated_from == ["0001"] and "変換しました" in result.message
    with db.session(db_url) as s:
        assert [m.title for m in schedule.list_meetings(s)] == ["第1回 情報交換会"]
        p = s.get(Person, 1)
        assert (p.name, p.email, p.deleted_at) == ("旧版 太郎", "taro@example.org", None)
        counts = schedule.meeting_counts(s, 1)
        assert (counts.people, counts.organisations) == (1, 1)
    # The restored database is at the newest schema and works like any other.
    with db.session(db_url, actor="t") as s:
        s.add(Meeting(title="第2回", starts_at=p.created_at, fiscal_year=2021))


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _tamper(archive: bytes, name: str, data: bytes | None) -> bytes:
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    if data is None:
        files.pop(name)
    else:
        files[name] = data
    return _zip(files)


def test_broken_archives_are_refused_in_japanese_and_change_nothing(sqlite_url):
    _fill(sqlite_url)
    good = backup.backup_bytes(sqlite_url)
    before = backup.dump(db.get_engine(sqlite_url))
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(good)).read("manifest.json"))
    newer = dict(manifest, revisions=["9999"])
    extra_col = json.loads(zipfile.ZipFile(io.BytesIO(good)).read("tables/meetings.json"))
    extra_col[0]["secret_column"] = 1
    payload = json.dumps(extra_col).encode()
    import hashlib

    manifest_extra = dict(manifest)
    manifest_extra["tables"] = dict(manifest["tables"], meetings={"rows": len(extra_col),
                                                                  "sha256": hashlib.sha256(payload).hexdigest()})
    cases = {
        "not a zip": (b"hello", "zip 形式ではありません"),
        "empty": (b"", "zip 形式ではありません"),
        "no manifest": (_tamper(good, "manifest.json", None), "目録"),
        "bad manifest": (_tamper(good, "manifest.json", b"{not json"), "目録"),
        "missing table": (_tamper(good, "tables/people.json", None), "欠けています"),
        "tampered rows": (_tamper(good, "tables/people.json", b"[]"), "チェックサム"),
        "newer tool": (_tamper(good, "manifest.json", json.dumps(newer).encode()), "新しい版"),
        "unknown column": (_tamper(_tamper(good, "tables/meetings.json", payload), "manifest.json",
                                   json.dumps(manifest_extra).encode()), "ない列"),
    }
    for label, (data, words) in cases.items():
        with pytest.raises(backup.BackupError) as err:
            backup.restore_bytes(data, sqlite_url)
        assert words in str(err.value), label
    assert backup.dump(db.get_engine(sqlite_url)) == before  # a refused restore deletes nothing


HOSTILE = Path(__file__).parent / "data" / "hostile"


@pytest.mark.parametrize("name", ["backup_null_in_required.zip", "backup_duplicate_primary_keys.zip",
                                  "backup_nul_in_text.zip", "backup_wrong_types.zip", "backup_bad_isoformat.zip",
                                  "backup_missing_one_table.zip", "backup_all_tables_zero_rows.zip",
                                  "backup_unsupported_compression.zip"])
def test_hostile_archives_change_nothing_on_either_database(db_url, name):
    """What only the database checks (a required value missing) is rolled back on PostgreSQL too."""
    with db.session(db_url, actor="t") as s:
        schedule.add_meeting(s, schedule.MeetingInput(title="残る会", starts_at=dt.datetime(2026, 1, 9, 14)))
    before = backup.dump(db.get_engine(db_url))
    with pytest.raises(backup.BackupError) as err:
        backup.restore_bytes((HOSTILE / name).read_bytes(), db_url)
    assert "今のデータはそのまま" in str(err.value) or "対応していない" in str(err.value)
    assert backup.dump(db.get_engine(db_url)) == before


def test_an_empty_archive_restores_only_when_asked(sqlite_url, tmp_path):
    empty = backup.backup_bytes(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with db.session(sqlite_url, actor="t") as s:
        schedule.add_meeting(s, schedule.MeetingInput(title="残る会", starts_at=dt.datetime(2026, 1, 9, 14)))
    with pytest.raises(backup.BackupError, match="1行もデータがありません"):
        backup.restore_bytes(empty, sqlite_url)
    result = backup.restore_bytes(empty, sqlite_url, allow_empty=True)
    assert sum(result.rows.values()) == 0
    # Into an empty database an empty archive is no loss: no question asked.
    backup.restore_bytes(empty, f"sqlite:///{tmp_path / 'other.sqlite3'}")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_cli_restore_without_yes_and_without_a_terminal_says_so(sqlite_url, tmp_path, capsys, monkeypatch):
    from facilitation.cli import main

    _fill(sqlite_url)
    archive = tmp_path / "b.zip"
    archive.write_bytes(backup.backup_bytes(sqlite_url))
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    with db.session(other, actor="t") as s:
        schedule.add_meeting(s, schedule.MeetingInput(title="残る会", starts_at=dt.datetime(2026, 1, 9, 14)))
    before = backup.dump(db.get_engine(other))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # CI, cron, a pipe: no terminal
    assert main(["--db", other, "restore", str(archive)]) == 2
    err = capsys.readouterr().err
    assert "確認の入力ができない" in err and "--yes" in err and "Traceback" not in err
    monkeypatch.setattr("sys.stdin", _Terminal(""))  # a terminal closed with Ctrl-D: EOF at the prompt
    assert main(["--db", other, "restore", str(archive)]) == 1
    assert "中止しました" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", _Terminal("y\n"))
    assert main(["--db", other, "restore", str(archive)]) == 0
    assert backup.dump(db.get_engine(other)) != before
    assert main(["--db", other, "restore", str(HOSTILE / "backup_missing_one_table.zip"), "--yes"]) == 2
    assert "あるはずの表がありません" in capsys.readouterr().err
