"""Tables people upload: CSV (UTF-8, UTF-8 with BOM, Shift_JIS/cp932, UTF-16) and Excel .xlsx.

Every cell becomes a string ("" for blanks), fully blank rows are skipped but row numbers stay the
ones the person sees in Excel or Google Sheets, so messages can say 「5行目」 and be right.

Hostile files are bounded before they are read: an .xlsx is refused when its parts would expand
beyond MAX_UNCOMPRESSED_BYTES (a 390 KB file can hold a 400 MB cell), or when a non-blank cell lies
beyond MAX_ROWS / MAX_COLUMNS (one cell at XFD1048576 makes a 5 KB file claim 17 billion cells);
any table over MAX_CELLS (non-blank rows × columns) is refused too. A cell longer than
MAX_CELL_CHARS (50,000 characters, Google Sheets' own limit per cell; Excel's is 32,767) is cut
there with a visible marker and a Japanese note naming the file, row and column: the row itself is
still read, so the import keeps it (imported, or kept aside when the field has a length limit).
Control characters and invisible format characters are removed from every cell
(normalize.visible). A title line above the header row is recognised and skipped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import statistics
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

import pandas as pd

from facilitation.errors import UserError
from facilitation.files import uploads
from facilitation.files.encoding import UTF8_BOM, UTF16_BOMS, decode_bytes
from facilitation.text.normalize import visible

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls

MAX_ROWS = 100_000  # rows of a sheet (the row number of its last non-blank cell) or data rows of a CSV
MAX_COLUMNS = 16_384  # Excel's own last column (XFD); memory is bounded by MAX_CELLS, not by width
MAX_CELLS = 3_000_000  # non-blank rows × columns kept in memory (a wide form of a few rows is fine)
MAX_CELL_CHARS = 50_000  # longer cells are cut here (see the module docstring)
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024  # all parts of an .xlsx, expanded
MAX_ZIP_MEMBERS = 10_000
HEADER_SEARCH_ROWS = 30  # how far down a header row is looked for
_FORM_TAB = re.compile(r"^(フォームの回答|Form [Rr]esponses)\s*\d*$")

# A cell of up to the upload limit must reach our own length check instead of the csv module's
# English "field larger than field limit" (131,072 by default) refusing the whole file. Raised
# once and never lowered, so readers in other threads are unaffected.
if csv.field_size_limit() < uploads.MAX_UPLOAD_BYTES:
    csv.field_size_limit(uploads.MAX_UPLOAD_BYTES)


class TableError(UserError):
    """A file we cannot read as a table; the message is Japanese and names the file."""


@dataclass
class Table:
    """A header row and string rows, with where they came from."""

    headers: list[str]
    rows: list[list[str]]
    source: str = ""
    encoding: str = ""
    row_numbers: list[int] = field(default_factory=list)  # sheet row of each entry of `rows`
    sheet: str = ""  # the sheet that was read (.xlsx, Google Sheets)
    sheets: list[str] = field(default_factory=list)  # the workbook's visible sheets, to choose from
    notes: list[str] = field(default_factory=list)  # Japanese: which sheet was read, cut cells, skipped title
    delimiter: str = ""  # a CSV's delimiter (",", "\t", ";", "|"); "" for a sheet

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
    """A Table from a grid (list of rows; the header row is found near the top); may have no data rows.

    `first_row` is the sheet row number of values[0]. Raises TableError when there is no header row
    or the grid is larger than the limits.
    """
    return _from_numbered(list(enumerate(values, start=first_row)), source=source, encoding=encoding,
                          sheet=sheet)


def _cells(row: list[object]) -> tuple[list[str], int]:
    """A row as visible text, and the 1-based position of its last non-blank cell (0: blank row)."""
    cells = [visible(v) if type(v) is str else visible(cell_text(v)) for v in row]
    last = len(cells)
    while last and not cells[last - 1].strip():
        last -= 1
    return cells, last


def _header_index(grid: list[tuple[int, list[str], int]]) -> int:
    """Which of the first non-blank rows is the header: the first that fills at least two cells and
    at least half as many as the rows after it usually do (a title line 「第9回 申込一覧」 fills one,
    「出力日, 2026/11/20」 two, against a form's dozen). The median keeps one very wide row from
    moving the header down."""
    counts = [sum(1 for c in cells if c.strip()) for _, cells, _ in grid[:HEADER_SEARCH_ROWS + 5]]
    for i, n in enumerate(counts[:HEADER_SEARCH_ROWS]):
        after = counts[i + 1:i + 6]
        if n >= 2 and (not after or 2 * n >= statistics.median_low(after)):
            return i
    return 0


def _cut(text: str) -> str:
    return text[:MAX_CELL_CHARS] + f"…［以下 {len(text) - MAX_CELL_CHARS:,} 文字は長すぎるため読み込んでいません］"


def _from_numbered(numbered: list[tuple[int, list[object]]], source: str = "", encoding: str = "",
                   sheet: str = "") -> Table:
    grid = []  # (sheet row, cells, last non-blank position) of every non-blank row
    for number, row in numbered:
        cells, last = _cells(row)
        if last:
            grid.append((number, cells, last))
    if not grid:
        raise TableError(f"「{source}」は空です（見出し行もデータもありません）。")
    where = f"「{source}」" + (f"のシート「{sheet}」" if sheet and encoding == "xlsx" else "")
    if len(grid) - 1 > MAX_ROWS:
        raise TableError(f"{where}は{len(grid) - 1:,}行あり、読み取れる上限（{MAX_ROWS:,}行）を超えています。"
                         "期間を分けるなどして、ファイルを分けて取り込んでください。")
    notes: list[str] = []
    start = _header_index(grid)
    if start:
        notes.append(f"{where}の{grid[start][0]}行目を見出し行として読みました（それより上の"
                     f"{'、'.join(f'{n}行目' for n, _, _ in grid[:start])}は表の題名などとして読み飛ばしました）。")
    header_number, raw_headers, _ = grid[start]
    body = grid[start + 1:]
    width = max(last for _, _, last in grid[start:])
    if width > MAX_COLUMNS or width * len(body) > MAX_CELLS:
        raise TableError(f"{where}は{width:,}列×{len(body):,}行あり、読み取れる大きさ（{MAX_COLUMNS:,}列・"
                         f"合計{MAX_CELLS:,}セル）を超えています。不要な列や行を削除して保存し直してください。")
    headers = unique_headers([(_cut(h) if len(h) > MAX_CELL_CHARS else h)
                              for h in (raw_headers[i] if i < len(raw_headers) else "" for i in range(width))])
    rows, numbers = [], []
    for number, row, _ in body:
        cells = [(row[i] if i < len(row) else "") for i in range(width)]
        for i, c in enumerate(cells):
            if len(c) > MAX_CELL_CHARS:
                cells[i] = _cut(c)
                notes.append(f"{where}の{number}行目「{headers[i]}」は{len(c):,}文字あり、上限の"
                             f"{MAX_CELL_CHARS:,}文字を超えるため、先頭の{MAX_CELL_CHARS:,}文字だけを読みました。")
        rows.append(cells)
        numbers.append(number)
    return Table(headers=headers, rows=rows, source=source, encoding=encoding, row_numbers=numbers,
                 sheet=sheet, notes=notes)


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


def _looks_binary(sample: bytes) -> bool:
    """Control bytes other than tab, newline, CR, form feed and ESC in more than 1% of the first
    4 KB (random or binary data has about 9%); a stray NUL in a text file is not enough."""
    n = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return n > max(4, len(sample) // 100)


def _decode(data: bytes, source: str) -> tuple[str, str]:
    if not data.startswith((UTF8_BOM, *UTF16_BOMS)) and _looks_binary(data[:4096]):
        raise TableError(f"「{source}」は表のファイル（CSV または Excel の .xlsx）ではないようです。")
    decoded = decode_bytes(data)
    if decoded is not None:
        return decoded
    if data.startswith(UTF8_BOM):
        raise TableError(f"「{source}」の文字コードを読み取れませんでした（UTF-8 の途中に壊れた文字があります）。")
    if data.startswith(UTF16_BOMS):
        raise TableError(f"「{source}」の文字コード（UTF-16）を読み取れませんでした。")
    raise TableError(
        f"「{source}」の文字コードを判別できませんでした。Excel で「CSV UTF-8（コンマ区切り）」として保存し直してください。"
    )


DELIMITERS = (",", "\t", ";", "|")  # comma first: it wins a tie
_SEP_LINE = re.compile(r"^\ufeff?sep=(.)\r?\n", re.I)  # Excel's own hint on the first line: 「sep=;」


def _delimiter(text: str) -> tuple[str, str]:
    """The delimiter of a CSV text (comma, TAB, semicolon — what Excel writes in locales whose decimal
    mark is a comma — or a vertical bar), and the text without an Excel 「sep=」 line.

    Each candidate splits the first lines (quotes respected); the one under which most lines have
    the same number of cells, at least two, wins, then the one giving more cells, then comma.
    A title line above the header only lowers every candidate alike.
    """
    m = _SEP_LINE.match(text)
    if m and m.group(1) in DELIMITERS:
        return m.group(1), text[m.end():]
    top = text.lstrip()[:20_000]
    lines = top.splitlines(keepends=True)
    if len(lines) > 1 and len(top) == 20_000:
        lines.pop()  # the last line may be cut off in the middle
    best, best_key = ",", (0.0, 0, 0)
    for rank, d in enumerate(DELIMITERS):
        if d not in top:
            continue
        try:
            widths = [len(r) for r in csv.reader(io.StringIO("".join(lines[:60])), delimiter=d) if any(c.strip() for c in r)]
        except csv.Error:
            continue
        several = [w for w in widths if w >= 2]
        if not several:
            continue
        mode = statistics.mode(several)
        share = widths.count(mode) / len(widths)
        k = (round(share, 1), mode, -rank)
        if k > best_key:
            best, best_key = d, k
    return best, text


def _read_text(data: bytes, source: str) -> Table:
    text, encoding = _decode(data, source)
    if not visible(text).strip():
        raise TableError(f"「{source}」は空です。")
    delimiter, text = _delimiter(text)
    numbered: list[tuple[int, list[object]]] = []  # blank rows are not kept: a file of newlines stays small
    reader = csv.reader(io.StringIO(text.replace("\x00", ""), newline=""), delimiter=delimiter)
    try:
        for number, row in enumerate(reader, start=1):
            if any(c.strip() for c in row):
                numbered.append((number, row))
                if len(numbered) > MAX_ROWS + HEADER_SEARCH_ROWS:
                    raise TableError(f"「{source}」は{MAX_ROWS:,}行を超えています。期間を分けるなどして、"
                                     "ファイルを分けて取り込んでください。")
    except csv.Error as exc:
        raise TableError(f"「{source}」を CSV として読めませんでした（{reader.line_num}行目付近の区切りや引用符 \" "
                         "の形が崩れています）。") from exc
    table = _from_numbered(numbered, source=source, encoding=encoding)
    table.delimiter = delimiter
    return table


_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(m: re.Match) -> str:
    return chr(int(m.group(1), 16))


def _check_zip(data: bytes, source: str) -> None:
    """Refuse an .xlsx whose parts would expand beyond the limit, before any of it is expanded.

    zipfile stops every member at its declared size (and checks its CRC), so the declared sizes
    are a true bound on what openpyxl can be made to hold.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise TableError(f"「{source}」を Excel ファイルとして開けませんでした。ファイルが壊れていないか確認してください。") from exc
    total = sum(i.file_size for i in infos)
    if len(infos) > MAX_ZIP_MEMBERS or total > MAX_UNCOMPRESSED_BYTES:
        raise TableError(f"「{source}」は展開すると {total / 1024 / 1024:,.0f}MB になり、読み取れる上限"
                         f"（{MAX_UNCOMPRESSED_BYTES // 1024 // 1024}MB）を超えています。必要なシート・列・行だけを"
                         "残して保存し直すか、CSV で保存してください。")


def _sheet_rows(book, ws, source: str) -> list[tuple[int, list[object]]]:
    """The non-blank rows of a read-only sheet as (row number, values up to the last non-blank cell).

    The sheet's own dimension is not trusted: cells are read one by one (openpyxl's parser, as its
    read-only sheet does), so a single cell far away costs one cell, not a grid of blanks.
    """
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet._reader import WorkSheetParser

    out: list[tuple[int, list[object]]] = []
    width = 0
    with ws._get_source() as src:
        parser = WorkSheetParser(src, ws._shared_strings, data_only=True, epoch=book.epoch,
                                 date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
        for number, cells in parser.parse():
            values = [(c["column"], c["value"]) for c in cells if c["value"] is not None and c["value"] != ""]
            if not values:
                continue
            last = max(col for col, _ in values)
            if number > MAX_ROWS or last > MAX_COLUMNS:
                far = max(values)[0] if last > MAX_COLUMNS else values[0][0]
                raise TableError(
                    f"「{source}」のシート「{ws.title}」はセル {get_column_letter(min(far, 16384))}{number} まで使われていて、"
                    f"読み取れる大きさ（{MAX_ROWS:,}行・{MAX_COLUMNS:,}列）を超えています。不要な行や列を削除して"
                    "保存し直すか、CSV で保存してください。")
            row: list[object] = [None] * last
            for col, value in values:
                # Excel writes characters XML cannot hold as _xHHHH_ (control characters among them).
                row[col - 1] = _EXCEL_ESCAPE.sub(_unescape, value) if type(value) is str and "_x" in value else value
            out.append((number, row))
            width = max(width, last)
            if width * len(out) > MAX_CELLS:
                raise TableError(f"「{source}」のシート「{ws.title}」は読み取れる大きさ（合計{MAX_CELLS:,}セル）を"
                                 "超えています。不要な列や行を削除して保存し直してください。")
    return out


def _candidates(book, sheet: str | None, source: str) -> tuple[list, list[str]]:
    """The sheets to try in order, and the visible sheet names."""
    sheets = list(book.worksheets)  # chart sheets are not tables
    visible_names = [ws.title for ws in sheets if ws.sheet_state == "visible"]
    if sheet is not None:
        chosen = [ws for ws in sheets if ws.title == sheet]
        if not chosen:
            raise TableError(f"「{source}」にシート「{sheet}」がありません（あるシート: {'、'.join(visible_names)}）。")
        return chosen, visible_names
    shown = [ws for ws in sheets if ws.sheet_state == "visible"]
    forms = [ws for ws in shown if _FORM_TAB.match(ws.title.strip())]
    active = book.active
    first = [active] if active in shown else []
    order = []
    for ws in [*forms, *first, *shown]:
        if ws not in order:
            order.append(ws)
    return order, visible_names


def _read_xlsx(data: bytes, source: str, sheet: str | None) -> Table:
    import openpyxl

    _check_zip(data, source)
    broken = f"「{source}」を Excel ファイルとして開けませんでした。ファイルが壊れていないか確認してください。"
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken parts (KeyError, IndexError, XML errors…)
        raise TableError(broken) from exc
    try:
        candidates, visible_names = _candidates(book, sheet, source)
        hidden = [ws.title for ws in book.worksheets if ws.title not in visible_names]
        for ws in candidates:
            try:
                numbered = _sheet_rows(book, ws, source)
            except TableError:
                raise
            except Exception as exc:
                raise TableError(f"「{source}」のシート「{ws.title}」を読み取れませんでした。ファイルが壊れていないか"
                                 "確認してください。") from exc
            if not numbered:
                continue
            table = _from_numbered(numbered, source=source, encoding="xlsx", sheet=ws.title)
            table.sheets = visible_names
            others = [n for n in visible_names if n != ws.title]
            if others or hidden or ws.sheet_state != "visible":
                note = f"「{source}」のシート「{ws.title}」を読みました"
                if ws.sheet_state != "visible":
                    note += "（非表示のシートです）"
                if others:
                    note += f"。ほかのシート（{'、'.join(others)}）を取り込む場合は、シートを選び直してください"
                if hidden and ws.title not in hidden:
                    note += f"。非表示のシート（{'、'.join(hidden)}）は読んでいません"
                table.notes.insert(0, note + "。")
            return table
        if sheet is not None:
            raise TableError(f"「{source}」のシート「{sheet}」は空です。")
        raise TableError(f"「{source}」は空です（表示されているシートにデータがありません）。")
    finally:
        book.close()


def read_table(data: bytes, filename: str, sheet: str | None = None) -> Table:
    """Read an uploaded CSV / TSV / .xlsx into a Table; TableError with a Japanese message otherwise.

    Encodings are detected without asking (UTF-8 with or without BOM, cp932, UTF-16). A file with
    only a header row is an error here: an upload is expected to carry data. For an .xlsx, `sheet`
    names the sheet to read; without it the first visible 「フォームの回答 N」 tab, else the active
    sheet, else the first visible sheet with data is read (hidden sheets only when named), and the
    table's `sheet`, `sheets` (the visible ones, for a choice) and `notes` say which.
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
