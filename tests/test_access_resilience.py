"""Google Sheets failures never crash a page: last good data stays, with a banner; retries are bounded.

Against the real SheetsClient talking HTTP to the local Sheets emulator (and a deliberately slow
server for timeouts), wrapped by resilience.ResilientClient.
"""

from __future__ import annotations

import http.server
import json
import threading
import time

import pytest
import requests

from facilitation.sheets import gsheets, resilience
from facilitation.sheets.emulator import SheetsEmulator
from facilitation.sheets.resilience import LastGood, ResilientClient, classify

KEY = "resilience-test-sheet-0001"
TAB = "フォームの回答 1"
ROWS = [["タイムスタンプ", "氏名", "所属"], ["2026/11/01 10:00:00", "試験 一郎", "江別市社協"]]


@pytest.fixture
def emulator():
    with SheetsEmulator() as emu:
        emu.add_spreadsheet(KEY, {TAB: ROWS})
        yield emu


@pytest.fixture
def client(emulator):
    gsheets.clear_cache()
    raw = gsheets.SheetsClient(endpoint=emulator.url, backoff=0.01)
    return ResilientClient(raw, cache=LastGood(), cooldown=0)


def _fetch(client):
    return client.fetch(KEY, [TAB], max_age=0)


def test_fresh_data_has_no_banner(client):
    result = _fetch(client)
    assert result.fresh and result.banner == "" and result.data[TAB].rows[0][1] == "試験 一郎"


@pytest.mark.parametrize("status,body,words", [
    (500, None, "一時的なエラー"),
    (503, None, "一時的なエラー"),
    (429, None, "上限"),
    (403, None, "共有"),
    (404, None, "見つかりません"),
    (200, "this is not json", "形式"),
    (200, json.dumps({"valueRanges": "nope"}), "形式"),
])
def test_failures_keep_the_last_good_data_with_a_banner(client, emulator, status, body, words):
    good = _fetch(client)
    emulator.fail(status, body, times=50)
    result = _fetch(client)
    assert not result.fresh and result.from_cache
    assert result.data is good.data  # the same last good tables, still on screen
    assert "更新できませんでした" in result.banner and words in result.banner
    assert "たった今" in result.banner and "取得したデータを表示しています" in result.banner
    emulator.faults.clear()
    again = _fetch(client)  # Google is back: fresh again, banner gone
    assert again.fresh and again.banner == ""


def test_no_cached_data_and_a_failure_is_a_message_not_an_exception(client, emulator):
    emulator.fail(403, times=5)
    result = _fetch(client)
    assert result.data is None and not result.ok
    assert "読み込めませんでした" in result.banner and "以前のデータもありません" in result.banner


def test_retries_are_bounded(client, emulator):
    _fetch(client)
    emulator.reset_counts()
    emulator.fail(500, times=1000)
    started = time.monotonic()
    result = _fetch(client)
    assert not result.fresh
    # SheetsClient retries 5xx itself (bounded); the wrapper adds no second layer of retries.
    assert emulator.request_count == 1 + gsheets.RETRIES
    assert time.monotonic() - started < 10
    emulator.faults.clear()
    emulator.reset_counts()
    emulator.fail(403, times=1000)
    _fetch(client)
    assert emulator.request_count == 1  # permanent errors are not retried


def test_cooldown_spares_a_failing_google(emulator):
    gsheets.clear_cache()
    c = ResilientClient(gsheets.SheetsClient(endpoint=emulator.url, backoff=0.01), cache=LastGood(), cooldown=60)
    _fetch(c)
    emulator.fail(500, times=1000)
    _fetch(c)
    emulator.reset_counts()
    for _ in range(20):  # twenty page reruns in the next minute
        assert not _fetch(c).fresh
    assert emulator.request_count == 0


class _Slow(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        time.sleep(2)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_timeout_keeps_the_last_good_data(emulator):
    gsheets.clear_cache()
    cache = LastGood()
    good = ResilientClient(gsheets.SheetsClient(endpoint=emulator.url), cache=cache).fetch(KEY, [TAB], max_age=0)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        slow = gsheets.SheetsClient(endpoint=f"http://127.0.0.1:{server.server_address[1]}", backoff=0.01,
                                   timeout=(0.5, 0.3))
        wrapped = ResilientClient(slow, cache=cache)
        # Same cache key (same arguments): the slow "Google" cannot answer, the old data stays.
        result = wrapped.fetch(KEY, [TAB], max_age=0)
    finally:
        server.shutdown()
        server.server_close()
    assert result.data is good.data and not result.fresh
    assert "時間切れ" in result.banner or "応答" in result.banner


def test_the_banner_says_how_old_the_data_is():
    now = [1_000_000.0]
    cache = LastGood(clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    cache.fetch("k", lambda: {"rows": 1})
    now[0] += 3 * 3600 + 120

    def broken():
        raise requests.ConnectionError("down")

    result = cache.fetch("k", broken, cooldown=0)
    assert "3時間前" in result.banner and "接続できませんでした" in result.banner
    assert result.attempts == resilience.MAX_ATTEMPTS  # retried, but a bounded number of times
    assert cache.fetch("k", lambda: {"rows": 2}, cooldown=0).data == {"rows": 2}


def test_validation_failures_count_as_malformed():
    cache = LastGood(sleep=lambda s: None)
    cache.fetch("k", lambda: [1, 2])

    def check(data):
        if not isinstance(data, list):
            raise ValueError("not rows")

    result = cache.fetch("k", lambda: {"oops": True}, validate=check, cooldown=0)
    assert result.data == [1, 2] and "形式が正しくありません" in result.banner and result.attempts == 1


@pytest.mark.parametrize("exc,kind,retry", [
    (TimeoutError(), "timeout", True),
    (requests.ReadTimeout(), "timeout", True),
    (requests.ConnectionError(), "network", True),
    (json.JSONDecodeError("x", "doc", 0), "malformed", False),
    (KeyError("values"), "malformed", False),
    (RuntimeError("?"), "other", False),
    (gsheets.SheetsError("上限です。", "quota"), "rate", True),
    (gsheets.SheetsError("共有されていません。", "not_shared"), "forbidden", False),
])
def test_classification(exc, kind, retry):
    failure = classify(exc)
    assert (failure.kind, failure.retryable) == (kind, retry) and failure.reason


def test_http_status_classification():
    def err(code, headers=None):
        response = requests.Response()
        response.status_code = code
        response.headers.update(headers or {})
        return requests.HTTPError(response=response)

    assert classify(err(429, {"Retry-After": "3"})).retry_after == 3.0
    assert (classify(err(502)).kind, classify(err(403)).kind, classify(err(404)).kind) == ("server", "forbidden", "not_found")
    assert classify(err(401)).kind == "unauthorized"
