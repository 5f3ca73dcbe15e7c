"""Site search: the search page, and a Pagefind index of the paper pages.

Pagefind reads HTML files and writes a chunked index into the output's
``pagefind/``; the search page loads ``pagefind/pagefind.js``, which fetches
only the index chunks and result fragments a query needs.

Pagefind indexes only a paper page's article (``data-pagefind-body``), and
the related papers lie outside it. So it reads copies of the paper pages
rendered without related papers, written before those are found, and runs
meanwhile; its index is the same, byte for byte. (Pagefind takes longer
than anything else in a small site's build.)
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Iterator

from .errors import ContentError
from .render.site import Output, SiteRenderer
from .writer import remove_later, write_outputs

SEARCH_PAGE = "search/index.html"
BUNDLE_DIR = "pagefind"
INDEXED_COPIES = ".paperwire-search"  # in the staging folder, removed once indexed
# Only paper pages are results; they mark their content with data-pagefind-body.
PAPER_PAGES = "papers/*/index.html"
# The topic chips would open every excerpt with topic names; results show the topics anyway
# (from the article's data-pagefind-meta), and the arXiv links are not prose.
_NOT_INDEXED = ".paper-page .chips, .paper-page .links"
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


def pagefind_command(site: Path, bundle: Path | None = None) -> list[str]:
    """Return the Pagefind command line that indexes the paper pages of ``site`` into ``bundle``.

    Without ``bundle``, the index goes into the site's own ``pagefind/``.
    """
    try:
        # The binary's own package: pagefind.service, which finds it too, first
        # imports asyncio and more, a fortieth of a second on a small site's build.
        from pagefind_bin_extended import get_executable
    except ImportError:
        from pagefind.service import get_executable  # type: ignore[assignment]

    binary = get_executable()
    if binary is None:
        raise SearchIndexError(BUNDLE_DIR, None, "the Pagefind binary was not found; install pagefind[extended]")
    output = ["--output-path", str(bundle)] if bundle else ["--output-subdir", BUNDLE_DIR]
    return [str(binary), "--site", str(site), "--glob", PAPER_PAGES, "--exclude-selectors", _NOT_INDEXED,
            *output, "--silent"]


def indexed_copies(renderer: SiteRenderer) -> Iterator[Output]:
    """Yield the paper pages as Pagefind reads them: ``renderer`` knows no related papers."""
    for paper in renderer.data.papers:
        yield renderer.paper_page(paper.slug)
    renderer.forget_views()


class SearchIndexing:
    """Pagefind indexing copies of the paper pages, in the background.

    Made with the copies (see the module docstring), it writes them into
    the staging folder and starts Pagefind; ``finish`` waits for it, removes
    the copies and returns the paths of the index's files.
    """

    def __init__(self, staging_root: Path, copies: Iterator[Output]):
        self.root = staging_root
        self.copies = staging_root / INDEXED_COPIES
        self.process: subprocess.Popen[str] | None = None
        if write_outputs(self.copies, copies):
            # Without papers there is nothing to find, and Pagefind refuses an empty site.
            self.process = subprocess.Popen(pagefind_command(self.copies, staging_root / BUNDLE_DIR),
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self) -> list[str]:
        """Wait for Pagefind; return the index's files, or raise SearchIndexError."""
        if self.process is None:
            remove_later(self.copies)
            return []
        stdout, stderr = self.process.communicate()
        remove_later(self.copies)
        if self.process.returncode != 0:
            detail = (stderr or stdout).strip().splitlines()
            reason = detail[-1] if detail else f"exit status {self.process.returncode}"
            raise SearchIndexError(BUNDLE_DIR, None, f"indexing failed: {reason}")
        bundle = self.root / BUNDLE_DIR
        for name in _UNUSED_BUNDLE_FILES:
            (bundle / name).unlink(missing_ok=True)
        shutil.rmtree(bundle / "playground", ignore_errors=True)
        return [path.relative_to(self.root).as_posix() for path in sorted(bundle.rglob("*")) if path.is_file()]

    def stop(self) -> None:
        """End Pagefind early (the build failed)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
