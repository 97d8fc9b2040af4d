"""The errors a page shows as their Japanese message: what a person can fix, and what they may not see.

Every area's error (TableError, MeetingError, RegistrationError…) is a UserError; AccessDenied is
raised when a viewer asks for data outside their role. The pages and the CLI catch exactly
SHOWN_ERRORS and show the message (never a traceback). Anything else is a bug.
"""


class UserError(ValueError):
    """A problem in what a person gave or asked for; str(error) is the Japanese message."""


class AccessDenied(PermissionError):
    """Raised by the domain when a viewer asks for data outside their role."""


SHOWN_ERRORS = (UserError, AccessDenied)  # shown as their Japanese message; anything else is a bug
