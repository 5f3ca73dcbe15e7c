"""Site search: the search page, and a Pagefind index of the paper pages, in shards.

The papers are split into shards of at most SHARD_PAPERS, in the order they
were first seen, and Pagefind indexes each shard on its own, one after
another, into ``pagefind/<shard>/``; the search page merges them when it
runs a query (Pagefind's multisite ``mergeIndex``). Pagefind needs about
120 KB of memory a paper, so a shard, not the site, bounds it. A new day's
papers come last and so change only the last shard or two: a shard whose
key (what Pagefind reads of its pages) is the last build's is linked from
the previous output, like an unchanged paper page, and only the others are
indexed again.

Merged shards alone would not find what one index finds: each shard drops
a query word it lacks, or replaces it with the longest word it has that
begins the query word, so a word found in one shard brings every other
shard's pages with (say) "at" for "attend". So ``pagefind/words/`` indexes
one page per shard holding that shard's indexed words, unstemmed: one
index over every word of the site, which drops and replaces query words
as an index of the whole site does. The search page asks it which shards
have every word of the query (its pages matched) and searches those
shards alone. It is small and made again by every build, unless there is
one shard only, which is an index of the whole site.

Pagefind reads each paper page as rendered before the related papers are
known, written into a scratch folder (in memory when it fits) one shard at
a time, just before that shard is indexed: the related papers lie outside
the part of the page search sees. A thread of the build's own process
renders the sources and runs Pagefind, while the build finds the related
papers and renders the site. A thread, not a forked process: a fork that
renders every paper copies every page of the corpus it touches, half a
gigabyte at 100,000 papers, while the thread mostly waits for Pagefind. The
first shard keeps Pagefind's scripts; the search page loads its
``pagefind.js``, which fetches only the index chunks and result fragments a
query needs.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import html
import json
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import cbor2

from .errors import ContentError
from .manifest import page_key
from .parallel import FORK_GUARD
from .render.site import Output, SiteRenderer
from .writer import Staging, link_outputs, write_outputs

if TYPE_CHECKING:
    from .manifest import Manifest
    from .records import Paper

SEARCH_PAGE = "search/index.html"
BUNDLE_DIR = "pagefind"
# Only paper pages are results; they mark their content with data-pagefind-body.
PAPER_PAGES = "papers/*/index.html"
# The topic chips would open every excerpt with topic names; results show the topics anyway
# (from the article's data-pagefind-meta), and the arXiv links are not prose.
_NOT_INDEXED = ".paper-page .chips, .paper-page .links"
# Papers a shard holds at most. Pagefind takes about 120 KB a paper, so about 240 MB for
# a shard; each shard costs a query one more index chunk (about 20 KB a word), so smaller
# shards would make queries heavier.
SHARD_PAPERS = 2_000
# Shards indexed at once after the rest of the build is done. Before, one: the build's
# processes use the cores, and memory stays that of one shard beside them. After, the
# build's workers are gone and one Pagefind alone leaves a core half idle (it is
# parallel in parts only): two take the room of the workers that ended.
_SHARDS_AT_ONCE = 2
# Room a source takes in a file system, at most: a paper page (about 13 KB), its folder, rounding.
_SOURCE_BYTES = 16_384
_WORDS_BYTES = 1 << 20  # and a shard's page of the words index: 2,000 papers have some 20,000 words
# Pagefind's ready-made interfaces; the search page uses pagefind.js directly,
# so these would only be dead weight (and third-party CSS) in the site.
_UNUSED_BUNDLE_FILES = (
    "pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
    "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js",
)
# Pagefind's scripts and WebAssembly, the same in every shard: kept in the first alone,
# which the search page loads and merges the others into.
_SCRIPTS = ("pagefind.js", "pagefind-worker.js")
_WASM = "wasm.*.pagefind"
_ENTRY = "pagefind-entry.json"  # a complete shard has one
WORDS = "words"  # the index of each shard's words, in pagefind/words/
# What Pagefind's index chunks start with, before the CBOR of their words.
_CHUNK_MAGIC = b"pagefind_dcd"


class SearchIndexError(ContentError):
    """Pagefind could not index the site (reported like a content error: one line, exit 2)."""


@dataclass(frozen=True)
class Shard:
    """Papers Pagefind indexes together, into ``pagefind/<name>/``."""

    name: str
    slugs: tuple[str, ...]  # in slug order, the order they are written and so numbered in


def search_shards(papers: Iterable[Paper]) -> tuple[Shard, ...]:
    """Split the papers into shards of SHARD_PAPERS, in the order they were first seen.

    First seen, then slug: a new day's papers, the way a site grows, come
    after all others, so they change the last shard or two and no other.
    Papers without a date come first, so that new days still come last.
    """
    order = sorted(papers, key=lambda p: (p.first_seen or dt.date.min, p.slug))
    return tuple(Shard(f"{number:03d}", tuple(sorted(p.slug for p in order[start:start + SHARD_PAPERS])))
                 for number, start in enumerate(range(0, len(order), SHARD_PAPERS)))


def search_page(renderer: SiteRenderer) -> Iterator[Output]:
    """Yield the search page, which runs queries in the browser over every shard."""
    yield renderer.render("search.html", SEARCH_PAGE, page_title="Search", section="search",
                          description=f"Search the papers of {renderer.config.title}.",
                          shards=[shard.name for shard in search_shards(renderer.data.papers)])


def search_sources(renderer: SiteRenderer, slugs: Iterable[str]) -> Iterator[Output]:
    """Yield what Pagefind indexes of the papers ``slugs``, one page each, in the order given.

    Pagefind numbers pages in the order their folders are listed, which on
    many file systems is the order they were made: written in one order by
    one process, the index does not depend on the number of workers.
    """
    for slug in slugs:
        yield renderer.search_source(slug)


def _pagefind_binary() -> Path:
    try:
        # The binary's own package: pagefind.service, which finds it too, first
        # imports asyncio and more, a fortieth of a second on a small site's build.
        from pagefind_bin_extended import get_executable
    except ImportError:
        from pagefind.service import get_executable  # type: ignore[assignment]

    binary = get_executable()
    if binary is None:
        raise SearchIndexError(BUNDLE_DIR, None, "the Pagefind binary was not found; install pagefind[extended]")
    return Path(binary)


def pagefind_command(site: Path, bundle: Path) -> list[str]:
    """Return the Pagefind command line that indexes the paper pages of ``site`` into ``bundle``."""
    return [str(_pagefind_binary()), "--site", str(site), "--glob", PAPER_PAGES, "--exclude-selectors", _NOT_INDEXED,
            "--output-path", str(bundle), "--silent"]


def pagefind_identity() -> tuple[str, int, int]:
    """Return what stands for the Pagefind in use: its binary's path, size and modification time."""
    binary = _pagefind_binary()
    stat = binary.stat()
    return str(binary), stat.st_size, stat.st_mtime_ns


def shard_key(renderer: SiteRenderer, salt: str, pagefind: tuple[str, int, int], shard: Shard) -> str:
    """Return the key of a shard's index: its name, the Pagefind in use and each page it reads.

    ``renderer`` knows no related papers, as when the sources are rendered:
    each paper's key input is then that of the page Pagefind reads. The
    first shard, which keeps Pagefind's scripts, is always named 000.
    """
    return page_key(salt, (shard.name, pagefind, tuple(renderer.paper_key_input(slug) for slug in shard.slugs)))


@dataclass(frozen=True)
class IndexJob:
    """What the thread indexing the shards needs."""

    renderer: SiteRenderer  # knows no related papers
    staging_root: Path
    previous_out: Path  # the output being replaced, source of unchanged shards
    previous: dict[str, Any]  # shard name -> what the previous build's manifest says of it (see _index_shards)
    salt: str
    pagefind: tuple[str, int, int]
    shards: tuple[Shard, ...]
    sources: tuple[Path, ...]  # a scratch folder for each shard's sources
    words_sources: Path  # and one for the pages of the words index
    rest_done: threading.Event  # set once the rest of the build is done
    shards_at_once: int  # then, at most _SHARDS_AT_ONCE, and no more than the build's jobs
    running: "_Running"


class _Stopped(Exception):
    """The build stopped the indexing (it failed, or was interrupted)."""


class _Running:
    """The Pagefinds running, which the build kills when it stops; none starts after that."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.indexings: list[_Indexing] = []
        self.stopped = False

    def start(self, job: IndexJob, name: str, sources: Path) -> "_Indexing":
        with self.lock:
            if self.stopped:
                raise _Stopped
            indexing = _Indexing(job, name, sources)
            self.indexings.append(indexing)
        return indexing

    def ended(self, indexing: "_Indexing") -> None:
        with self.lock:
            self.indexings.remove(indexing)

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            for indexing in self.indexings:
                indexing.kill()

    def __iter__(self) -> Iterator["_Indexing"]:
        return iter(list(self.indexings))

    def __len__(self) -> int:
        return len(self.indexings)


class _Indexing:
    """Pagefind indexing one shard's sources (or the words index's) into the staged site."""

    def __init__(self, job: IndexJob, name: str, sources: Path):
        self.name, self.sources = name, sources
        self.bundle = job.staging_root / BUNDLE_DIR / name
        self.primary = name == job.shards[0].name
        self.killed = False
        self.process = subprocess.Popen(pagefind_command(sources, self.bundle), stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)

    def finish(self) -> None:
        """Wait for Pagefind; drop what the site does not use, and the sources; or raise SearchIndexError."""
        stdout, stderr = self.process.communicate()
        if self.killed:
            raise _Stopped
        if self.process.returncode != 0:
            detail = (stderr or stdout).strip().splitlines()
            reason = detail[-1] if detail else f"exit status {self.process.returncode}"
            raise SearchIndexError(f"{BUNDLE_DIR}/{self.name}", None, f"indexing failed: {reason}")
        unused = [self.bundle / name for name in _UNUSED_BUNDLE_FILES]
        if not self.primary:
            unused += [self.bundle / name for name in _SCRIPTS] + list(self.bundle.glob(_WASM))
        for path in unused:
            path.unlink(missing_ok=True)
        shutil.rmtree(self.bundle / "playground", ignore_errors=True)
        shutil.rmtree(self.sources, ignore_errors=True)

    def kill(self) -> None:
        """Kill Pagefind; the indexing thread reaps it (from any thread: this only sends the signal)."""
        self.killed = True
        self.process.kill()  # a no-op once it has been reaped

    def reap(self) -> None:
        """Kill Pagefind if it still runs, and wait for it (the indexing thread only)."""
        self.kill()
        self.process.wait()
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()


def indexed_words(bundle: Path) -> set[str]:
    """Return the words a Pagefind bundle indexed: the first item of each entry of its index chunks.

    A chunk is "pagefind_dcd" and CBOR: an array holding the array of word
    entries, each [word, pages, variants]. cbor2's C decoder reads a chunk
    in about half the time that stepping over its items in Python took.
    """
    words: set[str] = set()
    for chunk in sorted((bundle / "index").glob("*.pf_index")):
        data = gzip.decompress(chunk.read_bytes())
        try:
            if not data.startswith(_CHUNK_MAGIC):
                raise ValueError("no magic")
            words.update(entry[0] for entry in cbor2.loads(data[len(_CHUNK_MAGIC):])[0])
        except (ValueError, TypeError, IndexError, KeyError, cbor2.CBORDecodeError):
            raise SearchIndexError(chunk.relative_to(bundle.parent.parent).as_posix(), None,
                                   "not a Pagefind index chunk of a known format") from None
    return words


def _words_pages(shards: Iterable[Shard], words: dict[str, str]) -> Iterator[Output]:
    """Yield the words index's sources: a page per shard, its words (joined in order), with no language.

    With no language Pagefind does not stem them (they are stems already);
    the search page merges the index as such and stems queries as for the
    shards. Never published. No filter names the shard: Pagefind writes a
    filter's values in no fixed order (see _words_shards).
    """
    for shard in shards:
        yield (f"papers/{shard.name}/index.html",
               f"<!doctype html><html><body><p>{html.escape(words[shard.name])}</p></body></html>".encode())


def _words_shards(bundle: Path) -> Output:
    """Return pagefind/words/shards.json: the shard of each page of the words index, by its result id.

    A result's id is its fragment's name; a fragment is "pagefind_dcd" and
    the JSON of the page, whose URL (papers/<shard>/) names the shard.
    """
    shards = {}
    for fragment in sorted((bundle / "fragment").glob("*.pf_fragment")):
        page = json.loads(gzip.decompress(fragment.read_bytes())[len(_CHUNK_MAGIC):])
        shards[fragment.stem] = page["url"].strip("/").rpartition("/")[2]
    return f"{BUNDLE_DIR}/{WORDS}/shards.json", json.dumps(shards, sort_keys=True).encode()


def _link_shards(job: IndexJob, shards: Iterable[Shard]) -> None:
    """Hard-link the unchanged shards' index files from the previous output."""
    for shard in shards:
        folder = job.previous_out / BUNDLE_DIR / shard.name
        link_outputs(job.staging_root, job.previous_out,
                     (path.relative_to(job.previous_out).as_posix() for path in sorted(folder.rglob("*"))
                      if path.is_file()))


def _previous_words(job: IndexJob, shard: Shard, field: str, value: str) -> str | None:
    """Return the words the last build found in ``shard`` (joined), if its ``field`` was ``value`` and its index is there."""
    entry = job.previous.get(shard.name)
    if (isinstance(entry, dict) and entry.get(field) == value and isinstance(entry.get("words"), str)
            and (job.previous_out / BUNDLE_DIR / shard.name / _ENTRY).is_file()):
        return entry["words"]
    return None


def sources_digest(job: IndexJob, shard: Shard, sources: list[Output]) -> str:
    """Return the key of what Pagefind would read for ``shard``: its name, the Pagefind in use and each source's bytes."""
    digest = hashlib.blake2b(job.salt.encode(), digest_size=16)
    digest.update(repr((shard.name, job.pagefind)).encode())
    for path, data in sources:
        digest.update(b"\0%d\0%s\0" % (len(data), path.encode()))
        digest.update(data)
    return digest.hexdigest()


def _index_shards(job: IndexJob) -> dict[str, dict[str, str]]:
    """Link the unchanged shards and index the others, one at a time (two once the build is done), then the words index.

    A shard is unchanged when its key (its papers' inputs) is the last
    build's, or else when the sources rendered from them are the very bytes
    the last build indexed: a paper seen again, or with more upvotes, changes
    its page but not its article, which is all Pagefind reads. Returns, for
    the next build's manifest, each shard's key, sources' digest and words.
    A shard's sources are written while Pagefind indexes the ones before, and
    removed once indexed, so that they too take the room of a few shards at most.
    Rendering holds FORK_GUARD: a process forked meanwhile would start with
    the template cache's lock held by a thread it does not have.
    """
    with FORK_GUARD:
        keys = {shard.name: shard_key(job.renderer, job.salt, job.pagefind, shard) for shard in job.shards}
    digests: dict[str, str] = {}
    words: dict[str, str] = {}  # shard name -> the words its index holds, in order, joined by spaces
    for shard in job.shards:
        kept = _previous_words(job, shard, "key", keys[shard.name])
        if kept is not None:
            words[shard.name] = kept
            digests[shard.name] = job.previous[shard.name].get("sources", "")
    to_link = [shard for shard in job.shards if shard.name in words]  # linked while the first changed shard is indexed
    running = job.running
    try:
        for shard, folder in zip(job.shards, job.sources):
            if shard.name in words:
                continue
            with FORK_GUARD:
                sources = list(search_sources(job.renderer, shard.slugs))
            digests[shard.name] = sources_digest(job, shard, sources)
            kept = _previous_words(job, shard, "sources", digests[shard.name])
            if kept is not None:
                words[shard.name] = kept
                to_link.append(shard)
                continue
            write_outputs(folder, sources)  # while Pagefind indexes the shards before
            del sources
            finished = _wait_for_room(job)
            running.start(job, shard.name, folder)
            for done in finished:  # read while Pagefind indexes the next shard
                words[done.name] = " ".join(sorted(indexed_words(done.bundle)))
            _link_shards(job, to_link)
            to_link = []
        _link_shards(job, to_link)
        for done in running:
            done.finish()  # still running meanwhile: a stopped build kills it
            running.ended(done)
            words[done.name] = " ".join(sorted(indexed_words(done.bundle)))
        if len(job.shards) > 1:
            # Written in shard order whichever shards were linked: Pagefind numbers pages in that order.
            write_outputs(job.words_sources, _words_pages(job.shards, words))
            words_index = running.start(job, WORDS, job.words_sources)
            words_index.finish()
            running.ended(words_index)
            write_outputs(job.staging_root, [_words_shards(words_index.bundle)])
    finally:
        running.stop()  # kills what is left when indexing failed or was stopped
        for indexing in running:
            indexing.reap()
    return {name: {"key": keys[name], "sources": digests[name], "words": words[name]} for name in keys}


def _wait_for_room(job: IndexJob) -> list[_Indexing]:
    """Wait until another shard may be indexed (see _SHARDS_AT_ONCE); return the indexings that ended meanwhile."""
    finished = []
    while len(job.running):
        for indexing in [i for i in job.running if i.process.poll() is not None]:
            indexing.finish()
            job.running.ended(indexing)
            finished.append(indexing)
        if len(job.running) < (job.shards_at_once if job.rest_done.is_set() else 1):
            break
        job.rest_done.wait(0.05)
    return finished


class SearchIndexing:
    """The search index, made beside the build into the staged site.

    It starts as soon as the papers are ranked and runs in a thread while the
    build finds related papers and renders; ``finish`` waits for it and
    registers its files. With one job it is made in ``finish``, after the rest.
    """

    def __init__(self, renderer: SiteRenderer, staging: Staging, previous: Manifest | None, salt: str, jobs: int):
        self.staging = staging
        self.job: IndexJob | None = None
        self.thread: threading.Thread | None = None
        self.outcome: dict[str, dict[str, str]] | BaseException | None = None
        shards = search_shards(renderer.data.papers)
        if shards:  # without papers there is nothing to find, and Pagefind refuses an empty site
            sources = tuple(staging.scratch_folder(f"search-{shard.name}", len(shard.slugs) * _SOURCE_BYTES)
                            for shard in shards)
            words_sources = staging.scratch_folder(f"search-{WORDS}", len(shards) * _WORDS_BYTES)
            self.job = IndexJob(renderer, staging.root, staging.out_dir, previous.search if previous else {}, salt,
                                pagefind_identity(), shards, sources, words_sources, threading.Event(),
                                max(1, min(_SHARDS_AT_ONCE, jobs)), _Running())
            if jobs > 1:
                self.thread = threading.Thread(target=self._index, name="search index", daemon=True)
                self.thread.start()

    def _index(self) -> None:
        assert self.job is not None
        try:
            self.outcome = _index_shards(self.job)
        except BaseException as error:  # noqa: BLE001 - handed to the build's thread by finish()
            self.outcome = error

    def rest_of_build_done(self) -> None:
        """Say that the rest of the build is done: the index may take the cores (see _SHARDS_AT_ONCE)."""
        if self.job is not None:
            self.job.rest_done.set()

    def finish(self) -> dict[str, dict[str, str]]:
        """Wait for the index; register its files and return each shard's key and words, or raise SearchIndexError."""
        if self.job is None:
            return {}
        if self.thread is None:
            self._index()
        else:
            self.thread.join()
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        assert self.outcome is not None
        root = self.staging.root
        self.staging.register(path.relative_to(root).as_posix()
                              for path in sorted((root / BUNDLE_DIR).rglob("*")) if path.is_file())
        return self.outcome

    def stop(self) -> None:
        """End the indexing, and Pagefind with it (the build failed, or the index is done)."""
        if self.job is not None:
            self.job.running.stop()
        if self.thread is not None:
            self.thread.join()
