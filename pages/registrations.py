"""申込管理: registrations of one meeting — sync, upload, review, kept-aside rows, manual entry."""

import streamlit as st

from ui import registrations as reg
from ui.common import meeting_picker, viewer

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

tabs = st.tabs(["申込者一覧", "取り込み", "確認待ち", "保留の行", "手入力", "列の対応・書き戻し"],
               key="registrations_tab", on_change="rerun")  # the chosen tab survives every button
with tabs[0]:
    reg.registrant_table(meeting_id, v, editable=True)
with tabs[1]:
    reg.sheet_sync(meeting_id)
    st.divider()
    reg.file_upload(meeting_id)
with tabs[2]:
    reg.review_queue(meeting_id)
    reg.choice_mapping(meeting_id)
with tabs[3]:
    reg.kept_aside(meeting_id)
with tabs[4]:
    reg.manual_form(meeting_id)
with tabs[5]:
    reg.column_mapping(meeting_id)
    st.divider()
    reg.write_back(meeting_id)
