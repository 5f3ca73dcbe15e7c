"""A local HTTP server for the fetch tests: replays fixtures by path and query, and misbehaves on cue.

Each route holds a script of replies: every request takes the next one and
the last one repeats. A reply can answer late (a timeout), cut its body
short and hang up, or carry an ETag or Last-Modified, to which a matching
conditional request gets 304. Every request is recorded.
"""

from __future__ import annotations

import collections
import http.server
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

# Apart from fixtures/, whose files test_fuzz mutates as corpus files: these are replayed as they are.
FIXTURES = Path(__file__).resolve().parent / "fetch_fixtures"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # seconds to wait before answering
    cut_at: int | None = None  # send this many bytes of the body (with the full Content-Length), then hang up
    etag: str | None = None
    last_modified: str | None = None


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def ok(name_or_body: str | bytes, **kwargs) -> Reply:
    """Return a 200 reply with a fixture's bytes (or the bytes given), its type from the name."""
    body = name_or_body if isinstance(name_or_body, bytes) else fixture(name_or_body)
    if isinstance(name_or_body, str) and not name_or_body.endswith(".json"):
        kwargs.setdefault("content_type", "application/xml; charset=utf-8"
                          if name_or_body.endswith(".xml") else "application/atom+xml; charset=utf-8")
    return Reply(200, body, **kwargs)


def target(path: str, **query: object) -> str:
    """Return a route's key: the path, and the query sorted (so parameter order never matters)."""
    return path + ("?" + urlencode(sorted((k, str(v)) for k, v in query.items())) if query else "")


def _key_of(raw: str) -> tuple[str, str]:
    parts = urlsplit(raw)
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    return parts.path + ("?" + urlencode(query) if query else ""), parts.path


@dataclass
class Seen:
    key: str
    headers: dict[str, str]
    status: int = 0


class FetchServer:
    """Serve scripted replies on 127.0.0.1 in a background thread; use as a context manager."""

    def __init__(self) -> None:
        self.routes: dict[str, collections.deque[Reply]] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002 - signature from the base class
                pass

            def do_GET(self):  # noqa: N802 - name from the base class
                server._answer(self)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.handle_error = lambda request, address: None  # a client that gave up is no error
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "FetchServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def route(self, key: str, *replies: Reply) -> None:
        """Answer requests for ``key`` (a path alone matches any query) with ``replies`` in turn."""
        with self.lock:
            self.routes[key] = collections.deque(replies)

    def hits(self, key: str) -> int:
        """Return how many requests asked for ``key`` (a path with its query, as ``target`` makes it)."""
        return sum(1 for seen in self.seen if seen.key == key or seen.key.split("?")[0] == key)

    def statuses(self, key: str) -> list[int]:
        return [seen.status for seen in self.seen if seen.key == key]

    def _next(self, key: str, path: str) -> Reply:
        with self.lock:
            script = self.routes.get(key) or self.routes.get(path)
            if not script:
                return Reply(404, b"not found", "text/plain")
            return script.popleft() if len(script) > 1 else script[0]

    def _answer(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        key, path = _key_of(handler.path)
        seen = Seen(key, {k.lower(): v for k, v in handler.headers.items()})
        with self.lock:
            self.seen.append(seen)
        reply = self._next(key, path)
        if reply.delay:
            time.sleep(reply.delay)
        status = reply.status
        if (reply.etag and seen.headers.get("if-none-match") == reply.etag) or (
                reply.last_modified and seen.headers.get("if-modified-since") == reply.last_modified):
            status = 304
        seen.status = status
        body = b"" if status == 304 else reply.body
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", reply.content_type)
            handler.send_header("Content-Length", str(len(body)))
            if reply.etag:
                handler.send_header("ETag", reply.etag)
            if reply.last_modified:
                handler.send_header("Last-Modified", reply.last_modified)
            for name, value in reply.headers:
                handler.send_header(name, value)
            handler.end_headers()
            if reply.cut_at is not None:
                handler.wfile.write(body[: reply.cut_at])
                handler.wfile.flush()
                handler.close_connection = True
                handler.connection.shutdown(socket.SHUT_RDWR)
                return
            handler.wfile.write(body)
        except OSError:  # the client timed out and left
            handler.close_connection = True
