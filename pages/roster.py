"""ルーム名簿: a facilitator's live room (attendance, notes); the secretariat's overview, report and Zoom."""

import streamlit as st

from facilitation.roles import FACILITATOR
from ui import roster
from ui.common import meeting_picker, show_flash, viewer

st.title("ルーム名簿")
show_flash()
roster.style()
v = viewer()

if v.role == FACILITATOR:
    if v.meeting_id is None or v.room_id is None:
        st.warning("このリンクではルームが分かりません。事務局から届いたリンクを開き直してください。")
        st.stop()
    roster.live_roster(v.meeting_id, v.room_id)
    roster.notes_form(v.room_id)
    st.stop()

if not v.is_secretariat:
    st.info("このページは事務局とファシリテーターのためのページです。")
    st.stop()

meeting_id = meeting_picker(key="roster_meeting")
if meeting_id is None:
    st.stop()

view = st.segmented_control("表示", ["全ルーム", "ルームごと", "レポート・Zoom出席"], default="全ルーム",
                            required=True, key="roster_view")
if view == "全ルーム":
    roster.live_overview(meeting_id)
elif view == "ルームごと":
    room_id = roster.room_picker(meeting_id)
    if room_id is not None:
        roster.live_roster(meeting_id, room_id)
        roster.notes_form(room_id)
else:
    roster.report_panel(meeting_id)
    st.divider()
    roster.zoom_panel(meeting_id)
