"""The reports' counting rules on a hand-made history (figures computed by hand in history_world)."""

import pytest

from facilitation.errors import AccessDenied
from facilitation.history import participation, presence
from facilitation.meetings import schedule
from facilitation.meetings.counts import Counts
from facilitation.orgs import merges as org_merges
from facilitation.roles import SECRETARIAT_LOCAL, Viewer
from facilitation.storage import db
from tests import history_world as hw

COMMITTEE = Viewer(role="委員会")


def test_per_meeting_counts_and_report_lines(db_url):
    hw.make(db_url)
    h = hw.load(db_url)
    table = participation.meeting_table(h)
    # Only past meetings that were held: not the upcoming one, not the cancelled (中止) one.
    assert table["date"].tolist() == ["2024年6月10日（月）", "2024年10月10日（木）", "2025年2月10日（月）",
                                     "2025年6月10日（火）"]
    assert table["report_line"].tolist() == [
        "10名（4機関：団体2(6)・自治体1(2)・厚労省(2)）",  # p9 has no organisation: a person, no 機関
        "6名（4機関：団体3(5)・厚労省(1)）",
        "4名（3機関：団体2(2)・自治体1(2)）",  # no attendance data: non-cancelled registrations
        "6名（4機関：団体2(4)・自治体1(1)・厚労省(1)）",
    ]
    assert table["people"].tolist() == [10, 6, 4, 6]
    assert table["organisations"].tolist() == [4, 4, 3, 4]
    # Two ministry offices came to m1 (2 people) and count as one 機関.
    assert table.loc[0, ["people_national", "orgs_national"]].tolist() == [2, 1]
    assert table.loc[0, ["people_group", "orgs_group", "people_government", "orgs_government"]].tolist() \
        == [6, 2, 2, 1]
    # Every column has its Japanese header, in the order the page and the committee pack show them.
    assert [participation.MEETING_LABELS[c] for c in table.columns][:10] == [
        "年度", "日付", "会", "種別", "開催方法", "参加者数", "機関数", "団体（名）", "自治体（名）", "国（名）"]
    assert [participation.MEETING_LABELS[c] for c in table.columns][-2:] == ["運営スタッフ", "報告の表記"]


def test_counts_by_program(sqlite_url):
    hw.make(sqlite_url)
    table = participation.meeting_table(hw.load(sqlite_url)).set_index("date")
    m1 = table.loc["2024年6月10日（月）"].rename(participation.MEETING_LABELS)  # by the programs' names
    # A's people → 自立相談; C (municipality) → 自治体; p12 answered 就労準備 and 家計改善 → 家計改善
    # (the reports' order); p9 without organisation and the ministry → その他.
    assert (m1["自立相談支援事業"], m1["自治体"], m1["家計改善支援事業"], m1["就労準備支援事業"], m1["その他"]) \
        == (4, 2, 1, 0, 3)
    assert sum(m1[p] for p in participation.PROGRAM_CATEGORIES) == m1["参加者数"]


def test_line_matches_the_meetings_module_style(sqlite_url):
    counts = Counts(people=90, organisations=52, by_category={"団体": 67, "自治体": 13, "国": 6},
                            orgs_by_category={"団体": 42, "自治体": 9, "国": 1})
    assert counts.line_as("厚労省") == "90名（52機関：団体42(67)・自治体9(13)・厚労省(6)）"
    reference = schedule.MeetingCounts(people=90, organisations=52, by_category={"団体": 67, "自治体": 13, "国": 6},
                                       orgs_by_category={"団体": 42, "自治体": 9, "国": 1}, by_mode={},
                                       by_region={}, rooms=0, cancelled=0, capacity=None)
    assert counts.line == reference.line == "90名（52機関：団体42(67)・自治体9(13)・国(6)）"


def test_year_totals_nobe_and_distinct(sqlite_url):
    hw.make(sqlite_url)
    years = participation.year_table(hw.load(sqlite_url))
    assert years.to_dict("records") == [
        {"fiscal_year": "2024年度", "meetings": 3, "total": 20, "distinct_people": 12, "total_orgs": 11,
         "distinct_orgs": 6, "distinct_orgs_group": 4, "distinct_orgs_government": 1, "distinct_orgs_national": 1},
        {"fiscal_year": "2025年度", "meetings": 1, "total": 6, "distinct_people": 6, "total_orgs": 4,
         "distinct_orgs": 4, "distinct_orgs_group": 2, "distinct_orgs_government": 1, "distinct_orgs_national": 1},
    ]
    assert [participation.YEAR_LABELS[c] for c in years.columns] == [
        "年度", "開催回数", "延べ参加者数", "実人数", "延べ機関数", "実機関数", "団体（実機関）", "自治体（実機関）",
        "国（実機関）"]


def test_filters_by_year_kind_and_format(sqlite_url):
    hw.make(sqlite_url)
    h = hw.load(sqlite_url)
    assert participation.period_counts(participation.scoped(h, participation.Scope(fiscal_years=(2025,)))) == \
        {"meetings": 1, "total": 6, "distinct_people": 6, "distinct_orgs": 4}
    study = participation.scoped(h, participation.Scope(kinds=("勉強会",)))
    assert participation.meeting_table(study)["report_line"].tolist() == ["4名（3機関：団体2(2)・自治体1(2)）"]
    hybrid = participation.scoped(h, participation.Scope(formats=("ハイブリッド",)))
    assert participation.period_counts(hybrid)["total"] == 6


def test_organisation_at_the_time_and_merges(sqlite_url):
    world = hw.make(sqlite_url, merge=False)
    before = participation.meeting_table(hw.load(sqlite_url))
    # Without the merge, H (p11) is its own 機関 at m1: 5 機関.
    assert before.loc[0, "report_line"] == "10名（5機関：団体3(6)・自治体1(2)・厚労省(2)）"
    with db.session(sqlite_url) as s:
        org_merges.set_merge(s, SECRETARIAT_LOCAL, world.orgs["H"], world.orgs["A"])
    h = hw.load(sqlite_url)
    assert participation.meeting_table(h).loc[0, "report_line"] == "10名（4機関：団体2(6)・自治体1(2)・厚労省(2)）"
    matrix = presence.org_matrix(h).set_index("organisation")
    assert "NPO法人ひかり" not in matrix.index  # its history now belongs to the surviving A
    a = matrix.loc["NPOあおば"]
    # A: p1, p2 (facilitator), p10 (still at A then) and p11 (merged) at m1; p10 moved to B later.
    assert [a["2024年6月10日"], a["2024年10月10日"], a["2025年2月10日・勉強会"], a["2025年6月10日"]] == \
        ["4F", "3", "1", "2"]
    b = matrix.loc["みどり町社会福祉協議会"]
    assert [b["2024年6月10日"], b["2024年10月10日"], b["2025年2月10日・勉強会"], b["2025年6月10日"]] == \
        ["", "1", "1", "2"]  # p10 typed 「みどり町社協」 at m4: the same organisation
    assert matrix.loc["一般社団法人つばさ", "2024年10月10日"] == "1講"  # came as speaker
    assert matrix.loc["厚生労働省", "times"] == 3
    c = matrix.loc["しろ市役所福祉課"]
    assert (c["times"], c["first_came"], c["last_came"], c["streak"], c["longest_streak"]) == \
        (3, "2024年6月10日（月）", "2025年6月10日（火）", 2, 2)
    assert (c["region"], c["category"], c["target"]) == ("上川総合振興局", "自治体", "○")


def test_merge_rules(sqlite_url):
    world = hw.make(sqlite_url, merge=False)
    with db.session(sqlite_url) as s:
        org_merges.set_merge(s, SECRETARIAT_LOCAL, world.orgs["H"], world.orgs["A"])
        with pytest.raises(ValueError, match="循環"):
            org_merges.set_merge(s, SECRETARIAT_LOCAL, world.orgs["A"], world.orgs["H"])
        with pytest.raises(ValueError, match="同じ機関"):
            org_merges.set_merge(s, SECRETARIAT_LOCAL, world.orgs["A"], world.orgs["A"])
        with pytest.raises(AccessDenied):
            org_merges.set_merge(s, COMMITTEE, world.orgs["G"], world.orgs["A"])
        assert org_merges.merges(s) == {world.orgs["H"]: world.orgs["A"]}
        org_merges.remove_merge(s, SECRETARIAT_LOCAL, world.orgs["H"])
        assert org_merges.merges(s) == {}


def test_person_matrix_for_the_secretariat_only(sqlite_url):
    world = hw.make(sqlite_url)
    h = hw.load(sqlite_url)
    matrix = presence.person_matrix(h, SECRETARIAT_LOCAL).set_index("name")
    moved = matrix.loc[hw.NAMES["p10"]]
    assert moved["organisation"] == "みどり町社会福祉協議会"
    assert moved["times"] == 4 and moved["longest_streak"] == 4 and moved["email"] == hw.EMAILS["p10"]
    assert matrix.loc[hw.NAMES["p2"], "2024年6月10日"] == "F"
    assert matrix.loc[hw.NAMES["p8"], "2024年10月10日"] == "講"
    assert matrix.loc[hw.NAMES["p1"], "2025年6月10日"] == "○"
    assert len(matrix) == 12
    found = presence.search(matrix.reset_index(), "転居十和", ["name"])  # spaces ignored
    assert found["name"].tolist() == [hw.NAMES["p10"]]

    committee = hw.load(sqlite_url, COMMITTEE)
    assert {"name", "email"}.isdisjoint(committee.att.columns)
    with pytest.raises(AccessDenied):
        presence.person_matrix(committee, COMMITTEE)
    with pytest.raises(AccessDenied):  # even with the secretariat's data, the viewer decides
        presence.person_matrix(h, Viewer(role="ファシリテーター", meeting_id=world.meetings["m1"]))


def test_erased_person_keeps_counts_but_not_name(sqlite_url):
    import datetime as dt

    from facilitation.storage.models import Person

    world = hw.make(sqlite_url)
    with db.session(sqlite_url) as s:
        s.get(Person, world.people["p12"]).deleted_at = dt.datetime(2026, 1, 1)
    h = hw.load(sqlite_url)
    assert participation.meeting_table(h)["people"].tolist() == [10, 6, 4, 6]
    names = presence.person_matrix(h, SECRETARIAT_LOCAL)["name"].tolist()
    assert hw.NAMES["p12"] not in names and "（削除済み）" in names


def test_data_version_changes_with_edits(sqlite_url):
    from facilitation.storage.models import Attendance, Registration

    world = hw.make(sqlite_url)
    with db.session(sqlite_url) as s:
        v1 = participation.data_version(s)
    with db.session(sqlite_url) as s:
        reg = s.query(Registration).filter_by(meeting_id=world.meetings["m4"], person_id=world.people["p1"]).one()
        s.add(Attendance(registration=reg, mark="欠席"))
    with db.session(sqlite_url) as s:
        v2 = participation.data_version(s)
    assert v1 != v2
    with db.session(sqlite_url) as s:  # a tap corrected in place, same time stamp: still noticed
        mark = s.query(Attendance).filter_by(mark="遅刻").one()
        marked_at = mark.marked_at
        mark.mark, mark.marked_at = "欠席", marked_at
    with db.session(sqlite_url) as s:
        assert participation.data_version(s) != v2
    assert hw.load(sqlite_url).att.pipe(lambda a: len(a[a["meeting_id"] == world.meetings["m4"]])) == 5


def test_every_page_counts_a_meeting_the_same_way(sqlite_url):
    """The home page / registrations / report count (schedule.meeting_counts) and the history page /
    committee pack count (participation.counts_of) are one rule: no-organisation people are no 機関,
    the organisation is the one typed at that meeting, merges follow the surviving organisation."""
    world = hw.make(sqlite_url)
    history = hw.load(sqlite_url)
    checked = 0
    with db.session(sqlite_url) as s:
        for name, mid in world.meetings.items():
            if name not in hw.DATES or history.meetings.loc[mid, "has_attendance_data"]:
                continue  # registrations-only meetings: both count every registration not cancelled
            came = history.att[history.att["meeting_id"] == mid]
            assert schedule.meeting_counts(s, mid).line == participation.counts_of(came).line
            checked += 1
    assert checked >= 1
