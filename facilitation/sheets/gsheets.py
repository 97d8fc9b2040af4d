"""Google Sheets through gspread 6: read several tabs in ONE request, write a cleaned list back.

Credentials: a service account (a dict from st.secrets, a JSON text, or a JSON file path; else the
file named by $FACILITATION_SHEETS_CREDENTIALS). When $FACILITATION_SHEETS_ENDPOINT names a local
emulator (`python -m facilitation sheets-emulator`), requests go there and no credentials are
needed. Reads are cached for a minute so that many viewers do not multiply API calls; the cache
lives in this process only and is cleared by a privacy erasure. Retries on 429 / 5xx / timeouts are
bounded by DEADLINE, so a failing Google answers a page within seconds (the registrations already
imported stay in the database: they are the last good data the page keeps showing).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # gspread, requests and Google's auth (17 MB) load on the first request, not with the pages
    from gspread.exceptions import APIError
    from gspread.http_client import HTTPClient

import pandas as pd

from facilitation.access import privacy
from facilitation.errors import UserError
from facilitation.files.exports import safe_cell
from facilitation.files.tabular import Table, TableError, from_values

ENDPOINT_ENV = "FACILITATION_SHEETS_ENDPOINT"
CREDENTIALS_ENV = "FACILITATION_SHEETS_CREDENTIALS"
SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
GOOGLE_BASE = "https://sheets.googleapis.com"  # gspread's SPREADSHEETS_API_V4_BASE_URL without /v4/spreadsheets
EMULATOR_ACCOUNT = "facilitation-demo@sheets-emulator.local"
CACHE_SECONDS = 60.0
RETRIES = 4  # attempts after the first, on 429 / 5xx / network timeouts
TIMEOUT = (5.0, 8.0)  # connect, read (seconds) of one attempt
DEADLINE = 10.0  # seconds: no attempt starts after this, and no attempt runs past it

_KEY_IN_URL = re.compile(r"/spreadsheets/(?:u/\d+/)?d/([A-Za-z0-9_-]+)")
_KEY_PARAM = re.compile(r"[?&]key=([A-Za-z0-9_-]+)")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]{10,}$")


class SheetsError(UserError):
    """A Sheets problem the secretariat can act on; the message is Japanese."""

    def __init__(self, message: str, kind: str = "error"):
        super().__init__(message)
        self.kind = kind  # not_shared / not_found / missing_tab / bad_url / malformed / timeout / quota / error


def parse_key(url_or_key: str) -> str:
    """The spreadsheet key from a pasted URL (…/spreadsheets/d/KEY/edit#gid=0) or a bare key."""
    text = (url_or_key or "").strip()
    if not text:
        raise SheetsError("シートのURLを入力してください。", "bad_url")
    m = _KEY_IN_URL.search(text) or _KEY_PARAM.search(text)
    if m:
        return m.group(1)
    if _BARE_KEY.match(text):
        return text
    raise SheetsError(
        f"「{text[:80]}」からシートのIDを読み取れませんでした。ブラウザのアドレス欄に表示される"
        "「https://docs.google.com/spreadsheets/d/…/edit」の形のURLを貼り付けてください。", "bad_url")


def _load_credentials(info: dict | str | os.PathLike | None) -> dict | None:
    if info is None:
        info = os.environ.get(CREDENTIALS_ENV) or None
    if info is None:
        return None
    if isinstance(info, dict):
        return dict(info)
    text = str(info).strip()
    if text.startswith("{"):
        return json.loads(text)
    path = Path(text).expanduser()
    if not path.exists():
        raise SheetsError(f"サービスアカウントの鍵ファイル「{path}」が見つかりません。", "credentials")
    return json.loads(path.read_text(encoding="utf-8"))


_SURROGATE = re.compile("[\ud800-\udfff]")
_cache: dict[tuple[str, str, str], tuple[float, Table]] = {}
_cache_lock = threading.Lock()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


@privacy.eraser("90_sheet_cache")
def _forget_cached_sheets(_session, _subject) -> list:
    clear_cache()  # cached rows may hold the person's data; the next read refills the cache
    return []


def _text(value: object) -> object:
    """A cell from the API: lone surrogates (which no database stores) become U+FFFD."""
    return _SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value


class SheetsClient:
    """Reads and writes one account's sheets; cheap to create (no request until used)."""

    def __init__(self, credentials_info: dict | str | os.PathLike | None = None, endpoint: str | None = None,
                 *, backoff: float | None = None, timeout: tuple[float, float] | float = TIMEOUT,
                 deadline: float = DEADLINE):
        self.endpoint = (endpoint if endpoint is not None else os.environ.get(ENDPOINT_ENV, "")).rstrip("/")
        self._info = credentials_info
        self._http: HTTPClient | None = None
        self._backoff = backoff
        self._timeout = timeout
        self._deadline = deadline
        self.account_email = EMULATOR_ACCOUNT if self.endpoint else ""
        if not self.endpoint:
            try:  # a broken key shows up when the sheet is read, as a Japanese message
                creds = _load_credentials(credentials_info)
            except (SheetsError, ValueError, OSError):
                creds = None
            self.account_email = (creds or {}).get("client_email", "")

    # --- the HTTP client, created on first use ---
    def _client(self) -> HTTPClient:
        if self._http is not None:
            return self._http
        from .http import RebasedSession, RetryingHTTPClient

        if self.endpoint:
            http = RetryingHTTPClient(auth=None, session=RebasedSession(self.endpoint))
        else:
            try:
                creds_info = _load_credentials(self._info)
            except (ValueError, OSError) as exc:
                raise SheetsError(f"サービスアカウントの鍵を読み込めませんでした（{exc}）。", "credentials") from exc
            if not creds_info:
                raise SheetsError(
                    "Google のサービスアカウントが設定されていません。設定ページの案内に従って鍵（JSON）を"
                    "secrets.toml の [gcp_service_account] に登録してください。", "credentials")
            from google.oauth2.service_account import Credentials

            try:
                creds = Credentials.from_service_account_info(creds_info, scopes=SCOPES)
            except (ValueError, KeyError) as exc:
                raise SheetsError(f"サービスアカウントの鍵の形式が正しくありません（{exc}）。", "credentials") from exc
            http = RetryingHTTPClient(auth=creds)
        if self._backoff is not None:
            http.backoff = self._backoff
        http.set_timeout(self._timeout)
        http.deadline = self._deadline
        self._http = http
        return http

    def _cache_id(self) -> str:
        return self.endpoint or self.account_email

    # --- reading ---
    def fetch(self, url_or_key: str, tabs: list[str], *, max_age: float | None = None) -> dict[str, Table]:
        """Every named tab as a Table, in exactly one `values:batchGet` request (or none if cached).

        Tabs read within `max_age` seconds (default 60) come from the cache; max_age=0 reads fresh.
        A tab with only its header row gives a Table without rows.
        """
        key = parse_key(url_or_key)
        tabs = list(dict.fromkeys(t for t in tabs if t))
        if not tabs:
            raise SheetsError("読み込むタブ名を指定してください。", "missing_tab")
        age = CACHE_SECONDS if max_age is None else max_age
        now = time.monotonic()
        out: dict[str, Table] = {}
        with _cache_lock:
            for tab in tabs:
                hit = _cache.get((self._cache_id(), key, tab))
                if hit and now - hit[0] < age:
                    out[tab] = hit[1]
        missing = [t for t in tabs if t not in out]
        if missing:
            fresh = self._batch_get(key, missing)
            with _cache_lock:
                for tab, table in fresh.items():
                    _cache[(self._cache_id(), key, tab)] = (time.monotonic(), table)
            out.update(fresh)
        return {t: out[t] for t in tabs}

    def _batch_get(self, key: str, tabs: list[str]) -> dict[str, Table]:
        import requests
        from gspread.exceptions import APIError
        from gspread.spreadsheet import Spreadsheet
        from gspread.utils import absolute_range_name

        http = self._client()
        # A Spreadsheet without its metadata request: the batchGet is the only call.
        sheet = Spreadsheet.__new__(Spreadsheet)
        sheet.client, sheet._properties = http, {"id": key}
        ranges = [absolute_range_name(t) for t in tabs]
        try:
            body = sheet.values_batch_get(ranges, params={"majorDimension": "ROWS",
                                                          "valueRenderOption": "FORMATTED_VALUE"})
        except APIError as exc:
            raise self._explain(exc, key, tabs) from exc
        except requests.Timeout as exc:
            raise SheetsError("Google スプレッドシートからの応答がありませんでした（時間切れ）。しばらくしてからもう一度お試しください。",
                              "timeout") from exc
        except requests.ConnectionError as exc:
            raise SheetsError("Google スプレッドシートに接続できませんでした。ネットワークを確認してください。",
                              "timeout") from exc
        except (ValueError, json.JSONDecodeError) as exc:
            raise SheetsError("Google スプレッドシートからの応答を読み取れませんでした（形式が正しくありません）。",
                              "malformed") from exc
        ranges_out = body.get("valueRanges") if isinstance(body, dict) else None
        if not isinstance(ranges_out, list) or len(ranges_out) != len(tabs):
            raise SheetsError("Google スプレッドシートからの応答を読み取れませんでした（形式が正しくありません）。",
                              "malformed")
        out = {}
        for tab, vr in zip(tabs, ranges_out, strict=True):
            values = vr.get("values", []) if isinstance(vr, dict) else None
            if not isinstance(values, list) or not all(isinstance(r, list) for r in values):
                raise SheetsError(f"タブ「{tab}」の内容を読み取れませんでした（形式が正しくありません）。", "malformed")
            try:
                values = [[_text(v) for v in r] for r in values]
                out[tab] = from_values(values, source=f"{tab}", encoding="sheets", sheet=tab)
            except TableError:
                out[tab] = Table(headers=[], rows=[], source=tab, encoding="sheets", sheet=tab)
        return out

    def _explain(self, exc: APIError, key: str, tabs: list[str]) -> SheetsError:
        code = exc.response.status_code
        message = str(exc.error.get("message", "")) if isinstance(exc.error, dict) else ""
        if code == 403:
            who = self.account_email or "サービスアカウント"
            return SheetsError(
                f"このシートはツールから読めません（共有されていません）。シートの「共有」で {who} を"
                "「閲覧者」（書き戻す場合は「編集者」）として追加してください。", "not_shared")
        if code == 404:
            return SheetsError(f"シートが見つかりません（ID: {key}）。URLが正しいか、シートが削除されていないか確認してください。",
                               "not_found")
        if code == 400 and "parse range" in message.lower():
            missing = self._missing_tabs(key, tabs) or tabs
            return SheetsError(f"シートにタブ「{'」「'.join(missing)}」がありません。タブ名（シート下部の見出し）を確認してください。",
                               "missing_tab")
        if code == 429:
            return SheetsError("Google スプレッドシートの利用回数の上限に達しました。1分ほど待ってからもう一度お試しください。", "quota")
        if code == -1 or exc.error.get("status", "").startswith("invalid JSON"):
            return SheetsError("Google スプレッドシートからの応答を読み取れませんでした（形式が正しくありません）。", "malformed")
        if code >= 500:
            return SheetsError(f"Google スプレッドシート側で一時的なエラーが起きました（{code}）。しばらくしてからもう一度お試しください。",
                               "error")
        return SheetsError(f"Google スプレッドシートでエラーが起きました（{code}: {message[:200]}）。", "error")

    def _missing_tabs(self, key: str, tabs: list[str]) -> list[str]:
        """Which of `tabs` the spreadsheet lacks (a second request, only after an error)."""
        import requests
        from gspread.exceptions import APIError

        try:
            meta = self._client().fetch_sheet_metadata(key)
        except (APIError, requests.RequestException, ValueError):
            return []
        have = {s.get("properties", {}).get("title") for s in meta.get("sheets", [])}
        return [t for t in tabs if t not in have]

    def tab_titles(self, url_or_key: str) -> list[str]:
        """The spreadsheet's tab names (one metadata request)."""
        import requests
        from gspread.exceptions import APIError

        key = parse_key(url_or_key)
        try:
            meta = self._client().fetch_sheet_metadata(key)
        except APIError as exc:
            raise self._explain(exc, key, []) from exc
        except requests.RequestException as exc:
            raise SheetsError("Google スプレッドシートに接続できませんでした。", "timeout") from exc
        return [s.get("properties", {}).get("title", "") for s in meta.get("sheets", [])]

    # --- writing ---
    def write_tab(self, url_or_key: str, tab: str, frame: pd.DataFrame) -> None:
        """Replace a tab's contents with `frame` (header row + rows); the tab is created if missing.

        Values are sent RAW and neutralised with exports.safe_cell, so nothing becomes a formula.
        """
        import requests
        from gspread.exceptions import APIError
        from gspread.utils import absolute_range_name

        key = parse_key(url_or_key)
        http = self._client()
        values = [[str(safe_cell(str(c))) for c in frame.columns]]
        for row in frame.itertuples(index=False):
            values.append([_cell_out(v) for v in row])
        try:
            titles = self.tab_titles(key)
            if tab not in titles:
                http.batch_update(key, {"requests": [{"addSheet": {"properties": {
                    "title": tab, "gridProperties": {"rowCount": max(1000, len(values) + 10),
                                                     "columnCount": max(26, len(values[0]))}}}}]})
            else:
                http.values_clear(key, absolute_range_name(tab))
            http.values_update(key, absolute_range_name(tab, "A1"), params={"valueInputOption": "RAW"},
                               body={"values": values, "majorDimension": "ROWS"})
        except APIError as exc:
            raise self._explain(exc, key, [tab]) from exc
        except requests.RequestException as exc:
            raise SheetsError("Google スプレッドシートに書き込めませんでした（接続できません）。", "timeout") from exc
        with _cache_lock:
            _cache.pop((self._cache_id(), key, tab), None)


def _cell_out(value: object) -> object:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, int | float):
        return value
    return safe_cell(str(value))
