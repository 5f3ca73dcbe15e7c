"""Download the sources' raw responses into the corpus: ``paperwire fetch SOURCE``.

``client`` is the one HTTP client (timeouts, retries, per-host pacing),
``store`` alone writes (each response checked by the corpus reader the
build will use, then saved atomically), and one module per source turns
its options into requests and its responses into corpus files:
``hf_daily``, ``arxiv_listing`` and ``arxiv_query``.
"""

from __future__ import annotations

from .session import FetchReport, Outcome, Session, open_session

SOURCES = ("hf-daily", "arxiv-listing", "arxiv-query")

__all__ = ["SOURCES", "FetchReport", "Outcome", "Session", "open_session"]
