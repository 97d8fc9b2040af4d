"""Facilitator links: signature, expiry, tampering, revocation, scope — pure and with the database."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facilitation.access import gate
from facilitation.errors import AccessDenied
from facilitation.roles import COMMITTEE, FACILITATOR, SECRETARIAT, Viewer
from facilitation.storage import db
from facilitation.storage.models import Meeting, Room

SECRET = b"s" * 40
OTHER = b"o" * 40
NOW = dt.datetime(2026, 12, 1, 12, 0)
ADMIN = Viewer(role=SECRETARIAT, email="office@example.org")


def test_a_signed_token_verifies_with_its_scope():
    token = gate.sign_token(SECRET, 3, 17, NOW + dt.timedelta(hours=2), "abc123")
    check = gate.verify_token(token, SECRET, now=NOW)
    assert check.ok and (check.meeting_id, check.room_id, check.jti) == (3, 17, "abc123")
    v = check.viewer()
    assert (v.role, v.meeting_id, v.room_id) == (FACILITATOR, 3, 17)
    assert v.sees_names and not v.is_secretariat


def test_an_expired_token_is_refused_with_the_japanese_expiry_time():
    token = gate.sign_token(SECRET, 3, 17, dt.datetime(2026, 12, 1, 9, 0), "abc123")
    check = gate.verify_token(token, SECRET, now=NOW)
    assert not check.ok and check.reason == "expired"
    assert "2026年12月1日（火） 18:00" in check.message  # 09:00 UTC is 18:00 in Japan
    with pytest.raises(AccessDenied):
        check.viewer()


@pytest.mark.parametrize("mutate", [
    lambda t: t.replace("v1.3.17.", "v1.3.18.", 1),  # another room
    lambda t: t.replace("v1.3.17.", "v1.4.17.", 1),  # another meeting
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # one character of the signature
    lambda t: ".".join(t.split(".")[:3] + [str(int(t.split(".")[3]) + 86400)] + t.split(".")[4:]),  # later expiry
])
def test_a_tampered_token_is_refused(mutate):
    token = gate.sign_token(SECRET, 3, 17, NOW + dt.timedelta(hours=2), "abc123")
    check = gate.verify_token(mutate(token), SECRET, now=NOW)
    assert not check.ok and check.reason == "signature"
    assert "事務局に新しいリンク" in check.message


def test_a_token_signed_with_another_secret_is_refused():
    token = gate.sign_token(OTHER, 3, 17, NOW + dt.timedelta(hours=2), "abc123")
    assert gate.verify_token(token, SECRET, now=NOW).reason == "signature"


@pytest.mark.parametrize("junk", ["", None, "v1", "v1.1.2.3.4", "v2.1.2.3.abc.sig", "v1.a.2.3.abc.sig",
                                  "v1.1.2.3.ab-c.sig", "x" * 1000, "v1.1.2.99999999999999.abc.sig",
                                  "<script>alert(1)</script>", "v1.1.2.3.abc.sig.extra"])
def test_malformed_tokens_are_refused_politely(junk):
    check = gate.verify_token(junk, SECRET, now=NOW)
    assert not check.ok and check.reason in ("malformed", "signature") and check.message


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_no_random_text_is_ever_accepted_and_none_crashes(text):
    assert not gate.verify_token(text, SECRET, now=NOW).ok


def test_an_overview_ticket_and_a_facilitator_link_are_never_taken_for_each_other():
    """The secretariat overview's ticket is signed with the same key as the links, for another purpose."""
    at = 1_800_000_000.0
    ticket = gate.overview_ticket(SECRET, 3, "office@example.org", now=at)
    assert gate.ticket_email(ticket, SECRET, 3, now=at + 60) == "office@example.org"
    assert gate.ticket_email(ticket, OTHER, 3, now=at + 60) is None  # another key
    assert gate.ticket_email(ticket, SECRET, 4, now=at + 60) is None  # another meeting
    assert gate.ticket_email(ticket, SECRET, 3, now=at + gate.TICKET_HOURS * 3600 + 1) is None  # expired
    assert not gate.verify_token(ticket, SECRET).ok
    link = gate.sign_token(SECRET, 3, 17, NOW + dt.timedelta(hours=2), "abc123")
    assert gate.ticket_email(link, SECRET, 3, now=at) is None


def test_secret_must_be_long_enough(monkeypatch, tmp_path):
    monkeypatch.delenv(gate.SECRET_ENV, raising=False)
    with pytest.raises(gate.AccessError):
        gate.link_secret("short")
    with pytest.raises(gate.AccessError):
        gate.link_secret(None, fallback=None)
    key = gate.link_secret(None, fallback=tmp_path / "k")
    assert len(key) >= 32 and gate.link_secret(None, fallback=tmp_path / "k") == key
    assert (tmp_path / "k").stat().st_mode & 0o077 == 0  # readable by the owner only


# --- With the database --------------------------------------------------------------------

def _meeting_with_rooms(url: str) -> tuple[int, int, int, int]:
    with db.session(url, actor="test") as s:
        m1 = Meeting(title="第1回", starts_at=dt.datetime(2026, 12, 10, 14), fiscal_year=2026)
        m2 = Meeting(title="第2回", starts_at=dt.datetime(2027, 2, 10, 14), fiscal_year=2026)
        s.add_all([m1, m2])
        s.flush()
        r1, r2 = Room(meeting_id=m1.id, name="ルーム1"), Room(meeting_id=m1.id, name="ルーム2")
        r3 = Room(meeting_id=m2.id, name="ルーム1")
        s.add_all([r1, r2, r3])
        s.flush()
        return m1.id, r1.id, r2.id, r3.id


def test_issue_check_and_revoke_on_both_databases(db_url):
    m1, r1, r2, _ = _meeting_with_rooms(db_url)
    with db.session(db_url, actor=ADMIN.actor) as s:
        link = gate.issue_link(s, ADMIN, r1, SECRET, now=NOW)
    with db.session(db_url) as s:
        check = gate.check_link(s, link.token, SECRET, now=NOW)
        assert check.ok and (check.meeting_id, check.room_id) == (m1, r1)
        again = gate.current_link(s, r1, SECRET, now=NOW)
        assert again is not None and again.token == link.token  # re-signed from the row, same link
        assert gate.current_link(s, r2, SECRET, now=NOW) is None
    with db.session(db_url, actor=ADMIN.actor) as s:
        assert gate.revoke_links(s, ADMIN, room_id=r1, now=NOW) == 1
    with db.session(db_url) as s:
        check = gate.check_link(s, link.token, SECRET, now=NOW)
        assert not check.ok and check.reason == "revoked" and "無効" in check.message
        assert gate.current_link(s, r1, SECRET, now=NOW) is None
        frame = gate.links_frame(s, ADMIN, m1, now=NOW)
        assert frame["status"].tolist() == ["無効（取り消し済み）"]
        assert link.token not in frame.to_csv()  # the list never shows the credential


def test_default_expiry_is_the_end_of_the_day_after_the_meeting(sqlite_url):
    _, r1, _, _ = _meeting_with_rooms(sqlite_url)
    with db.session(sqlite_url, actor="t") as s:
        link = gate.issue_link(s, ADMIN, r1, SECRET, now=NOW)
    # Meeting on 2026-12-10 (JST): valid until 2026-12-12 00:00 JST = 2026-12-11 15:00 UTC.
    assert link.expires_at == dt.datetime(2026, 12, 11, 15, 0)
    with db.session(sqlite_url) as s:
        assert gate.check_link(s, link.token, SECRET, now=dt.datetime(2026, 12, 11, 14, 59)).ok
        assert gate.check_link(s, link.token, SECRET, now=dt.datetime(2026, 12, 11, 15, 0)).reason == "expired"


def test_explicit_hours_and_bounds(sqlite_url):
    _, r1, _, _ = _meeting_with_rooms(sqlite_url)
    with db.session(sqlite_url, actor="t") as s:
        link = gate.issue_link(s, ADMIN, r1, SECRET, hours=3, now=NOW)
        assert link.expires_at == NOW + dt.timedelta(hours=3)
        with pytest.raises(gate.AccessError):
            gate.issue_link(s, ADMIN, r1, SECRET, hours=0, now=NOW)
        with pytest.raises(gate.AccessError):
            gate.issue_link(s, ADMIN, 999_999, SECRET, now=NOW)


def test_a_valid_signature_alone_is_not_enough(sqlite_url):
    """A token never issued (or whose row is gone with its room) is refused even if well signed."""
    m1, r1, _, _ = _meeting_with_rooms(sqlite_url)
    forged = gate.sign_token(SECRET, m1, r1, NOW + dt.timedelta(hours=5), "feedfacecafe0000")
    with db.session(sqlite_url) as s:
        assert gate.check_link(s, forged, SECRET, now=NOW).reason == "unknown"
    with db.session(sqlite_url, actor="t") as s:
        link = gate.issue_link(s, ADMIN, r1, SECRET, now=NOW)
    with db.session(sqlite_url, actor="t") as s:
        s.delete(s.get(Room, r1))
    with db.session(sqlite_url) as s:
        assert not gate.check_link(s, link.token, SECRET, now=NOW).ok


def test_only_the_secretariat_issues_and_revokes(sqlite_url):
    _, r1, _, _ = _meeting_with_rooms(sqlite_url)
    with db.session(sqlite_url) as s:
        for v in (Viewer(role=COMMITTEE, email="c@example.org"),
                  Viewer(role=FACILITATOR, email="link:x", meeting_id=1, room_id=r1)):
            with pytest.raises(AccessDenied):
                gate.issue_link(s, v, r1, SECRET)
            with pytest.raises(AccessDenied):
                gate.revoke_links(s, v, room_id=r1)


def test_revoking_a_meeting_revokes_every_room(sqlite_url):
    m1, r1, r2, r3 = _meeting_with_rooms(sqlite_url)
    with db.session(sqlite_url, actor="t") as s:
        links = [gate.issue_link(s, ADMIN, r, SECRET, now=NOW) for r in (r1, r2, r3)]
    with db.session(sqlite_url, actor="t") as s:
        assert gate.revoke_links(s, ADMIN, meeting_id=m1, now=NOW) == 2
    with db.session(sqlite_url) as s:
        assert [gate.check_link(s, x.token, SECRET, now=NOW).ok for x in links] == [False, False, True]
