"""設定 › 会の管理: which calendar the report and the committee pack print (西暦 or 和暦)."""

from __future__ import annotations

import streamlit as st

from facilitation.storage.settings import set_wareki, use_wareki
from facilitation.text.dates import format_date, format_fiscal_year, now_jst

from .common import session, viewer

CHOICES = {False: "西暦", True: "和暦"}


def render() -> None:
    v = viewer()
    if not v.is_secretariat:
        return
    with session() as s:
        current = use_wareki(s)
    today = now_jst()
    st.markdown("**報告レポート・委員会資料の日付の書き方**")
    chosen = st.radio(
        "暦", list(CHOICES), index=int(current), horizontal=True, key="settings_wareki",
        format_func=lambda w: f"{CHOICES[w]}（{format_date(today, w)}・{format_fiscal_year(today.year, w)}）")
    if chosen != current:
        with session() as s:
            set_wareki(s, v, chosen)
        st.success(f"報告レポートと委員会資料の日付を{CHOICES[chosen]}で書くようにしました。")
