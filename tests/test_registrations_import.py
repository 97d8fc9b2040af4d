"""Importing registrations: every row ends in exactly one outcome, re-syncs change nothing,
edits update, people are matched across meetings, and problem rows are kept aside with reasons."""

import datetime as dt
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitation.assignment import choices as choice_map
from facilitation.errors import AccessDenied
from facilitation.files.tabular import Table
from facilitation.meetings import schedule
from facilitation.orgs import directory, matching
from facilitation.registrations import forms, intake
from facilitation.registrations.models import KeptAsideRow
from facilitation.roles import COMMITTEE, FACILITATOR, SECRETARIAT_LOCAL, Viewer
from facilitation.storage import db
from facilitation.storage.models import Person, Registration, Room
from facilitation.text import vocab
from facilitation.text.normalize import person_key

SEC = SECRETARIAT_LOCAL  # the secretariat on this machine

DATA = Path(__file__).parent / "data" / "registrations"
H = forms.STANDARD_HEADERS
THEMES = ["就労準備支援事業", "一時生活支援事業", "テーマを決めずに様々な話がしたい", "制度の運営について（自治体担当者）"]


_MEETINGS = itertools.count(1)  # each test meeting its own title: the same title and start is refused


def new_meeting(s, day=dt.datetime(2027, 1, 15, 14), themes=THEMES):
    m = schedule.add_meeting(s, schedule.MeetingInput(title=f"情報交換会（{next(_MEETINGS)}）", starts_at=day))
    for i, t in enumerate(themes, start=1):
        s.add(Room(meeting_id=m.id, position=i, name=f"ルーム{i}", theme=t))
    s.flush()
    return m.id


@pytest.fixture
def setup(sqlite_url):
    with db.session(sqlite_url) as s:
        directory.load_master(s)
        mid = new_meeting(s)
    return sqlite_url, mid


def row(ts="2026/11/20 10:00:00", email="a@example.org", name="山田 太郎", org="りんく", c1="就労準備支援事業",
        note="", mode="オンライン"):
    values = {"タイムスタンプ": ts, "メールアドレス": email, "氏名": name, "所属（法人・機関名）": org,
              "希望テーマ（第1希望）": c1, "備考": note, "参加方法": mode}
    return [values.get(h, "") for h in H]


def table(*rows, name="test.csv"):
    return Table(headers=list(H), rows=[list(r) for r in rows], source=name)


def imp(url, mid, t, **kw):
    with db.session(url) as s:
        return intake.import_table(s, SECRETARIAT_LOCAL, mid, t, **kw)


@pytest.mark.parametrize("name", ["form_utf8.csv", "form_utf8_bom.csv", "form_cp932.csv", "form.xlsx"])
def test_real_files_import_the_same_people(setup, name):
    url, mid = setup
    with db.session(url) as s:
        res = intake.import_file(s, SECRETARIAT_LOCAL, mid, (DATA / name).read_bytes(), name)
    assert res.consistent and res.quarantined == []
    assert res.imported == (4 if name.endswith("xlsx") else 3)
    with db.session(url) as s:
        df = intake.registrant_frame(s, SECRETARIAT_LOCAL, mid)
        assert set(df["organisation"]) >= {"NPO法人コミュニティワーク研究実践センター岩見沢市生活サポートセンターりんく",
                                   "江別市社会福祉協議会くらしサポートセンターえべつ",
                                   "社会福祉法人慧誠会帯広市自立相談支援センターふらっと"}
        sato = df[df["name"] == "佐藤\u3000花子"].iloc[0]  # stored as typed: the full-width space stays
        assert (sato["attendance_mode"], sato["years_experience"], sato["status"]) == ("会場", 0.5, "申込")
        kudo = df[df["name"] == "工藤 健"].iloc[0]
        assert kudo["email"] == "kudo.ken@example.org"
        assert kudo["programs"] == "自立相談支援事業、子どもの学習・生活支援事業"
        assert kudo["years_experience"] == 3.5


def test_header_variants_and_unknown_columns_kept_as_extra_fields(setup):
    url, mid = setup
    with db.session(url) as s:
        res = intake.import_file(s, SECRETARIAT_LOCAL, mid, (DATA / "form_header_variants.csv").read_bytes(), "agency.csv")
    assert (res.imported, res.quarantined) == (2, [])
    with db.session(url) as s:
        regs = {r.person.name: r for r in s.query(Registration).filter_by(meeting_id=mid)}
        abe = regs["阿部 彩"]
        assert abe.person.email == "abe@example.org" and abe.attendance_mode == "会場"
        assert abe.willing_facilitator and abe.choice1 == "一時生活支援事業"
        assert abe.extra["昼食の有無"] == "要"  # an unknown column is kept, not dropped
        assert abe.person.organisation.name == "NPO法人ワークフェアオホーツク相談センターふくろう"
        narita = regs["成田 亮"]
        assert narita.note == "電話で申込" and narita.person.years_experience == 10


def test_each_kept_aside_reason_names_row_and_column(setup):
    url, mid = setup
    with db.session(url) as s:
        res = intake.import_file(s, SECRETARIAT_LOCAL, mid, (DATA / "form_problems.csv").read_bytes(), "problems.csv")
    assert (res.rows, res.imported) == (4, 1)
    reasons = [q["reason"] for q in res.quarantined]
    assert reasons == [
        "2行目: 「氏名」と「メールアドレス」がどちらも空欄です。",
        "3行目「メールアドレス」: 「not-an-email」はメールアドレスの形式ではありません。",
        "4行目「氏名」: 氏名が空欄です（メールアドレス nameless@example.org）。",
    ]
    with db.session(url) as s:
        kept = intake.kept_aside(s, SECRETARIAT_LOCAL, mid)
        assert [k.row_number for k in kept] == [2, 3, 4]
        assert kept[1].raw["メールアドレス"] == "not-an-email" and kept[1].column == "メールアドレス"
    # Importing the same file again keeps the same three rows aside, not six.
    with db.session(url) as s:
        again = intake.import_file(s, SECRETARIAT_LOCAL, mid, (DATA / "form_problems.csv").read_bytes(), "problems.csv")
        assert (again.duplicates, len(again.quarantined)) == (1, 3)
        assert len(intake.kept_aside(s, SECRETARIAT_LOCAL, mid)) == 3


def test_kept_aside_row_fixed_on_the_page_goes_in_and_stays_resolved(setup):
    url, mid = setup
    imp(url, mid, table(row(email="oops@"), name="s.csv"))
    with db.session(url) as s:
        entry = intake.kept_aside(s, SECRETARIAT_LOCAL, mid)[0]
        fixed = dict(entry.raw, **{"メールアドレス": "fixed@example.org"})
        res = intake.retry_kept_aside(s, SEC, entry.id, fixed)
        assert res.imported == 1
        assert intake.kept_aside(s, SECRETARIAT_LOCAL, mid) == []
        assert s.get(KeptAsideRow, entry.id).resolution == "imported"
    # The bad row is still in the source: next time it is a duplicate, not a new problem.
    again = imp(url, mid, table(row(email="oops@"), name="s.csv"))
    assert (again.duplicates, again.quarantined) == (1, [])
    with db.session(url) as s:
        other = imp(url, mid, table(row(email="x@", name="誰か"), name="t.csv"))
        entry = intake.kept_aside(s, SECRETARIAT_LOCAL, mid)[0]
        intake.dismiss_kept_aside(s, SEC, entry.id)
        assert intake.kept_aside(s, SECRETARIAT_LOCAL, mid) == [] and len(other.quarantined) == 1
        assert len(intake.kept_aside(s, SECRETARIAT_LOCAL, mid, include_resolved=True)) == 2


def test_resync_is_idempotent_and_later_edits_update(setup):
    url, mid = setup
    first = table(row(), row(ts="2026/11/21 09:00:00", email="b@example.org", name="佐藤 花子", org="江別市社協"))
    r1 = imp(url, mid, first, source="sheet", source_ref="KEY/tab", report_removed=True)
    assert (r1.imported, r1.updated, r1.duplicates) == (2, 0, 0)
    r2 = imp(url, mid, first, source="sheet", source_ref="KEY/tab", report_removed=True)
    assert (r2.imported, r2.updated, r2.duplicates, r2.removed) == (0, 0, 2, [])
    # The registrant edits the form answer: same e-mail, later timestamp → updated.
    edited = table(row(), row(ts="2026/11/21 09:00:00", email="b@example.org", name="佐藤 花子", org="江別市社協"),
                   row(ts="2026/11/25 18:00:00", email="A@Example.org", name="山田 太郎", c1="一時生活支援事業"))
    r3 = imp(url, mid, edited, source="sheet", source_ref="KEY/tab", report_removed=True)
    assert (r3.imported, r3.updated, r3.duplicates) == (0, 1, 2)
    assert "4行目と同じ方" in r3.duplicate_rows[0]["reason"]
    r4 = imp(url, mid, edited, source="sheet", source_ref="KEY/tab", report_removed=True)
    assert (r4.imported, r4.updated, r4.duplicates) == (0, 0, 3)
    with db.session(url) as s:
        regs = s.query(Registration).filter_by(meeting_id=mid).all()
        assert len(regs) == 2
        yamada = next(r for r in regs if r.person.name == "山田 太郎")
        assert yamada.choice1 == "一時生活支援事業" and yamada.source_row == 4
    # A row removed from the sheet is reported, and its registration kept.
    r5 = imp(url, mid, table(row()), source="sheet", source_ref="KEY/tab", report_removed=True)
    assert len(r5.removed) == 1 and "佐藤 花子さん" in r5.removed[0]["reason"]
    with db.session(url) as s:
        assert s.query(Registration).filter_by(meeting_id=mid).count() == 2


def test_an_older_answer_does_not_overwrite_a_newer_one(setup):
    url, mid = setup
    imp(url, mid, table(row(ts="2026/11/25 10:00:00", c1="一時生活支援事業")))
    res = imp(url, mid, table(row(ts="2026/11/20 10:00:00", c1="就労準備支援事業")), source_ref="old.csv")
    assert res.duplicates == 1 and "方が新しい" in res.duplicate_rows[0]["reason"]


def test_people_are_matched_across_meetings(setup):
    url, mid = setup
    with db.session(url) as s:
        later = new_meeting(s, dt.datetime(2027, 3, 5, 14))
    imp(url, mid, table(row(), row(email="", name="工藤 健", org="ふらっと")))
    res = imp(url, later, table(row(email="A@EXAMPLE.ORG", name="山田　太郎"),
                                row(email="", name="工藤　健", org="帯広市自立相談支援センターふらっと"),
                                row(email="other@example.org", name="山田 太郎", org="りんく")))
    assert res.imported == 3
    with db.session(url) as s:
        assert s.query(Person).count() == 3  # the second 山田 太郎 has another e-mail: another person
        kudo = s.query(Person).filter_by(name="工藤 健").one()
        assert s.query(Registration).filter_by(person_id=kudo.id).count() == 2


def test_unmatched_choices_are_flagged_not_excluded_and_can_be_mapped(setup):
    url, mid = setup
    res = imp(url, mid, table(row(c1="ひきこもり支援の話がしたい"), row(email="b@example.org", name="佐藤 花子",
                                                                 c1="ルーム2")))
    assert res.imported == 2 and len(res.flagged) == 1  # 「ルーム2」 names a room: not flagged
    assert res.flagged[0]["reason"].startswith("2行目「希望テーマ（第1希望）」: 「ひきこもり支援の話がしたい」")
    with db.session(url) as s:
        assert s.query(Registration).filter_by(choice1="ルーム2").count() == 1  # kept as written
        assert [(r["text"], r["count"], r["match"]) for r in intake.unmatched_choices(s, mid).to_dict("records")
                ] == [("ひきこもり支援の話がしたい", 1, "対応なし")]
        assert intake.summary(s, mid).unmatched_choices == 1
        room3 = s.query(Room).filter_by(meeting_id=mid, position=3).one()
        choice_map.map_choice(s, SECRETARIAT_LOCAL, mid, "ひきこもり支援の話がしたい", room3.id)
    with db.session(url) as s:
        assert intake.unmatched_choices(s, mid).empty
        assert intake.summary(s, mid).unmatched_choices == 0
        assert s.query(Registration).filter_by(choice1="ひきこもり支援の話がしたい").count() == 1  # not rewritten
        with pytest.raises(AccessDenied):
            choice_map.map_choice(s, Viewer(role=COMMITTEE), mid, "特になし", None)
    again = imp(url, mid, table(row(email="c@example.org", name="三浦 誠", c1="ひきこもり支援の話がしたい"),
                                row(email="d@example.org", name="工藤 健", c1="特になし")))
    assert [f["reason"].split("」: ")[1][:6] for f in again.flagged] == ["「特になし」"]  # the mapping is remembered
    with db.session(url) as s:
        choice_map.map_choice(s, SECRETARIAT_LOCAL, mid, "特になし", None)  # 対象外: no room, nothing to decide
    last = imp(url, mid, table(row(email="e@example.org", name="斉藤 学", c1="特になし")))
    assert last.imported == 1 and last.flagged == []


def test_choices_are_not_flagged_while_the_meeting_has_no_rooms(sqlite_url):
    with db.session(sqlite_url) as s:
        mid = new_meeting(s, themes=[])
    res = imp(sqlite_url, mid, table(row(c1="ひきこもり支援の話がしたい")))
    assert res.imported == 1 and res.flagged == []
    with db.session(sqlite_url) as s:
        assert intake.unmatched_choices(s, mid).empty


def test_unknown_organisation_imports_and_waits_for_review(setup):
    url, mid = setup
    res = imp(url, mid, table(row(org="NPO法人 はまなす生活相談室"), row(email="b@example.org", name="佐藤 花子",
                                                                   org="ＮＰＯ法人はまなす生活相談室")))
    assert (res.imported, res.reviews, res.unmatched_orgs) == (2, 1, 2)
    with db.session(url) as s:
        review = matching.pending(s, SEC, mid)[0]
        org = matching.create_and_confirm(s, SEC, review.id, "NPO法人はまなす生活相談室", "NPO等", "渡島総合振興局")
        df = intake.registrant_frame(s, SECRETARIAT_LOCAL, mid)
        assert set(df["organisation"]) == {org.name}
        assert intake.summary(s, mid).by_region == {"渡島総合振興局": 2}


def test_saved_column_mapping_is_used(setup):
    url, mid = setup
    t = Table(headers=["連絡先", "ご本人", "ご所属"], rows=[["a@example.org", "山田 太郎", "りんく"]], source="x.csv")
    res = imp(url, mid, t)
    assert res.imported == 0 and "にあたる列がありません" in res.quarantined[0]["reason"]
    with db.session(url) as s:
        intake.save_column_mapping(s, SECRETARIAT_LOCAL, mid, {"連絡先": "email", "ご本人": "name", "ご所属": "org"})
        assert intake.saved_mapping(s, mid)["ご本人"] == "name"
        entry = intake.kept_aside(s, SECRETARIAT_LOCAL, mid)[0]
        assert intake.retry_kept_aside(s, SEC, entry.id, entry.raw).imported == 1


def test_manual_entry_edit_and_cancel(setup):
    url, mid = setup
    with db.session(url) as s:
        reg = intake.add_manual(s, SEC, mid, intake.ManualEntry(
            name="千葉 直子", email="chiba@example.org", org="名寄市社協", mode="会場", choice1=THEMES[0],
            programs=["自立相談支援事業"], years="2年", facilitator=True))
        rid = reg.id
        assert (reg.source, reg.attendance_mode, reg.person.organisation.name) == (
            "manual", "会場", "名寄市社会福祉協議会生活相談支援センター")
        with pytest.raises(intake.RegistrationError, match="すでに申込済み"):
            intake.add_manual(s, SEC, mid, intake.ManualEntry(name="千葉 直子", email="CHIBA@example.org"))
        with pytest.raises(intake.RegistrationError, match="メールアドレスの形式"):
            intake.add_manual(s, SEC, mid, intake.ManualEntry(name="誰か", email="dareka"))
        with pytest.raises(intake.RegistrationError, match="氏名が空欄"):
            intake.add_manual(s, SEC, mid, intake.ManualEntry(name="", email="x@example.org"))
        intake.update_registration(s, SEC, rid, {"name": "千葉　直子", "choice2": THEMES[1], "note": "遅れて参加"})
        with pytest.raises(intake.RegistrationError, match="状態は"):
            intake.update_registration(s, SEC, rid, {"status": "不明"})
        intake.cancel(s, SEC, rid)
        assert intake.summary(s, mid).cancelled == 1
    # A cancelled registration stays cancelled when the same person's row is read again.
    with db.session(url) as s:
        intake.import_table(s, SECRETARIAT_LOCAL, mid, table(row(email="chiba@example.org", name="千葉 直子", org="名寄市社協")),
                                   update_existing=False)
        assert s.get(Registration, rid).status == vocab.STATUS_CANCELLED
        assert s.get(Registration, rid).choice2 == THEMES[1]


def test_committee_sees_no_names_or_emails(setup):
    url, mid = setup
    imp(url, mid, table(row(note="家族のことで相談あり")))
    with db.session(url) as s:
        df = intake.registrant_frame(s, Viewer(role=COMMITTEE), mid)
    assert len(df) == 1
    assert not {"name", "furigana", "email", "note"} & set(df.columns)
    assert {"organisation", "category", "region"} <= set(df.columns)  # the counts the committee reads
    assert "山田" not in df.to_string() and "example.org" not in df.to_string()
    with db.session(url) as s, pytest.raises(AccessDenied):
        intake.cleaned_frame(s, Viewer(role=COMMITTEE), mid)


def test_storage_round_trip_on_sqlite_and_postgresql(db_url):
    with db.session(db_url) as s:
        directory.load_master(s)
        mid = new_meeting(s)
    t = table(row(), row(email="bad"), row(ts="2026/11/22 10:00:00", email="b@example.org", name="佐藤 花子"))
    first = imp(db_url, mid, t, source="sheet", source_ref="K/t", report_removed=True)
    again = imp(db_url, mid, t, source="sheet", source_ref="K/t", report_removed=True)
    assert (first.imported, len(first.quarantined)) == (2, 1)
    assert (again.imported, again.updated, again.duplicates, len(again.quarantined)) == (0, 0, 2, 1)
    with db.session(db_url) as s:
        assert s.query(Registration).filter_by(meeting_id=mid).count() == 2
        assert len(intake.kept_aside(s, SECRETARIAT_LOCAL, mid)) == 1


# --- property: no input row is ever lost or counted twice --------------------------------------

names = st.sampled_from(["山田 太郎", "山田　太郎", "佐藤 花子", "工藤 健", "", "成田 亮"])
emails = st.sampled_from(["a@example.org", "A@example.org ", "b@example.org", "", "not-mail", "c@example.org"])
orgs_typed = st.sampled_from(["りんく", "ふらっと", "江別市社協", "", "NPO法人 はまなす", "JOIN"])
stamps = st.sampled_from(["2026/11/20 10:00:00", "2026/11/21 10:00:00", "", "2026/11/22 08:00:00", "きのう"])
choices = st.sampled_from(["", *THEMES, "ルーム1", "自由なテーマ"])
rows_st = st.lists(st.tuples(stamps, emails, names, orgs_typed, choices), min_size=0, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(rows_st, min_size=1, max_size=3))
def test_property_every_row_counted_once_and_nobody_lost(setup, batches):
    url, _ = setup
    with db.session(url) as s:
        mid = new_meeting(s)
    seen_people = set()
    for batch in batches:
        t = table(*[row(ts=a, email=b, name=c, org=d, c1=e) for a, b, c, d, e in batch])
        res = imp(url, mid, t, source="sheet", source_ref="K/t", report_removed=True)
        assert res.rows == len(batch)
        assert res.rows == res.imported + res.updated + res.duplicates + len(res.quarantined)
        assert len({q["row"] for q in res.quarantined}) == len(res.quarantined)
        with db.session(url) as s:
            regs = [(r.person.email, person_key(r.person.name))
                    for r in s.query(Registration).filter_by(meeting_id=mid)]
            kept = intake.kept_aside(s, SECRETARIAT_LOCAL, mid)
        # Every valid row's person has a registration; every invalid row is kept aside.
        for _a, b, c, _d, _e in batch:
            key = (b.strip().lower(), person_key(c))
            if c and (not b or "@" in b and "." in b.split("@")[-1]):
                seen_people.add(key)
        for mail, name in seen_people:
            if mail:
                assert mail in {e for e, _ in regs}
            else:
                assert name in {n for _, n in regs}
        assert len(kept) >= len({tuple(r) for r in t.rows if not r[2] or (r[1] and "@" not in r[1])})
        again = imp(url, mid, t, source="sheet", source_ref="K/t", report_removed=True)
        assert again.imported == 0 and again.updated == 0  # re-reading the same rows changes nothing


@pytest.mark.parametrize("other", [Viewer(role=COMMITTEE, email="iinkai@example.org"),
                                   Viewer(role=FACILITATOR, email="link:abc", meeting_id=1, room_id=1)],
                         ids=["committee", "facilitator"])
def test_only_the_secretariat_changes_registrations(setup, other):
    """The domain refuses every change by another role, whatever page or command asks (issue 14)."""
    url, mid = setup
    imp(url, mid, table(row(), row(email="", name="", org="")))  # one registration, one row kept aside
    with db.session(url) as s:
        rid = s.query(Registration).one().id
        kept = intake.kept_aside(s, SECRETARIAT_LOCAL, mid)[0].id
        before = (s.get(Registration, rid).status, s.get(Registration, rid).person.name)
        attempts = [
            lambda: intake.add_manual(s, other, mid, intake.ManualEntry(name="侵入 太郎", email="x@example.org")),
            lambda: intake.update_registration(s, other, rid, {"name": "書き換え"}),
            lambda: intake.cancel(s, other, rid),
            lambda: intake.restore(s, other, rid),
            lambda: intake.retry_kept_aside(s, other, kept, {"氏名": "侵入 太郎", "メールアドレス": "x@example.org"}),
            lambda: intake.dismiss_kept_aside(s, other, kept),
            lambda: intake.mark_checked(s, other, kept),
            lambda: intake.import_table(s, other, mid, table(row(email="new@example.org", name="新規 花子"))),
            lambda: intake.import_file(s, other, mid, "氏名\n新規 花子\n".encode(), "a.csv"),
            lambda: intake.configure_sheet(s, other, mid, "https://docs.google.com/spreadsheets/d/abc/edit"),
            lambda: intake.sync(s, other, mid),
            lambda: intake.save_column_mapping(s, other, mid, {"氏名": "name"}),
            lambda: intake.write_back(s, other, mid, "整理済み"),
            lambda: intake.kept_aside(s, other, mid),
            lambda: intake.to_check(s, other, mid),
            lambda: intake.cleaned_frame(s, other, mid),
        ]
        for attempt in attempts:
            with pytest.raises(AccessDenied, match="事務局だけ"):
                attempt()
        assert (s.get(Registration, rid).status, s.get(Registration, rid).person.name) == before
        assert s.query(Registration).count() == 1 and len(intake.kept_aside(s, SECRETARIAT_LOCAL, mid)) == 1
        intake.dismiss_kept_aside(s, SEC, kept)
        assert intake.kept_aside(s, SECRETARIAT_LOCAL, mid, include_resolved=True)[0].resolved_by == SEC.actor


@pytest.mark.parametrize("column", ["メールアドレス", "氏名", "所属（法人・機関名）", "備考"])
def test_a_cell_cut_by_the_reader_keeps_its_row_aside(setup, column):
    """A 200,000-character cell is cut by tabular (issue 14 item 16): the row is kept aside with a
    Japanese reason naming row and column, never imported half-written; the other rows go in."""
    import csv
    import io

    url, mid = setup
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(H)
    values = {"タイムスタンプ": "2026/11/20 10:00:00", "メールアドレス": "huge@example.org", "氏名": "長文 太郎",
              "所属（法人・機関名）": "りんく", "備考": ""}
    values[column] = ("x" * 200_000 + "@example.org") if column == "メールアドレス" else "あ" * 200_000
    w.writerow([values.get(h, "") for h in H])
    w.writerow(row(email="fine@example.org", name="普通 花子"))
    with db.session(url) as s:
        res = intake.import_file(s, SECRETARIAT_LOCAL, mid, buf.getvalue().encode("utf-8"), "長い.csv")
        assert (res.imported, len(res.quarantined)) == (1, 1), res.line()
        reason = res.quarantined[0]["reason"]
        assert reason.startswith(f"2行目「{column}」") and "途中までしか読み込めません" in reason
        assert any(f"「{column}」は200,0" in n for n in res.notes)  # the reader's note reaches the page
        kept = intake.kept_aside(s, SECRETARIAT_LOCAL, mid)
        assert [k.column for k in kept] == [column]
        assert {r.person.email for r in s.query(Registration)} == {"fine@example.org"}


def test_import_file_reads_the_sheet_asked_for_and_says_which(setup):
    import io

    import openpyxl

    url, mid = setup
    book = openpyxl.Workbook()
    book.active.title = "集計"
    book.active.append(["区分", "人数"])
    book.active.append(["団体", "12"])
    form = book.create_sheet("申込一覧")
    form.append(list(H))
    form.append(row(email="sheet@example.org", name="シート 読子"))
    buf = io.BytesIO()
    book.save(buf)
    with db.session(url) as s:
        first = intake.import_file(s, SECRETARIAT_LOCAL, mid, buf.getvalue(), "book.xlsx")  # the active sheet: no names there
        assert first.sheet == "集計" and first.sheets == ["集計", "申込一覧"]
        assert first.imported == 0 and any("シート「集計」を読みました" in n for n in first.notes)
        second = intake.import_file(s, SECRETARIAT_LOCAL, mid, buf.getvalue(), "book.xlsx", sheet="申込一覧")
        assert second.imported == 1 and second.sheet == "申込一覧"
        assert any("シート「申込一覧」を読みました" in n for n in second.notes)


def test_line_breaks_in_one_line_fields_become_spaces_and_notes_keep_theirs(setup):
    url, mid = setup
    csv = ("タイムスタンプ,メールアドレス,氏名,所属（法人・機関名）,備考\r\n"
           '2026/11/20 10:00:00,a@example.org,"山田\u2028太郎","NPO法人\r\nりんく","一行目\r\n二行目"\r\n'
           '2026/11/20 10:01:00,b@example.org,"佐藤\u2029\n花子",江別市社会福祉協議会,\r\n').encode()
    with db.session(url) as s:
        res = intake.import_file(s, SEC, mid, csv, "regs.csv")
        assert res.imported == 2
        people = {p.email: p.name for p in s.query(Person)}
        regs = {r.person.email: r for r in s.query(Registration)}
        assert people == {"a@example.org": "山田 太郎", "b@example.org": "佐藤 花子"}
        assert regs["a@example.org"].org_text == "NPO法人 りんく" and regs["a@example.org"].note == "一行目\n二行目"
        intake.update_registration(s, SEC, regs["b@example.org"].id, {"name": "佐藤\r\n花子", "department": "a\u2028b"})
        assert (regs["b@example.org"].person.name, regs["b@example.org"].department) == ("佐藤 花子", "a b")


def test_a_registrations_csv_of_5016_columns_and_3_rows_is_imported(setup):
    url, mid = setup
    headers = ["タイムスタンプ", "メールアドレス", "氏名", "所属（法人・機関名）"] + [f"質問{i}" for i in range(5_012)]
    rows = [["2026/11/20 10:00:00", f"p{k}@example.org", f"山田 太郎{k}", "りんく"] + ["はい"] * 5_012 for k in range(3)]
    data = "\n".join(",".join(r) for r in [headers, *rows]).encode()
    with db.session(url) as s:
        res = intake.import_file(s, SEC, mid, data, "wide.csv")
        assert (res.rows, res.imported, res.quarantined) == (3, 3, [])
        reg = s.query(Registration).filter(Registration.meeting_id == mid).first()
        assert reg.extra["質問5011"] == "はい"  # the other answers are kept with the registration
