"""Stable import path for `facilitation.rosters.zoom`, used by external checks of real Zoom reports
(`shared/real-samples/check_external.py`). The project's own code imports `facilitation.rosters.zoom`."""

from facilitation.rosters.zoom import read_report

__all__ = ["read_report"]
