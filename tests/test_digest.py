"""The daily digest: paper selection, teasers, both bodies, the .eml, the build's files."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re

import pytest

from paperwire.cli import main
from paperwire.errors import ContentError
from paperwire.render.digest import (
    MAX_HTML_BYTES, build_message, choose_day, header_text, message_id, papers_of_day, render_digest,
    render_digest_files, sentences, teaser,
)
from paperwire.render.environment import make_environment

from .helpers import make_content, make_paper, make_site_data

DAY = dt.date(2025, 3, 14)
EARLIER = dt.date(2025, 3, 11)


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def sample_data():
    papers = [
        make_paper("moe-one", "Sparse Experts at Scale", days=(DAY,), topics=("moe", "retrieval")),
        make_paper("old-one", "Seen Only Before", days=(EARLIER,), topics=("retrieval",)),
        make_paper("ret-one", "Dense Retrieval Again", days=(EARLIER, DAY), topics=("retrieval",)),
        make_paper("moe-two", "More Experts", days=(DAY,), topics=("moe",)),
        make_paper("undated", "No Date At All", topics=("moe",)),
    ]
    return make_site_data(papers)


# -- pure helpers -----------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("One. Two! Three? Four.", ["One.", "Two!", "Three?", "Four."]),
    ("We use e.g. BERT here. Next.", ["We use e.g. BERT here.", "Next."]),
    ("As Smith et al. Showed, it works. Next.", ["As Smith et al. Showed, it works.", "Next."]),
    ("Gains of 3.5 points. Also 2.0x faster.", ["Gains of 3.5 points.", "Also 2.0x faster."]),
    ("It is good (i.e. Fast). And cheap.", ["It is good (i.e. Fast).", "And cheap."]),
    ("See Fig. 3 for details. Done.", ["See Fig. 3 for details.", "Done."]),
    ("By J. Smith and co. Then more.", ["By J. Smith and co.", "Then more."]),
    ('He said "stop." Then left.', ['He said "stop."', "Then left."]),
    ("", []),
])
def test_sentences_split_at_real_boundaries_only(text, expected):
    assert sentences(text) == expected


def test_teaser_keeps_two_or_three_whole_sentences():
    short = "First one. Second one. Third one. Fourth one."
    assert teaser(short) == "First one. Second one. Third one."
    long_third = "First one. Second one. " + "Third " * 80 + "end."
    assert teaser(long_third) == "First one. Second one."
    assert teaser("Only one sentence here") == "Only one sentence here"
    huge = "word " * 300
    assert teaser(huge).endswith("…") and len(teaser(huge)) <= 480


def test_header_text_removes_line_breaks_and_controls():
    assert header_text("a\r\nBcc: x@y.org\x00\u2028b") == "a Bcc: x@y.org b"


# -- selection and views ----------------------------------------------------

def test_papers_of_day_keeps_rank_order_size_and_topic_filter():
    data = sample_data()
    assert [p.slug for p in papers_of_day(data.papers, DAY, 10)] == ["moe-one", "ret-one", "moe-two"]
    assert [p.slug for p in papers_of_day(data.papers, DAY, 2)] == ["moe-one", "ret-one"]
    assert [p.slug for p in papers_of_day(data.papers, DAY, 10, frozenset({"retrieval"}))] == ["moe-one", "ret-one"]


def test_groups_follow_main_topic_ordered_by_best_paper():
    digest = render_digest(sample_data(), make_environment(), DAY)
    groups = [(g.topic.name, [i.title for i in g.items]) for g in digest.view.groups]
    assert groups == [("Mixture of experts", ["Sparse Experts at Scale", "More Experts"]),
                      ("Retrieval and search", ["Dense Retrieval Again"])]
    # A subscriber's digest groups under the first topic they chose.
    mine = render_digest(sample_data(), make_environment(), DAY, ("retrieval",))
    assert [g.topic.name for g in mine.view.groups] == ["Retrieval and search"]
    assert mine.view.count == 2


def test_choose_day():
    papers = sample_data().papers
    assert choose_day(papers, None) == DAY
    assert choose_day(papers, dt.date(2025, 3, 12)) == dt.date(2025, 3, 12)  # inside the corpus: empty digest
    with pytest.raises(ValueError, match="corpus covers 2025-03-11 to 2025-03-14"):
        choose_day(papers, dt.date(2025, 3, 20))
    with pytest.raises(ValueError, match="no dated sightings"):
        choose_day((make_paper("x"),), None)


# -- bodies -----------------------------------------------------------------

def test_html_is_inlined_single_column_and_small():
    html = render_digest(sample_data(), make_environment(), DAY).html
    assert len(html.encode("utf-8")) < MAX_HTML_BYTES
    assert 'style="' in html and "max-width: 600px" in html
    assert 'role="presentation"' in html
    assert "@media (prefers-color-scheme: dark)" in html and "@media (max-width: 620px)" in html
    assert not re.search(r"<(script|link|img)\b", html)
    assert 'href="https://papers.example/papers/moe-one/"' in html
    assert 'href="https://papers.example/feed.xml"' in html and 'href="https://papers.example/atom.xml"' in html
    assert 'href="https://papers.example/unsubscribe"' in html
    assert 'class="preheader"' in html and "3 trending papers" in html


def test_too_big_a_digest_is_a_content_error():
    papers = [make_paper(f"p{i}", f"Paper number {i} " * 10, "Words. " * 60, days=(DAY,), topics=("moe",))
              for i in range(300)]
    with pytest.raises(ContentError, match="lower digest.size"):
        render_digest(make_site_data(papers, digest={"size": 300}), make_environment(), DAY)


def test_sample_digest_html_is_under_102_kb(sample_site):
    html = (sample_site / "digest" / "latest.html").read_bytes()
    assert 10_000 < len(html) < MAX_HTML_BYTES


def test_text_is_wrapped_at_72_columns_with_plain_urls():
    long_abstract = ("This sentence is deliberately long so that the teaser has to wrap over several lines "
                     "of text. Another sentence follows it here. A third one ends it.")
    papers = [make_paper("a-" + "very-long-slug" * 8, "A Title " * 15, long_abstract, days=(DAY,), topics=("moe",))]
    text = render_digest(make_site_data(papers), make_environment(), DAY).text
    for line in text.splitlines():
        assert len(line) <= 72 or re.fullmatch(r" *https?://\S+", line), line
    assert re.search(r"^  https://papers\.example/papers/a-very-long-slug\S+/$", text, re.M)
    assert "Unsubscribe: https://papers.example/unsubscribe" in text


def test_text_body_is_not_html_escaped():
    papers = [make_paper("amp", "Q&A <fast> \"models\"", days=(DAY,), topics=("moe",))]
    text = render_digest(make_site_data(papers), make_environment(), DAY).text
    assert 'Q&A ‹fast› "models"' in text and "&amp;" not in text


# -- the message ------------------------------------------------------------

def test_eml_is_multipart_alternative_with_headers():
    data = sample_data()
    digest = render_digest(data, make_environment(), DAY)
    msg = parse(build_message(digest, data.config, "Ada <ada@example.org>"))
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in msg.iter_parts())
    assert msg["Subject"] == "Trending papers for 14 March 2025: Sparse Experts at Scale"
    assert msg["From"] == "paperwire <digest@papers.example>"
    assert msg["To"] == "Ada <ada@example.org>"
    assert msg["Date"] == "Fri, 14 Mar 2025 07:00:00 +0000"
    assert msg["Message-ID"] == message_id(DAY, "ada@example.org", data.config.smtp.sender)
    assert re.fullmatch(r"<digest-2025-03-14\.[0-9a-f]{12}@papers\.example>", msg["Message-ID"])
    assert msg["List-Unsubscribe"] == "<https://papers.example/unsubscribe>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "https://papers.example/papers/ret-one/" in msg.get_body(("plain",)).get_content()


def test_no_list_unsubscribe_without_url():
    data = make_site_data(sample_data().papers, digest={"unsubscribe_url": None})
    digest = render_digest(data, make_environment(), DAY)
    msg = parse(build_message(digest, data.config))
    assert "List-Unsubscribe" not in msg and "List-Unsubscribe-Post" not in msg
    assert "Unsubscribe" not in digest.text
    assert msg["To"] == "undisclosed-recipients:;"


def test_hostile_title_neither_splits_headers_nor_reaches_html_raw():
    title = "Evil\r\nBcc: victim@example.org\r\n\r\n<script>alert(1)</script> Ünïcödé\x07"
    data = make_site_data([make_paper("evil", title, "Bad <b>stuff</b>. More.", days=(DAY,), topics=("moe",))])
    digest = render_digest(data, make_environment(), DAY)
    raw = build_message(digest, data.config, "ada@example.org")
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"^Bcc:", head, re.M | re.I)
    assert all(line.startswith((b" ", b"\t")) or b":" in line for line in head.split(b"\r\n"))
    msg = parse(raw)
    assert "Bcc" not in msg and "\n" not in msg["Subject"] and "Ünïcödé" in msg["Subject"]
    assert b"=?utf-8?" in head  # RFC 2047
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>stuff" not in html


def test_render_is_deterministic():
    data = sample_data()
    first = dict(render_digest_files(data, make_environment()))
    second = dict(render_digest_files(data, make_environment()))
    assert first == second
    assert sorted(first) == [f"digest/{n}.{e}" for n in ("2025-03-14", "latest") for e in ("eml", "html", "txt")]
    assert first["digest/latest.eml"] == first["digest/2025-03-14.eml"]


def test_empty_day_says_so():
    data = sample_data()
    day = dt.date(2025, 3, 12)
    digest = render_digest(data, make_environment(), day)
    assert digest.view.count == 0
    assert "No new papers were seen on Wednesday, 12 March 2025." in digest.text
    assert "No new papers were seen on" in digest.html
    assert "days/2025-03-12/" not in digest.text  # no such day page
    msg = parse(build_message(digest, data.config))
    assert msg["Subject"] == "Trending papers for 12 March 2025: no new papers"


def test_no_dated_sightings_means_no_digest_files():
    data = make_site_data([make_paper("undated", topics=("moe",))])
    assert list(render_digest_files(data, make_environment())) == []
    assert list(render_digest_files(make_site_data([]), make_environment())) == []


# -- the build and the command ----------------------------------------------

def test_build_writes_newest_day_and_latest(sample_site):
    folder = sample_site / "digest"
    names = sorted(p.name for p in folder.iterdir())
    dated = [n for n in names if n[0].isdigit()]
    assert len(dated) == 3
    day = dated[0].split(".")[0]
    for ext in ("html", "txt", "eml"):
        assert (folder / f"{day}.{ext}").read_bytes() == (folder / f"latest.{ext}").read_bytes()
    msg = parse((folder / "latest.eml").read_bytes())
    assert msg["Subject"].startswith("Trending papers for ")
    assert msg.get_body(("plain",)).get_content().count("\n* ") >= 1


def test_digest_command_writes_any_day(tmp_path, capsys):
    content = make_content(tmp_path, copy_sample_corpus=True)
    out = tmp_path / "out"
    assert main(["digest", "--date", "2025-03-11", "--content", str(content), "--out", str(out), "-q"]) == 0
    assert sorted(p.name for p in (out / "digest").iterdir()) == ["2025-03-11.eml", "2025-03-11.html", "2025-03-11.txt"]
    assert main(["digest", "--date", "2031-01-01", "--content", str(content), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no sightings on 2031-01-01" in err[0]


def test_digest_command_rejects_a_bad_date(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["digest", "--date", "14/03/2025", "--content", str(tmp_path)])
    assert exc.value.code == 2
    assert "is not a date like 2025-03-14" in capsys.readouterr().err


# -- in a browser -----------------------------------------------------------

@pytest.mark.parametrize("width", [375, 600])
def test_html_digest_fits_small_and_wide_screens(browser, sample_site, width):
    page = browser.new_page(viewport={"width": width, "height": 800})
    try:
        page.goto((sample_site / "digest" / "latest.html").as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.locator("h3 a").count() >= 1
        assert not page.locator(".preheader").is_visible()
    finally:
        page.close()


# -- why each paper is there; weeks; one subscriber's preview -------------------

def test_the_sites_digest_says_each_paper_is_top_in_its_topic():
    digest = render_digest(sample_data(), make_environment(), DAY)
    assert [item.why for group in digest.view.groups for item in group.items] == [
        ("top in Mixture of experts",), ("top in Mixture of experts",), ("top in Retrieval and search",)]
    assert "Why: top in Retrieval and search" in digest.text
    assert re.search(r"<strong[^>]*>Why:</strong> top in Retrieval and search</p>", digest.html)  # styles inlined


@pytest.mark.parametrize("first, last, label", [
    (dt.date(2025, 3, 8), dt.date(2025, 3, 14), "8–14 March 2025"),
    (dt.date(2025, 2, 26), dt.date(2025, 3, 4), "26 February – 4 March 2025"),
    (dt.date(2024, 12, 29), dt.date(2025, 1, 4), "29 December 2024 – 4 January 2025"),
])
def test_week_labels(first, last, label):
    from paperwire.render.digest import week_label

    assert week_label(first, last) == label


def test_digest_command_previews_one_subscriber_and_names_an_unknown_one(tmp_path, capsys):
    content = make_content(tmp_path, copy_sample_corpus=True)
    (content / "subscribers.yaml").write_text(
        "subscribers:\n  - address: ada@example.org\n    keywords: [retrieval]\n"
        "  - address: alan@example.org\n    cadence: weekly\n")
    out = tmp_path / "out"
    assert main(["digest", "--subscriber", "ada@example.org", "--content", str(content), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    names = sorted(p.name for p in (out / "digest").iterdir())
    assert names == ["2025-03-14_ada@example.org.eml", "2025-03-14_ada@example.org.html",
                     "2025-03-14_ada@example.org.txt"]
    assert printed[:3] == [str(out / "digest" / n) for n in (names[1], names[2], names[0])]
    assert "Why: matches 'retrieval'" in (out / "digest" / names[2]).read_text()
    # A weekly subscriber on another day: nothing written, and why.
    assert main(["digest", "--subscriber", "alan@example.org", "--content", str(content), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == ("not their day: alan@example.org (weekly, on mondays); "
                                               "nothing written")
    assert main(["digest", "--subscriber", "ada@exampel.org", "--content", str(content), "--out", str(out)]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.endswith("subscribers.yaml: no subscriber 'ada@exampel.org' (did you mean 'ada@example.org'?)")
