"""The one HTTP client every source fetches through.

It sends the configured User-Agent, keeps each host's requests at least
its ``min_interval_s`` apart, and retries a connection error, a timeout, a
body cut short, 429 and 5xx with exponential backoff or the server's
``Retry-After``. It never touches disk. ``sleep`` and the clocks are
arguments, so tests wait for nothing.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import time
from dataclasses import dataclass
from typing import Callable, Mapping
from urllib.parse import urlsplit

import httpx

from ..config import FetchConfig


@dataclass(frozen=True)
class Validators:
    """What a conditional request sends back: the ETag and Last-Modified of the copy held."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True)
class Response:
    """A complete response: 2xx with its whole body, or 304 with none."""

    url: str
    status: int
    content: bytes
    content_type: str
    validators: Validators

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class FetchFailed(Exception):
    """A URL that gave no complete response: its reason is one line."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


def host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


def min_intervals(config: FetchConfig) -> dict[str, float]:
    """Return each configured host's least time between requests (the larger, if two sources share one)."""
    intervals: dict[str, float] = {}
    for url, seconds in ((config.hf_base_url, config.hf_min_interval_s),
                         (config.arxiv_rss_base_url, config.arxiv_min_interval_s),
                         (config.arxiv_api_base_url, config.arxiv_min_interval_s)):
        host = host_of(url)
        intervals[host] = max(seconds, intervals.get(host, 0.0))
    return intervals


def retry_after(value: str | None, now: float) -> float | None:
    """Return the seconds a ``Retry-After`` header asks for (a number or an HTTP date), or None."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT, whether or not it says so
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, when.timestamp() - now)


def _retryable(status: int) -> bool:
    return status == 429 or 500 <= status <= 599


def _transport_reason(exc: httpx.TransportError, timeout_s: float) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out (fetch.timeout_s is {timeout_s:g} s)"
    return str(exc) or type(exc).__name__


def _received(response: httpx.Response) -> int:
    """Return the bytes of body received, as Content-Length counts them (before any decoding)."""
    if "Content-Encoding" in response.headers:
        return response.num_bytes_downloaded
    return len(response.content)


class Client:
    """GET with retries and per-host pacing; use as a context manager."""

    def __init__(self, config: FetchConfig, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, wall_clock: Callable[[], float] = time.time,
                 transport: httpx.BaseTransport | None = None):
        self.config = config
        self.sleep = sleep
        self.clock = clock
        self.wall_clock = wall_clock
        self.intervals: Mapping[str, float] = min_intervals(config)
        self.next_turn: dict[str, float] = {}  # host -> when its next request may start
        self.http = httpx.Client(headers={"User-Agent": config.user_agent}, timeout=config.timeout_s,
                                 follow_redirects=True, transport=transport)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def _wait_turn(self, host: str) -> None:
        now = self.clock()
        due = self.next_turn.get(host, now)
        if due > now:
            self.sleep(due - now)
        self.next_turn[host] = max(now, due) + self.intervals.get(host, 0.0)

    def get(self, url: str, validators: Validators | None = None) -> Response:
        """Return the complete response to GET ``url``, or raise FetchFailed naming why."""
        config = self.config
        attempts = config.retries + 1
        headers = validators.headers() if validators else {}
        for attempt in range(attempts):
            self._wait_turn(host_of(url))
            wait = min(config.backoff_s * 2 ** attempt, config.max_wait_s)
            try:
                response = self.http.get(url, headers=headers)
            except httpx.TransportError as exc:  # refused, reset, timed out, or a body cut short
                problem = _transport_reason(exc, config.timeout_s)
            except httpx.InvalidURL as exc:
                raise FetchFailed(url, f"invalid URL ({exc})") from None
            else:
                status = response.status_code
                declared = response.headers.get("Content-Length", "")
                if status == 304:
                    return Response(url, 304, b"", "", validators or Validators())
                if _retryable(status):
                    problem = f"HTTP {status} {response.reason_phrase}".rstrip()
                    asked = retry_after(response.headers.get("Retry-After"), self.wall_clock())
                    if asked is not None:
                        if asked > config.max_wait_s:
                            raise FetchFailed(url, f"{problem}, and Retry-After asks for {asked:.0f} s, "
                                                   f"over fetch.max_wait_s ({config.max_wait_s:g} s)")
                        wait = asked
                elif not 200 <= status <= 299:
                    raise FetchFailed(url, f"HTTP {status} {response.reason_phrase}".rstrip())
                elif declared.isdigit() and int(declared) != _received(response):
                    # httpx notices most short bodies itself; this catches any it lets through.
                    problem = f"incomplete body: {_received(response)} of {declared} bytes"
                else:
                    return Response(url, status, response.content, response.headers.get("Content-Type", ""),
                                    Validators(response.headers.get("ETag"), response.headers.get("Last-Modified")))
            if attempt == attempts - 1:
                tries = f"{attempts} attempts" if attempts > 1 else "1 attempt"
                raise FetchFailed(url, f"{problem} ({tries})")
            self.sleep(wait)
        raise AssertionError("unreachable")
