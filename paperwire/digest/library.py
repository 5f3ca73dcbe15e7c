"""A subscriber's own library (a Zotero export): BibTeX or CSL-JSON, read defensively.

Only titles, abstracts and arXiv ids are taken: they are what "papers like
mine" compares. BibTeX is parsed by bibtexparser (v2's ``parse_string``),
which reads no other file: ``\\input`` or ``\\include`` in a field is text,
and the LaTeX left in titles goes through the corpus's own cleaning
(pylatexenc, with no input directory, so it reads no file either).

A file that cannot be used at all (missing, too big, binary, not UTF-8, of
neither format) is a ContentError naming it; an entry that cannot be read
is a warning ``path:line: …`` and the others are used.
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..clean import clean_text
from ..errors import ContentError
from ..readers.common import arxiv_id, iter_json_array

MAX_BYTES = 5 * 1024 * 1024  # a Zotero export of several thousand items with abstracts
MAX_ENTRIES = 10_000  # checked before parsing: bibtexparser spends ~70 µs on each block
MAX_TITLE_CHARS = 500
MAX_ABSTRACT_CHARS = 5000
BIBTEX_SUFFIXES = (".bib", ".bibtex")
CSL_JSON_SUFFIXES = (".json",)
# What starts a BibTeX block ("@article{", "@misc ("), counted before parsing.
_BLOCK_START = re.compile(r"@\s*[A-Za-z]+\s*[{(]")
# Fields that may hold an arXiv id (eprint = {2410.05434}, url = {https://arxiv.org/abs/…}, …).
_ID_FIELDS = ("eprint", "arxiv", "arxivid", "url", "doi", "journal", "note", "number")
_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(\d{4}\.\d{4,5})", re.IGNORECASE)  # arXiv's own DOIs


@dataclass(frozen=True)
class LibraryEntry:
    """One paper of a reader's library."""

    line: int  # 1-based, where the entry starts in its file
    title: str  # clean text, possibly empty when an abstract is given
    abstract: str
    arxiv_id: str | None


@dataclass(frozen=True)
class Library:
    """A library file as read: its usable entries and a warning per entry that was not."""

    path: str  # as shown in messages
    entries: tuple[LibraryEntry, ...]
    warnings: tuple[str, ...]


def read_library(path: Path, shown: str | None = None) -> Library:
    """Read the BibTeX or CSL-JSON file at ``path`` (by its suffix); raise ContentError if unusable."""
    shown = shown or str(path)
    text = _read_text(path, shown)
    suffix = path.suffix.lower()
    if suffix in BIBTEX_SUFFIXES:
        entries, warnings = _read_bibtex(text, shown)
    elif suffix in CSL_JSON_SUFFIXES:
        entries, warnings = _read_csl_json(text, shown)
    else:
        raise ContentError(shown, None, "a library must be a BibTeX (.bib) or CSL-JSON (.json) file")
    if not entries:
        detail = f" ({len(warnings)} could not be read)" if warnings else ""
        raise ContentError(shown, None, f"no usable entries{detail}: each needs a title or an abstract")
    return Library(shown, tuple(entries), tuple(warnings))


def _read_text(path: Path, shown: str) -> str:
    """Return the file's text, refusing what is not a regular, small, UTF-8 text file."""
    try:
        if not path.is_file():  # a folder, a FIFO or a device would block or never end
            raise ContentError(shown, None, "not found, or not a regular file")
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)  # never more, whatever the file claims to be
    except OSError as exc:
        raise ContentError(shown, None, f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise ContentError(shown, None, f"larger than {MAX_BYTES // (1024 * 1024)} MB; export a smaller library")
    if b"\0" in data:
        line = data.count(b"\n", 0, data.index(b"\0")) + 1
        raise ContentError(shown, line, "binary data, not a BibTeX or CSL-JSON text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ContentError(shown, line, "not valid UTF-8 (export the library as UTF-8)") from None


def _entry(line: int, title: Any, abstract: Any, ids: list[Any]) -> LibraryEntry | None:
    """Return an entry from raw field values, or None when it has no text to compare."""
    title = clean_text(title)[:MAX_TITLE_CHARS] if isinstance(title, str) else ""
    abstract = clean_text(abstract)[:MAX_ABSTRACT_CHARS] if isinstance(abstract, str) else ""
    if not title and not abstract:
        return None
    found = next((_id_in(value) for value in ids if isinstance(value, str) and _id_in(value)), None)
    return LibraryEntry(line, title, abstract, found)


def _id_in(value: str) -> str | None:
    """Return the arXiv id in a field (an eprint, URL, DOI or "arXiv preprint arXiv:…" note), or None."""
    doi = _ARXIV_DOI.search(value)
    return doi.group(1) if doi else arxiv_id(value)


@contextmanager
def _quiet_bibtexparser() -> Iterator[None]:
    """Silence bibtexparser's log line per failed block: each one becomes our own warning."""
    logger = logging.getLogger("bibtexparser")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _read_bibtex(text: str, shown: str) -> tuple[list[LibraryEntry], list[str]]:
    import bibtexparser
    from bibtexparser import model

    if len(_BLOCK_START.findall(text)) > MAX_ENTRIES:
        raise ContentError(shown, None, f"more than {MAX_ENTRIES:,} BibTeX entries; export a smaller library")
    with _quiet_bibtexparser():
        library = bibtexparser.parse_string(text)
    entries, warnings = [], []
    for block in library.blocks:
        line = (block.start_line or 0) + 1  # bibtexparser counts lines from 0
        if isinstance(block, model.DuplicateBlockKeyBlock):
            warnings.append(f"{shown}:{line}: duplicate key {block.key!r}, entry skipped")
        elif isinstance(block, model.DuplicateFieldKeyBlock):
            names = ", ".join(sorted(block.duplicate_keys))
            warnings.append(f"{shown}:{line}: field {names} given twice, entry skipped")
        elif isinstance(block, model.ParsingFailedBlock):
            warnings.append(f"{shown}:{line}: not a valid BibTeX entry, skipped")
        elif isinstance(block, model.Entry):
            fields = {key.lower(): field.value for key, field in block.fields_dict.items()}
            entry = _entry(line, fields.get("title"), fields.get("abstract"), [fields.get(k) for k in _ID_FIELDS])
            if entry is None:
                warnings.append(f"{shown}:{line}: entry {block.key!r} has no title or abstract, skipped")
            else:
                entries.append(entry)
    return entries, warnings


def _read_csl_json(text: str, shown: str) -> tuple[list[LibraryEntry], list[str]]:
    entries, warnings = [], []
    items = iter_json_array(shown, text)
    while True:
        try:
            line, item = next(items)
        except StopIteration:
            break
        except RecursionError:  # arrays in arrays by the thousand: json gives up, and so do we
            raise ContentError(shown, None, "not valid CSL-JSON: nested too deeply") from None
        except ContentError as exc:
            # The JSON breaks here: what came before is whole, what follows cannot be trusted.
            if not entries:
                raise
            warnings.append(f"{exc}; the entries after it are skipped")
            break
        if not isinstance(item, dict):
            warnings.append(f"{shown}:{line}: not a CSL-JSON item (an object), skipped")
            continue
        entry = _entry(line, item.get("title"), item.get("abstract"),
                       [item.get(k) for k in ("number", "URL", "DOI", "id", "archive_location")])
        if entry is None:
            warnings.append(f"{shown}:{line}: item has no title or abstract, skipped")
        else:
            entries.append(entry)
        if len(entries) > MAX_ENTRIES:
            raise ContentError(shown, line, f"more than {MAX_ENTRIES:,} items; export a smaller library")
    return entries, warnings


def entry_text(entry: LibraryEntry) -> str:
    """Return the text compared with papers': the title and abstract, as for papers."""
    return f"{entry.title}. {entry.abstract}"

