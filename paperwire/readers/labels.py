"""Name each corpus file's source as a reader would: "Hugging Face daily papers", "arXiv cs.LG listing".

Pages show these instead of corpus file names, which mean nothing to a reader.
"""

from __future__ import annotations

import re

LABELS = {
    "hf-daily-papers-json": "Hugging Face daily papers",
    "arxiv-api-atom": "arXiv API search",
    "arxiv-listing-rss": "arXiv listing",
    "arxiv-snapshot-jsonl": "arXiv metadata snapshot",
    "trending-text": "trending page",
    "papers-page-markdown": "trending page",  # an export of the same pages
    "papers-page-text": "trending page",
}
# The channel title of arXiv's listing feeds: "cs.LG updates on arXiv.org".
_LISTING_TITLE = re.compile(r"<title>\s*([\w.-]+(?:\s*\+\s*[\w.-]+)*) updates on arXiv", re.IGNORECASE)


def source_label(format_name: str, head: str) -> str:
    """Return the reader-facing name of a file of ``format_name`` whose text starts with ``head``."""
    if format_name == "arxiv-listing-rss":
        match = _LISTING_TITLE.search(head)
        if match:
            return f"arXiv {match[1]} listing"
    return LABELS.get(format_name, "trending page")
