"""Read every file under the corpus folder into sightings.

Each reader recognises its format by content, so a file's name does not
matter. Files are read in sorted path order so output never depends on the
order the file system lists them in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, NamedTuple

from ..clean import clean_text
from ..config import SiteConfig
from ..errors import ContentError
from ..parallel import chunked, map_chunks
from ..records import Corpus, Sighting
from .arxiv_atom import looks_like_arxiv_atom, read_arxiv_atom
from .arxiv_listing import looks_like_arxiv_listing, read_arxiv_listing
from .hf_json import looks_like_hf_json, read_hf_json
from .labels import source_label
from .search_text import looks_like_search_text, read_search_text
from .snapshot import looks_like_snapshot, read_snapshot
from .trending_markdown import looks_like_trending_markdown, read_trending_markdown
from .trending_text import looks_like_trending_text, read_trending_text

# Sniffers see only this much of a file's start, so a huge file is never
# loaded just to learn what it is.
HEAD_BYTES = 64 * 1024


class Format(NamedTuple):
    """A corpus format: how to recognise it and how to read it.

    A streaming reader gets the file's path and reads it line by line; it is
    exempt from ``limits.max_file_bytes``, which guards loading a whole file.
    Every other reader gets the file's decoded text.
    """

    name: str
    sniff: Callable[[str], bool]  # given the decoded head of the file
    read: Callable[..., list[Sighting]]  # (source, text or path, config, warnings)
    streams: bool = False


def _read_trending(source: str, text: str, config: SiteConfig, warnings: list[str]) -> list[Sighting]:
    return read_trending_text(source, text, config.default_year, warnings)


def _read_search_text(source: str, text: str, config: SiteConfig, warnings: list[str]) -> list[Sighting]:
    return read_search_text(source, text, config.default_year, warnings)


def _read_trending_markdown(source: str, text: str, config: SiteConfig, warnings: list[str]) -> list[Sighting]:
    return read_trending_markdown(source, text, config.default_year, warnings)


def _read_hf_json(source: str, text: str, config: SiteConfig, warnings: list[str]) -> list[Sighting]:
    return read_hf_json(source, text, warnings)


def _read_arxiv_atom(source: str, text: str, config: SiteConfig, warnings: list[str]) -> list[Sighting]:
    return read_arxiv_atom(source, text, warnings)


def _read_arxiv_listing(source: str, text: str, config: SiteConfig, warnings: list[str]) -> list[Sighting]:
    return read_arxiv_listing(source, text, warnings)


def _read_snapshot(source: str, path: Path, config: SiteConfig, warnings: list[str]) -> list[Sighting]:
    return read_snapshot(source, path, config.snapshot, config.limits.max_entries_per_file, warnings)


# Order matters: the first format whose sniffer accepts a file reads it.
# The exports of the papers pages come after JSON and XML, which they may
# quote: first the plain-text one, whose addresses on lines of their own a
# Markdown export never has (it may keep a stray Markdown link), then the
# Markdown one, whose links and headings the scraped trending text never
# has. That text, which has no marker of its own, comes last.
READERS: tuple[Format, ...] = (
    Format("hf-daily-papers-json", looks_like_hf_json, _read_hf_json),
    Format("arxiv-api-atom", looks_like_arxiv_atom, _read_arxiv_atom),
    Format("arxiv-listing-rss", looks_like_arxiv_listing, _read_arxiv_listing),
    Format("arxiv-snapshot-jsonl", looks_like_snapshot, _read_snapshot, streams=True),
    Format("papers-page-text", looks_like_search_text, _read_search_text),
    Format("papers-page-markdown", looks_like_trending_markdown, _read_trending_markdown),
    Format("trending-text", looks_like_trending_text, _read_trending),
)


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Return the corpus's files in a stable order, hidden files excluded."""
    files = [p for p in corpus_dir.rglob("*") if p.is_file()]
    visible = [p for p in files if not any(part.startswith(".") for part in p.relative_to(corpus_dir).parts)]
    return sorted(visible, key=lambda p: p.relative_to(corpus_dir).as_posix())


def decode(source: str, data: bytes, complete: bool = True) -> str:
    """Return ``data`` as text, or raise a ContentError naming the bad line.

    With ``complete`` false, ``data`` is a file's head, and a character cut
    in two at its end is dropped rather than reported.
    """
    if b"\x00" in data:
        # A binary file has no meaningful lines; name the file's start.
        raise ContentError(source, 1, "binary file (NUL byte), not a text corpus file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if not complete and exc.reason == "unexpected end of data":
            return data[: exc.start].decode("utf-8-sig")
        line = data[: exc.start].count(b"\n") + 1
        raise ContentError(source, line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x})") from None


_JSON_HINT = " (JSON, but neither a Hugging Face daily-papers array nor arXiv snapshot lines)"
_UNKNOWN_HINTS = {"[": _JSON_HINT, "{": _JSON_HINT,
                  "<": " (XML, but neither an arXiv API Atom feed nor an arXiv listing feed)"}


def sniff(source: str, head: str) -> Format:
    """Return the format of a file from its head, or raise a ContentError."""
    for fmt in READERS:
        if fmt.sniff(head):
            return fmt
    hint = _UNKNOWN_HINTS.get(head.lstrip()[:1], "")
    raise ContentError(source, 1, "not a format paperwire can read" + hint)


def read_file(path: Path, source: str, config: SiteConfig, warnings: list[str]) -> list[Sighting]:
    """Return the sightings in one corpus file, or raise ContentError."""
    return read_labelled_file(path, source, config, warnings)[0]


def read_labelled_file(path: Path, source: str, config: SiteConfig,
                       warnings: list[str]) -> tuple[list[Sighting], str]:
    """Return the sightings in one corpus file and its source's name for readers, or raise ContentError."""
    with path.open("rb") as stream:
        head = stream.read(HEAD_BYTES)
    text_head = decode(source, head, complete=len(head) < HEAD_BYTES)
    fmt = sniff(source, text_head)
    if fmt.streams:
        sightings = fmt.read(source, path, config, warnings)
    else:
        size = path.stat().st_size
        if size > config.limits.max_file_bytes:
            raise ContentError(source, None, f"file is {size} bytes, over limits.max_file_bytes "
                                             f"({config.limits.max_file_bytes})")
        sightings = fmt.read(source, decode(source, path.read_bytes()), config, warnings)
    if not sightings:
        raise ContentError(source, 1, "no papers found in this file")
    return _apply_limits(source, sightings, config, warnings), source_label(fmt.name, text_head)


def _apply_limits(source: str, sightings: list[Sighting], config: SiteConfig,
                  warnings: list[str]) -> list[Sighting]:
    limits = config.limits
    if len(sightings) > limits.max_entries_per_file:
        warnings.append(f"{source}: {len(sightings)} entries, keeping the first "
                        f"{limits.max_entries_per_file} (limits.max_entries_per_file)")
        sightings = sightings[: limits.max_entries_per_file]
    kept = []
    for s in sightings:
        if len(s.raw_title) > limits.max_title_chars:
            warnings.append(f"{source}:{s.line}: title over {limits.max_title_chars} characters, truncated")
            s = replace(s, raw_title=s.raw_title[: limits.max_title_chars])
        kept.append(s)
    return kept


@dataclass(frozen=True)
class FileResult:
    """What reading one corpus file gave: sightings, or the error that stopped it."""

    path: Path
    sightings: list[Sighting]
    warnings: list[str]
    error: ContentError | None
    cleaned: dict[str, str]  # raw text -> clean_text, done where the file was read
    label: str = ""  # the source's name for readers


def _read_one(path: Path, corpus_dir: Path, config: SiteConfig) -> FileResult:
    source = path.relative_to(corpus_dir).as_posix()
    warnings: list[str] = []
    try:
        sightings, label = read_labelled_file(path, source, config, warnings)
    except ContentError as exc:
        exc.path = str(path)  # name the file as the user sees it
        return FileResult(path, [], warnings, exc, {})
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError) as exc:
        # A reader bug on odd input must still end in one line naming the file.
        error = ContentError(str(path), None, f"could not be read ({type(exc).__name__}: {exc})")
        return FileResult(path, [], warnings, error, {})
    texts = {t for s in sightings for t in (s.raw_title, s.raw_abstract, *s.authors)}
    return FileResult(path, sightings, warnings, None, {t: clean_text(t) for t in texts}, label)


def _read_files(context: tuple[Path, SiteConfig], paths: list[Path]) -> list[FileResult]:
    corpus_dir, config = context
    return [_read_one(path, corpus_dir, config) for path in paths]


# Forking workers and taking their results back costs some 20 ms, about what
# reading a megabyte costs: a smaller corpus (the sample is 0.6 MB) is read
# quicker in this process.
_SMALL_CORPUS_BYTES = 1_000_000


def _is_small(files: list[Path]) -> bool:
    total = 0
    for path in files:
        total += path.stat().st_size
        if total >= _SMALL_CORPUS_BYTES:
            return False
    return True


def read_corpus(corpus_dir: Path, config: SiteConfig, keep_going: bool = False, jobs: int = 1) -> Corpus:
    """Read every corpus file, in ``jobs`` processes; with ``keep_going`` a bad file is a warning."""
    if not corpus_dir.is_dir():
        raise ContentError(str(corpus_dir), None, "corpus folder does not exist")
    files = corpus_files(corpus_dir)
    if not files:
        raise ContentError(str(corpus_dir), None, "corpus folder holds no files")
    warnings: list[str] = []
    sightings: list[Sighting] = []
    cleaned: dict[str, str] = {}
    labels: dict[str, str] = {}
    read = 0
    # A few chunks per worker balance big and small files without much hand-off;
    # a small corpus is one chunk, read here.
    size = len(files) if _is_small(files) else max(1, len(files) // (4 * jobs))
    for results in map_chunks(_read_files, chunked(files, size), (corpus_dir, config), jobs):
        for result in results:
            warnings.extend(result.warnings)
            if result.error is not None:
                if not keep_going:
                    raise result.error
                warnings.append(f"{result.error} (skipped)")
                continue
            sightings.extend(result.sightings)
            cleaned.update(result.cleaned)
            labels[result.path.relative_to(corpus_dir).as_posix()] = result.label
            read += 1
    if not sightings:
        raise ContentError(str(corpus_dir), None, "no papers found in any corpus file")
    return Corpus(files_read=read, sightings=tuple(sightings), warnings=tuple(warnings), cleaned=cleaned,
                  labels=labels)
