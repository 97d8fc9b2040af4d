"""gspread's HTTP client for facilitation.sheets.gsheets: bounded retries, and the emulator's base URL.

Its own module so that gspread, requests and Google's auth load on a sheet's first request only
(issue 27: 17 MB in every app process otherwise)."""

from __future__ import annotations

import random
import time
from typing import Any

import requests
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from .gsheets import DEADLINE, GOOGLE_BASE, RETRIES


class RebasedSession(requests.Session):
    """A requests session that sends Google API URLs to another base (the emulator)."""

    def __init__(self, base: str):
        super().__init__()
        self.base = base.rstrip("/")

    def request(self, method, url, *args, **kwargs):  # noqa: D401 - requests' signature
        if isinstance(url, str) and url.startswith(GOOGLE_BASE):
            url = self.base + url[len(GOOGLE_BASE):]
        return super().request(method, url, *args, **kwargs)


class RetryingHTTPClient(HTTPClient):
    """gspread's HTTP client with bounded retries and backoff on 429, 5xx and timeouts."""

    retries = RETRIES
    backoff = 0.5  # seconds, doubled each attempt, with jitter; Retry-After is honoured up to 5 s
    deadline = DEADLINE

    def request(self, *args: Any, **kwargs: Any):
        attempt, start, per_attempt = 0, time.monotonic(), self.timeout
        try:
            while True:
                left = self.deadline - (time.monotonic() - start)
                if isinstance(per_attempt, tuple):
                    self.timeout = tuple(max(0.1, min(x, left)) for x in per_attempt)
                else:
                    self.timeout = max(0.1, min(per_attempt or left, left))
                try:
                    return super().request(*args, **kwargs)
                except APIError as exc:
                    code = exc.response.status_code
                    if attempt >= self.retries or not (code == 429 or code >= 500):
                        raise
                    delay = self._delay(attempt, exc.response.headers.get("Retry-After"))
                    if time.monotonic() - start + delay >= self.deadline:
                        raise
                except (requests.Timeout, requests.ConnectionError):
                    delay = self._delay(attempt, None)
                    if attempt >= self.retries or time.monotonic() - start + delay >= self.deadline:
                        raise
                attempt += 1
                time.sleep(delay)
        finally:
            self.timeout = per_attempt

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(5.0, float(retry_after))
            except ValueError:
                pass
        return self.backoff * (2 ** attempt) * (0.75 + random.random() / 2)
