"""Storing exports: merge of overlapping exports without duplicates, redaction, roles."""

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from facilitation import cli
from facilitation.errors import AccessDenied
from facilitation.openchat import store
from facilitation.openchat.models import ChatEvent, ChatImport, ChatMember, ChatMessage
from facilitation.roles import COMMITTEE, SECRETARIAT_LOCAL, Viewer
from facilitation.storage import db

DATA = Path(__file__).parent / "data" / "openchat"
SEC = SECRETARIAT_LOCAL


def load(url: str, name: str) -> store.ImportResult:
    with db.session(url) as s:
        return store.import_bytes(s, SEC, (DATA / name).read_bytes(), file_name=name)


def stored(url: str) -> list[tuple]:
    with db.session(url) as s:
        return [tuple(r) for r in s.execute(
            select(ChatMessage.at, ChatMessage.sender, ChatMessage.kind, ChatMessage.text)
            .order_by(ChatMessage.at, ChatMessage.id))]


def test_import_stores_posts_events_members_and_the_import_record(db_url):
    result = load(db_url, "ja_ios.txt")
    assert (result.messages_added, result.events_added, result.new_members) == (7, 5, 4)
    with db.session(db_url) as s:
        rec = s.get(ChatImport, result.import_id)
        assert (rec.file_name, rec.messages_found, rec.messages_added, rec.unparsed_count) == ("ja_ios.txt", 7, 7, 0)
        assert len(rec.file_hash) == 64
        assert s.scalar(select(func.count()).select_from(ChatEvent).where(ChatEvent.kind == "join")) == 2
        names = set(s.scalars(select(ChatMember.nickname)))
        assert names == {"りんく&佐藤", "ステップ&田中", "江別市社協&高橋", "JOIN&鈴木"}
        q = s.scalars(select(ChatMessage.text).where(ChatMessage.is_question)).all()
        assert q == ["ひきこもりの方の家族支援、皆さんどうしていますか？"]


def test_reimporting_the_same_file_adds_nothing(db_url):
    load(db_url, "ja_ios.txt")
    again = load(db_url, "ja_ios.txt")
    assert again.already_imported
    assert (again.messages_added, again.duplicates, again.events_added) == (0, 7, 0)
    assert len(stored(db_url)) == 7


def test_overlapping_exports_from_different_apps_merge_without_duplicates(db_url):
    a = load(db_url, "overlap_a.txt")
    b = load(db_url, "overlap_b.txt")  # English app, CRLF, AM/PM, [Sticker] for [スタンプ]
    assert (a.messages_added, b.messages_found, b.messages_added) == (7, 5, 2)
    rows = stored(db_url)
    assert len(rows) == 9
    # Two identical stamps in the same minute, and the same lunch message twice, both survive.
    assert sum(1 for r in rows if r[1] == "ステップ&田中" and r[2] == "media" and r[0].day == 14) == 2
    assert sum(1 for r in rows if r[3] == "お昼です") == 2
    assert [r[3] for r in rows if r[0].day == 17] == ["複数行の\nお知らせです"]


def test_merge_does_not_depend_on_the_order_of_imports(sqlite_url, tmp_path):
    load(sqlite_url, "overlap_b.txt")
    load(sqlite_url, "overlap_a.txt")
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    load(other, "overlap_a.txt")
    load(other, "overlap_b.txt")
    key = lambda rows: sorted((r[0], r[1], r[2]) for r in rows)  # noqa: E731
    assert key(stored(sqlite_url)) == key(stored(other))
    assert len(stored(sqlite_url)) == 9


def test_redaction_removes_the_text_from_the_sqlite_file_for_good(sqlite_url):
    secret = "ひきこもりの方の家族支援、皆さんどうしていますか？"
    load(sqlite_url, "ja_ios.txt")
    with db.session(sqlite_url) as s:
        mid = s.scalar(select(ChatMessage.id).where(ChatMessage.text == secret))
        assert store.redact(s, SEC, mid)
    with db.session(sqlite_url) as s:
        store.scrub_storage(s, SEC)
    path = sqlite_url.removeprefix("sqlite:///")
    # Read the files while the app still holds the database open (write-ahead log included).
    raw = b"".join(p.read_bytes() for p in Path(path).parent.glob(Path(path).name + "*"))
    assert secret.encode("utf-8") not in raw
    assert "家族会と一緒に".encode() in raw  # the other texts are still there
    db.dispose_all()
    with sqlite3.connect(path) as conn:  # the raw table, not the ORM
        row = conn.execute("SELECT text, redacted, is_question, length, sender FROM openchat_messages WHERE id = ?",
                           (mid,)).fetchone()
        total = conn.execute("SELECT count(*) FROM openchat_messages").fetchone()[0]
    assert row == (None, 1, 1, len(secret), "江別市社協&高橋")
    assert total == 7  # the row stays, so counts survive


def test_redaction_is_not_undone_by_reimporting(db_url):
    load(db_url, "ja_ios.txt")
    with db.session(db_url) as s:
        mid = s.scalar(select(ChatMessage.id).where(ChatMessage.text.like("はじめまして！%")))
        assert store.redact(s, SEC, mid)
        assert not store.redact(s, SEC, mid)  # a second click changes nothing
    with db.session(db_url) as s:
        store.scrub_storage(s, SEC)
    again = load(db_url, "ja_ios.txt")
    assert again.messages_added == 0
    with db.session(db_url) as s:
        raw = s.execute(text("SELECT text, redacted FROM openchat_messages WHERE id = :i"), {"i": mid}).one()
        assert raw[0] is None and bool(raw[1]) is True
        assert s.scalar(text("SELECT count(*) FROM audit_log WHERE action = 'redact'")) == 1
        audit = s.execute(text("SELECT before, after FROM audit_log WHERE action = 'redact'")).one()
        assert "はじめまして" not in str(audit)


def test_only_the_secretariat_imports_and_redacts(sqlite_url):
    committee = Viewer(role=COMMITTEE)
    with db.session(sqlite_url) as s:
        with pytest.raises(AccessDenied):
            store.import_bytes(s, committee, (DATA / "ja_ios.txt").read_bytes())
    load(sqlite_url, "ja_ios.txt")
    with db.session(sqlite_url) as s:
        mid = s.scalar(select(ChatMessage.id).limit(1))
        with pytest.raises(AccessDenied):
            store.redact(s, committee, mid)


def test_unreadable_lines_are_kept_with_the_import(sqlite_url):
    result = load(sqlite_url, "broken.txt")
    assert result.unparsed_count == 5
    assert [u["line"] for u in result.unparsed] == [3, 4, 8, 9, 11]
    with db.session(sqlite_url) as s:
        rec = store.list_imports(s)[0]
        assert rec.unparsed_count == 5 and rec.unparsed_lines[3]["text"].startswith("25:70")


def test_cli_import_twice(sqlite_url, capsys):
    path = str(DATA / "overlap_a.txt")
    assert cli.main(["--db", sqlite_url, "openchat", "import", path, "--json"]) == 0
    assert '"messages_added": 7' in capsys.readouterr().out
    assert cli.main(["--db", sqlite_url, "openchat", "import", str(DATA / "overlap_b.txt")]) == 0
    assert "新しい投稿 2 件（重複 3 件は除外）" in capsys.readouterr().out


def test_the_format_and_the_lines_read_with_a_doubt_are_kept_with_the_import(sqlite_url):
    result = load(sqlite_url, "weekday_mismatch.txt")
    assert result.format == "LINE（スマートフォン・日本語）"
    assert [w["line"] for w in result.warnings] == [9, 14]
    assert "曜日が合いません" in result.warnings[0]["reason"] and result.unparsed == []
    with db.session(sqlite_url) as s:
        fmt, unparsed, warnings = store.import_notes(store.list_imports(s)[0])
    assert (fmt, unparsed, [w["line"] for w in warnings]) == ("LINE（スマートフォン・日本語）", [], [9, 14])
    broken = load(sqlite_url, "broken.txt")  # unreadable lines stay apart from the warnings
    assert [u["line"] for u in broken.unparsed] == [3, 4, 8, 9, 11] and broken.warnings == []


@pytest.mark.parametrize("other", [Viewer(role=COMMITTEE, email="iinkai@example.org"),
                                   Viewer(role="ファシリテーター", email="link:abc", meeting_id=1, room_id=1)],
                         ids=["committee", "facilitator"])
def test_only_the_secretariat_scrubs_the_storage(db_url, other):
    with db.session(db_url) as s, pytest.raises(AccessDenied, match="事務局のみ"):
        store.scrub_storage(s, other)
