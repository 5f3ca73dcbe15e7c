"""Weeks and months: the windows a site's lists are also cut into.

A week is an ISO week (Monday to Sunday, ``2026-W24``), a month a calendar
month (``2026-06``). A paper belongs to every window it was seen in; within
a window, papers are ranked by the trending score of their sightings inside
it, counted from the window's last day (or the corpus's newest day, for the
window still running), so a closed week's list never changes as days pass.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, NamedTuple

from .config import TrendingConfig
from .rank import newest_date, window_score
from .records import Paper, Sighting

Kind = Literal["week", "month"]
FOLDERS: dict[str, str] = {"week": "weeks", "month": "months"}


@dataclass(frozen=True, order=True)
class Window:
    """One week or month, ordered by its start."""

    start: dt.date
    end: dt.date  # inclusive
    kind: str
    key: str  # "2026-W24" or "2026-06"

    @property
    def url(self) -> str:
        """Site-relative path of the window's list."""
        return f"{FOLDERS[self.kind]}/{self.key}/"

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%B %Y}"
        year, week, _ = self.start.isocalendar()
        same_month = self.start.month == self.end.month
        span = (f"{self.start.day}–{self.end.day} {self.end:%B}" if same_month
                else f"{self.start.day} {self.start:%B} – {self.end.day} {self.end:%B}")
        return f"Week {week}, {year} ({span})"


class Ranked(NamedTuple):
    """A paper's place in one window: its slug and its score there."""

    slug: str
    score: float


def week_of(day: dt.date) -> Window:
    """Return the ISO week holding ``day``."""
    year, week, weekday = day.isocalendar()
    start = day - dt.timedelta(days=weekday - 1)
    return Window(start, start + dt.timedelta(days=6), "week", f"{year}-W{week:02d}")


def month_of(day: dt.date) -> Window:
    """Return the calendar month holding ``day``."""
    start = day.replace(day=1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return Window(start, following - dt.timedelta(days=1), "month", f"{day:%Y-%m}")


WINDOW_OF = {"week": week_of, "month": month_of}


def parse_key(kind: str, key: str) -> Window:
    """Return the window a key such as ``2026-W24`` or ``2026-06`` names; ValueError if none."""
    if kind == "week":
        year, _, week = key.partition("-W")
        return week_of(dt.date.fromisocalendar(int(year), int(week), 1))
    return month_of(dt.date.fromisoformat(key + "-01"))


def rank_windows(papers: tuple[Paper, ...] | list[Paper], kind: str,
                 settings: TrendingConfig) -> dict[Window, tuple[Ranked, ...]]:
    """Return every window of ``kind`` with a dated sighting, oldest first, each with its papers best first.

    Undated sightings belong to no window. Ties break by slug, as on every list.
    """
    newest = newest_date(papers)
    window_of = WINDOW_OF[kind]
    found: dict[Window, list[Ranked]] = {}
    for paper in papers:
        inside: dict[Window, list[Sighting]] = {}
        for sighting in paper.sightings:
            if sighting.date is not None:
                inside.setdefault(window_of(sighting.date), []).append(sighting)
        for window, sightings in inside.items():
            counted_from = min(window.end, newest) if newest else window.end
            score = window_score(sightings, paper.upvotes, counted_from, settings)
            found.setdefault(window, []).append(Ranked(paper.slug, score))
    return {window: tuple(sorted(found[window], key=lambda r: (-r.score, r.slug))) for window in sorted(found)}
