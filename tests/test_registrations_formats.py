"""The files partners actually send (issue 24): other exports (Microsoft Forms, connpass, Peatix),
other spellings (English and generic headers), other delimiters, lists without e-mail. Each file is
named on import, and every row ends imported, merged into another (said so) or listed with its
number and reason. Fixture layouts: tests/data/formats/SOURCES.md."""

import datetime as dt
import itertools
import json
from pathlib import Path

import pytest

from facilitation import cli
from facilitation.files import formats
from facilitation.files.tabular import Table, read_table
from facilitation.meetings import schedule
from facilitation.orgs import directory
from facilitation.registrations import intake
from facilitation.roles import SECRETARIAT_LOCAL as SEC
from facilitation.storage import db
from facilitation.storage.models import Registration
from facilitation.surveys import store
from facilitation.surveys.summary import summarize
from facilitation.text import vocab

DATA = Path(__file__).parent / "data" / "formats"
_MEETINGS = itertools.count(1)


def new_meeting(s, day=dt.datetime(2027, 1, 21, 14)) -> int:
    return schedule.add_meeting(s, schedule.MeetingInput(title=f"形式の確認（{next(_MEETINGS)}）", starts_at=day)).id


@pytest.fixture
def setup(sqlite_url):
    with db.session(sqlite_url) as s:
        directory.load_master(s)
        mid = new_meeting(s)
    return sqlite_url, mid


def import_file(url, mid, name):
    with db.session(url) as s:
        return intake.import_file(s, SEC, mid, (DATA / name).read_bytes(), name)


def accounted(res) -> None:
    """The rule: every row imported, updated, merged (duplicates, said so) or listed (kept aside or not
    taking part), each listed row once with its number and reason."""
    assert res.consistent, res.as_dict()
    listed = [u["row"] for u in res.unplaced]
    merged = [d["row"] for d in res.duplicate_rows]
    assert len(set(listed)) == len(listed) and not set(listed) & set(merged)
    assert all(u["reason"].startswith(f"{u['row']}行目") for u in res.unplaced)


# (file, detected format, label, rows in, imported, merged, listed)
FORMATS = [
    ("ms_forms_registration.xlsx", "ms_forms", "Microsoft Forms の回答（Excel）", 5, 3, 1, 1),
    ("connpass_participants.csv", "connpass", "connpass の参加者CSV（Shift_JIS）", 6, 4, 0, 2),
    ("peatix_attendees.csv", "peatix", "Peatix の参加者CSV（UTF-8）", 5, 2, 0, 3),
    ("english_headers.csv", "table", "表形式のファイル（CSV・UTF-8）", 3, 3, 0, 0),
    ("municipal_attendance_no_email.csv", "table", "表形式のファイル（CSV・Shift_JIS）", 4, 3, 1, 0),
    ("semicolon_separated.csv", "table", "表形式のファイル（CSV・UTF-8・セミコロン区切り）", 3, 3, 0, 0),
]


@pytest.mark.parametrize("name, fmt, label, rows, imported, merged, listed", FORMATS)
def test_each_export_is_named_and_every_row_accounted_for(setup, name, fmt, label, rows, imported, merged, listed):
    url, mid = setup
    res = import_file(url, mid, name)
    accounted(res)
    assert (res.format, res.notes[0]) == (fmt, f"{label}として読みました。")
    assert (res.rows, res.imported, res.duplicates, len(res.unplaced)) == (rows, imported, merged, listed)


def test_english_and_generic_headers_find_name_and_email(setup):
    url, mid = setup
    for i, (name_h, email_h) in enumerate([("name", "Email"), ("Name", "E-mail Address"), ("Full Name", "mail"),
                                           ("names", "メール"), ("表示名", "Email"), ("ユーザー名", "e-mail")]):
        t = Table(headers=[name_h, email_h, "Organization"], rows=[[f"山田 太郎{i}", f"t{i}@example.org", "りんく"]],
                  source=f"list{i}.csv")
        with db.session(url) as s:
            res = intake.import_table(s, SEC, mid, t)
        assert (res.imported, res.quarantined) == (1, []), (name_h, res.quarantined)
    with db.session(url) as s:
        df = intake.registrant_frame(s, SEC, mid)
    assert sorted(df["email"]) == [f"t{i}@example.org" for i in range(6)]
    assert set(df["organisation"]) == {"NPO法人コミュニティワーク研究実践センター岩見沢市生活サポートセンターりんく"}


def test_a_reading_is_the_name_only_when_nothing_else_is(setup):
    url, mid = setup
    t = Table(headers=["フリガナ", "所属"], rows=[["ヤマダ タロウ", "江別市"]], source="kana.csv")
    with db.session(url) as s:
        assert intake.import_table(s, SEC, mid, t).imported == 1
        assert intake.registrant_frame(s, SEC, mid)["name"].tolist() == ["ヤマダ タロウ"]


def test_a_list_without_email_comes_in_and_each_person_is_flagged_for_an_email(setup):
    url, mid = setup
    res = import_file(url, mid, "municipal_attendance_no_email.csv")
    assert res.imported == 3 and res.quarantined == []
    assert "3行目を見出し行として読みました" in " ".join(res.notes)  # the title line above is skipped
    assert res.duplicate_rows[0]["reason"] == "4行目: 7行目と同じ方の申込です（7行目の回答を使います）。"
    flagged = [c["reason"] for c in res.checks if "メールアドレスがありません" in c["reason"]]
    assert len(flagged) == 3 and "この名簿にはメールアドレスの列がありません" in flagged[0]
    with db.session(url) as s:
        checks = intake.to_check(s, SEC, mid)
        assert sum(k.column == intake.CHECK_NO_EMAIL for k in checks) == 3
        reg = next(r for r in s.query(Registration).filter_by(meeting_id=mid) if r.person.name == "岡田 誠")
        intake.update_registration(s, SEC, reg.id, {"email": "okada@example.org"})
    with db.session(url) as s:  # once the e-mail is known, the person is off the list
        assert sum(k.column == intake.CHECK_NO_EMAIL for k in intake.to_check(s, SEC, mid)) == 2
    again = import_file(url, mid, "municipal_attendance_no_email.csv")  # the same list again: nothing new
    assert (again.imported, again.duplicates) == (0, 4)


def test_a_list_without_email_finds_people_known_from_an_earlier_meeting(setup):
    url, mid = setup
    t = Table(headers=["氏名", "メールアドレス", "所属（法人・機関名）"],
              rows=[["石川 智子", "ishikawa@example.org", "千歳市"]], source="form.csv")
    with db.session(url) as s:
        assert intake.import_table(s, SEC, mid, t).imported == 1
        later = new_meeting(s, dt.datetime(2027, 3, 4, 14))
    res = import_file(url, later, "municipal_attendance_no_email.csv")
    flagged = [c["reason"] for c in res.checks if "メールアドレスがありません" in c["reason"]]
    assert len(flagged) == 2 and not any("石川" in r for r in flagged)  # her address is known
    with db.session(url) as s:
        both = intake.registrant_frame(s, SEC, mid)["id"].tolist() + intake.registrant_frame(s, SEC, later)["id"].tolist()
        people = {s.get(Registration, rid).person_id for rid in both}
        assert len(people) == 3  # 石川 智子 is one person in both meetings (by name and organisation)
        ishikawa = intake.registrant_frame(s, SEC, later).query("name == '石川 智子'").iloc[0]
        assert ishikawa["email"] == "ishikawa@example.org"


def test_connpass_cancelled_and_waiting_rows_are_listed_not_counted(setup):
    url, mid = setup
    res = import_file(url, mid, "connpass_participants.csv")
    assert [(c["row"], c["reason"]) for c in res.cancelled] == [
        (5, "5行目「参加ステータス」: 「キャンセル」の方です。参加者としては取り込んでいません。"),
        (6, "6行目「参加ステータス」: 「補欠」の方です。参加者としては取り込んでいません。")]
    assert res.line() == "6行: 新規 4件・更新 0件・重複 0件・保留 0件・不参加 2件"
    with db.session(url) as s:
        df = intake.registrant_frame(s, SEC, mid)
        assert sorted(df["name"]) == sorted(["高橋 修", "森 早苗", "吉田 博", "松本 健太"])  # 表示名, not the account
        taka = df[df["name"] == "高橋 修"].iloc[0]
        assert (taka["email"], taka["note"]) == ("takahashi@example.org", "よろしくお願いします")
        assert intake.summary(s, mid).people == 4


def test_a_connpass_questionnaire_name_beats_the_display_name(setup):
    url, mid = setup
    head = ["参加枠名", "ユーザー名", "表示名", "コメント", "参加ステータス", "出欠ステータス", "氏名（漢字）", "更新日時", "受付番号"]
    t = Table(headers=head, rows=[["一般", "taro_y", "たろう", "", "参加", "", "山田 太郎", "2027/01/08 10:00:00", "1"]],
              source="event_123_participants.csv")
    with db.session(url) as s:
        res = intake.import_table(s, SEC, mid, t)
        assert (res.format, res.imported) == ("connpass", 1)
        assert intake.registrant_frame(s, SEC, mid)["name"].tolist() == ["山田 太郎"]


def test_connpass_checked_in_people_are_marked_present_once(setup):
    from facilitation.rosters import live

    url, mid = setup
    head = ["参加枠名", "ユーザー名", "表示名", "コメント", "参加ステータス", "出欠ステータス", "更新日時", "受付番号"]
    rows = [["一般", "a1", "山田 太郎", "", "参加", "出席", "2027/01/08 10:00:00", "1"],
            ["一般", "a2", "佐藤 花子", "", "参加", "", "2027/01/08 10:05:00", "2"],
            ["一般", "a3", "鈴木 一郎", "", "参加", "出席", "2027/01/08 10:09:00", "3"]]
    t = Table(headers=head, rows=rows, source="event_123_participants.csv")
    with db.session(url) as s:
        res = intake.import_table(s, SEC, mid, t)
        assert res.attendance == 2 and "2名の出欠を名簿に記録しました" in res.notes[-1]
        ids = dict(zip(intake.registrant_frame(s, SEC, mid)["name"], intake.registrant_frame(s, SEC, mid)["id"],
                       strict=True))
        assert live.marks_of(s, mid) == {ids["山田 太郎"]: "出席", ids["鈴木 一郎"]: "出席"}
        assert s.get(Registration, int(ids["山田 太郎"])).status == vocab.STATUS_ATTENDED
        live.mark_attendance(s, SEC, int(ids["鈴木 一郎"]), "途中退室")  # corrected on the roster
    with db.session(url) as s:  # the same file again: nothing overwritten
        assert intake.import_table(s, SEC, mid, t).attendance == 0
        assert live.marks_of(s, mid)[ids["鈴木 一郎"]] == "途中退室"


def test_a_later_connpass_file_cancels_who_cancelled_and_needs_no_questions(setup):
    url, mid = setup
    first = import_file(url, mid, "connpass_participants.csv")
    assert "お勤め先" in first.headers
    with db.session(url) as s:  # the secretariat says once what 「お勤め先」 is, for this connpass file
        intake.save_column_mapping(s, SEC, mid, {"お勤め先": "org"}, source_format=first.format)
        other = new_meeting(s, dt.datetime(2027, 3, 4, 14))
    later = import_file(url, mid, "connpass_participants_later.csv")
    accounted(later)
    # 高橋, 吉田, 松本 now have their organisation (updated, not new people: 吉田 and 松本 have no e-mail)
    assert (later.rows, later.imported, later.updated, later.duplicates, len(later.cancelled)) == (7, 1, 3, 0, 3)
    mori = next(c for c in later.cancelled if c["row"] == 3)
    assert "登録済みの森 早苗さんの申込" in mori["reason"] and "をキャンセルにしました" in mori["reason"]
    with db.session(url) as s:
        assert s.get(Registration, mori["registration_id"]).status == vocab.STATUS_CANCELLED
        assert intake.summary(s, mid).people == 4  # 高橋, 吉田, 松本, 小林
    # Another meeting's connpass file: 「お勤め先」 is the organisation without being asked again.
    res = import_file(url, other, "connpass_participants_later.csv")
    assert (res.imported, len(res.cancelled)) == (4, 3)
    with db.session(url) as s:
        df = intake.registrant_frame(s, SEC, other)
        assert df[df["name"] == "小林 彩"].iloc[0]["org_text"] == "名寄市 保健福祉部"


def test_peatix_cancelled_and_expired_orders_are_listed_and_the_form_gives_name_and_email(setup):
    url, mid = setup
    res = import_file(url, mid, "peatix_attendees.csv")
    assert [u["outcome"] for u in res.unplaced] == ["不参加", "不参加", "保留"]
    assert "「キャンセル」の方です" in res.unplaced[0]["reason"] and "「期限切れ」の方です" in res.unplaced[1]["reason"]
    assert res.unplaced[2]["reason"].startswith("6行目")  # no form answers: kept aside, fixable
    with db.session(url) as s:
        df = intake.registrant_frame(s, SEC, mid)
        assert sorted(zip(df["name"], df["email"], strict=True)) == [
            ("山口 大輔", "yamaguchi@example.org"), ("渡辺 優子", "watanabe@example.org")]
        assert df.iloc[0]["furigana"] in ("ワタナベ ユウコ", "ヤマグチ ダイスケ")  # 参加者名（カナ）: the reading


def test_ms_forms_registration_reads_its_columns(setup):
    url, mid = setup
    res = import_file(url, mid, "ms_forms_registration.xlsx")
    assert res.unplaced[0]["row"] == 4 and "どちらも空欄" in res.unplaced[0]["reason"]  # 「anonymous」 is blank
    with db.session(url) as s:
        df = intake.registrant_frame(s, SEC, mid)
        kato = df[df["name"] == "加藤 美咲"].iloc[0]
        assert (kato["attendance_mode"], kato["programs"], kato["note"]) == (
            "会場", "自立相談支援事業、家計改善支援事業", "会場参加に変更します")  # the later answer (完了時刻)
        reg = s.get(Registration, int(kato["id"]))
        assert reg.submitted_at == dt.datetime(2027, 1, 6, 11, 19, 9)
        assert {"ID", "開始時刻"} <= set(reg.extra)  # kept, not taken for a field


def test_ms_forms_survey_counts_each_option_of_a_multi_select(sqlite_url):
    table = formats.for_survey(read_table((DATA / "ms_forms_survey.xlsx").read_bytes(), "ms_forms_survey.xlsx"))
    assert table.notes[0] == "Microsoft Forms の回答（Excel）として読みました。"
    with db.session(sqlite_url) as s:
        mid = new_meeting(s)
        res = store.import_table(s, SEC, table, title="事後アンケート", meeting_id=mid)
        survey = store.load(s, res.survey_id)
    assert res.responses == 4 and res.notes[0] == table.notes[0]
    result = summarize(survey, with_terms=False)
    kinds = {q.title: q.kind for q in result.questions}
    assert kinds["開催内容についての希望"] == "multi"
    assert {kinds[h] for h in ("ID", "開始時刻", "完了時刻", "メール", "名前")} == {"identity"}
    wish = next(q for q in result.questions if q.title == "開催内容についての希望")
    assert dict(zip(wish.table.option, wish.table["count"], strict=True)) == {
        "テーマ別のディスカッション": 2, "講師を招いた勉強会": 2}


def test_cli_json_names_the_format_and_every_unplaced_row(setup, capsys):
    url, mid = setup
    code = cli.main(["--db", url, "registrations", "import", str(DATA / "peatix_attendees.csv"), "--meeting", str(mid),
                     "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (data["format"], data["format_label"], data["confidence"]) == ("peatix", "Peatix の参加者CSV", 1.0)
    assert [(u["row"], u["outcome"]) for u in data["unplaced"]] == [(4, "不参加"), (5, "不参加"), (6, "保留")]
    assert data["rows"] == (data["imported"] + data["updated"] + data["duplicates"] + len(data["quarantined"])
                            + len(data["cancelled"]))


@pytest.mark.parametrize("text, delimiter", [
    ("氏名;メール\n山田;a@example.org\n佐藤;b@example.org\n", ";"),
    ("sep=;\n氏名;メール\n山田;a@example.org\n佐藤;b@example.org\n", ";"),
    ("氏名\tメール\n山田\ta@example.org\n佐藤\tb@example.org\n", "\t"),
    ("氏名|メール\n山田|a@example.org\n佐藤|b@example.org\n", "|"),
    ('氏名,メール,備考\n山田,a@example.org,"A;B"\n佐藤,b@example.org,"C;D"\n', ","),
])
def test_the_delimiter_is_detected(text, delimiter):
    t = read_table(text.encode("utf-8"), "list.csv")
    assert (t.delimiter, t.headers[:2], [r[0] for r in t.rows]) == (delimiter, ["氏名", "メール"], ["山田", "佐藤"])


def test_a_status_column_that_is_not_sure_says_which_headers_differ():
    t = Table(headers=["参加枠名", "ユーザー名", "表示名", "参加ステータス", "お勤め先"], rows=[])
    d = formats.detect(t)
    assert d.id == "connpass" and d.confidence < formats.SURE
    assert "とみて読みました" in d.message() and "「出欠ステータス」" in d.message()
