"""個人情報の削除依頼: the person's personal fields go everywhere, the counts stay the same."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from facilitation.access import privacy
from facilitation.errors import AccessDenied, UserError
from facilitation.meetings import schedule
from facilitation.roles import COMMITTEE, SECRETARIAT, Viewer
from facilitation.storage import backup, db
from facilitation.storage.models import AuditEntry, Meeting, Person, Registration

ADMIN = Viewer(role=SECRETARIAT, email="office@example.org")


def _busiest_person(url: str) -> tuple[int, str, str]:
    with db.session(url) as s:
        pid = s.scalar(select(Registration.person_id).group_by(Registration.person_id)
                       .order_by(func.count().desc(), Registration.person_id).limit(1))
        p = s.get(Person, pid)
        return pid, p.name, p.email


def _all_counts(url: str) -> dict[int, str]:
    with db.session(url) as s:
        return {m.id: schedule.meeting_counts(s, m.id).line for m in s.scalars(select(Meeting))}


def _add_other_areas(url: str, person_id: int, name: str, email: str) -> None:
    """Rows in the registrations, rosters and open-chat tables that carry the person's data."""
    from facilitation.openchat.models import ChatEvent, ChatMember, ChatMessage
    from facilitation.registrations.models import KeptAsideRow, RegistrationSource
    from facilitation.rosters.models import ZoomParticipant

    with db.session(url, actor="import") as s:
        reg = s.scalars(select(Registration).where(Registration.person_id == person_id)).first()
        reg.note = f"{name}です。車椅子で参加します"
        reg.extra = {"連絡先": "090-0000-0000"}
        s.add(RegistrationSource(registration_id=reg.id, row_hash="h1", raw={"氏名": name, "メール": email}))
        s.add(KeptAsideRow(meeting_id=reg.meeting_id, source="file", raw={"氏名": name, "所属": "？"},
                           reason="所属が不明です", row_hash="h2"))
        s.add(KeptAsideRow(meeting_id=reg.meeting_id, source="file", raw={"氏名": "別の 人", "所属": "？"},
                           reason="所属が不明です", row_hash="h3"))
        s.add(ZoomParticipant(meeting_id=reg.meeting_id, display_name=f"R3_{name}", original_name=name,
                              email=email, registration_id=reg.id))
        member = ChatMember(nickname="札幌社協&" + name.split()[0], surname=name.split()[0], person_id=person_id)
        s.add(member)
        s.flush()
        s.add(ChatMessage(at=dt.datetime(2026, 5, 1, 10), sender=member.nickname, member_id=member.id,
                          text="フードバンクの件で相談です", length=13, is_question=True, fingerprint="f1"))
        s.add(ChatMessage(at=dt.datetime(2026, 5, 1, 11), sender="別の人", text="こんにちは", length=5,
                          fingerprint="f2"))
        s.add(ChatEvent(at=dt.datetime(2026, 5, 1, 9), kind="join", actor=member.nickname,
                        text=f"{member.nickname}が参加しました", fingerprint="e1"))
        from facilitation.surveys.models import SurveyResponse, SurveySheet

        survey = SurveySheet(title="第3回アンケート", meeting_id=reg.meeting_id,
                             headers=["氏名", "メールアドレス", "役に立ちましたか", "ご意見"])
        s.add(survey)
        s.flush()
        s.add(SurveyResponse(survey_id=survey.id, answers_raw=[name, email, "とても役に立った", "次回も参加したい"],
                             email=email, name=name, org_text="札幌市社協", person_id=person_id))
        s.add(SurveyResponse(survey_id=survey.id, answers_raw=[name.replace(" ", ""), "", "役に立った", "特になし"],
                             name=name.replace(" ", ""), position=1))  # typed without the space, not linked


def test_forgetting_a_person_erases_everywhere_and_keeps_counts(demo_copy_url):
    url = demo_copy_url
    pid, name, email = _busiest_person(url)
    _add_other_areas(url, pid, name, email)
    with db.session(url, actor=ADMIN.actor) as s:  # a later edit, so the audit log holds the name twice
        s.get(Person, pid).furigana = "ふりがなてすと"
    counts = _all_counts(url)
    with db.session(url) as s:
        n_regs = s.scalar(select(func.count()).select_from(Registration))
    with db.session(url, actor=ADMIN.actor) as s:
        report = privacy.forget_person(s, ADMIN, pid)
    assert "参加人数・機関数の集計はそのまま" in report.message
    assert report.audit_entries_scrubbed >= 2

    assert _all_counts(url) == counts  # same 名 and 機関 per meeting
    with db.session(url) as s:
        assert s.scalar(select(func.count()).select_from(Registration)) == n_regs
        p = s.get(Person, pid)
        assert (p.name, p.furigana, p.email, p.name_key) == ("削除済み", "", "", "")
        assert p.deleted_at is not None and p.organisation_id is not None
        for reg in s.scalars(select(Registration).where(Registration.person_id == pid)):
            assert reg.note == "" and reg.extra == {}

    # Nothing in the whole database (all tables, the audit log included) still holds them.
    dump = json.dumps(backup.dump(db.get_engine(url)), ensure_ascii=False)
    assert email not in dump
    assert name not in dump and name.replace(" ", "") not in dump
    assert "ふりがなてすと" not in dump and "フードバンクの件で相談です" not in dump
    assert "090-0000-0000" not in dump
    assert "別の 人" in dump and "こんにちは" in dump  # other people's rows untouched
    assert "とても役に立った" in dump and "札幌市社協" in dump  # survey answers and organisation stay

    from facilitation.openchat.models import ChatMessage

    with db.session(url) as s:
        msg = s.scalars(select(ChatMessage).where(ChatMessage.fingerprint == "f1")).one()
        assert msg.text is None and msg.redacted and msg.is_question and msg.length == 13  # counts stay
        erase = s.scalars(select(AuditEntry).where(AuditEntry.action == "erase")).all()
        assert erase and all("削除済み" in json.dumps(e.before or {}, ensure_ascii=False) or e.before is None
                             for e in erase)


def test_forget_is_for_the_secretariat_and_unknown_ids_are_explained(sqlite_url):
    with db.session(sqlite_url) as s:
        with pytest.raises(AccessDenied):
            privacy.forget_person(s, Viewer(role=COMMITTEE), 1)
        with pytest.raises(UserError, match="見つかりません"):
            privacy.forget_person(s, ADMIN, 424242)


def test_finding_people_for_the_request(demo_copy_url):
    pid, name, email = _busiest_person(demo_copy_url)
    with db.session(demo_copy_url) as s:
        found = privacy.find_people(s, ADMIN, email.upper())
        assert [p["id"] for p in found] == [pid]
        assert privacy.find_people(s, ADMIN, "") == []
    with db.session(demo_copy_url, actor=ADMIN.actor) as s:
        privacy.forget_person(s, ADMIN, pid)
    with db.session(demo_copy_url) as s:
        assert privacy.find_people(s, ADMIN, email) == []  # an erased person is not found again


def test_areas_plug_in_their_own_erasers(sqlite_url):
    seen = []

    @privacy.eraser("95_test_area")
    def _mine(session, subject):
        seen.append((subject.person_id, subject.name))
        return [privacy.Erased("test_area", [1], ["nickname"])]

    try:
        with db.session(sqlite_url, actor="t") as s:
            p = Person(name="追加 太郎", email="taro@example.org")
            s.add(p)
            s.flush()
            report = privacy.forget_person(s, ADMIN, p.id)
        assert seen == [(p.id, "追加 太郎")]
        assert any(e.table == "test_area" for e in report.erased)
    finally:
        privacy._ERASERS.pop("95_test_area", None)


def test_cli_forget_person(demo_copy_url, capsys):
    from facilitation.cli import main

    pid, name, _ = _busiest_person(demo_copy_url)
    assert main(["--db", demo_copy_url, "forget-person", "--person", str(pid)]) == 0
    assert "個人情報を削除しました" in capsys.readouterr().out
    assert main(["--db", demo_copy_url, "forget-person", "--person", "999999"]) == 2
    assert "見つかりません" in capsys.readouterr().err
