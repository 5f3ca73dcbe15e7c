"""Organisation pages: the papers a source credits to each organisation, and their index.

Hugging Face's daily papers credit a paper to an organisation by its handle
(``huggingface.co/<handle>``). Each handle gets ``orgs/<slug>/``, listing its
papers in trending order, and ``orgs/`` lists the organisations by paper count.
Handles may differ only in case or punctuation, so two of them can give one
slug: slugs are made for all handles of a build at once (``org_slugs``), and
a page links an organisation through that mapping (``org_url``).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping, NamedTuple
from urllib.parse import quote

from slugify import slugify

from ..records import Organization, Paper

if TYPE_CHECKING:
    from .site import ListPage, Output, SiteRenderer

MAX_ORG_SLUG_CHARS = 60


class OrgEntry(NamedTuple):
    """An organisation, as its page and the index show it."""

    fullname: str
    handle: str
    url: str  # site-relative: orgs/<slug>/
    hf_url: str  # its page on Hugging Face
    count: int  # its papers


class OrgGroup(NamedTuple):
    """One organisation and its papers."""

    entry: OrgEntry
    slugs: tuple[str, ...]  # its papers, best first


def _base_slug(handle: str) -> str:
    slug = slugify(handle, max_length=MAX_ORG_SLUG_CHARS, word_boundary=True, save_order=True)
    # A handle of symbols alone slugifies to nothing: its digest is still a stable slug.
    return slug or "org-" + hashlib.sha1(handle.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def org_slugs(papers: Iterable[Paper]) -> dict[str, str]:
    """Map every organisation handle in ``papers`` to a unique slug.

    Handles that give one slug are told apart by a numeric suffix (``-2``,
    ``-3``...): the handle equal to the slug keeps it bare, then the others
    in code-point order take the suffixes. The result depends only on which
    handles there are, never on the papers' order.
    """
    handles = {p.details.organization.name for p in papers if p.details.organization is not None}
    wanted: dict[str, list[str]] = {}
    for handle in handles:
        wanted.setdefault(_base_slug(handle), []).append(handle)
    taken = set(wanted)  # a suffixed slug may not take another handle's bare slug
    slugs: dict[str, str] = {}
    for base in sorted(wanted):
        rivals = sorted(wanted[base], key=lambda handle: (handle != base, handle))
        slugs[rivals[0]] = base
        number = 2
        for handle in rivals[1:]:
            while f"{base}-{number}" in taken:
                number += 1
            taken.add(f"{base}-{number}")
            slugs[handle] = f"{base}-{number}"
    return dict(sorted(slugs.items()))


def _page(slug: str) -> str:
    return f"orgs/{slug}/"


def org_url(organization: Organization | None, slugs: Mapping[str, str]) -> str | None:
    """Return the site-relative page of ``organization`` (``orgs/<slug>/``), None when it has none."""
    if organization is None or organization.name not in slugs:
        return None
    return _page(slugs[organization.name])


def org_sitemap_urls(slugs: Mapping[str, str]) -> list[str]:
    """Return ``orgs/`` and every organisation's page, by slug; nothing when no source names one."""
    return ["orgs/", *(_page(slug) for slug in sorted(slugs.values()))] if slugs else []


def org_groups(papers: Iterable[Paper], slugs: Mapping[str, str]) -> list[OrgGroup]:
    """Return every organisation with its papers (in the order given), most papers first, then by name."""
    members: dict[str, list[str]] = {}
    names: dict[str, Counter[str]] = {}
    for paper in papers:
        org = paper.details.organization
        if org is not None:
            members.setdefault(org.name, []).append(paper.slug)
            names.setdefault(org.name, Counter())[org.fullname] += 1
    groups = []
    for handle, listed in members.items():
        # Sources may spell one handle's name differently: the commonest spelling, ties to the first in code points.
        fullname = min(names[handle].items(), key=lambda pair: (-pair[1], pair[0]))[0]
        entry = OrgEntry(fullname, handle, _page(slugs[handle]), "https://huggingface.co/" + quote(handle, safe=""),
                         len(listed))
        groups.append(OrgGroup(entry, tuple(listed)))
    groups.sort(key=lambda g: (-g.entry.count, g.entry.fullname.casefold(), g.entry.fullname, g.entry.handle))
    return groups


def org_list_pages(renderer: SiteRenderer) -> Iterator[ListPage]:
    """Describe each organisation's pages, its papers by trending score."""
    for entry, slugs in org_groups(renderer.data.papers, renderer.org_slugs):
        yield from renderer.paginated(
            "org.html", entry.url, slugs, org=entry, page_title=entry.fullname,
            description=f"Papers credited to {entry.fullname}, by trending score.", section="orgs")


def orgs_index(renderer: SiteRenderer) -> Iterator[Output]:
    """Render ``orgs/``, when any source names an organisation."""
    groups = org_groups(renderer.data.papers, renderer.org_slugs)
    if groups:
        yield renderer.render("orgs.html", "orgs/index.html", orgs=[g.entry for g in groups],
                              page_title="Organisations", section="orgs",
                              description="The organisations papers are credited to, by number of papers.")
