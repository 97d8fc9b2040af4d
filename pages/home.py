"""ホーム: the upcoming meeting and the key counts."""

import streamlit as st

from facilitation.meetings import overview
from ui.common import esc, session, show_table

st.title("ホーム")
st.caption("北海道生活困窮者支援ネットワーク（どうねっと）事務局ツール")

with session() as s:
    nxt = overview.upcoming(s)
    recent = overview.recent_meetings(s)

st.subheader("次回の会")
if nxt is None:
    st.info("予定されている会はありません。設定ページから次回の会を追加してください。")
else:
    c = nxt.counts
    with st.container(border=True):
        st.markdown(f"**{esc(nxt.label)}**")
        st.write(f"{nxt.date} {nxt.time}　{esc(nxt.format)}　{esc(nxt.venue)}　（{nxt.status}）")
        cols = st.columns(4)
        cols[0].metric("申込者数", f"{c.people}名")
        cols[1].metric("機関数", f"{c.organisations}機関")
        cols[2].metric("定員（目安）", f"{c.capacity}名" if c.capacity else "未設定")
        cols[3].metric("ルーム数", f"{c.rooms}室")
        st.write(f"内訳: {c.line}")
        modes = "・".join(f"{k} {v}名" for k, v in sorted(c.by_mode.items()))
        if modes:
            st.write(f"参加方法: {modes}")
        if c.cancelled:
            st.caption(f"キャンセル {c.cancelled}名（上の人数には含みません）")
        if c.capacity and c.people > c.capacity:
            st.warning(f"申込が定員の目安（{c.capacity}名）を {c.people - c.capacity}名 上回っています。")

st.subheader("最近の会")
if recent.empty:
    st.info("まだ会の記録がありません。")
else:
    show_table(recent, labels=overview.RECENT_LABELS, hide_index=True, width="stretch")
