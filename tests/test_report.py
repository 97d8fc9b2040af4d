"""The meeting report: contents read back from the .docx, Markdown, printable HTML, and the command."""

from __future__ import annotations

import datetime as dt

import pytest
from docx import Document
from docx.oxml.ns import qn

from facilitation.errors import AccessDenied
from facilitation.meetings import schedule
from facilitation.roles import FACILITATOR, SECRETARIAT_LOCAL, Viewer
from facilitation.rosters import live, notes, report
from facilitation.storage import db
from tests.rosters_world import build, cli


@pytest.fixture
def held(sqlite_url):
    """The 2026-12-10 meeting after it was held: taps, notes, and the secretariat's closing sections."""
    with db.session(sqlite_url) as s:
        w = build(s)
        for label, mark in (("sato", "出席"), ("tanaka1", "遅刻"), ("takahashi", "出席"), ("suzuki", "欠席"),
                            ("tanaka2", "出席"), ("ito", "途中退室"), ("watanabe", "出席")):
            live.mark_attendance(s, SECRETARIAT_LOCAL, w.regs[label], mark)
        fac = Viewer(role=FACILITATOR, email="sato@example.org", meeting_id=w.meeting_id, room_id=w.rooms["R1"])
        notes.save_note(s, fac, w.rooms["R1"], {
            "issues": "・ひきこもりの方への最初の接点づくりが難しい。\n・家族からの相談で止まってしまう。",
            "efforts": "家族会と連携し、手紙でのやりとりから始めている。",
            "requests": "ひきこもり支援の研修を道内各地で開催してほしい。",
            "summary": "焦らず関係を作ることが大切。",
        })
        notes.save_note(s, SECRETARIAT_LOCAL, w.rooms["R2"], {
            "participants": "当別町社会福祉協議会・江別市", "issues": "<b>相談が少ない</b> & 町村部の課題"})
        report.save_sections(s, SECRETARIAT_LOCAL, w.meeting_id, overall="各ルームの意見を共有しました。",
                             next_meeting="次回は2027年2月中旬に開催予定です。")
    return sqlite_url, w


def paragraphs(data: bytes, tmp_path) -> tuple[list[str], list[str], Document]:
    path = tmp_path / "r.docx"
    path.write_bytes(data)
    doc = Document(str(path))
    texts = [p.text for p in doc.paragraphs]
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return texts, cells, doc


AFTER = dt.datetime(2026, 12, 11, 3)  # the day after the world's meeting (UTC)


def test_docx_has_the_secretariats_structure_and_counts_from_attendance(held, tmp_path):
    url, w = held
    with db.session(url) as s:
        data = report.build_report(s, SECRETARIAT_LOCAL, w.meeting_id, now=AFTER)
        expected = schedule.meeting_counts(s, w.meeting_id, statuses=("出席",))
    texts, cells, doc = paragraphs(report.to_docx(data), tmp_path)
    assert texts[0] == "第2回 北海道生活困窮者支援ネットワーク 情報交換会 報告レポート"
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings == ["【開催概要】", "【当日プログラム】", "【ブレイクアウトルーム】",
                        "【ルーム1】ひきこもり支援", "【ルーム2】家計改善支援事業",
                        "【ルーム3】制度の運営について（自治体担当者）", "【全体共有】", "【次回について】"]
    assert "【開催日時】2026年12月10日（木） 14:00〜16:30" in texts
    assert "【開催方法】オンライン（Zoom）" in texts
    # 6 present (出席・遅刻・途中退室), 鈴木 absent, 山本 never marked, 木村 cancelled.
    assert expected.people == 6
    assert "【参加者数】合計6名（4機関：団体2(4)・自治体1(1)・国(1)）" in texts
    assert cells == ["区分", "機関数", "人数", "団体", "2機関", "4名", "自治体", "1機関", "1名", "国", "―", "1名"]
    assert "1. 14:00〜 開会・事務局からのお知らせ" in texts
    room1 = texts[texts.index("【ルーム1】ひきこもり支援"):texts.index("【ルーム2】家計改善支援事業")]
    assert room1[1] == "参加者：NPO法人りんく（ファシリ）、江別市"
    assert room1[2:] == ["【現状の課題】", "・ひきこもりの方への最初の接点づくりが難しい。", "・家族からの相談で止まってしまう。",
                         "【取り組み・工夫】", "家族会と連携し、手紙でのやりとりから始めている。",
                         "【後方支援への要望】", "ひきこもり支援の研修を道内各地で開催してほしい。",
                         "【まとめ】", "焦らず関係を作ることが大切。"]
    room2 = texts[texts.index("【ルーム2】家計改善支援事業"):]
    assert room2[1] == "参加者：当別町社会福祉協議会・江別市"  # typed by hand wins over the placement
    room3 = texts[texts.index("【ルーム3】制度の運営について（自治体担当者）"):]
    assert room3[1] == "参加者：NPO法人りんく、当別町社会福祉協議会、厚生労働省"  # from the room, by region
    with db.session(url) as s:  # 鈴木 (江別市) was absent from room 2: not a participant
        assert notes.room_organisations(s, w.rooms["R2"], attended_only=True) == ["当別町社会福祉協議会"]
    assert texts[texts.index("【全体共有】") + 1] == "各ルームの意見を共有しました。"
    assert texts[texts.index("【次回について】") + 1] == "次回は2027年2月中旬に開催予定です。"
    assert data.problems == ["ルーム3の記録がまだありません。"]


def test_docx_sets_a_japanese_font_on_every_style(held):
    url, w = held
    with db.session(url) as s:
        data = report.build_report(s, SECRETARIAT_LOCAL, w.meeting_id)
    import io

    doc = Document(io.BytesIO(report.to_docx(data)))
    for name in ("Normal", "Title", "Heading 1", "Heading 2"):
        fonts = doc.styles[name].element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == report.FONT, name
        assert fonts.get(qn("w:eastAsiaTheme")) is None, name  # a theme font would override it
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:rFonts")).get(qn("w:eastAsia")) == report.FONT


def test_markdown_and_html_escape_what_people_typed(held):
    url, w = held
    with db.session(url) as s:
        data = report.build_report(s, SECRETARIAT_LOCAL, w.meeting_id)
    md = report.to_markdown(data)
    assert "- **参加者数**：合計6名（4機関：団体2(4)・自治体1(1)・国(1)）" in md
    assert "### 【ルーム1】ひきこもり支援" in md
    assert "- ひきこもりの方への最初の接点づくりが難しい。" in md
    assert r"\<b\>相談が少ない\</b\> \& 町村部の課題" in md
    page = report.to_html(data)
    assert "&lt;b&gt;相談が少ない&lt;/b&gt; &amp; 町村部の課題" in page and "<b>相談" not in page
    assert "@media print" in page and '<html lang="ja">' in page
    assert page.count('<section class="room">') == 3


def test_facilitators_cannot_build_the_report_and_formats_are_checked(held):
    url, w = held
    with db.session(url) as s:
        with pytest.raises(AccessDenied):
            report.build_report(s, Viewer(role=FACILITATOR, meeting_id=w.meeting_id, room_id=w.rooms["R1"]),
                                w.meeting_id)
        data = report.build_report(s, SECRETARIAT_LOCAL, w.meeting_id)
        with pytest.raises(AccessDenied):
            report.save_sections(s, Viewer(role=FACILITATOR), w.meeting_id, overall="x")
    with pytest.raises(ValueError, match="対応していません"):
        report.render(data, ".pdf")
    assert report.file_name(data, ".docx") == "第2回_北海道生活困窮者支援ネットワーク_情報交換会_報告レポート.docx"


def test_command_writes_each_format_from_the_extension(held, tmp_path, capsys):
    url, w = held
    for suffix in (".docx", ".md", ".html"):
        out = tmp_path / f"report{suffix}"
        assert cli(["--db", url, "report", "--meeting", str(w.meeting_id), "-o", str(out)]) == 0
        assert out.stat().st_size > 500
    assert "合計6名" in capsys.readouterr().out
    assert Document(str(tmp_path / "report.docx")).paragraphs[0].text.endswith("報告レポート")
    assert cli(["--db", url, "report", "--meeting", str(w.meeting_id), "-o", str(tmp_path / "r.pdf")]) == 2
    assert "拡張子" in capsys.readouterr().err


def test_report_of_a_demo_meeting_uses_its_notes(demo_url, tmp_path):
    with db.session(demo_url) as s:
        held = [m for m in schedule.list_meetings(s) if m.status == "開催済" and len(m.rooms) >= 10][0]
        data = report.build_report(s, SECRETARIAT_LOCAL, held.id)
        counts = schedule.meeting_counts(s, held.id, statuses=("出席",))
        n_rooms = len(held.rooms)
    assert data.total_line == f"合計{counts.line}" and counts.people > 40
    assert len(data.rooms) == n_rooms and all(r.issues and r.summary for r in data.rooms)
    texts, _, _ = paragraphs(report.to_docx(data), tmp_path)
    assert sum(t.startswith("【ルーム") for t in texts) == n_rooms


@pytest.mark.parametrize(("fmt", "venue", "shown"), [
    ("オンライン", "Zoom（オンライン）", "オンライン（Zoom）"), ("オンライン", "", "オンライン（Zoom）"),
    ("オンライン", "Zoom", "オンライン（Zoom）"), ("オンライン", "オンライン", "オンライン"),
    ("会場", "かでる2・7（会場）", "会場（かでる2・7）"), ("ハイブリッド", "札幌市", "ハイブリッド（札幌市）")])
def test_the_method_names_the_format_once(fmt, venue, shown):
    from types import SimpleNamespace

    assert report._method(SimpleNamespace(format=fmt, venue=venue)) == shown


def test_counts_of_an_empty_meeting_read_naturally(sqlite_url):
    from facilitation.meetings.counts import Counts

    with db.session(sqlite_url) as s:
        m = schedule.add_meeting(s, schedule.MeetingInput(title="情報交換会", starts_at=dt.datetime(2027, 2, 10, 14)))
        assert schedule.meeting_counts(s, m.id).line == "0名"  # not 「0名（0機関：）」
    assert Counts(0, 0, {}, {}).line == "0名"
    assert Counts(3, 2, {}, {}).line == "3名（2機関）"


def test_rooms_without_attendance_are_named_and_the_basis_is_printed(held, tmp_path):
    url, w = held
    with db.session(url) as s:  # room 3's taps are cleared: its people are listed but not counted
        for label in ("tanaka2", "ito", "watanabe"):
            live.mark_attendance(s, SECRETARIAT_LOCAL, w.regs[label], "")
        data = report.build_report(s, SECRETARIAT_LOCAL, w.meeting_id, now=AFTER)
        counted = schedule.meeting_counts(s, w.meeting_id, statuses=("出席",)).people
    assert counted == 3 and data.total_line.startswith("合計3名")  # 佐藤・田中 (R1), 高橋 (R2); 鈴木 absent
    assert data.count_note == ("参加者数は、出席の記録（出席・遅刻・途中退室）がある方を数えています。"
                               "ルーム3は出席の記録がまだないため、この数に含まれていません（参加者の欄は割り当てどおりです）。")
    assert any("出席の記録がまだないルームがあります: ルーム3。" in p for p in data.problems)
    room3 = next(r for r in data.rooms if r.name == "ルーム3")
    assert room3.participants.endswith("（出席の記録なし・割り当てどおり）")
    texts, _, _ = paragraphs(report.to_docx(data), tmp_path)
    assert f"※{data.count_note}" in texts
    assert f"※{data.count_note}" in report.to_markdown(data)
    assert not any("まだ先です" in p for p in data.problems)


def test_attendance_tapped_before_the_meeting_is_flagged(held):
    url, w = held
    with db.session(url) as s:
        data = report.build_report(s, SECRETARIAT_LOCAL, w.meeting_id, now=dt.datetime(2026, 11, 20))
    assert any("この会の開催日（2026年12月10日（木））はまだ先です" in p for p in data.problems)
    assert data.count_note.startswith("参加者数は、出席の記録")
