"""The outbox (content/.outbox/sent.jsonl): the one record of what was delivered to whom.

One JSON object a line, appended and fsynced after each message the server
accepted: ``date``, ``recipient``, ``message_id``, ``sent_at``, ``cadence``
and ``papers``, the keys of the papers the message carried (an arXiv id
when known, else the slug). Lines written before papers were recorded have
no ``papers``: they still say the message went out. A line cut short by a
crash is no record, so that message is sent again; the one window left is a
crash between the server's "250" and the fsync.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterable, Iterator

import orjson

from ..errors import ContentError
from ..records import Paper


def paper_key(paper: Paper) -> str:
    """Return the key a paper is recorded under: its arXiv id when known, else its slug.

    The two never collide: an id holds a dot or a slash, a slug neither.
    """
    return paper.arxiv_id or paper.slug


@dataclass(frozen=True)
class Delivery:
    """One message the outbox records."""

    date: str  # ISO
    recipient: str  # lower case
    papers: tuple[str, ...] | None  # None on lines from before papers were recorded


class History:
    """What the outbox says each recipient has had."""

    def __init__(self, deliveries: Iterable[Delivery] = ()):
        self._days: dict[str, set[str]] = {}
        self._papers: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for delivery in deliveries:
            self._days.setdefault(delivery.recipient, set()).add(delivery.date)
            if delivery.papers:
                self._papers.setdefault(delivery.recipient, []).append((delivery.date, delivery.papers))

    def sent_on(self, day: dt.date, recipient: str) -> bool:
        """Return whether ``recipient`` has had their message of ``day``."""
        return day.isoformat() in self._days.get(recipient.lower(), ())

    def papers_sent(self, recipient: str, except_day: dt.date) -> frozenset[str]:
        """Return the keys of the papers ``recipient`` had in messages of days other than ``except_day``.

        The message of ``except_day`` itself is left out, so that its plan,
        made again after a crash, is the same plan: same papers, same bytes.
        """
        skipped = except_day.isoformat()
        return frozenset(key for date, papers in self._papers.get(recipient.lower(), ()) if date != skipped
                         for key in papers)


def parse_deliveries(text: str) -> list[Delivery]:
    """Return the deliveries recorded in the outbox ``text``, skipping lines cut short or garbled."""
    found = []
    for line in text.splitlines():
        try:
            entry = orjson.loads(line)
            date, recipient, papers = entry["date"], entry["recipient"], entry.get("papers")
            if not isinstance(date, str) or not isinstance(recipient, str):
                continue
            if papers is not None:
                papers = tuple(str(key) for key in papers) if isinstance(papers, list) else None
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # a line cut short by a crash: that delivery was not recorded
        found.append(Delivery(date, recipient.lower(), papers))
    return found


def read_history(path: Path) -> History:
    """Return the history in the outbox at ``path``, empty when there is none yet; creates nothing."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return History()
    return History(parse_deliveries(text))


@contextmanager
def open_outbox(path: Path) -> Iterator[tuple[set[tuple[str, str]], IO[str]]]:
    """Lock the outbox; yield the (date, recipient) pairs it holds and a handle to append to."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ContentError(str(path), None, "another send is using this outbox") from None
        handle.seek(0)
        text = handle.read()
        done = {(d.date, d.recipient) for d in parse_deliveries(text)}
        if text and not text.endswith("\n"):
            handle.write("\n")
        yield done, handle


def record_delivery(handle: IO[str], day: dt.date, recipient: str, message_id: str, cadence: str,
                    papers: tuple[str, ...]) -> None:
    """Append one delivered message to the outbox and force it to disk before going on."""
    entry = {"date": day.isoformat(), "recipient": recipient, "message_id": message_id,
             "sent_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
             "cadence": cadence, "papers": list(papers)}
    handle.write(orjson.dumps(entry).decode("utf-8") + "\n")
    handle.flush()
    os.fsync(handle.fileno())
