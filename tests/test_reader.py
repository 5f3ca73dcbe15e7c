"""The trending-page reader on both sample layouts and on variants."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.errors import ContentError
from paperwire.readers import decode, trending_text
from paperwire.readers.trending_text import Line, content_lines, parse_date_line, read_trending_text

ABSTRACT = ("We study a problem in depth. " * 12).strip()
ABSTRACT2 = ("Another approach is described here with care. " * 8).strip()

SPACED = f"""new

Get trending papers in your email inbox!

Subscribe

byAK and the research community

Mar 11

First Paper Title

{ABSTRACT}

Second: A Paper

{ABSTRACT2}
"""

DENSE = f"""Get trending papers in your email inbox once a day!
Get trending papers in your email inbox!
SubscribeFirst Paper Title
{ABSTRACT}
Second: A Paper
{ABSTRACT2}
"""


def read(text: str, warnings: list[str] | None = None):
    return read_trending_text("page.txt", text, 2025, warnings if warnings is not None else [])


@pytest.mark.parametrize("text", [
    SPACED,
    SPACED.replace("\n", "\r\n"),
    SPACED.replace("\n\n", "\n\n\n\n"),
    SPACED.replace("\n", "   \n"),
    SPACED.replace("First Paper Title", "First\u00a0Paper  Title"),
], ids=["lf", "crlf", "extra-blank-lines", "trailing-spaces", "nbsp"])
def test_spaced_layout_variants(text):
    sightings = read(text)
    assert [s.raw_title for s in sightings] == ["First Paper Title", "Second: A Paper"]
    assert [s.raw_abstract for s in sightings] == [ABSTRACT, ABSTRACT2]
    assert [s.rank for s in sightings] == [1, 2]
    assert {s.date for s in sightings} == {dt.date(2025, 3, 11)}


def test_dense_layout_has_no_date_and_unglues_subscribe():
    sightings = read(DENSE)
    assert [s.raw_title for s in sightings] == ["First Paper Title", "Second: A Paper"]
    assert all(s.date is None for s in sightings)
    assert sightings[0].line == 3


def test_title_lines_are_recorded():
    sightings = read(SPACED)
    assert [s.line for s in sightings] == [11, 15]


def test_last_title_without_abstract_is_kept_with_warning():
    warnings: list[str] = []
    sightings = read(SPACED + "\nDangling Title\n", warnings)
    assert sightings[-1].raw_title == "Dangling Title"
    assert sightings[-1].raw_abstract == ""
    assert any("title has no abstract" in w for w in warnings)


def test_missing_abstract_in_the_middle_does_not_shift_pairs():
    text = f"Mar 11\nLonely Title\nFirst Paper Title\n{ABSTRACT}\nSecond: A Paper\n{ABSTRACT2}\n"
    warnings: list[str] = []
    sightings = read(text, warnings)
    assert [(s.raw_title, bool(s.raw_abstract)) for s in sightings] == [
        ("Lonely Title", False), ("First Paper Title", True), ("Second: A Paper", True)]


def test_short_abstract_still_pairs_by_alternation():
    text = "Mar 11\nTitle One\nA short abstract.\nTitle Two\n" + ABSTRACT + "\n"
    sightings = read(text)
    assert [(s.raw_title, s.raw_abstract) for s in sightings] == [
        ("Title One", "A short abstract."), ("Title Two", ABSTRACT)]


@pytest.mark.parametrize("line, expected", [
    ("Mar 11", dt.date(2025, 3, 11)),
    ("March 3", dt.date(2025, 3, 3)),
    ("Sep 30, 2024", dt.date(2024, 9, 30)),
    ("Dec 1 2023", dt.date(2023, 12, 1)),
    ("Marching on", None),
    ("Mar 11 papers", None),
])
def test_date_lines(line, expected):
    assert parse_date_line(line, 2025) == expected


def test_impossible_date_is_an_error_with_line():
    with pytest.raises(ContentError) as info:
        read("new\nFeb 30\nTitle\n" + ABSTRACT)
    assert str(info.value).startswith("page.txt:2: invalid date")


def test_decode_accepts_bom_and_rejects_binary_and_latin1():
    assert decode("a.txt", "\ufeffMar 11\n".encode("utf-8")) == "Mar 11\n"
    with pytest.raises(ContentError, match=r"b.txt:1: binary file"):
        decode("b.txt", b"ok\n\x00\x01")
    with pytest.raises(ContentError, match=r"c.txt:3: not valid UTF-8"):
        decode("c.txt", b"one\ntwo\nFr\xe9chet\n")


def test_content_lines_make_every_run_of_spaces_one_space():
    text = ("  a  b \n\tc\x1fd\t\n e\u1680f \nx\u00a0\u200by\ufeffz\n"
            "Subscribe  Title\nSubscribeGlued  Title \n\x1f\n")
    assert list(content_lines(text)) == [
        Line(1, "a b"), Line(2, "c d"), Line(3, "e f"), Line(4, "x y z"),
        Line(5, "Subscribe Title"), Line(6, "Glued Title")]
    # Plain ASCII takes a faster path, with or without the one space it has to split at.
    assert list(content_lines(" a b \n\n c  d \n")) == [Line(1, "a b"), Line(3, "c d")]
    assert list(content_lines(" a\x1fb \n\n c  d \n")) == [Line(1, "a b"), Line(3, "c d")]


@pytest.mark.parametrize("pattern", ["_LINK_LINE", "_UPVOTES", "_IGNORED_META", "_PUBLISHED", "_DATE_LINE"])
@settings(deadline=None)
@given(data=st.data())
def test_every_metadata_line_passes_the_quick_check(pattern, data):
    # _classify skips the metadata and date patterns for a line the quick check refuses.
    regex = getattr(trending_text, pattern)
    line = data.draw(st.from_regex(regex, fullmatch=True))
    assert trending_text._MAYBE_METADATA.match(line), line


@settings(deadline=None)
@given(st.lists(st.sampled_from(["", "a", "x" * 3000, "\r", "\n", "\r\n", "\x1c", "b" * 1500]),
                max_size=300).map("".join), st.integers(0, 120))
def test_first_lines_are_those_of_the_whole_text(text, count):
    assert trending_text._first_lines(text, count) == text.splitlines()[:count]
