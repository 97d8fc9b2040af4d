"""The one kind of error a person can fix: its message is Japanese and says what and where.

Every area's error (TableError, MeetingError, RegistrationError…) is a UserError, so the pages
show any of them as a message (never a traceback) with one `except`; AccessDenied
(access.roles) is the other error the pages show. Anything else is a bug.
"""


class UserError(ValueError):
    """A problem in what a person gave or asked for; str(error) is the Japanese message."""
