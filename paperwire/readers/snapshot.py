"""Stream the arXiv metadata snapshot: one JSON object per line, gigabytes of them.

The file is read in binary one line at a time, so memory stays flat and a bad
byte names its line; ``config.snapshot`` filters apply while streaming. This
reader never loads the file, so ``limits.max_file_bytes`` does not apply to it.

A snapshot has no trending day, so a sighting's date is the record's
``update_date``: the one day every record has, the day the date filters
compare, and it spreads papers over day pages by how recently they changed.
Every sighting has rank 1, so no paper gains from its line in the file.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from pathlib import Path
from typing import Any

from ..config import SnapshotConfig
from ..errors import ContentError
from ..records import Sighting
from .common import arxiv_id, unwrap

_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean",
          type(None): "null"}
_FIRST_LINE = re.compile(r'^\s*\{.*"id"\s*:.*"abstract"\s*:', re.DOTALL)


def looks_like_snapshot(head: str) -> bool:
    """Return whether the first non-blank line of ``head`` is a snapshot record."""
    first = next((line for line in head.splitlines() if line.strip()), "")
    return _FIRST_LINE.match(first) is not None


def keeps(record: dict[str, Any], categories: tuple[str, ...], config: SnapshotConfig) -> bool:
    """Return whether the snapshot filters keep a record."""
    if config.categories and not any(c == f or c.startswith(f + ".")
                                      for c in categories for f in config.categories):
        return False
    day = record.get("update_date")
    day = day if isinstance(day, str) else ""
    if config.date_from and day < config.date_from:
        return False
    return not (config.date_to and day > config.date_to)


def _full_name(parts: list[Any]) -> str:
    """Return "First Last Suffix" from an ``authors_parsed`` entry [last, first, suffix]."""
    last, first, suffix = (parts + ["", "", ""])[:3]
    try:
        return " ".join(f"{first} {last} {suffix}".split())
    except TypeError:  # not a list of strings: no usable name
        return ""


def _authors(record: dict[str, Any]) -> tuple[str, ...]:
    """Return "First Last" names from ``authors_parsed``, else split ``authors``."""
    parsed = record.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        names = [_full_name(parts) for parts in parsed if isinstance(parts, list)]
    else:
        names = [unwrap(n) for n in re.split(r",|\band\b", str(record.get("authors") or ""))]
    return tuple(n for n in names if n)


_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
                                       "Oct", "Nov", "Dec"), 1)}
_CREATED = re.compile(r"^\w{3}, (\d{1,2}) (\w{3}) (\d{4}) ")


def _v1_date(record: dict[str, Any]) -> dt.date | None:
    """Return the day version 1 was submitted (a GMT stamp such as "Mon, 2 Apr 2007 19:18:42 GMT")."""
    versions = record.get("versions")
    if not isinstance(versions, list) or not versions or not isinstance(versions[0], dict):
        return None
    created = versions[0]["created"]
    match = _CREATED.match(created)
    if match and match[2] in _MONTHS:  # the snapshot's one format, parsed fast
        return dt.date(int(match[3]), _MONTHS[match[2]], int(match[1]))
    return email.utils.parsedate_to_datetime(created).date()


def _sighting(source: str, number: int, record: dict[str, Any], categories: tuple[str, ...]) -> Sighting:
    title = unwrap(record.get("title"))
    if not title or not isinstance(record.get("id"), str):
        raise ContentError(source, number, "snapshot record has no \"id\" or \"title\"")
    try:
        day = dt.date.fromisoformat(record["update_date"]) if record.get("update_date") else None
        published = _v1_date(record)
    except (ValueError, TypeError, KeyError) as exc:
        raise ContentError(source, number, f"invalid date in snapshot record: {exc}") from None
    return Sighting(source=source, line=number, date=day, rank=1, raw_title=title,
                    raw_abstract=unwrap(record.get("abstract")),
                    arxiv_id=arxiv_id(record["id"]) or record["id"].strip(),
                    authors=_authors(record), categories=categories, published=published)


def read_snapshot(source: str, path: Path, config: SnapshotConfig, max_entries: int,
                  warnings: list[str]) -> list[Sighting]:
    """Return a sighting per kept record; stop one past ``max_entries``."""
    sightings: list[Sighting] = []
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, 1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise ContentError(source, number, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})") from None
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ContentError(source, number, f"not valid JSON: {exc.msg} (column {exc.colno})") from None
            if not isinstance(record, dict):
                kind = _KINDS.get(type(record), "a value")
                raise ContentError(source, number, f"expected a JSON object, found {kind}")
            categories = tuple(str(record.get("categories") or "").split())
            if keeps(record, categories, config):
                sightings.append(_sighting(source, number, record, categories))
                if len(sightings) > max_entries:  # the caller warns and drops the rest
                    break
    return sightings
