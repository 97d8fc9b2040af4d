"""The form to add or edit a meeting (title, date, format, venue, capacity, status, program)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from facilitation.meetings import schedule
from facilitation.meetings.schedule import MeetingInput
from facilitation.text import vocab
from facilitation.text.dates import date_notice, now_jst

from .common import MEETING_KEY, act, esc, session, show_editor

FLASH_DATE = "meeting_form_flash_date"  # the holiday / weekend notice of the meeting just added
_ROUND = "meeting_form_round"  # bumped after a successful add: the next form starts empty


def render(meeting_id: int | None) -> None:
    """Add (meeting_id None) or edit a meeting; shows Japanese errors next to the form.

    After a meeting is added the form starts empty again, so a second press cannot add it twice
    (and an exact duplicate is refused by schedule.add_meeting anyway). After an error the typed
    values stay.
    """
    date_flash = st.session_state.pop(FLASH_DATE, None)
    if date_flash:
        st.warning(date_flash)
    current = None
    if meeting_id is not None:
        with session() as s:
            m = schedule.get_meeting(s, meeting_id)
            current = MeetingInput(title=m.title, starts_at=m.starts_at, ends_at=m.ends_at, number=m.number,
                                   kind=m.kind, format=m.format, venue=m.venue, capacity=m.capacity,
                                   status=m.status, registration_url=m.registration_url, program=m.program)
    c = current or MeetingInput(title="", starts_at=dt.datetime.combine(now_jst().date(), dt.time(14)))
    key = f"meeting_form_{meeting_id}" if meeting_id else f"meeting_form_new_{st.session_state.get(_ROUND, 0)}"
    with st.form(key):
        title = st.text_input("タイトル", c.title, key=key + "_title",
                              placeholder="例: 北海道生活困窮者支援ネットワーク 情報交換会")
        cols = st.columns(3)
        kind = cols[0].selectbox("種別", vocab.MEETING_KINDS, index=vocab.MEETING_KINDS.index(c.kind),
                                 key=key + "_kind", placeholder="種別を選んでください")
        fmt = cols[1].selectbox("開催方法", vocab.MEETING_FORMATS, index=vocab.MEETING_FORMATS.index(c.format),
                                key=key + "_format", placeholder="開催方法を選んでください")
        status = cols[2].selectbox("状態", vocab.MEETING_STATUSES, index=vocab.MEETING_STATUSES.index(c.status),
                                   key=key + "_status", placeholder="状態を選んでください")
        cols = st.columns(4)
        day = cols[0].date_input("開催日", c.starts_at.date() if current else None, format="YYYY/MM/DD",
                                 key=key + "_day")
        start = cols[1].time_input("開始時刻", c.starts_at.time(), key=key + "_start")
        end = cols[2].time_input("終了時刻", (c.ends_at or c.starts_at + dt.timedelta(hours=2, minutes=30)).time(),
                                 key=key + "_end")
        number = cols[3].number_input("回（第N回・0で日付順に自動）", min_value=0, value=c.number or 0, step=1,
                                      key=key + "_number")
        notice = date_notice(day)  # a public holiday, a weekend or 年末年始: beside the date
        if notice:
            st.warning(notice)
        venue = st.text_input("会場・Zoom", c.venue, key=key + "_venue")
        capacity = st.number_input("定員（目安・0で未設定）", min_value=0, value=c.capacity or 0, step=5,
                                   key=key + "_capacity")
        reg_url = st.text_input("申込フォームのURL", c.registration_url, key=key + "_url")
        program = show_editor(pd.DataFrame(c.program or [], columns=["time", "item"]), num_rows="dynamic",
                                 column_config={"time": "時刻", "item": "内容"}, hide_index=True, key=key + "_prog")
        submitted = st.form_submit_button("保存する" if meeting_id else "会を追加する", type="primary")
    if not submitted:
        return
    if day is None:
        st.error("開催日を選んでください。")
        return
    data = MeetingInput(
        title=title, starts_at=dt.datetime.combine(day, start), ends_at=dt.datetime.combine(day, end),
        number=int(number) or None, kind=kind, format=fmt, venue=venue, capacity=int(capacity) or None,
        status=status, registration_url=reg_url,
        program=[{"time": str(r["time"] or ""), "item": str(r["item"] or "")}
                 for r in program.to_dict("records") if r.get("item")],
    )
    def save(s):
        saved = schedule.update_meeting(s, meeting_id, data) if meeting_id else schedule.add_meeting(s, data)
        return schedule.label(saved), saved.id

    act(save, lambda out: _saved(meeting_id, *out, notice))


def _saved(meeting_id: int | None, text: str, saved_id: int, notice: str | None) -> str:
    """After a save: an added meeting starts a fresh, empty form and becomes the chosen meeting."""
    if meeting_id:
        return f"保存しました: {esc(text)}"
    st.session_state[FLASH_DATE] = notice  # the fresh form starts without a date
    st.session_state[_ROUND] = st.session_state.get(_ROUND, 0) + 1  # a fresh, empty form
    st.session_state[MEETING_KEY] = saved_id  # the meeting just added is the one the next pages show
    return f"会を追加しました: {esc(text)}"


def delete_section(meeting_id: int) -> None:
    """Delete a meeting after a confirmation; a meeting with registrations cannot be deleted."""
    with session() as s:
        text = schedule.label(schedule.get_meeting(s, meeting_id))
        n = schedule.registration_count(s, meeting_id)
    st.markdown("**この会を削除する**")
    if n:
        st.info(f"この会には申込が {n} 件あるため削除できません（参加の記録として残ります）。"
                "開催しない場合は、上の「状態」を「中止」にして保存してください。")
        return
    st.caption("申込のない会だけを削除できます。ルームとファシリテーター用リンクも一緒に削除され、元に戻せません。")
    sure = st.checkbox(f"「{esc(text)}」を削除します", key=f"meeting_delete_sure_{meeting_id}")
    if st.button("削除する", key=f"meeting_delete_{meeting_id}", disabled=not sure):
        act(lambda s: schedule.delete_meeting(s, meeting_id), lambda deleted: f"削除しました: {esc(deleted)}")
