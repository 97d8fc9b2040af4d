"""Organisation matching: the 85 network organisations typed the ways people type them."""

import csv
import datetime as dt
from pathlib import Path

import pytest

from facilitation.errors import AccessDenied
from facilitation.meetings import schedule
from facilitation.orgs import directory, matching
from facilitation.orgs.models import OrgReview
from facilitation.roles import COMMITTEE, FACILITATOR, Viewer
from facilitation.storage import db
from facilitation.storage.models import Organisation, Person, Registration

SEC = Viewer(role="事務局", email="sec@example.org")
OTHERS = [Viewer(role=COMMITTEE, email="iinkai@example.org"), Viewer(role=FACILITATOR, meeting_id=1, room_id=1)]

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
        # shown as typed (brackets and space kept); matched by key
        assert list(matching.pending_frame(s, SEC, mt.id)["text"]) == ["浦河の相談センター こみっと（仮）"]
        for other in OTHERS:  # the domain refuses, whatever page or command asks
            for refused in (lambda v: matching.pending(s, v), lambda v: matching.pending_frame(s, v, mt.id),
                            lambda v: matching.confirm(s, v, review.id, org.id),
                            lambda v: matching.confirm_above(s, v, 0),
                            lambda v: matching.create_and_confirm(s, v, review.id, "新しい機関", "NPO等", "日高振興局")):
                with pytest.raises(AccessDenied, match="事務局だけ"):
                    refused(other)
        assert s.get(Person, person.id).organisation_id is None and matching.pending_count(s, mt.id) == 1
        assert matching.confirm(s, SEC, review.id, org.id) == 1
        assert review.resolved_by == "sec@example.org"
        assert s.get(Person, person.id).organisation_id == org.id
        assert matching.pending(s, SEC) == []
        # The confirmed spelling is now an alias: it matches exactly, without review.
        assert matching.match_org(s, "浦河の相談センター　こみっと（仮）").org_id == org.id


def test_create_new_organisation_from_review(master):
    url, _ = master
    with db.session(url) as s:
        m = matching.match_org(s, "NPO法人 はまなす生活相談室")
        assert m.needs_review
        matching.queue(s, [m])
        review = s.query(OrgReview).one()
        org = matching.create_and_confirm(s, SEC, review.id, "NPO法人はまなす生活相談室", "NPO等", "渡島総合振興局")
        assert org.region == "渡島総合振興局"
        assert matching.match_org(s, "（特非）はまなす生活相談室").org_id == org.id
        lone = OrgReview(text="どこにも似ていない名前", text_key="どこにもにていないなまえ", candidates=[], score=0)
        s.add(lone)
        s.flush()
        with pytest.raises(ValueError, match="候補がありません"):
            matching.confirm(s, SEC, lone.id)
        with pytest.raises(ValueError, match="名称を入力"):
            matching.create_and_confirm(s, SEC, lone.id, " ", "NPO等", "石狩振興局")


# --- a city office is never its 社協; evidence ranks the candidates (issue 14) -------------------

AREAS = Path(__file__).resolve().parent.parent / "facilitation" / "data" / "hokkaido_areas.csv"


def cities():
    with AREAS.open(encoding="utf-8") as f:
        return [c for r in csv.DictReader(f) for c in r["cities_with_welfare_office"].split(";") if c]


def test_a_city_office_and_its_shakyo_are_never_matched_to_each_other(master):
    url, by_no = master
    with db.session(url) as s:
        kinds = {o.id: o.kind for o in s.query(Organisation)}
        m = matching.OrgMatcher(s)
        reported = {t: m.match(t) for t in ("恵庭市社会福祉課", "石狩市", "江別市")}
        assert all(r.org_id is None and r.needs_review for r in reported.values())
        assert reported["恵庭市社会福祉課"].candidates[0]["id"] == by_no[24]  # 恵庭市役所, not its 社協
        wrong = []
        for city in cities():  # every city with a welfare office, typed the ways city staff type it
            for typed in (city, f"{city}役所", f"{city} 福祉課", f"{city}社会福祉課", f"{city}役所 生活支援係"):
                got = m.match(typed)
                if got.org_id is not None and kinds[got.org_id] != "自治体":
                    wrong.append((typed, kinds[got.org_id]))
            got = m.match(f"{city}社協 自立相談支援センター")
            if got.org_id is not None and kinds[got.org_id] != "社協":
                wrong.append((f"{city}社協", kinds[got.org_id]))
        assert len(cities()) == 35 and wrong == []


@pytest.mark.parametrize("typed, evidence, no", [
    ("千歳市 福祉課", {}, 23),  # 赤平市役所社会福祉課 was preselected, 千歳市役所 not in the first five
    ("ウィルワーク", {"region": "十勝総合振興局"}, 76),  # not るもい, though the names tie
    ("ウィルワーク", {"region": "留萌振興局"}, 66),
    ("ウィルワーク", {"email": "soudan@willwork-kamikawa.example.jp", "region": "上川総合振興局"}, 54),
    ("福祉課", {"email": "fukushi@city.chitose.lg.jp"}, 23),  # the lg.jp domain names the city
    ("市役所", {"department": "恵庭市 保健福祉部福祉課"}, 24),
    ("社会福祉協議会", {"region": "根室振興局"}, 85),
])
def test_municipality_region_department_and_domain_rank_the_candidates(master, typed, evidence, no):
    url, by_no = master
    with db.session(url) as s:
        got = matching.OrgMatcher(s).match(typed, matching.Evidence(**evidence))
    assert got.candidates[0]["id"] == by_no[no], got.candidates[:3]


def test_colleagues_with_the_same_email_domain_point_to_their_organisation(master):
    url, by_no = master
    with db.session(url) as s:
        s.add(Person(name="上川 一郎", name_key="かみかわいちろう", email="ichiro@ww-k.example.jp",
                     organisation_id=by_no[54]))
        s.flush()
        m = matching.OrgMatcher(s)
        assert m.match("ウィルワーク", matching.Evidence(email="jiro@ww-k.example.jp")).candidates[0]["id"] == by_no[54]
        # Free mail says nothing: the tie stays a tie for the secretariat.
        free = m.match("ウィルワーク", matching.Evidence(email="jiro@gmail.com"))
        assert free.needs_review and {c["id"] for c in free.candidates[:3]} == {by_no[54], by_no[66], by_no[76]}


EIGHT = [  # the names of one meeting's review queue, with what each registrant also wrote
    ("千歳市 福祉課", {"region": "石狩振興局"}, 23),
    ("ウィルワーク", {"region": "十勝総合振興局"}, 76),
    ("恵庭市社会福祉課", {"region": "石狩振興局"}, 24),
    ("旭川市 生活支援課", {"email": "a@city.asahikawa.lg.jp"}, 55),
    ("名寄 社協 生活相談", {}, 61),
    ("北見の自立支援センター", {"region": "オホーツク総合振興局"}, 71),
    ("石狩市", {"region": "石狩振興局"}, None),  # the city office is not in the list: no sure candidate
    ("江別市", {}, None),
]


def test_confirm_every_suggestion_above_a_threshold_at_once(master):
    url, by_no = master
    with db.session(url) as s:
        mt = schedule.add_meeting(s, schedule.MeetingInput(title="会", starts_at=dt.datetime(2027, 1, 5, 14)))
        m = matching.OrgMatcher(s)
        found = [m.match(t, matching.Evidence(**ev)) for t, ev, _ in EIGHT]
        for i, (typed, _ev, _no) in enumerate(EIGHT):
            p = Person(name=f"参加 {i}", name_key=f"さんか{i}")
            s.add(p)
            s.flush()
            s.add(Registration(meeting_id=mt.id, person_id=p.id, org_text=typed))
        matching.queue(s, [f for f in found if f.needs_review], mt.id)
        waiting = len(matching.pending(s, SEC, mt.id))
        assert waiting == sum(f.needs_review for f in found) == 5  # three were sure: no review
        # The first suggestion is right for every name that has a right answer.
        for f, (_t, _ev, no) in zip(found, EIGHT, strict=True):
            if no is not None:
                assert (f.org_id or f.candidates[0]["id"]) == by_no[no], (f.text, f.candidates[:2])
        sure = matching.above(s, SEC, 85, mt.id)
        names, people = matching.confirm_above(s, SEC, 85, mt.id)
        assert names == len(sure) == people == 3
        left = {r.text for r in matching.pending(s, SEC, mt.id)}
        assert left == {"石狩市", "江別市"}  # never a 社協 or a private body for a city's name
        for r in s.query(Registration).filter_by(meeting_id=mt.id):
            no = next(n for t, _e, n in EIGHT if t == r.org_text)
            if r.person.organisation_id is not None:
                assert r.person.organisation_id == by_no[no]


@pytest.mark.parametrize("typed, municipality, kind", [
    ("恵庭市社会福祉課", "恵庭市", matching.GOV), ("千歳市役所", "千歳市", matching.GOV), ("石狩市", "石狩市", matching.GOV),
    ("北海道保健福祉部福祉局地域福祉課", "", matching.GOV), ("日高振興局 社会福祉課", "", matching.GOV),
    ("江別市社協", "江別市", matching.SHAKYO), ("北海道社会福祉協議会 困窮者支援部", "", matching.SHAKYO),
    ("旭川市自立サポートセンター", "旭川市", ""), ("NPO法人ワークフェア北見市生活困窮者就労準備支援事業所", "北見市", ""),
    ("小樽市福祉総合相談室たるさぼ", "小樽市", ""),
])
def test_the_kind_of_office_a_typed_name_names(typed, municipality, kind):
    assert matching.typed_kind(typed, municipality) == kind
