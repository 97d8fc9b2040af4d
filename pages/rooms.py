"""ルーム割り当て: rooms and themes, choices, rules, the optimiser, manual moves, publish, files."""

import streamlit as st

from ui import rooms
from ui.common import meeting_picker, show_flash, viewer

st.title("ルーム割り当て")
v = viewer()
if not v.is_secretariat:
    st.info("このページは事務局のためのページです。")
    st.stop()

meeting_id = meeting_picker(key="rooms_meeting")
if meeting_id is None:
    st.stop()

show_flash()
rooms.header(meeting_id)

labels = list(rooms.SECTIONS)
tabs = st.tabs(labels, key=rooms.TAB_KEY, on_change="rerun")  # the chosen tab survives every button
for label, tab in zip(labels, tabs, strict=True):
    if tab.open:  # only the chosen tab is computed (checking the assignment rebuilds years of who met whom)
        with tab:
            rooms.SECTIONS[label](meeting_id)
