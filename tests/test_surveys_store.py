"""Surveys in the database: import and link to registrations, attributes, trend, tags, roles, erasure."""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from facilitation.access import privacy
from facilitation.errors import AccessDenied
from facilitation.files.tabular import Table, read_table
from facilitation.meetings import schedule
from facilitation.roles import COMMITTEE, FACILITATOR, SECRETARIAT_LOCAL, Viewer
from facilitation.storage import db
from facilitation.storage.models import Assignment, Organisation, Person, Registration, Room
from facilitation.surveys import comments, store
from facilitation.surveys.models import SurveyCommentTag, SurveyResponse
from facilitation.surveys.summary import crosstab
from facilitation.text.normalize import org_key, person_key

DATA = Path(__file__).parent / "data" / "surveys"
USEFUL = "情報交換会に参加して、いかがでしたか"
COMMENT = "ご意見・ご感想"
COMMITTEE_VIEWER = Viewer(role=COMMITTEE, email="iin@example.jp")
SEC = SECRETARIAT_LOCAL


def _org(s, name, kind, region):
    o = Organisation(name=name, kind=kind, region=region, name_key=org_key(name))
    s.add(o)
    return o


def _person(s, name, email, org):
    p = Person(name=name, email=email, organisation=org, name_key=person_key(name))
    s.add(p)
    return p


@pytest.fixture
def network(db_url):
    """Two meetings; the second has two rooms and registrations matching the evaluation file."""
    with db.session(db_url) as s:
        m1 = schedule.add_meeting(s, schedule.MeetingInput(title="第1回 情報交換会", starts_at=dt.datetime(2021, 6, 4, 14)))
        m2 = schedule.add_meeting(s, schedule.MeetingInput(title="第3回 情報交換会", starts_at=dt.datetime(2021, 12, 17, 14)))
        rinku = _org(s, "NPO法人りんく", "NPO等", "石狩振興局")
        sapporo = _org(s, "札幌市社会福祉協議会", "社協", "石狩振興局")
        asahikawa = _org(s, "旭川市", "自治体", "上川総合振興局")
        kato = _person(s, "加藤 花子", "kato@example.jp", rinku)
        sato = _person(s, "佐藤 一郎", "sato@example.jp", sapporo)
        suzuki = _person(s, "鈴木 次郎", "jiro.suzuki@city.example.jp", asahikawa)  # another address
        s.flush()
        r1 = Room(meeting_id=m2.id, position=1, name="ルーム1 家計改善")
        r2 = Room(meeting_id=m2.id, position=2, name="ルーム2 自治体")
        s.add_all([r1, r2])
        s.add(Registration(meeting_id=m1.id, person_id=kato.id, org_text="りんく"))
        regs = [Registration(meeting_id=m2.id, person_id=p.id, org_text=t)
                for p, t in ((kato, "りんく"), (sato, "札幌市社協"), (suzuki, "旭川市役所"))]
        s.add_all(regs)
        s.flush()
        s.add_all([Assignment(registration_id=regs[0].id, room_id=r1.id),
                   Assignment(registration_id=regs[1].id, room_id=r1.id),
                   Assignment(registration_id=regs[2].id, room_id=r2.id)])
        ids = {"m1": m1.id, "m2": m2.id, "room1": r1.id, "room2": r2.id, "kato": kato.id, "regs": [r.id for r in regs]}
    return db_url, ids


def _import(url, meeting_id, name="evaluation_utf8.csv", survey_id=None):
    table = read_table((DATA / name).read_bytes(), name)
    with db.session(url) as s:
        return store.import_table(s, SECRETARIAT_LOCAL, table, title="第3回アンケート", meeting_id=meeting_id,
                                  source_ref=name, survey_id=survey_id)


def test_import_links_by_email_then_name_and_organisation(network):
    url, ids = network
    result = _import(url, ids["m2"])
    assert (result.responses, result.linked_by_email, result.linked_by_name) == (12, 2, 1)
    assert "照合できず 9件" in result.message()
    with db.session(url) as s:
        rows = s.scalars(select(SurveyResponse).order_by(SurveyResponse.position)).all()
        assert [r.link_method for r in rows[:3]] == ["email", "email", "name_org"]  # Sato@Example.jp too
        assert rows[2].registration_id == ids["regs"][2]
        attrs = store.attributes(s, result.survey_id)
        infos = store.list_surveys(s)
    assert attrs.iloc[:3][["room", "sector", "region", "first_time"]].values.tolist() == [
        ["ルーム1 家計改善", "NPO等", "石狩", "2回目以上"],
        ["ルーム1 家計改善", "社協", "石狩", "初参加"],
        ["ルーム2 自治体", "自治体", "上川", "初参加"]]
    assert set(attrs.room.iloc[3:]) == {store.UNLINKED}
    assert (infos[0].responses, infos[0].linked) == (12, 3)


def test_crosstab_by_room_after_linking(network):
    url, ids = network
    sid = _import(url, ids["m2"]).survey_id
    with db.session(url) as s:
        survey = store.load(s, sid)
        attrs = store.attributes(s, sid)
    table = crosstab(survey, USEFUL, attrs.room.tolist())
    room1 = table[table.group == "ルーム1 家計改善"].set_index("option")
    assert room1.loc["とても役に立った", "count"] == 1 and room1.loc["役に立った", "count"] == 1
    assert room1.base.iloc[0] == 2 and room1.loc["役に立った", "percent"] == 50.0


def test_corrections_are_stored_and_reimport_keeps_tags(network):
    url, ids = network
    sid = _import(url, ids["m2"]).survey_id
    with db.session(url) as s:
        store.set_corrections(s, SEC, sid, kinds={"希望する開催頻度": "text"})
        rid = store.response_ids(s, sid)[0]
        comments.set_tags(s, SECRETARIAT_LOCAL, rid, COMMENT, ["財政面", "連携", "財政面"])
    _import(url, ids["m2"], survey_id=sid)
    with db.session(url) as s:
        assert store.load(s, sid).question("希望する開催頻度").kind == "text"
        assert store.comment_tags(s, sid, COMMENT) == {rid: ["財政面", "連携"]}
        assert len(store.response_ids(s, sid)) == 12
        with pytest.raises(store.SurveyError):
            store.set_corrections(s, SEC, sid, kinds={"希望する開催頻度": "なんでも"})


def test_comments_filters_tags_and_keyword_in_context(network):
    url, ids = network
    sid = _import(url, ids["m2"]).survey_id
    with db.session(url) as s:
        assert store.tag_names(s)[:3] == ["財政面", "人材面", "連携"]
        assert store.set_tag_names(s, SEC, ["財源", " 人材 ", "財源", ""]) == ["財源", "人材"]
        rids = store.response_ids(s, sid)
        comments.set_tags(s, SECRETARIAT_LOCAL, rids[10], COMMENT, ["財源"])
        all_comments = comments.comments(s, SECRETARIAT_LOCAL, sid, COMMENT)
        tagged = comments.comments(s, SECRETARIAT_LOCAL, sid, COMMENT, tags=["財源"])
        hikikomori = comments.comments(s, SECRETARIAT_LOCAL, sid, COMMENT, keyword="ヒキコモリ")
        room1 = comments.comments(s, SECRETARIAT_LOCAL, sid, COMMENT, groups={"room": ["ルーム1 家計改善"]})
        kwic = comments.keyword_in_context(s, SECRETARIAT_LOCAL, sid, COMMENT, "連携", width=6)
        other = comments.comments(s, SECRETARIAT_LOCAL, sid, "希望する開催頻度")
        counts = comments.tag_counts(s, sid, COMMENT)
    assert len(all_comments) == 9
    assert tagged.row.tolist() == [11] and tagged.tags.iloc[0] == ["財源"]
    assert hikikomori.row.tolist() == [11]  # ひきこもり written in hiragana
    assert room1.row.tolist() == [1, 2]
    assert kwic[["row", "left", "match", "right"]].values.tolist() == [[9, "社協との", "連携", "や関係機関と"],
                                                                     [9, "関係機関との", "連携", "、地域づくり"]]
    assert other.text.tolist() == ["年度初めに1回"]  # 「その他」 texts of a choice question
    assert counts.values.tolist() == [["財源", 1], ["人材", 0]]


def test_committee_sees_results_but_no_names_or_comments(network):
    url, ids = network
    sid = _import(url, ids["m2"]).survey_id
    with db.session(url) as s:
        result = comments.results(s, COMMITTEE_VIEWER, sid)
        with pytest.raises(AccessDenied):
            comments.comments(s, COMMITTEE_VIEWER, sid, COMMENT)
        with pytest.raises(AccessDenied):
            comments.keyword_in_context(s, COMMITTEE_VIEWER, sid, COMMENT, "連携")
        with pytest.raises(AccessDenied):
            comments.set_tags(s, COMMITTEE_VIEWER, store.response_ids(s, sid)[0], COMMENT, ["連携"])
        secretariat = comments.results(s, SECRETARIAT_LOCAL, sid)
    assert not any(q.kind == "identity" for q in result.questions)
    assert result.question("希望する開催頻度").other_texts == []
    assert secretariat.question("希望する開催頻度").other_texts == ["年度初めに1回"]
    # The same counts where shown; none of 1 to k−1 (k = 5), the others 「非表示」 (disclosure);
    # not-applicable answers are not listed to the committee.
    full = secretariat.question(USEFUL).counts()
    shown = result.question(USEFUL).counts()
    assert set(shown) <= set(full) and "非表示" in shown.values()
    assert all(c == "非表示" or c == full[o] and (c == 0 or c >= 5) for o, c in shown.items())
    assert not [o for o in shown if o == "参加できなかった"]
    terms = result.question(COMMENT).terms
    assert (terms.documents >= 5).all() and len(terms) < len(secretariat.question(COMMENT).terms)


def test_facilitator_reads_only_own_room_comments(network):
    url, ids = network
    sid = _import(url, ids["m2"]).survey_id
    room2 = Viewer(role=FACILITATOR, email="f@example.jp", meeting_id=ids["m2"], room_id=ids["room2"])
    elsewhere = Viewer(role=FACILITATOR, email="f@example.jp", meeting_id=ids["m1"], room_id=ids["room2"])
    with db.session(url) as s:
        mine = comments.comments(s, room2, sid, COMMENT)
        room1_viewer = Viewer(role=FACILITATOR, meeting_id=ids["m2"], room_id=ids["room1"])
        theirs = comments.comments(s, room1_viewer, sid, COMMENT)
        with pytest.raises(AccessDenied):
            comments.results(s, elsewhere, sid)
    assert mine.empty  # 鈴木 (room 2) left no comment
    assert theirs.row.tolist() == [1, 2]


def test_trend_of_the_useful_share_across_meetings(network):
    url, ids = network
    _import(url, ids["m2"])
    earlier = Table(headers=["タイムスタンプ", USEFUL],
                    rows=[["2021/06/04 16:00:00", v] for v in
                          ["とても役に立った", "役に立った", "役に立たなかった", "あまり役に立たなかった", "参加できなかった"]])
    with db.session(url) as s:
        store.import_table(s, SECRETARIAT_LOCAL, earlier, title="第1回アンケート", meeting_id=ids["m1"])
        trend = store.trend(s, USEFUL)
        assert USEFUL in store.trend_candidates(s)
    assert trend.survey.tolist() == ["第1回アンケート", "第3回アンケート"]  # oldest meeting first
    assert trend.positive_share.tolist() == [50.0, 90.0]
    assert trend[["n", "base", "positive"]].values.tolist() == [[5, 4, 2], [11, 10, 9]]


def test_privacy_erasure_clears_survey_identity(network):
    url, ids = network
    sid = _import(url, ids["m2"]).survey_id
    with db.session(url) as s:
        privacy.forget_person(s, SECRETARIAT_LOCAL, ids["kato"])
    with db.session(url) as s:
        first = s.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == sid)
                          .order_by(SurveyResponse.position)).first()
        assert (first.email, first.name) == ("", privacy.ERASED_NAME)
        assert "kato@example.jp" not in first.answers_raw and "加藤 花子" not in first.answers_raw
        # The answers still count.
        assert comments.results(s, SECRETARIAT_LOCAL, sid).question(USEFUL).n == 11


def test_the_answer_time_is_kept_as_the_registrations_read_it(sqlite_url):
    """One Google Forms timestamp reader: a survey keeps the time of day of every form of it."""
    stamps = ["2026/12/10 16:30:00", "2026年12月10日 16:31", "2026/12/10 午後4:32:00", "2026-12-10T16:33:00",
              "2026/12/10 16:34:00.250"]
    table = Table(headers=["タイムスタンプ", USEFUL], rows=[[t, "役に立った"] for t in stamps])
    with db.session(sqlite_url) as s:
        sid = store.import_table(s, SECRETARIAT_LOCAL, table, title="時刻", meeting_id=None).survey_id
        got = s.scalars(select(SurveyResponse.submitted_at).where(SurveyResponse.survey_id == sid)
                        .order_by(SurveyResponse.position)).all()
    assert got == [dt.datetime(2026, 12, 10, 16, 30 + i) for i in range(5)]


def test_unknown_meeting_is_a_japanese_error(sqlite_url):
    table = read_table((DATA / "evaluation_utf8.csv").read_bytes(), "x.csv")
    with db.session(sqlite_url) as s, pytest.raises(store.SurveyError, match="見つかりません"):
        store.import_table(s, SECRETARIAT_LOCAL, table, title="x", meeting_id=999)


def test_only_the_secretariat_imports_a_survey(sqlite_url):
    table = read_table((DATA / "evaluation_utf8.csv").read_bytes(), "x.csv")
    for viewer in (COMMITTEE_VIEWER, Viewer(role=FACILITATOR, meeting_id=1, room_id=1)):
        with db.session(sqlite_url) as s, pytest.raises(AccessDenied, match="事務局のみ"):
            store.import_table(s, viewer, table, title="x", meeting_id=None)
    with db.session(sqlite_url) as s:
        assert store.list_surveys(s) == []  # nothing stored by the refused imports


def test_import_from_a_google_sheet_tab_in_one_request(sqlite_url):
    import csv

    from facilitation.sheets.emulator import SheetsEmulator
    from facilitation.sheets.gsheets import SheetsClient

    values = list(csv.reader((DATA / "evaluation_utf8.csv").read_text(encoding="utf-8").splitlines()))
    with SheetsEmulator() as emu:
        emu.add_spreadsheet("survey-key-123456", {"フォームの回答 1": values}, title="事後アンケート（回答）")
        emu.reset_counts()
        url = "https://docs.google.com/spreadsheets/d/survey-key-123456/edit#gid=0"
        table = SheetsClient(endpoint=emu.url).fetch(url, ["フォームの回答 1"])["フォームの回答 1"]
        assert emu.request_count == 1
    with db.session(sqlite_url) as s:
        sid = store.import_table(s, SECRETARIAT_LOCAL, table, title="シートから", meeting_id=None, source="sheet",
                                 source_ref=f"{url}#フォームの回答 1").survey_id
        result = comments.results(s, SECRETARIAT_LOCAL, sid)
    assert result.respondents == 12
    assert result.question(USEFUL).counts()["とても役に立った"] == 4
    assert result.question("開催内容についての希望(複数選択可)").base == 9


def test_cli_import_and_list(network, capsys):
    import json

    from facilitation import cli

    url, ids = network
    path = str(DATA / "evaluation_cp932.csv")
    assert cli.main(["--db", url, "surveys", "import", path, "--meeting", str(ids["m2"]), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["responses"], out["linked_by_email"], out["linked_by_name"]) == (12, 2, 1)
    assert cli.main(["--db", url, "surveys", "list"]) == 0
    assert "evaluation_cp932" in capsys.readouterr().out


def test_the_same_file_again_is_recognised_not_doubled(network):
    url, ids = network
    first = _import(url, ids["m2"])
    again = _import(url, ids["m2"])
    assert again.outcome == store.SAME and again.survey_id == first.survey_id
    assert "すでに取り込まれています" in again.message() and "第3回アンケート" in again.message()
    assert (again.responses, again.linked) == (12, 3)
    with db.session(url) as s:
        assert [i.id for i in store.list_surveys(s)] == [first.survey_id]
        assert len(store.response_ids(s, first.survey_id)) == 12


def test_a_file_with_responses_added_since_extends_the_stored_survey(network):
    url, ids = network
    table = read_table((DATA / "evaluation_utf8.csv").read_bytes(), "evaluation_utf8.csv")
    shorter = Table(headers=table.headers, rows=table.rows[:10])
    with db.session(url) as s:
        first = store.import_table(s, SECRETARIAT_LOCAL, shorter, title="第3回アンケート", meeting_id=ids["m2"])
        rid = store.response_ids(s, first.survey_id)[0]
        comments.set_tags(s, SECRETARIAT_LOCAL, rid, COMMENT, ["連携"])
    later = _import(url, ids["m2"])
    assert later.outcome == store.APPENDED and later.survey_id == first.survey_id
    assert later.added == 2 and "新しい回答 2件を追加しました" in later.message()
    with db.session(url) as s:
        assert len(store.list_surveys(s)) == 1
        assert len(store.response_ids(s, first.survey_id)) == 12
        assert store.comment_tags(s, first.survey_id, COMMENT) == {rid: ["連携"]}


def test_a_different_file_is_a_new_survey(network):
    url, ids = network
    first = _import(url, ids["m2"])
    table = read_table((DATA / "evaluation_utf8.csv").read_bytes(), "evaluation_utf8.csv")
    other = Table(headers=table.headers, rows=table.rows[1:])  # a stored row missing: not the same responses
    with db.session(url) as s:
        second = store.import_table(s, SECRETARIAT_LOCAL, other, title="別のアンケート", meeting_id=ids["m1"])
        assert second.outcome == store.NEW and second.survey_id != first.survey_id
        assert len(store.list_surveys(s)) == 2


def test_deleting_a_survey_takes_its_responses_and_tags_and_nothing_else(network):
    url, ids = network
    kept = _import(url, ids["m2"]).survey_id
    table = read_table((DATA / "evaluation_utf8.csv").read_bytes(), "evaluation_utf8.csv")
    with db.session(url) as s:
        wrong = store.import_table(s, SEC, Table(headers=table.headers, rows=table.rows[:3]), title="試しに取り込んだもの",
                                   meeting_id=None).survey_id
        comments.set_tags(s, SEC, store.response_ids(s, wrong)[0], COMMENT, ["連携"])
        comments.set_tags(s, SEC, store.response_ids(s, kept)[0], COMMENT, ["連携"])
    with db.session(url) as s:
        assert store.delete_survey(s, SEC, wrong) == "試しに取り込んだもの"
    with db.session(url) as s:
        assert [i.id for i in store.list_surveys(s)] == [kept]
        assert s.scalar(select(func.count()).select_from(SurveyResponse)) == 12  # the kept survey's rows only
        assert s.scalar(select(func.count()).select_from(SurveyCommentTag)) == 1
        with pytest.raises(store.SurveyError, match="すでに削除されています"):
            store.delete_survey(s, SEC, wrong)


def test_only_the_secretariat_tags_and_reads_every_other_text(network):
    """Tags and the 「その他」 texts of every room are the secretariat's: the domain trims and refuses
    (issue 14), not only the page."""
    url, ids = network
    sid = _import(url, ids["m2"]).survey_id
    facilitator = Viewer(role=FACILITATOR, email="link:f1", meeting_id=ids["m2"], room_id=ids["room1"])
    with db.session(url) as s:
        rid = store.response_ids(s, sid)[0]
        for other in (COMMITTEE_VIEWER, facilitator):
            assert comments.results(s, other, sid).question("希望する開催頻度").other_texts == []
            with pytest.raises(AccessDenied, match="事務局のみ"):
                store.set_tag_names(s, other, ["書き換え"])
            with pytest.raises(AccessDenied, match="事務局のみ"):
                store.set_comment_tags(s, other, rid, COMMENT, ["連携"])
            with pytest.raises(AccessDenied, match="事務局のみ"):
                comments.set_tags(s, other, rid, COMMENT, ["連携"])
            with pytest.raises(AccessDenied, match="事務局のみ"):
                store.set_corrections(s, other, sid, kinds={"希望する開催頻度": "text"})
            with pytest.raises(AccessDenied, match="事務局のみ"):
                store.delete_survey(s, other, sid)
        assert store.tag_names(s)[:3] == ["財政面", "人材面", "連携"]
        assert store.comment_tags(s, sid, COMMENT) == {} and store.load(s, sid).kinds == {}
        assert [i.id for i in store.list_surveys(s)].count(sid) == 1
        assert comments.results(s, SEC, sid).question("希望する開催頻度").other_texts == ["年度初めに1回"]
