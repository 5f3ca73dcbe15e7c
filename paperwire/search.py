"""Site search: the search page, and a Pagefind index of the paper pages.

Pagefind reads each paper page as rendered before the related papers are
known, at its path in a scratch folder (in memory when it fits): the related
papers lie outside the part of the page search sees, so Pagefind indexes
these while the related papers are found and the site is rendered. It
writes a chunked index into the staged site's ``pagefind/``; the search page
loads ``pagefind/pagefind.js``, which fetches only the index chunks and
result fragments a query needs.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Iterator

from .errors import ContentError
from .render.site import Output, SiteRenderer
from .writer import Staging, write_outputs

SEARCH_PAGE = "search/index.html"
BUNDLE_DIR = "pagefind"
# Only paper pages are results; they mark their content with data-pagefind-body.
PAPER_PAGES = "papers/*/index.html"
# The topic chips would open every excerpt with topic names; results show the topics anyway
# (from the article's data-pagefind-meta), and the arXiv links are not prose.
_NOT_INDEXED = ".paper-page .chips, .paper-page .links"
# Room a source takes in a file system, at most: a paper page (about 8 KB), its folder, rounding.
_SOURCE_BYTES = 16_384
# Pagefind's ready-made interfaces; the search page uses pagefind.js directly,
# so these would only be dead weight (and third-party CSS) in the site.
_UNUSED_BUNDLE_FILES = (
    "pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
    "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js",
)


class SearchIndexError(ContentError):
    """Pagefind could not index the site (reported like a content error: one line, exit 2)."""


def search_page(renderer: SiteRenderer) -> Iterator[Output]:
    """Yield the search page, which runs queries in the browser."""
    yield renderer.render("search.html", SEARCH_PAGE, page_title="Search", section="search",
                          description=f"Search the papers of {renderer.config.title}.")


def search_sources(renderer: SiteRenderer) -> Iterator[Output]:
    """Yield what Pagefind indexes, one page per paper, in slug order.

    Pagefind numbers pages in the order their folders are listed, which on
    many file systems is the order they were made: written in one order by
    one process, the index does not depend on the number of workers.
    """
    for slug in sorted(renderer.papers):
        yield renderer.search_source(slug)


def pagefind_command(site: Path, bundle: Path) -> list[str]:
    """Return the Pagefind command line that indexes the paper pages of ``site`` into ``bundle``."""
    try:
        # The binary's own package: pagefind.service, which finds it too, first
        # imports asyncio and more, a fortieth of a second on a small site's build.
        from pagefind_bin_extended import get_executable
    except ImportError:
        from pagefind.service import get_executable  # type: ignore[assignment]

    binary = get_executable()
    if binary is None:
        raise SearchIndexError(BUNDLE_DIR, None, "the Pagefind binary was not found; install pagefind[extended]")
    return [str(binary), "--site", str(site), "--glob", PAPER_PAGES, "--exclude-selectors", _NOT_INDEXED,
            "--output-path", str(bundle), "--silent"]


class SearchIndexing:
    """Pagefind indexing the papers, in the background, into the staged site.

    It starts as soon as the papers are ranked and runs while the build finds
    related papers and renders; ``finish`` waits for it and registers its files.
    """

    def __init__(self, renderer: SiteRenderer, staging: Staging):
        self.staging = staging
        self.process: subprocess.Popen[str] | None = None
        if renderer.papers:  # without papers there is nothing to find, and Pagefind refuses an empty site
            sources = staging.scratch_folder("search", len(renderer.papers) * _SOURCE_BYTES)
            write_outputs(sources, search_sources(renderer))
            self.process = subprocess.Popen(pagefind_command(sources, staging.root / BUNDLE_DIR),
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self) -> None:
        """Wait for Pagefind; register the index's files, or raise SearchIndexError."""
        if self.process is None:
            return
        stdout, stderr = self.process.communicate()
        if self.process.returncode != 0:
            detail = (stderr or stdout).strip().splitlines()
            reason = detail[-1] if detail else f"exit status {self.process.returncode}"
            raise SearchIndexError(BUNDLE_DIR, None, f"indexing failed: {reason}")
        root = self.staging.root
        bundle = root / BUNDLE_DIR
        for name in _UNUSED_BUNDLE_FILES:
            (bundle / name).unlink(missing_ok=True)
        shutil.rmtree(bundle / "playground", ignore_errors=True)
        self.staging.register(path.relative_to(root).as_posix()
                              for path in sorted(bundle.rglob("*")) if path.is_file())

    def stop(self) -> None:
        """End Pagefind early (the build failed)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.communicate()

