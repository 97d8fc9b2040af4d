"""横断検索: one search over room notes, report sections, survey free text and the open chat; what keeps
coming back; themes for the next meeting's rooms (the secretariat)."""

import streamlit as st

from facilitation.roles import COMMITTEE
from ui import search
from ui.common import show_flash, viewer

st.title("横断検索")
show_flash()
v = viewer()
if v.is_secretariat or v.role == COMMITTEE:
    names = ["検索", "何度も出てくる課題・要望"] + (["次回のテーマ候補"] if v.is_secretariat else [])
    tabs = dict(zip(names, st.tabs(names, key="search_tab", on_change="rerun"), strict=True))
    with tabs["検索"]:  # only the open tab's content runs
        if tabs["検索"].open:
            search.search_form(v)
            search.results(v)
            search.maintenance(v)
    with tabs["何度も出てくる課題・要望"]:
        if tabs["何度も出てくる課題・要望"].open:
            search.recurring_section(v)
    if v.is_secretariat:
        with tabs["次回のテーマ候補"]:
            if tabs["次回のテーマ候補"].open:
                search.candidates_section(v)
else:
    st.info("横断検索は事務局と検討委員会の方が使えます。")
