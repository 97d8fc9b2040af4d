"""Pages cache what they compute (issue 27), keyed by stamps read from the database: a change made
by ANOTHER process (a second app process behind the proxy, the CLI) shows on this process's next
rerun, with no hour-long staleness. Each test renders a page (filling the cache), changes the data
in a separate Python process, and renders again in this one."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from streamlit.testing.v1 import AppTest

from facilitation.demo import dataset
from facilitation.roles import SECRETARIAT_LOCAL
from facilitation.storage import db

from .conftest import ROOT


@pytest.fixture
def demo(tmp_path, monkeypatch):
    """The demo as the app loads it (history, a survey, the open chat), in a file of its own."""
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    with db.session(url, actor="test") as s:
        dataset.generate(s)
    monkeypatch.setenv("FACILITATION_DB_URL", url)
    return url


def render(page: str, viewer=SECRETARIAT_LOCAL, **state) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=120)
    at.session_state["viewer"] = viewer
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def other_process(url: str, code: str) -> None:
    """Run `code` (with `s`, a database session) in a separate Python process."""
    script = "import sys\nfrom facilitation.storage import db\nwith db.session(sys.argv[1], actor='other') as s:\n" \
             + textwrap.indent(textwrap.dedent(code), "    ")
    subprocess.run([sys.executable, "-c", script, url], cwd=ROOT, check=True, timeout=120)


def test_history_shows_an_attendance_recorded_by_another_process(demo):
    before = {m.label: m.value for m in render("history.py").metric}
    other_process(demo, """
        from sqlalchemy import select
        from facilitation.storage.models import Meeting, Registration
        from facilitation.text import vocab
        r = s.scalars(select(Registration).join(Meeting).where(Meeting.status == '開催済',
                      Registration.status == vocab.STATUS_ABSENT).order_by(Registration.id)).first()
        r.status = vocab.STATUS_ATTENDED
    """)
    after = {m.label: m.value for m in render("history.py").metric}
    total = int(before["延べ参加者数"].removesuffix("名").replace(",", ""))
    assert after["延べ参加者数"] == f"{total + 1:,}名"


def test_a_change_to_one_meeting_rereads_only_that_meeting_in_the_history(demo, monkeypatch):
    """Ten years hold eighty meetings: an attendance changed (here in another process) reads that
    meeting's registrations again, not the whole history, and shows in the counts at once."""
    from facilitation.history import participation

    before = {m.label: m.value for m in render("history.py").metric}
    read: list[int] = []
    original = participation.meeting_registrations

    def counting(s, meeting_id):
        read.append(meeting_id)
        return original(s, meeting_id)
    monkeypatch.setattr(participation, "meeting_registrations", counting)
    changed = demo.removeprefix("sqlite:///") + ".changed"  # the changed meeting, written by the other process
    other_process(demo, f"""
        from sqlalchemy import select
        from facilitation.storage.models import Meeting, Registration
        from facilitation.text import vocab
        r = s.scalars(select(Registration).join(Meeting).where(Meeting.status == '開催済',
                      Registration.status == vocab.STATUS_ABSENT).order_by(Registration.id)).first()
        r.status = vocab.STATUS_ATTENDED
        open({changed!r}, "w").write(str(r.meeting_id))
    """)
    after = {m.label: m.value for m in render("history.py").metric}
    total = int(before["延べ参加者数"].removesuffix("名").replace(",", ""))
    assert after["延べ参加者数"] == f"{total + 1:,}名"
    with open(changed) as f:
        assert read == [int(f.read())]


def test_survey_trend_appears_when_another_process_imports_a_second_survey(demo):
    at = render("surveys.py", surveys_tab="推移")
    assert any("2回以上のアンケート" in i.value for i in at.info)  # one survey: no trend yet
    other_process(demo, """
        import random
        from sqlalchemy import select
        from facilitation.demo import surveys_chat
        from facilitation.roles import SECRETARIAT_LOCAL
        from facilitation.storage.models import Meeting
        from facilitation.surveys import store
        m = s.scalars(select(Meeting).where(Meeting.status == '開催済').order_by(Meeting.starts_at)).first()
        store.import_table(s, SECRETARIAT_LOCAL, surveys_chat.survey_table(s, m, random.Random(1)),
                           title='前回のアンケート', meeting_id=m.id)
    """)
    at = render("surveys.py", surveys_tab="推移")
    assert not any("2回以上のアンケート" in i.value for i in at.info)
    trend = next(df.value for df in at.dataframe if {"アンケート", "割合（%）"} <= set(df.value.columns))
    assert len(trend) == 2


def test_open_chat_overlap_follows_a_cancellation_made_by_another_process(demo):
    def people_at_meetings() -> str:
        at = render("openchat.py", openchat_tab="機関・地域")
        return {m.label: m.value for m in at.metric}["会にも参加した人（名前まで一致）"]

    before = people_at_meetings()
    other_process(demo, """
        from sqlalchemy import select
        from facilitation.openchat.models import ChatMember
        from facilitation.storage.models import Registration
        from facilitation.text import vocab
        pid = s.scalars(select(ChatMember.person_id).where(ChatMember.person_id.is_not(None))
                        .order_by(ChatMember.id)).first()
        for r in s.scalars(select(Registration).where(Registration.person_id == pid)):
            r.status = vocab.STATUS_CANCELLED
    """)
    came, of = before.removesuffix("名").split(" / ")
    assert people_at_meetings() == f"{int(came) - 1} / {of}名"


USEFUL = "情報交換会に参加して、いかがでしたか"


@pytest.fixture
def two_surveys(demo):
    """The demo with a second meeting's survey: (url, the second survey's id)."""
    import random

    from sqlalchemy import select

    from facilitation.demo import surveys_chat
    from facilitation.storage.models import Meeting
    from facilitation.surveys import store

    with db.session(demo, actor="test") as s:
        m = s.scalars(select(Meeting).where(Meeting.status == "開催済").order_by(Meeting.starts_at)).first()
        second = store.import_table(s, SECRETARIAT_LOCAL, surveys_chat.survey_table(s, m, random.Random(1)),
                                    title="前回のアンケート", meeting_id=m.id).survey_id
    return demo, second


def trend_rows(at: AppTest) -> dict[str, tuple]:
    trend = next(df.value for df in at.dataframe if {"アンケート", "割合（%）"} <= set(df.value.columns))
    return {r["アンケート"]: tuple(r) for _, r in trend.iterrows()}


@pytest.mark.parametrize("role", ["事務局", "委員会"])
def test_a_change_to_one_survey_recomputes_only_that_survey_in_the_trend(two_surveys, monkeypatch, role):
    """Ten years hold a hundred surveys: correcting one (here in another process) must not make the
    next visitor wait for all of them to be summarised again, and must show at once in the trend."""
    from facilitation.roles import Viewer
    from facilitation.surveys import store

    url, second = two_surveys
    viewer = SECRETARIAT_LOCAL if role == "事務局" else Viewer(role=role)
    computed: list[int] = []
    original = store.load

    def counting_load(s, survey_id):
        computed.append(survey_id)
        return original(s, survey_id)
    before = trend_rows(render("surveys.py", viewer, surveys_tab="推移"))
    assert set(before) == {"前回のアンケート", next(t for t in before if t != "前回のアンケート")}
    other_process(url, f"""
        from facilitation.roles import SECRETARIAT_LOCAL
        from facilitation.surveys import store
        q = next(q for q in store.load(s, {second}).questions if q.title == {USEFUL!r})
        store.set_corrections(s, SECRETARIAT_LOCAL, {second}, options={{q.key: list(reversed(q.options))}})
    """)
    monkeypatch.setattr(store, "load", counting_load)  # what the trend reads each survey with
    after = trend_rows(render("surveys.py", viewer, surveys_tab="推移"))
    assert computed.count(second) >= 1 and set(computed) == {second}  # the page's chosen survey is the other one
    assert set(after) == set(before)
    if role == "事務局":  # the favourable half is now the other half
        assert after["前回のアンケート"] != before["前回のアンケート"]
