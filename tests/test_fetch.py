"""Fetching the sources against a local server that misbehaves: nothing lost, the corpus never corrupted."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from slugify import slugify
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from paperwire.cli import main
from paperwire.config import FetchConfig, load_site_config
from paperwire.errors import ContentErrors
from paperwire.fetch import FetchReport, open_session
from paperwire.fetch import arxiv_listing, arxiv_query, hf_daily
from paperwire.fetch.client import Client, FetchFailed, retry_after
from paperwire.pipeline import build
from paperwire.readers import read_file

from .fetch_server import FetchServer, Reply, fixture, ok, target
from .helpers import ROOT, free_port, make_content

DAY = dt.date(2026, 1, 5)
NEXT_DAY = dt.date(2026, 1, 6)
QUERY = "cat:cs.CL AND ti:retrieval"
SLUG = "cat-cs-cl-and-ti-retrieval"
HTML_ERROR = b"<!DOCTYPE html><html><head><title>Hugging Face - 502</title></head><body>Bad gateway</body></html>"


def site_yaml(url: str, **fetch: object) -> str:
    """Return a site.yaml whose sources are the local server, with tiny timeouts and no pacing."""
    settings = {"hf_base_url": url, "arxiv_rss_base_url": url, "arxiv_api_base_url": url,
                "user_agent": "paperwire-tests/1.0 (+https://papers.example; mailto:tests@papers.example)",
                "timeout_s": 0.3, "retries": 2, "backoff_s": 0.01, "max_wait_s": 5,
                "hf_min_interval_s": 0, "arxiv_min_interval_s": 0, "hf_page_size": 3, "arxiv_page_size": 2}
    settings.update(fetch)
    lines = "\n".join(f"  {key}: {json.dumps(value)}" for key, value in settings.items())
    return (f"title: Fetch test\nbase_url: https://papers.example/\nsearch:\n  enabled: false\n"
            f"smtp:\n  host: 127.0.0.1\n  port: 8025\n  security: none\n  sender: d <digest@papers.example>\n"
            f"fetch:\n{lines}\n")


@pytest.fixture
def server():
    with FetchServer() as running:
        yield running


@pytest.fixture
def content(tmp_path, server):
    return make_content(tmp_path, site_yaml=site_yaml(server.url))


def day_target(day: dt.date, page: int = 0, limit: int = 3) -> str:
    return target("/api/daily_papers", date=day.isoformat(), p=page, limit=limit)


def query_target(start: int, size: int) -> str:
    return target("/api/query", search_query=QUERY, start=start, max_results=size)


def fetch_days(content: Path, *days: dt.date, sleeps: list | None = None, **session) -> FetchReport:
    """Fetch ``days`` in-process, recording each wait in ``sleeps`` instead of sleeping."""
    sleeps = [] if sleeps is None else sleeps
    with open_session(content, sleep=sleeps.append, **session) as s:
        return FetchReport("hf-daily", tuple(hf_daily.fetch_days(s, list(days))))


def fetch_listing(content: Path, *categories: str, sleeps: list | None = None) -> FetchReport:
    with open_session(content, sleep=(sleeps if sleeps is not None else []).append) as s:
        return FetchReport("arxiv-listing", tuple(arxiv_listing.fetch_categories(s, list(categories))))


def fetch_query(content: Path, max_results: int) -> FetchReport:
    with open_session(content, sleep=lambda seconds: None) as s:
        return FetchReport("arxiv-query", tuple(arxiv_query.fetch_query(s, QUERY, max_results)))


def items(name: str) -> list:
    return json.loads(fixture(name))


def temp_files(content: Path) -> list[Path]:
    return [p for p in content.rglob("*") if p.name.endswith(".part") or ".paperwire-" in p.name]


def good_day(content: Path, day: dt.date = DAY) -> tuple[Path, bytes, int]:
    """Put a good file for ``day`` in the corpus; return its path, bytes and mtime."""
    path = content / "corpus" / "hf-daily" / f"{day.isoformat()}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(fixture("hf_daily_2026-01-06.json"))
    stamp = time.time_ns() - 10**9  # a second ago: any rewrite would show
    os.utime(path, ns=(stamp, stamp))
    return path, path.read_bytes(), path.stat().st_mtime_ns


# -- what is saved where ------------------------------------------------------

def test_pages_of_a_day_are_merged_into_one_array(content, server):
    server.route(day_target(DAY, 0), ok("hf_daily_2026-01-05_p0.json"))
    server.route(day_target(DAY, 1), ok("hf_daily_2026-01-05_p1.json"))
    report = fetch_days(content, DAY)
    assert report.summary() == "fetch hf-daily: 1 fetched, 0 unchanged, 0 failed"
    saved = content / "corpus" / "hf-daily" / "2026-01-05.json"
    first, second = items("hf_daily_2026-01-05_p0.json"), items("hf_daily_2026-01-05_p1.json")
    # Each item as the API sent it; the paper on both pages (the list moved between them) once.
    assert second[0] == first[2]
    assert json.loads(saved.read_bytes()) == first + second[1:]
    # A full page (3 of limit 3) asks for the next; a short one ends the day.
    assert [server.hits(day_target(DAY, p)) for p in (0, 1, 2)] == [1, 1, 0]
    assert server.seen[0].headers["user-agent"] == load_site_config(content).fetch.user_agent
    sightings = read_file(saved, "hf-daily/2026-01-05.json", load_site_config(content), [])
    assert [s.arxiv_id for s in sightings] == ["2601.01234", "2601.01777", "2601.02001", "2601.02345"]
    assert temp_files(content) == []


def test_since_fetches_every_day_once_through_the_command_line(content, server, capsys):
    for day in (dt.date(2026, 1, 3), dt.date(2026, 1, 4), NEXT_DAY):
        server.route(day_target(day), ok("hf_daily_2026-01-06.json"))
    code = main(["fetch", "hf-daily", "--content", str(content), "--since", "2026-01-03", "--until", "2026-01-05"])
    out, err = capsys.readouterr()
    assert (code, out.strip(), err) == (1, "fetch hf-daily: 2 fetched, 0 unchanged, 1 failed",
                                        f"failed: {hf_daily.day_url(server.url, DAY, 0, 3)}: HTTP 404 Not Found\n")
    assert sorted(p.name for p in (content / "corpus" / "hf-daily").iterdir()) == ["2026-01-03.json",
                                                                                  "2026-01-04.json"]
    assert [server.hits(day_target(dt.date(2026, 1, d))) for d in (2, 3, 4, 5, 6)] == [0, 1, 1, 1, 0]


def test_arxiv_listings_are_saved_raw_under_the_feed_date(content, server):
    server.route("/rss/cs.LG", ok("arxiv_listing_cs.LG.xml"))
    rss1 = (ROOT / "tests" / "fixtures" / "arxiv_listing_rss1.rdf").read_bytes()
    server.route("/rss/math.AG", ok(rss1, content_type="application/rdf+xml"))
    report = fetch_listing(content, "cs.LG", "math.AG")
    assert report.summary() == "fetch arxiv-listing: 2 fetched, 0 unchanged, 0 failed"
    corpus = content / "corpus" / "arxiv-listing"
    # RSS 2.0's channel pubDate (Tue, 06 Jan 2026 00:00 -0500) and RSS 1.0's dc:date (2021-01-05T20:30-05:00),
    # each in its own time zone, as the reader dates the papers.
    assert (corpus / "cs.LG" / "2026-01-06.xml").read_bytes() == fixture("arxiv_listing_cs.LG.xml")
    assert (corpus / "math.AG" / "2021-01-05.xml").read_bytes() == rss1


def test_arxiv_query_pages_until_total_results(content, server):
    server.route(query_target(0, 2), ok("arxiv_query_0.atom"))
    server.route(query_target(2, 2), ok("arxiv_query_2.atom"))
    report = fetch_query(content, 10)
    assert report.summary() == "fetch arxiv-query: 2 fetched, 0 unchanged, 0 failed"
    folder = content / "corpus" / "arxiv-query" / SLUG
    assert sorted(p.name for p in folder.iterdir()) == ["0.xml", "2.xml"]
    assert (folder / "2.xml").read_bytes() == fixture("arxiv_query_2.atom")
    # totalResults is 4: two full pages of 2 reach it, so start=4 is never asked for.
    assert server.hits("/api/query") == 2


def test_arxiv_query_never_asks_for_more_than_max(content, server):
    server.route(query_target(0, 2), ok("arxiv_query_0.atom"))
    server.route(query_target(2, 1), ok("arxiv_query_2_max1.atom"))
    report = fetch_query(content, 3)
    assert report.count("fetched") == 2
    assert [s.key for s in server.seen] == [query_target(0, 2), query_target(2, 1)]


def test_arxiv_query_error_entry_is_a_failure(content, server):
    error = fixture("arxiv_query_0.atom").decode()
    error = re.sub(r"<entry>.*</entry>", "<entry><id>http://arxiv.org/api/errors#incorrect_id_format</id>"
                   "<title>Error</title><summary>incorrect id format</summary></entry>", error, flags=re.S)
    server.route(query_target(0, 2), ok(error.encode(), content_type="application/atom+xml"))
    report = fetch_query(content, 2)
    assert [(o.status, o.reason) for o in report.outcomes] == [
        ("failed", "line 10: the arXiv API returned an error: incorrect id format (application/atom+xml)")]
    assert not (content / "corpus" / "arxiv-query").exists()


# -- retries ----------------------------------------------------------------------

@pytest.mark.parametrize("status", [503, 429])
def test_retry_after_in_seconds_is_honoured(content, server, status):
    server.route(day_target(NEXT_DAY), Reply(status, b"busy", "text/plain", headers=(("Retry-After", "1"),)),
                 ok("hf_daily_2026-01-06.json"))
    sleeps: list[float] = []
    report = fetch_days(content, NEXT_DAY, sleeps=sleeps)
    assert report.count("fetched") == 1
    assert sleeps == [1.0]  # the server's word, not the 0.01 s backoff
    assert server.statuses(day_target(NEXT_DAY)) == [status, 200]


def test_retry_after_as_an_http_date_is_honoured(content, server):
    now = 1_767_600_000.0
    when = email.utils.formatdate(now + 3, usegmt=True)
    server.route(day_target(NEXT_DAY), Reply(503, b"", "text/plain", headers=(("Retry-After", when),)),
                 ok("hf_daily_2026-01-06.json"))
    sleeps: list[float] = []
    assert fetch_days(content, NEXT_DAY, sleeps=sleeps, wall_clock=lambda: now).count("fetched") == 1
    assert sleeps == [3.0]


def test_retry_after_parsing():
    assert retry_after("120", 0) == 120.0
    assert retry_after("Thu, 01 Jan 1970 00:01:00 GMT", 30.0) == 30.0
    assert retry_after("Thu, 01 Jan 1970 00:01:00 GMT", 90.0) == 0.0  # already past
    assert retry_after("soon", 0) is None and retry_after(None, 0) is None


def test_retry_after_over_the_cap_fails_without_waiting(content, server):
    server.route(day_target(NEXT_DAY), Reply(429, b"", "text/plain", headers=(("Retry-After", "3600"),)))
    sleeps: list[float] = []
    report = fetch_days(content, NEXT_DAY, sleeps=sleeps)
    assert sleeps == [] and server.hits(day_target(NEXT_DAY)) == 1
    assert report.failed[0].reason == ("HTTP 429 Too Many Requests, and Retry-After asks for 3600 s, "
                                       "over fetch.max_wait_s (5 s)")


def test_backoff_doubles_and_gives_up_after_the_retries(content, server):
    server.route(day_target(NEXT_DAY), Reply(502, b"", "text/plain"))
    sleeps: list[float] = []
    report = fetch_days(content, NEXT_DAY, sleeps=sleeps)
    assert sleeps == [0.01, 0.02]
    assert report.failed[0].reason == "HTTP 502 Bad Gateway (3 attempts)"
    assert server.hits(day_target(NEXT_DAY)) == 3


def test_a_client_error_is_not_retried(content, server):
    server.route("/rss/cs.LG", Reply(403, b"forbidden", "text/plain"))
    report = fetch_listing(content, "cs.LG")
    assert [(o.status, o.reason) for o in report.outcomes] == [("failed", "HTTP 403 Forbidden")]
    assert server.hits("/rss/cs.LG") == 1


def test_timeout_then_success(content, server):
    server.route("/rss/cs.LG", Reply(delay=1.0), ok("arxiv_listing_cs.LG.xml"))
    sleeps: list[float] = []
    started = time.monotonic()
    report = fetch_listing(content, "cs.LG", sleeps=sleeps)
    assert report.summary() == "fetch arxiv-listing: 1 fetched, 0 unchanged, 0 failed"
    assert sleeps == [0.01] and server.hits("/rss/cs.LG") == 2
    assert time.monotonic() - started < 1.0  # gave up after timeout_s (0.3 s), not the server's 1 s
    assert (content / "corpus" / "arxiv-listing" / "cs.LG" / "2026-01-06.xml").is_file()


def test_real_sleeps_through_the_command_line(content, server, capsys):
    # Retry-After: 1 really waited for, then the backoff (0.01 s) after a dropped body.
    body = fixture("hf_daily_2026-01-06.json")
    server.route(day_target(NEXT_DAY), Reply(503, b"", "text/plain", headers=(("Retry-After", "1"),)),
                 Reply(200, body, cut_at=100), Reply(200, body))
    started = time.monotonic()
    assert main(["fetch", "hf-daily", "--content", str(content), "--date", "2026-01-06"]) == 0
    assert time.monotonic() - started >= 1.0
    assert capsys.readouterr().out == "fetch hf-daily: 1 fetched, 0 unchanged, 0 failed\n"
    assert server.statuses(day_target(NEXT_DAY)) == [503, 200, 200]


# -- nothing good is ever replaced by something bad ---------------------------------

def test_a_body_cut_short_never_leaves_a_partial_file(content, server, capsys):
    path, before, mtime = good_day(content)
    body = fixture("hf_daily_2026-01-05_p0.json")
    server.route(day_target(DAY), Reply(200, body, cut_at=len(body) // 2))
    code = main(["fetch", "hf-daily", "--content", str(content), "--date", "2026-01-05"])
    out, err = capsys.readouterr()
    assert code == 1 and out == "fetch hf-daily: 0 fetched, 0 unchanged, 1 failed\n"
    assert err.startswith(f"failed: {hf_daily.day_url(server.url, DAY, 0, 3)}: peer closed connection without sending "
                          "complete message body")
    assert err.endswith("(3 attempts)\n") and err.count("\n") == 1  # one line, no traceback
    assert server.hits(day_target(DAY)) == 3  # retried
    assert (path.read_bytes(), path.stat().st_mtime_ns) == (before, mtime)
    assert temp_files(content) == []


def test_an_html_page_with_status_200_does_not_replace_a_good_file(content, server, capsys):
    path, before, mtime = good_day(content)
    server.route(day_target(DAY), Reply(200, HTML_ERROR, "text/html; charset=utf-8"))
    assert main(["fetch", "hf-daily", "--content", str(content), "--date", "2026-01-05"]) == 1
    out, err = capsys.readouterr()
    assert out == "fetch hf-daily: 0 fetched, 0 unchanged, 1 failed\n"
    assert err.startswith(f"failed: {hf_daily.day_url(server.url, DAY, 0, 3)}: not JSON (text/html): ")
    assert "starts '<!DOCTYPE html><html><head><title>Hug" in err and err.count("\n") == 1
    assert (path.read_bytes(), path.stat().st_mtime_ns) == (before, mtime)
    assert temp_files(content) == []


def test_xml_that_is_no_listing_does_not_replace_it(content, server):
    server.route("/rss/cs.LG", ok("arxiv_listing_cs.LG.xml"))
    fetch_listing(content, "cs.LG")
    path = content / "corpus" / "arxiv-listing" / "cs.LG" / "2026-01-06.xml"
    before = path.read_bytes()
    server.route("/rss/cs.LG", ok("arxiv_query_0.atom"))  # the wrong service's answer, well-formed
    report = fetch_listing(content, "cs.LG")
    assert report.failed[0].reason == "an arXiv API Atom feed (application/atom+xml), not an arXiv listing feed"
    assert path.read_bytes() == before


def test_an_empty_list_never_replaces_a_day_with_papers(content, server):
    path, before, mtime = good_day(content)
    server.route(day_target(DAY), ok(b"[]"))
    report = fetch_days(content, DAY)
    assert report.failed[0].reason == "no papers in the response, but corpus/hf-daily/2026-01-05.json has some: kept it"
    assert (path.read_bytes(), path.stat().st_mtime_ns) == (before, mtime)


def test_an_empty_list_for_a_new_day_writes_nothing(content, server, capsys):
    server.route(day_target(NEXT_DAY), ok(b"[]\n"))
    assert main(["fetch", "hf-daily", "--content", str(content), "--date", "2026-01-06"]) == 0
    assert capsys.readouterr().out == "fetch hf-daily: 0 fetched, 0 unchanged, 1 empty, 0 failed\n"
    assert not (content / "corpus" / "hf-daily").exists()


def test_an_empty_listing_feed_writes_nothing(content, server):
    empty = re.sub(r"\s*<item>.*</item>", "", fixture("arxiv_listing_cs.LG.xml").decode(), flags=re.S)
    server.route("/rss/cs.LG", ok(empty.encode(), content_type="application/rss+xml"))
    assert fetch_listing(content, "cs.LG").summary() == "fetch arxiv-listing: 0 fetched, 0 unchanged, 1 empty, 0 failed"
    assert not (content / "corpus" / "arxiv-listing").exists()


def test_a_failure_on_a_later_page_saves_nothing_of_the_day(content, server):
    server.route(day_target(DAY, 0), ok("hf_daily_2026-01-05_p0.json"))
    server.route(day_target(DAY, 1), Reply(500, b"", "text/plain"))
    report = fetch_days(content, DAY)
    assert report.failed[0].url == hf_daily.day_url(server.url, DAY, 1, 3)
    assert not (content / "corpus" / "hf-daily").exists()


# -- conditional requests -------------------------------------------------------------

def test_an_unchanged_source_costs_a_304_and_rewrites_nothing(content, server, capsys):
    server.route(day_target(DAY, 0), ok("hf_daily_2026-01-05_p0.json", etag='W/"p0-v1"'))
    server.route(day_target(DAY, 1), ok("hf_daily_2026-01-05_p1.json", etag='W/"p1-v1"'))
    last_modified = "Tue, 06 Jan 2026 05:00:00 GMT"
    server.route("/rss/cs.LG", ok("arxiv_listing_cs.LG.xml", last_modified=last_modified))
    argv_hf = ["fetch", "hf-daily", "--content", str(content), "--date", "2026-01-05"]
    argv_rss = ["fetch", "arxiv-listing", "--content", str(content), "--category", "cs.LG"]
    assert main(argv_hf) == 0 and main(argv_rss) == 0
    files = [content / "corpus" / "hf-daily" / "2026-01-05.json",
             content / "corpus" / "arxiv-listing" / "cs.LG" / "2026-01-06.xml", content / ".fetch-state.json"]
    before = [(p.read_bytes(), p.stat().st_mtime_ns) for p in files]
    capsys.readouterr()
    assert main(argv_hf) == 0 and main(argv_rss) == 0
    assert capsys.readouterr().out == ("fetch hf-daily: 0 fetched, 1 unchanged, 0 failed\n"
                                       "fetch arxiv-listing: 0 fetched, 1 unchanged, 0 failed\n")
    assert server.statuses(day_target(DAY, 0)) == [200, 304]
    assert server.statuses(day_target(DAY, 1)) == [200, 304]
    assert server.statuses("/rss/cs.LG") == [200, 304]
    assert server.seen[-1].headers["if-modified-since"] == last_modified
    assert [(p.read_bytes(), p.stat().st_mtime_ns) for p in files] == before
    # The state lives outside corpus/: the build reads neither it nor anything new.
    assert not list((content / "corpus").rglob(".*"))


def test_a_200_with_the_same_bytes_rewrites_nothing(content, server):
    server.route(query_target(0, 2), ok("arxiv_query_0.atom"))
    server.route(query_target(2, 2), ok("arxiv_query_2.atom"))
    fetch_query(content, 10)
    path = content / "corpus" / "arxiv-query" / SLUG / "0.xml"
    stamp = path.stat().st_mtime_ns - 10**9
    os.utime(path, ns=(stamp, stamp))
    assert fetch_query(content, 10).summary() == "fetch arxiv-query: 0 fetched, 2 unchanged, 0 failed"
    assert path.stat().st_mtime_ns == stamp


def test_a_deleted_file_is_fetched_whole_again(content, server):
    server.route(day_target(NEXT_DAY), ok("hf_daily_2026-01-06.json", etag='"v1"'))
    fetch_days(content, NEXT_DAY)
    (content / "corpus" / "hf-daily" / "2026-01-06.json").unlink()
    assert fetch_days(content, NEXT_DAY).count("fetched") == 1
    assert "if-none-match" not in server.seen[-1].headers
    assert server.statuses(day_target(NEXT_DAY)) == [200, 200]


def test_one_changed_page_fetches_the_unchanged_ones_again(content, server):
    server.route(day_target(DAY, 0), ok("hf_daily_2026-01-05_p0.json", etag='"p0"'))
    server.route(day_target(DAY, 1), ok("hf_daily_2026-01-05_p1.json", etag='"p1"'))
    fetch_days(content, DAY)
    later = items("hf_daily_2026-01-05_p1.json")[:1] + items("hf_daily_2026-01-06.json")[:1]
    server.route(day_target(DAY, 1), ok(json.dumps(later).encode(), etag='"p1-v2"'))
    assert fetch_days(content, DAY).count("fetched") == 1
    # Page 0 answered 304, page 1 changed: page 0 is asked for again in full, as the day is one file.
    assert server.statuses(day_target(DAY, 0)) == [200, 304, 200]
    assert "if-none-match" not in server.seen[-1].headers
    saved = json.loads((content / "corpus" / "hf-daily" / "2026-01-05.json").read_bytes())
    assert [item["paper"]["id"] for item in saved] == ["2601.01234", "2601.01777", "2601.02001", "2601.03030"]


# -- the shared client ----------------------------------------------------------------------

class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def test_each_host_is_paced_by_its_own_interval():
    clock = FakeTime()
    config = FetchConfig(hf_base_url="https://hf.example", arxiv_rss_base_url="https://rss.arxiv.example",
                         arxiv_api_base_url="https://export.arxiv.example", hf_min_interval_s=1,
                         arxiv_min_interval_s=3)
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=b"[]"))
    with Client(config, sleep=clock.sleep, clock=lambda: clock.now, transport=transport) as client:
        for url in ("https://export.arxiv.example/api/query", "https://export.arxiv.example/api/query",
                    "https://hf.example/api/daily_papers", "https://hf.example/api/daily_papers",
                    "https://rss.arxiv.example/rss/cs.LG", "https://export.arxiv.example/api/query"):
            client.get(url)
    # arXiv API at 0 and 3; HF at 3 and 4 (its own 1 s); RSS at 4 (another host); the API again at 6.
    assert clock.sleeps == [3.0, 1.0, 2.0]


def test_a_refused_connection_is_retried_then_named(tmp_path):
    port = free_port()  # nothing listens there
    config = FetchConfig(hf_base_url=f"http://127.0.0.1:{port}", retries=1, backoff_s=0.5, hf_min_interval_s=0)
    sleeps: list[float] = []
    with Client(config, sleep=sleeps.append) as client, pytest.raises(FetchFailed) as failed:
        client.get(f"http://127.0.0.1:{port}/api/daily_papers")
    assert sleeps == [0.5]
    assert failed.value.reason.endswith("(2 attempts)") and "refused" in failed.value.reason.lower()


# -- settings and the command line ------------------------------------------------------------

def test_fetch_settings_are_checked_together(tmp_path):
    content = make_content(tmp_path, site_yaml="""\
        fetch:
          hf_base_url: huggingface.co
          user_agent: paperwire
          timeout_s: 0
          arxiv_min_interval_s: -1
          hf_page_size: 500
          min_interval: 3
        """)
    with pytest.raises(ContentErrors) as errors:
        load_site_config(content)
    assert [(e.line, e.message) for e in errors.value.errors] == [
        (2, "'fetch.hf_base_url' must be an absolute http(s) URL"),
        (3, "'fetch.user_agent' must name a contact: an e-mail address or a URL, such as "
            "'mysite/1.0 (mailto:me@example.org)'"),
        (4, "'fetch.timeout_s' must be positive"),
        (5, "'fetch.arxiv_min_interval_s' must not be negative"),
        (6, "'fetch.hf_page_size' must be from 1 to 100"),
        (7, "Unrecognised configuration name 'fetch.min_interval' (did you mean 'hf_min_interval_s'?)"),
    ]


def test_the_sample_site_fetches_politely():
    fetch = load_site_config(ROOT / "content").fetch
    assert fetch == FetchConfig()  # site.yaml spells out the defaults
    assert (fetch.arxiv_min_interval_s, fetch.hf_base_url) == (3.0, "https://huggingface.co")


@pytest.mark.parametrize("argv, message", [
    (["hf-daily", "--until", "2026-01-05"], "paperwire: --until goes with --since\n"),
    (["hf-daily", "--since", "2026-01-06", "--until", "2026-01-05"],
     "paperwire: --since 2026-01-06 is after 2026-01-05, so there is no day to fetch\n"),
    (["arxiv-query", "--query", "::"], "paperwire: the query '::' has no letters or digits to name its folder\n"),
])
def test_command_line_mistakes_exit_2(content, server, capsys, argv, message):
    assert main(["fetch", *argv, "--content", str(content)]) == 2
    assert capsys.readouterr().err == message
    assert server.seen == []


def test_a_bad_category_is_refused_before_any_request(content, server, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["fetch", "arxiv-listing", "--content", str(content), "--category", "../../etc"])
    assert exit_.value.code == 2 and server.seen == []
    assert "is not an arXiv category" in capsys.readouterr().err


def test_a_bad_site_yaml_exits_2(content, capsys):
    (content / "site.yaml").write_text("fetch:\n  user_agent: nobody\n", encoding="utf-8")
    assert main(["fetch", "arxiv-listing", "--content", str(content), "--category", "cs.LG"]) == 2
    assert "'fetch.user_agent' must name a contact" in capsys.readouterr().err


def test_a_terminal_shows_a_progress_bar_once_a_fetch_takes_long(content, server, capsys, monkeypatch):
    from paperwire.cli import DelayedBar

    monkeypatch.setattr(DelayedBar, "DELAY", 0.2)  # two seconds in real use
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    for day in (DAY, NEXT_DAY):
        server.route(day_target(day), Reply(200, fixture("hf_daily_2026-01-06.json"), delay=0.25))
    argv = ["fetch", "hf-daily", "--content", str(content), "--since", "2026-01-05", "--until", "2026-01-06"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "hf 2026-01-06" in err and "100%" in err  # the bar, on stderr, past the delay
    assert out == "fetch hf-daily: 2 fetched, 0 unchanged, 0 failed\n"
    assert main([*argv, "-q"]) == 0
    assert capsys.readouterr() == ("", "")  # quiet: no bar, no summary


# -- the build reads what was fetched ------------------------------------------------------------

def test_the_site_is_built_from_the_fetched_corpus(tmp_path, server):
    content = make_content(tmp_path, site_yaml=site_yaml(server.url))
    server.route(day_target(DAY, 0), ok("hf_daily_2026-01-05_p0.json"))
    server.route(day_target(DAY, 1), ok("hf_daily_2026-01-05_p1.json"))
    server.route(day_target(NEXT_DAY), ok("hf_daily_2026-01-06.json"))
    server.route("/rss/cs.LG", ok("arxiv_listing_cs.LG.xml"))
    server.route(query_target(0, 2), ok("arxiv_query_0.atom"))
    server.route(query_target(2, 2), ok("arxiv_query_2.atom"))
    fetch_days(content, DAY, NEXT_DAY)
    fetch_listing(content, "cs.LG")
    fetch_query(content, 10)
    result = build(content, tmp_path / "site", jobs=1)
    assert result.files_read == 5
    pages = {p.name for p in (tmp_path / "site" / "papers").iterdir() if (p / "index.html").is_file()}
    assert {slugify("Sparse Retrieval Heads for Long-Context Language Models"),  # HF and the listing: one paper
            slugify("Gaussian Splatting for Dynamic Scenes at Scale"),  # HF, the second day
            slugify("Curriculum Learning for Sparse Mixture-of-Experts"),  # the listing
            slugify("Evaluating Retrieval for Long-Form Question Answering")} <= pages  # the query's second page
    assert len(pages) == 6 + 2 + 4


# -- the daily workflow ------------------------------------------------------------------------------

WORKFLOW = ROOT / "examples" / "github-actions" / "daily.yml"


def workflow_steps() -> list[dict]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["schedule"][0]["cron"]
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_the_workflow_publishes_with_pages_and_sends_with_secrets():
    steps = workflow_steps()
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    assert {"actions/checkout", "actions/setup-python", "actions/upload-pages-artifact",
            "actions/deploy-pages"} <= set(uses)
    send = next(step for step in steps if "build.py send" in step.get("run", ""))
    assert send["env"] == {"PAPERWIRE_SMTP_USER": "${{ secrets.SMTP_USER }}",
                           "PAPERWIRE_SMTP_PASSWORD": "${{ secrets.SMTP_PASSWORD }}"}


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.extend((rcpt, envelope.content) for rcpt in envelope.rcpt_tos)
        return "250 2.0.0 Accepted"


def _login(server, session, envelope, mechanism, auth_data):
    ok_ = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"digest", b"s3cret")
    return AuthResult(success=ok_)


def test_every_command_the_workflow_runs_passes_against_the_local_server(tmp_path, server):
    """Each `run:` that calls build.py, as the workflow has it, in a folder laid out like the checkout."""
    commands = [(step, step["run"]) for step in workflow_steps() if "build.py" in step.get("run", "")]
    assert [re.search(r"build\.py (\w+(?: [\w-]+)?)", run)[1] for _, run in commands] == [
        "fetch hf-daily", "fetch arxiv-listing", "build --content", "send --content"]
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=_login,
                      auth_require_tls=False)
    smtp.start()
    try:
        checkout = tmp_path / "checkout"
        checkout.mkdir()
        content = make_content(checkout, site_yaml=site_yaml(server.url, hf_page_size=50).replace(
            "port: 8025", f"port: {smtp.port}"))
        (content / "subscribers.yaml").write_text("subscribers:\n  - address: reader@papers.example\n",
                                                  encoding="utf-8")
        server.route("/api/daily_papers", ok("hf_daily_2026-01-06.json"))  # any day the workflow asks for
        server.route("/rss/cs.LG", ok("arxiv_listing_cs.LG.xml"))
        secrets = {"secrets.SMTP_USER": "digest", "secrets.SMTP_PASSWORD": "s3cret"}
        for step, run in commands:
            env = {k: re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: secrets[m[1]], v)
                   for k, v in step.get("env", {}).items()}
            script = re.sub(r"\bbuild\.py\b", shlex.quote(str(ROOT / "build.py")), run)
            # As GitHub runs a step: bash -e -o pipefail, `python` the installed one.
            done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                                  cwd=checkout, capture_output=True, text=True, timeout=300,
                                  env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
                                       **env})
            assert done.returncode == 0, f"{run}\n{done.stdout}\n{done.stderr}"
    finally:
        smtp.stop()
    yesterday = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)
    assert server.hits(target("/api/daily_papers", date=yesterday.isoformat(), p=0, limit=50)) == 1
    assert (content / "corpus" / "hf-daily" / f"{yesterday.isoformat()}.json").is_file()
    assert (content / "corpus" / "arxiv-listing" / "cs.LG" / "2026-01-06.xml").is_file()
    assert (checkout / "site" / "index.html").is_file()
    assert [rcpt for rcpt, _ in inbox.messages] == ["reader@papers.example"]
