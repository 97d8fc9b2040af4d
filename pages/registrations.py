"""申込管理: registrations of one meeting — sync, upload, review, kept-aside rows, manual entry."""

import streamlit as st

from ui import registrations as reg
from ui.common import keep_state, meeting_picker, viewer

st.title("申込管理")
reg.show_messages()

meeting_id = meeting_picker()
if meeting_id is None:
    st.stop()
v = viewer()

reg.header_counts(meeting_id)

if not v.is_secretariat:
    st.subheader("申込者一覧")
    if not v.sees_names:
        st.caption("委員会の方には氏名・メールアドレスは表示されません。")
    reg.registrant_table(meeting_id, v, editable=False)
    st.stop()

keep_state(*reg.FILTERS)  # the search and filters of 申込者一覧 are still there when the person comes back
labels = list(reg.SECTIONS)
tabs = st.tabs(labels, key=reg.TAB_KEY, on_change="rerun")  # the chosen tab survives every button
for label, tab in zip(labels, tabs, strict=True):
    if tab.open:  # only the chosen tab is computed (as /rooms, /history and /openchat)
        with tab:
            reg.SECTIONS[label](meeting_id)
