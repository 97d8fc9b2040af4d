"""Google Sheets reads that never crash a page: bounded retries, and the last good data kept.

`fetch_with_cache(key, fn)` calls `fn()`; transient failures (timeouts, connection errors, 429,
5xx) are retried a bounded number of times with backoff; permanent ones (403, 404, a malformed
answer) are not. When the read fails, the last good data for `key` comes back with a Japanese
banner saying how old it is and why it could not refresh. Within `fresh_for` seconds of a good read
the cached data is served without calling Google; within `cooldown` seconds of a failure, too,
so fifty phones reloading a page do not hammer a failing API. One read per key runs at a time.

The cache lives in this process only (it holds personal data and is cleared by a privacy erasure).
Nothing here logs the data; failures are logged with the key's kind and the error class only.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
BACKOFF = 0.5  # seconds before the 2nd attempt; doubled each time
MAX_WAIT = 5.0  # cap on one wait, including a server's Retry-After
DEADLINE = 12.0  # no retry starts after this many seconds in total

REASONS = {
    "timeout": "Google の応答が時間内に返ってきませんでした",
    "network": "Google に接続できませんでした（ネットワークを確認してください）",
    "rate": "Google が混み合っています（短時間のアクセスが多すぎます: 429）",
    "server": "Google 側で一時的なエラーが起きています（{status}）",
    "forbidden": "スプレッドシートを読む権限がありません（403）。共有設定で、このツールのアカウントに閲覧権限を付けてください",
    "unauthorized": "Google への認証に失敗しました（401）。認証情報の設定を確認してください",
    "not_found": "スプレッドシートまたはタブが見つかりません（404）。URL とタブ名を確認してください",
    "malformed": "Google から届いたデータの形式が正しくありませんでした",
    "other": "予期しないエラーで読み込めませんでした（{name}）",
}
RETRYABLE = {"timeout", "network", "rate", "server"}


@dataclass(frozen=True)
class Failure:
    kind: str
    retryable: bool
    reason: str  # Japanese
    retry_after: float | None = None
    status: int | None = None


def _status_of(exc: BaseException) -> int | None:
    for attr in ("status_code", "status", "code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and 100 <= value < 600:
            return value
    response = getattr(exc, "response", None)
    for attr in ("status_code", "status"):
        value = getattr(response, attr, None)
        if isinstance(value, int) and 100 <= value < 600:
            return value
    return None


def _retry_after(exc: BaseException) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None) or getattr(exc, "headers", None)
    if not headers:
        return None
    try:
        value = headers.get("Retry-After")
    except AttributeError:
        return None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, when.timestamp() - time.time()) if when else None


# facilitation.sheets.SheetsError carries a kind and a precise Japanese message: keep both.
SHEETS_KINDS = {"quota": ("rate", True), "timeout": ("timeout", True), "error": ("server", False),
                "not_shared": ("forbidden", False), "not_found": ("not_found", False),
                "missing_tab": ("not_found", False), "malformed": ("malformed", False),
                "credentials": ("unauthorized", False), "bad_url": ("not_found", False)}


def classify(exc: BaseException) -> Failure:
    """What kind of failure this is, whether to retry, and the Japanese reason."""
    name = type(exc).__name__
    kind = getattr(exc, "kind", None)
    if isinstance(kind, str) and kind in SHEETS_KINDS and str(exc):
        mapped, retryable = SHEETS_KINDS[kind]
        return Failure(mapped, retryable, str(exc).rstrip("。"))
    status = _status_of(exc)
    if status == 429:
        return Failure("rate", True, REASONS["rate"], _retry_after(exc), status)
    if status is not None and status >= 500:
        return Failure("server", True, REASONS["server"].format(status=status), _retry_after(exc), status)
    if status == 403:
        return Failure("forbidden", False, REASONS["forbidden"], status=status)
    if status == 401:
        return Failure("unauthorized", False, REASONS["unauthorized"], status=status)
    if status == 404:
        return Failure("not_found", False, REASONS["not_found"], status=status)
    lowered = name.lower()
    if "notfound" in lowered:  # gspread's SpreadsheetNotFound / WorksheetNotFound carry no status
        return Failure("not_found", False, REASONS["not_found"])
    if "permission" in lowered or "forbidden" in lowered:
        return Failure("forbidden", False, REASONS["forbidden"])
    if isinstance(exc, TimeoutError) or "timeout" in lowered:
        return Failure("timeout", True, REASONS["timeout"])
    if isinstance(exc, ConnectionError) or "connection" in lowered or isinstance(exc, OSError):
        return Failure("network", True, REASONS["network"])
    if isinstance(exc, ValueError | KeyError | TypeError | IndexError | UnicodeError):
        return Failure("malformed", False, REASONS["malformed"])
    return Failure("other", False, REASONS["other"].format(name=name))


def age_text(seconds: float) -> str:
    """「たった今」「5分前」「3時間前」「2日前」."""
    s = max(0, int(seconds))
    if s < 60:
        return "たった今"
    if s < 3600:
        return f"{s // 60}分前"
    if s < 86400:
        return f"{s // 3600}時間前"
    return f"{s // 86400}日前"


@dataclass
class FetchResult:
    """What a page shows: the data (fresh or last good), and a banner when it is not fresh."""

    data: Any
    fresh: bool
    fetched_at: float | None  # time.time() of the data shown
    failure: Failure | None = None
    attempts: int = 0
    from_cache: bool = False
    now: float = field(default_factory=time.time)

    @property
    def ok(self) -> bool:
        return self.data is not None

    @property
    def banner(self) -> str:
        """A Japanese warning for the page ("" when the data is fresh)."""
        if self.failure is None:
            return ""
        if self.data is None:
            return (f"Google スプレッドシートを読み込めませんでした: {self.failure.reason}。"
                    "表示できる以前のデータもありません。しばらくしてから再読み込みしてください。")
        when = time.strftime("%H:%M", time.localtime(self.fetched_at)) if self.fetched_at else ""
        return (f"Google スプレッドシートを更新できませんでした: {self.failure.reason}。"
                f"{age_text(self.now - (self.fetched_at or self.now))}（{when}）に取得したデータを表示しています。")


@dataclass
class _Entry:
    data: Any = None
    fetched_at: float | None = None
    failure: Failure | None = None
    failed_at: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class LastGood:
    """The process-wide cache of last good reads, by key."""

    def __init__(self, clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep):
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self.clock = clock
        self.sleep = sleep

    def _entry(self, key: str) -> _Entry:
        with self._lock:
            return self._entries.setdefault(key, _Entry())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def fetch(self, key: str, fn: Callable[[], Any], *, fresh_for: float = 0.0, cooldown: float = 30.0,
              max_attempts: int = MAX_ATTEMPTS, validate: Callable[[Any], None] | None = None) -> FetchResult:
        """Call `fn` with bounded retries; on failure return the last good data with a banner.

        `validate(data)` may raise ValueError for a malformed answer (treated like any failure).
        """
        entry = self._entry(key)
        with entry.lock:  # one read per key at a time; others wait and then reuse its result
            now = self.clock()
            if entry.fetched_at is not None and now - entry.fetched_at < fresh_for and \
                    (entry.failed_at is None or entry.failed_at < entry.fetched_at):
                return FetchResult(entry.data, True, entry.fetched_at, None, 0, True, now)
            if entry.failed_at is not None and now - entry.failed_at < cooldown and \
                    (entry.fetched_at is None or entry.failed_at > entry.fetched_at):
                return FetchResult(entry.data, False, entry.fetched_at, entry.failure, 0, True, now)
            attempts, start, failure = 0, now, None
            while attempts < max(1, max_attempts):
                attempts += 1
                try:
                    data = fn()
                    if validate is not None:
                        validate(data)
                except Exception as exc:  # every failure becomes a banner, never a traceback
                    failure = classify(exc)
                    log.warning("sheet read failed: key_kind=%s attempt=%d kind=%s error=%s",
                                key.split(":", 1)[0], attempts, failure.kind, type(exc).__name__)
                    if not failure.retryable or attempts >= max_attempts:
                        break
                    wait = min(MAX_WAIT, failure.retry_after if failure.retry_after is not None
                               else BACKOFF * 2 ** (attempts - 1))
                    if self.clock() + wait - start > DEADLINE:
                        break
                    self.sleep(wait)
                    continue
                entry.data, entry.fetched_at, entry.failure, entry.failed_at = data, self.clock(), None, None
                return FetchResult(data, True, entry.fetched_at, None, attempts, False, entry.fetched_at)
            entry.failure, entry.failed_at = failure, self.clock()
            return FetchResult(entry.data, False, entry.fetched_at, failure, attempts, entry.data is not None,
                               entry.failed_at)


CACHE = LastGood()


def fetch_with_cache(key: str, fn: Callable[[], Any], **kw) -> FetchResult:
    """`LastGood.fetch` on the process-wide cache."""
    return CACHE.fetch(key, fn, **kw)


class ResilientClient:
    """Wraps an object with a `fetch(...)` method (facilitation.sheets.SheetsClient) without editing it.

    `ResilientClient(client).fetch(*args, **kw)` returns a FetchResult instead of raising; the
    cache key is built from the arguments (not `max_age`, so a forced refresh that fails still
    shows the last good data). SheetsClient retries 429/5xx/timeouts itself, so by default this
    wrapper makes a single attempt (no retries multiplied on top of retries).
    """

    def __init__(self, client: Any, cache: LastGood | None = None, **options):
        self.client = client
        self.cache = cache or CACHE
        self.options = {"max_attempts": 1, "cooldown": 15.0, **options}

    def fetch(self, *args, **kwargs) -> FetchResult:
        keyed = sorted((k, v) for k, v in kwargs.items() if k != "max_age")
        key = "sheet:" + repr((args, keyed))
        return self.cache.fetch(key, lambda: self.client.fetch(*args, **kwargs), **self.options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def _register_privacy_hook() -> None:
    from facilitation.access import privacy

    @privacy.eraser("90_sheet_cache")
    def _forget_cached_sheets(_session, _subject):
        CACHE.clear()  # cached raw rows may hold the person's data; the next read refills it
        return []


_register_privacy_hook()
