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


@dataclass(frozen=True)
class CompiledTopic:
    """One topic with its phrases and exclusions compiled to single regexes."""

    topic: Topic
    order: int  # position in topics.yaml, the first tie-break
    phrases: re.Pattern[str] | None  # one named group per phrase
    exclude: re.Pattern[str] | None
    categories: frozenset[str]  # casefolded


@dataclass(frozen=True)
class TopicMatcher:
    """A topic set compiled once and reused for every paper."""

    topics: tuple[CompiledTopic, ...]


def phrase_pattern(phrase: str) -> str:
    """Return the regex source for one lowercased phrase, without its boundaries."""
    words = phrase.split()
    # Authors write "mixture-of-experts", "mixture of experts" and
    # "pre-training"/"pretraining" interchangeably, so a space in a phrase
    # matches spaces or hyphens and a hyphen may also be left out.
    parts = [r"[\s\-]?".join(re.escape(piece) for piece in word.split("-")) for word in words]
    return r"[\s\-]+".join(parts)


def combined_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """Compile phrases into one regex for lowercased text, one named group each."""
    unique = list(dict.fromkeys(p.strip().lower() for p in phrases if p.strip()))
    if not unique:
        return None
    # Longest first so "large language model" wins over "language model"
    # where both start at the same place.
    ordered = sorted(range(len(unique)), key=lambda i: (-len(unique[i]), i))
    branches = "|".join(phrase_branch(f"p{i}", unique[i]) for i in ordered)
    first_chars = "".join(sorted({re.escape(p[0]) for p in unique}))
    # The leading character class rejects most positions at once, and the
    # lookarounds, unlike \b, keep words whole even next to non-word
    # characters such as the "+" of "C++".
    return re.compile(rf"(?=[{first_chars}])(?<!\w)(?:{branches})(?:e?s)?(?!\w)")


def phrase_branch(group: str, phrase: str) -> str:
    """Return one alternative of a combined regex, naming the phrase's group."""
    body = phrase_pattern(phrase)
    first = re.escape(phrase[0])
    # A branch that opens with a literal lets the engine discard it after one
    # character; opening with the group would cost a full attempt, which
    # makes the whole scan about twice as slow.
    if body.startswith(first):
        return f"{first}(?P<{group}>{body[len(first):]})"
    return f"(?P<{group}>{body})"


def _compile(topics: Iterable[Topic]) -> TopicMatcher:
    """Compile every topic's phrases and exclusions into one regex each."""
    topics = tuple(topics)
    if any(topic.slug == OTHER for topic in topics):
        raise ValueError(f"the topic slug {OTHER!r} is reserved for unmatched papers")
    return TopicMatcher(
        tuple(
            CompiledTopic(
                topic=topic,
                order=order,
                phrases=combined_pattern(topic.phrases),
                exclude=combined_pattern(topic.exclude),
                categories=frozenset(c.casefold() for c in topic.categories),
            )
            for order, topic in enumerate(topics)
        )
    )


# Memoised so that classify() can take plain Topic records and still compile
# each topic set only once across a whole corpus.
_compile_cached = functools.lru_cache(maxsize=16)(_compile)


def compile_topics(topics: Sequence[Topic] | TopicMatcher) -> TopicMatcher:
    """Compile a topic set, reusing the result for a topic set seen before."""
    if isinstance(topics, TopicMatcher):
        return topics
    key = tuple(topics)
    try:
        hash(key)
    except TypeError:  # a Topic built with lists instead of tuples
        return _compile(key)
    return _compile_cached(key)


def phrase_hits(pattern: re.Pattern[str] | None, text: str) -> tuple[int, int]:
    """Return how many distinct phrases occur in text, and how many times in all."""
    if pattern is None or not text:
        return 0, 0
    seen: set[str | None] = set()
    total = 0
    for match in pattern.finditer(text):
        seen.add(match.lastgroup)
        total += 1
    return len(seen), total


def topic_score(
    compiled: CompiledTopic, title: str, abstract: str, categories: frozenset[str]
) -> int:
    """Return one topic's score for a lowercased paper, 0 when an exclusion matches."""
    if compiled.exclude is not None and (
        compiled.exclude.search(title) or compiled.exclude.search(abstract)
    ):
        return 0
    title_distinct, _ = phrase_hits(compiled.phrases, title)
    abstract_distinct, abstract_total = phrase_hits(compiled.phrases, abstract)
    repeats = (abstract_total - abstract_distinct) // ABSTRACT_REPEATS_PER_POINT
    abstract_points = min(ABSTRACT_CAP, ABSTRACT_WEIGHT * abstract_distinct + repeats)
    score = TITLE_WEIGHT * title_distinct + abstract_points
    if compiled.categories & categories:
        score += CATEGORY_WEIGHT
    return score


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
    folded = paper_categories(categories)
    # Lowercase once here rather than matching with re.IGNORECASE, which
    # doubles the cost of every topic's regex.
    title, abstract = title.lower(), abstract.lower()
    scored = [
        (topic_score(compiled, title, abstract, folded), compiled)
        for compiled in matcher.topics
    ]
    # Ties go to the topic listed first in topics.yaml, then the smaller slug,
    # so the same input always yields the same order.
    scored.sort(key=lambda pair: (-pair[0], pair[1].order, pair[1].topic.slug))
    return tuple((compiled.topic.slug, score) for score, compiled in scored if score > 0)


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
