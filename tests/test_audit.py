"""The audit log (who, when, what, before/after) and stale edits refused with the newer state."""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
import pytest
from sqlalchemy import update

from facilitation.assignment import service
from facilitation.errors import AccessDenied
from facilitation.roles import COMMITTEE, FACILITATOR, SECRETARIAT, Viewer
from facilitation.storage import audit, db
from facilitation.storage.models import Assignment, AuditEntry, Meeting, Organisation, Person, Registration, Room

ADMIN = Viewer(role=SECRETARIAT, email="office@example.org")
OTHER = Viewer(role=SECRETARIAT, email="staff2@example.org")


def _world(url: str) -> dict:
    with db.session(url, actor="setup") as s:
        org = Organisation(name="札幌市社会福祉協議会", kind="社会福祉協議会", region="石狩", name_key="k")
        m = Meeting(title="第3回", starts_at=dt.datetime(2026, 12, 10, 14), fiscal_year=2026)
        s.add_all([org, m])
        s.flush()
        rooms = [Room(meeting_id=m.id, name=f"ルーム{i}", position=i) for i in (1, 2, 3)]
        p = Person(name="監査 花子", email="hanako@example.org", organisation_id=org.id, name_key="かんさはなこ")
        s.add_all([*rooms, p])
        s.flush()
        reg = Registration(meeting_id=m.id, person_id=p.id)
        s.add(reg)
        s.flush()
        a = Assignment(registration_id=reg.id, room_id=rooms[0].id)
        s.add(a)
        s.flush()
        return {"meeting": m.id, "rooms": [r.id for r in rooms], "person": p.id, "reg": reg.id, "assignment": a.id}


def _entries(url: str, **where) -> list[AuditEntry]:
    with db.session(url) as s:
        q = s.query(AuditEntry).order_by(AuditEntry.id)
        for k, v in where.items():
            q = q.filter(getattr(AuditEntry, k) == v)
        return q.all()


def test_every_change_is_logged_with_actor_and_values(db_url):
    w = _world(db_url)
    inserted = _entries(db_url, entity="people", action="insert")
    assert len(inserted) == 1 and inserted[0].actor == "setup" and inserted[0].entity_id == str(w["person"])
    assert inserted[0].after["name"] == "監査 花子" and inserted[0].before is None
    with db.session(db_url, actor=ADMIN.actor) as s:
        p = s.get(Person, w["person"])
        p.role_title = "主任相談支援員"
        p.name = "監査 花子"  # unchanged value: not a change
    with db.session(db_url, actor=OTHER.actor) as s:
        s.delete(s.get(Assignment, w["assignment"]))
    upd = _entries(db_url, entity="people", action="update")
    assert len(upd) == 1
    assert (upd[0].actor, upd[0].before, upd[0].after) == (ADMIN.actor, {"role_title": ""}, {"role_title": "主任相談支援員"})
    deleted = _entries(db_url, entity="assignments", action="delete")
    assert deleted[0].actor == OTHER.actor and deleted[0].before["room_id"] == w["rooms"][0]
    assert deleted[0].after is None


def test_a_rolled_back_change_leaves_no_entry(sqlite_url):
    w = _world(sqlite_url)
    before = len(_entries(sqlite_url))
    with pytest.raises(RuntimeError), db.session(sqlite_url, actor="x") as s:
        s.get(Person, w["person"]).name = "途中で失敗"
        s.flush()
        raise RuntimeError("boom")
    assert len(_entries(sqlite_url)) == before


def test_bulk_statements_are_logged_without_values(sqlite_url):
    w = _world(sqlite_url)
    with db.session(sqlite_url, actor=ADMIN.actor) as s:
        s.execute(update(Person).where(Person.id == w["person"]).values(furigana="ひみつのなまえ"))
    bulk = _entries(sqlite_url, action="bulk_update")
    assert len(bulk) == 1 and bulk[0].entity == "people"
    assert bulk[0].after == {"columns": ["furigana"], "rows": 1}
    assert "ひみつ" not in str(bulk[0].after)


def test_reader_filters_and_is_for_the_secretariat_only(sqlite_url):
    w = _world(sqlite_url)
    with db.session(sqlite_url, actor=ADMIN.actor) as s:
        s.get(Room, w["rooms"][1]).name = "ひきこもり支援の部屋"
    with db.session(sqlite_url) as s:
        everything = audit.read_log(s, ADMIN)
        assert len(everything) == len(_entries(sqlite_url))
        mine = audit.read_log(s, ADMIN, audit.AuditFilter(actor="office@"))
        assert mine["操作"].tolist() == ["変更"] and mine["対象"].tolist() == ["ルーム"]
        assert "ルーム2 → ひきこもり支援の部屋" in mine["内容"].iloc[0]
        assert len(audit.read_log(s, ADMIN, audit.AuditFilter(entity="rooms", action="insert"))) == 3
        assert len(audit.read_log(s, ADMIN, audit.AuditFilter(text="ひきこもり"))) == 1
        future = audit.read_log(s, ADMIN, audit.AuditFilter(since=dt.datetime.now() + dt.timedelta(days=2)))
        assert future.empty
        assert "office@example.org" in audit.actors(s)
        for v in (Viewer(role=COMMITTEE), Viewer(role=FACILITATOR, meeting_id=1, room_id=1)):
            with pytest.raises(AccessDenied):
                audit.read_log(s, v)


def test_no_personal_values_reach_the_application_log(sqlite_url, caplog):
    caplog.set_level(logging.DEBUG)
    w = _world(sqlite_url)
    with db.session(sqlite_url, actor=ADMIN.actor) as s:
        s.get(Person, w["person"]).email = "changed@example.org"
    from facilitation.access import privacy

    with db.session(sqlite_url, actor=ADMIN.actor) as s:
        privacy.forget_person(s, ADMIN, w["person"])
    for secret in ("監査", "花子", "hanako@", "changed@"):
        assert secret not in caplog.text


# --- Stale edits (the rooms page's one way to save moves: service.apply_edits) ------------------

def _move(s, viewer, w, room: str, version: int):
    row = {"assignment_id": w["assignment"], "version": version, "room": room, "pinned": False,
           "facilitator": False}
    return service.apply_edits(s, viewer, w["meeting"], pd.DataFrame([row]))


def test_a_stale_edit_is_refused_with_the_newer_state(db_url):
    w = _world(db_url)
    r1, r2, r3 = w["rooms"]
    # Both secretaries opened the page at version 1.
    with db.session(db_url, actor=ADMIN.actor) as s:
        assert _move(s, ADMIN, w, "ルーム2", 1).changed == 1
    with db.session(db_url, actor=OTHER.actor) as s:
        result = _move(s, OTHER, w, "ルーム3", 1)
    assert result.changed == 0 and len(result.refused) == 1
    message = result.refused[0]
    assert "office@example.org" in message and "「ルーム2」" in message and "保存しませんでした" in message
    with db.session(db_url) as s:
        a = s.get(Assignment, w["assignment"])
        assert (a.room_id, a.version) == (r2, 2)  # never silently overwritten


def test_a_race_between_read_and_write_is_caught_by_the_version_column(db_url):
    w = _world(db_url)
    r1, r2, r3 = w["rooms"]
    with db.session(db_url, actor=OTHER.actor) as slow:
        slow.get(Assignment, w["assignment"])  # loaded at version 1, still in the identity map
        with db.session(db_url, actor=ADMIN.actor) as fast:
            _move(fast, ADMIN, w, "ルーム2", 1)
        result = _move(slow, OTHER, w, "ルーム3", 1)
        assert result.changed == 0 and len(result.refused) == 1 and "保存しませんでした" in result.refused[0]
    with db.session(db_url) as s:
        a = s.get(Assignment, w["assignment"])
        assert (a.room_id, a.version, a.updated_by) == (r2, 2, ADMIN.actor)
    moves = [e for e in _entries(db_url, entity="assignments", action="update")]
    assert len(moves) == 1 and moves[0].actor == ADMIN.actor  # the refused edit left no entry


def test_a_deleted_assignment_and_wrong_rooms(sqlite_url):
    w = _world(sqlite_url)
    with db.session(sqlite_url, actor=ADMIN.actor) as s:
        with pytest.raises(service.AssignmentError, match="ありません"):
            _move(s, ADMIN, w, "ルーム99", 1)
    with db.session(sqlite_url, actor=ADMIN.actor) as s:
        s.delete(s.get(Assignment, w["assignment"]))
    with db.session(sqlite_url, actor=ADMIN.actor) as s:
        gone = _move(s, ADMIN, w, "ルーム2", 1)
        assert gone.changed == 0 and "削除" in gone.refused[0]
        with pytest.raises(AccessDenied):
            _move(s, Viewer(role=COMMITTEE), w, "ルーム2", 1)
