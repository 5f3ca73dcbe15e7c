"""The views templates see: what they join and format once per paper is what the filters would give."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from dataclasses import replace

from hypothesis import given, strategies as st

from paperwire.records import Sighting, Topic
from paperwire.render.views import arxiv_search_url, paper_view, topic_link

from .helpers import make_paper


@given(st.text())
def test_the_arxiv_search_is_what_urlencode_gives(title):
    expected = "https://arxiv.org/search/?" + urllib.parse.urlencode({"query": title, "searchtype": "title"})
    try:
        assert arxiv_search_url(title) == expected
    except UnicodeEncodeError:  # a lone surrogate, which clean text never holds: urlencode fails the same way
        pass


def test_the_arxiv_search_quotes_ascii_and_beyond():
    for title in ("Fréchet Audio Distance on ℝⁿ", "Q&A: \"all\" <b> 100% ~_.-", "", " \t\x00\x7f/+?#"):
        assert arxiv_search_url(title) == ("https://arxiv.org/search/?"
                                           + urllib.parse.urlencode({"query": title, "searchtype": "title"}))


def test_joined_and_formatted_fields_are_what_the_filters_gave():
    paper = make_paper("alpha", days=(dt.date(2026, 6, 11), dt.date(2026, 6, 12)), topics=("moe", "agents"))
    paper = replace(paper, authors=("Ada <L>", "Alan T."), categories=("cs.CL", "cs.LG"),
                    sightings=paper.sightings + (Sighting("b.txt", 1, None, 3, "Alpha", ""),))
    links = {slug: topic_link(Topic(slug, name, "")) for slug, name in (("moe", "Mixture & experts"),
                                                                        ("agents", "Agents"))}
    view = paper_view(paper, 1, links)
    assert view.authors_text == ", ".join(view.authors) == "Ada <L>, Alan T."
    assert view.topic_names == " · ".join(t.name for t in view.topics) == "Mixture & experts · Agents"
    assert view.categories_text == "cs.CL, cs.LG"
    assert view.citation_date == view.first_seen.replace("-", "/") == "2026/06/11"
    assert view.sightings_text == "3 sightings" and len(view.sightings) == 3
    single = paper_view(make_paper("beta"), 2, links)
    assert single.sightings_text == "1 sighting" and single.citation_date is None and single.first_seen is None
    assert single.authors_text == "" and single.topic_names == "" and single.categories_text == ""
