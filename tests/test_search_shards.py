"""Sharded search: a Pagefind index per shard of papers, linked when unchanged, merged by the search page."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import paperwire.search
from paperwire.manifest import load_manifest
from paperwire.pipeline import build, gather
from paperwire.search import SearchIndexError, pagefind_command, search_shards

from .helpers import StaticServer, make_content, make_paper
from .test_search import tree_digest

SHARD = 40  # the sample's 326 papers in nine shards


@pytest.fixture
def small_shards(monkeypatch):
    monkeypatch.setattr(paperwire.search, "SHARD_PAPERS", SHARD)


@pytest.fixture
def memory_dir(tmp_path):
    """A folder on tmpfs where there is one: it lists folders in the order they were made, ext4 does not."""
    shm = Path("/dev/shm")
    root = Path(tempfile.mkdtemp(dir=shm)) if shm.is_dir() and os.access(shm, os.W_OK) else tmp_path / "memory"
    yield root
    shutil.rmtree(root, ignore_errors=True)


def new_day(content: Path, papers: list[dict]) -> tuple[list[str], str]:
    """Add a day after the sample's last: three new papers and one seen again; return their titles and its slug."""
    seen_again = next(p for p in papers if p["first_seen"] == max(p["first_seen"] or "" for p in papers))
    titles = [f"Sharded Indexes for Static Search, Part {n}" for n in (1, 2, 3)]
    entries = [(title, f"We index papers in shards, part {n}. Each shard is merged at query time.")
               for n, title in enumerate(titles, 1)] + [(seen_again["title"], seen_again["abstract"])]
    body = "\n\n".join(f"{title}\n\n{abstract}" for title, abstract in entries)
    (content / "corpus" / "999_new_day.txt").write_text(f"Mar 15\n\n{body}\n", encoding="utf-8")
    return titles, seen_again["slug"]


def shard_names(site: Path) -> list[str]:
    return sorted(p.name for p in (site / "pagefind").iterdir())


def test_shards_follow_the_first_sighting_then_the_slug(monkeypatch):
    monkeypatch.setattr(paperwire.search, "SHARD_PAPERS", 2)
    day = dt.date(2025, 3, 1)
    papers = [make_paper("c", days=(day,)), make_paper("a", days=(day + dt.timedelta(days=1),)),
              make_paper("b", days=(day,)), make_paper("z-undated"), make_paper("d", days=(day, day))]
    shards = search_shards(papers)
    # Undated first, then by day; within a shard in slug order, the order Pagefind numbers them.
    assert [(s.name, s.slugs) for s in shards] == [("000", ("b", "z-undated")), ("001", ("c", "d")), ("002", ("a",))]
    assert search_shards([]) == ()


def test_each_shard_indexes_its_papers_and_the_first_holds_the_scripts(small_shards, tmp_path):
    content = make_content(tmp_path, copy_sample_corpus=True)
    site = tmp_path / "site"
    build(content, site)
    shards = search_shards(gather(content).papers)
    assert len(shards) == 9 and shard_names(site) == [s.name for s in shards] + ["words"]
    for shard in shards:
        bundle = site / "pagefind" / shard.name
        assert len(list((bundle / "fragment").iterdir())) == len(shard.slugs)
        scripts = {"pagefind.js", "pagefind-worker.js", "wasm.en.pagefind", "wasm.unknown.pagefind"}
        assert scripts <= {p.name for p in bundle.iterdir()} if shard.name == "000" else \
            not scripts & {p.name for p in bundle.iterdir()}
        assert not list(bundle.glob("pagefind-*ui*")) and not (bundle / "playground").exists()
    search = (site / "search/index.html").read_text()
    assert f'data-shards="{" ".join(s.name for s in shards)}"' in search
    manifest = load_manifest(site)
    assert manifest is not None and sorted(manifest.search) == [s.name for s in shards]
    # The words index: a page per shard, with no scripts of its own, searched unstemmed.
    words = site / "pagefind/words"
    assert len(list((words / "fragment").iterdir())) == len(shards)
    assert '"unknown"' in (words / "pagefind-entry.json").read_text() and not list(words.glob("*.js"))


def test_each_shard_is_pagefinds_index_of_its_published_pages(small_shards, tmp_path, memory_dir):
    # Each shard's sources are its papers' pages before the related papers are
    # known, in slug order: Pagefind's index of the published pages, folders
    # made in that order, is the same (the scripts only in the first shard).
    content = make_content(tmp_path, copy_sample_corpus=True)
    site = tmp_path / "site"
    build(content, site)
    for shard in search_shards(gather(content).papers):
        published = memory_dir / shard.name
        for slug in shard.slugs:
            (published / "papers" / slug).mkdir(parents=True)
            shutil.copyfile(site / "papers" / slug / "index.html", published / "papers" / slug / "index.html")
        subprocess.run(pagefind_command(published, published / "pagefind"), check=True)
        indexed, kept = tree_digest(published / "pagefind"), tree_digest(site / "pagefind" / shard.name)
        assert {name: indexed[name] for name in kept} == kept and "pagefind-entry.json" in kept
        assert all(name.startswith(("pagefind", "wasm.")) for name in set(indexed) - set(kept))


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_new_day_reindexes_only_its_shards_and_the_site_is_a_clean_builds(small_shards, tmp_path, memory_dir,
                                                                            jobs):
    content = make_content(tmp_path, copy_sample_corpus=True)
    site = memory_dir / "site"
    build(content, site, jobs=jobs)
    before = load_manifest(site)
    entries = {name: (site / "pagefind" / name / "pagefind-entry.json").stat().st_ino for name in before.search}
    _, seen_again = new_day(content, json.loads((site / "api/papers.json").read_text()))

    build(content, site, jobs=jobs)
    after = load_manifest(site)
    build(content, memory_dir / "clean", jobs=jobs)
    assert tree_digest(site) == tree_digest(memory_dir / "clean")  # the promise
    assert set(after.search) == set(before.search)  # three papers more still make nine shards
    # The new papers come last; the paper seen again has a new sighting on its page,
    # outside its article: its shard's key changed, not what Pagefind reads of it.
    changed = {name for name in after.search if after.search[name]["key"] != before.search[name]["key"]}
    seen_again_shard = next(s.name for s in search_shards(gather(content).papers) if seen_again in s.slugs)
    assert seen_again_shard != "008" and changed == {"008", seen_again_shard}
    reindexed = {name for name in after.search if after.search[name]["sources"] != before.search[name]["sources"]}
    assert reindexed == {"008"}
    for name, inode in entries.items():  # unchanged shards are the previous output's files, linked
        assert ((site / "pagefind" / name / "pagefind-entry.json").stat().st_ino == inode) == (name not in reindexed)


def test_an_old_papers_new_abstract_reindexes_its_shard(small_shards, tmp_path, memory_dir):
    # What Pagefind reads changed in an old shard: that shard is indexed again.
    content = make_content(tmp_path, copy_sample_corpus=True)
    site = memory_dir / "site"
    build(content, site)
    before = load_manifest(site)
    paper = json.loads((site / "api/papers.json").read_text())[-1]
    old = paper["abstract"][:60]
    corpus = next(path for path in sorted((content / "corpus").iterdir()) if old in path.read_text(encoding="utf-8"))
    corpus.write_text(corpus.read_text(encoding="utf-8").replace(old, "Zyxwvut quasars. " + old), encoding="utf-8")
    build(content, site)
    after = load_manifest(site)
    build(content, memory_dir / "clean")
    assert tree_digest(site) == tree_digest(memory_dir / "clean")
    shard = next(s.name for s in search_shards(gather(content).papers) if paper["slug"] in s.slugs)
    assert {name for name in after.search if after.search[name]["sources"] != before.search[name]["sources"]} == {shard}
    assert "zyxwvut" in after.search[shard]["words"].split()


def test_the_new_days_papers_are_found(small_shards, tmp_path, page):
    content = make_content(tmp_path, copy_sample_corpus=True)
    site = tmp_path / "site"
    build(content, site)
    titles, _ = new_day(content, json.loads((site / "api/papers.json").read_text()))
    build(content, site)
    with StaticServer(site) as server:
        found = all_results(page, server.url, "sharded indexes static search")
    assert {href.rsplit("/papers/", 1)[1].strip("/") for href in found} >= {
        p["slug"] for p in json.loads((site / "api/papers.json").read_text()) if p["title"] in titles}


def test_a_missing_shard_of_the_last_build_is_indexed_again(small_shards, tmp_path):
    content = make_content(tmp_path, copy_sample_corpus=True)
    site = tmp_path / "site"
    build(content, site)
    shutil.rmtree(site / "pagefind" / "003")
    corpus_file = next((content / "corpus").iterdir())
    os.utime(corpus_file, ns=(corpus_file.stat().st_atime_ns, corpus_file.stat().st_mtime_ns + 10**9))  # same papers
    build(content, site)
    build(content, tmp_path / "clean")
    assert tree_digest(site / "pagefind") == tree_digest(tmp_path / "clean" / "pagefind")


def test_a_failing_shard_fails_the_build_and_keeps_the_old_site(small_shards, tmp_path, monkeypatch):
    import sys

    content = make_content(tmp_path, copy_sample_corpus=True)
    out = tmp_path / "site"
    build(content, out)
    before = tree_digest(out)
    real = paperwire.search.pagefind_command

    def third_fails(site: Path, bundle: Path) -> list[str]:
        if bundle.name == "002":
            return [sys.executable, "-c", "import sys; sys.stderr.write('disk quota exceeded\\n'); sys.exit(1)"]
        return real(site, bundle)

    monkeypatch.setattr(paperwire.search, "pagefind_command", third_fails)
    with pytest.raises(SearchIndexError, match="^pagefind/002: indexing failed: disk quota exceeded$"):
        build(content, out, force=True)
    assert tree_digest(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".paperwire-")]


def all_results(page, base_url: str, query: str) -> list[str]:
    """Run ``query`` on the search page and return every result's link, showing more until all are shown."""
    page.goto(base_url + "search/?q=" + query.replace(" ", "+"))
    status = page.locator("#search-status", has_text="match")
    status.wait_for(timeout=15_000)
    text = status.inner_text()
    total = 0 if text.startswith("No papers") else int(text.split()[0])
    shown = 0
    while True:
        shown = min(total, shown + 20)  # the page shows 20 more at a time
        page.wait_for_function(f"document.querySelectorAll('#search-results li').length >= {shown}")
        if shown == total:
            break
        page.locator("#search-more").click()
    assert page.locator("#search-results li").count() == total and page.locator("#search-more").is_hidden()
    return page.locator("#search-results .paper-title a").evaluate_all("links => links.map(a => a.href)")


QUERIES = ["retrieval", "diffusion", "language model", "experts", "reinforcement learning", "benchmark",
           "multi-modal", "agents", "video generation", "Mixture of Experts", "reasoning", "zzqxjv",
           "zzqxjv learning", "transformerzzz", "retr", "\"language model\""]


def rare_words(papers: list[dict], count: int) -> list[str]:
    """Return ``count`` words of one abstract only, spread over the papers: most shards lack each."""
    seen: dict[str, int] = {}
    for paper in papers:
        for word in set(re.findall(r"[a-z]{5,}", paper["abstract"].lower())):
            seen[word] = seen.get(word, 0) + 1
    once = sorted(word for word, n in seen.items() if n == 1)
    return once[:: max(1, len(once) // count)][:count]


def test_queries_find_the_same_papers_in_shards_as_in_one_index(tmp_path, monkeypatch, browser):
    # Merged shards alone would not: a shard lacking a query word drops it, or
    # takes a shorter word it has instead ("at" for "attend"); the words index
    # tells the search page which shards to ask. Rare words, found in one shard,
    # are where that shows; a typo is replaced in all of them.
    content = make_content(tmp_path, copy_sample_corpus=True)
    build(content, tmp_path / "whole")
    monkeypatch.setattr(paperwire.search, "SHARD_PAPERS", SHARD)
    build(content, tmp_path / "sharded")
    assert shard_names(tmp_path / "whole") == ["000"] and len(shard_names(tmp_path / "sharded")) == 10
    papers = json.loads((tmp_path / "whole/api/papers.json").read_text())
    rare = rare_words(papers, 10)
    # Authors and topics are searchable too (the article's text and its topics meta).
    queries = QUERIES + rare + [f"{word} model" for word in rare[:4]] + [word[:4] for word in rare[4:8]] + [
        next((p["authors"][0] for p in papers if p["authors"]), papers[3]["title"]), papers[10]["title"],
        " ".join(papers[20]["abstract"].split()[5:10]), "Retrieval and search"]
    context = browser.new_context()
    page = context.new_page()
    found = {}
    try:
        with StaticServer(tmp_path) as server:
            for query in queries:
                whole = all_results(page, server.url + "whole/", query)
                sharded = all_results(page, server.url + "sharded/", query)
                assert sorted(h.replace("/sharded/", "/whole/") for h in sharded) == sorted(whole), query
                assert len(whole) == len(set(whole))
                found[query] = len(whole)
    finally:
        context.close()
    assert all(found[word] >= 1 for word in rare) and found["zzqxjv"] == 0 and found["transformerzzz"] > 0
    assert sum(n > 0 for n in found.values()) >= len(queries) - 4  # most queries find something
