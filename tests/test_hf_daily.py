"""Hugging Face daily papers in both shapes, and the details they carry through merge into the API."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from paperwire.config import config_from
from paperwire.merge import merge
from paperwire.pipeline import build
from paperwire.readers import read_file
from paperwire.readers.common import web_url
from paperwire.records import Details, Organization, Sighting

from .helpers import make_content

FIXTURES = Path(__file__).parent / "fixtures"


def read(name: str, warnings: list[str] | None = None) -> list[Sighting]:
    return read_file(FIXTURES / name, name, config_from(), warnings if warnings is not None else [])


def test_2026_shape_is_dated_by_the_day_it_was_featured():
    # Top-level publishedAt is the arXiv date in today's shape (the 10th, 9th and 3rd); all were featured on the 12th.
    assert [s.date for s in read("hf_daily_2026.json")] == [dt.date(2026, 6, 12)] * 3
    assert [s.published for s in read("hf_daily_2026.json")] == [
        dt.date(2026, 6, 10), dt.date(2026, 6, 9), dt.date(2026, 6, 3)]


def test_2024_shape_is_dated_by_its_top_level_published_at():
    (only,) = read("hf_daily_2024.json")
    assert (only.date, only.published) == (dt.date(2024, 3, 12), dt.date(2024, 3, 11))
    assert only.details.thumbnail == "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2403.07001.png"
    assert only.details.num_comments == 2


def test_details_inside_paper():
    first = read("hf_daily_2026.json")[0]
    assert first.details == Details(
        github_repo="https://github.com/meitanaka/sparse-routers", github_stars=86100,
        project_page="https://sparse-routers.github.io/", organization=Organization("google", "Google"),
        ai_summary="Mixture-of-experts routers act as retrieval heads that match queries against learned keys.",
        ai_keywords=("mixture of experts", "routing", "retrieval heads"),
        thumbnail="https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2606.08123.png", num_comments=4)


def test_details_at_top_level_and_unsafe_urls_dropped():
    warnings: list[str] = []
    second = read("hf_daily_2026.json", warnings)[1]
    assert second.arxiv_id == "2606.07001"
    assert second.details.github_repo == "https://github.com/analima/manual-agents"
    assert second.details.github_stars == 312
    assert second.details.organization == Organization("openlab", "openlab")  # no fullname: the handle
    assert second.details.ai_keywords == ("tool use", "agents")
    assert second.details.num_comments == 0
    assert second.details.project_page is None and second.details.thumbnail is None
    assert sum("not an http(s) URL" in w for w in warnings) == 2


def test_missing_details_are_empty():
    third = read("hf_daily_2026.json")[2]
    assert third.details == Details(num_comments=1)


def test_web_url_keeps_only_the_web():
    assert web_url("https://github.com/a/b") == "https://github.com/a/b"
    assert web_url(" HTTP://example.org/x ") == "HTTP://example.org/x"
    for bad in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "//github.com/a", "github.com/a",
                "https://", "https://exa mple.org", "ftp://example.org", "https://[::1", 42, None):
        assert web_url(bad) is None, bad


def _sighting(source: str, date: dt.date, details: Details) -> Sighting:
    return Sighting(source=source, line=1, date=date, rank=1, raw_title="One Paper", raw_abstract="",
                    arxiv_id="2606.00001", details=details)


def test_merge_keeps_most_stars_and_first_values():
    (paper,) = merge([
        _sighting("b.json", dt.date(2026, 6, 2), Details(github_stars=500, ai_summary="later",
                                                            github_repo="https://github.com/x/late")),
        _sighting("a.json", dt.date(2026, 6, 1), Details(github_stars=20, ai_keywords=("k",), num_comments=0)),
        _sighting("c.txt", dt.date(2026, 6, 3), Details()),
    ])
    assert paper.details == Details(github_repo="https://github.com/x/late", github_stars=500, ai_summary="later",
                                    ai_keywords=("k",), num_comments=0)


def test_api_carries_details(tmp_path):
    content = make_content(tmp_path, corpus={"hf-daily/2026-06-12.json": (FIXTURES / "hf_daily_2026.json").read_text()})
    build(content, tmp_path / "site", jobs=1)
    papers = {p["arxiv_id"]: p for p in json.loads((tmp_path / "site" / "api" / "papers.json").read_text())}
    first = papers["2606.08123"]
    assert first["github_repo"] == "https://github.com/meitanaka/sparse-routers"
    assert first["github_stars"] == 86100
    assert first["organization"] == {"name": "google", "fullname": "Google"}
    assert first["ai_keywords"] == ["mixture of experts", "routing", "retrieval heads"]
    assert first["project_page"] == "https://sparse-routers.github.io/"
    assert first["num_comments"] == 4
    plain = papers["2606.05555"]
    assert (plain["github_repo"], plain["github_stars"], plain["organization"], plain["ai_summary"],
            plain["ai_keywords"], plain["thumbnail"]) == (None, None, None, None, [], None)
    # One response for one day gives one day page, not one per arXiv date.
    assert sorted(p.name for p in (tmp_path / "site" / "days").iterdir() if p.is_dir()) == ["2026-06-12"]
