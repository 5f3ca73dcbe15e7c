"""Static search: the Pagefind index of paper pages, the search page, the header box."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from paperwire.pipeline import build

from .helpers import StaticServer, make_content, wait_until


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}



def test_index_covers_every_paper_page_and_nothing_else(sample_site):
    # The sample's 326 papers make one shard (tests/test_search_shards.py splits them).
    papers = json.loads((sample_site / "api/papers.json").read_text())
    assert [p.name for p in (sample_site / "pagefind").iterdir()] == ["000"]  # and no words index: one shard
    bundle = sample_site / "pagefind/000"
    assert (bundle / "pagefind.js").is_file() and (sample_site / "search/index.html").is_file()
    assert len(list((bundle / "fragment").iterdir())) == len(papers)
    assert not list(bundle.glob("*.html")) and not (bundle / "pagefind-ui.js").exists()


def test_every_page_has_a_search_box_that_works_without_javascript(sample_site):
    home = (sample_site / "index.html").read_text()
    assert '<form class="site-search" role="search" action="./search/">' in home
    paper = next((sample_site / "papers").glob("*/index.html")).read_text()
    assert 'action="../../search/"' in paper and 'type="search" name="q"' in paper
    assert "data-pagefind-body" in paper and 'data-pagefind-meta="topics:' in paper


def test_index_is_the_same_for_the_same_input(tmp_path):
    content = make_content(tmp_path, copy_sample_corpus=True)
    build(content, tmp_path / "one")
    build(content, tmp_path / "two")
    assert tree_digest(tmp_path / "one/pagefind") == tree_digest(tmp_path / "two/pagefind")


def test_index_is_the_same_whatever_the_number_of_workers(tmp_path, monkeypatch):
    # Pagefind indexes pages in the order their folders are listed, which on
    # tmpfs is the order they were made: if worker processes wrote what it
    # reads, the index would change with the number of workers (ext4 lists by a
    # hash of the name and would hide it). Built on tmpfs here for that reason.
    import paperwire.pipeline

    shm = Path("/dev/shm")
    root = Path(tempfile.mkdtemp(dir=shm)) if shm.is_dir() and os.access(shm, os.W_OK) else tmp_path
    try:
        content = make_content(tmp_path, copy_sample_corpus=True)
        monkeypatch.setattr(paperwire.pipeline, "_CHUNK", 40)  # the sample's papers in nine chunks
        build(content, root / "one", jobs=1)
        build(content, root / "two", jobs=2)
        assert tree_digest(root / "one/pagefind") == tree_digest(root / "two/pagefind")
    finally:
        if root != tmp_path:
            shutil.rmtree(root)


def test_search_sources_are_made_in_slug_order_by_one_process(tmp_path, monkeypatch):
    # What the test above shows on tmpfs, checked on any file system: one
    # process (the indexer, forked from the build) writes every paper's source
    # for Pagefind, in slug order. It was forked, so it tells a file.
    import paperwire.pipeline
    import paperwire.writer

    log = tmp_path / "made.txt"
    make_folder = paperwire.writer._make_folder

    def recording(folder: str) -> None:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()} {folder}\n")
        make_folder(folder)

    monkeypatch.setattr(paperwire.writer, "_make_folder", recording)
    monkeypatch.setattr(paperwire.pipeline, "_CHUNK", 40)
    content = make_content(tmp_path, copy_sample_corpus=True)
    build(content, tmp_path / "site", jobs=2)
    slugs = sorted(p["slug"] for p in json.loads((tmp_path / "site/api/papers.json").read_text()))
    made = [line.split(" ", 1) for line in log.read_text(encoding="utf-8").splitlines()]
    sources = [(pid, Path(folder)) for pid, folder in made
               if ".search-" in folder and ".search-words-" not in folder and Path(folder).parent.name == "papers"]
    assert [folder.name for _, folder in sources] == slugs  # every folder, once, in order
    assert len({pid for pid, _ in sources}) == 1
    # The sources go once indexed.
    scratch = sources[0][1].parent.parent
    assert wait_until(lambda: not scratch.exists())


def test_index_is_pagefinds_index_of_the_published_pages(sample_site, tmp_path):
    # Pagefind indexed each paper's page before the related papers were known;
    # indexing the published pages themselves, folders made in slug order
    # like the build's sources, gives the same index (the sample's one shard).
    import subprocess

    from paperwire.search import pagefind_command

    shm = Path("/dev/shm")
    root = Path(tempfile.mkdtemp(dir=shm)) if shm.is_dir() and os.access(shm, os.W_OK) else tmp_path
    try:
        published = root / "published"
        for page in sorted((sample_site / "papers").glob("*/index.html")):
            copy = published / page.relative_to(sample_site)
            copy.parent.mkdir(parents=True)
            shutil.copyfile(page, copy)
        subprocess.run(pagefind_command(published, published / "pagefind"), check=True)
        assert tree_digest(published / "pagefind") == tree_digest(sample_site / "pagefind/000") | {
            name: digest for name, digest in tree_digest(published / "pagefind").items()
            if name.startswith(("pagefind-ui", "pagefind-modular-ui", "pagefind-component-ui", "pagefind-highlight"))}
    finally:
        if root != tmp_path:
            shutil.rmtree(root)


def test_a_sites_own_paper_template_is_what_search_indexes(tmp_path):
    # Pagefind reads the paper pages as the site's own paper.html renders them
    # (before related papers are known), whatever that template looks like.
    content = make_content(tmp_path, copy_sample_corpus=True)
    (content / "templates").mkdir()
    (content / "templates" / "paper.html").write_text(
        '{% extends "base.html" %}{% block main %}<article data-pagefind-body><h1>{{ paper.title }}</h1>'
        '<p>zyxwvut {{ canonical }}</p>{% for other in related %}{{ other.title }}{% endfor %}</article>'
        '{% endblock %}', encoding="utf-8")
    build(content, tmp_path / "site")
    papers = json.loads((tmp_path / "site/api/papers.json").read_text())
    fragments = list((tmp_path / "site/pagefind/000/fragment").iterdir())
    assert len(fragments) == len(papers)
    assert "zyxwvut" in (tmp_path / "site" / papers[0]["url"] / "index.html").read_text()


def test_a_failing_index_fails_the_build_in_one_line_and_keeps_the_old_site(tmp_path, monkeypatch):
    import sys

    import paperwire.search
    from paperwire.search import SearchIndexError

    content = make_content(tmp_path, copy_sample_corpus=True)
    out = tmp_path / "site"
    build(content, out)
    before = tree_digest(out)
    failing = [sys.executable, "-c", "import sys; sys.stderr.write('no space left\\n'); sys.exit(3)"]
    monkeypatch.setattr(paperwire.search, "pagefind_command", lambda site, bundle: failing)
    with pytest.raises(SearchIndexError, match="indexing failed: no space left"):
        build(content, out, force=True)
    assert tree_digest(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".paperwire-")]  # no staging or scratch left
    import paperwire.writer

    memory = paperwire.writer._MEMORY_FOLDER
    prefix = paperwire.writer._scratch_prefix(out.resolve())
    assert not (memory.is_dir() and [p for p in memory.iterdir() if p.name.startswith(prefix)])


def test_a_build_failing_elsewhere_stops_pagefind(tmp_path, monkeypatch):
    import os
    import sys
    import time

    import paperwire.pipeline
    import paperwire.search
    from paperwire.errors import ContentError

    content = make_content(tmp_path, copy_sample_corpus=True)
    started = tmp_path / "pagefind.pid"
    slow = [sys.executable, "-c", f"import os, time; open({str(started)!r}, 'w').write(str(os.getpid())); "
                                  "time.sleep(60)"]
    monkeypatch.setattr(paperwire.search, "pagefind_command", lambda site, bundle: slow)

    def fail_once_pagefind_runs(renderer):
        deadline = time.monotonic() + 20
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        raise ContentError("topics", None, "disk full")

    # The pages other than the papers' fail, in their own process, while Pagefind runs.
    monkeypatch.setattr(paperwire.pipeline, "render_site", fail_once_pagefind_runs)
    with pytest.raises(ContentError, match="disk full"):
        build(content, tmp_path / "site", jobs=2)
    pid = int(started.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        pytest.fail("Pagefind outlived the failed build")


def search_for(page, url: str, query: str):
    page.goto(url)
    page.locator("#search-q").fill(query)
    first = page.locator("#search-results li.search-result").first
    first.wait_for(timeout=15_000)
    return first


def test_query_from_an_abstract_finds_the_paper_and_links_to_it(page, sample_server, sample_site):
    papers = json.loads((sample_site / "api/papers.json").read_text())
    target = papers[7]
    words = " ".join(target["abstract"].split()[3:9])
    first = search_for(page, sample_server + "search/", words)
    titles = page.locator("#search-results .paper-title a").all_inner_texts()
    assert target["title"] in titles[:5]
    assert first.locator(".search-excerpt mark").count() >= 1
    assert page.locator("#search-results .search-topics").first.inner_text().strip() != ""
    assert "q=" in page.url
    page.locator("#search-results .paper-title a", has_text=target["title"]).first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == target["title"]
    assert page.url.endswith(target["url"])


def test_header_box_submits_to_the_search_page_which_runs_the_query(page, sample_server, sample_site):
    papers = json.loads((sample_site / "api/papers.json").read_text())
    target = papers[0]
    page.goto(sample_server + "topics/")
    page.locator("#site-search-q").fill(target["title"])
    page.locator("#site-search-q").press("Enter")
    page.wait_for_url("**/search/?q=*")
    assert page.locator("#search-q").input_value() == target["title"]
    page.locator("#search-results li.search-result").first.wait_for(timeout=15_000)
    assert page.locator("#search-results .paper-title a").first.inner_text() == target["title"]


def test_search_works_under_a_sub_path(page, sample_site):
    # Serve the folder above the site: the site lives at /site/.
    with StaticServer(sample_site.parent) as server:
        first = search_for(page, server.url + f"{sample_site.name}/search/", "retrieval")
        first.locator(".paper-title a").click()
        page.wait_for_load_state()
        assert f"/{sample_site.name}/papers/" in page.url
        assert page.locator("article.paper-page h1").count() == 1


def test_no_results_says_so(page, sample_server):
    page.goto(sample_server + "search/?q=zzqxjv")
    page.locator("#search-status", has_text="No papers match").wait_for(timeout=15_000)
    assert page.locator("#search-results li").count() == 0
