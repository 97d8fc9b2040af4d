"""Zoom participant reports matched to registrations: signed-in users, guests, renamed guests, rejoins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from facilitation.errors import AccessDenied
from facilitation.roles import FACILITATOR, SECRETARIAT_LOCAL, Viewer
from facilitation.rosters import live, zoom
from facilitation.rosters.models import ZoomParticipant
from facilitation.storage import db
from facilitation.storage.models import Attendance, Registration
from tests.rosters_world import build, cli

DATA = Path(__file__).parent / "data" / "zoom"


@pytest.fixture
def world(sqlite_url):
    with db.session(sqlite_url) as s:
        w = build(s)
    return sqlite_url, w


def test_reads_japanese_report_with_meeting_summary_above_the_table():
    rows, problems = zoom.read_report((DATA / "participants_ja.csv").read_bytes(), "participants_ja.csv")
    assert problems == []
    assert len(rows) == 11 and rows[0].line == 5  # the summary block and the blank line are skipped
    sato = rows[1]
    assert (sato.display_name, sato.original_name, sato.email) == ("R1_佐藤陽子", "佐藤 陽子", "sato.yoko@example.org")
    assert (sato.joined_at.isoformat(), sato.minutes, sato.guest) == ("2026-12-10T13:55:10", 156, False)
    assert rows[2].guest and rows[2].original_name == "iPhone"


def test_reads_english_headers_and_us_times_and_shift_jis():
    rows, _ = zoom.read_report((DATA / "participants_en.csv").read_bytes())
    assert rows[0].joined_at.isoformat() == "2026-12-10T13:55:10" and rows[0].left_at.hour == 16
    assert rows[3].email == "kenta.suzuki@example.org"  # upper case and a trailing space in the file
    rows, _ = zoom.read_report((DATA / "participants_sjis.csv").read_bytes())
    assert rows[0].display_name == "R3_田中 誠" and rows[0].minutes == 140


def test_a_file_that_is_not_a_participant_report_is_refused_in_japanese():
    with pytest.raises(zoom.ZoomReportError, match="not_a_report.csv.*見出し"):
        zoom.read_report((DATA / "not_a_report.csv").read_bytes(), "not_a_report.csv")


def test_matching_realistic_rows_then_filling_attendance(world):
    url, w = world
    with db.session(url) as s:  # a facilitator already tapped 伊藤 as 遅刻: the import keeps it
        live.mark_attendance(s, SECRETARIAT_LOCAL, w.regs["ito"], "遅刻")
    with db.session(url) as s:
        result = zoom.import_report(s, SECRETARIAT_LOCAL, w.meeting_id,
                                               (DATA / "participants_ja.csv").read_bytes(), "participants_ja.csv")
    matched = {p.registration_id: p for p in result.matched}
    assert set(matched) == {w.regs[k] for k in ("sato", "takahashi", "suzuki", "tanaka1", "tanaka2", "ito", "watanabe")}
    assert matched[w.regs["sato"]].match == "email"  # signed in
    assert matched[w.regs["suzuki"]].match == "name"  # guest typing 「鈴木　健太」 with a full-width space
    assert matched[w.regs["ito"]].match == "name"  # half-width kana 「ｲﾄｳ ﾅｵｺ」 meets the furigana
    assert matched[w.regs["watanabe"]].match == "name"  # 「りんく 渡辺 大樹」: organisation before the name
    # Two registrations named 田中 誠: the room prefix R1 / R3 decides.
    assert matched[w.regs["tanaka1"]].match == "room_name" and matched[w.regs["tanaka2"]].match == "room_name"
    # 高橋 left and rejoined as a renamed guest (original name 「iPhone」): one person, minutes added.
    takahashi = matched[w.regs["takahashi"]]
    assert (takahashi.match, len(takahashi.rows), takahashi.minutes) == ("room_name", 2, 151)
    assert takahashi.joined_at.hour == 13 and takahashi.left_at.hour == 16
    assert sorted(p.display_name for p in result.unmatched) == ["iPad", "k.yamamoto", "どうねっと事務局"]
    assert (result.rows, result.people, result.merged) == (11, 10, 1)
    assert (result.marked, result.already) == (6, 1)
    with db.session(url) as s:
        marks = live.marks_of(s, w.meeting_id)
        status = {r.id: r.status for r in s.scalars(select(Registration).where(Registration.meeting_id == w.meeting_id))}
        by = s.scalar(select(Attendance.marked_by).where(Attendance.registration_id == w.regs["sato"]))
    assert marks[w.regs["ito"]] == "遅刻" and marks[w.regs["sato"]] == "出席" and by == zoom.ZOOM_ACTOR
    assert w.regs["yamamoto"] not in marks and status[w.regs["yamamoto"]] == "申込"
    assert status[w.regs["suzuki"]] == "出席"


def test_unmatched_rows_are_kept_and_resolved_by_the_secretariat(world):
    url, w = world
    with db.session(url) as s:
        zoom.import_report(s, SECRETARIAT_LOCAL, w.meeting_id, (DATA / "participants_ja.csv").read_bytes(),
                                      "participants_ja.csv")
    with db.session(url) as s:
        waiting = zoom.stored_rows(s, SECRETARIAT_LOCAL, w.meeting_id)
        assert [r.display_name for r in waiting] == ["どうねっと事務局", "k.yamamoto", "iPad"]
        by_name = {r.display_name: r for r in waiting}
        assert by_name["k.yamamoto"].email == "k.yamamoto@example.net" and by_name["iPad"].guest
        # 「k.yamamoto」 is 山本 翔 signed in with a private address; the office account is not a participant.
        zoom.resolve(s, SECRETARIAT_LOCAL, by_name["k.yamamoto"].id, w.regs["yamamoto"])
        zoom.resolve(s, SECRETARIAT_LOCAL, by_name["どうねっと事務局"].id, None)
        choices = dict(zoom.registration_choices(s, SECRETARIAT_LOCAL, w.meeting_id))
    assert choices[w.regs["yamamoto"]] == "山本 翔（北見市社会福祉協議会）"
    assert choices[w.regs["kimura"]].endswith("・キャンセル")
    with db.session(url) as s:
        assert [r.display_name for r in zoom.stored_rows(s, SECRETARIAT_LOCAL, w.meeting_id)] == ["iPad"]
        assert live.marks_of(s, w.meeting_id)[w.regs["yamamoto"]] == "出席"
    # Importing again replaces the kept rows instead of adding to them.
    with db.session(url) as s:
        zoom.import_report(s, SECRETARIAT_LOCAL, w.meeting_id, (DATA / "participants_en.csv").read_bytes())
        n = len(s.scalars(select(ZoomParticipant).where(ZoomParticipant.meeting_id == w.meeting_id)).all())
    assert n == 3  # 佐藤, 高橋 (rejoined), 鈴木


def test_shared_office_address_falls_back_to_the_name(world):
    url, w = world
    with db.session(url) as s:
        for label in ("tanaka1", "suzuki"):  # both at 江別市, one shared address
            s.get(Registration, w.regs[label]).person.email = "fukushi@city.ebetsu.example.jp"
    csv = ("Name (original name),User Email,Join time,Leave time,Duration (minutes),Guest\n"
           "鈴木 健太,fukushi@city.ebetsu.example.jp,12/10/2026 02:00:00 PM,12/10/2026 04:00:00 PM,120,No\n"
           "江別市,fukushi@city.ebetsu.example.jp,12/10/2026 02:00:00 PM,12/10/2026 04:00:00 PM,120,No\n")
    with db.session(url) as s:
        result = zoom.import_report(s, SECRETARIAT_LOCAL, w.meeting_id, csv.encode(), "shared.csv",
                                               fill=False)
    assert [(p.registration_id, p.match) for p in result.matched] == [(w.regs["suzuki"], "name")]
    assert result.marked == 0  # fill=False: matched only
    # The second row has the same address: merged with 鈴木 as one person's rejoin.
    assert result.merged == 1 and not result.unmatched


def test_only_the_secretariat_imports(world):
    url, w = world
    fac = Viewer(role=FACILITATOR, meeting_id=w.meeting_id, room_id=w.rooms["R1"])
    with db.session(url) as s:
        with pytest.raises(AccessDenied):
            zoom.import_report(s, fac, w.meeting_id, b"", "x.csv")
        with pytest.raises(AccessDenied):
            zoom.stored_rows(s, fac, w.meeting_id)


def test_command_prints_json_with_the_unmatched_rows(world, capsys):
    url, w = world
    assert cli(["--db", url, "attendance", "zoom", str(DATA / "participants_ja.csv"), "--meeting",
                 str(w.meeting_id), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["marked"] == 7 and len(out["matched"]) == 7
    assert {u["display_name"] for u in out["unmatched"]} == {"iPad", "k.yamamoto", "どうねっと事務局"}
    assert cli(["--db", url, "attendance", "zoom", str(DATA / "not_a_report.csv"), "--meeting",
                 str(w.meeting_id)]) == 2
    assert "見出し" in capsys.readouterr().err


# --- reports as Zoom's Japanese web UI writes them, overlapping sessions, impossible durations (issue 15) ---

def test_japanese_ui_duration_header_is_read():
    rows, problems, fmt = zoom.read_report_format((DATA / "participants_ja_ui.csv").read_bytes(),
                                                             "participants_ja_ui.csv")
    assert problems == [] and fmt == "Zoom参加者レポート（日本語）"
    assert [r.minutes for r in rows] == [105, 120, 55, 50, 110]  # 「所要時間（分）」, not 0


def test_overlapping_sessions_count_once_and_the_report_says_so(world):
    url, w = world
    with db.session(url) as s:
        result = zoom.import_report(s, SECRETARIAT_LOCAL, w.meeting_id,
                                               (DATA / "participants_ja_ui.csv").read_bytes(), "participants_ja_ui.csv",
                                               fill=False)
        stored = {z.display_name: z.minutes for z in s.scalars(
            select(ZoomParticipant).where(ZoomParticipant.meeting_id == w.meeting_id))}
    by_name = {p.display_name: p for p in result.matched + result.unmatched}
    # 佐藤 on a computer 13:00–14:45 and a phone 13:00–15:00: present 120 minutes, not 225.
    assert (by_name["佐藤陽子"].minutes, by_name["佐藤陽子"].listed_minutes) == (120, 225)
    # 高橋 left and came back: two separate stretches keep their own durations.
    assert by_name["高橋美咲"].minutes == 105
    assert stored["佐藤陽子"] == 120 and stored["高橋美咲"] == 105
    assert [p for p in result.problems if "重なる参加" in p] == [
        "佐藤陽子（2, 3行目）: 同じ時間に重なる参加（複数の端末など）があるため、参加時間は重なりを1回として"
        " 120分としました（レポートの合計は 225分）。"]
    assert result.format == "Zoom参加者レポート（日本語）"


def test_presence_minutes_of_rows_without_times_are_added_up():
    row = zoom.ZoomRow(line=2, display_name="A", original_name="", email="", joined_at=None,
                                  left_at=None, minutes=30, guest=True)
    p = zoom.Presence(rows=[row, zoom.ZoomRow(**{**vars(row), "line": 3, "minutes": 15})])
    assert p.minutes == 45


def test_impossible_durations_are_named_and_the_rest_of_the_report_is_kept(world, capsys):
    url, w = world
    rows, problems = zoom.read_report((DATA / "participants_bad_minutes.csv").read_bytes(), "bad.csv")
    assert [(r.display_name, r.minutes) for r in rows] == [
        ("鈴木 健太", 120), ("田中 誠", 90), ("伊藤 直子", 0), ("渡辺 大樹", 60)]
    assert problems == [
        "bad.csv 2行目「Duration (minutes)」: 「99999999999」は参加時間としてありえない値です（参加時刻と退出時刻から 120分としました）。",
        "bad.csv 3行目「Duration (minutes)」: 「-5」は参加時間としてありえない値です（参加時刻と退出時刻から 90分としました）。",
        "bad.csv 4行目「Duration (minutes)」: 「1e400」は参加時間としてありえない値です（0分とします）。",
    ]
    assert cli(["--db", url, "attendance", "zoom", str(DATA / "participants_bad_minutes.csv"), "--meeting",
                str(w.meeting_id), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rows"] == 4 and len(out["problems"]) == 3
    assert {p["display_name"]: p["minutes"] for p in out["matched"]}["鈴木 健太"] == 120


def test_a_report_without_durations_says_so_and_uses_join_and_leave_times():
    rows, problems = zoom.read_report((DATA / "participants_no_minutes.csv").read_bytes(), "x.csv")
    assert [r.minutes for r in rows] == [120, 0]
    assert problems[0].startswith("x.csv: 参加時間（「期間（分）」「所要時間（分）」など）の列が見つかりません。")
    assert problems[1] == "x.csv 3行目: 参加時刻・退出時刻から参加時間を計算できません（0分とします）。"


@pytest.mark.skipif(not (Path(__file__).resolve().parents[1] / ".." / "shared" / "real-samples" / "zoom").exists(),
                    reason="real samples live beside the project")
def test_real_japanese_ui_report_reads_its_durations():
    """yu-9824/zoom_participant's example: Zoom's Japanese web UI headers with 「所要時間（分）」."""
    path = Path(__file__).resolve().parents[1] / ".." / "shared" / "real-samples" / "zoom" / "yu9824_example_ja.csv"
    rows, problems = zoom.read_report(path.read_bytes(), path.name)
    assert problems == [] and len(rows) == 204
    assert rows[0].minutes == 245 and sum(r.minutes for r in rows) > 0


def test_blank_durations_are_named_and_taken_from_the_times():
    csv = ("名前 (元の名前),ユーザーメール,参加時刻,退出時刻,所要時間（分）\n"
           "佐藤陽子,,2026/12/10 13:00,2026/12/10 14:30,\n"
           "高橋美咲,,2026/12/10 13:00,,\n"
           "鈴木健太,,2026/12/10 13:00,2026/12/10 14:00,60\n")
    rows, problems = zoom.read_report(csv.encode(), "blank.csv")
    assert [r.minutes for r in rows] == [90, 0, 60]
    assert problems == ["blank.csv 2、3行目: 「所要時間（分）」が空欄のため、参加時間は参加時刻・退出時刻から計算しました"
                        "（計算できない行は0分）。"]


# --- the other attendance exports people send (issue 24): one place names the format, every row
# --- of the file is read as attendance, recognised, folded into a person, or listed with why ---

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from facilitation.rosters import attendance_files  # noqa: E402

REAL_ZOOM = Path(__file__).resolve().parents[1] / ".." / "shared" / "real-samples" / "zoom"

# fixture: (format, confidence at least, rows in file, attendance rows, recognised, folded, listed)
FORMATS = {
    "participants_ja.csv": ("Zoom参加者レポート（日本語・会議の概要つき）", 1.0, 14, 11, 3, 0, 0),
    "participants_en.csv": ("Zoom参加者レポート（英語）", 1.0, 5, 4, 1, 0, 0),
    "participants_unique_en.csv": ("Zoom参加者レポート（重複しないユーザー・英語）", 0.9, 6, 4, 1, 0, 1),
    "participants_ja_usage_new.csv": ("Zoom参加者レポート（日本語）", 1.0, 4, 3, 1, 0, 0),
    "webinar_attendee_en.csv": ("Zoomウェビナー出席者レポート（英語）", 1.0, 19, 6, 12, 0, 1),
    "webinar_attendee_ja.csv": ("Zoomウェビナー出席者レポート（日本語）", 1.0, 14, 3, 10, 0, 1),
    "teams_ja_utf16.csv": ("Microsoft Teams 出席レポート（日本語）", 1.0, 20, 4, 11, 5, 0),
    "teams_en_utf8.csv": ("Microsoft Teams 出席レポート（英語）", 1.0, 18, 3, 11, 3, 1),
    "teams_legacy_actions_utf16.csv": ("Microsoft Teams 出席者一覧（旧形式・英語）", 0.9, 10, 4, 1, 4, 1),
}


def accounted(f: attendance_files.AttendanceFile) -> bool:
    return f.total == len(f.rows) + f.recognised + f.folded + len(f.listed)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_format_is_named_and_every_row_accounted_for(name):
    fmt, confidence, total, rows, recognised, folded, listed = FORMATS[name]
    f = attendance_files.read_attendance((DATA / name).read_bytes(), name)
    assert (f.format, f.total, len(f.rows), f.recognised, f.folded, len(f.listed)) == (
        fmt, total, rows, recognised, folded, listed)
    assert f.confidence >= confidence and f.message == f"{fmt}として読みました。"
    assert accounted(f)


def test_zoom_unique_users_report_gives_attendance(world):
    url, w = world
    with db.session(url) as s:
        result = zoom.import_report(s, SECRETARIAT_LOCAL, w.meeting_id,
                                    (DATA / "participants_unique_en.csv").read_bytes(), "unique.csv")
    matched = {p.registration_id: p for p in result.matched}
    assert set(matched) == {w.regs["sato"], w.regs["takahashi"], w.regs["suzuki"]}
    assert (matched[w.regs["takahashi"]].minutes, matched[w.regs["takahashi"]].match) == (151, "room_name")
    assert result.marked == 3 and result.format == "Zoom参加者レポート（重複しないユーザー・英語）"
    assert result.listed == [{"line": 6, "text": ",,12,Yes", "reason": "名前が空欄です"}]


def test_japanese_usage_report_with_the_newer_column_names():
    rows, problems, fmt = zoom.read_report_format((DATA / "participants_ja_usage_new.csv").read_bytes(), "x.csv")
    assert problems == [] and fmt == "Zoom参加者レポート（日本語）"
    assert [(r.display_name, r.joined_at.isoformat(), r.minutes, r.guest) for r in rows][1:] == [
        ("R1_佐藤陽子", "2026-12-10T13:55:10", 156, False), ("渡辺 大樹", "2026-12-10T14:00:00", 150, True)]


def test_zoom_webinar_attendee_report_reads_every_section(world):
    url, w = world
    with db.session(url) as s:
        result = zoom.import_report(s, SECRETARIAT_LOCAL, w.meeting_id,
                                    (DATA / "webinar_attendee_en.csv").read_bytes(), "webinar.csv", fill=False)
    matched = {p.registration_id: p for p in result.matched}
    assert set(matched) == {w.regs["sato"], w.regs["suzuki"], w.regs["ito"]}  # panelist, attendee twice, guest
    assert (len(matched[w.regs["suzuki"]].rows), matched[w.regs["suzuki"]].minutes) == (2, 146)
    assert (result.rows, result.people, result.merged) == (6, 5, 1)
    assert sorted(p.display_name for p in result.unmatched) == ["iPad", "どうねっと事務局"]
    # 山本 registered but did not attend (Attended: No): listed, not counted.
    assert [(x["line"], x["reason"]) for x in result.listed] == [(16, "出席していません（「No」）")]
    assert w.regs["yamamoto"] not in matched


def test_japanese_webinar_report(world):
    url, w = world
    with db.session(url) as s:
        result = zoom.import_report(s, SECRETARIAT_LOCAL, w.meeting_id,
                                    (DATA / "webinar_attendee_ja.csv").read_bytes(), "webinar_ja.csv", fill=False)
    assert {p.registration_id for p in result.matched} == {w.regs["sato"], w.regs["watanabe"]}
    assert [(x["line"], x["reason"]) for x in result.listed] == [(14, "出席していません（「いいえ」）")]


@pytest.mark.parametrize("name", ["teams_ja_utf16.csv", "teams_en_utf8.csv"])
def test_teams_attendance_report_gives_attendance_like_zoom(world, name):
    url, w = world
    with db.session(url) as s:
        result = zoom.import_report(s, SECRETARIAT_LOCAL, w.meeting_id, (DATA / name).read_bytes(), name)
    matched = {p.registration_id: p for p in result.matched}
    assert w.regs["sato"] in matched and w.regs["suzuki"] in matched
    assert matched[w.regs["sato"]].minutes == 156  # 「2 時間 35 分 52 秒」 / 「2h 35m 52s」, rounded up
    assert result.format_message == f"{FORMATS[name][0]}として読みました。"
    assert result.row_counts["folded"] == FORMATS[name][5]
    if name == "teams_ja_utf16.csv":  # 「高橋 美咲 (ゲスト)」: a guest, not an original name
        assert matched[w.regs["takahashi"]].rows[0].guest and result.marked == 3
    else:
        assert [x["line"] for x in result.listed] == [20]  # an activity row of nobody in the participants


def test_first_teams_attendance_list_pairs_joins_and_leaves(world):
    url, w = world
    with db.session(url) as s:
        result = zoom.import_report(s, SECRETARIAT_LOCAL, w.meeting_id,
                                    (DATA / "teams_legacy_actions_utf16.csv").read_bytes(), "legacy.csv", fill=False)
    matched = {p.registration_id: p for p in result.matched}
    assert matched[w.regs["takahashi"]].minutes == 64 + 87 and len(matched[w.regs["takahashi"]].rows) == 2
    assert matched[w.regs["sato"]].minutes == 156
    assert result.listed == [{"line": 10, "text": "鈴木 健太,Left,12/10/2026, 4:36:00 PM",
                              "reason": "参加の記録がない退出です"}]


def test_teams_durations():
    d = attendance_files.duration_minutes
    assert (d("1h 5m 3s"), d("59m 35s"), d("2 時間 50 分 38 秒"), d("30 分 0 秒"), d("00:59:35"), d("120")) == (
        65 + 3 / 60, 59 + 35 / 60, 170 + 38 / 60, 30, 59 + 35 / 60, 120)
    assert d("about an hour") is None


def test_command_json_names_the_format_and_lists_the_rows_not_read(world, capsys):
    url, w = world
    assert cli(["--db", url, "attendance", "zoom", str(DATA / "webinar_attendee_en.csv"), "--meeting",
                str(w.meeting_id), "--no-fill", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["format"] == "Zoomウェビナー出席者レポート（英語）" and out["confidence"] == 1.0
    assert out["format_message"] == "Zoomウェビナー出席者レポート（英語）として読みました。"
    assert out["row_counts"] == {"rows_in_file": 19, "attendance_rows": 6, "recognised": 12, "folded": 0,
                                 "listed": 1, "merged": 1}
    assert out["listed"][0]["line"] == 16
    assert cli(["--db", url, "attendance", "zoom", str(DATA / "teams_ja_utf16.csv"), "--meeting",
                str(w.meeting_id), "--no-fill"]) == 0
    text = capsys.readouterr().out
    assert "Microsoft Teams 出席レポート（日本語）として読みました。" in text


_ATTENDANCE_SOURCES = [DATA / n for n in sorted(FORMATS)] + (
    sorted(p for p in REAL_ZOOM.glob("*.csv") if "preassign" not in p.name) if REAL_ZOOM.exists() else [])


def _mutate_table(data: bytes, how: str, rnd) -> str:
    text = attendance_files.decode_bytes(data)[0]
    lines = text.splitlines()
    if how == "truncate":
        return text[:rnd.randrange(len(text) + 1)]
    if how == "shuffle_rows" and len(lines) > 2:
        body = lines[1:]
        rnd.shuffle(body)
        lines = lines[:1] + body
    elif how == "shuffle_columns":
        delimiter = "\t" if text.count("\t") > text.count(",") else ","
        import csv as csv_mod
        import io as io_mod
        rows = list(csv_mod.reader(io_mod.StringIO(text), delimiter=delimiter))
        width = max((len(r) for r in rows), default=0)
        order = list(range(width))
        rnd.shuffle(order)
        buf = io_mod.StringIO()
        writer = csv_mod.writer(buf, delimiter=delimiter, lineterminator="\n")
        for r in rows:
            r = r + [""] * (width - len(r))
            writer.writerow([r[i] for i in order])
        return buf.getvalue()
    elif how == "blank":
        for _ in range(rnd.randrange(1, 5)):
            lines.insert(rnd.randrange(len(lines) + 1), rnd.choice(["", ",,,", "\t\t"]))
    elif how == "title":
        lines[:0] = ["第9回 情報交換会 出席一覧", "出力日,2026/12/10"]
    elif how == "drop" and lines:
        del lines[rnd.randrange(len(lines))]
    return "\r\n".join(lines)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=st.sampled_from(_ATTENDANCE_SOURCES),
       how=st.sampled_from(["truncate", "shuffle_rows", "shuffle_columns", "blank", "title", "drop"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp932"]), seed=st.integers(0, 2**16))
def test_fuzzed_reports_are_read_with_every_row_accounted_for_or_refused_in_japanese(source, how, encoding, seed):
    import random

    text = _mutate_table(source.read_bytes(), how, random.Random(seed))
    data = text.encode(encoding, errors="replace" if encoding == "cp932" else "strict")
    try:
        f = attendance_files.read_attendance(data, source.name)
    except attendance_files.AttendanceFileError as exc:
        assert str(exc) and source.name in str(exc) or "ファイル" in str(exc)
        return
    assert accounted(f), (f.total, f.counts())
    assert all(x.reason and x.line >= 1 for x in f.listed)
