"""The sample site in a real headless Chromium: navigation, widths, dark mode."""

from __future__ import annotations

import pytest



def test_home_topic_and_paper_navigation(page, sample_server):
    page.goto(sample_server)
    assert page.locator("h1").inner_text() == "Trending papers"
    first = page.locator("li.paper").first
    title = first.locator(".paper-title a").inner_text()
    chip = first.locator("a.chip").first
    topic_name = chip.inner_text()
    chip.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == topic_name
    assert "/topics/" in page.url
    assert page.locator(".paper-title a", has_text=title).count() == 1
    page.locator(".paper-title a", has_text=title).first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == title
    assert page.locator("p.abstract").inner_text().strip() != ""
    seen = page.locator("ul.sightings li")
    assert seen.count() >= 1
    # Sources are named for readers ("trending page · 2025-03-11 · #4"), never as corpus files.
    assert all(".txt" not in line and " · #" in line for line in seen.all_inner_texts())
    assert page.locator("section.related li").count() >= 1


@pytest.mark.parametrize("path", ["", "topics/", "topics/retrieval/", "days/2025-03-14/", "about/"])
def test_no_horizontal_scroll_at_375px(browser, sample_server, path):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(sample_server + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()


def test_paper_page_fits_375px(browser, sample_server, sample_site):
    import json
    papers = json.loads((sample_site / "api/papers.json").read_text())
    longest = max(papers, key=lambda p: len(p["title"]))
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(sample_server + longest["url"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # In the sightings, dates stay on one line each.
    heights = page.evaluate("""[...document.querySelectorAll('.sightings time')].map(cell => {
            const text = document.createRange();
            text.selectNodeContents(cell);
            return text.getBoundingClientRect().height / parseFloat(getComputedStyle(cell).fontSize);
        })""")
    assert heights and max(heights) < 2, heights  # in font sizes: one line is about 1.2 to 1.5
    context.close()


def test_dark_colour_scheme_gives_dark_background(browser, sample_server):
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    page.goto(sample_server)
    rgb = page.evaluate("getComputedStyle(document.body).backgroundColor")
    red, green, blue = [int(v) for v in rgb[rgb.index("(") + 1: rgb.index(")")].split(",")[:3]]
    assert max(red, green, blue) < 60
    context.close()


def test_skip_link_and_visible_focus(page, sample_server):
    page.goto(sample_server)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip"
    box = page.locator("a.skip").bounding_box()
    assert box is not None and box["x"] >= 0
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
