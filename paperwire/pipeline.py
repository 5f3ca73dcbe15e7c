"""The build, as a table of contents: read, merge, classify, rank, render, write."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

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
from .render.site import Output, SiteData, render_site
from .writer import publish


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


def classify_all(papers: tuple[Paper, ...], topics: tuple[Topic, ...]) -> tuple[Paper, ...]:
    """Return papers with their best one to three topic slugs."""
    return tuple(replace(p, topics=classify(p.title, p.abstract, topics, p.categories)) for p in papers)


def gather(content_dir: Path, keep_going: bool = False, timer: StageTimer | None = None) -> SiteData:
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
    papers = classify_all(papers, topics)
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


def render_all(data: SiteData, content_dir: Path) -> Iterator[Output]:
    """Yield every output of the site: pages, API, static files."""
    env = make_environment(content_dir)
    yield from render_site(data, env)
    yield from render_api(data.papers)
    yield from render_feeds(data)
    yield from render_digest_files(data, env)
    yield from static_files(content_dir)


def build(content_dir: Path, out_dir: Path, keep_going: bool = False,
          log: Callable[[str], None] | None = None) -> BuildResult:
    """Build ``content_dir`` into ``out_dir``; the old output stays if anything fails."""
    timer = StageTimer(log)
    data = gather(content_dir, keep_going, timer)
    written = publish(render_all(data, content_dir), out_dir)
    timer.done("render+write")
    return BuildResult(
        files_read=data.files_read, papers=len(data.papers),
        sightings=sum(len(p.sightings) for p in data.papers), files_written=written,
        seconds=timer.total, unclassified=sum(1 for p in data.papers if p.topics == ("other",)),
        warnings=data.warnings,
    )
