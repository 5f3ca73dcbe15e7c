"""``paperwire serve``: builds, serves, rebuilds on change, reloads open pages."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from paperwire.serve import VERSION_PATH

from .helpers import ROOT, free_port, make_content

ABSTRACT = "We propose a new language model for retrieval and show strong gains on benchmarks. " * 3
TIMEOUT = 60


def corpus(abstract: str) -> str:
    return f"Mar 11\nAlpha Paper\n\n{abstract}\n\nBeta Paper\n\n{ABSTRACT}\n"


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def wait_for(check, what: str, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
        except (urllib.error.URLError, ConnectionError):
            result = None
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def preview(tmp_path):
    """A running ``build.py serve`` over a two-paper corpus; yields (url, content, process, output lines)."""
    content = make_content(tmp_path, corpus={"a.txt": corpus("The first version of this abstract. " + ABSTRACT)})
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "serve", "--content", str(content),
         "--out", str(tmp_path / "site"), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
    )
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for(lambda: fetch(url + "papers/alpha-paper/"), "the first build")
        yield url, content, process, lines
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def edit(content, abstract: str) -> None:
    path = content / "corpus/a.txt"
    path.write_text(corpus(abstract), encoding="utf-8")
    os.utime(path, (time.time() + 1, time.time() + 1))  # a new mtime even on coarse clocks


def test_edit_is_rebuilt_and_served_and_ctrl_c_exits_cleanly(preview):
    url, content, process, _ = preview
    page = fetch(url + "papers/alpha-paper/")
    assert "first version" in page and VERSION_PATH in page  # the reload script is injected
    built = (content.parent / "site/papers/alpha-paper/index.html").read_text()
    assert VERSION_PATH not in built  # ...into responses only, never into the built files
    edit(content, "The second version of this abstract. " + ABSTRACT)
    wait_for(lambda: "second version" in fetch(url + "papers/alpha-paper/"), "the edited page")
    # The version is bumped once the build has returned, a moment after its pages are in place.
    wait_for(lambda: fetch(url + VERSION_PATH[1:]) != "0", "the new build's version")
    with urllib.request.urlopen(url + "feed.json", timeout=10) as response:  # JSON Feed's own media type
        assert response.headers["Content-Type"] == "application/feed+json"
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0


def test_broken_edit_prints_the_error_and_keeps_the_last_good_site(preview):
    url, content, _, lines = preview
    version = fetch(url + VERSION_PATH[1:])
    (content / "corpus/a.txt").write_bytes(b"\xff\xfe not text \x00\x01")
    error = wait_for(lambda: [line for line in lines if line.startswith("error: ")], "the error line")
    assert "a.txt" in error[0] and "Traceback" not in "".join(lines)
    assert "first version" in fetch(url + "papers/alpha-paper/")
    assert fetch(url + VERSION_PATH[1:]) == version


def test_open_page_reloads_after_a_rebuild(preview, browser):
    url, content, _, _ = preview
    page = browser.new_page()
    try:
        page.goto(url + "papers/alpha-paper/")
        page.evaluate("window.notReloaded = true")
        edit(content, "The reloaded version of this abstract. " + ABSTRACT)
        page.wait_for_function("!window.notReloaded && document.body.innerText.includes('reloaded version')",
                               timeout=TIMEOUT * 1000)
    finally:
        page.close()
