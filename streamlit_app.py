"""Entry point: who is looking, and which pages they may open. Nothing else lives here."""

import streamlit as st

from facilitation.roles import SECRETARIAT_LOCAL
from ui import shell

shell.start()
st.session_state.setdefault("viewer", SECRETARIAT_LOCAL)  # local mode: the secretariat
st.navigation(shell.pages_for(st.session_state["viewer"])).run()
