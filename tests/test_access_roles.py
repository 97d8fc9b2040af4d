"""Sign-in: the e-mail → role table, admins from secrets, and the app's gate (AppTest with st.user)."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from facilitation.access import gate
from facilitation.errors import AccessDenied
from facilitation.roles import COMMITTEE, FACILITATOR, SECRETARIAT, Viewer
from facilitation.storage import db
from facilitation.storage.models import Meeting, Room

from .conftest import ROOT

ADMIN = Viewer(role=SECRETARIAT, email="office@example.org")
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 40,
        "client_id": "id.apps.googleusercontent.com", "client_secret": "placeholder",
        "server_metadata_url": "https://accounts.google.com/.well-known/openid-configuration"}
LINK_SECRET = "k" * 48


def test_a_facilitator_facilitates_only_their_own_room_of_their_own_meeting():
    """The one rule every roster, note and attendance check asks."""
    fac = Viewer(role=FACILITATOR, email="link:abc", meeting_id=3, room_id=17)
    assert fac.facilitates(3, 17)
    assert not fac.facilitates(3, 18) and not fac.facilitates(4, 17) and not fac.facilitates(3, None)
    assert not Viewer(role=FACILITATOR, email="link:x", meeting_id=3).facilitates(3, None)  # no room: none
    assert not ADMIN.facilitates(3, 17)  # the secretariat sees every room, but is no room's facilitator
    assert not Viewer(role=COMMITTEE, meeting_id=3, room_id=17).facilitates(3, 17)


def test_role_table_on_both_databases(db_url):
    with db.session(db_url, actor=ADMIN.actor) as s:
        gate.set_account(s, ADMIN, " Iinkai@Example.org ", COMMITTEE, "検討委員 A")
        gate.set_account(s, ADMIN, "staff@example.org", SECRETARIAT)
    with db.session(db_url) as s:
        assert gate.role_for(s, "iinkai@example.org") == COMMITTEE
        assert gate.role_for(s, "IINKAI@EXAMPLE.ORG") == COMMITTEE  # e-mails compare normalised
        assert gate.role_for(s, "stranger@example.org") is None
        assert gate.role_for(s, "") is None
        # The admins from secrets are the secretariat whatever the table says.
        assert gate.role_for(s, "boss@example.org", ["Boss@example.org"]) == SECRETARIAT
        frame = gate.accounts_frame(s, ADMIN, ["boss@example.org"])
        assert frame["email"].tolist() == ["boss@example.org", "iinkai@example.org", "staff@example.org"]
        assert frame["editable"].tolist() == ["不可", "可", "可"]  # the admins from secrets are not removed here
    with db.session(db_url, actor=ADMIN.actor) as s:
        gate.set_account(s, ADMIN, "iinkai@example.org", SECRETARIAT)  # a change, not a second row
        assert gate.remove_account(s, ADMIN, "staff@example.org") is True
        assert gate.remove_account(s, ADMIN, "nobody@example.org") is False
    with db.session(db_url) as s:
        assert gate.role_for(s, "iinkai@example.org") == SECRETARIAT
        assert gate.role_for(s, "staff@example.org") is None


@pytest.mark.parametrize("email,role", [("not-an-email", COMMITTEE), ("a@example.org", FACILITATOR),
                                        ("a@example.org", "admin")])
def test_bad_entries_are_refused_in_japanese(sqlite_url, email, role):
    with db.session(sqlite_url) as s, pytest.raises(gate.AccessError) as err:
        gate.set_account(s, ADMIN, email, role)
    assert any(ch in str(err.value) for ch in "形式役割")


def test_only_the_secretariat_edits_and_nobody_removes_themselves(sqlite_url):
    with db.session(sqlite_url) as s:
        with pytest.raises(AccessDenied):
            gate.set_account(s, Viewer(role=COMMITTEE, email="c@example.org"), "x@example.org", COMMITTEE)
        with pytest.raises(AccessDenied):
            gate.accounts_frame(s, Viewer(role=COMMITTEE))
        gate.set_account(s, ADMIN, ADMIN.email, SECRETARIAT)
        with pytest.raises(gate.AccessError):
            gate.remove_account(s, ADMIN, ADMIN.email)


# --- The gate in streamlit_app.py --------------------------------------------------------------

@pytest.fixture
def app(demo_copy_url, monkeypatch):
    monkeypatch.setenv(db.ENV_VAR, demo_copy_url)
    monkeypatch.setenv(gate.SECRET_ENV, LINK_SECRET)
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    return at, demo_copy_url


def _texts(at) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.title] + [e.value for e in at.error]
    parts += [e.value for e in at.info] + [e.value for e in at.caption] + [b.label for b in at.button]
    return "\n".join(str(p) for p in parts)


def test_with_auth_a_visitor_must_sign_in(app):
    at, _ = app
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert "ログインが必要" in _texts(at) and "Google アカウントでログイン" in _texts(at)
    assert "viewer" not in at.session_state


def test_with_auth_an_unknown_account_is_told_to_ask(app):
    at, _ = app
    at.secrets["auth"] = AUTH
    at.secrets["facilitation"] = {"admin_emails": ["office@example.org"]}
    at.user = {"is_logged_in": True, "email": "stranger@example.org"}
    at.run()
    assert not at.exception
    assert "利用権限がありません" in _texts(at) and "stranger@example.org" in _texts(at)
    assert "viewer" not in at.session_state


@pytest.mark.parametrize("email,role", [("office@example.org", SECRETARIAT), ("iinkai@example.org", COMMITTEE)])
def test_with_auth_roles_come_from_secrets_and_the_table(app, email, role):
    at, url = app
    with db.session(url, actor="test") as s:
        gate.set_account(s, ADMIN, "iinkai@example.org", COMMITTEE)
    at.secrets["auth"] = AUTH
    at.secrets["facilitation"] = {"admin_emails": ["office@example.org"]}
    at.user = {"is_logged_in": True, "email": email, "email_verified": True}
    at.run()
    assert not at.exception
    v = at.session_state["viewer"]
    assert (v.role, v.email) == (role, email)
    assert "ログアウト" in _texts(at)


def _link(url: str) -> tuple[str, int, int]:
    with db.session(url, actor="test") as s:
        m = s.query(Meeting).order_by(Meeting.starts_at.desc()).first()
        room = s.query(Room).filter(Room.meeting_id == m.id).order_by(Room.position).first()
        link = gate.issue_link(s, ADMIN, room.id, LINK_SECRET.encode(), hours=5)
        return link.token, m.id, room.id


def test_a_facilitator_link_opens_only_its_room_and_stops_when_revoked(app):
    at, url = app
    token, meeting_id, room_id = _link(url)
    at.query_params["token"] = token
    at.run()
    assert not at.exception
    v = at.session_state["viewer"]
    assert (v.role, v.meeting_id, v.room_id) == (FACILITATOR, meeting_id, room_id)
    with db.session(url, actor="test") as s:
        gate.revoke_links(s, ADMIN, room_id=room_id)
    at.query_params.pop("token", None)  # the session remembers the link: revocation still applies
    at.run()
    assert not at.exception
    assert "無効にされました" in _texts(at)
    assert "viewer" not in at.session_state


def test_a_tampered_link_is_refused(app):
    at, url = app
    token, _, room_id = _link(url)
    at.query_params["token"] = token.replace(f".{room_id}.", f".{room_id + 1}.", 1)
    at.run()
    assert not at.exception
    assert "正しくありません" in _texts(at)
    assert "viewer" not in at.session_state


def test_local_mode_in_apptest_is_the_secretariat(app):
    """AppTest has no client address (like a browser on localhost): local mode lets it in."""
    at, _ = app
    at.run()
    assert not at.exception
    assert at.session_state["viewer"].role == SECRETARIAT
    assert "ローカルモード" in _texts(at)


def test_expired_link_in_the_app(app):
    at, url = app
    with db.session(url, actor="test") as s:
        room = s.query(Room).first()
        link = gate.issue_link(s, ADMIN, room.id, LINK_SECRET.encode(), hours=1,
                                 now=dt.datetime(2020, 1, 1))
    at.query_params["token"] = link.token
    at.run()
    assert "有効期限" in _texts(at) and "viewer" not in at.session_state
