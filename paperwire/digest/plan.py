"""What a send would deliver: each subscriber's message of a day, rendered, or why there is none.

``send``, ``send --dry-run`` and ``digest --subscriber`` all go through
plan_messages, so a dry run's .eml and a preview are byte for byte what the
server would receive. A plan depends only on the corpus, the subscribers,
their libraries and the outbox's records of other days: a rerun after a
crash plans the very same message, with the same Message-ID.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import jinja2

from ..errors import ContentError
from ..render.digest import Digest, DigestView, build_message, message_id, render_view, selection_view
from ..render.site import SiteData
from ..writer import write_text_file
from .outbox import History, paper_key
from .select import NoMessage, Selection, select_digests
from .send import Outgoing
from .subscribers import Roster

SHOWN_PER_KIND = 10  # subscribers named per kind of "no message" in the summary, unless verbose
_KEPT_BODIES = 64  # rendered bodies kept for subscribers who chose alike


@dataclass(frozen=True)
class Planned:
    """One subscriber's message: its selection, its bodies and the message itself."""

    selection: Selection
    digest: Digest
    message: Outgoing


class Plan:
    """Who gets a message on a day and who does not; the messages are rendered one at a time.

    Rendering waits until a message is asked for (``outgoing``): ten
    thousand messages of about 100 KB each would not all fit in memory.
    Subscribers whose choices are the same share the bodies.
    """

    def __init__(self, data: SiteData, env: jinja2.Environment, selections: Sequence[Selection],
                 nothing: Sequence[NoMessage], warnings: Sequence[str]):
        self.data, self.env = data, env
        self.selections = tuple(selections)
        self.nothing = tuple(nothing)  # no message that day, and why ("already sent" ones included)
        self.warnings = tuple(warnings)
        self.failed: list[tuple[str, str]] = []  # (recipient, reason): a message that could not be made
        self._rendered: OrderedDict[DigestView, Digest] = OrderedDict()

    @property
    def skipped(self) -> tuple[str, ...]:
        """Subscribers who get no message that day, not counting those who already had it."""
        return tuple(n.subscriber.address for n in self.nothing if n.kind != "already sent")

    @property
    def already_sent(self) -> int:
        return sum(1 for n in self.nothing if n.kind == "already sent")

    def nothing_lines(self, everyone: bool = False) -> list[str]:
        """Return the summary's lines of who gets nothing and why, grouped by kind."""
        lines = []
        for kind in ("not their day", "nothing new"):
            found = [n for n in self.nothing if n.kind == kind]
            shown = found if everyone else found[:SHOWN_PER_KIND]
            lines += [f"{kind}: {n.subscriber.address} ({n.detail})" for n in shown]
            if len(found) > len(shown):
                lines.append(f"{kind}: … and {len(found) - len(shown)} more (-v lists all)")
        return lines

    def outgoing(self) -> Iterator[Planned]:
        """Render and yield each message in subscriber order; one that cannot be made goes to ``failed``."""
        for selection in self.selections:
            try:
                yield self.render(selection)
            except ContentError as exc:  # a message over Gmail's size: that subscriber's alone
                self.failed.append((selection.subscriber.address, exc.message))

    @property
    def messages(self) -> Iterator[Outgoing]:
        return (planned.message for planned in self.outgoing())

    def render(self, selection: Selection) -> Planned:
        """Return one subscriber's message."""
        view = selection_view(self.data, selection)
        digest = self._rendered.get(view)
        if digest is None:
            digest = render_view(view, self.env)
            self._rendered[view] = digest
            if len(self._rendered) > _KEPT_BODIES:
                self._rendered.popitem(last=False)
        subscriber = selection.subscriber
        config = self.data.config
        to = email.utils.formataddr((subscriber.name or "", subscriber.address), charset="utf-8")
        message = Outgoing(selection.day, subscriber.address,
                           message_id(selection.day, subscriber.address, config.smtp.sender),
                           build_message(digest, config, to), selection.cadence,
                           tuple(paper_key(pick.paper) for pick in selection.picks))
        return Planned(selection, digest, message)


def plan_messages(data: SiteData, env: jinja2.Environment, day: dt.date, roster: Roster,
                  history: History | None = None, content_dir: Path = Path("content"), *,
                  only: frozenset[int] | None = None, again: bool = False, keep_going: bool = False,
                  jobs: int = 1) -> Plan:
    """Choose ``day``'s papers for each subscriber (see select_digests); render nothing yet."""
    choices = select_digests(data.papers, data.config, day, roster, history or History(), content_dir,
                             only=only, again=again, keep_going=keep_going, jobs=jobs)
    selections = [o for o in choices.outcomes if isinstance(o, Selection)]
    nothing = [o for o in choices.outcomes if isinstance(o, NoMessage)]
    return Plan(data, env, selections, nothing, choices.warnings)


def file_stem(day: dt.date, address: str) -> str:
    """Return the name, without suffix, of one subscriber's files of a day: ``<date>_<address>``."""
    return f"{day.isoformat()}_{re.sub(r'[^A-Za-z0-9@._+-]', '_', address)}"


def write_dry_run(messages: Iterable[Outgoing], folder: Path) -> list[Path]:
    """Write each message to ``folder`` as ``<date>_<recipient>.eml``; send nothing."""
    paths = []
    for message in messages:
        path = folder / f"{file_stem(message.date, message.recipient)}.eml"
        write_text_file(path, message.data)
        paths.append(path)
    return paths


def write_preview(planned: Planned, folder: Path) -> list[Path]:
    """Write one subscriber's message as ``<date>_<address>.html``, ``.txt`` and ``.eml``."""
    stem = file_stem(planned.message.date, planned.message.recipient)
    paths = []
    for suffix, body in (("html", planned.digest.html.encode("utf-8")), ("txt", planned.digest.text.encode("utf-8")),
                         ("eml", planned.message.data)):
        path = folder / f"{stem}.{suffix}"
        write_text_file(path, body)
        paths.append(path)
    return paths
