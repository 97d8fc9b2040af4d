"""Files people download: CSV and Excel that cannot inject formulas into Excel.

Every export in the package goes through these functions, so the neutralising rule lives here once.
"""

from __future__ import annotations

import io
import re

import pandas as pd

_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def safe_cell(value: object) -> object:
    """Text starting with = + - @ TAB or CR gets a leading apostrophe; plain numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_DANGEROUS_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell (and column name) neutralised."""
    out = df.copy()
    out.columns = [safe_cell(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe_cell)
    return out


def to_csv_bytes(df: pd.DataFrame, *, bom: bool = True) -> bytes:
    """UTF-8 CSV (with BOM by default so Japanese Excel opens it correctly)."""
    text = safe_frame(df).to_csv(index=False, lineterminator="\r\n")
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


def sheet_name(name: str, used: set[str] | None = None) -> str:
    """A valid, unique Excel sheet name (31 characters, no []:*?/\\)."""
    base = re.sub(r"[\[\]:*?/\\]", "_", str(name)).strip("'") or "Sheet"
    base = base[:31]
    used = used if used is not None else set()
    candidate, n = base, 2
    while candidate in used:
        suffix = f"_{n}"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate)
    return candidate


def to_xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An .xlsx workbook with one sheet per entry, text cells neutralised, columns sized to fit."""
    buf = io.BytesIO()
    used: set[str] = set()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, df in sheets.items():
            title = sheet_name(name, used)
            safe_frame(df).to_excel(writer, sheet_name=title, index=False)
            ws = writer.sheets[title]
            for i, col in enumerate(df.columns, start=1):
                values = [str(col), *(str(v) for v in df[col].head(200))]
                width = min(60, max(8, max(len(v) for v in values) * 2))
                ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width
            ws.freeze_panes = "A2"
    return buf.getvalue()
