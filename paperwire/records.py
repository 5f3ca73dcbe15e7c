"""The typed records that move between pipeline stages.

Every record is frozen: a stage that adds information returns a new record
(``evolve``, a quick ``dataclasses.replace``) instead of mutating one it was given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any, TypeVar

Record = TypeVar("Record")
# Per record type: its field names, and the names of its cached properties.
_NAMES: dict[type, tuple[frozenset[str], tuple[str, ...]]] = {}


def evolve(record: Record, **changes: Any) -> Record:
    """Return a copy of a frozen record with ``changes``, like ``dataclasses.replace``.

    ``replace`` rebuilds the record through ``__init__`` field by field, about
    10 µs for a Paper, paid twice per paper per build; copying the fields'
    values is ten times cheaper. Records validate nothing in ``__init__``,
    so the result is the same. Cached values (``Paper.dates``) are dropped.
    """
    kind = type(record)
    names = _NAMES.get(kind)
    if names is None:
        cached = tuple({name for klass in kind.__mro__ for name, value in vars(klass).items()
                        if isinstance(value, cached_property)})
        names = _NAMES[kind] = frozenset(f.name for f in fields(record)), cached  # type: ignore[arg-type]
    field_names, cached_names = names
    if not changes.keys() <= field_names:
        raise TypeError(f"{kind.__name__} has no field {sorted(changes.keys() - field_names)[0]!r}")
    copy = object.__new__(kind)
    state = copy.__dict__
    state.update(record.__dict__)
    for name in cached_names:
        state.pop(name, None)
    state.update(changes)
    return copy


@dataclass(frozen=True)
class Organization:
    """The organisation a source credits a paper to."""

    name: str  # its handle, as in huggingface.co/<name>
    fullname: str  # for readers; the handle when a source gives no other


@dataclass(frozen=True)
class Details:
    """What a source tells of a paper beyond its text: code, links, organisation, AI summary.

    Every field is None or empty where a source gives none; URLs are http(s) only.
    """

    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    organization: Organization | None = None
    ai_summary: str | None = None
    ai_keywords: tuple[str, ...] = ()
    thumbnail: str | None = None
    num_comments: int | None = None


NO_DETAILS = Details()


@dataclass(frozen=True)
class Sighting:
    """One appearance of a paper in one source file."""

    source: str  # corpus-relative path, POSIX separators
    line: int  # 1-based line of the title in the source
    date: dt.date | None  # the day the source shows, None when it gives none
    rank: int  # 1-based position on its page
    raw_title: str
    raw_abstract: str
    arxiv_id: str | None = None
    authors: tuple[str, ...] = ()
    upvotes: int | None = None
    categories: tuple[str, ...] = ()
    published: dt.date | None = None
    details: Details = NO_DETAILS


@dataclass(frozen=True)
class Paper:
    """One paper, merged from all its sightings."""

    slug: str
    title: str  # clean, readable Unicode
    abstract: str
    raw_title: str  # as first seen, before cleaning
    raw_abstract: str
    sightings: tuple[Sighting, ...]
    arxiv_id: str | None = None
    authors: tuple[str, ...] = ()
    upvotes: int | None = None
    categories: tuple[str, ...] = ()
    published: dt.date | None = None
    details: Details = NO_DETAILS  # merged: the most stars, else each field's first value in sighting order
    topics: tuple[str, ...] = ()  # topic slugs, best first
    score: float = 0.0

    @cached_property  # frozen, so the answer never changes; asked for often
    def dates(self) -> tuple[dt.date, ...]:
        """Return the distinct dates this paper was seen on, oldest first."""
        return tuple(sorted({s.date for s in self.sightings if s.date is not None}))

    @property
    def first_seen(self) -> dt.date | None:
        return self.dates[0] if self.dates else None

    @property
    def last_seen(self) -> dt.date | None:
        return self.dates[-1] if self.dates else None

    @property
    def url(self) -> str:
        """Site-relative path of the paper's page."""
        return f"papers/{self.slug}/"


@dataclass(frozen=True)
class Topic:
    """A topic from topics.yaml with its match rules."""

    slug: str
    name: str
    description: str
    phrases: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # arXiv categories that also match


@dataclass(frozen=True)
class Corpus:
    """Everything the readers produced: sightings plus warnings."""

    files_read: int
    sightings: tuple[Sighting, ...]
    warnings: tuple[str, ...] = field(default=())
    cleaned: dict[str, str] = field(default_factory=dict)  # raw text -> clean text, from the readers
    labels: dict[str, str] = field(default_factory=dict)  # source -> its name for readers ("trending page")
