"""Assign each paper its best topics from the phrases in topics.yaml.

Scoring, per topic:

* every distinct phrase found in the title adds ``TITLE_WEIGHT``;
* every distinct phrase found in the abstract adds ``ABSTRACT_WEIGHT``, and
  repeated mentions add a little more, capped at ``ABSTRACT_CAP``, below
  ``TITLE_WEIGHT``, so no abstract outvotes a phrase in the title;
* one of the paper's arXiv categories in ``topic.categories`` adds
  ``CATEGORY_WEIGHT`` (a topic category without a dot, such as
  ``astro-ph``, claims every category of that archive);
* any ``exclude`` phrase in the title or abstract removes the topic.

A topic is kept when it scores at least ``MIN_SCORE``; topics after the best
one are kept only while they reach ``SECONDARY_RATIO`` of the best score.
Ties go to the topic listed first in topics.yaml, then to the smaller slug.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from paperwire.records import Topic

OTHER = "other"

TITLE_WEIGHT = 4
ABSTRACT_WEIGHT = 1
# Extra mentions of already-counted phrases: one more point per this many.
ABSTRACT_REPEATS_PER_POINT = 3
ABSTRACT_CAP = 3
CATEGORY_WEIGHT = 2
MIN_SCORE = 2
SECONDARY_RATIO = 0.4


_TOKEN = re.compile(r"[^\W_]+")
# A byte table that lowercases ASCII letters, keeps digits and turns any other
# character into a space. Splitting ASCII text translated by it gives exactly
# the regex's words in a quarter of the time, and nearly every paper is ASCII.
_ASCII_WORDS = bytes(ord(chr(b).lower()) if chr(b).isalnum() else ord(" ") for b in range(128)).ljust(256)


def tokens(text: str) -> list[str]:
    """Return the lowercased words of ``text``; hyphens and spaces both separate."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_WORDS).decode("ascii").split()
    return _TOKEN.findall(text.lower())


def _encode(word: str) -> bytes:
    # "surrogatepass" encodes every string, and different strings differently.
    return word.encode("utf-8", "surrogatepass")


def _words(text: str) -> list[bytes]:
    """Return ``tokens(text)`` encoded, as the matcher looks words up.

    Classifying spends most of its time splitting abstracts into words and
    looking each up; bytes are quicker to make than strings for both.
    """
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_WORDS).split()
    return [_encode(word) for word in tokens(text)]


PhraseKey = tuple[str, ...]


@dataclass(frozen=True)
class Run:
    """What one run of words in a text matches, worked out when compiling."""

    length: int  # words in the run
    excluded: frozenset[int]  # topic indexes it excludes
    # (topic index, phrase id), in the order they are tried; only the first
    # per topic, as a topic counts one phrase per run of words.
    hits: tuple[tuple[int, int], ...]


class Node(NamedTuple):
    """One word in a tree of runs: the runs that end here, and how longer ones go on."""

    # The run ending on this word and those ending before it on the way
    # here, longest first: all that matches when a text goes no further.
    runs: tuple[Run, ...]
    after: dict[bytes, Node]  # next word, encoded -> its node


@dataclass(frozen=True)
class TopicMatcher:
    """A topic set compiled once: every run of words that matches a phrase.

    A run is the words of a phrase or exclusion as a text has them, the last
    one bare or with a plural "s" or "es". What each run matches is worked out
    when compiling, and the runs are arranged as a tree of words, so that
    classifying dismisses most words of a text with one dictionary lookup and
    follows the others only as far as some run goes on.
    """

    topics: tuple[Topic, ...]
    tree: dict[bytes, Node]  # first word of a run, encoded -> its node
    category_topics: dict[str, frozenset[int]]  # casefolded category -> topic indexes


def phrase_keys(phrase: str) -> set[PhraseKey]:
    """Return the word sequences a phrase matches ("pre-training" also as "pretraining")."""
    words = phrase.lower().split()
    joined = [word.replace("-", "") for word in words]
    split = [piece for word in words for piece in tokens(word)]
    return {tuple(split), tuple(piece for word in joined for piece in tokens(word))} - {()}


def _singular(word: str) -> tuple[str, ...]:
    """Return ``word`` and the forms it has without a plural "s" or "es"."""
    if not word.endswith("s"):
        return (word,)
    if word.endswith("es"):
        return (word, word[:-1], word[:-2])
    return (word, word[:-1])


def _run(words: PhraseKey, phrases: dict[PhraseKey, list[tuple[int, int]]],
         excludes: dict[PhraseKey, set[int]]) -> Run:
    """Return what ``words`` match: each singular form of the last word, in turn."""
    excluded: set[int] = set()
    hits: dict[int, int] = {}  # topic -> its first phrase id; dicts keep order
    for last in _singular(words[-1]):
        key = words[:-1] + (last,)
        excluded |= excludes.get(key, set())
        for topic, phrase_id in phrases.get(key, ()):
            hits.setdefault(topic, phrase_id)
    return Run(len(words), frozenset(excluded), tuple(hits.items()))


def _tree(runs: dict[PhraseKey, Run], depth: int = 0, shorter: tuple[Run, ...] = ()) -> dict[bytes, Node]:
    """Arrange runs that share their first ``depth`` words as a tree of their next words.

    ``shorter`` holds the runs that end before ``depth``, longest first.
    """
    by_word: dict[str, dict[PhraseKey, Run]] = {}
    for words, run in runs.items():
        if len(words) > depth:
            by_word.setdefault(words[depth], {})[words] = run
    tree = {}
    for word, group in by_word.items():
        here = tuple(run for words, run in group.items() if len(words) == depth + 1) + shorter
        tree[_encode(word)] = Node(runs=here, after=_tree(group, depth + 1, here))
    return tree


def _compile(topics: Iterable[Topic]) -> TopicMatcher:
    """Index every run of words that matches a topic's phrases or exclusions."""
    topics = tuple(topics)
    if any(topic.slug == OTHER for topic in topics):
        raise ValueError(f"the topic slug {OTHER!r} is reserved for unmatched papers")
    phrases: dict[PhraseKey, list[tuple[int, int]]] = {}  # words -> (topic index, phrase id)
    excludes: dict[PhraseKey, set[int]] = {}  # words -> topic indexes
    for index, topic in enumerate(topics):
        for phrase_id, phrase in enumerate(dict.fromkeys(p.strip().lower() for p in topic.phrases if p.strip())):
            for key in phrase_keys(phrase):
                phrases.setdefault(key, []).append((index, phrase_id))
        for phrase in topic.exclude:
            for key in phrase_keys(phrase):
                excludes.setdefault(key, set()).add(index)
    # A text's run matches a key when its last word is the key's, bare or plural.
    runs = {key[:-1] + (key[-1] + end,) for key in list(phrases) + list(excludes) for end in ("", "s", "es")}
    category_topics: dict[str, set[int]] = {}
    for index, topic in enumerate(topics):
        for category in topic.categories:
            category_topics.setdefault(category.casefold(), set()).add(index)
    return TopicMatcher(
        topics=topics,
        tree=_tree({words: _run(words, phrases, excludes) for words in runs}),
        category_topics={category: frozenset(t) for category, t in category_topics.items()},
    )


# Memoised so that classify() can take plain Topic records and still compile
# each topic set only once across a whole corpus.
_compile_cached = functools.lru_cache(maxsize=16)(_compile)

# Hashing a topic set hashes every phrase of every topic, which takes half as
# long as classifying a paper; a corpus is classified against one tuple of
# topics, so that tuple is recognised by identity first. Only a hashable tuple
# is remembered: neither it nor its frozen topics can change afterwards.
_last_compiled: tuple[object, TopicMatcher | None] = (None, None)


def compile_topics(topics: Sequence[Topic] | TopicMatcher) -> TopicMatcher:
    """Compile a topic set, reusing the result for a topic set seen before."""
    global _last_compiled
    if isinstance(topics, TopicMatcher):
        return topics
    last_topics, last_matcher = _last_compiled
    if topics is last_topics and last_matcher is not None:
        return last_matcher
    key = tuple(topics)
    try:
        hash(key)
    except TypeError:  # a Topic built with lists instead of tuples
        return _compile(key)
    matcher = _compile_cached(key)
    if key is topics:
        _last_compiled = (topics, matcher)
    return matcher


def _matches(matcher: TopicMatcher, words: list[bytes]) -> tuple[dict[int, list[int]], set[int]]:
    """Return, per topic, the phrase ids found in order, and the excluded topics."""
    found: dict[int, list[int]] = {}
    excluded: set[int] = set()
    covered = [0] * len(matcher.topics)  # per topic, the first word free for its next match
    tree, count = matcher.tree, len(words)
    for start, word in enumerate(words):
        if word not in tree:
            continue
        # Follow the text down the tree as far as it goes; the node reached
        # holds every run matching here, longest first, so "large language
        # model" wins over "language model".
        runs, after = tree[word]
        end = start + 1
        while after and end < count and words[end] in after:
            runs, after = after[words[end]]
            end += 1
        for run in runs:
            if run.excluded:
                excluded |= run.excluded
            for topic, phrase_id in run.hits:
                if covered[topic] <= start:
                    found.setdefault(topic, []).append(phrase_id)
                    covered[topic] = start + run.length
    return found, excluded


def topic_scores(matcher: TopicMatcher, title: str, abstract: str,
                 categories: frozenset[str]) -> dict[int, int]:
    """Return topic index -> score for every topic scoring above zero."""
    title_found, title_excluded = _matches(matcher, _words(title))
    abstract_found, abstract_excluded = _matches(matcher, _words(abstract))
    # Only topics with a phrase or a category can score, so only those are counted.
    scores = {index: TITLE_WEIGHT * len(set(ids)) for index, ids in title_found.items()}
    for index, ids in abstract_found.items():
        distinct = len(set(ids))
        repeats = (len(ids) - distinct) // ABSTRACT_REPEATS_PER_POINT
        scores[index] = scores.get(index, 0) + min(ABSTRACT_CAP, ABSTRACT_WEIGHT * distinct + repeats)
    if categories:
        for index in {i for c in categories for i in matcher.category_topics.get(c, ())}:
            scores[index] = scores.get(index, 0) + CATEGORY_WEIGHT
    for index in title_excluded | abstract_excluded:
        scores.pop(index, None)
    return scores


def paper_categories(categories: Iterable[str]) -> frozenset[str]:
    """Return the casefolded categories together with their archives."""
    # "astro-ph.GA" also yields "astro-ph", so a topic can claim a whole archive.
    folded = {c.strip().casefold() for c in categories if c.strip()}
    return frozenset(folded | {c.split(".", 1)[0] for c in folded})


def score_topics(
    title: str,
    abstract: str,
    topics: Sequence[Topic] | TopicMatcher,
    categories: Sequence[str] = (),
) -> tuple[tuple[str, int], ...]:
    """Return (slug, score) for every topic scoring above zero, best first."""
    matcher = compile_topics(topics)
    folded = paper_categories(categories) if categories else frozenset()
    scores = topic_scores(matcher, title, abstract, folded)
    # Ties go to the topic listed first in topics.yaml, then the smaller slug,
    # so the same input always yields the same order.
    ranked = sorted(scores, key=lambda index: (-scores[index], index, matcher.topics[index].slug))
    return tuple((matcher.topics[index].slug, scores[index]) for index in ranked)


def classify(
    title: str,
    abstract: str,
    topics: Sequence[Topic] | TopicMatcher,
    categories: Sequence[str] = (),
    max_topics: int = 3,
) -> tuple[str, ...]:
    """Return the paper's best topic slugs, best first, or (OTHER,) when none fits."""
    if max_topics < 1:
        raise ValueError(f"max_topics must be at least 1, not {max_topics}")
    scores = score_topics(title, abstract, topics, categories)
    if not scores or scores[0][1] < MIN_SCORE:
        return (OTHER,)
    # Secondary topics must come close to the best one, so that a paper
    # mentioning many things in passing does not appear on every topic page.
    floor = max(MIN_SCORE, SECONDARY_RATIO * scores[0][1])
    return tuple(slug for slug, score in scores if score >= floor)[:max_topics]
