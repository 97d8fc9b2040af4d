"""Organisation matching: the 85 network organisations typed the ways people type them."""

import csv
import datetime as dt
from pathlib import Path

import pytest

from facilitation.meetings import schedule
from facilitation.orgs import directory, matching
from facilitation.registrations.models import OrgReview
from facilitation.storage import db
from facilitation.storage.models import Organisation, Person, Registration

DATA = Path(__file__).parent / "data" / "registrations"


@pytest.fixture
def master(sqlite_url):
    with db.session(sqlite_url) as s:
        by_no = {no: o.id for no, o in directory.load_master(s).items()}
    return sqlite_url, by_no


def variants():
    with (DATA / "org_variants.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_every_organisation_typed_every_way_is_matched_back(master):
    url, by_no = master
    rows = variants()
    assert {int(r["no"]) for r in rows} == set(range(1, 86))  # all 85 organisations
    wrong, missed, auto = [], [], 0
    with db.session(url) as s:
        m = matching.OrgMatcher(s)
        for r in rows:
            want = by_no[int(r["no"])]
            got = m.match(r["typed"])
            if got.org_id is not None and got.org_id != want:
                wrong.append((r["typed"], got.candidates[:2]))
            elif r["expect"] == "match":
                if got.org_id == want:
                    auto += 1
                elif want not in [c["id"] for c in got.candidates[:3]]:
                    missed.append(r["typed"])
    assert wrong == []  # never silently the wrong organisation
    assert missed == []  # the right one is at least among the review's first three suggestions
    expected = sum(r["expect"] == "match" for r in rows)
    assert auto / expected > 0.95, (auto, expected)


@pytest.mark.parametrize("typed, no", [
    ("りんく", 10), ("ふらっと", 77), ("JOIN", 14), ("ＪＯＩＮ", 14), ("（特非）ベトサダ", 16),
    ("一社 札幌一時生活支援協議会 札幌市ホームレス相談支援センターJOIN 基幹センター", 14),
    ("ＮＰＯ　法人　みんなの広場", 17), ("江別市社協", 21),
])
def test_short_names_full_width_and_abbreviations(master, typed, no):
    url, by_no = master
    with db.session(url) as s:
        assert matching.match_org(s, typed).org_id == by_no[no]


def test_unknown_name_goes_to_review_and_confirming_makes_an_alias(master):
    url, by_no = master
    with db.session(url) as s:
        org = s.get(Organisation, by_no[46])  # こみっと
        person = Person(name="浦河 花子", name_key="うらかわはなこ")
        s.add(person)
        s.flush()
        mt = schedule.add_meeting(s, schedule.MeetingInput(title="会", starts_at=dt.datetime(2027, 1, 5, 14)))
        s.add(Registration(meeting_id=mt.id, person_id=person.id, org_text="浦河の相談センター こみっと（仮）"))
        m = matching.match_org(s, "浦河の相談センター こみっと（仮）")
        assert m.needs_review and m.org_id is None
        assert matching.queue(s, [m], mt.id) == 1
        assert matching.queue(s, [m], mt.id) == 0  # the same spelling is one entry, seen twice
        review = s.query(OrgReview).one()
        assert review.seen == 2
        assert list(matching.pending_frame(s, mt.id)["入力された名称"]) == ["浦河の相談センターこみっと(仮)"]
        assert matching.confirm(s, review.id, org.id, actor="事務局") == 1
        assert s.get(Person, person.id).organisation_id == org.id
        assert matching.pending(s) == []
        # The confirmed spelling is now an alias: it matches exactly, without review.
        assert matching.match_org(s, "浦河の相談センター　こみっと（仮）").org_id == org.id


def test_create_new_organisation_from_review(master):
    url, _ = master
    with db.session(url) as s:
        m = matching.match_org(s, "NPO法人 はまなす生活相談室")
        assert m.needs_review
        matching.queue(s, [m])
        review = s.query(OrgReview).one()
        org = matching.create_and_confirm(s, review.id, "NPO法人はまなす生活相談室", "NPO等", "渡島総合振興局")
        assert org.region == "渡島総合振興局"
        assert matching.match_org(s, "（特非）はまなす生活相談室").org_id == org.id
        lone = OrgReview(text="どこにも似ていない名前", text_key="どこにもにていないなまえ", candidates=[], score=0)
        s.add(lone)
        s.flush()
        with pytest.raises(ValueError, match="候補がありません"):
            matching.confirm(s, lone.id)
        with pytest.raises(ValueError, match="名称を入力"):
            matching.create_and_confirm(s, lone.id, " ", "NPO等", "石狩振興局")
