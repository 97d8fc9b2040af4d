"""Role × page × data: every page run in AppTest as each role, checking what must and must not appear.

The data: the demo history plus an imported survey and an open-chat export, so names, e-mails,
survey respondents and chat texts all exist to leak. Everything a page renders (text, tables,
widget options, chart data) is collected and searched.
"""

from __future__ import annotations

import json
import re

import pytest
from google.protobuf import text_format
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from facilitation.roles import COMMITTEE, FACILITATOR, SECRETARIAT, Viewer
from facilitation.storage import db
from facilitation.storage.models import Assignment, Meeting, Person, Registration, Room

from .conftest import ROOT

PAGES = sorted(p.name for p in (ROOT / "pages").glob("*.py"))
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
DATA = ROOT / "tests" / "data"


def rendered(at: AppTest) -> str:
    """All text a person could see on the page, including table cells and chart data."""
    parts: list[str] = []

    def walk(node) -> None:
        value = getattr(node, "value", None)
        if callable(getattr(value, "to_string", None)):  # st.dataframe / st.table
            parts.append(value.to_string())
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(text_format.MessageToString(proto, as_utf8=True))
            if proto.DESCRIPTOR.name == "BidiComponent" and proto.json:  # e.g. the roster's people (JSON, \u-escaped)
                parts.append(json.dumps(json.loads(proto.json), ensure_ascii=False))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The demo copy with a survey and a chat export imported; returns the facts the tests need."""
    import sqlite3

    from facilitation.demo import dataset
    from facilitation.files.tabular import read_table
    from facilitation.openchat import store as chat_store
    from facilitation.surveys import store as survey_store

    path = tmp_path_factory.mktemp("matrix") / "m.sqlite3"
    url = f"sqlite:///{path}"
    with db.session(url, actor="demo") as s:
        dataset.generate(s, activity=False)  # this world imports its own survey and chat
    admin = Viewer(role=SECRETARIAT, email="office@example.org")
    with db.session(url, actor=admin.actor) as s:
        past = s.scalars(select(Meeting).order_by(Meeting.starts_at)).first()
        table = read_table((DATA / "surveys" / "evaluation_utf8.csv").read_bytes(), "evaluation_utf8.csv")
        survey_store.import_table(s, admin, table, title="評価アンケート", meeting_id=past.id)
        chat_store.import_bytes(s, admin, (DATA / "openchat" / "ja_ios.txt").read_bytes(), "ja_ios.txt")
        respondents = [r[2] for r in table.rows if r[2]]
        comments = [r[-1] for r in table.rows if len(r[-1]) > 10]  # ご意見・ご感想 (free text)
        from facilitation.openchat.models import ChatMessage

        chat_texts = [t for t in s.scalars(select(ChatMessage.text)) if t and len(t) >= 12]
        # The room of the newest meeting that has the most assignments: the facilitator's room.
        room_id, meeting_id = s.execute(
            select(Assignment.room_id, Room.meeting_id).join(Room, Room.id == Assignment.room_id)
            .join(Meeting, Meeting.id == Room.meeting_id).group_by(Assignment.room_id, Room.meeting_id)
            .order_by(Meeting.starts_at.desc(), func.count().desc())).first()
        members = set(s.scalars(select(Person.name).join(Registration, Registration.person_id == Person.id)
                                .join(Assignment, Assignment.registration_id == Registration.id)
                                .where(Assignment.room_id == room_id)))
        # A member whose name is markup: pages must show it as text, never as HTML.
        victim = s.scalars(select(Person).join(Registration, Registration.person_id == Person.id)
                           .join(Assignment, Assignment.registration_id == Registration.id)
                           .where(Assignment.room_id == room_id).order_by(Person.id)).first()
        victim.name = "<img src=x onerror=alert(1)>山田"
        s.flush()
        members = set(s.scalars(select(Person.name).join(Registration, Registration.person_id == Person.id)
                                .join(Assignment, Assignment.registration_id == Registration.id)
                                .where(Assignment.room_id == room_id)))
        # The facilitator's link (issued for real: the domain checks it is on record and current).
        from facilitation.access import gate

        jti = gate.check_link(s, gate.issue_link(s, admin, room_id, b"m" * 40, hours=24).token, b"m" * 40).jti
        all_names = set(s.scalars(select(Person.name)))
        emails = set(s.scalars(select(Person.email).where(Person.email != "")))
    sqlite3.connect(path).close()
    return {"url": url, "room_id": room_id, "meeting_id": meeting_id, "members": members,
            "names": all_names, "emails": emails, "respondents": respondents, "chat_texts": chat_texts, "comments": comments,
            "facilitator": Viewer(role=FACILITATOR, email=f"link:{jti}", meeting_id=meeting_id, room_id=room_id)}


LAZY_TABS = {"history.py": "history_tab", "openchat.py": "openchat_tab", "rooms.py": "rooms_tab",
             "registrations.py": "registrations_tab", "surveys.py": "surveys_tab"}  # pages that compute only the open tab


def _runs(world, monkeypatch, page: str, viewer: Viewer) -> list[AppTest]:
    """The page as `viewer` sees it; for a page that computes only the open tab, once per tab."""
    monkeypatch.setenv(db.ENV_VAR, world["url"])
    monkeypatch.chdir(ROOT)

    def one(tab: str | None = None) -> AppTest:
        at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=90)
        at.session_state["viewer"] = viewer
        if tab is not None:
            at.session_state[LAZY_TABS[page]] = tab
        return at.run()

    first = one()
    if page not in LAZY_TABS or first.exception:
        return [first]
    return [first] + [one(t.label) for t in first.tabs if t.label != first.tabs[0].label]


def _run(world, monkeypatch, page: str, viewer: Viewer) -> tuple[AppTest, str]:
    """The first run (every tab's run for a lazy page must be clean) and the text of all of them."""
    runs = _runs(world, monkeypatch, page, viewer)
    broken = next((r for r in runs if r.exception), runs[0])
    return broken, "\n".join(rendered(r) for r in runs)


def _names_in(text: str, names) -> set[str]:
    return {n for n in names if len(n.replace(" ", "")) >= 2 and n in text}


def _preview() -> Viewer:
    """What the secretariat's 「委員会の表示で確認」 gives the pages (ui.auth.previewed)."""
    from facilitation.roles import SECRETARIAT_LOCAL
    from ui.auth import previewed

    return previewed(SECRETARIAT_LOCAL, True)


@pytest.mark.parametrize("who", ["account", "preview"])
@pytest.mark.parametrize("page", PAGES)
def test_committee_sees_no_personal_data(world, monkeypatch, page, who):
    committee = Viewer(role=COMMITTEE, email="iinkai@example.org") if who == "account" else _preview()
    at, text = _run(world, monkeypatch, page, committee)
    assert not at.exception, at.exception[0].value if at.exception else ""
    leaked_emails = set(EMAIL.findall(text)) - {"iinkai@example.org"}
    assert not leaked_emails, f"{page}: e-mail addresses shown to the committee: {sorted(leaked_emails)[:5]}"
    assert not _names_in(text, world["names"]), f"{page}: names shown to the committee"
    assert not _names_in(text, world["respondents"]), f"{page}: survey respondents shown to the committee"
    assert not [t for t in world["chat_texts"] if t in text], f"{page}: chat texts shown to the committee"
    assert not [c for c in world["comments"] if c in text], f"{page}: free-text comments shown to the committee"
    # Read-only: nothing the secretariat changes data with is offered.
    assert not [b.label for r in _runs(world, monkeypatch, page, committee) for b in r.button
                if any(w in b.label for w in ("保存", "削除", "取り込", "実行", "登録"))]


@pytest.mark.parametrize("page", PAGES)
def test_facilitator_sees_only_their_room(world, monkeypatch, page):
    at, text = _run(world, monkeypatch, page, world["facilitator"])
    assert not at.exception, at.exception[0].value if at.exception else ""
    others = world["names"] - world["members"]
    assert not _names_in(text, others), f"{page}: names outside the facilitator's room"
    assert not _names_in(text, world["respondents"]) and not [t for t in world["chat_texts"] if t in text]
    assert not [c for c in world["comments"] if c in text]
    if page == "roster.py":
        assert _names_in(text, world["members"]), "the roster must show the room's members to its facilitator"


@pytest.mark.parametrize("page", ["registrations.py", "roster.py"])
def test_secretariat_sees_names(world, monkeypatch, page):
    """The detector above can fail: for the secretariat the same pages do show names."""
    at, text = _run(world, monkeypatch, page, Viewer(role=SECRETARIAT, email="office@example.org"))
    assert not at.exception
    assert _names_in(text, world["names"])


@pytest.mark.parametrize("page", PAGES)
def test_secretariat_pages_run_cleanly(world, monkeypatch, page):
    at, text = _run(world, monkeypatch, page, Viewer(role=SECRETARIAT, email="office@example.org"))
    assert not at.exception, at.exception[0].value if at.exception else ""
    assert "Traceback" not in text



def test_secretariat_sees_comments_and_chat_texts(world, monkeypatch):
    """The same detectors find survey comments and chat texts where the secretariat may see them."""
    admin = Viewer(role=SECRETARIAT, email="office@example.org")
    _, surveys_text = _run(world, monkeypatch, "surveys.py", admin)
    assert [c for c in world["comments"] if c in surveys_text]
    _, chat_text = _run(world, monkeypatch, "openchat.py", admin)
    assert [t for t in world["chat_texts"] if t in chat_text]


def _html_blocks(at: AppTest) -> list[str]:
    out = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None and getattr(proto, "allow_html", False):
            out.append(proto.body)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return out


@pytest.mark.parametrize("page", PAGES)
def test_markup_in_data_is_never_rendered_as_html(world, monkeypatch, page):
    for v in (Viewer(role=SECRETARIAT, email="office@example.org"),
              world["facilitator"]):
        for body in [b for r in _runs(world, monkeypatch, page, v) for b in _html_blocks(r)]:
            assert "<img src=x" not in body, f"{page}: unescaped markup from data in unsafe_allow_html"


def _searched(world, monkeypatch, viewer: Viewer, words: str) -> tuple[AppTest, str]:
    """The 横断検索 page after typing `words` and pressing 検索."""
    monkeypatch.setenv(db.ENV_VAR, world["url"])
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "pages" / "search.py"), default_timeout=90)
    at.session_state["viewer"] = viewer
    at.run()
    at.text_input(key="search_words").set_value(words)
    at.button(key="FormSubmitter:search_form-検索").click().run()
    # What they typed is theirs; the detectors look at the rest, with the hits' bold markers removed.
    return at, rendered(at).replace(words, "").replace("**", "")


@pytest.mark.parametrize("words", ["ひきこもり 家族", "佐藤", "加藤 花子", "kato@example.jp", "参加", "はじめまして"])
def test_committee_search_shows_no_names_comments_or_chat(world, monkeypatch, words):
    at, text = _searched(world, monkeypatch, Viewer(role=COMMITTEE, email="iinkai@example.org"), words)
    assert not at.exception, at.exception[0].value if at.exception else ""
    assert not set(EMAIL.findall(text)) - {"iinkai@example.org"}
    assert not _names_in(text, world["names"]) and not _names_in(text, world["respondents"])
    assert not [t for t in world["chat_texts"] if t in text]
    assert not [c for c in world["comments"] if c in text]


def test_secretariat_search_shows_chat_texts_the_committee_does_not_see(world, monkeypatch):
    at, text = _searched(world, monkeypatch, Viewer(role=SECRETARIAT, email="office@example.org"), "ひきこもり 家族")
    assert not at.exception
    assert [t for t in world["chat_texts"] if t in text]
    _, committee = _searched(world, monkeypatch, Viewer(role=COMMITTEE, email="iinkai@example.org"), "ひきこもり 家族")
    assert "5未満" in committee and not [t for t in world["chat_texts"] if t in committee]


@pytest.fixture(scope="module")
def invited(world):
    """Invitations sent (as the log records them) to eight target organisations of the demo for its
    next open meeting; one of them registered. Returns the meeting, their names and addresses."""
    from facilitation.invitations import invite
    from facilitation.invitations.models import InvitationSend
    from facilitation.mail.models import SENT
    from facilitation.storage.models import Organisation

    admin = Viewer(role=SECRETARIAT, email="office@example.org")
    with db.session(world["url"], actor=admin.actor) as s:
        meeting = invite.open_meetings(s)[0]
        orgs = list(s.scalars(select(Organisation).where(Organisation.is_target).order_by(Organisation.id)))
        found = invite.targets(s, admin, meeting.id, [o.id for o in orgs])
        chosen = [t for t in found.values() if t.state == invite.READY][:8]
        for t in chosen:
            s.add(InvitationSend(meeting_id=meeting.id, organisation_id=t.org_id, org_name=t.organisation,
                                 region=t.region, recipient=t.email, status=SENT, attempts=1))
        person = s.scalar(select(Person).where(Person.organisation_id == chosen[0].org_id, Person.deleted_at.is_(None)))
        s.add(Registration(meeting_id=meeting.id, person_id=person.id, status="申込"))
    return {"meeting_id": meeting.id, "orgs": [t.organisation for t in chosen], "emails": [t.email for t in chosen]}


def _invitations_tab(world, monkeypatch, viewer: Viewer, meeting_id: int) -> tuple[AppTest, str]:
    monkeypatch.setenv(db.ENV_VAR, world["url"])
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "pages" / "history.py"), default_timeout=90)
    at.session_state["viewer"] = viewer
    at.session_state[LAZY_TABS["history.py"]] = "ご案内"
    at.session_state["inv_meeting"] = meeting_id
    return at.run(), ""


def test_invitations_committee_sees_outcome_counts_only_the_secretariat_the_list(world, invited, monkeypatch):
    committee = Viewer(role=COMMITTEE, email="iinkai@example.org")
    at, _ = _invitations_tab(world, monkeypatch, committee, invited["meeting_id"])
    assert not at.exception, at.exception[0].value if at.exception else ""
    text = rendered(at)
    assert "ご案内の結果" in text and "5未満" in text
    assert not set(EMAIL.findall(text)) - {"iinkai@example.org"}
    assert not [o for o in invited["orgs"] if o in text] and not _names_in(text, world["names"])
    assert not at.checkbox and not [b for b in at.button if "送信" in b.label or "案内不要" in b.label]
    total = [df.value for df in at.dataframe][-1].iloc[-1]
    assert [str(v) for v in total.tolist()[:2]] == ["合計", str(len(invited["orgs"]))]  # 8 organisations: a count that names nobody

    admin = Viewer(role=SECRETARIAT, email="office@example.org")
    at, _ = _invitations_tab(world, monkeypatch, admin, invited["meeting_id"])
    assert not at.exception, at.exception[0].value if at.exception else ""
    text = rendered(at)
    assert set(invited["emails"]) <= set(EMAIL.findall(text))  # the send log shows where each went
    assert [o for o in invited["orgs"] if o in text]
