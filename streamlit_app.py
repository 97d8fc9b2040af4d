"""Entry point: who is looking, and which pages they may open. Nothing else lives here."""

import streamlit as st

from ui import auth, shell

shell.start()
viewer = auth.current_viewer()  # a facilitator link, a signed-in account, or local mode (or stop)
auth.sidebar(viewer)
st.navigation(shell.pages_for(viewer)).run()
shell.release_memory()
