"""Write a paperwire content folder as a Hugo site with the same papers.

paperwire's own pipeline (read, merge, classify, rank) runs in-process, so both
sites hold identical papers with identical topics and order. Each paper becomes
content/papers/<slug>.md with JSON front matter (title, date first seen, topics
taxonomy, weight = trending position, score, excerpt) and the abstract as body.
The layout in bench/hugo_layouts/ gives comparable pages: home and topic pages
paginated 30 a page like paperwire's, one page per paper with five related
papers (the best-ranked of its topics, as paperwire picks them), a topic index, and RSS for home and each topic (50 items, as
paperwire's feeds.items).

    python bench/hugo_site.py CONTENT_DIR HUGO_SOURCE_DIR
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from paperwire.pipeline import gather
from paperwire.records import Paper
from paperwire.render.views import excerpt

LAYOUTS = Path(__file__).resolve().parent / "hugo_layouts"

HUGO_TOML = """\
baseURL = {base_url}
title = {title}
languageCode = "en"
# paperwire's ranking is the weight; Hugo sorts pages by weight first.
[taxonomies]
  topic = "topics"
[pagination]
  pagerSize = {per_page}
[services.rss]
  limit = {feed_items}
"""


def front_matter(paper: Paper, position: int) -> dict:
    """Return the front matter of one paper's Markdown file."""
    matter = {"title": paper.title, "weight": position, "score": round(paper.score, 1),
              "excerpt": excerpt(paper.abstract),
              "topics": list(paper.topics)}
    if paper.first_seen:
        matter["date"] = paper.first_seen.isoformat()
    return matter


def write_hugo_site(content_dir: Path, source_dir: Path) -> int:
    """(Re)create ``source_dir`` as a Hugo site of the papers in ``content_dir``; return their number."""
    data = gather(content_dir)
    if source_dir.exists():
        shutil.rmtree(source_dir)
    papers_dir = source_dir / "content" / "papers"
    papers_dir.mkdir(parents=True)
    (source_dir / "content" / "papers" / "_index.md").write_text('{"title": "Papers"}\n', encoding="utf-8")
    # Terms are topic slugs, so URLs match paperwire's topics/<slug>/; the names come from _index.md.
    for topic in data.topics:
        term_dir = source_dir / "content" / "topics" / topic.slug
        term_dir.mkdir(parents=True)
        (term_dir / "_index.md").write_text(json.dumps({"title": topic.name}) + f"\n\n{topic.description}\n",
                                            encoding="utf-8")
    for position, paper in enumerate(data.papers, 1):
        # JSON front matter needs no escaping rules beyond JSON's own.
        text = json.dumps(front_matter(paper, position), ensure_ascii=False, indent=1)
        (papers_dir / f"{paper.slug}.md").write_text(f"{text}\n\n{paper.abstract}\n", encoding="utf-8")
    config = HUGO_TOML.format(base_url=json.dumps(data.config.base_url), title=json.dumps(data.config.title),
                              per_page=data.config.trending.per_page, feed_items=data.config.feeds.items)
    (source_dir / "hugo.toml").write_text(config, encoding="utf-8")
    shutil.copytree(LAYOUTS, source_dir / "layouts")
    return len(data.papers)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and write one Hugo site."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("content_dir", type=Path)
    parser.add_argument("source_dir", type=Path)
    args = parser.parse_args(argv)
    count = write_hugo_site(args.content_dir, args.source_dir)
    print(f"{args.source_dir}: {count} papers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
