"""What /history, /surveys, /openchat, /rooms and /registrations show for the demo data, tab by tab, as 事務局 and as 委員会,
stays exactly what it was before the pages were made faster (issue 27: caches, SQL aggregates and
fragments must not change a single number or word).

The snapshot (tests/data/snapshots/pages.json) was taken before the speed-ups. A change that is
meant to alter what a page shows regenerates it: SNAPSHOT_UPDATE=1 pytest tests/test_page_snapshots.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from facilitation.demo import dataset
from facilitation.openchat.models import ChatImport
from facilitation.roles import SECRETARIAT_LOCAL, Viewer
from facilitation.storage import db

from .conftest import ROOT

SNAPSHOT = Path(__file__).parent / "data" / "snapshots" / "pages.json"
ROLES = {"事務局": SECRETARIAT_LOCAL, "委員会": Viewer(role="委員会")}
TABS = {  # page: (tab key, tabs per role)
    "history": ("history_tab", {"事務局": ["会ごと", "機関別", "個人別", "初参加・継続・離脱", "対象機関", "ご案内", "地域",
                                           "委員会資料"],
                                "委員会": ["会ごと", "機関別", "初参加・継続・離脱", "対象機関", "ご案内", "地域", "委員会資料"]}),
    "surveys": ("surveys_tab", {"事務局": ["結果", "クロス集計", "推移", "自由記述", "質問の種類", "出力"],
                                "委員会": ["結果", "クロス集計", "推移", "出力"]}),
    "openchat": ("openchat_tab", {"事務局": ["概要", "機関・地域", "質問と回答", "話題", "メンバー確認"],
                                  "委員会": ["概要", "機関・地域", "質問と回答", "話題"]}),
    "rooms": ("rooms_tab", {"事務局": ["1. ルーム", "2. 希望の確認", "3. 決まりと実行", "4. 手直し", "5. 公開・書き出し"],
                            "委員会": ["1. ルーム"]}),
    "registrations": ("registrations_tab", {"事務局": ["申込者一覧", "取り込み", "確認待ち", "保留の行", "手入力",
                                                     "列の対応・書き戻し"], "委員会": ["申込者一覧"]}),
}


@pytest.fixture(scope="module")
def full_demo(tmp_path_factory):
    """The demo as the app loads it on first start: history, the survey and the open chat."""
    url = f"sqlite:///{tmp_path_factory.mktemp('snap') / 'demo.sqlite3'}"
    with db.session(url, actor="test") as s:
        dataset.generate(s)
        s.execute(update(ChatImport).values(imported_at=dt.datetime(2026, 9, 20, 10, 0)))  # not "now"
    return url


@pytest.fixture(scope="module")
def rooms_demo(tmp_path_factory):
    """The demo with the upcoming meeting's rooms assigned by the optimiser and published (HiGHS, the
    default backend, gives the same answer every time), the run's and the version's times fixed."""
    from facilitation.assignment import publishing, running
    from facilitation.assignment.models import AssignmentVersion, SolverRun
    from facilitation.meetings import schedule

    url = f"sqlite:///{tmp_path_factory.mktemp('snap') / 'rooms.sqlite3'}"
    with db.session(url, actor="test") as s:
        dataset.generate(s)
    with db.session(url, actor="test") as s:
        meeting_id = schedule.upcoming_meeting(s).id
        running.run_optimiser(s, SECRETARIAT_LOCAL, meeting_id, time_limit_s=30)
        publishing.publish(s, SECRETARIAT_LOCAL, meeting_id, "スナップショット")
        s.execute(update(SolverRun).values(started_at=dt.datetime(2026, 9, 20, 10, 0)))
        s.execute(update(AssignmentVersion).values(published_at=dt.datetime(2026, 9, 20, 10, 5)))
    return url


def _value(v):
    if hasattr(v, "to_csv"):
        return v.to_csv()
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if isinstance(v, (list, tuple)):
        return [_value(x) for x in v]
    return str(v)


def shown(at: AppTest) -> list:
    """Every element's type and what a person reads from it (chart data, not chart ids)."""
    out = []
    for node in at:
        kind = getattr(node, "type", type(node).__name__)
        if kind == "plotly_chart":
            out.append([kind, json.loads(node.proto.spec).get("data")])
        elif kind == "metric":
            out.append([kind, node.label, node.value, node.delta])
        elif kind in ("download_button", "button", "form_submit_button"):
            out.append([kind, node.label])
        elif hasattr(node, "value"):
            try:
                value = node.value
            except Exception:  # a widget without a readable value in AppTest
                value = None
            out.append([kind, getattr(node, "label", None), _value(value)])
        elif getattr(node, "label", None):
            out.append([kind, node.label])
    return out


def render(url: str, page: str, role: str, tab: str) -> list:
    os.environ["FACILITATION_DB_URL"] = url
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=120)
    at.session_state["viewer"] = ROLES[role]
    at.session_state[TABS[page][0]] = tab
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return shown(at)


ALL_TABS = {"history": TABS["history"][1]["事務局"],
            "surveys": ["結果", "クロス集計", "推移", "自由記述", "質問の種類", "取り込み", "出力"],
            "openchat": ["概要", "機関・地域", "質問と回答", "話題", "取り込み", "メンバー確認", "投稿と削除", "お知らせ作成"],
            "rooms": TABS["rooms"][1]["事務局"], "registrations": TABS["registrations"][1]["事務局"]}


def open_tab(page: str, elements: list, tab: str) -> list:
    """What a person sees with `tab` open: the part above the tabs and that tab's content (a page may
    compute only the open tab; the others are empty until chosen)."""
    marks = [i for i, e in enumerate(elements) if e[0] == "tab" and e[1] in ALL_TABS[page]]
    if not marks:
        return elements
    start = next(i for i in marks if elements[i][1] == tab)
    end = next((i for i in marks if i > start), len(elements))
    return elements[:marks[0]] + elements[start:end]


CASES = [(page, role, tab) for page, (_, per_role) in TABS.items() for role, tabs in per_role.items() for tab in tabs]


@pytest.fixture(scope="module")
def snapshot():
    return json.loads(SNAPSHOT.read_text()) if SNAPSHOT.exists() else {}


@pytest.mark.parametrize(("page", "role", "tab"), CASES, ids=[f"{p}-{r}-{t}" for p, r, t in CASES])
def test_page_shows_what_it_showed_before(request, snapshot, monkeypatch, page, role, tab):
    url = request.getfixturevalue("rooms_demo" if page == "rooms" else "full_demo")
    monkeypatch.setenv("FACILITATION_DB_URL", url)
    import streamlit as st

    st.cache_data.clear()  # a cold render and a warm one must both match
    got = open_tab(page, json.loads(json.dumps(render(url, page, role, tab), ensure_ascii=False)), tab)
    again = open_tab(page, json.loads(json.dumps(render(url, page, role, tab), ensure_ascii=False)), tab)
    assert again == got, "a cached rerun differs from the first render"
    key = f"{page}/{role}/{tab}"
    if os.environ.get("SNAPSHOT_UPDATE") == "1":
        stored = json.loads(SNAPSHOT.read_text()) if SNAPSHOT.exists() else {}
        stored[key] = got
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(json.dumps(stored, ensure_ascii=False, indent=0, sort_keys=True))
        return
    assert key in snapshot, f"no snapshot for {key}: run with SNAPSHOT_UPDATE=1 once"
    assert got == open_tab(page, snapshot[key], tab)
