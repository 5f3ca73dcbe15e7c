"""Helpers the format readers share: arXiv ids, unwrapping, dates, JSON and XML.

XML goes through expat with entity declarations refused, the one thing
defusedxml adds that matters here: no arXiv response declares entities, and a
file that does (a "billion laughs") must not be expanded.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import json
import re
import urllib.parse
import xml.etree.ElementTree as ET
from typing import Any, Iterator
from xml.parsers import expat

from ..errors import ContentError

# New-style ids (2101.00001, 0704.0001) and old-style ones (hep-th/9901001,
# math.GT/0309136), each with an optional version that is dropped.
_ARXIV_ID = re.compile(
    r"(?<![\w.])(?P<id>\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?!\d)"
)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")


def arxiv_id(text: str | None) -> str | None:
    """Return the versionless arXiv id in an id, URL or ``arXiv:`` note, or None."""
    if not text:
        return None
    match = _ARXIV_ID.search(text)
    return match["id"] if match else None


def unwrap(text: Any) -> str:
    """Join arXiv's hard-wrapped lines: every run of whitespace becomes one space.

    Anything but a string (a number or a list where JSON should hold text)
    counts as missing.
    """
    return " ".join(text.split()) if isinstance(text, str) else ""


def web_url(value: Any) -> str | None:
    """Return ``value`` if it is an absolute http(s) URL, else None.

    Sources' URLs end up in links: ``javascript:``, ``data:`` and anything
    else but the web never do.
    """
    if not isinstance(value, str):
        return None
    value = value.strip()
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:  # an unbalanced [ in the host
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        return None
    return value


def strip_html(text: str) -> str:
    """Return ``text`` unescaped (twice if escaped twice) and without HTML tags."""
    for _ in range(2):  # some feeds escape their HTML twice: &amp;lt;p&amp;gt;
        if "&" not in text:
            break
        text = html.unescape(text)
    return unwrap(_TAG.sub(" ", text))


def iso_date(value: Any) -> dt.date | None:
    """Return the UTC day of an ISO timestamp such as ``2024-10-08T00:21:57.391Z``."""
    if not isinstance(value, str) or not value.strip():
        return None
    stamp = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.timezone.utc)
    return stamp.date()


def local_date(value: str | None) -> dt.date | None:
    """Return the day an RFC 822 or ISO timestamp names, in its own time zone.

    Not UTC: arXiv stamps its 20:30 EST mailing ``2021-01-05T20:30:00-05:00``,
    and that mailing is the 5th's, not the 6th's.
    """
    if not value or not value.strip():
        return None
    value = value.strip()
    if value[:4].isdigit():
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    return email.utils.parsedate_to_datetime(value).date()


def line_of(text: str, offset: int) -> int:
    """Return the 1-based line of character ``offset`` in ``text``."""
    return text.count("\n", 0, offset) + 1


_JSON = json.JSONDecoder()
_SPACE = re.compile(r"\s*")


def json_error(source: str, exc: json.JSONDecodeError) -> ContentError:
    return ContentError(source, exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno})")


def iter_json_array(source: str, text: str) -> Iterator[tuple[int, Any]]:
    """Yield (line, item) for each item of the JSON array ``text``."""
    pos = _SPACE.match(text).end()
    if not text.startswith("[", pos):
        raise ContentError(source, line_of(text, pos), "not valid JSON: expected an array '['")
    pos = _SPACE.match(text, pos + 1).end()
    if text.startswith("]", pos):
        pos += 1
    else:
        while True:
            try:
                item, end = _JSON.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                raise json_error(source, exc) from None
            yield line_of(text, pos), item
            pos = _SPACE.match(text, end).end()
            if text.startswith(",", pos):
                pos = _SPACE.match(text, pos + 1).end()
            elif text.startswith("]", pos):
                pos += 1
                break
            else:
                what = "end of file" if pos >= len(text) else repr(text[pos])
                raise ContentError(source, line_of(text, pos),
                                   f"not valid JSON: expected ',' or ']' but found {what}")
    rest = _SPACE.match(text, pos).end()
    if rest < len(text):
        raise ContentError(source, line_of(text, rest), "not valid JSON: extra data after the array")


class _EntitiesForbidden(Exception):
    pass


def parse_xml(source: str, text: str) -> tuple[ET.Element, dict[ET.Element, int]]:
    """Parse ``text`` into an element tree plus each element's 1-based line.

    Tags carry their namespace as ``{uri}name`` whichever way the document
    declares it (once on the root, or ``xmlns=`` on every element).
    """
    parser = expat.ParserCreate(namespace_separator="}")
    builder = ET.TreeBuilder()
    lines: dict[ET.Element, int] = {}

    def name(raw: str) -> str:
        return "{" + raw if "}" in raw else raw

    def start(tag: str, attrs: dict[str, str]) -> None:
        element = builder.start(name(tag), {name(k): v for k, v in attrs.items()})
        lines[element] = parser.CurrentLineNumber

    def forbid_entities(*_args: Any) -> None:
        raise _EntitiesForbidden

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: builder.end(name(tag))
    parser.CharacterDataHandler = builder.data
    parser.EntityDeclHandler = forbid_entities
    parser.buffer_text = True
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        raise ContentError(source, exc.lineno, f"not well-formed XML: "
                                               f"{expat.ErrorString(exc.code)} (column {exc.offset + 1})") from None
    except _EntitiesForbidden:
        raise ContentError(source, parser.CurrentLineNumber,
                           "XML that declares entities is refused (no arXiv feed does)") from None
    return builder.close(), lines


def text_of(element: ET.Element | None) -> str:
    """Return all the text inside ``element`` (empty for a missing element)."""
    return "".join(element.itertext()) if element is not None else ""
