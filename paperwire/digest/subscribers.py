"""The digest's subscribers (content/subscribers.yaml): schema and validating loader."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..config import _find, _Loader, load_yaml_record, option
from ..errors import ContentError

# Strict on purpose: a dot-atom local part and a dotted host name, ASCII only.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class Subscriber:
    address: str = option("", "Email address the digest is sent to.")
    name: str | None = option(None, "Display name for the To header.")
    topics: tuple[str, ...] = option((), "Topic slugs to receive; left out, every topic.")


@dataclass(frozen=True)
class SubscribersFile:
    subscribers: tuple[Subscriber, ...] = option((), "Who receives the daily digest.")


def valid_address(address: str) -> bool:
    """Return whether ``address`` is a plain ``local@host.domain`` address."""
    return len(address) <= 254 and bool(_ADDRESS.match(address))


def load_subscribers(content_dir: Path, topic_slugs: frozenset[str]) -> tuple[Subscriber, ...]:
    """Load ``content/subscribers.yaml``; raise ContentErrors listing every problem."""
    path = content_dir / "subscribers.yaml"
    if not path.exists():
        raise ContentError(str(path), None, "no subscribers file; see content/subscribers.yaml in the sample")

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
            topics_node = _find(entry, "topics")
            if isinstance(topics_node, yaml.SequenceNode) and not topics_node.value:
                loader.error(topics_node, "'topics' is empty; leave it out to receive every topic")
            for position, slug in enumerate(subscriber.topics):
                if slug not in topic_slugs:
                    close = difflib.get_close_matches(slug, sorted(topic_slugs), n=1)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    loader.error(_find(entry, "topics", position), f"unknown topic {slug!r}{hint}")

    return load_yaml_record(path, SubscribersFile, check).subscribers
