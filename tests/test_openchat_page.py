"""The オープンチャット page as the secretariat and as the committee see it (AppTest)."""

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from facilitation.openchat import store
from facilitation.roles import COMMITTEE, SECRETARIAT_LOCAL, Viewer
from facilitation.storage import db
from facilitation.storage.models import Meeting

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "openchat"
SECRET_TEXT = "フードバンクの寄付を受け付けている団体があれば教えてください"


@pytest.fixture
def chat_url(demo_copy_url):
    with db.session(demo_copy_url) as s:
        for name in ("ja_ios.txt", "ja_android.txt", "questions.txt"):
            store.import_bytes(s, SECRETARIAT_LOCAL, (DATA / name).read_bytes(), file_name=name)
    return demo_copy_url


def run_page(monkeypatch, url: str, viewer: Viewer | None = None, tab: str | None = None) -> AppTest:
    """The page with `tab` open (the page computes only the open tab; default the first)."""
    monkeypatch.setenv("FACILITATION_DB_URL", url)
    at = AppTest.from_file(str(ROOT / "pages" / "openchat.py"), default_timeout=60)
    if viewer is not None:
        at.session_state["viewer"] = viewer
    if tab is not None:
        at.session_state["openchat_tab"] = tab
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def all_text(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "success", "warning", "code", "title")
             for e in getattr(at, kind)]
    parts += [str(m.label) + str(m.value) for m in at.metric]
    for df in at.dataframe:
        parts.append(df.value.to_string())
    return "\n".join(str(p) for p in parts)


def every_tab_text(monkeypatch, url: str, viewer: Viewer | None = None) -> str:
    """What a person reads going through every tab of the page, one after the other."""
    first = run_page(monkeypatch, url, viewer)
    return "\n".join([all_text(first)] + [all_text(run_page(monkeypatch, url, viewer, t.label)) for t in first.tabs[1:]])


def test_secretariat_sees_activity_questions_review_and_the_announcement(monkeypatch, chat_url):
    at = run_page(monkeypatch, chat_url)
    assert at.title[0].value == "オープンチャット"
    assert [t.label for t in at.tabs] == ["概要", "機関・地域", "質問と回答", "話題", "取り込み", "メンバー確認",
                                         "投稿と削除", "お知らせ作成"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["投稿"] == "18件"
    assert metrics["質問"] == "6件"
    assert len(at.get("plotly_chart")) >= 3
    assert SECRET_TEXT not in all_text(at)  # only the open tab (概要) is computed
    text = every_tab_text(monkeypatch, chat_url)
    assert SECRET_TEXT in text  # the unanswered list, for the secretariat
    assert "千歳市&伊藤" in text  # the review queue
    assert "2026年12月10日（木） 14:00〜16:30" in text


def test_committee_sees_counts_and_topics_but_no_texts_or_names(monkeypatch, chat_url):
    at = run_page(monkeypatch, chat_url, Viewer(role=COMMITTEE))
    assert [t.label for t in at.tabs] == ["概要", "機関・地域", "質問と回答", "話題"]
    text = every_tab_text(monkeypatch, chat_url, Viewer(role=COMMITTEE))
    assert SECRET_TEXT not in text
    for name in ("佐藤", "田中", "伊藤", "&"):
        assert name not in text
    assert {m.label: m.value for m in at.metric}["投稿"] == "18件"
    assert "江別市社会福祉協議会くらしサポートセンターえべつ" in text  # organisations are fine


def test_redaction_from_the_page_data_path(monkeypatch, chat_url):
    """After a redaction the page shows 「削除済み」 in place of the text, and the counts stay."""
    from facilitation.openchat.models import ChatMessage

    with db.session(chat_url) as s:
        mid = s.scalar(select(ChatMessage.id).where(ChatMessage.text == SECRET_TEXT))
        store.redact(s, SECRETARIAT_LOCAL, mid)
    at = run_page(monkeypatch, chat_url)
    text = every_tab_text(monkeypatch, chat_url)
    assert SECRET_TEXT not in text
    assert "（本文は削除済み）" in text
    assert {m.label: m.value for m in at.metric}["投稿"] == "18件"


def test_empty_database_says_what_to_do(monkeypatch, sqlite_url):
    at = run_page(monkeypatch, sqlite_url)
    assert any("まだトーク履歴が取り込まれていません" in i.value for i in at.info)


def _settings_script():
    from ui import settings_openchat
    from ui.common import show_flash

    show_flash()  # as the settings page does: what the last action said
    settings_openchat.render()


def test_settings_section_saves_templates_and_invite_link(monkeypatch, demo_copy_url):
    from facilitation.openchat import announcements

    monkeypatch.setenv("FACILITATION_DB_URL", demo_copy_url)
    at = AppTest.from_function(_settings_script, default_timeout=60)
    at.run()
    assert not at.exception
    assert at.text_area(key="oc_tpl_openchat").value == announcements.DEFAULT_TEMPLATES["openchat"]
    at.text_input(key="oc_invite_url").input("https://line.me/ti/g2/donet-example")
    at.button(key="oc_invite_save").click().run()
    at.text_area(key="oc_tpl_openchat").input("{回}のお知らせ {日付} {オープンチャットURL} {ふめい}")
    at.button(key="oc_tpl_save").click().run()
    assert not at.exception
    assert any("ひな形を保存しました" in s.value for s in at.success)
    assert any("{ふめい}" in w.value for w in at.warning)
    with db.session(demo_copy_url) as s:
        mid = s.scalar(select(Meeting.id).where(Meeting.status == "募集中"))
        text = announcements.compose(s, mid).openchat_text
    assert text == "第3回のお知らせ 2026年12月10日（木） https://line.me/ti/g2/donet-example {ふめい}"


def test_date_axes_read_in_japanese():
    """Plotly's own date ticks read "Feb 2026": every date axis of the page says 「2026年2月」."""
    import datetime as dt

    import plotly.graph_objects as go

    from facilitation.openchat.charts import _figure

    for xs in (pd.Series([dt.date(2026, 2, 1)]), pd.Series([pd.Timestamp("2026-02-02")])):
        fig = _figure([go.Bar(x=xs, y=[1])])
        assert (fig.layout.xaxis.tickformat, fig.layout.xaxis.hoverformat) == ("%Y年%-m月", "%Y年%-m月%-d日")
    assert _figure([go.Bar(x=[3], y=["語"], orientation="h")]).layout.xaxis.tickformat is None


def test_after_an_import_the_format_and_the_doubtful_lines_are_shown_with_line_numbers(monkeypatch, sqlite_url):
    with db.session(sqlite_url) as s:
        result = store.import_bytes(s, SECRETARIAT_LOCAL, (DATA / "weekday_mismatch.txt").read_bytes(),
                                    file_name="weekday_mismatch.txt")
    monkeypatch.setenv("FACILITATION_DB_URL", sqlite_url)
    at = AppTest.from_file(str(ROOT / "pages" / "openchat.py"), default_timeout=60)
    at.session_state["openchat_last_import"] = result  # what 取り込む leaves for the rerun
    at.session_state["openchat_tab"] = "取り込み"  # the import was made there
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = all_text(at)
    assert "読み取った形式: LINE（スマートフォン・日本語）" in text
    assert any("確認してほしい行が 2行あります" in w.value for w in at.warning)
    shown = next(df.value for df in at.dataframe if "確認してほしいこと" in df.value.columns)
    assert shown["行"].tolist() == [9, 14] and "曜日が合いません" in shown["確認してほしいこと"].iloc[0]
    history = next(df.value for df in at.dataframe if "形式" in df.value.columns)  # kept with the import
    assert history["形式"].tolist() == ["LINE（スマートフォン・日本語）"] and history["確認してほしい行"].tolist() == [2]



def test_a_member_is_confirmed_with_the_organisation_picked_with_the_click(monkeypatch, chat_url):
    """「確定」 saves in its callback (one page run) the organisation in the row's picker as the click arrives."""
    from facilitation.openchat import members
    from facilitation.openchat.models import ChatMember

    with db.session(chat_url) as s:
        item = next(i for i in members.review_queue(s, SECRETARIAT_LOCAL, limit=30) if len(i.candidates) > 1)
        member_id, second = item.member_id, item.candidates[1].organisation_id
    at = run_page(monkeypatch, chat_url, tab="メンバー確認")
    at.selectbox(key=f"oc_pick_{member_id}").set_value(second)  # picked and confirmed in one message
    at.button(key=f"oc_ok_{member_id}").click().run()
    assert not at.exception
    assert any("で確定しました" in s.value for s in at.success)
    with db.session(chat_url) as s:
        assert s.get(ChatMember, member_id).organisation_id == second
    assert all(b.key != f"oc_pick_{member_id}" for b in at.selectbox)  # the queue drawn after the write
