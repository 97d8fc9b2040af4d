"""A local stand-in for the Google Sheets v4 API, for tests and for trying the sync screen by hand.

It speaks enough of the API for gspread: spreadsheet metadata, values get / batchGet / update /
clear, and batchUpdate addSheet, with Google-shaped error bodies. It counts requests and can be
told to fail (429 then success, 403, 404, 500, a malformed body). Standard library only.

    python -m facilitation sheets-emulator --port 8765
    FACILITATION_SHEETS_ENDPOINT=http://127.0.0.1:8765 streamlit run streamlit_app.py
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

DEMO_KEY = "donet-demo-registrations-2026"
DEMO_URL = f"https://docs.google.com/spreadsheets/d/{DEMO_KEY}/edit#gid=0"
REGISTRATION_TAB = "フォームの回答 1"
SURVEY_TAB = "アンケート"
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


# --- demo sheets -----------------------------------------------------------------------------

def demo_tabs(db_url: str | None = None) -> dict[str, list[list[str]]]:
    """A registration tab for the demo's upcoming meeting and a survey tab.

    Built from the database at `db_url` when it has an upcoming meeting (so a sync there merges:
    known people are duplicates, a few are new, some rows need attention), else from a fresh demo.
    """
    import tempfile
    from pathlib import Path

    from sqlalchemy import select

    from facilitation.demo import dataset
    from facilitation.meetings import schedule
    from facilitation.registrations import forms
    from facilitation.storage import db
    from facilitation.storage.models import Registration

    tmp = None
    if db_url is None or db.is_empty(db_url):
        tmp = tempfile.TemporaryDirectory()
        db_url = f"sqlite:///{Path(tmp.name) / 'demo.sqlite3'}"
        with db.session(db_url, actor="sheets-emulator") as s:
            dataset.generate(s)
    rng = random.Random(2026)
    rows: list[list[str]] = []
    with db.session(db_url, actor="sheets-emulator") as s:
        meeting = schedule.upcoming_meeting(s)
        themes = [r.theme for r in meeting.rooms] if meeting else []
        regs = list(s.scalars(select(Registration).where(Registration.meeting_id == meeting.id)
                              .order_by(Registration.id))) if meeting else []
        for reg in regs:
            p, org = reg.person, reg.person.organisation
            rows.append(_form_row(rng, reg.submitted_at or dt.datetime(2026, 11, 20, 10), p.email, p.name,
                                  p.furigana, _typed(rng, org.name if org else reg.org_text),
                                  org.region if org else "", reg.programs, p.role_title, p.years_experience,
                                  reg.attendance_mode, [reg.choice1, reg.choice2, reg.choice3],
                                  reg.willing_facilitator))
    if tmp:
        db.get_engine(db_url).dispose()
        tmp.cleanup()
    when = dt.datetime(2026, 11, 28, 9, 0)
    theme = (themes or ["テーマを決めずに様々な話がしたい"])
    extra = [
        ("kondo.miki@example.org", "近藤 美紀", "こんどう みき", "りんく", "空知総合振興局"),
        ("ogawa.jun@example.org", "小川 純", "おがわ じゅん", "（特非）ワークフェア ふくろう", "オホーツク総合振興局"),
        ("noguchi.ai@example.org", "野口 愛", "のぐち あい", "ＪＯＩＮ", "石狩振興局"),
        ("hirano.ken@example.org", "平野 健", "ひらの けん", "帯広市自立相談支援センター ふらっと", "十勝総合振興局"),
        ("sugawara.yu@example.org", "菅原 由", "すがわら ゆう", "NPO法人 はまなす生活相談室", "渡島総合振興局"),
    ]
    for i, (email, name, kana, org_text, region) in enumerate(extra):
        rows.append(_form_row(rng, when + dt.timedelta(hours=i), email, name, kana, org_text, region,
                              ["自立相談支援事業"], "相談支援員", 2, "オンライン",
                              rng.sample(theme, k=min(3, len(theme))), i % 2 == 0))
    if rows:  # an edited answer: the first registrant changes their first choice a week later
        again = list(rows[0])
        again[0] = (when + dt.timedelta(days=3)).strftime("%Y/%m/%d %H:%M:%S")
        again[11] = theme[-1]
        rows.append(again)
    rows.append(_form_row(rng, when + dt.timedelta(days=1), "", "", "", "江別市社協", "石狩振興局",
                          [], "", None, "オンライン", ["", "", ""], False))
    rows.append(_form_row(rng, when + dt.timedelta(days=1, hours=1), "takeda@example", "武田 聡", "たけだ さとし",
                          "江別市社会福祉協議会", "石狩振興局", ["家計改善支援事業"], "家計改善支援員", 5, "オンライン",
                          [theme[0], "", ""], False))
    rows.append(_form_row(rng, when + dt.timedelta(days=2), "maeda.sho@example.org", "前田 翔", "まえだ しょう",
                          "名寄市社協", "上川総合振興局", ["自立相談支援事業"], "主任相談支援員", 8, "会場",
                          ["ひきこもり支援について話したい", theme[0], ""], True))
    rows.sort(key=lambda r: r[0])
    return {REGISTRATION_TAB: [forms.STANDARD_HEADERS, *rows], SURVEY_TAB: _survey_rows(rng)}


def _typed(rng: random.Random, name: str) -> str:
    """An organisation name the way people type it: full-width, spaces, short legal forms."""
    variants = [name, name.replace("NPO法人", "ＮＰＯ法人 "), name.replace("NPO法人", "（特非）"),
                name.replace("社会福祉協議会", "社協"), name.replace("一般社団法人", "一社"),
                name.replace("株式会社", "(株)")]
    return rng.choice(variants)


def _form_row(rng, when, email, name, kana, org, region, programs, role, years, mode, choices, willing) -> list[str]:
    years_text = "" if years is None else (f"{years:g}年" if years >= 1 else "1年未満")
    return [when.strftime("%Y/%m/%d %H:%M:%S"), email, name, kana, org, "", region, ", ".join(programs),
            role, years_text, "会場（札幌）" if mode == "会場" else "オンライン（Zoom）",
            *(list(choices) + ["", "", ""])[:3], "はい" if willing else "いいえ", ""]


def _survey_rows(rng: random.Random) -> list[list[str]]:
    headers = ["タイムスタンプ", "情報交換会に参加して", "次年度の継続", "希望開催頻度", "開催内容についての希望",
               "ご意見・ご感想"]
    ratings = ["とても役に立った", "役に立った", "あまり役に立たなかった", "役に立たなかった", "参加できなかった"]
    cont = ["継続してほしい", "どちらでもよい", "継続しなくてよい"]
    freq = ["年1-2回", "3-4か月に1回", "年6回", "毎月"]
    wishes = ["テーマ別のディスカッション", "講師を招いた勉強会", "事例検討（個人が特定されない形で）", "その他"]
    comments = ["他の地域の取り組みが聞けて参考になりました。", "", "小さな町の工夫をもっと知りたいです。",
                "ルームの時間がもう少し長いとよいです。", ""]
    rows = [headers]
    start = dt.datetime(2026, 12, 10, 16, 30)
    for i in range(36):
        chosen = rng.sample(wishes, k=rng.randint(1, 2))
        rows.append([(start + dt.timedelta(minutes=7 * i)).strftime("%Y/%m/%d %H:%M:%S"),
                     rng.choices(ratings, weights=[36, 56, 5, 1, 2])[0], rng.choices(cont, weights=[81, 15, 4])[0],
                     rng.choices(freq, weights=[36, 31, 25, 8])[0], ", ".join(chosen), rng.choice(comments)])
    return rows


def serve_demo(port: int = 8765, host: str = "127.0.0.1", db_url: str | None = None) -> SheetsEmulator:
    """Start an emulator holding the demo spreadsheet (returns once it is listening)."""
    emulator = SheetsEmulator(host, port)
    emulator.add_spreadsheet(DEMO_KEY, demo_tabs(db_url), title="情報交換会 申込フォーム（回答）")
    return emulator.start()
