"""Configuration schemas (site.yaml, topics.yaml) and their validating loader.

Each option is a dataclass field with a default, a type and a ``doc``. The
loader walks the YAML node tree rather than plain data so that every error can
name its line, and it collects all errors before raising them together.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ContentError, ContentErrors
from .records import Topic


def option(default: Any, doc: str) -> Any:
    """Declare a config field with its default and its one-line documentation."""
    if isinstance(default, (list, dict)) or dataclasses.is_dataclass(default):
        return field(default_factory=lambda: default, metadata={"doc": doc})
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class TrendingConfig:
    half_life_days: float = option(3.0, "Days after which a sighting counts half as much.")
    per_page: int = option(30, "Papers on each page of the home and topic lists.")
    upvote_weight: float = option(0.5, "Weight of log2(1 + upvotes) in the score.")


@dataclass(frozen=True)
class FeedsConfig:
    items: int = option(50, "Most entries in each RSS and Atom feed.")


@dataclass(frozen=True)
class DigestConfig:
    size: int = option(10, "Most papers in one day's digest.")
    unsubscribe_url: str | None = option(None, "One-click unsubscribe URL (RFC 8058); adds List-Unsubscribe.")
    skip_empty: bool = option(False, "Send no message for a day without papers.")


@dataclass(frozen=True)
class SmtpConfig:
    host: str = option("127.0.0.1", "SMTP server host name.")
    port: int = option(25, "SMTP server port.")
    security: str = option("none", "none, starttls or tls (implicit TLS).")
    sender: str = option("paperwire <digest@example.org>", "From address of the digest.")
    timeout: float = option(30.0, "Seconds to wait for the server.")


@dataclass(frozen=True)
class LimitsConfig:
    max_file_bytes: int = option(2 * 1024**3, "Largest corpus file loaded whole; a larger one is refused. "
                                                       "Streamed formats (the arXiv snapshot) are exempt.")
    max_title_chars: int = option(1000, "Longer titles are truncated with a warning.")
    max_entries_per_file: int = option(5_000_000, "Entries kept from one file; the rest are dropped with a warning.")


@dataclass(frozen=True)
class SearchConfig:
    enabled: bool = option(True, "Index paper pages with Pagefind and add a search page and box.")


@dataclass(frozen=True)
class SnapshotConfig:
    categories: tuple[str, ...] = option((), "Keep only snapshot papers in these arXiv categories "
                                             "(a bare archive such as 'cs' keeps all of it); empty keeps all.")
    date_from: str | None = option(None, "Keep only snapshot papers updated on or after this ISO date.")
    date_to: str | None = option(None, "Keep only snapshot papers updated on or before this ISO date.")


@dataclass(frozen=True)
class FetchConfig:
    hf_base_url: str = option("https://huggingface.co", "Where the Hugging Face daily-papers API is "
                                                        "(GET /api/daily_papers).")
    arxiv_rss_base_url: str = option("https://rss.arxiv.org", "Where arXiv's listing feeds are (GET /rss/CATEGORY).")
    arxiv_api_base_url: str = option("https://export.arxiv.org", "Where arXiv's query API is (GET /api/query).")
    user_agent: str = option("paperwire/0.1 (+https://paperwire.example; mailto:owner@paperwire.example)",
                             "User-Agent of every request: the site's name and a contact address or URL.")
    timeout_s: float = option(30.0, "Seconds to wait for a connection, and for each part of a response.")
    retries: int = option(4, "Retries of a request after a connection error, a timeout, a cut-off body, "
                             "429 or 5xx.")
    backoff_s: float = option(2.0, "Wait before the first retry when the server gives no Retry-After; "
                                   "doubled for each retry.")
    max_wait_s: float = option(120.0, "Longest wait before a retry; a server asking for longer fails the URL.")
    hf_min_interval_s: float = option(1.0, "Least time between two requests to the Hugging Face host.")
    arxiv_min_interval_s: float = option(3.0, "Least time between two requests to an arXiv host "
                                              "(arXiv's API terms ask for 3 s).")
    hf_page_size: int = option(50, "Papers asked for in each daily-papers request (its limit).")
    hf_max_pages: int = option(20, "Most daily-papers pages fetched for one day; a day with more fails.")
    arxiv_page_size: int = option(100, "Entries asked for in each arXiv query request (its max_results).")


@dataclass(frozen=True)
class SiteConfig:
    title: str = option("paperwire", "Site name, shown in every page's header and feeds.")
    description: str = option("Trending research papers, ranked daily.", "One-line description of the site.")
    base_url: str = option("http://127.0.0.1:8000/", "Absolute URL the site is published at, ending in /.")
    language: str = option("en", "Language of the site (HTML lang, feeds).")
    default_year: int = option(2025, "Year for corpus date lines that give none, such as 'Mar 11'.")
    trending: TrendingConfig = option(TrendingConfig(), "Trending score and list settings.")
    feeds: FeedsConfig = option(FeedsConfig(), "RSS and Atom settings.")
    digest: DigestConfig = option(DigestConfig(), "Daily digest settings.")
    smtp: SmtpConfig = option(SmtpConfig(), "Digest delivery settings; user and password come from "
                                            "PAPERWIRE_SMTP_USER and PAPERWIRE_SMTP_PASSWORD.")
    limits: LimitsConfig = option(LimitsConfig(), "Input size limits.")
    search: SearchConfig = option(SearchConfig(), "Static search settings.")
    snapshot: SnapshotConfig = option(SnapshotConfig(), "Filters applied while streaming the arXiv metadata snapshot.")
    fetch: FetchConfig = option(FetchConfig(), "Where and how 'paperwire fetch' downloads the sources.")


@dataclass(frozen=True)
class TopicsFile:
    topics: tuple[Topic, ...] = option((), "The topics papers are classified into.")


_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SMTP_SECURITY = ("none", "starttls", "tls")


class _Loader:
    """Convert YAML nodes into typed records, collecting every error."""

    def __init__(self, path: str):
        self.path = path
        self.errors: list[ContentError] = []
        # Makes plain values (numbers, booleans, null) of scalars the parser has tagged;
        # one per file, as it remembers every node it made.
        self.scalars = yaml.constructor.SafeConstructor()

    def error(self, node: yaml.Node, message: str) -> None:
        self.errors.append(ContentError(self.path, node.start_mark.line + 1, message))

    def record(self, cls: type, node: yaml.Node, where: str) -> Any:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{where or 'the file'} must be a mapping of keys to values")
            return None
        hints, fields = _schema(cls)
        values: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            name = f"{where}.{key}" if where else key
            if key not in fields:
                close = difflib.get_close_matches(str(key), fields, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.error(key_node, f"Unrecognised configuration name '{name}'{hint}")
                continue
            if key in values:
                self.error(key_node, f"'{name}' is given twice")
                continue
            value = self.value(hints[key], value_node, name)
            if value is not None or _allows_none(hints[key]):
                values[key] = value
        for name, f in fields.items():
            if name not in values and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                self.error(node, f"'{where + '.' if where else ''}{name}' is required")
                return None
        return cls(**values)

    def value(self, hint: Any, node: yaml.Node, name: str) -> Any:
        origin = typing.get_origin(hint)
        if origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(hint) if a is not type(None)]
            if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):
                return None
            return self.value(options[0], node, name)
        if dataclasses.is_dataclass(hint):
            return self.record(hint, node, name)
        if origin is tuple:
            item_type = typing.get_args(hint)[0]
            if not isinstance(node, yaml.SequenceNode):
                self.error(node, f"'{name}' must be a list")
                return None
            items = [self.value(item_type, item, f"{name}[{i}]") for i, item in enumerate(node.value)]
            return tuple(item for item in items if item is not None)
        return self.scalar(hint, node, name)

    def scalar(self, hint: type, node: yaml.Node, name: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, f"'{name}' must be a {hint.__name__}, not a {'list' if isinstance(node, yaml.SequenceNode) else 'mapping'}")
            return None
        value = self.scalars.construct_object(node) if node.tag != "tag:yaml.org,2002:str" else node.value
        if hint is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if hint is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = node.value  # e.g. a title of "2025"
        if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
            self.error(node, f"'{name}' must be a {hint.__name__}, not {node.value!r}")
            return None
        return value


@functools.cache
def _schema(cls: type) -> tuple[dict[str, Any], dict[str, dataclasses.Field]]:
    """Return a record type's field types and fields: asked once per entry, and get_type_hints is slow."""
    return typing.get_type_hints(cls), {f.name: f for f in dataclasses.fields(cls)}


def _allows_none(hint: Any) -> bool:
    return type(None) in typing.get_args(hint)


# libyaml's parser when PyYAML was built with it: a tenth of the pure-Python one's time.
_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(path: Path) -> yaml.Node | None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ContentError(str(path), None, "not valid UTF-8") from None
    try:
        return yaml.compose(text, Loader=_PARSER)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: no mark, a position
        line = text.count("\n", 0, exc.position) + 1
        character = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
        raise ContentError(str(path), line, f"not valid YAML: character {character} is not allowed") from None
    except yaml.MarkedYAMLError as exc:
        error = exc
    # The Python parser names what is wrong more precisely (which character,
    # which alias): an invalid file, a rare event, is parsed again for its message.
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        error = exc
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark else None
    raise ContentError(str(path), line, f"not valid YAML: {error.problem or error.context}") from None


def load_yaml_record(path: Path, cls: type, check: typing.Callable[[Any, _Loader, yaml.Node], None]) -> Any:
    """Load ``path`` into ``cls``; raise ContentErrors listing every problem."""
    if not path.exists():
        return cls()
    node = _compose(path)
    if node is None:
        return cls()
    loader = _Loader(str(path))
    record = loader.record(cls, node, "")
    if record is not None:
        check(record, loader, node)
    if loader.errors:
        raise ContentErrors(sorted(loader.errors, key=lambda e: e.line or 0))
    return record


def _find(node: yaml.Node, *keys: str | int) -> yaml.Node:
    """Return the node at ``keys`` below ``node``, or the deepest one found."""
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if k.value == key]
            if not match:
                return node
            node = match[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            return node
    return node


def _check_site(config: SiteConfig, loader: _Loader, root: yaml.Node) -> None:
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", config.base_url):
        loader.error(_find(root, "base_url"), "'base_url' must be an absolute http(s) URL")
    if config.smtp.security not in _SMTP_SECURITY:
        loader.error(_find(root, "smtp", "security"), f"'smtp.security' must be one of {', '.join(_SMTP_SECURITY)}")
    for name, value in [("trending.per_page", config.trending.per_page), ("feeds.items", config.feeds.items),
                        ("digest.size", config.digest.size)]:
        if value < 1:
            loader.error(_find(root, *name.split(".")), f"'{name}' must be at least 1")
    for name in ("date_from", "date_to"):
        value = getattr(config.snapshot, name)
        if value is not None and not re.match(r"^\d{4}-\d{2}-\d{2}$", value):
            loader.error(_find(root, "snapshot", name), f"'snapshot.{name}' must be an ISO date such as 2024-01-31")
    if config.trending.half_life_days <= 0:
        loader.error(_find(root, "trending", "half_life_days"), "'trending.half_life_days' must be positive")
    _check_fetch(config.fetch, loader, root)


# An e-mail address or a URL: who runs the fetcher, for the sites' operators.
_CONTACT = re.compile(r"[^\s@()<>;]+@[^\s@()<>;]+\.[^\s@()<>;]+|https?://[^\s/()<>;]+\.[^\s()<>;]+")


def _check_fetch(fetch: FetchConfig, loader: _Loader, root: yaml.Node) -> None:
    for name in ("hf_base_url", "arxiv_rss_base_url", "arxiv_api_base_url"):
        if not re.match(r"^https?://[^/\s]+(/\S*)?$", getattr(fetch, name)):
            loader.error(_find(root, "fetch", name), f"'fetch.{name}' must be an absolute http(s) URL")
    if not fetch.user_agent.strip() or not _CONTACT.search(fetch.user_agent):
        loader.error(_find(root, "fetch", "user_agent"), "'fetch.user_agent' must name a contact: an e-mail "
                                                         "address or a URL, such as 'mysite/1.0 (mailto:me@example.org)'")
    if fetch.timeout_s <= 0:
        loader.error(_find(root, "fetch", "timeout_s"), "'fetch.timeout_s' must be positive")
    for name in ("retries", "backoff_s", "max_wait_s", "hf_min_interval_s", "arxiv_min_interval_s"):
        if getattr(fetch, name) < 0:
            loader.error(_find(root, "fetch", name), f"'fetch.{name}' must not be negative")
    # The largest pages the two APIs serve: 100 daily papers, 2,000 query entries.
    for name, largest in (("hf_page_size", 100), ("hf_max_pages", None), ("arxiv_page_size", 2000)):
        value = getattr(fetch, name)
        if value < 1 or (largest is not None and value > largest):
            bounds = f"from 1 to {largest}" if largest else "at least 1"
            loader.error(_find(root, "fetch", name), f"'fetch.{name}' must be {bounds}")


def _check_topics(topics_file: TopicsFile, loader: _Loader, root: yaml.Node) -> None:
    seen: dict[str, int] = {}
    for index, topic in enumerate(topics_file.topics):
        node = _find(root, "topics", index, "slug")
        if not _SLUG.match(topic.slug):
            loader.error(node, f"topic slug {topic.slug!r} must be lowercase letters, digits and hyphens")
        elif topic.slug == "other":
            loader.error(node, "topic slug 'other' is reserved for papers that match no topic")
        elif topic.slug in seen:
            loader.error(node, f"duplicate topic slug {topic.slug!r} (first on line {seen[topic.slug]})")
        seen.setdefault(topic.slug, node.start_mark.line + 1)
        if not topic.phrases and not topic.categories:
            loader.error(_find(root, "topics", index), f"topic {topic.slug!r} has no phrases or categories to match")
        for phrase in topic.phrases + topic.exclude:
            if not phrase.strip():
                loader.error(_find(root, "topics", index), f"topic {topic.slug!r} has an empty phrase")
            elif not re.search(r"[^\W_]", phrase):
                loader.error(_find(root, "topics", index), f"topic {topic.slug!r}: phrase {phrase!r} has no words to match")


def with_base_url_slash(config: SiteConfig) -> SiteConfig:
    """Return ``config`` with a base URL that ends in exactly one slash."""
    return dataclasses.replace(config, base_url=config.base_url.rstrip("/") + "/")


def load_site_config(content_dir: Path) -> SiteConfig:
    """Load ``content/site.yaml``; a missing file means all defaults."""
    return with_base_url_slash(load_yaml_record(content_dir / "site.yaml", SiteConfig, _check_site))


def load_topics(content_dir: Path) -> tuple[Topic, ...]:
    """Load ``content/topics.yaml``; a missing file means no topics."""
    return load_yaml_record(content_dir / "topics.yaml", TopicsFile, _check_topics).topics


def config_from(**overrides: Any) -> SiteConfig:
    """Return a SiteConfig with ``overrides``; nested sections take dicts (for tests)."""
    values = {}
    for key, value in overrides.items():
        if isinstance(value, dict):
            section = getattr(SiteConfig(), key)
            value = dataclasses.replace(section, **value)
        values[key] = value
    return with_base_url_slash(SiteConfig(**values))
