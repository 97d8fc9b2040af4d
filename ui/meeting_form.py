"""The form to add or edit a meeting (title, date, format, venue, capacity, status, program)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from facilitation.meetings import schedule
from facilitation.meetings.schedule import MeetingError, MeetingInput
from facilitation.text import vocab

from .common import esc, session


def render(meeting_id: int | None) -> None:
    """Add (meeting_id None) or edit a meeting; shows Japanese errors next to the form."""
    current = None
    if meeting_id is not None:
        with session() as s:
            m = schedule.get_meeting(s, meeting_id)
            current = MeetingInput(title=m.title, starts_at=m.starts_at, ends_at=m.ends_at, number=m.number,
                                   kind=m.kind, format=m.format, venue=m.venue, capacity=m.capacity,
                                   status=m.status, registration_url=m.registration_url, program=m.program)
    c = current or MeetingInput(title="北海道生活困窮者支援ネットワーク 情報交換会",
                                starts_at=dt.datetime.combine(dt.date.today() + dt.timedelta(days=30), dt.time(14)))
    key = f"meeting_form_{meeting_id or 'new'}"
    with st.form(key):
        title = st.text_input("タイトル", c.title)
        cols = st.columns(3)
        kind = cols[0].selectbox("種別", vocab.MEETING_KINDS, index=vocab.MEETING_KINDS.index(c.kind))
        fmt = cols[1].selectbox("開催方法", vocab.MEETING_FORMATS, index=vocab.MEETING_FORMATS.index(c.format))
        status = cols[2].selectbox("状態", vocab.MEETING_STATUSES, index=vocab.MEETING_STATUSES.index(c.status))
        cols = st.columns(4)
        day = cols[0].date_input("開催日", c.starts_at.date(), format="YYYY/MM/DD")
        start = cols[1].time_input("開始時刻", c.starts_at.time())
        end = cols[2].time_input("終了時刻", (c.ends_at or c.starts_at + dt.timedelta(hours=2, minutes=30)).time())
        number = cols[3].number_input("回（第N回・空欄で自動）", min_value=0, value=c.number or 0, step=1)
        venue = st.text_input("会場・Zoom", c.venue)
        capacity = st.number_input("定員（目安・0で未設定）", min_value=0, value=c.capacity or 0, step=5)
        reg_url = st.text_input("申込フォームのURL", c.registration_url)
        program = st.data_editor(pd.DataFrame(c.program or [], columns=["time", "item"]), num_rows="dynamic",
                                 column_config={"time": "時刻", "item": "内容"}, hide_index=True, key=key + "_prog")
        submitted = st.form_submit_button("保存する" if meeting_id else "会を追加する", type="primary")
    if not submitted:
        return
    data = MeetingInput(
        title=title, starts_at=dt.datetime.combine(day, start), ends_at=dt.datetime.combine(day, end),
        number=int(number) or None, kind=kind, format=fmt, venue=venue, capacity=int(capacity) or None,
        status=status, registration_url=reg_url,
        program=[{"time": str(r["time"] or ""), "item": str(r["item"] or "")}
                 for r in program.to_dict("records") if r.get("item")],
    )
    try:
        with session() as s:
            saved = schedule.update_meeting(s, meeting_id, data) if meeting_id else schedule.add_meeting(s, data)
            text = schedule.label(saved)
    except MeetingError as exc:
        st.error(str(exc))
        return
    st.success(f"保存しました: {esc(text)}")
