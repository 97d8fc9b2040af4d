"""Downloads cannot run formulas: every CSV and Excel the app offers, opened back and scanned."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from facilitation.assignment import exports as assignment_exports
from facilitation.assignment.exports import Roster, RosterEntry, RosterRoom
from facilitation.files import exports

HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"押して\")", "=cmd|' /C calc'!A0", "+田中 一郎", "-鈴木 二郎",
           "@SUM(A1:A9)", "\t高橋", "\r改行", "＝1+1", "- 項目", "=", "+81 90 1234 5678", "-2+3", "-1+cmd|' /C calc'!A0"]
# Text that starts like a formula but would not run: quoted all the same (OWASP), never refused.
LOOKS_HARMLESS = ["-", "+", "－", "＋", "-3", "+81", "-1,234.5", "-0.5", "@", "＠"]
LEGITIMATE = ["12%", "2026/11/20", "山田 太郎", "", "a-b", "1-2", "−5", " -3"]


def injectable(cells) -> list[str]:
    """Cells a spreadsheet would read as a formula (an apostrophe in front makes text)."""
    return [c for c in cells if isinstance(c, str) and exports.looks_like_formula(c)]


def csv_cells(data: bytes) -> list[str]:
    return [c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for c in row]


def xlsx_cells(data: bytes) -> list[object]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    formulas = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert not formulas, [c.value for c in formulas]  # openpyxl stores "=…" text as a formula
    return [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_looking_text_is_neutralised(value):
    assert exports.looks_like_formula(value) and exports.safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", LOOKS_HARMLESS)
def test_text_starting_like_a_formula_is_quoted_even_when_it_would_not_run(value):
    assert exports.safe_cell(value) == "'" + value
    assert value in ("@", "＠") or not exports.looks_like_formula(value)  # not refused where a value is refused


@pytest.mark.parametrize("value", LEGITIMATE)
def test_legitimate_values_stay_as_they_are(value):
    assert exports.safe_cell(value) == value


@pytest.mark.parametrize("value", [-5, -0.5, 3, dt.date(2026, 1, 2), True, None])
def test_cells_that_are_not_text_are_never_changed(value):
    assert exports.safe_cell(value) is value


def frame() -> pd.DataFrame:
    n = len(HOSTILE)
    return pd.DataFrame({
        "=見出し": HOSTILE,
        "区分": pd.Categorical(HOSTILE),
        "文字列": pd.array(HOSTILE, dtype="string"),
        "混在": [-3, "=1+1", 2.5, None, "-", "+81", "@x", dt.date(2026, 1, 2), "-鈴木", True, "ok", -4, "+"][:n],
        "数": list(range(-5, n - 5)),
        "制御文字": ["NUL\x00入り", "ベル\x07", *[""] * (n - 2)],
    }, index=pd.Index([f"=idx{i}" for i in range(n)]))


def test_safe_frame_is_the_one_function_for_any_download():
    out = exports.safe_frame(frame())
    assert not injectable(out.columns) and not injectable(out.index)
    for col in out.columns:
        assert not injectable(out[col].tolist()), col
    assert out["'=見出し"].iloc[0] == "'" + HOSTILE[0]
    assert out["数"].tolist() == list(range(-5, len(HOSTILE) - 5))  # numbers stay numbers
    assert out["混在"].iloc[0] == -3 and out["混在"].iloc[2] == 2.5  # numbers among text stay numbers
    assert out["混在"].iloc[4] == "'-" and out["混在"].iloc[5] == "'+81"  # text starting like a formula: quoted
    assert not [c for col in out.columns for c in out[col] if exports.needs_quote(c)]
    assert frame()["=見出し"].iloc[0] == HOSTILE[0]  # the original is not changed


def test_csv_and_excel_downloads_have_no_injectable_cell():
    assert not injectable(csv_cells(exports.to_csv_bytes(frame())))
    assert not [c for c in csv_cells(exports.to_csv_bytes(frame())) if exports.needs_quote(c) and c not in
                [str(n) for n in range(-5, 0)]]  # only the numeric column's own numbers start with "-"
    cells = xlsx_cells(exports.to_xlsx_bytes({"=一覧": frame(), "一覧": frame()}))
    assert not injectable(cells)
    assert "NUL入り" in cells and "ベル" in cells  # characters Excel cannot hold are dropped, not the download


def test_sheet_names_are_valid_and_unique():
    used: set[str] = set()
    names = [exports.sheet_name(n, used) for n in
             ["一覧", "一覧", "Room", "room", "a/b:c*d?e[f]", "'引用'", "", "History", "長" * 40, "長" * 40,
              "👩‍💼" * 20, "制御\x01文字"]]
    assert len({n.lower() for n in names}) == len(names)
    for n in names:
        assert n and len(n.encode("utf-16-le")) // 2 <= 31 and not set("[]:*?/\\") & set(n)
        assert not n.startswith("'") and not n.endswith("'") and not any(ord(c) < 32 for c in n)
    assert names[:4] == ["一覧", "一覧_2", "Room", "room_2"]
    wb = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx_bytes([(n, pd.DataFrame({"a": [1]})) for n in names])))
    assert wb.sheetnames == names


def _roster() -> Roster:
    rooms = [RosterRoom(id="r1", name="一覧", zoom_name="R1", position=1),
             RosterRoom(id="r2", name="ルーム", zoom_name="R2", position=2),
             RosterRoom(id="r3", name="ルーム", zoom_name="=R3", position=3),
             RosterRoom(id="r4", name="-", zoom_name="", position=4)]
    entries = [RosterEntry("r1", "=HYPERLINK(\"x\") 太郎", org="@社協", email="ok1@example.org"),
               RosterEntry("r2", "佐藤 花子", org="-", email="=cmd|'/Ccalc'!A0@example.org"),
               RosterEntry("r2", "鈴木 一郎", email="+1@example.org"),
               RosterEntry("r2", "高橋 三郎", email="-dash@example.org"),
               RosterEntry("r3", "伊藤 四郎", email="ok3@example.org"),
               RosterEntry("r4", "田中 五郎", email="ok4@example.org")]
    return Roster("=第9回", rooms, entries)


def test_every_downloadable_file_of_a_hostile_roster_is_clean():
    roster = _roster()
    zoom = assignment_exports.zoom_csv(roster)
    rows = list(csv.reader(io.StringIO(zoom.data.decode("utf-8"))))
    assert not injectable([c for r in rows for c in r])
    assert rows[1:] == [["R1", "ok1@example.org"], ["-", "ok4@example.org"]]  # "-" is a room name, kept as is
    cells = xlsx_cells(assignment_exports.roster_xlsx(roster))
    assert not injectable(cells)


def test_every_workbook_prints_on_a4_in_a_japanese_font(tmp_path):
    """Rosters, committee tables and the survey workbook all come from to_xlsx_bytes: a Japanese
    font, A4 fitted to the width, and the header row repeated on every printed page."""

    wide = pd.DataFrame([{f"列{i}": f"値{i}" for i in range(12)}] * 3)
    path = tmp_path / "x.xlsx"
    path.write_bytes(exports.to_xlsx_bytes({"一覧": pd.DataFrame({"氏名": ["山田 太郎"], "所属": ["りんく"]}), "表": wide}))
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth == 1 and ws.print_title_rows == "$1:$1"
        assert {c.font.name for row in ws.iter_rows() for c in row} == {"游ゴシック"}
        assert ws["A1"].font.bold
    assert wb["表"].page_setup.orientation == "landscape" and wb["一覧"].page_setup.orientation == "portrait"


def test_safe_frame_quotes_exactly_the_cells_safe_cell_quotes():
    """safe_frame works a column at a time (tables of thousands of rows by dozens of columns): each
    cell must come out as safe_cell would make it, columns without text untouched."""
    df = frame().assign(日付=[dt.date(2026, 1, 2)] * len(HOSTILE), 空=[None] * len(HOSTILE),
                        区分2=pd.Categorical(["○"] * len(HOSTILE)))
    out = exports.safe_frame(df)
    for i in range(df.shape[1]):
        assert out.iloc[:, i].tolist() == [exports.safe_cell(v) for v in df.iloc[:, i].astype(object)], df.columns[i]
    assert out["数"].dtype == df["数"].dtype
