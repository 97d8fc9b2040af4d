"""横断検索: one search over room notes, report sections, survey free text and the open chat."""

import streamlit as st

from facilitation.access.roles import COMMITTEE
from ui import search
from ui.common import show_flash, viewer

st.title("横断検索")
show_flash()
v = viewer()
if v.is_secretariat or v.role == COMMITTEE:
    search.search_form(v)
    search.results(v)
    search.maintenance(v)
else:
    st.info("横断検索は事務局と検討委員会の方が使えます。")
