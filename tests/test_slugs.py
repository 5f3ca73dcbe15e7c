"""Slugs: ASCII, short, never empty, unique and independent of input order."""

import re

from paperwire.slugs import assign_slugs, base_slug

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def test_base_slug_is_ascii_lowercase():
    assert base_slug("Fréchet Distance: A Study!", "k") == "frechet-distance-a-study"


def test_non_latin_titles_get_a_slug():
    for title in ("深度学习的新方法", "Глубокое обучение", "🚀🚀", "???"):
        slug = base_slug(title, title)
        assert slug and SLUG.match(slug) and len(slug) <= 80


def test_long_titles_are_cut_at_80_on_a_word():
    slug = base_slug("word " * 60, "k")
    assert len(slug) <= 80 and not slug.endswith("-") and SLUG.match(slug)


def test_collisions_are_resolved_deterministically():
    claims = [("a key", "Same Title", ("2025-03-11", "a key")),
              ("b key", "Same title!", ("2025-03-12", "b key")),
              ("c key", "SAME TITLE?", ("2025-03-13", "c key"))]
    forward = assign_slugs(claims)
    backward = assign_slugs(list(reversed(claims)))
    assert forward == backward
    assert forward["a key"] == "same-title"  # the earliest keeps the plain slug
    assert len(set(forward.values())) == 3
    assert all(SLUG.match(s) and len(s) <= 80 for s in forward.values())


def test_slugs_are_stable_when_a_newer_paper_arrives():
    old = [("a", "Alpha", ("2025-03-01", "a")), ("b", "Beta", ("2025-03-01", "b"))]
    before = assign_slugs(old)
    after = assign_slugs(old + [("c", "alpha", ("2025-03-09", "c"))])
    assert after["a"] == before["a"] and after["b"] == before["b"]
    assert after["c"] != after["a"]


def test_long_colliding_titles_stay_within_80():
    title = "x" * 200
    slugs = assign_slugs([(f"k{i}", title, (i, f"k{i}")) for i in range(3)])
    assert len(set(slugs.values())) == 3
    assert all(len(s) <= 80 for s in slugs.values())
