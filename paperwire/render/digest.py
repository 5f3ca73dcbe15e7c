"""The digest email: views of the chosen papers, both bodies, the message.

The site's digest is the day's best papers (``digest.size``, by trending
score) grouped under their main topic; a subscriber's is what
paperwire.digest.select chose for them, each paper with why it is there.
The HTML body is inlined with css-inline; the text body is wrapped at 72
columns; the message is ``multipart/alternative`` and every byte of it
derives from the corpus and the subscriber, so two runs write identical files.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
import hashlib
import re
import textwrap
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Callable, Iterable, Iterator, Sequence

import css_inline
import jinja2

from ..config import SiteConfig
from ..digest.select import Pick, Reason, Selection
from ..digest.subscribers import Subscriber
from ..errors import ContentError
from ..records import Paper, Topic
from .site import Output, SiteData, day_label
from .views import topics_by_slug

MAX_HTML_BYTES = 102 * 1024  # Gmail clips longer messages
TEXT_WIDTH = 72
SEND_HOUR = dt.time(7, 0, tzinfo=dt.timezone.utc)  # the Date header of a day's digest
NO_RECIPIENT = "undisclosed-recipients:;"  # the To of the copy written with the site

_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# A sentence ends at . ! or ? (maybe closed by a quote or bracket) before
# whitespace and a capital, digit or opening quote; "3.5" has no space, so never splits.
_BOUNDARY = re.compile(r"[.!?][\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]?[A-Z0-9])")
_ABBREVIATIONS = frozenset({"al", "cf", "vs", "fig", "figs", "eq", "eqs", "sec", "no", "approx",
                            "resp", "dr", "mr", "mrs", "ms", "prof", "st", "vol", "ref", "refs", "tab"})
_DOTTED = re.compile(r"^(?:[a-z]\.)+[a-z]$")  # e.g, i.e, a.k.a, u.s


# -- pure text helpers ------------------------------------------------------

def sentences(text: str) -> list[str]:
    """Split ``text`` into sentences, keeping "e.g.", "et al." and "3.5" inside theirs."""
    parts, start = [], 0
    for match in _BOUNDARY.finditer(text):
        word = text[start:match.start()].rsplit(None, 1)[-1] if text[start:match.start()].strip() else ""
        word = word.lstrip("([\"'").lower()
        if match.group().startswith(".") and (word in _ABBREVIATIONS or _DOTTED.match(word) or len(word) == 1):
            continue  # an abbreviation or an initial ("J. Smith"), not the end of a sentence
        parts.append(text[start:match.end()].strip())
        start = match.end()
    rest = text[start:].strip()
    return [*parts, rest] if rest else parts


def teaser(text: str, limit: int = 320, hard_limit: int = 480) -> str:
    """Return the first two or three sentences of ``text``, cut at a sentence boundary.

    A third sentence is added only while the teaser stays within ``limit``; two
    sentences longer than ``hard_limit`` give one, and one longer than that is
    cut at a word with an ellipsis.
    """
    found = sentences(" ".join(text.split()))
    kept = found[:2]
    if len(found) > 2 and len(" ".join(found[:3])) <= limit:
        kept = found[:3]
    if len(kept) == 2 and len(" ".join(kept)) > hard_limit:
        kept = kept[:1]
    result = " ".join(kept)
    if len(result) > hard_limit:
        result = result[:hard_limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return result


def header_text(value: str) -> str:
    """Return ``value`` safe for one header line: no CR, LF or other control characters."""
    return " ".join(_CONTROL.sub(" ", value).split())


def shorten(text: str, limit: int) -> str:
    """Return ``text`` cut at a word to at most ``limit`` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def date_label(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


# -- selection --------------------------------------------------------------

def dated_days(papers: Iterable[Paper]) -> list[dt.date]:
    """Return every day with a sighting, oldest first."""
    return sorted({day for paper in papers for day in paper.dates})


def choose_day(papers: Iterable[Paper], wanted: dt.date | None) -> dt.date:
    """Return ``wanted``, or the newest day; raise ValueError for a day the corpus cannot cover.

    A day inside the corpus's range without sightings is allowed (its digest says
    so); one before the first or after the last sighting is an error.
    """
    days = dated_days(papers)
    if not days:
        raise ValueError("the corpus has no dated sightings, so there is no day to make a digest of")
    if wanted is None:
        return days[-1]
    if wanted not in days and not days[0] <= wanted <= days[-1]:
        raise ValueError(f"no sightings on {wanted.isoformat()}; the corpus covers "
                         f"{days[0].isoformat()} to {days[-1].isoformat()}")
    return wanted


def papers_of_day(papers: Iterable[Paper], day: dt.date, size: int,
                  topics: frozenset[str] | None = None) -> tuple[Paper, ...]:
    """Return the best ``size`` papers seen on ``day`` (in any of ``topics`` when given).

    ``papers`` is ranked best first, so the result is too.
    """
    chosen = [p for p in papers if day in p.dates and (topics is None or topics.intersection(p.topics))]
    return tuple(chosen[:size])


# -- views ------------------------------------------------------------------

@dataclass(frozen=True)
class DigestTopic:
    name: str
    url: str | None  # absolute; None for a group that is no topic (followed authors)


@dataclass(frozen=True)
class DigestItem:
    title: str
    url: str  # absolute
    teaser: str
    topics: tuple[DigestTopic, ...]
    why: tuple[str, ...]  # "matches 'retrieval'", "by Ada Lovelace", "like “…”", "top in Retrieval"


@dataclass(frozen=True)
class DigestGroup:
    topic: DigestTopic
    items: tuple[DigestItem, ...]


@dataclass(frozen=True)
class DigestView:
    """What digest.html and digest.txt see."""

    date: str  # ISO, the send day
    label: str  # "Friday, 14 March 2025", or "8–14 March 2025" for a week
    subject: str
    preheader: str
    count: int
    groups: tuple[DigestGroup, ...]
    site_title: str
    language: str
    site_url: str
    day_url: str | None  # the day's page, which only a day with papers has; None for a week
    rss_url: str
    atom_url: str
    unsubscribe_url: str | None
    cadence: str  # "daily" or "weekly"
    heading: str  # "Trending papers", "The week's papers"
    chosen_by: tuple[str, ...]  # a subscriber's preferences, in words; empty for the site's digest
    only_topics: tuple[str, ...]  # topic names a subscriber chose, empty for all


FOLLOWED = "By authors you follow"


def reason_text(reason: Reason, topic_name: Callable[[str], str]) -> str:
    """Return why a paper is there, in words: "by Ada Lovelace", "matches 'retrieval'"…"""
    if reason.kind == "author":
        return f"by {reason.value}"
    if reason.kind == "keyword":
        return f"matches '{reason.value}'"
    if reason.kind == "like":
        return f"like “{shorten(' '.join(reason.value.split()), 90)}” from your library"
    return f"top in {topic_name(reason.value)}"


def week_label(first: dt.date, last: dt.date) -> str:
    """Return "8–14 March 2025", or "28 February – 6 March 2025" across months."""
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%B %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
    return f"{date_label(first)} – {date_label(last)}"


def preferences_text(subscriber: Subscriber, topic_name: Callable[[str], str], library_size: int) -> tuple[str, ...]:
    """Return a subscriber's preferences in words, for the top of their message."""
    said = []
    if subscriber.topics:
        said.append("topics " + ", ".join(topic_name(slug) for slug in subscriber.topics))
    if subscriber.keywords:
        said.append("keywords " + ", ".join(f"'{k}'" for k in subscriber.keywords))
    if subscriber.exclude:
        said.append("never " + ", ".join(f"'{k}'" for k in subscriber.exclude))
    if subscriber.authors:
        said.append("following " + ", ".join(subscriber.authors))
    if subscriber.like and library_size:
        said.append(f"like the {library_size} {'paper' if library_size == 1 else 'papers'} of your library")
    return tuple(said)


def digest_view(config: SiteConfig, topics: tuple[Topic, ...], picks: Sequence[Pick], day: dt.date,
                only_topics: tuple[str, ...] = (), *, cadence: str = "daily", first_day: dt.date | None = None,
                chosen_by: tuple[str, ...] = ()) -> DigestView:
    """Return the view of a digest made of ``picks`` (already chosen, best first).

    Papers by followed authors come first, in a group of their own; the
    others are grouped under their main topic (for a subscriber with topics,
    the first of theirs), groups in the order of their best paper.
    """
    base = config.base_url
    topic_map = topics_by_slug(topics)

    def topic(slug: str) -> DigestTopic:
        found = topic_map.get(slug) or topic_map["other"]
        return DigestTopic(found.name, f"{base}topics/{found.slug}/")

    groups: dict[str, list[DigestItem]] = {}  # insertion order: groups by their best paper's rank
    for paper, reasons in picks:
        title = " ".join(paper.title.split())
        item = DigestItem(title=title, url=base + paper.url, teaser=teaser(paper.abstract),
                          topics=tuple(topic(s) for s in paper.topics),
                          why=tuple(reason_text(r, lambda slug: topic(slug).name) for r in reasons))
        if any(r.kind == "author" for r in reasons):
            groups.setdefault(FOLLOWED, []).append(item)
            continue
        chosen = [s for s in paper.topics if s in only_topics] or list(paper.topics) or ["other"]
        groups.setdefault(chosen[0], []).append(item)
    weekly = cadence == "weekly"
    label = week_label(first_day or day, day) if weekly else date_label(day)
    noun = "paper" if len(picks) == 1 else "papers"
    names = [FOLLOWED.lower() if slug == FOLLOWED else topic(slug).name for slug in groups]
    more = f"; and {len(names) - 3} more" if len(names) > 3 else ""
    if picks:
        top = " ".join(picks[0].paper.title.split())
        subject = (f"Your week in papers, {label}: {shorten(top, 80)}" if weekly
                   else f"Trending papers for {label}: {shorten(top, 90)}")
        counted = f"{len(picks)} {noun} of the week" if weekly else f"{len(picks)} trending {noun}"
        preheader = f"{counted} in {'; '.join(names[:3])}{more}."  # names may hold commas
    else:
        subject = f"Trending papers for {label}: no new papers"
        preheader = "A quiet day: nothing new to report."
    return DigestView(
        date=day.isoformat(), label=label if weekly else day_label(day), subject=header_text(plain_text(subject)),
        preheader=preheader, count=len(picks),
        groups=tuple(DigestGroup(DigestTopic("By authors you follow", None) if slug == FOLLOWED else topic(slug),
                                 tuple(items)) for slug, items in groups.items()),
        site_title=config.title, language=config.language, site_url=base,
        day_url=f"{base}days/{day.isoformat()}/" if picks and not weekly else None,
        rss_url=f"{base}feed.xml", atom_url=f"{base}atom.xml",
        unsubscribe_url=config.digest.unsubscribe_url,
        cadence=cadence, heading="The week's papers" if weekly else "Trending papers",
        chosen_by=chosen_by, only_topics=tuple(topic(slug).name for slug in only_topics),
    )


def trending_picks(papers: Sequence[Paper], only_topics: tuple[str, ...] = ()) -> tuple[Pick, ...]:
    """Return ``papers`` as picks there for trending in their (first chosen, else main) topic."""
    picks = []
    for paper in papers:
        chosen = [s for s in paper.topics if s in only_topics] or list(paper.topics) or ["other"]
        picks.append(Pick(paper, (Reason("topic", chosen[0]),)))
    return tuple(picks)


# -- bodies -----------------------------------------------------------------

def render_html(view: DigestView, env: jinja2.Environment) -> str:
    """Render digest.html and inline its CSS; media queries stay in a <style> block."""
    html = _INLINER.inline(env.get_template("digest.html").render(digest=view))
    size = len(html.encode("utf-8"))
    if size > MAX_HTML_BYTES:
        raise ContentError("site.yaml", None, f"the digest for {view.date} has {size} bytes of HTML, over the "
                                              f"{MAX_HTML_BYTES} at which Gmail clips it; lower digest.size")
    return html


def plain_text(value: object) -> object:
    """Write angle brackets in text as look-alike quotes.

    Plain text needs no escaping, but some mail clients render or linkify
    "HTML" in text parts; this way no markup from the corpus leaves paperwire.
    """
    return value.replace("<", "‹").replace(">", "›") if isinstance(value, str) else value


def render_text(view: DigestView, env: jinja2.Environment) -> str:
    """Render digest.txt without escaping, each line wrapped at 72 columns."""
    text = env.overlay(autoescape=False, finalize=plain_text).get_template("digest.txt").render(digest=view)
    return wrap_lines(text, TEXT_WIDTH)


def wrap_lines(text: str, width: int) -> str:
    """Wrap each line of ``text`` at ``width``, continuing at its indentation.

    Words are never broken, so a long URL stays whole on a line of its own.
    """
    out = []
    for line in text.splitlines():
        if len(line) <= width:
            out.append(line)
            continue
        body = line.lstrip(" ")
        indent = " " * (len(line) - len(body))
        bullet = re.match(r"^(?:[-*] |\d+\. )", body)
        hanging = indent + " " * (len(bullet.group()) if bullet else 0)
        out.extend(textwrap.wrap(body, width, initial_indent=indent, subsequent_indent=hanging,
                                 break_long_words=False, break_on_hyphens=False))
    return "\n".join(out) + "\n"


# -- the message ------------------------------------------------------------

def message_id(day: dt.date, recipient: str, sender: str) -> str:
    """Return the deterministic Message-ID of ``day``'s digest for ``recipient`` (a To value)."""
    domain = header_text(email.utils.parseaddr(sender)[1].rpartition("@")[2]) or "paperwire.invalid"
    address = email.utils.parseaddr(recipient)[1] or recipient
    digest = hashlib.sha1(address.strip().lower().encode("utf-8")).hexdigest()[:12]
    return f"<digest-{day.isoformat()}.{digest}@{domain}>"


def build_message(digest: Digest, config: SiteConfig, to: str = NO_RECIPIENT) -> bytes:
    """Return ``digest`` as a ``multipart/alternative`` message (text, then HTML), CRLF line ends."""
    view = digest.view
    day = dt.date.fromisoformat(view.date)
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Subject"] = header_text(view.subject)
    msg["From"] = header_text(config.smtp.sender)
    msg["To"] = header_text(to)
    msg["Date"] = email.utils.format_datetime(dt.datetime.combine(day, SEND_HOUR))
    msg["Message-ID"] = message_id(day, to, config.smtp.sender)
    if view.unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{header_text(view.unsubscribe_url)}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(digest.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(digest.html, subtype="html", charset="utf-8", cte="quoted-printable")
    # A fixed boundary keeps builds byte-identical; "=" cannot occur unescaped in
    # quoted-printable bodies, so the boundary never collides with them.
    msg.set_boundary("==paperwire-" + hashlib.sha256((digest.text + digest.html).encode("utf-8")).hexdigest()[:32])
    return msg.as_bytes()


@dataclass(frozen=True)
class Digest:
    """One day's digest with both bodies rendered."""

    view: DigestView
    html: str
    text: str


def render_digest(data: SiteData, env: jinja2.Environment, day: dt.date, only_topics: tuple[str, ...] = ()) -> Digest:
    """Render ``day``'s digest of the site (the best papers), limited to ``only_topics`` when given."""
    chosen = papers_of_day(data.papers, day, data.config.digest.size, frozenset(only_topics) or None)
    view = digest_view(data.config, data.topics, trending_picks(chosen, only_topics), day, only_topics)
    return render_view(view, env)


def render_view(view: DigestView, env: jinja2.Environment) -> Digest:
    """Render both bodies of ``view``."""
    return Digest(view, render_html(view, env), render_text(view, env))


def selection_view(data: SiteData, selection: Selection) -> DigestView:
    """Return the view of one subscriber's message."""
    subscriber = selection.subscriber
    names = {topic.slug: topic.name for topic in data.topics}
    chosen_by = preferences_text(subscriber, lambda slug: names.get(slug, slug), selection.library_size)
    return digest_view(data.config, data.topics, selection.picks, selection.day, subscriber.topics,
                       cadence=selection.cadence, first_day=selection.first_day, chosen_by=chosen_by)


def digest_outputs(digest: Digest, config: SiteConfig, names: Iterable[str]) -> Iterator[Output]:
    """Yield ``digest/<name>.html``, ``.txt`` and ``.eml`` for each of ``names``."""
    html, text, eml = digest.html.encode("utf-8"), digest.text.encode("utf-8"), build_message(digest, config)
    for name in names:
        yield f"digest/{name}.html", html
        yield f"digest/{name}.txt", text
        yield f"digest/{name}.eml", eml


def render_digest_files(data: SiteData, env: jinja2.Environment) -> Iterator[Output]:
    """Yield digest/<date>.html, .txt, .eml and digest/latest.* for the newest day.

    A corpus without dated sightings has no newest day, and so no digest files.
    """
    days = dated_days(data.papers)
    if not days:
        return
    digest = render_digest(data, env, days[-1])
    yield from digest_outputs(digest, data.config, (days[-1].isoformat(), "latest"))
