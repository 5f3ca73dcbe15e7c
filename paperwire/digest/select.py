"""Choose each subscriber's papers: their preferences, their cadence, and never a paper twice.

How the preferences combine (README "Daily digest" says the same):

- the papers to choose from are the day's (seen on the send day, in
  trending order) or, for a weekly subscriber on their weekday, the week's
  (seen in the 7 days ending on the send day, ranked by the score of their
  sightings inside those days, see rank.window_score);
- a paper by a followed author is always chosen, whatever the topics,
  keywords, exclusions, likeness or size say;
- any other paper must be in one of the ``topics`` (when given), match one
  of the ``keywords`` (when given), match none of ``exclude``, and be like
  the ``like`` library (cosine at least LIKE_MIN_SIMILARITY, when given;
  a paper of the library itself is never chosen for being like it);
- those fill the rest of ``size`` (followed authors' papers count toward
  it), the most alike first when ``like`` is given, else in ranking order;
- a paper the outbox shows was sent to the subscriber on another day is
  never chosen again.

Everything per paper is computed once for the run, over each "pool" (the
day's papers, and the week's when a weekly subscriber is due): folded words
of the texts, indexed only for the words subscribers ask for, authors by
folded name, topics; and TF-IDF vectors of the whole corpus, the same as
related papers use, into which library entries are projected, every like
subscriber's entries multiplied with the pool's papers in a few large
products. Per subscriber only boolean arrays over the pool are combined.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, NamedTuple, Sequence

from ..clean import title_key
from ..config import SiteConfig
from ..errors import ContentError
from ..rank import window_score
from ..records import Paper
from .library import Library, entry_text, read_library
from .match import name_key, phrase, words
from .outbox import History
from .subscribers import WEEKDAYS, Roster, Subscriber, like_arxiv_id, library_path

if TYPE_CHECKING:
    import numpy as np

WEEK_DAYS = 7
# Below this cosine a paper shares little more than common words with a library
# entry: the same bar as related papers' (related.MIN_SIMILARITY).
LIKE_MIN_SIMILARITY = 0.08
_SCALE = 100_000  # similarities are compared rounded, so ties go to the ranking, not to float noise


class Reason(NamedTuple):
    """Why a paper is in a message."""

    kind: str  # "author", "keyword", "like" or "topic"
    value: str  # the author as the paper names them, the keyword as written, the library title, the topic slug


class Pick(NamedTuple):
    paper: Paper
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Selection:
    """The papers one subscriber gets in one message, best first."""

    subscriber: Subscriber
    day: dt.date  # the send day
    cadence: str  # "daily" or "weekly"
    first_day: dt.date  # the first day the papers were chosen from (the send day for daily)
    picks: tuple[Pick, ...]
    library_size: int = 0  # entries of the `like` library that were used


@dataclass(frozen=True)
class NoMessage:
    """Why a subscriber gets nothing on a day."""

    subscriber: Subscriber
    kind: str  # "not their day", "nothing new" or "already sent"
    detail: str  # "weekly, on mondays", "all 3 matching papers already sent", …


@dataclass(frozen=True)
class Choices:
    """Every subscriber's outcome, in the roster's order, and what could not be read."""

    outcomes: tuple[Selection | NoMessage, ...]
    warnings: tuple[str, ...]


# -- the papers to choose from ----------------------------------------------

def daily_papers(papers: Sequence[Paper], day: dt.date) -> list[int]:
    """Return the indices of the papers seen on ``day``, in ``papers``' (trending) order."""
    return [index for index, paper in enumerate(papers) if day in paper.dates]


def weekly_papers(papers: Sequence[Paper], day: dt.date, config: SiteConfig) -> list[int]:
    """Return the indices of the papers seen in the 7 days ending on ``day``, best first.

    Ranked by the score of their sightings inside those days, counted from
    ``day``, as week lists are (windows.py); ties by slug.
    """
    first = day - dt.timedelta(days=WEEK_DAYS - 1)
    scored = []
    for index, paper in enumerate(papers):
        inside = [s for s in paper.sightings if s.date is not None and first <= s.date <= day]
        if inside:
            scored.append((-window_score(inside, paper.upvotes, day, config.trending), paper.slug, index))
    return [index for _score, _slug, index in sorted(scored)]


class Pool:
    """The papers of one window (the day's or the week's), best first, with what matching needs.

    A paper's position in the pool is its place in the window's ranking.
    """

    def __init__(self, papers: Sequence[Paper], ordered: Sequence[int], query_words: frozenset[str],
                 with_authors: bool):
        import numpy as np

        self.papers = papers
        self.indices = np.asarray(ordered, dtype=np.int64)
        self.size = len(self.indices)
        self._masks: dict[object, np.ndarray] = {}
        self._topic_members: dict[str, list[int]] | None = None
        self.keys: dict[str, int] = {}  # arXiv id and slug -> position
        self.titles: dict[str, int] = {}  # title key -> position
        for pos, index in enumerate(ordered):
            paper = papers[index]
            self.keys[paper.slug] = pos
            if paper.arxiv_id:
                self.keys[paper.arxiv_id] = pos
            self.titles.setdefault(title_key(paper.title), pos)
        # Words: each text's folded words, but only those someone asks for are indexed.
        # Title and abstract are kept apart by a "|", which no phrase can cross.
        self.texts: list[str] = []
        self.postings: dict[str, list[int]] = {word: [] for word in query_words}
        if query_words:
            for pos, index in enumerate(ordered):
                paper = papers[index]
                title, abstract = words(paper.title), words(paper.abstract)
                self.texts.append(f" {' '.join(title)} | {' '.join(abstract)} ")
                for word in query_words.intersection(title + abstract):
                    self.postings[word].append(pos)
        self.authors: dict[str, list[tuple[int, str]]] = {}
        if with_authors:
            for pos, index in enumerate(ordered):
                for author in papers[index].authors:
                    self.authors.setdefault(name_key(author), []).append((pos, author))

    def paper(self, pos: int) -> Paper:
        return self.papers[int(self.indices[pos])]

    def empty(self) -> "np.ndarray":
        import numpy as np

        return np.zeros(self.size, dtype=bool)

    def phrase_mask(self, words_: tuple[str, ...]) -> "np.ndarray":
        """Return which pool papers hold ``words_`` as consecutive whole words."""
        key = ("phrase", words_)
        if key not in self._masks:
            mask = ~self.empty()
            for word in words_:
                hits = self.empty()
                hits[self.postings.get(word, [])] = True
                mask &= hits
            if len(words_) > 1:  # each word is there; check they are there in a row
                needle = " " + " ".join(words_) + " "
                for pos in mask.nonzero()[0]:
                    mask[pos] = needle in self.texts[pos]
            self._masks[key] = mask
        return self._masks[key]

    def topics_mask(self, slugs: tuple[str, ...]) -> "np.ndarray":
        """Return which pool papers are in any of ``slugs``."""
        key = ("topics", slugs)
        if key not in self._masks:
            if self._topic_members is None:  # every topic's papers, in one pass
                self._topic_members = {}
                for pos, index in enumerate(self.indices):
                    for slug in self.papers[index].topics:
                        self._topic_members.setdefault(slug, []).append(pos)
            mask = self.empty()
            mask[[pos for slug in slugs for pos in self._topic_members.get(slug, ())]] = True
            self._masks[key] = mask
        return self._masks[key]

    def keys_mask(self, keys: frozenset[str]) -> "np.ndarray":
        """Return which pool papers are known by any of ``keys`` (an arXiv id or a slug)."""
        mask = self.empty()
        mask[[self.keys[key] for key in keys if key in self.keys]] = True
        return mask


# -- likeness ---------------------------------------------------------------

class LikeRefs(NamedTuple):
    """One subscriber's usable `like` items: corpus papers named by arXiv id, and library files."""

    paper_rows: tuple[int, ...]  # indices into the papers
    files: tuple[str, ...]  # library paths, as read


class LikeScores(NamedTuple):
    """How alike each pool paper is to one subscriber's library."""

    best: "np.ndarray"  # the highest cosine with any entry, rounded to 1/_SCALE
    nearest: "np.ndarray"  # which entry that is
    titles: list[str]  # each entry's title, for "like …"
    own: "np.ndarray"  # pool papers that are in the library themselves


_PRODUCT_ROWS = 2048  # library entries multiplied with a pool at once: bounds the dense block's memory


class Likeness:
    """TF-IDF vectors of every paper, made once, and of each library's entries, projected into them."""

    def __init__(self, papers: Sequence[Paper], jobs: int = 1):
        from ..related import PaperTexts
        from ..tfidf import tfidf_model

        self.papers = papers
        self.libraries: dict[str, tuple[object, Library]] = {}
        model = tfidf_model(PaperTexts(papers), jobs)
        self.usable = model is not None  # None: fewer than two papers, or no word they share
        if model is not None:
            rows, self.vocabulary = model
            self.matrix = rows.matrix()

    def add_library(self, path: str, library: Library) -> None:
        """Project a library's entries into the papers' vocabulary and weights."""
        from ..tfidf import project

        if self.usable and path not in self.libraries:
            vectors = project([entry_text(e) for e in library.entries], self.vocabulary).matrix()
            self.libraries[path] = (vectors, library)

    def _entries(self, refs: LikeRefs) -> tuple[list, list[str], set[str]]:
        """Return the vectors of a subscriber's entries, their titles, and the ids of the papers among them."""
        parts, titles, ids = [], [], set()
        if refs.paper_rows:
            parts.append(self.matrix[list(refs.paper_rows)])
            for index in refs.paper_rows:
                titles.append(" ".join(self.papers[index].title.split()))
                ids.update({self.papers[index].slug, self.papers[index].arxiv_id or ""})
        for path in refs.files:
            vectors, library = self.libraries[path]
            parts.append(vectors)
            titles += [entry.title or shorten_words(entry.abstract, 80) for entry in library.entries]
            ids.update(entry.arxiv_id for entry in library.entries if entry.arxiv_id)
        return parts, titles, ids

    def scores(self, pool: Pool, refs: dict[int, LikeRefs]) -> dict[int, LikeScores]:
        """Return, for each subscriber of ``refs``, how alike each paper of ``pool`` is to their library.

        All subscribers' entries go through a few large products with the
        pool's vectors, not one small product each.
        """
        import numpy as np
        import scipy.sparse

        if not self.usable or not refs or pool.size == 0:
            return {}
        columns = self.matrix[pool.indices].T.tocsr()  # terms x pool papers
        found: dict[int, LikeScores] = {}
        batch: list[tuple[int, object, list[str], set[str]]] = []

        def flush() -> None:
            stacked = scipy.sparse.vstack([vectors for _i, vectors, _t, _ids in batch]).tocsr()
            products = (stacked @ columns).toarray()  # entries x pool papers
            start = 0
            for index, vectors, titles, ids in batch:
                part = products[start: start + vectors.shape[0]]
                start += vectors.shape[0]
                own = pool.keys_mask(frozenset(ids))
                own[[pool.titles[key] for key in map(title_key, titles) if key in pool.titles]] = True
                found[index] = LikeScores(np.rint(part.max(axis=0) * _SCALE).astype(np.int64),
                                          part.argmax(axis=0), titles, own)
            batch.clear()

        rows = 0
        for index in sorted(refs):
            parts, titles, ids = self._entries(refs[index])
            if not parts:
                continue
            vectors = scipy.sparse.vstack(parts).tocsr() if len(parts) > 1 else parts[0]
            if batch and rows + vectors.shape[0] > _PRODUCT_ROWS:
                flush()
                rows = 0
            batch.append((index, vectors, titles, ids))
            rows += vectors.shape[0]
        if batch:
            flush()
        return found


def shorten_words(text: str, limit: int) -> str:
    """Return ``text`` cut at a word to at most ``limit`` characters, with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _read_one(read: Callable[[Path, str], Library], path: Path) -> Library | ContentError:
    """Read one library; a ContentError is returned, not raised, so that workers hand it back."""
    try:
        return read(path, str(path))
    except ContentError as exc:
        return exc


def read_likes(papers: Sequence[Paper], roster: Roster, due: Sequence[int], content_dir: Path,
               keep_going: bool, read: Callable[[Path, str], Library], warnings: list[str],
               jobs: int = 1) -> tuple[Likeness | None, dict[int, LikeRefs]]:
    """Read the `like` items of the due subscribers who have them, each library file once.

    Libraries are read in ``jobs`` processes (bibtexparser spends about
    0.3 ms on an entry), while the papers' vectors are made.
    """
    from ..parallel import WorkerMap

    wanting = [i for i in due if roster.subscribers[i].like]
    if not wanting:
        return None, {}
    files = list(dict.fromkeys(library_path(content_dir, item) for i in wanting
                               for item in roster.subscribers[i].like if like_arxiv_id(item) is None))
    with WorkerMap(_read_files, [files[n::max(jobs, 1)] for n in range(max(jobs, 1))] if files else [],
                   read, jobs) as reading:
        likeness = Likeness(papers)
        results = dict(item for chunk in reading for item in chunk)
    if not likeness.usable:
        warnings.append("the corpus has too few papers to compare with libraries: 'like' is left out")
        return None, {}
    failed: set[str] = set()
    for path in files:
        result = results[str(path)]
        if isinstance(result, ContentError):
            if not keep_going:
                raise result
            warnings.append(f"{result} (left out of 'like')")
            failed.add(str(path))
        else:
            warnings.extend(result.warnings)
            likeness.add_library(str(path), result)
    by_id = {paper.arxiv_id: index for index, paper in enumerate(papers) if paper.arxiv_id}
    refs: dict[int, LikeRefs] = {}
    for index in wanting:
        subscriber = roster.subscribers[index]
        paper_rows, found = [], []
        for position, item in enumerate(subscriber.like):
            arxiv = like_arxiv_id(item)
            if arxiv is None:
                shown = str(library_path(content_dir, item))
                if shown not in failed:
                    found.append(shown)
            elif arxiv in by_id:
                paper_rows.append(by_id[arxiv])
            else:
                warnings.append(f"{roster.like_place(index, position)}: arXiv id {arxiv} is not in the "
                                f"corpus, left out of {subscriber.address}'s 'like'")
        if not paper_rows and not found:
            warnings.append(f"{roster.path}: {subscriber.address}: nothing in 'like' could be used, "
                            f"so it is left out")
        refs[index] = LikeRefs(tuple(dict.fromkeys(paper_rows)), tuple(dict.fromkeys(found)))
    return likeness, refs


def _read_files(read: Callable[[Path, str], Library], paths: list[Path]) -> list[tuple[str, Library | ContentError]]:
    """Read some libraries (a worker's task)."""
    return [(str(path), _read_one(read, path)) for path in paths]


# -- choosing ---------------------------------------------------------------

def not_their_day(subscriber: Subscriber) -> str:
    """Return when a weekly subscriber gets their message: "weekly, on mondays"."""
    return f"weekly, on {WEEKDAYS[subscriber.weekly_on or 0]}s"


def select_digests(papers: Sequence[Paper], config: SiteConfig, day: dt.date, roster: Roster,
                   history: History, content_dir: Path, *, only: frozenset[int] | None = None,
                   again: bool = False, keep_going: bool = False,
                   read: Callable[[Path, str], Library] = read_library, jobs: int = 1) -> Choices:
    """Choose ``day``'s papers for the subscribers of ``roster`` (those at positions ``only``, when given).

    ``papers`` are ranked, best first. A subscriber whose message of ``day``
    the outbox holds gets "already sent", unless ``again`` (a preview of that
    very message: its plan leaves out only other days' papers, so it is the
    same). A library that cannot be read is a ContentError, or with
    ``keep_going`` a warning, and the file is left out. ``jobs`` processes
    read the libraries; the choice is the same for any number.
    """
    warnings: list[str] = []
    outcomes: dict[int, Selection | NoMessage] = {}
    due: dict[str, list[int]] = {"daily": [], "weekly": []}
    for index, subscriber in enumerate(roster.subscribers):
        if only is not None and index not in only:
            continue
        if subscriber.weekly_on is not None and subscriber.weekly_on != day.weekday():
            outcomes[index] = NoMessage(subscriber, "not their day", not_their_day(subscriber))
        elif history.sent_on(day, subscriber.address) and not again:
            outcomes[index] = NoMessage(subscriber, "already sent", f"their message of {day.isoformat()} "
                                                                    f"is in the outbox")
        else:
            due[subscriber.cadence].append(index)
    likeness, refs = read_likes(papers, roster, due["daily"] + due["weekly"], content_dir, keep_going, read,
                                warnings, jobs)
    for cadence, indices in due.items():
        if not indices:
            continue
        subscribers = [roster.subscribers[i] for i in indices]
        ordered = weekly_papers(papers, day, config) if cadence == "weekly" else daily_papers(papers, day)
        query_words = frozenset(w for s in subscribers for item in s.keywords + s.exclude for w in phrase(item))
        pool = Pool(papers, ordered, query_words, any(s.authors for s in subscribers))
        scores = likeness.scores(pool, {i: refs[i] for i in indices if i in refs}) if likeness else {}
        for index in indices:
            outcomes[index] = choose(roster.subscribers[index], day, pool, scores.get(index), history,
                                     config.digest.size)
    return Choices(tuple(outcomes[i] for i in sorted(outcomes)), tuple(warnings))


def choose(subscriber: Subscriber, day: dt.date, pool: Pool, scores: LikeScores | None, history: History,
           default_size: int) -> Selection | NoMessage:
    """Return one subscriber's papers for ``day`` from their window's pool, or why there are none."""
    import numpy as np

    weekly = subscriber.cadence == "weekly"
    first_day = day - dt.timedelta(days=WEEK_DAYS - 1) if weekly else day
    if pool.size == 0:
        span = f"the 7 days to {day.isoformat()}" if weekly else f"on {day.isoformat()}"
        return NoMessage(subscriber, "nothing new", f"no papers seen {span}")
    # Followed authors: always in, whatever else the preferences say.
    by_author = pool.empty()
    named: dict[int, list[str]] = {}
    for author in subscriber.authors:
        for pos, written in pool.authors.get(name_key(author), ()):
            by_author[pos] = True
            named.setdefault(pos, []).append(written)
    others = ~by_author
    if subscriber.topics:
        others &= pool.topics_mask(subscriber.topics)
    keyword_masks = [(item, pool.phrase_mask(phrase(item))) for item in subscriber.keywords]
    if keyword_masks:
        others &= np.logical_or.reduce([mask for _item, mask in keyword_masks])
    for item in subscriber.exclude:
        others &= ~pool.phrase_mask(phrase(item))
    alike = None
    if scores is not None:
        alike = (scores.best >= round(LIKE_MIN_SIMILARITY * _SCALE)) & ~scores.own
        others &= alike
    sent = history.papers_sent(subscriber.address, day)
    if sent:
        sent_mask = pool.keys_mask(sent)
        matching = int(by_author.sum() + others.sum())
        by_author &= ~sent_mask
        others &= ~sent_mask
    authors_new = np.flatnonzero(by_author)  # in window order: positions are ranks
    others_new = np.flatnonzero(others)
    if not sent:
        matching = len(authors_new) + len(others_new)
    room = max(0, (subscriber.size or default_size) - len(authors_new))
    if scores is not None:  # most alike first; equally alike in window order
        others_new = others_new[np.argsort(-scores.best[others_new], kind="stable")]
    chosen = [*authors_new.tolist(), *others_new[:room].tolist()]
    if not chosen:
        if matching == 1:
            return NoMessage(subscriber, "nothing new", "the 1 matching paper already sent")
        if matching:
            return NoMessage(subscriber, "nothing new", f"all {matching} matching papers already sent")
        where = "the week's" if weekly else "the day's"
        noun = "paper" if pool.size == 1 else "papers"
        return NoMessage(subscriber, "nothing new", f"none of {where} {pool.size} {noun} matches their preferences")
    picks = []
    for pos in chosen:
        paper = pool.paper(pos)
        reasons = [Reason("author", name) for name in dict.fromkeys(named.get(pos, ()))]
        reasons += [Reason("keyword", item) for item, mask in keyword_masks if mask[pos]]
        if scores is not None and alike is not None and alike[pos]:
            reasons.append(Reason("like", scores.titles[int(scores.nearest[pos])]))
        if not reasons:  # there by topic or by trending alone
            in_chosen = [slug for slug in paper.topics if slug in subscriber.topics]
            reasons.append(Reason("topic", (in_chosen or list(paper.topics) or ["other"])[0]))
        picks.append(Pick(paper, tuple(reasons)))
    return Selection(subscriber, day, subscriber.cadence, first_day, tuple(picks),
                     len(scores.titles) if scores is not None else 0)
