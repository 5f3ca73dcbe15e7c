"""Render the HTML pages, sitemap and robots.txt of the site."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, NamedTuple, Sequence

import jinja2
from markupsafe import Markup, escape

from ..records import Details, Paper, Topic
from ..pages import MarkdownPage
from ..config import SiteConfig
from .api import dumps
from ..classify import OTHER
from .environment import THEME_DIR
from .shell import PageShell, RepeatedTemplate
from .org_pages import org_list_pages, org_sitemap_urls, org_slugs, orgs_index
from .window_pages import latest_window_links, render_windows, window_links, window_urls, with_links
from ..rank import newest_date
from .views import HistoryView, PaperView, history_view, paper_view, topic_link, topics_by_slug, why_view

if TYPE_CHECKING:
    import markdown_it

Output = tuple[str, bytes]
ROOT_MARK = "<paperwire-root>"
# Templates of which a build renders hundreds or thousands of pages: their
# chrome is rendered once per depth (see shell.py). The values a page's chrome
# shows of its own; anything else page-specific stays out of the chrome.
MANY_PAGE_TEMPLATES = frozenset({"paper.html", "index.html", "topic.html", "day.html", "window.html", "org.html"})
CHROME_VALUES = ("page_title", "description", "canonical")
# What makes a paper page's searchable part: while all are the theme's own, search reads its article alone.
_SEARCHED_TEMPLATES = ("paper.html", "base.html", "_macros.html")


@dataclass(frozen=True)
class SiteData:
    """Everything the renderers need, gathered before anything is written."""

    config: SiteConfig
    topics: tuple[Topic, ...]  # from topics.yaml, in file order
    papers: tuple[Paper, ...]  # ranked, best first
    related: dict[str, tuple[str, ...]]  # slug -> related slugs
    pages: tuple[MarkdownPage, ...]
    warnings: tuple[str, ...] = ()
    files_read: int = 0
    classified: dict[str, tuple[str, ...]] = field(default_factory=dict)  # text key -> topics, for the next build
    source_labels: dict[str, str] = field(default_factory=dict)  # corpus file -> its source's name for readers


@dataclass(frozen=True)
class NavLink:
    title: str
    url: str


@dataclass(frozen=True)
class SiteView:
    title: str
    description: str
    base_url: str
    language: str
    pages: tuple[NavLink, ...]
    search: bool  # whether the site has a search page


@dataclass(frozen=True)
class FeedLink:
    media_type: str
    title: str
    url: str  # site-relative


# Every list's feeds, in the order pages link them: file name, media type, label.
FEED_FORMATS = (("feed.xml", "application/rss+xml", "RSS"), ("atom.xml", "application/atom+xml", "Atom"),
                ("feed.json", "application/feed+json", "JSON Feed"))


@functools.cache  # one tuple per list: page shells are keyed by it
def feed_links(folder: str, title: str) -> tuple[FeedLink, ...]:
    """Return the autodiscovery links of the feeds in ``folder`` ("" for the site's, "weeks/", "topics/<slug>/")."""
    return tuple(FeedLink(media_type, f"{title} ({label})", folder + name) for name, media_type, label in FEED_FORMATS)


class PaperLink(NamedTuple):
    """A related paper, as a paper page links to it."""

    title: str
    url: str  # site-relative


class SitemapEntry(NamedTuple):
    """One URL of the sitemap.

    A named tuple, not a dict: ``entry.loc`` on a dict makes Jinja raise
    and catch an AttributeError before it looks the key up, which was most
    of the sitemap's time at 20,000 papers. ``entry["loc"]`` works too.
    """

    loc: str  # absolute
    lastmod: str | None = None


class ListItem(NamedTuple):
    number: int  # place in this list
    html: Markup  # the pre-rendered entry, its links starting with ROOT_MARK


@dataclass(frozen=True)
class ListPage:
    """One page listing papers, described before it is rendered.

    Describing is cheap and rendering is not: pages can be listed and
    counted before any is rendered.
    """

    template: str
    path: str
    slugs: tuple[str, ...]  # the papers listed, in order
    first: int  # the number before the first entry's
    context: dict[str, Any]


@dataclass(frozen=True)
class Pagination:
    number: int
    pages: int
    prev_url: str | None
    next_url: str | None


def root_for(path: str) -> str:
    """Return the relative prefix from ``path`` back to the site root."""
    depth = path.count("/")
    return "../" * depth if depth else "./"


def page_url(path: str) -> str:
    """Return the site-relative URL of an output path (folders end in /)."""
    return path[: -len("index.html")] if path.endswith("index.html") else path


def _ordinal(day: dt.date | None) -> int | None:
    return day.toordinal() if day else None


@functools.cache
def _markdown() -> "markdown_it.MarkdownIt":
    # Imported when the pages are rendered, by the process rendering them:
    # loading markdown-it takes 40 ms, which would otherwise delay every build.
    from markdown_it import MarkdownIt

    # Raw HTML stays off: pages render as Markdown only, escaped like all text.
    return MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(["table", "strikethrough"])


def day_label(day: dt.date) -> str:
    return f"{day:%A}, {day.day} {day:%B %Y}"


class TopicChips:
    """The ``topic_chips`` macro of _macros.html, rendered once per topics and root.

    Templates call it as ``chips(topics, root)``. Twenty thousand papers
    have a few hundred distinct sets of topics, so nearly every call is a
    dictionary lookup instead of a macro call.
    """

    def __init__(self, env: jinja2.Environment):
        self.macro = env.get_template("_macros.html").module.topic_chips
        self.cache: dict[tuple, Markup] = {}

    def __call__(self, topics: tuple, root: str) -> Markup:
        key = (topics, root)
        html = self.cache.get(key)
        if html is None:
            html = self.cache[key] = self.macro(topics, root)
        return html


def _details_key(details: Details) -> tuple:
    """Return a paper's details as plain values, which the page key's marshal takes."""
    org = details.organization
    return (details.github_repo, details.github_stars, details.project_page, (org.name, org.fullname) if org else None,
            details.ai_summary, details.ai_keywords, details.thumbnail, details.num_comments)


class SiteRenderer:
    """Render pages from one SiteData with one Jinja environment."""

    def __init__(self, data: SiteData, env: jinja2.Environment):
        self.data = data
        self.env = env
        self.config = data.config
        self.topic_map = topics_by_slug(data.topics)
        self.topic_links = {slug: topic_link(topic) for slug, topic in self.topic_map.items()}
        # Every configured topic gets a page; "other" only when it has papers.
        used = {slug for p in data.papers for slug in p.topics}
        self.page_topics = tuple(t for slug, t in self.topic_map.items() if slug != OTHER or slug in used)
        self.papers = {p.slug: p for p in data.papers}
        self.positions = {p.slug: i for i, p in enumerate(data.papers, 1)}
        self._views: dict[str, PaperView] = {}
        self._received: dict[str, Paper] = {}
        self._items: dict[str, Markup] = {}
        self._shells: dict[tuple, PageShell] = {}
        self.chips = TopicChips(env)
        self.org_slugs = org_slugs(data.papers)  # organisation handle -> its page's slug, unique in this build
        self.site = SiteView(
            title=self.config.title, description=self.config.description,
            base_url=self.config.base_url, language=self.config.language,
            pages=tuple(NavLink(p.title, p.url) for p in data.pages if p.in_nav),
            search=self.config.search.enabled,
        )

    def view(self, slug: str) -> PaperView:
        """Return the view of one paper, built on first use."""
        view = self._views.get(slug)
        if view is None:
            view = self._views[slug] = self._new_view(slug)
        return view

    def _new_view(self, slug: str) -> PaperView:
        return paper_view(self.paper(slug), self.positions[slug], self.topic_links, self.data.source_labels,
                          self.org_urls)

    @functools.cached_property
    def org_urls(self) -> dict[str, str]:
        """Each organisation's page, by handle."""
        return {handle: f"orgs/{slug}/" for handle, slug in self.org_slugs.items()}

    @functools.cached_property
    def newest(self) -> dt.date | None:
        """The corpus's newest day, from which the lists' scores are counted."""
        return newest_date(self.data.papers)

    def item(self, slug: str) -> Markup:
        """Return a paper's list entry, its links starting with ROOT_MARK instead of a root.

        An entry is rendered once and reused on the home, topic and day pages;
        each page puts its root in place of the mark once, over the whole page.
        The mark starts with "<", which escaped text can never contain.
        """
        html = self._items.get(slug)
        if html is None:
            # The view is not kept: each paper has one entry, and at 100,000
            # papers the views would be tens of megabytes.
            # The score's parts change every day, like the lists that show them; paper pages never show them.
            why = why_view(self.papers[slug], self.newest, self.config.trending)
            html = self._items[slug] = Markup(self.entry_template.render(
                dict(paper=self._new_view(slug), why=why, root=Markup(ROOT_MARK), chips=self.chips)))
        return html

    @functools.cached_property
    def entry_template(self) -> RepeatedTemplate:
        """_paper_item.html, rendered once for every paper."""
        return RepeatedTemplate(self.env.get_template("_paper_item.html"))

    def render(self, template: str, path: str, **context: Any) -> Output:
        """Render ``template`` as the page at ``path``."""
        return path, self.html(template, path, **context).encode("utf-8")

    def html(self, template: str, path: str, **context: Any) -> str:
        """Return ``template`` rendered as the page at ``path``."""
        values = self.page_values(path, **context)
        if template in MANY_PAGE_TEMPLATES:
            # The same page as the plain render below (shell.py checks it), the chrome rendered once.
            return self._shell(template, values["root"], values["section"], values["alternates"]).render(values)
        return self.env.get_template(template).render(values)

    def page_values(self, path: str, **context: Any) -> dict[str, Any]:
        """Return what the template of the page at ``path`` sees: ``context`` and the values every page has."""
        context.setdefault("page_title", "")
        context.setdefault("description", self.config.description)
        context.setdefault("alternates", feed_links("", self.config.title))  # a page with no list of its own
        context.setdefault("section", "")
        # A relative root is dots and slashes: marked safe, it skips escaping.
        root = context.pop("root", None) or Markup(root_for(path))
        return dict(site=self.site, root=root, canonical=self.config.base_url + page_url(path), chips=self.chips,
                    **context)

    def _shell(self, template: str, root: str, section: str, alternates: tuple) -> PageShell:
        key = (template, root, section, alternates)
        shell = self._shells.get(key)
        if shell is None:
            shared = dict(site=self.site, root=root, section=section, alternates=alternates, chips=self.chips)
            shell = self._shells[key] = PageShell(self.env.get_template(template), shared, CHROME_VALUES)
        return shell

    def paginated(self, template: str, base: str, papers: Sequence[str], **context: Any) -> Iterator[ListPage]:
        """Describe ``base``index.html and ``base``page/N/index.html listing ``papers`` (slugs)."""
        per_page = self.config.trending.per_page
        count = max(1, -(-len(papers) // per_page))
        for number in range(1, count + 1):
            path = f"{base}index.html" if number == 1 else f"{base}page/{number}/index.html"
            prev_url = None if number == 1 else (base if number == 2 else f"{base}page/{number - 1}/")
            next_url = f"{base}page/{number + 1}/" if number < count else None
            first = (number - 1) * per_page
            yield ListPage(template, path, tuple(papers[first: first + per_page]), first,
                           dict(total=len(papers), pagination=Pagination(number, count, prev_url, next_url),
                                **context))

    def render_list_page(self, page: ListPage) -> Output:
        """Render one list page from the papers' pre-rendered entries."""
        items = [ListItem(number, self.item(slug)) for number, slug in enumerate(page.slugs, page.first + 1)]
        html = self.html(page.template, page.path, items=items, **page.context)
        return page.path, html.replace(ROOT_MARK, root_for(page.path)).encode("utf-8")

    def list_pages(self) -> list[ListPage]:
        """Describe the home, topic, day and organisation pages (the weeks and months: render_windows)."""
        latest = latest_window_links(self.data.papers)
        home = [with_links(page, **latest, orgs_url="orgs/" if self.org_slugs else None) for page in self.home()]
        days = [with_links(page, **window_links(dt.date.fromisoformat(page.context["day"]["date"])))
                for page in self.day_pages()]
        return [*home, *self.topic_pages(), *days, *org_list_pages(self)]

    def home(self) -> Iterator[ListPage]:
        newest = max((p.last_seen for p in self.data.papers if p.last_seen), default=None)
        yield from self.paginated("index.html", "", list(self.papers), section="home",
                                  newest=newest.isoformat() if newest else None)

    def topic_members(self) -> dict[str, list[str]]:
        """Return the slugs of each topic's papers, best first."""
        members: dict[str, list[str]] = {slug: [] for slug in self.topic_map}
        for paper in self.data.papers:
            for slug in paper.topics:
                members[slug].append(paper.slug)
        return members

    def topic_pages(self) -> Iterator[ListPage]:
        members = self.topic_members()
        for topic in self.page_topics:
            link = self.topic_links[topic.slug]
            yield from self.paginated("topic.html", link.url, members[topic.slug], topic=topic,
                                      page_title=topic.name, description=topic.description,
                                      alternates=feed_links(link.url, topic.name), section="topics")

    def topics_index(self) -> Iterator[Output]:
        members = self.topic_members()
        entries = [{"url": self.topic_links[t.slug].url, "name": t.name, "description": t.description,
                    "count": len(members[t.slug])} for t in self.page_topics]
        yield self.render("topics.html", "topics/index.html", topics=entries, page_title="Topics", section="topics")

    @functools.cached_property
    def links(self) -> dict[str, PaperLink]:
        """Every paper as a related paper links to it: each is on about six pages' lists, made once."""
        return {slug: PaperLink(paper.title, paper.url) for slug, paper in self.papers.items()}

    def prepare_paper_pages(self) -> None:
        """Make what every paper page shares, before workers fork to render them.

        Made in the parent, these tables are shared by every worker; made in
        each worker, they read every paper and so copied the memory page of
        each (about 90 MB a worker at 100,000 papers).
        """
        self.links, self.org_urls  # cached properties: reading them makes them

    def paper(self, slug: str) -> Paper:
        """Return a paper's record: the copy received with this chunk if there is one (see receive)."""
        paper = self._received.get(slug)
        return paper if paper is not None else self.papers[slug]

    def receive(self, papers: Sequence[Paper]) -> None:
        """Render the pages of ``papers`` from these records, until forget_views.

        A worker receives its chunk's papers pickled instead of reading the
        copies it was forked with: reading an object writes its reference
        count, so the memory page it is on would be copied, and in the end
        each worker would hold a copy of half the corpus.
        """
        self._received.update((p.slug, p) for p in papers)

    def paper_context(self, slug: str) -> tuple[PaperView, tuple[PaperLink, ...], HistoryView | None]:
        """Return what a paper page shows: its view, links to its related papers, and its sightings' chart."""
        others = self.data.related.get(slug, ())
        related = tuple(map(self.links.__getitem__, others)) if others else ()
        return self.view(slug), related, history_view(self.paper(slug))

    def forget_views(self) -> None:
        """Drop the views built so far and the papers received (a worker between chunks: memory stays flat)."""
        self._views.clear()
        self._received.clear()

    def paper_key_input(self, slug: str) -> object:
        """Return everything a paper page depends on, for its incremental-build key.

        Templates, topics and settings are in the build's salt; the rest is
        the paper's own fields and its related papers' links. Paper pages
        show neither the score nor the trending position, which change every
        day, so neither may invalidate an unchanged page.
        """
        p = self.paper(slug)
        labels = self.data.source_labels
        sightings = tuple((_ordinal(s.date), s.source, labels.get(s.source), s.rank) for s in p.sightings)
        related = tuple((other, self.papers[other].title) for other in self.data.related.get(slug, ()))
        return (p.slug, p.title, p.abstract, p.arxiv_id, p.authors, p.upvotes, p.categories, _ordinal(p.published),
                p.topics, sightings, related, _details_key(p.details),
                self.org_urls.get(p.details.organization.name) if p.details.organization else None)

    def paper_page(self, slug: str) -> Output:
        path, context = self.paper_page_context(slug)
        return self.render("paper.html", path, **context)

    def paper_page_context(self, slug: str, with_json_ld: bool = True) -> tuple[str, dict[str, Any]]:
        """Return the path of a paper's page and what paper.html is given for it (``page_values`` adds the rest)."""
        paper = self.paper(slug)
        view, related, history = self.paper_context(slug)
        json_ld = Markup(dumps(self.json_ld(paper, view))) if with_json_ld else Markup()
        return f"{paper.url}index.html", dict(paper=view, related=related, history=history, page_title=paper.title,
                                              description=view.excerpt, json_ld=json_ld)

    def search_source(self, slug: str) -> Output:
        """Return what Pagefind indexes for a paper: its page, from a renderer that may not know related papers yet.

        The related papers lie outside the page's searchable article (its
        data-pagefind-body), so the index is the one the published page
        gives; and Pagefind can index these while the related papers are
        found and the pages rendered, instead of after.
        """
        article = self.search_article
        if article is None:
            page = self.paper_page(slug)
        else:
            path, context = self.paper_page_context(slug, with_json_ld=False)
            html = article.render(self.page_values(path, **context))
            page = path, f'<!DOCTYPE html><html lang="{escape(self.config.language)}"><body>{html}</body></html>'.encode()
        self._views.pop(slug, None)  # one source per paper: its view is not needed again
        return page

    @functools.cached_property
    def search_article(self) -> RepeatedTemplate | None:
        """The theme's paper.html's article, which is all of a paper page that Pagefind reads; None for a site's own.

        Pagefind reads only the language outside a page's data-pagefind-body,
        so the article alone in a page of that language gives the index the
        whole page gives (a test checks it), for a third of the bytes to
        write and parse. A site's own paper.html, base.html or macros may
        mark other parts for search: its pages are indexed whole.
        """
        if any(Path(self.env.get_template(name).filename or "").parent != THEME_DIR for name in _SEARCHED_TEMPLATES):
            return None
        return RepeatedTemplate(self.env.get_template("paper.html"), "article")

    def json_ld(self, paper: Paper, view: PaperView) -> dict[str, Any]:
        data: dict[str, Any] = {
            "@context": "https://schema.org", "@type": "ScholarlyArticle",
            "headline": paper.title[:110], "name": paper.title, "abstract": paper.abstract,
            "url": self.config.base_url + paper.url,
            "about": [t.name for t in view.topics],
        }
        if paper.first_seen:
            data["datePublished"] = paper.first_seen.isoformat()
        if paper.authors:
            data["author"] = [{"@type": "Person", "name": a} for a in paper.authors]
        if view.abs_url:
            data["sameAs"] = view.abs_url
        details = view.details
        if details.github_repo:
            data["codeRepository"] = details.github_repo
        if details.organization:
            org = {"@type": "Organization", "name": details.organization.fullname}
            data["sourceOrganization"] = org
            if paper.authors:  # the daily papers credit the paper to one organisation: its authors'
                for author in data["author"]:
                    author["affiliation"] = org
        if details.ai_keywords:
            data["keywords"] = list(details.ai_keywords)
        if details.thumbnail:
            data["image"] = details.thumbnail
        return data

    def papers_by_day(self) -> dict[dt.date, list[str]]:
        """Return the slugs seen on each day, by score, days in order."""
        by_day: dict[dt.date, list[str]] = {}
        for paper in self.data.papers:  # ranked order, so each day is by score
            for day in paper.dates:
                by_day.setdefault(day, []).append(paper.slug)
        return dict(sorted(by_day.items()))

    def day_pages(self) -> Iterator[ListPage]:
        by_day = self.papers_by_day()
        days = list(by_day)
        for i, day in enumerate(days):
            prev_day = days[i - 1].isoformat() if i > 0 else None
            next_day = days[i + 1].isoformat() if i + 1 < len(days) else None
            yield ListPage("day.html", f"days/{day.isoformat()}/index.html", tuple(by_day[day]), 0,
                           dict(day={"date": day.isoformat(), "label": day_label(day)}, prev_day=prev_day,
                                next_day=next_day, page_title=day.isoformat(), section="days"))

    def days_index(self) -> Iterator[Output]:
        by_day = self.papers_by_day()
        index = [{"date": d.isoformat(), "label": day_label(d), "count": len(slugs)}
                 for d, slugs in reversed(by_day.items())]
        yield self.render("days.html", "days/index.html", days=index, page_title="Days", section="days")

    def markdown_pages(self) -> Iterator[Output]:
        for page in self.data.pages:
            body = Markup(_markdown().render(page.markdown))
            yield self.render("page.html", f"{page.url}index.html", body_html=body, page_title=page.title,
                              section=page.url)

    def not_found(self) -> Iterator[Output]:
        # Served at any depth, so its links are absolute.
        yield self.render("404.html", "404.html", root=self.config.base_url, page_title="Page not found")

    def sitemap(self) -> Iterator[Output]:
        base = self.config.base_url
        entries = [SitemapEntry(base + url) for url in ("", "topics/", "days/", "feeds/")]
        entries += [SitemapEntry(base + self.topic_links[t.slug].url) for t in self.page_topics]
        entries += [SitemapEntry(base + url)
                    for url in (*window_urls(self.data.papers), *org_sitemap_urls(self.org_slugs))]
        entries += [SitemapEntry(base + p.url) for p in self.data.pages]
        entries += [SitemapEntry(base + p.url, p.last_seen.isoformat() if p.last_seen else None)
                    for p in sorted(self.data.papers, key=lambda p: p.slug)]
        xml = self.env.get_template("sitemap.xml").render(entries=entries)
        yield "sitemap.xml", xml.encode("utf-8")
        yield "robots.txt", f"User-agent: *\nAllow: /\nSitemap: {base}sitemap.xml\n".encode("utf-8")


def render_site(renderer: SiteRenderer) -> Iterator[Output]:
    """Yield every HTML page but the paper pages, then the sitemap and robots.txt."""
    yield from map(renderer.render_list_page, renderer.list_pages())
    yield from render_windows(renderer, "week")
    yield from render_windows(renderer, "month")
    yield from renderer.topics_index()
    yield from renderer.days_index()
    yield from orgs_index(renderer)
    yield from renderer.markdown_pages()
    yield from renderer.not_found()
    yield from renderer.sitemap()
