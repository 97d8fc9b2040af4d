"""facilitation: the domain package behind the network secretariat's dashboard (no Streamlit here)."""

__version__ = "0.1.0"
