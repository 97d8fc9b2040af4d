"""参加履歴: who comes, who stopped coming, which regions and agencies we reach, and the trends."""

import streamlit as st

from ui import history as ui
from ui.common import show_flash, viewer

st.title("参加履歴")
show_flash()
st.caption("これまでの会の参加状況を、会ごと・機関ごと・地域ごとに振り返ります。")

data = ui.load()
if data.history.meetings.empty:
    st.info("まだ開催済みの会がありません。会が終わると、ここに参加状況が表示されます。")
    st.stop()

scope = ui.filters(data)
ui.headline(data, scope)

labels = ui.tab_labels(viewer())
tabs = st.tabs(labels, key=ui.TAB_KEY, on_change="rerun")
for label, tab in zip(labels, tabs, strict=True):
    if tab.open:  # only the chosen tab is computed
        with tab:
            ui.SECTIONS[label](data, scope)
