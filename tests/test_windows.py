"""Weeks and months: which window a day is in, and how a window's papers rank."""

from __future__ import annotations

import datetime as dt

import pytest

from paperwire.config import TrendingConfig
from paperwire.rank import score_breakdown, trending_score
from paperwire.records import Paper, Sighting
from paperwire.windows import month_of, parse_key, rank_windows, week_of


def test_iso_weeks_cross_years():
    week = week_of(dt.date(2026, 1, 1))  # a Thursday in ISO week 1 of 2026
    assert (week.key, week.start, week.end) == ("2026-W01", dt.date(2025, 12, 29), dt.date(2026, 1, 4))
    assert week_of(dt.date(2027, 1, 3)).key == "2026-W53"
    assert week.url == "weeks/2026-W01/"
    assert week.label == "Week 1, 2026 (29 December – 4 January)"
    assert parse_key("week", "2026-W01") == week


def test_months():
    month = month_of(dt.date(2024, 2, 17))
    assert (month.key, month.start, month.end, month.url) == ("2024-02", dt.date(2024, 2, 1),
                                                               dt.date(2024, 2, 29), "months/2024-02/")
    assert month.label == "February 2024"
    assert parse_key("month", "2024-02") == month
    with pytest.raises(ValueError):
        parse_key("month", "2024-13")


def _paper(slug: str, *seen: tuple[dt.date | None, int], upvotes: int | None = None) -> Paper:
    sightings = tuple(Sighting(f"{slug}.txt", 1, day, rank, slug, "") for day, rank in seen)
    return Paper(slug, slug, "", slug, "", sightings, upvotes=upvotes)


def test_windows_rank_by_their_own_sightings():
    settings = TrendingConfig(half_life_days=3)
    monday, sunday, next_monday = dt.date(2026, 6, 8), dt.date(2026, 6, 14), dt.date(2026, 6, 15)
    early = _paper("early", (monday, 1))
    late = _paper("late", (sunday, 2), (next_monday, 1))
    undated = _paper("undated", (None, 1))
    weeks = rank_windows([early, late, undated], "week", settings)
    assert [w.key for w in weeks] == ["2026-W24", "2026-W25"]
    first, second = weeks.values()
    # Counted from the week's Sunday: Monday's first place has decayed six days, Sunday's second place none.
    assert [r.slug for r in first] == ["late", "early"]
    assert first[0].score == pytest.approx(10 / 1.584962500721156, abs=1e-6)
    assert first[1].score == pytest.approx(10 * 0.5 ** 2, abs=1e-6)
    assert [r.slug for r in second] == ["late"] and second[0].score == 10.0
    months = rank_windows([early, late], "month", settings)
    assert [w.key for w in months] == ["2026-06"]
    # The month is still running: counted from the corpus's newest day, as the home page is.
    newest = next_monday
    expected = {p.slug: trending_score(p, newest, settings) for p in (early, late)}
    assert {r.slug: r.score for r in months[next(iter(months))]} == expected


def test_breakdown_sums_to_the_score():
    settings = TrendingConfig(half_life_days=3, upvote_weight=0.5)
    paper = _paper("p", (dt.date(2025, 3, 14), 1), (dt.date(2025, 3, 11), 3), (None, 20), upvotes=15)
    parts = score_breakdown(paper.sightings, paper.upvotes, dt.date(2025, 3, 14), settings)
    assert [t.age_days for t in parts.terms] == [0, 3, 0]
    assert [round(t.points, 4) for t in parts.terms] == [10.0, 2.5, round(10 / 4.392317422778761, 4)]
    assert parts.upvote_points == 2.0
    assert parts.total == trending_score(paper, dt.date(2025, 3, 14), settings)
