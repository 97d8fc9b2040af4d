"""Tables people upload: CSV (UTF-8, UTF-8 with BOM, Shift_JIS/cp932, UTF-16) and Excel .xlsx.

Every cell becomes a string ("" for blanks), fully blank rows are skipped but row numbers stay the
ones the person sees in Excel or Google Sheets, so messages can say 「5行目」 and be right.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

import pandas as pd

from facilitation.files import uploads

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls


class TableError(ValueError):
    """A file we cannot read as a table; the message is Japanese and names the file."""


@dataclass
class Table:
    """A header row and string rows, with where they came from."""

    headers: list[str]
    rows: list[list[str]]
    source: str = ""
    encoding: str = ""
    row_numbers: list[int] = field(default_factory=list)  # sheet row of each entry of `rows`
    sheet: str = ""

    def row_number(self, i: int) -> int:
        """The 1-based row in the sheet (the header is row 1) of `rows[i]`."""
        if self.row_numbers:
            return self.row_numbers[i]
        return i + 2

    def to_frame(self) -> pd.DataFrame:
        """The rows as a DataFrame of strings, one column per header."""
        return pd.DataFrame(self.rows, columns=self.headers, dtype=object)

    def records(self) -> list[dict[str, str]]:
        """Each row as {header: value}."""
        return [dict(zip(self.headers, row, strict=False)) for row in self.rows]

    def __len__(self) -> int:
        return len(self.rows)


def cell_text(value: object) -> str:
    """One cell as text: None → "", 3.0 → "3", datetimes as Google Sheets shows them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value:
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y/%m/%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y/%m/%d")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    return str(value)


def from_values(values: list[list[object]], source: str = "", encoding: str = "", sheet: str = "",
                first_row: int = 1) -> Table:
    """A Table from a grid (list of rows, first non-blank row = headers); may have no data rows.

    `first_row` is the sheet row number of values[0]. Raises TableError when there is no header row.
    """
    grid = [[v if type(v) is str else cell_text(v) for v in row] for row in values]
    start = next((i for i, row in enumerate(grid) if any(c.strip() for c in row)), None)
    if start is None:
        raise TableError(f"「{source}」は空です（見出し行もデータもありません）。")
    raw_headers = grid[start]
    body = [(first_row + i, row) for i, row in enumerate(grid) if i > start]
    width = max([len(raw_headers), *(len(r) for _, r in body)])
    # Trailing columns with neither a header nor any value are layout, not data.
    while width > 0 and not (
        (width <= len(raw_headers) and raw_headers[width - 1].strip())
        or any(width <= len(r) and r[width - 1].strip() for _, r in body)
    ):
        width -= 1
    headers = unique_headers([(raw_headers[i] if i < len(raw_headers) else "") for i in range(width)])
    rows, numbers = [], []
    for number, row in body:
        cells = [(row[i] if i < len(row) else "") for i in range(width)]
        if not any(c.strip() for c in cells):
            continue
        rows.append(cells)
        numbers.append(number)
    return Table(headers=headers, rows=rows, source=source, encoding=encoding, row_numbers=numbers,
                 sheet=sheet)


def unique_headers(raw: list[str]) -> list[str]:
    """Trimmed headers; blanks become 「列3」, repeats get 「_2」, 「_3」… so every column keeps its values."""
    out: list[str] = []
    seen: set[str] = set()
    for i, h in enumerate(raw, start=1):
        name = h.replace("\ufeff", "").replace("\n", " ").strip() or f"列{i}"
        candidate, n = name, 2
        while candidate in seen:
            candidate, n = f"{name}_{n}", n + 1
        seen.add(candidate)
        out.append(candidate)
    return out


def _decode(data: bytes, source: str) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise TableError(f"「{source}」の文字コードを読み取れませんでした（UTF-8 の途中に壊れた文字があります）。") from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise TableError(f"「{source}」の文字コード（UTF-16）を読み取れませんでした。") from exc
    if b"\x00" in data[:4096]:
        raise TableError(f"「{source}」は表のファイル（CSV または Excel の .xlsx）ではないようです。")
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise TableError(
        f"「{source}」の文字コードを判別できませんでした。Excel で「CSV UTF-8（コンマ区切り）」として保存し直してください。"
    )


def _read_text(data: bytes, source: str) -> Table:
    text, encoding = _decode(data, source)
    if not text.strip():
        raise TableError(f"「{source}」は空です。")
    first = text.lstrip().split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    try:
        values = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise TableError(f"「{source}」を CSV として読めませんでした（{exc}）。") from exc
    return from_values(values, source=source, encoding=encoding)


def _read_xlsx(data: bytes, source: str, sheet: str | None) -> Table:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(f"「{source}」を Excel ファイルとして開けませんでした。ファイルが壊れていないか確認してください。") from exc
    try:
        names = book.sheetnames
        if sheet is not None and sheet not in names:
            raise TableError(f"「{source}」にシート「{sheet}」がありません（あるシート: {'、'.join(names)}）。")
        candidates = [sheet] if sheet else names
        for name in candidates:
            values = [list(r) for r in book[name].iter_rows(values_only=True)]
            if any(any(v not in (None, "") for v in r) for r in values):
                return from_values(values, source=source, encoding="xlsx", sheet=name)
        raise TableError(f"「{source}」は空です（どのシートにもデータがありません）。")
    finally:
        book.close()


def read_table(data: bytes, filename: str, sheet: str | None = None) -> Table:
    """Read an uploaded CSV / TSV / .xlsx into a Table; TableError with a Japanese message otherwise.

    Encodings are detected without asking (UTF-8 with or without BOM, cp932, UTF-16). A file with
    only a header row is an error here: an upload is expected to carry data.
    """
    source = PurePath(filename or "").name or "ファイル"
    if not data:
        raise TableError(f"「{source}」は空です（0バイト）。")
    try:
        uploads.check_size(len(data), source)
    except uploads.UploadTooLarge as exc:
        raise TableError(str(exc)) from None
    suffix = PurePath(source).suffix.lower()
    if data.startswith(OLE_MAGIC) or suffix == ".xls":
        raise TableError(
            f"「{source}」は古い形式の Excel（.xls）です。Excel で開き「名前を付けて保存」から .xlsx か CSV で保存し直してください。"
        )
    if data.startswith(XLSX_MAGIC):
        table = _read_xlsx(data, source, sheet)
    elif suffix in (".xlsx", ".xlsm"):
        raise TableError(f"「{source}」を Excel ファイルとして開けませんでした。ファイルが壊れていないか確認してください。")
    else:
        table = _read_text(data, source)
    if not table.rows:
        raise TableError(f"「{source}」には見出し行しかありません（データの行がありません）。")
    return table
