"""Benchmark variant of /history that renders EVERY tab eagerly in one run (worst case).

Not part of the app: the real page (pages/history.py) computes only the open tab.
"""

import streamlit as st

from ui import history as ui
from ui.common import viewer

st.title("参加履歴（全タブ）")
data = ui.load()
scope = ui.filters(data)
ui.headline(data, scope)
labels = ui.tab_labels(viewer())
for label, tab in zip(labels, st.tabs(labels), strict=True):
    with tab:
        ui.SECTIONS[label](data, scope)
