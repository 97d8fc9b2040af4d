"""The domain model: organisation master, counting categories, dates, meetings."""

import datetime as dt

import pytest

from facilitation.demo import dataset
from facilitation.meetings import schedule
from facilitation.orgs import directory
from facilitation.storage import db
from facilitation.storage.models import Organisation
from facilitation.text import dates, vocab


def test_master_has_the_85_organisations_with_kinds_and_regions():
    rows = directory.read_master()
    assert len(rows) == 85
    assert {r.region for r in rows} <= set(vocab.ALL_AREAS)
    assert {r.kind for r in rows} <= set(vocab.ORG_KINDS)
    by_no = {r.no: r for r in rows}
    assert by_no[44].region == "日高振興局"  # printed under 胆振, but 新ひだか町 is in 日高
    assert by_no[21].kind == "社協" and "江別市社協" in by_no[21].aliases
    assert by_no[13].kind == "自治体" and by_no[13].gov_mode == "委託元"
    assert "りんく" in by_no[10].aliases and "JOIN" in by_no[14].aliases and "ふらっと" in by_no[77].aliases
    assert sum(r.facilitator_body for r in rows) == 16  # the ★ marks in the printed list


@pytest.mark.parametrize("typed, no", [
    ("りんく", 10), ("ふらっと", 77), ("JOIN", 14), ("ｊｏｉｎ", 14), ("江別市社協", 21),
    ("NPO法人ベトサダ", 16), ("（特非）ベトサダ", 16), ("釧路市役所 福祉部生活福祉事務所", 80),
])
def test_find_exact_by_name_or_alias(sqlite_url, typed, no):
    with db.session(sqlite_url) as s:
        loaded = directory.load_master(s)
        found = directory.find_exact(s, typed)
        assert found is not None and found.id == loaded[no].id


def test_load_master_is_idempotent(db_url):
    with db.session(db_url) as s:
        directory.load_master(s)
    with db.session(db_url) as s:
        directory.load_master(s)
        assert s.query(Organisation).count() == 85


@pytest.mark.parametrize("kind, category", [
    ("自治体", "自治体"), ("振興局", "自治体"), ("道", "自治体"), ("国", "国"), ("社協", "団体"), ("NPO等", "団体"),
])
def test_count_category(kind, category):
    assert vocab.count_category(kind) == category


def test_japanese_dates_and_fiscal_years():
    assert dates.ja_date(dt.date(2021, 12, 17)) == "2021年12月17日（金）"
    assert dates.fiscal_year(dt.date(2022, 3, 31)) == 2021
    assert dates.fiscal_year(dt.date(2022, 4, 1)) == 2022
    assert dates.wareki_fiscal_year(2021) == "令和3年度"
    assert dates.wareki_year(2019, 5, 1) == "令和元年"


def test_meeting_validation_speaks_japanese():
    with pytest.raises(schedule.MeetingError, match="開催方法"):
        schedule._check(schedule.MeetingInput(title="x", starts_at=dt.datetime(2026, 1, 1), format="Zoom"))
    with pytest.raises(schedule.MeetingError, match="終了時刻"):
        schedule._check(schedule.MeetingInput(title="x", starts_at=dt.datetime(2026, 1, 1, 14),
                                              ends_at=dt.datetime(2026, 1, 1, 13)))


def test_counts_line_counts_the_ministry_as_one_organisation():
    c = schedule.MeetingCounts(people=90, organisations=52, by_category={"団体": 67, "自治体": 13, "国": 6},
                               orgs_by_category={"団体": 42, "自治体": 9, "国": 1}, by_mode={}, by_region={},
                               rooms=10, cancelled=0, capacity=100)
    assert c.line == "90名（52機関：団体42(67)・自治体9(13)・国(6)）"


def test_demo_history_is_deterministic_and_believable(tmp_path):
    made = []
    for name in ("a", "b"):
        url = f"sqlite:///{tmp_path / name}.sqlite3"
        with db.session(url) as s:
            dataset.generate(s)
        with db.session(url) as s:
            ms = schedule.list_meetings(s)
            made.append([(m.title, m.starts_at, schedule.meeting_counts(s, m.id).line) for m in ms])
    assert made[0] == made[1]
    assert len(made[0]) >= 7
    upcoming = [m for m in made[0] if m[1] > dt.datetime(2026, 11, 22)]
    assert len(upcoming) == 1
    sizes = [int(line.split("名")[0]) for _, _, line in made[0]]
    assert max(sizes) >= 80 and min(sizes) <= 15  # churn like 27, 49, 90, 69, 12
    assert all(m[1].weekday() < 5 for m in made[0])


def test_demo_people_are_fictional(demo_url):
    from facilitation.storage.models import Person

    with db.session(demo_url) as s:
        emails = [p.email for p in s.query(Person)]
    assert emails and all(e.endswith("@example.org") for e in emails)
