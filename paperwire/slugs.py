"""URL slugs for papers: ASCII, lowercase, at most 80 characters, unique."""

from __future__ import annotations

import hashlib

from slugify import slugify

from .parallel import chunked, map_chunks

MAX_SLUG_CHARS = 80


def _digest(key: str, chars: int) -> str:
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:chars]


def base_slug(title: str, key: str) -> str:
    """Return the slug a title would get if no other paper competed for it."""
    # python-slugify transliterates non-Latin scripts (via text-unidecode),
    # so a Chinese or Greek title still yields a readable ASCII slug.
    slug = slugify(title, max_length=MAX_SLUG_CHARS, word_boundary=True, save_order=True)
    return slug or f"paper-{_digest(key, 8)}"


def _base_slugs(_context: None, pairs: list[tuple[str, str]]) -> list[str]:
    return [base_slug(title, key) for title, key in pairs]


def assign_slugs(claims: list[tuple[str, str, tuple]], jobs: int = 1) -> dict[str, str]:
    """Map each paper key to a unique slug.

    ``claims`` holds (key, title, priority) per paper. Where several papers
    want one slug, the one with the lowest priority (its first date, then its
    key) keeps the plain slug; the others get a suffix made from their own key.
    Papers added later tend to be newer, so existing slugs do not move, and the
    result never depends on the order files were read in.
    """
    # python-slugify takes about 25 µs a title: worth sharing among workers.
    pairs = [(title, key) for key, title, _priority in claims]
    bases = [slug for part in map_chunks(_base_slugs, chunked(pairs, 5000), None, jobs) for slug in part]
    wanted: dict[str, list[tuple[tuple, str]]] = {}
    for (key, _title, priority), slug in zip(claims, bases):
        wanted.setdefault(slug, []).append((priority, key))
    slugs: dict[str, str] = {}
    taken = set(wanted)
    for slug in sorted(wanted):
        rivals = sorted(wanted[slug])
        slugs[rivals[0][1]] = slug
        for _priority, key in rivals[1:]:
            chars = 6
            while True:
                suffix = _digest(key, chars)
                candidate = f"{slug[: MAX_SLUG_CHARS - len(suffix) - 1].rstrip('-')}-{suffix}"
                if candidate not in taken:
                    break
                chars += 2
            taken.add(candidate)
            slugs[key] = candidate
    return slugs
