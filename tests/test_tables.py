"""Every table a page shows goes through ui.common.show_table / show_editor.

Streamlit's own toolbar on st.dataframe offers "Download as CSV" of exactly the frame it was given:
a registrant named `=HYPERLINK("http://x")` would become a live formula in Excel. The helpers give
Streamlit a neutralised frame (facilitation.files.exports.safe_frame) and show empty cells as 「—」.
"""

from __future__ import annotations

import ast
import json

import pandas as pd
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from facilitation.roles import SECRETARIAT, Viewer
from facilitation.storage import db
from facilitation.storage.models import Meeting, Person, Registration

from .conftest import ROOT

HOSTILE = '=HYPERLINK("http://x")'


def _calls(path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(n.lineno, n.func.attr) for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and (n.func.attr in ("dataframe", "data_editor")
                 or (n.func.attr == "table" and isinstance(n.func.value, ast.Name) and n.func.value.id == "st"))]


def test_no_page_calls_st_dataframe_directly():
    files = sorted([*(ROOT / "ui").glob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "streamlit_app.py"])
    assert len(files) > 10
    bypass = {f"{p.relative_to(ROOT)}:{line} .{name}()" for p in files if p.name != "common.py"
              for line, name in _calls(p)}
    assert not bypass, f"tables drawn without ui.common.show_table/show_editor: {sorted(bypass)}"
    # The detector finds the helpers' own calls (it can fail).
    assert {name for _, name in _calls(ROOT / "ui" / "common.py")} == {"dataframe", "data_editor"}


def _frames(at: AppTest) -> list[pd.DataFrame]:
    out = []

    def walk(node) -> None:
        value = getattr(node, "value", None)
        if isinstance(value, pd.DataFrame):
            out.append(value)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return out


def test_a_formula_named_registrant_reaches_streamlit_neutralised(monkeypatch, demo_copy_url):
    with db.session(demo_copy_url, actor="test") as s:
        upcoming = s.scalars(select(Meeting).order_by(Meeting.starts_at.desc())).first()
        person = s.scalars(select(Person).join(Registration, Registration.person_id == Person.id)
                           .where(Registration.meeting_id == upcoming.id).order_by(Person.id)).first()
        person.name = HOSTILE
    monkeypatch.setenv(db.ENV_VAR, demo_copy_url)
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "pages" / "registrations.py"), default_timeout=90)
    at.session_state["viewer"] = Viewer(role=SECRETARIAT, email="office@example.org")
    at.run()
    assert not at.exception
    cells = [v for f in _frames(at) for col in f.columns for v in f[col].tolist() if isinstance(v, str)]
    assert "'" + HOSTILE in cells, "the registrant's row is not in any table on the page"
    assert HOSTILE not in cells


def _run(body: str) -> AppTest:
    """A one-off page using the table helpers (`df`, `show_table`, `show_editor` and `st` are at hand)."""
    head = (f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nimport pandas as pd\nimport streamlit as st\n"
            "from ui.common import show_editor, show_table\n")
    at = AppTest.from_string(head + body, default_timeout=30)
    at.run()
    assert not at.exception
    return at


def test_editor_gives_back_the_original_text_and_tables_show_dashes():
    at = _run(f"""
df = pd.DataFrame({{"氏名": [{HOSTILE!r}, "-", None, "-5"], "人数": [1.0, -2.0, None, -5]}})
show_table(df, key="shown")
st.session_state["edited"] = show_editor(df, key="edited_frame")
""")
    shown = at.dataframe[0].value
    # Text starting with = + - @ is quoted (the toolbar's CSV is this frame); None reads 「—」.
    assert shown["氏名"].tolist() == ["'" + HOSTILE, "'-", "—", "'-5"]
    assert shown["人数"].tolist()[:2] == [1.0, -2.0] and shown["人数"].tolist()[3] == -5  # numbers stay numbers
    assert at.dataframe[0].proto.placeholder == "—"  # a missing number reads 「—」 too, not "None"
    edited = at.session_state["edited"]
    assert edited["氏名"].tolist()[:2] == [HOSTILE, "-"] and edited["氏名"].tolist()[3] == "-5"  # saved back as it was


def test_domain_columns_are_shown_under_japanese_headers_and_come_back_english():
    at = _run(f"""
df = pd.DataFrame({{"id": [7, 8], "name": ["山田", {HOSTILE!r}], "people": [1, 2]}})
labels = {{"name": "氏名", "people": "人数"}}
show_table(df, labels=labels, column_config={{"id": None}}, key="shown")
st.session_state["edited"] = show_editor(df, labels=labels, disabled=["name"], key="edited_frame",
    column_config={{"id": None, "people": st.column_config.NumberColumn("人数", min_value=0)}})
""")
    shown = at.dataframe[0].value
    assert list(shown.columns) == ["id", "氏名", "人数"]
    assert shown["氏名"].tolist() == ["山田", "'" + HOSTILE]
    config = json.loads(at.dataframe[1].proto.columns)  # the editor's options, keyed by the shown headers
    assert config["人数"]["type_config"]["min_value"] == 0 and config["氏名"]["disabled"] is True
    edited = at.session_state["edited"]
    assert list(edited.columns) == ["id", "name", "people"]  # the page reads back the domain's names
    assert edited["name"].tolist() == ["山田", HOSTILE]


def test_an_editor_whose_rows_changed_starts_from_what_is_stored(monkeypatch):
    """Streamlit keeps an editor's changes by row position under its key: the same key over other
    rows (a save, a change made elsewhere, another survey) would write one row's edit into another
    (issue 22). show_editor keys each editor by the rows it edits."""
    from ui import common

    keys = []
    monkeypatch.setattr(common.st, "data_editor", lambda data, **kw: keys.append(kw["key"]) or data)
    rooms = pd.DataFrame({"id": [1, 2, 3], "name": ["ルーム1", "ルーム2", "ルーム3"]})
    common.show_editor(rooms, key="rooms_editor_8")
    common.show_editor(rooms.copy(), key="rooms_editor_8")  # the same rows: the person's edits stay
    common.show_editor(rooms.iloc[[1, 0, 2]].reset_index(drop=True), key="rooms_editor_8")  # re-sorted
    common.show_editor(rooms.iloc[1:].reset_index(drop=True), key="rooms_editor_8")  # one deleted elsewhere
    assert keys[0] == keys[1] and len(set(keys)) == 3
    assert all(k.startswith("rooms_editor_8_") for k in keys)
