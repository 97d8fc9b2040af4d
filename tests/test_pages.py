"""Every page renders with the demo data, without an exception, under its Japanese title, and no
table shows a domain column name (English snake_case) as its header."""

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from ui.shell import PAGES

from .conftest import ROOT

TITLES = {name: title for name, (_, title, *_rest) in PAGES.items()}


@pytest.fixture
def app_env(monkeypatch, demo_copy_url):
    monkeypatch.setenv("FACILITATION_DB_URL", demo_copy_url)
    return demo_copy_url


@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_with_its_title(app_env, name):
    at = AppTest.from_file(str(ROOT / PAGES[name][0]), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert TITLES[name] in [t.value for t in at.title]
    assert not at.error, [e.value for e in at.error]
    assert not english_headers(at), english_headers(at)


def english_headers(at) -> list[str]:
    """Headers a person would see in English: a frame's snake_case column shown without its label
    (the browser journeys cannot see these, the grid is drawn on a canvas)."""
    out = []
    for table in at.dataframe:
        config = json.loads(table.proto.columns or "{}")
        shown = [c for c in map(str, table.value.columns) if not config.get(c, {}).get("hidden")]
        if table.proto.column_order:
            shown = [c for c in shown if c in table.proto.column_order]
        out += [c for c in shown if not config.get(c, {}).get("label") and re.fullmatch(r"[a-z][a-z0-9_]*", c)]
    return out


def test_home_shows_the_upcoming_meeting_and_counts(app_env):
    at = AppTest.from_file(str(ROOT / "pages/home.py"), default_timeout=60).run()
    text = " ".join(m.value for m in at.markdown)
    assert "2026年12月10日（木）" in text
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["申込者数"].endswith("名") and int(metrics["申込者数"][:-1]) > 20
    assert "内訳:" in text and "機関：" in text
    [recent] = [d.value for d in at.dataframe]  # 最近の会, under the same headers as always
    assert list(recent.columns) == ["年度", "回", "種別", "開催日", "方法", "状態", "参加者（申込）", "ルーム数"]
    assert "2026年12月10日（木）" in recent["開催日"].tolist() and recent["参加者（申込）"].str.contains("名").all()


def test_settings_adds_a_meeting_once_and_empties_the_form(app_env):
    import datetime as dt

    from sqlalchemy import func, select

    from facilitation.storage import db
    from facilitation.storage.models import Meeting

    def count() -> int:
        with db.session(app_env) as s:
            return s.scalar(select(func.count()).select_from(Meeting))

    before = count()
    at = AppTest.from_file(str(ROOT / "pages/settings.py"), default_timeout=60).run()
    at.text_input(key="meeting_form_new_0_title").set_value("第4回 情報交換会（テスト）")
    at.date_input(key="meeting_form_new_0_day").set_value(dt.date(2027, 3, 5))
    at.button[0].click().run()
    assert not at.exception
    assert any("会を追加しました" in s.value and "第4回 情報交換会（テスト）" in s.value for s in at.success)
    assert count() == before + 1
    assert at.text_input(key="meeting_form_new_1_title").value == ""  # a fresh, empty form
    with db.session(app_env) as s:  # the meeting just added is the one the other pages open with
        added = s.scalar(select(Meeting.id).where(Meeting.title == "第4回 情報交換会（テスト）"))
    assert at.session_state["current_meeting"] == added
    at.button[0].click().run()  # pressed again
    assert [e.value for e in at.error] == ["開催日を選んでください。"]
    assert count() == before + 1


def test_settings_organisation_search(app_env):
    at = AppTest.from_file(str(ROOT / "pages/settings.py"), default_timeout=60).run()
    box = next(t for t in at.text_input if t.label == "機関名・略称で検索")
    box.set_value("りんく").run()
    frame = next(d.value for d in at.dataframe if "略称・別名" in d.value.columns)
    assert list(frame.columns) == ["ID", "機関名", "種別", "直営/委託", "振興局", "市町村", "事業", "略称・別名",
                                   "ファシリテーター団体", "集計対象"]  # every column under its Japanese header
    assert list(frame["機関名"]) == ["NPO法人コミュニティワーク研究実践センター岩見沢市生活サポートセンターりんく"]
