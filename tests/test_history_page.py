"""The /history page through AppTest: what the secretariat and the committee each see."""

import json

import pytest
from google.protobuf import text_format
from streamlit.testing.v1 import AppTest

from facilitation.roles import Viewer
from tests import history_world as hw
from ui import history as ui

PAGE = "pages/history.py"


@pytest.fixture
def world_url(sqlite_url, monkeypatch):
    hw.make(sqlite_url)
    monkeypatch.setenv("FACILITATION_DB_URL", sqlite_url)
    ui.refresh()
    return sqlite_url


def run(viewer: Viewer | None = None, tab: str | None = None, **state) -> AppTest:
    at = AppTest.from_file(f"../{PAGE}", default_timeout=60)
    if viewer is not None:
        at.session_state["viewer"] = viewer
    if tab is not None:
        at.session_state[ui.TAB_KEY] = tab
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def everything_shown(at: AppTest) -> str:
    """All text the page sent: element protos (UTF-8) plus the cells of every table."""
    parts = []
    for node in at:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(text_format.MessageToString(proto, as_utf8=True))
    for df in at.dataframe:
        parts.append(df.value.to_csv())
    return "\n".join(parts)


def test_secretariat_sees_counts_tables_and_people(world_url):
    at = run()
    assert at.title[0].value == "参加履歴"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"開催回数": "4回", "延べ参加者数": "26名", "実人数": "12名", "実機関数": "6機関",
                       "対象機関の参加": "4/5"}
    table = at.dataframe[0].value
    assert table["報告の表記"].tolist()[0] == "10名（4機関：団体2(6)・自治体1(2)・厚労省(2)）"
    assert len(at.get("plotly_chart")) == 2
    people = run(tab="個人別")
    names = people.dataframe[0].value["氏名"].tolist()
    assert hw.NAMES["p10"] in names and len(names) == 12
    assert hw.EMAILS["p10"] in everything_shown(people)  # the collector the committee test relies on works


def test_filters_change_the_figures(world_url):
    at = run(h_years=[2025])
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["開催回数"], metrics["延べ参加者数"], metrics["対象機関の参加"]) == ("1回", "6名", "3/5")
    at = run(h_kinds=["勉強会"])
    assert at.dataframe[0].value["報告の表記"].tolist() == ["4名（3機関：団体2(2)・自治体1(2)）"]


@pytest.mark.parametrize("tab", [t for t in ui.TABS if t != "個人別"])
def test_committee_sees_no_names_or_emails(world_url, tab):
    at = run(Viewer(role="委員会"), tab)
    assert "個人別" not in [t.label for t in at.tabs]
    shown = everything_shown(at)
    assert "参加履歴" in shown and "実機関数" in shown  # the collector sees nested elements too
    for key in hw.NAMES:
        name = hw.NAMES[key]
        assert name not in shown and json.dumps(name)[1:-1] not in shown, (tab, name)
        assert hw.EMAILS[key] not in shown, (tab, key)
        assert name.replace(" ", "") not in shown


def test_committee_cannot_open_the_person_tab_by_state(world_url):
    at = run(Viewer(role="委員会"), "個人別")  # a stale or forged tab value falls back to the first tab
    shown = everything_shown(at)
    assert all(hw.NAMES[k] not in shown for k in hw.NAMES)
    assert at.dataframe[0].value["報告の表記"].tolist()[0].startswith("10名")


def test_tabs_render_for_the_secretariat(world_url):
    flows = run(tab="初参加・継続・離脱")
    assert flows.dataframe[0].value["初参加"].tolist() == [10, 2, 0, 0]
    cover = run(tab="対象機関")
    outreach = cover.dataframe[1].value
    assert outreach["機関名"].tolist() == ["くろ町役場"]
    assert any(b.label == "対象機関を保存" for b in cover.button)
    regions = run(tab="地域")
    assert len(regions.get("plotly_chart")) == 1
    assert "石狩振興局" in regions.dataframe[0].value["地域"].tolist()
    pack = run(tab="委員会資料")
    labels = [b.proto.label for b in pack.get("download_button")]
    assert any("Excel" in label for label in labels) and any("HTML" in label for label in labels)


@pytest.mark.parametrize("tab", ui.TABS)
def test_every_table_has_japanese_headers(world_url, tab):
    """The domain's tables have English column names; the page shows each under its Japanese header."""
    import re

    at = run(tab=tab, h_org_targets=True)
    for df in at.dataframe:
        columns = [str(c) for c in df.value.columns]
        assert not [c for c in columns if re.fullmatch(r"[a-z0-9_]+", c)], (tab, columns)
        config = json.loads(df.proto.columns or "{}")
        assert not [c for c in config if re.fullmatch(r"[a-z][a-z0-9_]*", c)], (tab, config)  # config keys renamed too


def test_target_editor_and_settings_are_applied(world_url):
    at = run(tab="対象機関")
    editor = at.dataframe[2].value  # region coverage, outreach list, then the editor
    assert editor["対象"].sum() == 5 and "NPO法人ひかり" not in editor["機関名"].tolist()
    next(b for b in at.button if b.label == "対象機関を保存").click().run()
    assert any(s.value == "対象機関を保存しました（追加 0・解除 0）。" for s in at.success)  # nothing changed by itself
    from facilitation.history import coverage as cov
    from facilitation.roles import SECRETARIAT_LOCAL
    from facilitation.storage import db

    with db.session(world_url) as s:
        cov.set_population(s, SECRETARIAT_LOCAL, size=10)
    at = run(tab="対象機関")  # the data version changed: no stale cache
    assert {m.label: m.value for m in at.metric}["対象機関の参加"] == "4/10"
    committee = run(Viewer(role="委員会"), "対象機関")
    assert not any(b.label == "対象機関を保存" for b in committee.button)
    assert len(committee.dataframe) == 2


def test_empty_database_says_so(sqlite_url, monkeypatch):
    monkeypatch.setenv("FACILITATION_DB_URL", sqlite_url)
    ui.refresh()
    at = run()
    assert "まだ開催済みの会がありません" in at.info[0].value
