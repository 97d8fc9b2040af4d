"""Invitations from coverage gaps, against a real SMTP server on loopback (aiosmtpd).

What the secretariat relies on: the organisations not reached become a list for the next meeting
with the address each invitation would go to; every ticked organisation is sent or skipped with its
reason; an address marked 「案内不要」 never gets one; a second run never writes twice; a message
whose fate is unknown is never resent by itself; the per-minute limit holds; registrations from
invited organisations are counted; the committee sees counts only, small ones hidden.
"""

from __future__ import annotations

import datetime as dt
import email
from email import policy

import pandas as pd
import pytest
from sqlalchemy import select, update

from facilitation.access import privacy
from facilitation.errors import AccessDenied, UserError
from facilitation.history import participation
from facilitation.invitations import invite, outcome, templates
from facilitation.invitations.models import ERASED, InvitationSend, OptOut, OrgContact
from facilitation.mail.models import SENT, UNCONFIRMED
from facilitation.mail.smtp import RateLimit, Transport
from facilitation.roles import SECRETARIAT_LOCAL, Viewer
from facilitation.storage import db
from facilitation.storage.models import Attendance, Meeting, Organisation, Person, Registration, Room
from facilitation.text.dates import to_jst
from tests import history_world as hw
from tests.mail_world import SmtpServer

V = SECRETARIAT_LOCAL
COMMITTEE = Viewer(role="委員会", email="iin@example.org")
FACILITATOR = Viewer(role="ファシリテーター", email="link:abc", meeting_id=1, room_id=1)
D_MAIL = "soudan@kuro-town.example.jp"
I_MAIL = hw.EMAILS["p12"]


def opener(url: str):
    return lambda: db.session(url, actor="test")


@pytest.fixture
def server():
    with SmtpServer() as s:
        yield s


def _world(url: str) -> hw.World:
    w = hw.make(url)
    with db.session(url) as s:
        m = s.get(Meeting, w.meetings["future"])
        m.registration_url = "https://forms.gle/abc123"
        s.add(Room(meeting_id=m.id, position=1, name="R1", theme="引きこもりと家族支援"))
        s.add(Room(meeting_id=m.id, position=2, name="R2", theme="一時生活支援事業"))
    return w


def _candidates(url: str, mid: int) -> pd.DataFrame:
    h = hw.load(url)
    period = participation.scoped(h, participation.Scope(fiscal_years=(2025,)))
    with db.session(url) as s:
        return invite.candidates(s, V, mid, h, period)


def _send(url: str, server: SmtpServer, mid: int, org_ids, **kw) -> invite.InviteReport:
    settings = server.settings()
    with Transport(settings) as t:
        return invite.send(opener(url), V, mid, org_ids, settings, t, **kw)


def _results(report: invite.InviteReport) -> dict[str, str]:
    return {r["organisation"]: r["result"] for r in report.results}


def test_gaps_become_a_list_with_contacts_and_each_ticked_one_is_sent_or_skipped_with_reason(db_url, server):
    w = _world(db_url)
    mid = w.meetings["future"]
    listed = _candidates(db_url, mid)
    # D never came and nobody of it ever registered: no contact. I came in 2024 only: its registrant.
    assert listed[["organisation", "status", "email", "source", "state"]].values.tolist() == [
        ["くろ町役場", "未参加", "", "", invite.NO_CONTACT],
        ["オホーツク支援センター", "最近の参加なし", I_MAIL, "最近の申込者（2024年6月10日（月）の会）", invite.READY]]
    assert listed["org_id"].tolist() == [w.orgs["D"], w.orgs["I"]]

    with db.session(db_url) as s:
        invite.set_contact(s, V, w.orgs["D"], " Soudan@Kuro-Town.example.jp ")
        with pytest.raises(UserError, match="メールアドレスとして使えません"):
            invite.set_contact(s, V, w.orgs["I"], "kuro town")
        invite.opt_out(s, V, I_MAIL.upper(), "電話で依頼あり")
        with pytest.raises(UserError, match="すでに「案内不要」"):
            invite.opt_out(s, V, I_MAIL)
    listed = _candidates(db_url, mid).set_index("organisation")
    assert listed.loc["くろ町役場", ["email", "source", "state"]].tolist() == [D_MAIL, invite.STORED, invite.READY]
    assert listed.loc["オホーツク支援センター", "state"] == invite.OPTED_OUT

    # A has a registration for this meeting already; D goes; I is opted out; all three are answered.
    report = _send(db_url, server, mid, [w.orgs["D"], w.orgs["I"], w.orgs["A"]])
    assert (report.sent.sent, report.sent.failed) == (1, 0)
    assert _results(report) == {"くろ町役場": "送信しました",
                                "オホーツク支援センター": invite.SKIP_REASON[invite.OPTED_OUT],
                                "NPOあおば": invite.SKIP_REASON[invite.REGISTERED]}
    assert server.handler.recipients() == [D_MAIL]
    msg = server.handler.parsed()[0]
    body = msg.get_content()
    assert msg["Subject"] == "第1回 次回（2026年12月10日（木））開催のご案内"
    assert body.startswith("くろ町役場\nご担当者様")
    assert "https://forms.gle/abc123" in body and "・引きこもりと家族支援\n・一時生活支援事業" in body
    assert body.rstrip().endswith("以後、このアドレスにはご案内をお送りしません。") and "「案内不要」とご返信" in body

    # A second run sends nothing again and says why.
    again = _send(db_url, server, mid, [w.orgs["D"]])
    assert again.sent.sent == 0 and _results(again) == {"くろ町役場": invite.SKIP_REASON[invite.INVITED]}
    assert len(server.handler.messages) == 1
    with db.session(db_url) as s:
        rows = list(s.scalars(select(InvitationSend)))
        assert [(r.recipient, r.status, r.organisation_id) for r in rows] == [(D_MAIL, SENT, w.orgs["D"])]
        log = invite.log_frame(s, V, mid)
        assert log[["organisation", "recipient", "status"]].values.tolist() == [["くろ町役場", D_MAIL, "送信済み"]]
        # Undo the opt-out: I can be invited now.
        opt_id = s.scalar(select(OptOut.id))
        assert invite.opt_out_frame(s, V)["address"].tolist() == [I_MAIL]
        invite.undo_opt_out(s, V, opt_id)
    assert _results(_send(db_url, server, mid, [w.orgs["I"]])) == {"オホーツク支援センター": "送信しました"}
    assert server.handler.recipients() == [D_MAIL, I_MAIL]


def test_an_opted_out_address_is_never_sent_even_when_marked_after_the_list_was_read(sqlite_url, server):
    w = _world(sqlite_url)
    mid = w.meetings["future"]
    assert _candidates(sqlite_url, mid).set_index("organisation").loc["オホーツク支援センター", "state"] == invite.READY
    with db.session(sqlite_url) as s:  # marked in another tab after this page drew its list
        invite.opt_out(s, V, I_MAIL)
    report = _send(sqlite_url, server, mid, [w.orgs["I"]])
    assert report.sent.sent == 0 and server.handler.messages == []
    assert _results(report) == {"オホーツク支援センター": invite.SKIP_REASON[invite.OPTED_OUT]}


def test_two_organisations_with_one_address_get_one_email(sqlite_url, server):
    w = _world(sqlite_url)
    with db.session(sqlite_url) as s:
        invite.set_contact(s, V, w.orgs["D"], I_MAIL)
    report = _send(sqlite_url, server, w.meetings["future"], [w.orgs["D"], w.orgs["I"]])
    assert server.handler.recipients() == [I_MAIL]
    assert sorted(_results(report).values()) == sorted(["送信しました", invite.SKIP_REASON[invite.SAME_ADDRESS]])


def test_a_refused_address_is_listed_with_its_reason_and_free_for_another_try(sqlite_url, server):
    w = _world(sqlite_url)
    mid = w.meetings["future"]
    server.handler.refuse = {I_MAIL}
    report = _send(sqlite_url, server, mid, [w.orgs["I"]])
    assert report.sent.failed == 1 and _results(report)["オホーツク支援センター"].startswith("送信できませんでした（")
    with db.session(sqlite_url) as s:
        invite.set_contact(s, V, w.orgs["D"], I_MAIL)  # the same address, for another organisation
        found = invite.targets(s, V, mid, [w.orgs["D"], w.orgs["I"]])
    assert (found[w.orgs["D"]].state, found[w.orgs["I"]].state) == (invite.READY, invite.FAILED_TEXT)
    server.handler.refuse = set()
    assert _results(_send(sqlite_url, server, mid, [w.orgs["I"]])) == {"オホーツク支援センター": "送信しました"}


def test_unknown_is_never_resent_by_itself_and_failed_is_resent_when_ticked(sqlite_url, server):
    w = _world(sqlite_url)
    mid = w.meetings["future"]
    server.handler.drop_at = {1}  # the message arrives, the connection breaks before "250"
    report = _send(sqlite_url, server, mid, [w.orgs["I"]])
    assert report.sent.unknown == 1
    server.handler.drop_at = set()
    again = _send(sqlite_url, server, mid, [w.orgs["I"]])
    assert again.sent.sent == 0 and _results(again) == {"オホーツク支援センター": invite.SKIP_REASON[invite.UNKNOWN]}
    assert len(server.handler.messages) == 1
    with db.session(sqlite_url) as s:
        row = s.scalar(select(InvitationSend))
        assert row.status == UNCONFIRMED
        invite.resolve_unknown(s, V, row.id, delivered=False)  # checked: it did not arrive
    assert _results(_send(sqlite_url, server, mid, [w.orgs["I"]])) == {"オホーツク支援センター": "送信しました"}
    with db.session(sqlite_url) as s:
        row = s.scalar(select(InvitationSend))
        assert (row.status, row.attempts) == (SENT, 2)
    assert len(server.handler.messages) == 2


def test_the_per_minute_limit_holds(sqlite_url, server):
    w = _world(sqlite_url)
    with db.session(sqlite_url) as s:
        invite.set_contact(s, V, w.orgs["D"], D_MAIL)
    now, slept = [0.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    report = _send(sqlite_url, server, w.meetings["future"], [w.orgs["D"], w.orgs["I"]],
                   rate=RateLimit(1, clock=lambda: now[0], sleep=sleep))
    assert report.sent.sent == 2 and slept == [60.0] and report.sent.waited_s == 60.0


def test_only_the_secretariat_lists_sends_and_marks_opt_outs(sqlite_url, server):
    w = _world(sqlite_url)
    h = hw.load(sqlite_url)
    calls = [lambda s, who: invite.candidates(s, who, w.meetings["future"], h, h),
             lambda s, who: invite.opt_out(s, who, I_MAIL), lambda s, who: invite.opt_out_frame(s, who),
             lambda s, who: invite.set_contact(s, who, w.orgs["D"], D_MAIL),
             lambda s, who: invite.log_frame(s, who, w.meetings["future"]),
             lambda s, who: invite.draft(s, who, w.meetings["future"], w.orgs["I"])]
    for who in (COMMITTEE, FACILITATOR):
        with db.session(sqlite_url) as s:
            for call in calls:
                with pytest.raises(AccessDenied):
                    call(s, who)
        with pytest.raises(AccessDenied):
            invite.send(opener(sqlite_url), who, w.meetings["future"], [w.orgs["I"]], server.settings(), None)
    with db.session(sqlite_url) as s, pytest.raises(AccessDenied):
        outcome.outcome(s, FACILITATOR, w.meetings["future"])


def test_registrations_from_invited_organisations_are_counted_by_region(db_url, server):
    w = _world(db_url)
    mid = w.meetings["future"]
    with db.session(db_url) as s:
        invite.set_contact(s, V, w.orgs["D"], D_MAIL)
    _send(db_url, server, mid, [w.orgs["D"], w.orgs["I"]])
    with db.session(db_url) as s:
        # Someone of I registers and comes; A (registered, not invited) is not counted.
        reg = Registration(meeting_id=mid, person_id=w.people["p12"], status="申込")
        s.add(reg)
        s.flush()
        s.add(Attendance(registration_id=reg.id, mark="出席"))
        # A new person of D registers, then cancels: not counted.
        p = Person(name="黒田 一", email="kuroda@kuro-town.example.jp", organisation_id=w.orgs["D"], name_key="kuroda")
        s.add(p)
        s.flush()
        s.add(Registration(meeting_id=mid, person_id=p.id, status="キャンセル"))
    with db.session(db_url) as s:
        table = outcome.outcome(s, V, mid)
        assert table.values.tolist() == [["オホーツク総合振興局", 1, 1, 1, 1], ["根室振興局", 1, 0, 0, 0], ["合計", 2, 1, 1, 1]]
        committee = outcome.outcome(s, COMMITTEE, mid)
        assert committee.values.tolist() == [["オホーツク総合振興局", "5未満", "5未満", "5未満", "5未満"],
                                             ["根室振興局", "5未満", 0, 0, 0], ["合計", "5未満", "5未満", "5未満", "5未満"]]
        assert not any("@" in str(v) or "北見" in str(v) for v in committee.values.ravel())


def test_only_registrations_received_after_the_invitation_count_as_after_it(db_url, server):
    w = _world(db_url)
    mid = w.meetings["future"]
    with db.session(db_url) as s:
        invite.set_contact(s, V, w.orgs["D"], D_MAIL)
    _send(db_url, server, mid, [w.orgs["D"], w.orgs["I"]])
    with db.session(db_url) as s:
        sent = {r.organisation_id: to_jst(r.sent_at) for r in s.scalars(select(InvitationSend))}
        # I's form was filled in two hours before the invitation went out (imported later): registered,
        # but not because of it. D's came ten minutes after its invitation. B was not invited.
        s.add(Registration(meeting_id=mid, person_id=w.people["p12"], status="申込",
                           submitted_at=sent[w.orgs["I"]] - dt.timedelta(hours=2)))
        p = Person(name="黒田 一", email="kuroda@kuro-town.example.jp", organisation_id=w.orgs["D"], name_key="kuroda")
        s.add(p)
        s.flush()
        s.add(Registration(meeting_id=mid, person_id=p.id, status="申込",
                           submitted_at=sent[w.orgs["D"]] + dt.timedelta(minutes=10)))
        s.add(Registration(meeting_id=mid, person_id=w.people["p3"], status="申込"))
    with db.session(db_url) as s:
        table = outcome.outcome(s, V, mid).rename(columns=outcome.LABELS).set_index("地域")
        assert table["申し込んだ機関"].to_dict() == {"オホーツク総合振興局": 1, "根室振興局": 1, "合計": 2}
        assert table["うちご案内後に申し込んだ機関"].to_dict() == {"オホーツク総合振興局": 0, "根室振興局": 1, "合計": 1}
        # Without a form timestamp, the moment the registration was recorded counts (after the send here).
        s.execute(update(Registration).where(Registration.person_id == w.people["p12"]).values(submitted_at=None))
    with db.session(db_url) as s:
        assert outcome.counts(s, mid)["after"].tolist() == [1, 1, 2]


def _invited_world(url: str) -> tuple[hw.World, dict[str, int]]:
    """The history world plus 8 organisations of 石狩 and 6 of 空知 (not targets: the pack's other
    pages never name them), invited to the next meeting with くろ町役場 (根室); of 石狩, 6 register (one
    before its invitation), of 空知 5 (all after), くろ町役場 after; くろ町役場 also to a 2025 meeting."""
    w = _world(url)
    mid, sent = w.meetings["future"], dt.datetime(2026, 11, 1, 1)  # UTC: 10:00 in Japan
    names = {}
    with db.session(url) as s:
        plan = [("石狩振興局", i, i < 6, i != 0) for i in range(8)] + [("空知総合振興局", i, i < 5, True) for i in range(6)]
        for region, i, registers, after in plan:
            org = Organisation(name=f"{region[:2]}支援団体{i}", kind="NPO等", region=region, name_key=f"inv-{region}-{i}")
            s.add(org)
            s.flush()
            names[org.name] = org.id
            address = f"inv{org.id}@example.net"
            s.add(InvitationSend(meeting_id=mid, organisation_id=org.id, org_name=org.name, region=region,
                                 recipient=address, subject="ご案内", status=SENT, sent_at=sent))
            if registers:
                person = Person(name=f"申込 {org.id}", email=address, organisation_id=org.id, name_key=f"inv{org.id}")
                s.add(person)
                s.flush()
                hours = 3 if after else -3
                s.add(Registration(meeting_id=mid, person_id=person.id, status="申込",
                                   submitted_at=to_jst(sent) + dt.timedelta(hours=hours)))
        for meeting in (mid, w.meetings["cancelled"]):
            s.add(InvitationSend(meeting_id=meeting, organisation_id=w.orgs["D"], org_name="くろ町役場", region="根室振興局",
                                 recipient=D_MAIL, subject="ご案内", status=SENT, sent_at=sent - dt.timedelta(days=400)))
        person = Person(name="黒田 一", email="kuroda@kuro-town.example.jp", organisation_id=w.orgs["D"], name_key="kuroda")
        s.add(person)
        s.flush()
        s.add(Registration(meeting_id=mid, person_id=person.id, status="申込"))
    return w, names


def test_the_committee_pack_has_the_invitation_outcome_by_region_counts_only(sqlite_url):
    import io

    import openpyxl

    from facilitation.history import committee_pack
    from facilitation.history import coverage as cov

    w, names = _invited_world(sqlite_url)
    mid = w.meetings["future"]
    with db.session(sqlite_url) as s:
        assert outcome.counts(s, mid).values.tolist() == [
            ["空知総合振興局", 6, 5, 5, 0], ["石狩振興局", 8, 6, 5, 0], ["根室振興局", 1, 1, 1, 0], ["合計", 15, 12, 11, 0]]
        committee = outcome.outcome(s, COMMITTEE, mid)
        section = outcome.pack_section(s, V, participation.Scope(fiscal_years=(2026,)))
        everything = outcome.pack_section(s, COMMITTEE, participation.Scope())
        none = outcome.pack_section(s, V, participation.Scope(fiscal_years=(2024,)))
        with pytest.raises(AccessDenied):
            outcome.pack_section(s, FACILITATOR, participation.Scope())
        addresses = [r.recipient for r in s.scalars(select(InvitationSend))]
    h = hw.load(sqlite_url)
    pack = committee_pack.build(h, participation.Scope(fiscal_years=(2026,)), cov.Population(size=8), V,
                                extra=(section,))
    # The page is the committee's view of the meeting: 石狩's counts and the totals shown; 根室's 1s
    # hidden, and with them 空知's (else the total minus 石狩 would give them away).
    assert list(section.frame.columns) == ["会", "地域", "ご案内した機関", "申し込んだ機関", "うちご案内後に申し込んだ機関",
                                           "参加した機関"]
    assert section.frame.drop(columns="会").values.tolist() == committee.values.tolist() == [
        ["空知総合振興局", "5未満", "5未満", "5未満", 0], ["石狩振興局", 8, 6, 5, 0], ["根室振興局", "5未満", "5未満", "5未満", 0],
        ["合計", 15, 12, 11, 0]]
    assert set(section.frame["会"]) == {"第1回 次回（2026年12月10日（木））"}
    assert set(everything.frame["会"]) == {"第1回 次回（2026年12月10日（木））", "第9回 中止になった会（2025年9月1日（月））"}
    wb = openpyxl.load_workbook(io.BytesIO(pack.xlsx))
    rows = list(wb[outcome.PACK_TITLE].values)
    assert rows[0] == tuple(section.frame.columns) and rows[2][1:] == ("石狩振興局", 8, 6, 5, 0)
    assert str(rows[-1][0]).startswith("※ご案内メールを送った会ごとに") and "「5未満」" in rows[-1][0]
    assert f"<h2>{outcome.PACK_TITLE}</h2>" in pack.html
    # No address anywhere; no invited organisation's name on the page (the pack's list of target
    # organisations not reached names くろ町役場 as before, without saying it was invited).
    html_page = pack.html.split(f"<h2>{outcome.PACK_TITLE}</h2>")[1].split("<h2>")[0]
    page = "\n".join(str(v) for row in rows for v in row if v is not None) + html_page
    cells = "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    for address in addresses:
        assert address not in cells + pack.html
    for name in [*names, "くろ町役場"]:
        assert name not in page
    for name in names:
        assert name not in cells + pack.html
    # A scope without invitations: the page is there and says so, in the HTML and in the sheet.
    assert none.frame.empty
    empty = committee_pack.build(h, participation.Scope(fiscal_years=(2024,)), cov.Population(size=8), V, extra=(none,))
    assert f"<h2>{outcome.PACK_TITLE}</h2>" in empty.html and outcome.PACK_EMPTY in empty.html
    sheet = list(openpyxl.load_workbook(io.BytesIO(empty.xlsx))[outcome.PACK_TITLE].values)
    assert sheet[1][0] == outcome.PACK_EMPTY and sheet[2][0].startswith("※")


def test_the_committee_cannot_work_out_a_hidden_count_from_the_total():
    table = pd.DataFrame([{"region": "石狩振興局", "invited": 9, "registered": 6, "after": 6, "attended": 0},
                          {"region": "空知総合振興局", "invited": 7, "registered": 2, "after": 0, "attended": 0},
                          {"region": "上川総合振興局", "invited": 5, "registered": 5, "after": 5, "attended": 5},
                          {"region": outcome.TOTAL, "invited": 21, "registered": 13, "after": 11, "attended": 5}])
    out = outcome.protect(table, 5)
    assert out["invited"].tolist() == [9, 7, 5, 21]
    # 2 is hidden; shown alone, 13 − 6 − 5 would give it: the smallest shown cell (5) goes too.
    assert out["registered"].tolist() == [6, "5未満", "5未満", 13]
    assert out["attended"].tolist() == [0, 0, 5, 5]
    assert out["after"].tolist() == [6, 0, 5, 11]  # nothing small: nothing hidden


def test_the_template_is_edited_but_the_way_to_stop_always_stays(sqlite_url):
    w = _world(sqlite_url)
    with db.session(sqlite_url) as s:
        edited = templates.TEMPLATES.get(s)
        edited[templates.BODY] = "{機関名} 御中\n{会名}のご案内です。{申込URL}"
        templates.TEMPLATES.save(s, V, edited)
        d = invite.draft(s, V, w.meetings["future"], w.orgs["I"], sender_name="どうねっと事務局")
    assert d.to == I_MAIL
    assert d.body.startswith("オホーツク支援センター 御中\n第1回 次回のご案内です。https://forms.gle/abc123")
    assert d.body.endswith(templates.STOP_NOTE)


def test_erasure_takes_the_address_out_and_the_opt_out_still_holds(sqlite_url, server):
    w = _world(sqlite_url)
    mid = w.meetings["future"]
    _send(sqlite_url, server, mid, [w.orgs["I"]])
    with db.session(sqlite_url) as s:
        invite.opt_out(s, V, I_MAIL)
        privacy.forget_person(s, V, w.people["p12"])
    with db.session(sqlite_url) as s:
        assert [r.recipient for r in s.scalars(select(InvitationSend))][0].startswith(ERASED)
        assert invite.opt_out_frame(s, V)["address"].tolist() == [ERASED]
        assert s.scalar(select(OrgContact)) is None
        # The hash still stops an invitation to that address, stored again as a contact later.
        invite.set_contact(s, V, w.orgs["D"], I_MAIL)
        assert invite.targets(s, V, mid, [w.orgs["D"]])[w.orgs["D"]].state == invite.OPTED_OUT


def test_the_message_is_readable_japanese(sqlite_url, server):
    w = _world(sqlite_url)
    _send(sqlite_url, server, w.meetings["future"], [w.orgs["I"]])
    raw = server.handler.messages[0][1]
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg.get_content_charset() == "utf-8" and "オホーツク支援センター" in msg.get_content()
    assert msg["Message-ID"].startswith("<facilitation.")


def test_the_command_line_lists_tries_sends_and_counts(sqlite_url, server, capsys, monkeypatch):
    from facilitation import cli

    w = _world(sqlite_url)
    mid = w.meetings["future"]
    assert cli.main(["--db", sqlite_url, "invitations", "list", "--meeting", str(mid), "--year", "2025"]) == 0
    out = capsys.readouterr().out
    assert f"[{w.orgs['I']}] オホーツク支援センター（オホーツク総合振興局）最近の参加なし　{I_MAIL}　送信できます" in out
    assert cli.main(["--db", sqlite_url, "invitations", "send", "--meeting", str(mid), "--org", str(w.orgs["D"]),
                     "--org", str(w.orgs["I"]), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"くろ町役場: {invite.SKIP_REASON[invite.NO_CONTACT]}" in out and f"送ります → {I_MAIL}" in out
    assert server.handler.messages == []
    for key, value in server.env().items():
        monkeypatch.setenv(key, value)
    assert cli.main(["--db", sqlite_url, "invitations", "send", "--meeting", str(mid), "--org", str(w.orgs["I"])]) == 0
    assert "1 通を送信しました。" in capsys.readouterr().out and server.handler.recipients() == [I_MAIL]
    assert cli.main(["--db", sqlite_url, "invitations", "outcome", "--meeting", str(mid)]) == 0
    assert "合計: ご案内 1・申込 0・参加 0" in capsys.readouterr().out


def test_people_of_an_organisation_merged_into_another_are_its_contacts(sqlite_url):
    from facilitation.orgs import merges

    w = _world(sqlite_url)
    with db.session(sqlite_url) as s:
        merges.set_merge(s, V, w.orgs["I"], w.orgs["D"])  # I's history (and its registrant) follows D
        found = invite.contacts(s, [w.orgs["D"]])
    assert found == {w.orgs["D"]: (I_MAIL, "最近の申込者（2024年6月10日（月）の会）")}
