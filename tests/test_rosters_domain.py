"""The room roster, the secretariat's overview, attendance taps (also concurrent) and room notes."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from facilitation.errors import AccessDenied
from facilitation.roles import COMMITTEE, FACILITATOR, SECRETARIAT, SECRETARIAT_LOCAL, Viewer
from facilitation.rosters import live, notes
from facilitation.storage import db
from facilitation.storage.models import Attendance, AuditEntry, Registration, RoomNote
from tests.rosters_world import build, move


@pytest.fixture
def world(sqlite_url):
    with db.session(sqlite_url) as s:
        w = build(s)
    return sqlite_url, w


def facilitator(w, room="R1") -> Viewer:
    return Viewer(role=FACILITATOR, email="fac@example.org", meeting_id=w.meeting_id, room_id=w.rooms[room])


def test_facilitator_sees_their_room_with_what_they_need(world):
    url, w = world
    with db.session(url) as s:
        roster = live.room_roster(s, facilitator(w), w.meeting_id, w.rooms["R1"])
    assert (roster.room_name, roster.theme, roster.zoom_prefix) == ("ルーム1", "ひきこもり支援", "R1")
    names = [p.name for p in roster.people]
    assert names == ["佐藤 陽子", "田中 誠"]  # facilitator first; the cancelled 木村 is not listed
    sato, tanaka = roster.people
    assert sato.is_facilitator and not tanaka.is_facilitator
    assert (sato.organisation, sato.region, sato.role_title) == ("NPO法人りんく", "石狩", "主任相談支援員")
    assert sato.programs == ("自立相談支援事業",)
    assert sato.zoom_name == "R1_佐藤陽子" and tanaka.zoom_name == "R1_田中誠"
    assert not sato.first_time  # attended the July meeting
    assert tanaka.first_time
    assert roster.counts == {"出席": 0, "欠席": 0, "遅刻": 0, "途中退室": 0, "未確認": 2, "合計": 2}


def test_absent_earlier_still_counts_as_first_time(world):
    url, w = world
    with db.session(url) as s:
        roster = live.room_roster(s, SECRETARIAT_LOCAL, w.meeting_id, w.rooms["R2"])
    suzuki = next(p for p in roster.people if p.name == "鈴木 健太")
    assert suzuki.first_time  # registered in July but 欠席


def test_facilitator_cannot_open_another_room_or_meeting(world):
    url, w = world
    with db.session(url) as s:
        with pytest.raises(AccessDenied):
            live.room_roster(s, facilitator(w), w.meeting_id, w.rooms["R2"])
        with pytest.raises(AccessDenied):
            live.room_roster(s, facilitator(w), w.earlier_meeting_id, w.rooms["R1"])
        with pytest.raises(AccessDenied):
            live.overview(s, facilitator(w), w.meeting_id)
        with pytest.raises(AccessDenied):
            live.mark_attendance(s, facilitator(w), w.regs["suzuki"], "出席")
        with pytest.raises(AccessDenied):
            live.room_roster(s, Viewer(role=COMMITTEE), w.meeting_id, w.rooms["R1"])
        assert live.rooms_of(s, facilitator(w), w.meeting_id) == [(w.rooms["R1"], "ルーム1：ひきこもり支援")]


def test_overview_counts_and_committee_sees_no_names(world):
    url, w = world
    with db.session(url) as s:
        live.mark_attendance(s, facilitator(w), w.regs["sato"], "出席")
        live.mark_attendance(s, SECRETARIAT_LOCAL, w.regs["ito"], "遅刻")
        live.mark_attendance(s, SECRETARIAT_LOCAL, w.regs["watanabe"], "欠席")
    with db.session(url) as s:
        ov = live.overview(s, SECRETARIAT_LOCAL, w.meeting_id)
        blind = live.overview(s, Viewer(role=COMMITTEE), w.meeting_id)
    r1, r2, r3 = ov.rooms
    assert r1.facilitator == "佐藤 陽子"
    assert (r1.counts["出席"], r1.counts["未確認"], r1.counts["合計"]) == (1, 1, 2)
    assert (r3.counts["遅刻"], r3.counts["欠席"], r3.counts["未確認"]) == (1, 1, 1)
    assert ov.totals["合計"] == 7 and ov.totals["出席"] == 1
    assert [p.name for p in ov.unassigned] == ["山本 翔"] and ov.unassigned_count == 1
    assert all(not room.people and not room.facilitator for room in blind.rooms)
    assert [room.counts for room in blind.rooms] == [room.counts for room in ov.rooms]
    assert blind.unassigned == () and blind.unassigned_count == 1


def test_moves_and_late_registrations_show_on_the_next_read(world):
    url, w = world
    stamps = []
    with db.session(url) as s:
        stamps.append(live.change_stamp(s, w.meeting_id))
        move(s, w.regs["yamamoto"], w.rooms["R1"])  # late registration placed
    with db.session(url) as s:
        stamps.append(live.change_stamp(s, w.meeting_id))
        move(s, w.regs["tanaka1"], w.rooms["R2"])  # moved out
    with db.session(url) as s:
        stamps.append(live.change_stamp(s, w.meeting_id))
        live.mark_attendance(s, SECRETARIAT_LOCAL, w.regs["sato"], "出席")
    with db.session(url) as s:
        stamps.append(live.change_stamp(s, w.meeting_id))
        assert live.change_stamp(s, w.earlier_meeting_id) == live.change_stamp(s, w.earlier_meeting_id)
    assert len(set(stamps)) == 4  # every change moves the stamp pages poll
    with db.session(url) as s:
        roster = live.room_roster(s, facilitator(w), w.meeting_id, w.rooms["R1"])
    assert [p.name for p in roster.people] == ["佐藤 陽子", "山本 翔"]
    yamamoto = roster.people[1]
    assert (yamamoto.region, yamamoto.zoom_name) == ("オホーツク", "R1_山本翔")


def test_a_tap_sets_the_mark_and_the_registration_status(db_url):
    with db.session(db_url) as s:
        w = build(s)
    fac = Viewer(role=FACILITATOR, email="fac@example.org", meeting_id=w.meeting_id, room_id=w.rooms["R1"])
    with db.session(db_url, actor=fac.actor) as s:
        out = live.mark_attendance(s, fac, w.regs["tanaka1"], "遅刻")
    assert (out.mark, out.status, out.marked_by) == ("遅刻", "出席", "fac@example.org")
    with db.session(db_url) as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.entity == "attendance"))
    assert (entry.actor, entry.entity_id, entry.after["mark"]) == ("fac@example.org", str(w.regs["tanaka1"]), "遅刻")
    with db.session(db_url) as s:
        live.mark_attendance(s, SECRETARIAT_LOCAL, w.regs["tanaka1"], "欠席")
        assert s.get(Registration, w.regs["tanaka1"]).status == "欠席"
        live.mark_attendance(s, SECRETARIAT_LOCAL, w.regs["tanaka1"], "")  # undo a mistaken tap
    with db.session(db_url) as s:
        assert s.get(Registration, w.regs["tanaka1"]).status == "申込"
        assert s.scalar(select(Attendance).where(Attendance.registration_id == w.regs["tanaka1"])) is None
        with pytest.raises(live.AttendanceError, match="出欠の記録に使えません"):
            live.mark_attendance(s, SECRETARIAT_LOCAL, w.regs["tanaka1"], "在室")
        with pytest.raises(live.AttendanceError, match="見つかりません"):
            live.mark_attendance(s, SECRETARIAT_LOCAL, 999_999, "出席")


def test_concurrent_taps_from_phones_and_the_secretariat_are_all_recorded(db_url):
    """Three 'devices' tap different people at once, several times; then all tap one person."""
    with db.session(db_url) as s:
        w = build(s)
    regs = [w.regs[k] for k in ("sato", "tanaka1", "takahashi", "suzuki", "tanaka2", "ito", "watanabe", "yamamoto")]
    devices = {
        "phone-r1": [regs[0], regs[1]],
        "phone-r3": [regs[4], regs[5], regs[6]],
        "secretariat": [regs[2], regs[3], regs[7]],
    }
    final = {rid: mark for rid, mark in zip(regs, ["出席", "遅刻", "途中退室", "欠席", "出席", "遅刻", "欠席", "出席"], strict=True)}
    errors: list[BaseException] = []
    start = threading.Barrier(len(devices) + 1)

    def tap(device: str, ids: list[int]) -> None:
        try:
            start.wait()
            for round_ in range(5):
                for rid in ids:
                    mark = final[rid] if round_ == 4 else live.MARKS[(round_ + rid) % 4]
                    with db.session(db_url, actor=device) as s:
                        live.mark_attendance(s, Viewer(role=SECRETARIAT, email=device), rid, mark)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=tap, args=item) for item in devices.items()]
    for t in threads:
        t.start()
    start.wait()
    for t in threads:
        t.join(60)
    assert errors == []
    with db.session(db_url) as s:
        got = dict(s.execute(select(Attendance.registration_id, Attendance.mark)).all())
        by = dict(s.execute(select(Attendance.registration_id, Attendance.marked_by)).all())
        statuses = dict(s.execute(select(Registration.id, Registration.status).where(Registration.id.in_(regs))).all())
    assert got == final
    assert by[regs[0]] == "phone-r1" and by[regs[4]] == "phone-r3" and by[regs[7]] == "secretariat"
    assert statuses == {rid: ("欠席" if m == "欠席" else "出席") for rid, m in final.items()}

    # Same person from three devices at once: no error, exactly one row, one of the taps wins.
    target = regs[1]
    gate = threading.Barrier(3)

    def same(device: str, mark: str) -> None:
        try:
            gate.wait()
            with db.session(db_url, actor=device) as s:
                live.mark_attendance(s, Viewer(role=SECRETARIAT, email=device), target, mark)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=same, args=(d, m)) for d, m in
               (("phone-r1", "出席"), ("phone-2", "遅刻"), ("secretariat", "途中退室"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with db.session(db_url) as s:
        rows = s.execute(select(Attendance.mark, Attendance.marked_by).where(Attendance.registration_id == target)).all()
    assert len(rows) == 1 and (rows[0].mark, rows[0].marked_by) in {
        ("出席", "phone-r1"), ("遅刻", "phone-2"), ("途中退室", "secretariat")}


def test_a_tap_based_on_an_old_screen_is_refused(world):
    url, w = world
    with db.session(url) as s:
        live.mark_attendance(s, SECRETARIAT_LOCAL, w.regs["sato"], "欠席", shown="")
        with pytest.raises(live.AttendanceChanged, match="「欠席」に変更していました") as refused:
            live.mark_attendance(s, facilitator(w), w.regs["sato"], "出席", shown="")  # the phone still showed none
        assert refused.value.current == "欠席"
        assert live.mark_attendance(s, facilitator(w), w.regs["sato"], "出席", shown="欠席").mark == "出席"
        assert live.marks_of(s, w.meeting_id)[w.regs["sato"]] == "出席"


# --- room notes ---

def test_note_prefilled_from_the_room_until_saved(world):
    url, w = world
    with db.session(url) as s:
        note = notes.get_note(s, facilitator(w), w.rooms["R1"])
    assert note.updated_at is None and set(note.prefilled) == {"theme", "participants"}
    assert note.theme == "ひきこもり支援"
    assert note.participants == "NPO法人りんく（ファシリ）、江別市"



def test_prefilled_participants_leave_out_people_marked_absent(world):
    url, w = world
    with db.session(url) as s:
        live.mark_attendance(s, SECRETARIAT_LOCAL, w.regs["tanaka1"], "欠席")  # 江別市's only person in R1
        note = notes.get_note(s, facilitator(w), w.rooms["R1"])
        assert note.participants == "NPO法人りんく（ファシリ）"
        live.mark_attendance(s, SECRETARIAT_LOCAL, w.regs["tanaka1"], "遅刻")
        assert notes.get_note(s, facilitator(w), w.rooms["R1"]).participants == "NPO法人りんく（ファシリ）、江別市"


def test_two_editors_of_different_fields_do_not_lose_each_others_text(db_url):
    with db.session(db_url) as s:
        w = build(s)
    room = w.rooms["R1"]
    fac = Viewer(role=FACILITATOR, email="fac@example.org", meeting_id=w.meeting_id, room_id=room)
    with db.session(db_url) as s:  # both open the form
        base_fac = notes.get_note(s, fac, room).values()
        base_sec = notes.get_note(s, SECRETARIAT_LOCAL, room).values()
    with db.session(db_url) as s:
        saved = notes.save_note(s, fac, room, {**base_fac, "issues": "家族からの相談で止まってしまう。"}, base=base_fac)
    with db.session(db_url) as s:  # the secretariat's stale form holds the old (empty) issues
        notes.save_note(s, SECRETARIAT_LOCAL, room, {**base_sec, "summary": "焦らず関係を作る。"}, base=base_sec)
        notes.save_note(s, fac, room, {"efforts": "手紙から始める。"})
    with db.session(db_url) as s:
        note = notes.get_note(s, fac, room)
        row = s.scalar(select(RoomNote).where(RoomNote.room_id == room))
    assert (note.issues, note.efforts, note.summary) == ("家族からの相談で止まってしまう。", "手紙から始める。", "焦らず関係を作る。")
    assert note.updated_at >= saved and row.updated_by == "fac@example.org"
    assert row.participants == "" and note.participants.startswith("NPO法人りんく")  # never typed: still live


def test_a_save_never_replaces_a_newer_save_unseen(db_url):
    with db.session(db_url) as s:
        w = build(s)
    room = w.rooms["R1"]
    fac = Viewer(role=FACILITATOR, email="fac@example.org", meeting_id=w.meeting_id, room_id=room)
    with db.session(db_url) as s:
        notes.save_field(s, fac, room, "issues", "家族の相談", started_from="")
    with db.session(db_url) as s:  # the secretariat edits the same field from what it saw
        notes.save_field(s, SECRETARIAT_LOCAL, room, "issues", "家族の相談が多い", started_from="家族の相談")
    with db.session(db_url) as s, pytest.raises(notes.NoteConflict) as refused:
        notes.save_field(s, fac, room, "issues", "家族の相談（続き）", started_from="家族の相談")
    assert refused.value.current == "家族の相談が多い"
    with db.session(db_url) as s:
        assert notes.get_note(s, fac, room).issues == "家族の相談が多い"
        # The same text as is saved is no conflict; a choice made from the other text is saved.
        notes.save_field(s, fac, room, "issues", "家族の相談が多い", started_from="家族の相談")
        notes.save_field(s, fac, room, "issues", "家族の相談が多い（続き）", started_from="家族の相談が多い")
        # A prefill counts as what the editor started from.
        prefilled = notes.get_note(s, fac, room).participants
        notes.save_field(s, fac, room, "participants", prefilled + "、札幌市", started_from=prefilled)
        with pytest.raises(notes.NoteError, match="項目"):
            notes.save_field(s, fac, room, "名前", "x")
    with db.session(db_url) as s:
        note = notes.get_note(s, fac, room)
    assert note.issues == "家族の相談が多い（続き）" and note.participants.endswith("、札幌市")


def test_notes_are_scoped_and_checked(world):
    url, w = world
    with db.session(url) as s:
        with pytest.raises(AccessDenied):
            notes.get_note(s, facilitator(w), w.rooms["R2"])
        with pytest.raises(AccessDenied):
            notes.save_note(s, facilitator(w, "R2"), w.rooms["R1"], {"issues": "x"})
        with pytest.raises(notes.NoteError, match="項目"):
            notes.save_note(s, SECRETARIAT_LOCAL, w.rooms["R1"], {"名前": "x"})
        with pytest.raises(notes.NoteError, match="長すぎます"):
            notes.save_note(s, SECRETARIAT_LOCAL, w.rooms["R1"], {"issues": "あ" * (notes.MAX_CHARS + 1)})
