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
checked = rooms.checked_assignment(meeting_id)  # the saved assignment, checked once for the tabs that show it

tab_rooms, tab_choices, tab_run, tab_adjust, tab_publish = st.tabs(
    ["1. ルーム", "2. 希望の確認", "3. 決まりと実行", "4. 手直し", "5. 公開・書き出し"],
    key="rooms_tab", on_change="rerun")  # the chosen tab survives every button

with tab_rooms:
    st.subheader("ルーム")
    rooms.room_editor(meeting_id)
    rooms.copy_rooms(meeting_id)
    rooms.designate_facilitator(meeting_id)
    rooms.facilitator_links(meeting_id)

with tab_choices:
    st.subheader("申込の希望とルームの対応")
    rooms.choice_review(meeting_id)

with tab_run:
    st.subheader("決まり")
    rules = rooms.rule_switches(meeting_id)
    rooms.run_panel(meeting_id, rules, checked)
    st.subheader("割り当ての質")
    rooms.quality_panel(meeting_id, checked)

with tab_adjust:
    st.subheader("一人ずつの割り当てと理由")
    rooms.people_editor(meeting_id, checked)

with tab_publish:
    st.subheader("公開")
    rooms.publish_panel(meeting_id)
    st.subheader("書き出し")
    rooms.downloads(meeting_id)
    rooms.sheet_button(meeting_id)
