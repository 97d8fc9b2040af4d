"""What the assignment modules refuse: `AssignmentError` (Japanese, the secretariat can fix it) and
the secretariat-only message."""

from __future__ import annotations

from facilitation.errors import UserError

SECRETARIAT_ONLY = "ルームの割り当ては事務局だけが変更できます。"


class AssignmentError(UserError):
    """Something the secretariat can fix; the message is Japanese."""
