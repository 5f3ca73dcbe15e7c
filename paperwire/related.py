"""Related papers: those sharing the most topics, then the best scores."""

from __future__ import annotations

from .records import Paper

RELATED_COUNT = 5
# Looking this far down each topic's ranking is enough to fill five slots
# with the best-scoring neighbours, and keeps the work linear in papers.
_CANDIDATES_PER_TOPIC = 40


def related_by_topics(papers: tuple[Paper, ...]) -> dict[str, tuple[str, ...]]:
    """Map each paper's slug to up to five related slugs (papers are ranked)."""
    position = {p.slug: i for i, p in enumerate(papers)}
    members: dict[str, list[Paper]] = {}
    for paper in papers:
        for topic in paper.topics:
            members.setdefault(topic, []).append(paper)
    related: dict[str, tuple[str, ...]] = {}
    for paper in papers:
        own = set(paper.topics)
        candidates: dict[str, int] = {}
        for topic in paper.topics:
            for other in members[topic][:_CANDIDATES_PER_TOPIC + 1]:
                if other.slug != paper.slug and other.slug not in candidates:
                    candidates[other.slug] = len(own.intersection(papers[position[other.slug]].topics))
        best = sorted(candidates, key=lambda slug: (-candidates[slug], position[slug]))
        related[paper.slug] = tuple(best[:RELATED_COUNT])
    return related
