"""Read every file under the corpus folder into sightings.

Each reader recognises its format by content, so a file's name does not
matter. Files are read in sorted path order so output never depends on the
order the file system lists them in.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

from ..config import SiteConfig
from ..errors import ContentError
from ..records import Corpus, Sighting
from .trending_text import looks_like_trending_text, read_trending_text

Reader = Callable[[str, str, SiteConfig, list[str]], list[Sighting]]


def _read_trending(source: str, text: str, config: SiteConfig, warnings: list[str]) -> list[Sighting]:
    return read_trending_text(source, text, config.default_year, warnings)


# Order matters: the first reader whose sniffer accepts a file reads it.
READERS: tuple[tuple[str, Callable[[str], bool], Reader], ...] = (
    ("trending-text", looks_like_trending_text, _read_trending),
)


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Return the corpus's files in a stable order, hidden files excluded."""
    files = [p for p in corpus_dir.rglob("*") if p.is_file()]
    visible = [p for p in files if not any(part.startswith(".") for part in p.relative_to(corpus_dir).parts)]
    return sorted(visible, key=lambda p: p.relative_to(corpus_dir).as_posix())


def decode(source: str, data: bytes) -> str:
    """Return ``data`` as text, or raise a ContentError naming the bad line."""
    if b"\x00" in data:
        # A binary file has no meaningful lines; name the file's start.
        raise ContentError(source, 1, "binary file (NUL byte), not a text corpus file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ContentError(source, line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x})") from None


def read_file(path: Path, source: str, config: SiteConfig, warnings: list[str]) -> list[Sighting]:
    """Return the sightings in one corpus file, or raise ContentError."""
    size = path.stat().st_size
    if size > config.limits.max_file_bytes:
        raise ContentError(source, None, f"file is {size} bytes, over limits.max_file_bytes "
                                         f"({config.limits.max_file_bytes})")
    text = decode(source, path.read_bytes())
    for _name, sniff, reader in READERS:
        if sniff(text):
            sightings = reader(source, text, config, warnings)
            break
    else:
        raise ContentError(source, 1, "not a format paperwire can read")
    if not sightings:
        raise ContentError(source, 1, "no papers found in this file")
    return _apply_limits(source, sightings, config, warnings)


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


def read_corpus(corpus_dir: Path, config: SiteConfig, keep_going: bool = False) -> Corpus:
    """Read every corpus file; with ``keep_going`` a bad file is a warning."""
    if not corpus_dir.is_dir():
        raise ContentError(str(corpus_dir), None, "corpus folder does not exist")
    files = corpus_files(corpus_dir)
    if not files:
        raise ContentError(str(corpus_dir), None, "corpus folder holds no files")
    warnings: list[str] = []
    sightings: list[Sighting] = []
    read = 0
    for path in files:
        source = path.relative_to(corpus_dir).as_posix()
        try:
            sightings.extend(read_file(path, source, config, warnings))
            read += 1
        except ContentError as exc:
            exc.path = str(path)  # name the file as the user sees it
            if not keep_going:
                raise
            warnings.append(f"{exc} (skipped)")
    if not sightings:
        raise ContentError(str(corpus_dir), None, "no papers found in any corpus file")
    return Corpus(files_read=read, sightings=tuple(sightings), warnings=tuple(warnings))
