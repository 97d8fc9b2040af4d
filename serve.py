"""The app with the live roster's change route: `streamlit run serve.py` (same options as streamlit_app.py).

`streamlit run streamlit_app.py` still works; phones then refresh every few seconds instead of
waiting on `/_roster/stamp` (see ui/live_stamp.py and the README's 本番運用 section).
"""

import os

import streamlit as st

from ui import live_stamp

os.environ[live_stamp.ACTIVE_ENV] = "1"
app = st.App("streamlit_app.py", routes=live_stamp.routes())
