"""Personal data never reaches logs or stderr through a database error's text (issue 14)."""

from __future__ import annotations

import io
import logging
import traceback

import pytest
from sqlalchemy.exc import IntegrityError

from facilitation.storage import db
from facilitation.storage.models import Person

EMAIL = "yoko.sato.leak@example.jp"
NAME = "佐藤陽子"


def test_integrity_error_text_carries_no_name_or_email(db_url, caplog):
    """A person row pointing at a missing organisation fails: neither the message, the traceback nor
    any log line (SQLAlchemy's own loggers included) shows the registrant's e-mail or name."""
    caplog.set_level(logging.DEBUG)
    stderr = io.StringIO()
    with pytest.raises(IntegrityError) as info:  # noqa: PT012  (the error comes from the commit)
        try:
            with db.session(db_url, actor="test") as s:
                s.add(Person(name=NAME, email=EMAIL, organisation_id=987654))
                s.flush()
        except IntegrityError:
            logging.getLogger("facilitation.test").exception("保存できませんでした")
            traceback.print_exc(file=stderr)
            raise
    text = "\n".join([str(info.value), repr(info.value), stderr.getvalue(), caplog.text])
    assert "organisation" in text.lower() or "foreign" in text.lower()  # the error itself is reported
    assert EMAIL not in text
    assert NAME not in text
