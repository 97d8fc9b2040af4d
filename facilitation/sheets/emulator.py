"""A local stand-in for the Google Sheets v4 API, for tests and for trying the sync screen by hand.

It speaks enough of the API for gspread: spreadsheet metadata, values get / batchGet / update /
clear, and batchUpdate addSheet, with Google-shaped error bodies. It counts requests and can be
told to fail (429 then success, 403, 404, 500, a malformed body). Standard library only.

    python -m facilitation sheets-emulator --port 8765
    FACILITATION_SHEETS_ENDPOINT=http://127.0.0.1:8765 streamlit run streamlit_app.py
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

STATUS_TEXT = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
               429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
MESSAGES = {403: "The caller does not have permission", 404: "Requested entity was not found.",
            429: "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user'",
            500: "Internal error encountered.", 503: "The service is currently unavailable."}


def col_letter(n: int) -> str:
    """1 → A, 27 → AA."""
    s = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


_CELL = re.compile(r"^([A-Za-z]*)(\d*)$")


def split_range(text: str) -> tuple[str, str]:
    """「'フォームの回答 1'!A1:P」 → (「フォームの回答 1」, 「A1:P」)."""
    text = text.strip()
    if text.startswith("'"):
        i, title = 1, ""
        while i < len(text):
            if text[i] == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    title += "'"
                    i += 2
                    continue
                break
            title += text[i]
            i += 1
        rest = text[i + 1:]
        return title, rest[1:] if rest.startswith("!") else rest
    if "!" in text:
        title, a1 = text.rsplit("!", 1)
        return title, a1
    return text, ""


def _bounds(a1: str) -> tuple[int, int, int | None, int | None]:
    """(first row, first col, last row, last col), 0-based, None = open."""
    if not a1:
        return 0, 0, None, None
    start, _, end = a1.partition(":")
    m1, m2 = _CELL.match(start), _CELL.match(end) if end else None
    if not m1:
        raise ValueError(a1)
    r0 = int(m1.group(2)) - 1 if m1.group(2) else 0
    c0 = _col_number(m1.group(1)) - 1 if m1.group(1) else 0
    if not end:
        return r0, c0, r0, c0
    if not m2:
        raise ValueError(a1)
    r1 = int(m2.group(2)) - 1 if m2.group(2) else None
    c1 = _col_number(m2.group(1)) - 1 if m2.group(1) else None
    return r0, c0, r1, c1


@dataclass
class Fault:
    """The next `times` matching requests get this answer instead of the real one."""

    status: int
    body: str | None = None  # None: a Google-shaped error body for `status`
    path_contains: str = ""
    times: int = 1


@dataclass
class _Book:
    title: str
    tabs: dict[str, list[list[str]]] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)


class SheetsEmulator:
    """The server and its state; use as a context manager or call start() / stop()."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.books: dict[str, _Book] = {}
        self.forbidden: set[str] = set()
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def request_count(self) -> int:
        return len(self.requests)

    def reset_counts(self) -> None:
        with self.lock:
            self.requests.clear()

    def add_spreadsheet(self, key: str, tabs: dict[str, list[list[object]]], title: str = "") -> None:
        with self.lock:
            book = _Book(title=title or key)
            for name, values in tabs.items():
                book.tabs[name] = [["" if v is None else str(v) for v in row] for row in values]
                book.ids[name] = len(book.ids) * 1000 + 1 if book.ids else 0
            self.books[key] = book

    def values(self, key: str, tab: str) -> list[list[str]]:
        return self.books[key].tabs[tab]

    def fail(self, status: int, body: str | None = None, path_contains: str = "", times: int = 1) -> None:
        with self.lock:
            self.faults.append(Fault(status, body, path_contains, times))

    def start(self) -> SheetsEmulator:
        self._thread = threading.Thread(target=self.server.serve_forever, name="sheets-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> SheetsEmulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- the API ---
    def handle(self, method: str, raw_path: str, body: bytes) -> tuple[int, str]:
        parts = urlsplit(raw_path)
        with self.lock:
            self.requests.append((method, raw_path))
            for fault in self.faults:
                if fault.path_contains in unquote(parts.path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault.status, fault.body if fault.body is not None else _error(fault.status)
        prefix = "/v4/spreadsheets/"
        if not parts.path.startswith(prefix):
            return 404, _error(404)
        rest = parts.path[len(prefix):]
        query = parse_qs(parts.query)
        try:
            payload = json.loads(body) if body else {}
        except json.JSONDecodeError:
            return 400, _error(400, "Invalid JSON payload received.")
        key, _, tail = rest.partition("/")
        key, _, action = key.partition(":")
        key = unquote(key)
        with self.lock:
            if key in self.forbidden:
                return 403, _error(403)
            book = self.books.get(key)
            if book is None:
                return 404, _error(404)
            try:
                if method == "GET" and not tail and not action:
                    return 200, json.dumps(self._metadata(key, book))
                if method == "POST" and action == "batchUpdate":
                    return 200, json.dumps(self._batch_update(key, book, payload))
                if method == "GET" and tail == "values:batchGet":
                    ranges = query.get("ranges", [])
                    return 200, json.dumps({"spreadsheetId": key,
                                            "valueRanges": [self._read(book, r) for r in ranges]})
                if tail.startswith("values/"):
                    target = tail[len("values/"):]
                    if method == "POST" and target.endswith(":clear"):
                        rng = unquote(target[: -len(":clear")])
                        return 200, json.dumps(self._clear(key, book, rng))
                    rng = unquote(target)
                    if method == "GET":
                        return 200, json.dumps(self._read(book, rng))
                    if method == "PUT":
                        return 200, json.dumps(self._write(key, book, rng, payload.get("values", [])))
            except _BadRange as exc:
                return 400, _error(400, f"Unable to parse range: {exc}")
        return 400, _error(400, f"Unsupported request: {method} {parts.path}")

    def _metadata(self, key: str, book: _Book) -> dict:
        sheets = []
        for i, (name, values) in enumerate(book.tabs.items()):
            sheets.append({"properties": {
                "sheetId": book.ids[name], "title": name, "index": i, "sheetType": "GRID",
                "gridProperties": {"rowCount": max(1000, len(values)),
                                   "columnCount": max(26, max((len(r) for r in values), default=0))}}})
        return {"spreadsheetId": key, "properties": {"title": book.title, "locale": "ja_JP",
                                                     "timeZone": "Asia/Tokyo"},
                "sheets": sheets, "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{key}/edit"}

    def _tab(self, book: _Book, rng: str) -> tuple[str, str]:
        title, a1 = split_range(rng)
        if title not in book.tabs:
            raise _BadRange(rng)
        try:
            _bounds(a1)
        except ValueError as exc:
            raise _BadRange(rng) from exc
        return title, a1

    def _read(self, book: _Book, rng: str) -> dict:
        title, a1 = self._tab(book, rng)
        r0, c0, r1, c1 = _bounds(a1)
        rows = book.tabs[title][r0: None if r1 is None else r1 + 1]
        rows = [row[c0: None if c1 is None else c1 + 1] for row in rows]
        rows = [_trim(row) for row in rows]
        while rows and not rows[-1]:
            rows.pop()
        width = max((len(r) for r in rows), default=1)
        out = {"range": f"'{title}'!{col_letter(c0 + 1)}{r0 + 1}:{col_letter(c0 + width)}{r0 + max(1, len(rows))}",
               "majorDimension": "ROWS"}
        if rows:
            out["values"] = rows
        return out

    def _write(self, key: str, book: _Book, rng: str, values: list[list]) -> dict:
        title, a1 = self._tab(book, rng)
        r0, c0, _, _ = _bounds(a1)
        grid = book.tabs[title]
        for i, row in enumerate(values):
            while len(grid) <= r0 + i:
                grid.append([])
            target = grid[r0 + i]
            while len(target) < c0 + len(row):
                target.append("")
            for j, v in enumerate(row):
                target[c0 + j] = "" if v is None else str(v)
        width = max((len(r) for r in values), default=0)
        return {"spreadsheetId": key, "updatedRange": f"'{title}'!{a1 or 'A1'}", "updatedRows": len(values),
                "updatedColumns": width, "updatedCells": sum(len(r) for r in values)}

    def _clear(self, key: str, book: _Book, rng: str) -> dict:
        title, a1 = self._tab(book, rng)
        if not a1:
            book.tabs[title] = []
        else:
            r0, c0, r1, c1 = _bounds(a1)
            for i, row in enumerate(book.tabs[title]):
                if i >= r0 and (r1 is None or i <= r1):
                    for j in range(c0, len(row) if c1 is None else min(len(row), c1 + 1)):
                        row[j] = ""
        return {"spreadsheetId": key, "clearedRange": f"'{title}'"}

    def _batch_update(self, key: str, book: _Book, payload: dict) -> dict:
        replies = []
        for req in payload.get("requests", []):
            if "addSheet" in req:
                props = dict(req["addSheet"].get("properties", {}))
                title = props.get("title") or f"シート{len(book.tabs) + 1}"
                if title in book.tabs:
                    raise _BadRange(f"A sheet with the name \"{title}\" already exists.")
                book.tabs[title] = []
                book.ids[title] = max(book.ids.values(), default=0) + 1
                props.update({"sheetId": book.ids[title], "title": title, "index": len(book.tabs) - 1,
                              "sheetType": "GRID"})
                props.setdefault("gridProperties", {"rowCount": 1000, "columnCount": 26})
                replies.append({"addSheet": {"properties": props}})
            else:
                replies.append({})
        return {"spreadsheetId": key, "replies": replies}


class _BadRange(ValueError):
    pass


def _trim(row: list[str]) -> list[str]:
    row = list(row)
    while row and row[-1] == "":
        row.pop()
    return row


def _error(status: int, message: str | None = None) -> str:
    return json.dumps({"error": {"code": status, "message": message or MESSAGES.get(status, "Error"),
                                 "status": STATUS_TEXT.get(status, "UNKNOWN")}})


def _handler(emulator: SheetsEmulator):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, text = emulator.handle(method, self.path, body)
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802 - http.server's naming
            self._serve("GET")

        def do_POST(self):  # noqa: N802
            self._serve("POST")

        def do_PUT(self):  # noqa: N802
            self._serve("PUT")

        def log_message(self, *args):  # quiet: tests and the console stay readable
            pass

    return Handler
