"""The digest's subscribers (content/subscribers.yaml): schema and validating loader.

Every preference is optional; what each one means when several are given is
documented on the fields and in README "Daily digest".
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from ..config import _find, _Loader, load_yaml_record, option
from ..errors import ContentError
from ..readers.common import arxiv_id
from .library import BIBTEX_SUFFIXES, CSL_JSON_SUFFIXES
from .match import name_key, phrase

# Strict on purpose: a dot-atom local part and a dotted host name, ASCII only.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# An arXiv id as a reader writes it: 2410.05434, 2410.05434v2, arXiv:2410.05434,
# hep-th/9901001, or its abstract or PDF URL.
_ID = r"(?:\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?"
_LIKE_ID = re.compile(rf"(?:arxiv:\s*)?{_ID}|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/{_ID}(?:\.pdf)?/?",
                      re.IGNORECASE)

CADENCES = ("daily", "weekly")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_WEEKDAY = "monday"
MAX_SIZE = 50  # more would pass the 102 KB at which Gmail clips a message


@dataclass(frozen=True)
class Subscriber:
    address: str = option("", "Email address the digest is sent to.")
    name: str | None = option(None, "Display name for the To header.")
    topics: tuple[str, ...] = option((), "Topic slugs to receive; left out, every topic.")
    keywords: tuple[str, ...] = option((), "Words or phrases, one of which a paper's title or abstract must "
                                           "contain (whole words; case and accents ignored).")
    exclude: tuple[str, ...] = option((), "Words or phrases that drop a paper containing any of them.")
    authors: tuple[str, ...] = option((), "Followed authors: their papers are always sent, whatever the other "
                                          "preferences and the size say.")
    like: tuple[str, ...] = option((), "arXiv ids and/or BibTeX or CSL-JSON files (relative to the content "
                                       "folder) of one's own papers: only papers like them are sent, "
                                       "the most alike first.")
    size: int | None = option(None, "Most papers in one message; left out, digest.size.")
    cadence: str = option("daily", "'daily', or 'weekly': the best papers of the 7 days ending on `weekday`.")
    weekday: str | None = option(None, f"The day of a weekly digest, monday to sunday; left out, {DEFAULT_WEEKDAY}.")

    @property
    def weekly_on(self) -> int | None:
        """Return the weekday (Monday 0) of a weekly digest, or None for a daily one."""
        if self.cadence != "weekly":
            return None
        return WEEKDAYS.index((self.weekday or DEFAULT_WEEKDAY).lower())


@dataclass(frozen=True)
class SubscribersFile:
    subscribers: tuple[Subscriber, ...] = option((), "Who receives the digest.")


@dataclass(frozen=True)
class Roster:
    """subscribers.yaml as loaded: the subscribers, and where each of their `like` items is written."""

    path: str = "subscribers.yaml"
    subscribers: tuple[Subscriber, ...] = ()
    like_lines: tuple[tuple[int, ...], ...] = ()  # per subscriber, the line of each `like` item

    def like_place(self, index: int, position: int) -> str:
        """Return ``path:line`` of subscriber ``index``'s ``position``-th `like` item (``path`` if unknown)."""
        lines = self.like_lines[index] if index < len(self.like_lines) else ()
        return f"{self.path}:{lines[position]}" if position < len(lines) else self.path


def valid_address(address: str) -> bool:
    """Return whether ``address`` is a plain ``local@host.domain`` address."""
    return len(address) <= 254 and bool(_ADDRESS.match(address))


def like_arxiv_id(item: str) -> str | None:
    """Return the versionless arXiv id a `like` item names, or None when it names a file."""
    return arxiv_id(item.strip()) if _LIKE_ID.fullmatch(item.strip()) else None


def library_path(content_dir: Path, item: str) -> Path:
    """Return the file a `like` item names, relative to the content folder."""
    return content_dir / item


def _hint(value: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(value.lower(), choices, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def load_subscribers(content_dir: Path, topic_slugs: frozenset[str]) -> Roster:
    """Load ``content/subscribers.yaml``; raise ContentErrors listing every problem."""
    path = content_dir / "subscribers.yaml"
    if not path.exists():
        raise ContentError(str(path), None, "no subscribers file; see content/subscribers.yaml in the sample")
    like_lines: list[tuple[int, ...]] = []

    def check(file: SubscribersFile, loader: _Loader, root: yaml.Node) -> None:
        first_line: dict[str, int] = {}
        listed = _find(root, "subscribers")
        # Entries that are not mappings were reported and dropped; pair the rest with their nodes.
        listed_nodes = listed.value if isinstance(listed, yaml.SequenceNode) else []
        entries = [n for n in listed_nodes if isinstance(n, yaml.MappingNode)]
        for index, (subscriber, entry) in enumerate(zip(file.subscribers, entries)):
            node = _find(entry, "address")
            if node is entry:
                loader.error(entry, f"'subscribers[{index}].address' is required")
            elif not valid_address(subscriber.address):
                loader.error(node, f"{subscriber.address!r} is not a valid email address")
            else:
                key = subscriber.address.lower()
                if key in first_line:
                    loader.error(node, f"duplicate address {subscriber.address!r} (first on line {first_line[key]})")
                first_line.setdefault(key, node.start_mark.line + 1)
            if subscriber.name is not None and _CONTROL.search(subscriber.name):
                loader.error(_find(entry, "name"), "a name may not contain line breaks or control characters")
            for name in ("topics", "keywords", "exclude", "authors", "like"):
                listed_node = _find(entry, name)
                if isinstance(listed_node, yaml.SequenceNode) and not listed_node.value:
                    loader.error(listed_node, f"'{name}' is empty; leave it out instead")
            for position, slug in enumerate(subscriber.topics):
                if slug not in topic_slugs:
                    loader.error(_find(entry, "topics", position), f"unknown topic {slug!r}{_hint(slug, sorted(topic_slugs))}")
            for name in ("keywords", "exclude"):
                for position, words in enumerate(getattr(subscriber, name)):
                    if not phrase(words):
                        loader.error(_find(entry, name, position), f"{name} item {words!r} has no words to match")
            for position, author in enumerate(subscriber.authors):
                if not name_key(author) or _CONTROL.search(author):
                    loader.error(_find(entry, "authors", position), f"{author!r} is not an author's name")
            like_lines.append(tuple(_find(entry, "like", position).start_mark.line + 1
                                    for position in range(len(subscriber.like))))
            for position, item in enumerate(subscriber.like):
                problem = _like_problem(content_dir, item)
                if problem:
                    loader.error(_find(entry, "like", position), problem)
            if subscriber.size is not None and not 1 <= subscriber.size <= MAX_SIZE:
                loader.error(_find(entry, "size"), f"'size' must be from 1 to {MAX_SIZE}")
            if subscriber.cadence not in CADENCES:
                loader.error(_find(entry, "cadence"), f"'cadence' must be daily or weekly, not "
                                                      f"{subscriber.cadence!r}{_hint(subscriber.cadence, CADENCES)}")
            if subscriber.weekday is not None:
                if subscriber.cadence != "weekly":
                    loader.error(_find(entry, "weekday"), "'weekday' goes with 'cadence: weekly'")
                elif subscriber.weekday.lower() not in WEEKDAYS:
                    loader.error(_find(entry, "weekday"), f"'weekday' must be a day such as monday, not "
                                                          f"{subscriber.weekday!r}{_hint(subscriber.weekday, WEEKDAYS)}")

    loaded = load_yaml_record(path, SubscribersFile, check)
    return Roster(str(path), loaded.subscribers, tuple(like_lines))


def _like_problem(content_dir: Path, item: str) -> str | None:
    """Return what is wrong with one `like` item, or None."""
    if like_arxiv_id(item):
        return None
    suffixes = BIBTEX_SUFFIXES + CSL_JSON_SUFFIXES
    if not item.strip() or PurePosixPath(item).suffix.lower() not in suffixes:
        return (f"'like' item {item!r} is neither an arXiv id (such as 2410.05434) nor a BibTeX (.bib) "
                f"or CSL-JSON (.json) file")
    if Path(item).is_absolute() or "\\" in item:
        return f"library {item!r} must be a path relative to the content folder"
    target = library_path(content_dir, item)
    try:
        inside = target.resolve().is_relative_to(content_dir.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        inside = False
    if not inside:
        return f"library {item!r} is outside the content folder"
    if not target.is_file():
        return f"library {item!r} not found in {content_dir}"
    return None
