"""The only module of ``fetch`` that writes: corpus files and the fetch state.

A response becomes a corpus file only when the corpus reader that the build
will use accepts it, and then atomically (a temporary file in the same
folder, fsync, rename), so the corpus never holds half a response. A file
already there is never replaced by a response with no papers, nor rewritten
with the bytes it already has (its mtime, which the build's manifest
watches, stays). The ETag and Last-Modified of each saved response are kept
in ``content/.fetch-state.json``: outside ``corpus/`` and not among the
build's inputs, so remembering them never makes a build stale.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..config import SiteConfig
from ..errors import ContentError
from ..readers import HEAD_BYTES, decode, sniff
from .client import Response, Validators

STATE_FILE = ".fetch-state.json"
_STATE_FORMAT = 1

# The corpus format each source's responses must read as, and its name for messages.
LABELS = {
    "hf-daily-papers-json": "a Hugging Face daily-papers array",
    "arxiv-listing-rss": "an arXiv listing feed",
    "arxiv-api-atom": "an arXiv API Atom feed",
}


class Rejected(Exception):
    """A complete response that must not become a corpus file; its reason is one line."""


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``path`` so that it holds either its old bytes or all of ``data``, even after a crash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Hidden, so neither the build nor a second fetch ever reads one a kill left behind.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself reaches the disk
    finally:
        os.close(folder)


def _starts(data: bytes) -> str:
    head = data[:40].decode("utf-8", "replace")
    return " ".join(head.split()) + ("…" if len(data) > 40 else "")


def papers_in(source: str, data: bytes, config: SiteConfig, expected: str, content_type: str = "") -> int:
    """Return how many papers the corpus reader finds in ``data``; Rejected unless it reads as ``expected``.

    The same steps as ``readers.read_file``, on the bytes in hand, except
    that no papers is an answer (0) here, not an error.
    """
    label = LABELS[expected]
    sent = f" ({content_type.split(';')[0].strip()})" if content_type.strip() else ""
    if len(data) > config.limits.max_file_bytes:
        raise Rejected(f"{len(data)} bytes, over limits.max_file_bytes ({config.limits.max_file_bytes})")
    try:
        fmt = sniff(source, decode(source, data[:HEAD_BYTES], complete=len(data) <= HEAD_BYTES))
    except ContentError as exc:
        raise Rejected(f"not {label}{sent}: {exc.message}; starts {_starts(data)!r}") from None
    if fmt.name != expected:
        raise Rejected(f"{LABELS.get(fmt.name, fmt.name)}{sent}, not {label}")
    try:
        return len(fmt.read(source, decode(source, data), config, []))
    except ContentError as exc:
        raise Rejected(f"{'line ' + str(exc.line) + ': ' if exc.line else ''}{exc.message}{sent}") from None
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError) as exc:
        raise Rejected(f"could not be read ({type(exc).__name__}: {exc}){sent}") from None


class Store:
    """The corpus folder and the fetch state beside it; ``save_state`` writes the state back."""

    def __init__(self, content_dir: Path, config: SiteConfig):
        self.corpus = content_dir / "corpus"
        self.config = config
        self.state_path = content_dir / STATE_FILE
        self.entries: dict[str, dict[str, Any]] = _load_state(self.state_path)
        self.changed = False

    def path(self, relative: str) -> Path:
        return self.corpus / relative

    def remembered(self, url: str) -> dict[str, Any] | None:
        """Return what the last saved response of ``url`` left: its file, validators and counts."""
        entry = self.entries.get(url)
        if entry is None or not isinstance(entry.get("path"), str) or not self.path(entry["path"]).is_file():
            return None  # a file since deleted must be fetched whole again
        return entry

    def validators(self, url: str, relative: str | None = None) -> Validators | None:
        """Return what to send for a conditional GET of ``url``: only while its file (``relative``) is there."""
        entry = self.remembered(url)
        if entry is None or (relative is not None and entry["path"] != relative):
            return None
        validators = Validators(entry.get("etag"), entry.get("last_modified"))
        return validators if validators.headers() else None

    def remember(self, response: Response, relative: str, **counts: int | None) -> None:
        """Keep ``response``'s validators, with the file it went into and what it held."""
        entry = {"path": relative, "etag": response.validators.etag,
                 "last_modified": response.validators.last_modified, **counts}
        if self.entries.get(response.url) != entry:
            self.entries[response.url] = entry
            self.changed = True

    def put(self, relative: str, data: bytes, papers: int) -> str:
        """Save a checked response with ``papers`` papers; return fetched, unchanged or empty.

        Rejected when it has none and the file is already there.
        """
        path = self.path(relative)
        if papers == 0:
            if path.exists():
                raise Rejected(f"no papers in the response, but {self.corpus.name}/{relative} has some: kept it")
            return "empty"
        if path.is_file() and path.read_bytes() == data:
            return "unchanged"
        write_atomically(path, data)
        return "fetched"

    def save_state(self) -> None:
        """Write the state back if it changed, without entries whose file is gone."""
        if not self.changed:
            return
        entries = {url: entry for url, entry in sorted(self.entries.items()) if self.remembered(url) is not None}
        data = json.dumps({"format": _STATE_FORMAT, "urls": entries}, indent=1, ensure_ascii=False) + "\n"
        write_atomically(self.state_path, data.encode("utf-8"))
        self.changed = False


def _load_state(path: Path) -> dict[str, dict[str, Any]]:
    """Return the remembered entries; a missing or damaged state only costs full requests."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    urls = data.get("urls") if isinstance(data, dict) and data.get("format") == _STATE_FORMAT else None
    if not isinstance(urls, dict):
        return {}
    return {url: entry for url, entry in urls.items() if isinstance(entry, dict)}
