"""The build, as a table of contents: read, merge, classify, rank, render, write."""

from __future__ import annotations

import gc
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Protocol, Sequence

from .classify import classify
from .config import load_site_config, load_topics
from .merge import merge
from .pages import read_pages
from .rank import rank
from .records import Paper, Topic, evolve
from .readers import read_corpus
from .related import related_papers
from .render.api import render_api
from .render.environment import THEME_DIR, make_environment
from .parallel import Background, WorkerMap, chunked, default_jobs, forks_workers, map_chunks
from .render.site import MANY_PAGE_TEMPLATES, Output, SiteData, SiteRenderer, render_site
from .search import SearchIndexing, search_page
from .manifest import LastBuild, Manifest, kept_topics, last_build, page_key, text_key
from .writer import Staging, link_outputs, save_manifest, write_outputs

if TYPE_CHECKING:
    import jinja2


@dataclass(frozen=True)
class BuildResult:
    files_read: int
    papers: int
    sightings: int
    files_written: int
    seconds: float
    unclassified: int
    warnings: tuple[str, ...]
    up_to_date: bool = False  # nothing changed since the last build, nothing was done
    pages_reused: int = 0  # paper pages unchanged since the last build, linked rather than rendered


class Progress(Protocol):
    """The part of a tqdm progress bar the build uses."""

    total: float | None

    def update(self, n: float = 1) -> object: ...

    def set_description_str(self, desc: str) -> object: ...

    def refresh(self) -> object: ...


STAGES = 7  # config, read, merge, classify, rank, related, render: a step of the progress bar each


def _peak_rss_mb() -> float:
    """Return this process's peak resident memory so far, in MB (0 where unknown)."""
    try:
        import resource
    except ImportError:  # not on Unix
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    """Return the CPU time of this process and of its workers that have ended."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


class StageTimer:
    """Time each stage; report times through ``log`` (verbose) and steps to ``progress``."""

    def __init__(self, log: Callable[[str], None] | None, progress: Progress | None = None):
        self.log = log
        self.progress = progress
        self.start = self.last = time.perf_counter()
        self.last_cpu = _cpu_seconds()

    def done(self, stage: str) -> None:
        now, cpu = time.perf_counter(), _cpu_seconds()
        if self.log:
            self.log(f"{stage:<10} {now - self.last:8.3f} s  {cpu - self.last_cpu:7.2f} s CPU  "
                     f"{_peak_rss_mb():6.0f} MB peak")
        self.last, self.last_cpu = now, cpu
        self.step(stage)

    def add_steps(self, steps: int) -> None:
        """Grow the progress bar's total by ``steps``."""
        if self.progress is not None:
            self.progress.total = (self.progress.total or 0) + steps
            self.progress.refresh()

    def step(self, what: str) -> None:
        """Advance the progress bar by one step."""
        if self.progress is not None:
            self.progress.set_description_str(what)
            self.progress.update(1)

    @property
    def total(self) -> float:
        return time.perf_counter() - self.start


_CHUNK = 1000  # papers per task: large enough to amortise the hand-off to a worker


Topics = tuple[str, ...]  # a paper's topic slugs, best first


def _classify_some(context: tuple[tuple[Paper, ...], tuple[Topic, ...]], indices: Sequence[int]) -> list[Topics]:
    papers, topics = context
    return [classify(papers[i].title, papers[i].abstract, topics, papers[i].categories) for i in indices]


def classify_all(papers: tuple[Paper, ...], topics: tuple[Topic, ...], jobs: int = 1,
                 known: Callable[[str], Topics | None] | None = None) -> tuple[tuple[Paper, ...], dict[str, Topics]]:
    """Return papers with their best one to three topic slugs, and the topics of each text by its key.

    ``known`` gives the topics the last build found for a text key, under
    the same topics and code, or None: those texts are not classified again,
    so a new day's rebuild classifies only the new papers.
    """
    keys = [text_key(p.title, p.abstract, p.categories) for p in papers]
    found = [known(key) if known else None for key in keys]
    unknown = [i for i, slugs in enumerate(found) if slugs is None]
    fresh = map_chunks(_classify_some, chunked(unknown, _CHUNK), (papers, topics), jobs)
    for i, slugs in zip(unknown, (slugs for chunk in fresh for slugs in chunk)):
        found[i] = slugs
    return tuple(evolve(p, topics=slugs) for p, slugs in zip(papers, found)), dict(zip(keys, found))


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def gather(content_dir: Path, keep_going: bool = False, timer: StageTimer | None = None,
           jobs: int = 1, known_topics: Callable[[str], Topics | None] | None = None) -> SiteData:
    """Read and process all content into the data every renderer shares (related papers aside).

    ``known_topics``: the last build's topics by text key (see classify_all).
    """
    timer = timer or StageTimer(None)
    config = load_site_config(content_dir)
    topics = load_topics(content_dir)
    pages = read_pages(content_dir)
    timer.done("config")
    corpus = read_corpus(content_dir / "corpus", config, keep_going, jobs)
    # Each stage makes a record per paper; Python's cycle collector, which the
    # allocations set off, would walk every record of the stages before, so a
    # stage's time grew faster than the corpus (rank: 6 µs a paper at 10,000,
    # 15 at 300,000). Records hold no cycles: frozen, the collector skips them,
    # and reference counting still frees them.
    gc.freeze()
    timer.done("read")
    papers = merge(corpus.sightings, corpus.cleaned, jobs)
    gc.freeze()
    timer.done("merge")
    papers, classified = classify_all(papers, topics, jobs, known_topics)
    gc.freeze()
    timer.done("classify")
    # Ranking copies every record, and none is freed until the copies are all
    # made: the collector's full passes over the copies so far made the stage
    # grow faster than the corpus (4 µs a paper at 10,000, 12 at 300,000).
    # The copies hold no cycles, so nothing is left for the collector to free.
    with _cycle_collector_paused():
        papers = rank(papers, config.trending)
    timer.done("rank")
    # Related papers are found later, while the pages that do not show them are rendered.
    return SiteData(config=config, topics=topics, papers=papers, related={}, pages=pages, classified=classified,
                    warnings=corpus.warnings, files_read=corpus.files_read, source_labels=corpus.labels)


# Static files served from the site's root, where browsers and crawlers ask for them.
ROOT_STATIC = frozenset({"favicon.ico"})


def static_files(content_dir: Path) -> Iterator[Output]:
    """Yield the theme's static files, a site's own overriding them by name."""
    chosen: dict[str, Path] = {}
    for folder in (THEME_DIR / "static", content_dir / "templates" / "static"):
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    chosen[path.relative_to(folder).as_posix()] = path
    for name in sorted(chosen):
        yield name if name in ROOT_STATIC else f"static/{name}", chosen[name].read_bytes()


@dataclass(frozen=True)
class PaperJob:
    """What a worker needs to render paper pages, forked from the parent."""

    renderer: SiteRenderer
    staging_root: Path
    previous_out: Path  # the output being replaced, source of unchanged pages
    previous_keys: dict[str, str]  # page path -> key in the previous build
    salt: str


def _render_paper_pages(job: PaperJob, papers: Sequence[Paper]) -> list[tuple[str, str]]:
    """Render (or link, when unchanged) the pages of ``papers``; return their (path, key) pairs."""
    fresh, unchanged, keys = [], [], {}
    job.renderer.receive(papers)
    for slug in [paper.slug for paper in papers]:
        path = f"papers/{slug}/index.html"
        key = keys[path] = page_key(job.salt, job.renderer.paper_key_input(slug))
        if job.previous_keys.get(path) == key and (job.previous_out / path).is_file():
            unchanged.append(path)
        else:
            fresh.append(slug)
    written = write_outputs(job.staging_root, (job.renderer.paper_page(slug) for slug in fresh))
    written += link_outputs(job.staging_root, job.previous_out, unchanged)
    job.renderer.forget_views()
    return [(path, keys[path]) for path in written]


@dataclass(frozen=True)
class RestJob:
    """What the process rendering all but the paper pages needs, forked from the parent."""

    renderer: SiteRenderer
    env: "jinja2.Environment"
    content_dir: Path
    staging_root: Path


def _render_all_but_paper_pages(job: RestJob, _: None) -> list[str]:
    """Write the JSON API, feeds, digest, static files and every page but the papers'; return their paths."""
    # Imported here, not above: feedgen, lxml, css-inline and email take a
    # tenth of a second to load, which a small site's build then spends while
    # the related papers are found instead of before.
    from .render.digest import render_digest_files
    from .render.feeds import feed_lists, render_feeds
    from .render.feeds_page import render_feeds_page
    from .render.opml import render_opml

    renderer, data = job.renderer, job.renderer.data
    search = data.config.search.enabled
    feeds = feed_lists(data)  # the feeds, their OPML list and the feeds page name the same lists
    return write_outputs(job.staging_root, chain(
        render_api(data.papers), render_feeds(data, feeds), render_opml(feeds, data.config),
        render_feeds_page(renderer, feeds), render_digest_files(data, job.env),
        static_files(job.content_dir), render_site(renderer), search_page(renderer) if search else ()))


def render_and_write(data: SiteData, content_dir: Path, staging: Staging, jobs: int, previous: Manifest | None,
                     salt: str, timer: StageTimer) -> tuple[dict[str, str], dict[str, Any]]:
    """Find related papers, render every output into ``staging``, and index the papers for search.

    Only the paper pages show related papers. A thread indexes the papers
    for search (running Pagefind) while this process finds them; then
    ``jobs`` processes render the paper pages, and this one meanwhile renders
    everything else. A process that renders every list touches every paper,
    and so, forked, copies the pages of the whole corpus (half a gigabyte at
    100,000 papers): this one touches them anyway. Where the paper pages are
    few enough for this process to render them alone (a single chunk), the
    rest is instead rendered by a fork while the related papers are found,
    which keeps a small site's build short. Paper pages
    unchanged since ``previous`` are linked, not rendered, and so are search
    index shards. Returns the key of every paper page and of every search
    shard (with its words), for the next build's manifest.
    """
    env = make_environment(content_dir)
    for name in sorted(MANY_PAGE_TEMPLATES | {"_paper_item.html"}):
        env.get_template(name)  # compiled before processes fork, so once
    keys: dict[str, str] = {}
    before_related = SiteRenderer(data, env)  # renders all that shows no related papers
    indexing: SearchIndexing | None = None
    search_keys: dict[str, Any] = {}
    # The papers themselves, pickled to the workers: see SiteRenderer.receive.
    chunks = chunked(data.papers, _CHUNK)
    papers_in_workers = forks_workers(len(chunks), jobs)
    try:
        # With one job, Background runs in this process when its result is asked for.
        with Background(_render_all_but_paper_pages, RestJob(before_related, env, content_dir, staging.root),
                        1 if papers_in_workers else jobs) as rest:
            if data.config.search.enabled:
                # Pagefind indexes the paper pages meanwhile: their searchable part shows no related papers.
                indexing = SearchIndexing(before_related, staging, previous, salt, jobs)
            data = evolve(data, related=related_papers(data.papers, jobs=jobs))
            timer.done("related")
            renderer = SiteRenderer(data, env)
            job = PaperJob(renderer, staging.root, staging.out_dir, previous.pages if previous else {}, salt)
            timer.add_steps(len(chunks))
            if papers_in_workers:
                renderer.prepare_paper_pages()
            with WorkerMap(_render_paper_pages, chunks, job, jobs) as paper_pages:
                if papers_in_workers:
                    staging.register(rest.result())  # rendered here while the workers render paper pages
                for pairs in paper_pages:
                    staging.register(path for path, _ in pairs)
                    keys.update(pairs)
                    timer.step("paper pages")
            if not papers_in_workers:
                staging.register(rest.result())
        if indexing is not None:
            indexing.rest_of_build_done()
            search_keys = indexing.finish()
    finally:
        if indexing is not None:
            indexing.stop()
    return keys, search_keys


def build(content_dir: Path, out_dir: Path, keep_going: bool = False,
          log: Callable[[str], None] | None = None, jobs: int | None = None,
          force: bool = False, progress: Progress | None = None, last: LastBuild | None = None) -> BuildResult:
    """Build ``content_dir`` into ``out_dir``; the old output stays if anything fails.

    Unless ``force``, a build whose inputs are those of the last one does
    nothing, and paper pages whose inputs did not change are reused.
    ``last`` is ``last_build(content_dir, out_dir, force)``, when already known.
    """
    jobs = jobs or default_jobs()
    timer = StageTimer(log, progress)
    last = last or last_build(content_dir, out_dir, force)
    salt, inputs, previous = last.salt, last.inputs, last.previous
    if last.up_to_date:
        timer.done("check")
        return BuildResult(0, 0, 0, 0, timer.total, 0, (), up_to_date=True)
    known_topics = partial(kept_topics, previous) if previous is not None and previous.salt == salt else None
    data = gather(content_dir, keep_going, timer, jobs, known_topics)
    staging = Staging(out_dir)
    try:
        keys, search_keys = render_and_write(data, content_dir, staging, jobs, previous, salt, timer)
        timer.done("render")
        written = staging.commit()
    except BaseException:
        staging.abort()
        raise
    # Written after the swap: a manifest never describes an output that is not there.
    save_manifest(out_dir, Manifest(inputs=inputs, salt=salt, files=written, pages=keys, topics=data.classified,
                                    search=search_keys))
    return BuildResult(
        files_read=data.files_read, papers=len(data.papers),
        sightings=sum(len(p.sightings) for p in data.papers), files_written=written,
        seconds=timer.total, unclassified=sum(1 for p in data.papers if p.topics == ("other",)),
        warnings=data.warnings,
        pages_reused=sum(1 for path, key in keys.items() if previous and previous.pages.get(path) == key),
    )
