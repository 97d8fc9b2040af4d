"""Who is who when rows are read: the same rows read again change nothing whatever people already
exist, a shared office e-mail never merges two people, a registrant without an organisation waits
for a look instead of being counted as 団体, and what people typed is stored as they typed it."""

import datetime as dt
import itertools

import pytest

from facilitation.files.tabular import Table
from facilitation.meetings import schedule
from facilitation.orgs import directory
from facilitation.registrations import forms, intake
from facilitation.roles import SECRETARIAT_LOCAL
from facilitation.storage import db
from facilitation.storage.models import Person, Registration

SEC = SECRETARIAT_LOCAL  # the secretariat on this machine

H = forms.STANDARD_HEADERS


_MEETINGS = itertools.count(1)  # each test meeting its own title: the same title and start is refused


def new_meeting(s, day=dt.datetime(2027, 1, 15, 14)):
    return schedule.add_meeting(s, schedule.MeetingInput(title=f"情報交換会（{next(_MEETINGS)}）", starts_at=day)).id


def row(ts="2026/11/20 10:00:00", email="a@example.org", name="山田 太郎", org="りんく", c1="", **more):
    values = {"タイムスタンプ": ts, "メールアドレス": email, "氏名": name, "所属（法人・機関名）": org,
              "希望テーマ（第1希望）": c1, **more}
    return [values.get(h, "") for h in H]


def table(*rows):
    return Table(headers=list(H), rows=[list(r) for r in rows], source="K/t")


def imp(url, mid, t, **kw):
    with db.session(url) as s:
        return intake.import_table(s, SECRETARIAT_LOCAL, mid, t, source="sheet", source_ref="K/t", report_removed=True, **kw)


@pytest.fixture
def master(sqlite_url):
    with db.session(sqlite_url) as s:
        directory.load_master(s)
    return sqlite_url


def people(url):
    with db.session(url) as s:
        return sorted((p.email, p.name, p.organisation.name if p.organisation else "") for p in s.query(Person))


def test_reading_the_same_rows_again_changes_nothing_whatever_people_exist(master):
    """The example hypothesis found: an earlier meeting left 山田 太郎 with an e-mail at りんく and
    山田 太郎 without one at ふらっと. The first import moves the first one to ふらっと (their newest
    organisation); the same rows read again used to go to another person and count as 更新."""
    url = master
    with db.session(url) as s:
        earlier = new_meeting(s, dt.datetime(2026, 10, 1, 14))
        mid = new_meeting(s)
    imp(url, earlier, table(row(org="りんく"), row(email="", org="ふらっと", ts="2026/09/21 10:00:00")))
    assert len(people(url)) == 2
    batch = table(row(ts="2026/11/22 08:00:00", email="", name="山田 太郎", org="ふらっと", c1="就労準備支援事業"),
                  row(ts="", email="a@example.org", name="山田\u3000太郎", org="ふらっと"))
    first = imp(url, mid, batch)
    assert first.imported + first.updated == 1 and first.consistent
    before = people(url)
    for _ in range(3):
        again = imp(url, mid, batch)
        assert (again.imported, again.updated, again.duplicates, again.removed) == (0, 0, 2, [])
    assert people(url) == before
    with db.session(url) as s:
        assert s.query(Registration).filter_by(meeting_id=mid).count() == 1


def test_rows_grouped_with_another_person_stay_with_them_after_the_organisation_changes(master):
    """A row without e-mail joins the same name at the same organisation; the newer answer moves the
    person to another organisation; the older row must still be that person next time."""
    url = master
    with db.session(url) as s:
        mid = new_meeting(s)
    batch = table(row(ts="2026/11/20 10:00:00", email="", org="ふらっと"),
                  row(ts="2026/11/21 10:00:00", email="a@example.org", org="ふらっと"),
                  row(ts="2026/11/25 10:00:00", email="a@example.org", org="りんく"))
    assert imp(url, mid, batch).imported == 1
    again = imp(url, mid, batch)
    assert (again.imported, again.updated, again.duplicates) == (0, 0, 3)


def test_a_person_found_by_name_keeps_the_email_they_gave(master):
    url = master
    with db.session(url) as s:
        earlier = new_meeting(s, dt.datetime(2026, 10, 1, 14))
        mid = new_meeting(s)
    imp(url, earlier, table(row(email="", name="工藤 健", org="ふらっと")))
    imp(url, mid, table(row(email="kudo@example.org", name="工藤 健", org="ふらっと")))
    assert people(url) == [("kudo@example.org", "工藤 健", "社会福祉法人慧誠会帯広市自立相談支援センターふらっと")]


def test_a_shared_office_email_never_merges_two_people(master):
    url = master
    with db.session(url) as s:
        mid = new_meeting(s)
    res = imp(url, mid, table(row(email="fukushi@city.example.jp", name="山田 太郎", org="江別市社協"),
                              row(email="fukushi@city.example.jp", name="佐藤 花子", org="江別市社協",
                                  ts="2026/11/21 10:00:00")))
    assert (res.imported, res.duplicates) == (2, 0)  # not 「新規 1件・重複 1件」
    assert len(res.checks) == 1
    reason = res.checks[0]["reason"]
    assert "3行目の佐藤 花子さん" in reason and "2行目の山田 太郎さん" in reason and "別の方として" in reason
    with db.session(url) as s:
        names = {r.person.name for r in s.query(Registration).filter_by(meeting_id=mid)}
        assert names == {"山田 太郎", "佐藤 花子"}
        todo = intake.to_check(s, SECRETARIAT_LOCAL, mid)
        assert [t.reason for t in todo] == [reason]
    again = imp(url, mid, table(row(email="fukushi@city.example.jp", name="山田 太郎", org="江別市社協"),
                                row(email="fukushi@city.example.jp", name="佐藤 花子", org="江別市社協",
                                    ts="2026/11/21 10:00:00")))
    assert (again.imported, again.updated, again.duplicates) == (0, 0, 2)
    with db.session(url) as s:
        assert len(intake.to_check(s, SECRETARIAT_LOCAL, mid)) == 1  # the same check, not a second one
        intake.mark_checked(s, SEC, intake.to_check(s, SECRETARIAT_LOCAL, mid)[0].id)
        assert intake.to_check(s, SECRETARIAT_LOCAL, mid) == []
    # A later meeting: the address is already on record for 山田 太郎; 佐藤 花子 is still herself.
    with db.session(url) as s:
        later = new_meeting(s, dt.datetime(2027, 3, 1, 14))
    res = imp(url, later, table(row(email="FUKUSHI@city.example.jp", name="佐藤　花子", org="")))
    assert res.imported == 1
    with db.session(url) as s:
        reg = s.query(Registration).filter_by(meeting_id=later).one()
        assert reg.person.name == "佐藤 花子" and s.query(Person).count() == 2


def test_the_same_email_and_the_same_name_written_differently_is_one_person(master):
    url = master
    with db.session(url) as s:
        earlier = new_meeting(s, dt.datetime(2026, 10, 1, 14))
        mid = new_meeting(s)
    imp(url, earlier, table(row(name="山田 太郎", ふりがな="やまだ たろう")))
    res = imp(url, mid, table(row(name="山田 太郎"), row(email="A@example.org ", name="山田　太郎",
                                                          ts="2026/11/21 10:00:00")))
    assert (res.imported, res.duplicates, res.checks) == (1, 1, [])
    # The name written in kana, with the address on record: the furigana says it is the same person.
    with db.session(url) as s:
        later = new_meeting(s, dt.datetime(2027, 3, 1, 14))
    res = imp(url, later, table(row(email="a@example.org", name="ヤマダ タロウ")))
    assert (res.imported, res.checks) == (1, [])
    with db.session(url) as s:
        assert s.query(Person).count() == 1
    assert intake.same_name("さとうはなこ", "さとうはなこ") and intake.same_name("斉藤学", "斎藤学")
    assert intake.same_name("山田", "山田太郎") and not intake.same_name("山田太郎", "山田花子")


def test_a_registrant_without_an_organisation_is_flagged_not_counted_as_a_group(master):
    url = master
    with db.session(url) as s:
        mid = new_meeting(s)
    res = imp(url, mid, table(row(org=""), row(email="b@example.org", name="佐藤 花子", org="江別市社協")))
    assert res.imported == 2
    assert [c["row"] for c in res.checks] == [2]
    assert res.checks[0]["reason"].startswith("2行目「所属（法人・機関名）」: 山田 太郎さんの所属が空欄です。")
    with db.session(url) as s:
        counts = schedule.meeting_counts(s, mid)
        # counted as a person (the reports' rule), as no 機関, and named in the line
        assert counts.people == 2 and counts.organisations == 1 and counts.no_organisation == 1
        assert counts.line.endswith("（うち所属未確認 1名）")
        assert len(intake.to_check(s, SECRETARIAT_LOCAL, mid)) == 1
        reg = s.query(Registration).filter_by(meeting_id=mid).join(Person).filter(Person.name == "山田 太郎").one()
        intake.update_registration(s, SEC, reg.id, {"org_text": "りんく"})
        assert intake.to_check(s, SECRETARIAT_LOCAL, mid) == []  # the organisation is known now: nothing left to look at
        assert intake.summary(s, mid).to_check == 0


def test_what_people_typed_is_stored_as_typed(master):
    url = master
    with db.session(url) as s:
        mid = new_meeting(s)
    theme = "制度の運営について（自治体担当者）"
    imp(url, mid, table(row(name="\u200b山田　太郎\u200b ", c1=theme, org="ＮＰＯ法人　りんく\x07")))
    with db.session(url) as s:
        reg = s.query(Registration).filter_by(meeting_id=mid).one()
        assert (reg.person.name, reg.choice1, reg.org_text) == ("山田　太郎", theme, "ＮＰＯ法人　りんく")
        assert reg.person.organisation.name.endswith("りんく")  # matching still sees through the widths
        intake.update_registration(s, SEC, reg.id, {"choice2": " 就労準備支援事業（分科会） ", "name": "山田 太郎"})
        assert (reg.choice2, reg.person.name) == ("就労準備支援事業（分科会）", "山田 太郎")
    # A kept-aside row fixed on the page keeps the spaces of the name typed there.
    imp(url, mid, table(row(email="bad@", name="", org="りんく")))
    with db.session(url) as s:
        entry = intake.kept_aside(s, SECRETARIAT_LOCAL, mid)[0]
        fixed = dict(entry.raw, **{"メールアドレス": "kimura@example.org", "氏名": "木村 一郎"})
        assert intake.retry_kept_aside(s, SEC, entry.id, fixed).imported == 1
        assert s.query(Person).filter_by(email="kimura@example.org").one().name == "木村 一郎"
    with db.session(url) as s:
        assert intake.registrant_frame(s, SECRETARIAT_LOCAL, mid)["choice1"].tolist()[0] == theme
