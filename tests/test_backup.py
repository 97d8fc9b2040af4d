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

KEY = b"tests-installation-secret-0123456789abcdef"  # this installation's secret (link_secret)


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
    archive = backup.backup_bytes(db_url, KEY)
    # Into the same database after damage: everything comes back.
    with db.session(db_url, actor="oops") as s:
        for m in s.query(Meeting).all():
            s.delete(m)
    result = backup.restore_bytes(archive, db_url, actor="office@example.org", secret=KEY)
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
    archive = backup.backup_bytes(sqlite_url, KEY)
    backup.restore_bytes(archive, db_url, secret=KEY, accepted=backup.inspect_archive(archive, db_url, KEY))
    assert _without_restore_entries(backup.dump(db.get_engine(db_url))) == original
    with db.session(db_url) as s:
        m = s.query(Meeting).order_by(Meeting.starts_at).first()
        assert schedule.meeting_counts(s, m.id).people > 0


def test_cli_backup_and_restore(sqlite_url, tmp_path, capsys, monkeypatch):
    from facilitation.access import gate
    from facilitation.cli import main

    monkeypatch.setenv(gate.SECRET_ENV, KEY.decode())

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
    result = backup.restore_bytes(archive, db_url, actor="office@example.org",
                                  accepted=backup.inspect_archive(archive, db_url))  # made before signing existed
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
    good = backup.backup_bytes(sqlite_url, KEY)
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
            backup.restore_bytes(data, sqlite_url, accepted=backup.inspect_archive(data, sqlite_url))
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
    data = (HOSTILE / name).read_bytes()
    with pytest.raises(backup.BackupError) as err:  # accepted although unsigned: the contents are refused
        backup.restore_bytes(data, db_url, accepted=backup.inspect_archive(data, db_url))
    assert "今のデータはそのまま" in str(err.value) or "対応していない" in str(err.value)
    assert backup.dump(db.get_engine(db_url)) == before


def test_an_empty_archive_restores_only_when_asked(sqlite_url, tmp_path):
    empty = backup.backup_bytes(f"sqlite:///{tmp_path / 'empty.sqlite3'}", KEY)
    with db.session(sqlite_url, actor="t") as s:
        schedule.add_meeting(s, schedule.MeetingInput(title="残る会", starts_at=dt.datetime(2026, 1, 9, 14)))
    with pytest.raises(backup.BackupError, match="1行もデータがありません"):
        backup.restore_bytes(empty, sqlite_url, secret=KEY)
    result = backup.restore_bytes(empty, sqlite_url, secret=KEY, allow_empty=True)
    assert sum(result.rows.values()) == 0
    # Into an empty database an empty archive is no loss: no question asked.
    backup.restore_bytes(empty, f"sqlite:///{tmp_path / 'other.sqlite3'}", secret=KEY)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_cli_restore_without_yes_and_without_a_terminal_says_so(sqlite_url, tmp_path, capsys, monkeypatch):
    from facilitation.access import gate
    from facilitation.cli import main

    monkeypatch.setenv(gate.SECRET_ENV, KEY.decode())

    _fill(sqlite_url)
    archive = tmp_path / "b.zip"
    archive.write_bytes(backup.backup_bytes(sqlite_url, KEY))
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
    hostile = str(HOSTILE / "backup_missing_one_table.zip")  # unsigned: --yes alone is not enough
    assert main(["--db", other, "restore", hostile, "--yes"]) == 2
    err = capsys.readouterr().err
    assert "署名がありません" in err and "--trust" in err
    assert main(["--db", other, "restore", hostile, "--yes", "--trust"]) == 2
    assert "あるはずの表がありません" in capsys.readouterr().err


# --- Trust: signatures, roles, duplicates, bombs ----------------------------------------------

OTHER_KEY = b"another-installation-secret-0123456789ab"


def _members(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _forge(archive: bytes, table: str, rows: list[dict], keep_signature: bool = False) -> bytes:
    """What an attacker can do without the key: change a table and recompute its SHA-256 in the
    manifest (plain SHA-256 anybody can compute); the signature is dropped or left stale."""
    import hashlib

    files = _members(archive)
    if not keep_signature:
        files.pop(backup.SIGNATURE, None)
    payload = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()
    manifest = json.loads(files["manifest.json"])
    manifest["tables"][table] = {"rows": len(rows), "sha256": hashlib.sha256(payload).hexdigest()}
    files[f"tables/{table}.json"] = payload
    files["manifest.json"] = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
    return _zip(files)


def _accounts(url: str) -> dict[str, str]:
    from facilitation.access.models import Account

    with db.session(url) as s:
        return {a.email: a.role for a in s.query(Account)}


def test_an_archive_from_elsewhere_or_unsigned_restores_only_when_confirmed(sqlite_url, tmp_path):
    _fill(sqlite_url)
    own = backup.backup_bytes(sqlite_url, KEY)
    assert backup.inspect_archive(own, sqlite_url, KEY).origin == backup.OWN
    assert backup.restore_bytes(own, sqlite_url, secret=KEY).inspection.origin == backup.OWN  # no question asked

    foreign = backup.backup_bytes(sqlite_url, OTHER_KEY)
    unsigned = backup.backup_bytes(sqlite_url)
    for archive, words in ((foreign, "別の環境"), (unsigned, "署名がありません")):
        before = backup.dump(db.get_engine(sqlite_url))
        with pytest.raises(backup.BackupError, match=words):
            backup.restore_bytes(archive, sqlite_url, secret=KEY)
        assert backup.dump(db.get_engine(sqlite_url)) == before
        seen = backup.inspect_archive(archive, sqlite_url, KEY)
        assert seen.needs_confirmation and words in seen.warnings()[0]
        backup.restore_bytes(archive, sqlite_url, secret=KEY, accepted=seen)  # seen and accepted: restored

    # Claims this installation's key but was changed afterwards: refused, whatever is accepted.
    files = _members(own)
    files["manifest.json"] = files["manifest.json"].replace(b'"created_at": "', b'"created_at": "1')
    tampered = _zip(files)
    with pytest.raises(backup.BackupError, match="書き換えられています"):
        backup.inspect_archive(tampered, sqlite_url, KEY)
    with pytest.raises(backup.BackupError, match="書き換えられています"):
        backup.restore_bytes(tampered, sqlite_url, secret=KEY, accepted=backup.inspect_archive(tampered, sqlite_url))


def test_a_restore_never_grants_a_role_without_showing_who_gains_what(sqlite_url):
    from facilitation.access import gate
    from facilitation.roles import SECRETARIAT_LOCAL

    with db.session(sqlite_url, actor="t") as s:
        gate.set_account(s, SECRETARIAT_LOCAL, "iin@example.org", "委員会")
    own = backup.backup_bytes(sqlite_url, KEY)
    rows = json.loads(_members(own)["tables/access_accounts.json"])
    template = rows[0]
    crafted = _forge(own, "access_accounts", [
        {**template, "role": "事務局"},  # the committee member becomes the secretariat
        {**template, "id": template["id"] + 1, "email": "attacker@example.net", "role": "事務局"}])
    with pytest.raises(backup.BackupError, match="書き換えられています"):  # with the stale signature
        backup.inspect_archive(_forge(own, "access_accounts", [{**template, "role": "事務局"}], keep_signature=True),
                               sqlite_url, KEY)
    found = backup.inspect_archive(crafted, sqlite_url, KEY)
    assert found.origin == backup.UNSIGNED
    assert [c.text for c in found.granted] == ["attacker@example.net が「事務局」になります（新しく追加）",
                                               "iin@example.org が「委員会」から「事務局」に変わります"]
    with pytest.raises(backup.BackupError) as err:
        backup.restore_bytes(crafted, sqlite_url, secret=KEY)
    assert "attacker@example.net が「事務局」になります" in str(err.value)
    assert _accounts(sqlite_url) == {"iin@example.org": "委員会"}
    # Accepting something else (here: what an own archive would do) is not accepting this.
    with pytest.raises(backup.BackupError):
        backup.restore_bytes(crafted, sqlite_url, secret=KEY, accepted=backup.inspect_archive(own, sqlite_url, KEY))
    backup.restore_bytes(crafted, sqlite_url, secret=KEY, accepted=found)
    assert _accounts(sqlite_url) == {"iin@example.org": "事務局", "attacker@example.net": "事務局"}

    # Even this installation's own archive: bringing back a removed account is shown first.
    with db.session(sqlite_url, actor="t") as s:
        gate.remove_account(s, SECRETARIAT_LOCAL, "attacker@example.net")
        gate.set_account(s, SECRETARIAT_LOCAL, "iin@example.org", "委員会")
    found = backup.inspect_archive(own, sqlite_url, KEY)
    assert found.origin == backup.OWN and found.role_changes == ()
    with db.session(sqlite_url, actor="t") as s:
        gate.remove_account(s, SECRETARIAT_LOCAL, "iin@example.org")
    found = backup.inspect_archive(own, sqlite_url, KEY)
    assert [c.text for c in found.role_changes] == ["iin@example.org が「委員会」になります（新しく追加）"]
    with pytest.raises(backup.BackupError, match="役割が変わります"):
        backup.restore_bytes(own, sqlite_url, secret=KEY)


def test_a_manifest_or_zip_naming_a_table_twice_is_refused(sqlite_url):
    _fill(sqlite_url)
    good = backup.backup_bytes(sqlite_url)
    before = backup.dump(db.get_engine(sqlite_url))
    files = _members(good)
    manifest = files["manifest.json"].decode()
    people = json.dumps({"people": json.loads(manifest)["tables"]["people"]})[1:-1]
    twice = manifest.replace('"tables": {', '"tables": {' + people + ", ", 1)
    assert twice.count('"people"') == 2
    forged = _forge(good, "people", [])  # an emptied people table…
    both = _members(forged)
    duplicate_member = io.BytesIO()
    with zipfile.ZipFile(duplicate_member, "w") as zf:  # …next to the real one, under the same name
        for name, data in both.items():
            zf.writestr(name, data)
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("tables/people.json", files["tables/people.json"])
    cases = {"manifest": (_tamper(good, "manifest.json", twice.encode()), "2回書かれています"),
             "zip member": (duplicate_member.getvalue(), "同じ名前のファイル")}
    for label, (data, words) in cases.items():
        with pytest.raises(backup.BackupError, match=words):
            backup.restore_bytes(data, sqlite_url, accepted=backup.inspect_archive(data, sqlite_url))
        assert backup.dump(db.get_engine(sqlite_url)) == before, label


BOMB_SCRIPT = """
import sys
from facilitation.storage import backup
data = open(sys.argv[1], "rb").read()
try:
    backup.restore_bytes(data, sys.argv[2], accepted=backup.inspect_archive(data, sys.argv[2]))
except backup.BackupError as exc:
    print(exc)
# This process's own peak (VmHWM starts again at exec; ru_maxrss would carry the pytest process's
# size through fork, so the check failed whenever an earlier test had loaded a large dictionary).
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print("peak_rss_mb", hwm // 1024)
"""


def _bomb(good: bytes, understate: bool) -> bytes:
    """The archive with an audit log of ~900 MB expanded (a few MB compressed): honest about its
    size, or with headers that claim 1 MB."""
    files = _members(good)
    row = json.loads(files["tables/audit_log.json"])[0]
    line = json.dumps(dict(row, after={"note": "あ" * 300}), ensure_ascii=False, separators=(",", ":")).encode()
    n = 900 * 1024**2 // (len(line) + 1)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            if name != "tables/audit_log.json":
                zf.writestr(name, data)
        with zf.open("tables/audit_log.json", "w", force_zip64=True) as out:
            out.write(b"[")
            block = b",".join([line] * 1000)
            for k in range(n // 1000):
                out.write((b"," if k else b"") + block)
            out.write(b"]")
        if understate:  # the central directory, which readers trust, will claim 1 MB
            zf.getinfo("tables/audit_log.json").file_size = 1024**2
    return buf.getvalue()


@pytest.mark.parametrize("understate", [False, True], ids=["declared", "understated"])
def test_a_compressed_900_mb_audit_log_is_refused_with_little_memory(sqlite_url, tmp_path, understate):
    import subprocess
    import sys

    _fill(sqlite_url)
    before = backup.dump(db.get_engine(sqlite_url))
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(_bomb(backup.backup_bytes(sqlite_url), understate))
    assert bomb.stat().st_size < 20 * 1024**2
    out = subprocess.run([sys.executable, "-c", BOMB_SCRIPT, str(bomb), sqlite_url], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], timeout=300)
    assert out.returncode == 0, out.stderr
    message, peak = out.stdout.strip().splitlines()
    if understate:
        assert "表「audit_log」が壊れています" in message
    else:
        assert "表「audit_log」が大きすぎます（展開後 900MB、上限 256MB）" in message
    assert int(peak.split()[1]) < 400  # MB: the archive itself and Python, never the expanded table
    print(message, peak)
    assert backup.dump(db.get_engine(sqlite_url)) == before


def test_the_command_line_signs_with_the_apps_key_from_secrets_toml(sqlite_url, tmp_path, monkeypatch, capsys):
    """The nightly `backup` runs outside Streamlit: it reads `[facilitation] link_secret` from
    .streamlit/secrets.toml like the app, so the app sees its archives as its own."""
    from facilitation.access import gate
    from facilitation.cli import main

    monkeypatch.delenv(gate.SECRET_ENV, raising=False)
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(f'[facilitation]\nlink_secret = "{KEY.decode()}"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Path, "home", lambda: tmp_path / "nohome")
    _fill(sqlite_url)
    out = tmp_path / "nightly.zip"
    assert main(["--db", sqlite_url, "backup", "-o", str(out)]) == 0
    assert backup.inspect_archive(out.read_bytes(), sqlite_url, KEY).origin == backup.OWN
    assert main(["--db", sqlite_url, "restore", str(out), "--yes"]) == 0  # its own: no --trust needed
    assert "復元しました" in capsys.readouterr().out
