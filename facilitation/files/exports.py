"""Files people download: CSV and Excel that cannot inject formulas into Excel.

Every export in the package goes through these functions, so the neutralising rule lives here once.
The rule is OWASP's (CSV injection): every *text* cell that starts with = + - @, a tab or a CR, or
their full-width forms ＝ ＋ － ＠, gets a leading apostrophe, whatever follows: "-5", "-", "+81 90…"
and "-2+3" alike (a spreadsheet runs "-2+3" and "-1+cmd|…" as formulas, and telling those from
harmless text is exactly what attackers aim at). Cells that are not text are never changed: a
number in a numeric column (or a number among text) stays a number in Excel, and so do dates and
booleans. `safe_frame` is the one function for any table offered for download, Streamlit's table
toolbar included. Text Excel cannot store (control characters) is removed from .xlsx cells
instead of failing the download. `looks_like_formula` is the narrower question "would a
spreadsheet run this?", for checks that refuse a value (the Zoom CSV) rather than quote it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

import pandas as pd
from openpyxl.styles import Font

_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?%?$")
_HARMLESS = {"-", "+", "－", "＋", "--", "---"}
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")
_RESERVED_SHEETS = {"history"}  # Excel keeps 「History」 for itself


def needs_quote(value: object) -> bool:
    """True for text that starts like a formula (OWASP's list: = + - @ tab CR, and ＝ ＋ － ＠)."""
    return isinstance(value, str) and value.startswith(_DANGEROUS_START)


def looks_like_formula(value: object) -> bool:
    """True for text that a spreadsheet would run as a formula when the file is opened (not a plain
    number such as "-3" or a lone "-"): for checks that refuse a value instead of quoting it."""
    return (needs_quote(value) and value.strip() not in _HARMLESS
            and not (_NUMBER.match(value) and any(c.isdigit() for c in value)))


def safe_cell(value: object) -> object:
    """Text that starts like a formula gets a leading apostrophe; anything not text stays as it is."""
    return "'" + value if needs_quote(value) else value


def _safe_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return index.set_levels([_safe_index(level) for level in index.levels])
    if index.dtype == object or pd.api.types.is_string_dtype(index) or isinstance(index.dtype, pd.CategoricalDtype):
        return pd.Index([safe_cell(v) for v in index], name=safe_cell(index.name), dtype=object)
    return index


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy for download: every text cell, column name and index label neutralised.

    Text, string and categorical columns are checked cell by cell (object columns may mix text
    with numbers, which stay numbers); numeric, date and boolean columns cannot hold formulas.
    Use it for every table a person can download, including st.dataframe's toolbar download:
    `st.dataframe(safe_frame(df))`.
    """
    out = df.copy()
    out.columns = [safe_cell(str(c)) if not isinstance(c, tuple) else tuple(safe_cell(str(x)) for x in c)
                   for c in out.columns]
    out.index = _safe_index(out.index)
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype(object)
        if col.dtype == object or pd.api.types.is_string_dtype(col):
            quoted = _quoted(col)
            if quoted is not None or col.dtype == object:  # object: typed as Series.map would (text → str)
                out.isetitem(i, (col if quoted is None else quoted).infer_objects())
    return out


def _quoted(col: pd.Series) -> pd.Series | None:
    """`col` with safe_cell applied to every cell, or None when no cell needs it. Whole columns at
    once: `safe_frame` runs on every table shown, thousands of rows by dozens of columns."""
    try:
        mask = col.str.startswith(_DANGEROUS_START, na=False).to_numpy(dtype=bool)
    except AttributeError:  # an object column holding no text at all (numbers, dates): nothing to quote
        return None
    if not mask.any():
        return None
    out = col.astype(object)
    out[mask] = ["'" + v for v in out[mask]]
    return out if col.dtype == object else out.astype(col.dtype)


def to_csv_bytes(df: pd.DataFrame, *, bom: bool = True) -> bytes:
    """UTF-8 CSV (with BOM by default so Japanese Excel opens it correctly)."""
    text = safe_frame(df).to_csv(index=False, lineterminator="\r\n")
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def sheet_name(name: str, used: set[str] | None = None) -> str:
    """A valid Excel sheet name, unique in `used` (which it extends).

    Excel allows 31 characters (UTF-16 units), none of []:*?/\\ and no control characters, no
    apostrophe at either end, not 「History」, and compares names without regard to case.
    """
    base = _SHEET_BAD.sub("_", str(name)).strip().strip("'").strip() or "Sheet"
    if base.lower() in _RESERVED_SHEETS:
        base += "_"
    while _utf16_len(base) > 31:
        base = base[:-1]
    used = used if used is not None else set()
    taken = {u.lower() for u in used}
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f"_{n}"
        stem = base
        while _utf16_len(stem + suffix) > 31:
            stem = stem[:-1]
        candidate, n = stem + suffix, n + 1
    used.add(candidate)
    return candidate


def _xlsx_cell(value: object) -> object:
    value = safe_cell(value)
    if isinstance(value, str) and _XLSX_ILLEGAL.search(value):
        return _XLSX_ILLEGAL.sub("", value)
    return value


FONT = "游ゴシック"  # a Japanese font (Windows 8.1+ and macOS; Excel substitutes one elsewhere)
_BODY_FONT, _HEADER_FONT = Font(name=FONT, size=10.5), Font(name=FONT, size=10.5, bold=True)  # shared: cheap


def to_xlsx_bytes(sheets: dict[str, pd.DataFrame] | Iterable[tuple[str, pd.DataFrame]]) -> bytes:
    """An .xlsx workbook with one sheet per entry, text cells neutralised, columns sized to fit.

    `sheets` is {name: frame} or (name, frame) pairs; names are made valid and unique (a room called
    「一覧」 next to the overview 「一覧」 becomes 「一覧_2」, it does not replace it). Every sheet is in a
    Japanese font and prints on A4 fitted to the width with its header row on every page.
    """
    pairs = list(sheets.items()) if isinstance(sheets, dict) else list(sheets)
    buf = io.BytesIO()
    used: set[str] = set()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, df in pairs:
            title = sheet_name(name, used)
            safe = safe_frame(df)
            safe.columns = [_xlsx_cell(c) for c in safe.columns]
            for i in range(safe.shape[1]):
                col = safe.iloc[:, i]
                if col.dtype == object or pd.api.types.is_string_dtype(col):
                    safe.isetitem(i, col.astype(object).map(_xlsx_cell))
            safe.to_excel(writer, sheet_name=title, index=False)
            ws = writer.sheets[title]
            for i, col in enumerate(df.columns, start=1):
                values = [str(col), *(str(v) for v in df[col].head(200))]
                width = min(60, max(8, max(len(v) for v in values) * 2))
                ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width
            ws.freeze_panes = "A2"
            for row in ws.iter_rows():
                for cell in row:
                    cell.font = _HEADER_FONT if cell.row == 1 else _BODY_FONT
            a4_page(ws, "1:1", landscape=df.shape[1] > 8)
    return buf.getvalue()


def a4_page(ws, title_rows: str, *, landscape: bool = False) -> None:
    """Print set-up for Japanese offices: A4 fitted to the page width, the header rows repeated on
    every page, centred, page numbers in the footer."""
    ws.print_title_rows = title_rows
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "&P / &N"
