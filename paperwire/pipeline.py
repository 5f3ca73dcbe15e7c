"""The build, as a table of contents: read, merge, classify, rank, render, write."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator, Sequence

from .classify import classify
from .config import load_site_config, load_topics
from .merge import merge
from .pages import read_pages
from .rank import rank
from .records import Paper, Topic
from .readers import read_corpus
from .related import related_by_topics
from .render.api import render_api
from .render.digest import render_digest_files
from .render.feeds import render_feeds
from .render.environment import THEME_DIR, make_environment
from .parallel import chunked, default_jobs, map_chunks
from .render.site import Output, SiteData, SiteRenderer, render_site
from .writer import Staging, write_outputs


@dataclass(frozen=True)
class BuildResult:
    files_read: int
    papers: int
    sightings: int
    files_written: int
    seconds: float
    unclassified: int
    warnings: tuple[str, ...]


class StageTimer:
    """Time each stage; report the times through ``log`` in verbose mode."""

    def __init__(self, log: Callable[[str], None] | None):
        self.log = log
        self.start = self.last = time.perf_counter()

    def done(self, stage: str) -> None:
        now = time.perf_counter()
        if self.log:
            self.log(f"{stage:<10} {now - self.last:8.3f} s")
        self.last = now

    @property
    def total(self) -> float:
        return time.perf_counter() - self.start


_CHUNK = 2000  # papers per task: large enough to amortise the hand-off to a worker


def _classify_range(context: tuple[tuple[Paper, ...], tuple[Topic, ...]], span: range) -> list[tuple[str, ...]]:
    papers, topics = context
    return [classify(papers[i].title, papers[i].abstract, topics, papers[i].categories) for i in span]


def classify_all(papers: tuple[Paper, ...], topics: tuple[Topic, ...], jobs: int = 1) -> tuple[Paper, ...]:
    """Return papers with their best one to three topic slugs."""
    spans = [range(i, min(i + _CHUNK, len(papers))) for i in range(0, len(papers), _CHUNK)]
    found = [t for chunk in map_chunks(_classify_range, spans, (papers, topics), jobs) for t in chunk]
    return tuple(replace(p, topics=t) for p, t in zip(papers, found))


def gather(content_dir: Path, keep_going: bool = False, timer: StageTimer | None = None,
           jobs: int = 1) -> SiteData:
    """Read and process all content into the data every renderer shares."""
    timer = timer or StageTimer(None)
    config = load_site_config(content_dir)
    topics = load_topics(content_dir)
    pages = read_pages(content_dir)
    timer.done("config")
    corpus = read_corpus(content_dir / "corpus", config, keep_going)
    timer.done("read")
    papers = merge(corpus.sightings)
    timer.done("merge")
    papers = classify_all(papers, topics, jobs)
    timer.done("classify")
    papers = rank(papers, config.trending)
    related = related_by_topics(papers)
    timer.done("rank")
    return SiteData(config=config, topics=topics, papers=papers, related=related, pages=pages,
                    warnings=corpus.warnings, files_read=corpus.files_read)


def static_files(content_dir: Path) -> Iterator[Output]:
    """Yield the theme's static files, a site's own overriding them by name."""
    chosen: dict[str, Path] = {}
    for folder in (THEME_DIR / "static", content_dir / "templates" / "static"):
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    chosen[path.relative_to(folder).as_posix()] = path
    for name in sorted(chosen):
        yield f"static/{name}", chosen[name].read_bytes()


def _render_paper_pages(context: tuple[SiteRenderer, Path], slugs: Sequence[str]) -> list[PurePosixPath]:
    renderer, staging_root = context
    return write_outputs(staging_root, renderer.paper_pages(slugs))


def render_and_write(data: SiteData, content_dir: Path, staging: Staging, jobs: int) -> None:
    """Render every output into ``staging``; paper pages in ``jobs`` processes."""
    env = make_environment(content_dir)
    renderer = SiteRenderer(data, env)
    env.get_template("paper.html")  # compiled before workers fork, so once
    slugs = [p.slug for p in data.papers]
    for paths in map_chunks(_render_paper_pages, chunked(slugs, _CHUNK), (renderer, staging.root), jobs):
        staging.register(paths)
    staging.write(render_site(renderer))
    staging.write(render_api(data.papers))
    staging.write(render_feeds(data))
    staging.write(render_digest_files(data, env))
    staging.write(static_files(content_dir))


def build(content_dir: Path, out_dir: Path, keep_going: bool = False,
          log: Callable[[str], None] | None = None, jobs: int | None = None) -> BuildResult:
    """Build ``content_dir`` into ``out_dir``; the old output stays if anything fails."""
    jobs = jobs or default_jobs()
    timer = StageTimer(log)
    data = gather(content_dir, keep_going, timer, jobs)
    staging = Staging(out_dir)
    try:
        render_and_write(data, content_dir, staging, jobs)
        timer.done("render")
        written = staging.commit()
    except BaseException:
        staging.abort()
        raise
    return BuildResult(
        files_read=data.files_read, papers=len(data.papers),
        sightings=sum(len(p.sightings) for p in data.papers), files_written=written,
        seconds=timer.total, unclassified=sum(1 for p in data.papers if p.topics == ("other",)),
        warnings=data.warnings,
    )
