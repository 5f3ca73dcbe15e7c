"""Whole builds: the sample counts, papers.json, the CLI and its errors."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from paperwire.merge import merge
from paperwire.records import Sighting

from .helpers import ROOT, make_content

ABSTRACT = "We propose a method and show it works well on many benchmarks. " * 6


def run_cli(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_sample_corpus_counts(sample_site):
    papers = json.loads((sample_site / "api" / "papers.json").read_text(encoding="utf-8"))
    assert len(papers) == 326
    assert sum(len(p["sightings"]) for p in papers) == 388
    pages = [len({s["source"] for s in p["sightings"]}) for p in papers]
    assert sum(1 for n in pages if n >= 2) == 48
    assert Counter(pages)[4] == 3


def test_sample_text_is_clean(sample_site):
    papers = json.loads((sample_site / "api" / "papers.json").read_text(encoding="utf-8"))
    for paper in papers:
        for text in (paper["title"], paper["abstract"]):
            for latex in ("\\%", "\\'", '\\"', "\\textbf"):
                assert latex not in text, (paper["slug"], latex)


def test_papers_json_fields(sample_site):
    papers = json.loads((sample_site / "api" / "papers.json").read_text(encoding="utf-8"))
    required = {"slug", "title", "abstract", "url", "topics", "first_seen", "last_seen", "sightings",
                "score", "arxiv_id", "authors", "upvotes"}
    for paper in papers:
        assert required <= set(paper)
        assert paper["url"] == f"papers/{paper['slug']}/"
        assert (sample_site / paper["url"] / "index.html").is_file()
        assert paper["topics"]
    assert len({p["slug"] for p in papers}) == len(papers)
    scores = [(-p["score"], p["slug"]) for p in papers]
    assert scores == sorted(scores)


def test_merge_groups_by_normalised_title():
    def sighting(title, source, rank):
        return Sighting(source=source, line=rank, date=None, rank=rank, raw_title=title, raw_abstract="x")
    papers = merge([sighting("Dense  Retrieval", "a", 1), sighting("dense retrieval", "b", 3),
                    sighting("Ｄense Retrieval", "c", 2), sighting("Other", "a", 2)])
    assert len(papers) == 2
    dense = next(p for p in papers if p.slug == "dense-retrieval")
    assert [s.source for s in dense.sightings] == ["a", "b", "c"]


def test_build_is_independent_of_file_names_order(tmp_path):
    from paperwire.pipeline import build
    page_a = f"Mar 11\nAlpha Paper\n{ABSTRACT}\nShared Paper\n{ABSTRACT}\n"
    page_b = f"Mar 12\nshared paper\n{ABSTRACT}\nBeta Paper\n{ABSTRACT}\n"
    one = make_content(tmp_path / "one", corpus={"a.txt": page_a, "b.txt": page_b})
    two = make_content(tmp_path / "two", corpus={"b.txt": page_a, "a.txt": page_b})
    build(one, tmp_path / "one" / "site")
    build(two, tmp_path / "two" / "site")
    first = json.loads((tmp_path / "one/site/api/papers.json").read_text())
    second = json.loads((tmp_path / "two/site/api/papers.json").read_text())
    assert [p["slug"] for p in first] == [p["slug"] for p in second]


def test_cli_summary_and_help(tmp_path):
    content = make_content(tmp_path, corpus={"a.txt": f"Mar 11\nAlpha Paper\n{ABSTRACT}\n"})
    result = run_cli("--content", str(content), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "1 files read, 1 papers, 1 sightings" in result.stdout
    verbose = run_cli("build", "-v", "--force", "--content", str(content), "--out", str(tmp_path / "out"))
    stages = [line.split()[0] for line in verbose.stderr.splitlines() if line.endswith("MB peak")]
    assert stages == ["config", "read", "merge", "classify", "rank", "related", "render"]
    assert all(" s CPU " in line for line in verbose.stderr.splitlines() if line.endswith("MB peak"))
    help_text = run_cli("build", "--help").stdout
    for option in ("--content", "--out", "--keep-going", "-q", "-v"):
        assert option in help_text


@pytest.mark.parametrize("name, data, message", [
    ("blob.bin", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "blob.bin:1: binary file"),
    ("latin.txt", "Mar 11\nFr\xe9chet\n".encode("latin-1"), "latin.txt:2: not valid UTF-8"),
    ("empty.txt", b"new\n\nSubscribe\n", "empty.txt"),
])
def test_bad_corpus_file_exits_2_with_one_line(tmp_path, name, data, message):
    content = make_content(tmp_path, corpus={name: data})
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.html").write_text("previous site")
    result = run_cli("--content", str(content), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr
    assert (tmp_path / "out" / "keep.html").read_text() == "previous site"


def test_keep_going_skips_bad_files(tmp_path):
    content = make_content(tmp_path, corpus={"bad.bin": b"\x00\x01", "ok.txt": f"Mar 11\nAlpha Paper\n{ABSTRACT}\n"})
    result = run_cli("--keep-going", "--content", str(content), "--out", str(tmp_path / "out"))
    assert result.returncode == 0
    assert "bad.bin" in result.stderr and "skipped" in result.stderr
    assert "1 files read, 1 papers" in result.stdout


def test_missing_and_empty_content(tmp_path):
    missing = run_cli("--content", str(tmp_path / "nope"), "--out", str(tmp_path / "out"))
    assert missing.returncode == 2 and "content folder not found" in missing.stderr
    content = make_content(tmp_path)
    empty = run_cli("--content", str(content), "--out", str(tmp_path / "out"))
    assert empty.returncode == 2 and "corpus folder holds no files" in empty.stderr


def test_bad_site_yaml_names_key_and_line(tmp_path):
    content = make_content(tmp_path, corpus={"a.txt": f"Mar 11\nAlpha\n{ABSTRACT}\n"},
                           site_yaml="title: ok\ndefault_year: soon\ntrending:\n  half_lfe_days: 2\n")
    result = run_cli("--content", str(content), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "site.yaml:2: 'default_year' must be a int" in result.stderr
    assert ("site.yaml:4: Unrecognised configuration name 'trending.half_lfe_days' "
            "(did you mean 'half_life_days'?)") in result.stderr
    assert "Traceback" not in result.stderr


def test_last_title_without_abstract_warns(tmp_path):
    content = make_content(tmp_path, corpus={"a.txt": f"Mar 11\nAlpha Paper\n{ABSTRACT}\nDangling\n"})
    result = run_cli("--content", str(content), "--out", str(tmp_path / "out"))
    assert result.returncode == 0
    assert "a.txt:4: title has no abstract" in result.stderr


def test_rebuilds_redo_only_what_changed(tmp_path):
    page = f"Mar 11\nAlpha Paper\n{ABSTRACT}\nBeta Paper\n{ABSTRACT}\n"
    content = make_content(tmp_path, corpus={"a.txt": page})
    out = tmp_path / "out"
    first = run_cli("--content", str(content), "--out", str(out))
    assert "2 papers" in first.stdout
    alpha = out / "papers/alpha-paper/index.html"
    inode = alpha.stat().st_ino
    unchanged = run_cli("--content", str(content), "--out", str(out))
    assert "up to date" in unchanged.stdout
    # A new day with a new paper: scores move, but Alpha's page shows nothing that changed.
    other = "Protein structures are predicted from sequences by a folding network. " * 5
    (content / "corpus/b.txt").write_text(f"Mar 12\nGamma Paper\n{other}\n")
    again = run_cli("--content", str(content), "--out", str(out))
    assert "3 papers" in again.stdout
    assert alpha.stat().st_ino == inode  # linked from the previous build, not rewritten
    assert (out / "papers/gamma-paper/index.html").is_file()
    forced = run_cli("--force", "--content", str(content), "--out", str(out))
    assert "3 papers" in forced.stdout and alpha.stat().st_ino != inode


def test_paper_page_key_follows_what_the_page_shows():
    from dataclasses import replace

    import datetime as dt

    from paperwire.manifest import page_key
    from paperwire.records import Details, Organization, Sighting
    from paperwire.render.environment import make_environment
    from paperwire.render.site import SiteRenderer

    from .helpers import make_paper, make_site_data

    def key(paper, other_title="Other paper"):
        other = make_paper("other", other_title)
        data = replace(make_site_data((paper, other)), related={paper.slug: ("other",)})
        renderer = SiteRenderer(data, make_environment())
        return page_key("salt", renderer.paper_key_input(paper.slug))

    paper = make_paper("alpha", "Alpha")
    same = key(paper)
    assert key(replace(paper, score=99.0)) == same  # the score is not on the page
    changed = [replace(paper, title="Alpha 2"), replace(paper, abstract="Else."), replace(paper, authors=("A. B.",)),
               replace(paper, upvotes=3), replace(paper, topics=("moe",)), replace(paper, arxiv_id="2401.00001"),
               replace(paper, categories=("cs.CL",)), replace(paper, published=dt.date(2025, 3, 1)),
               replace(paper, sightings=paper.sightings + (Sighting("b.txt", 1, None, 2, "Alpha", ""),)),
               replace(paper, details=Details(github_stars=10)), replace(paper, details=Details(ai_keywords=("k",))),
               replace(paper, details=Details(organization=Organization("lab", "The Lab")))]
    for variant in changed:
        assert key(variant) != same, variant
    assert key(paper, other_title="Renamed") != same  # a related paper's title is on the page


def test_paper_pages_render_from_the_papers_received():
    """A worker's chunk arrives pickled: its pages come from those copies, dropped with the chunk."""
    import pickle
    from dataclasses import replace

    from paperwire.render.environment import make_environment
    from paperwire.render.site import SiteRenderer

    from .helpers import make_paper, make_site_data

    paper, other = make_paper("alpha", "Alpha"), make_paper("other", "Other paper")
    renderer = SiteRenderer(replace(make_site_data((paper, other)), related={"alpha": ("other",)}),
                            make_environment())
    shared_page = renderer.paper_page("alpha")
    renderer.forget_views()
    received = pickle.loads(pickle.dumps((paper,)))
    renderer.receive(received)
    assert renderer.paper("alpha") is received[0] and renderer.paper("other") is other
    assert renderer.paper_page("alpha") == shared_page
    renderer.forget_views()
    assert renderer.paper("alpha") is paper


def test_gather_leaves_the_cycle_collector_as_it_found_it():
    import gc

    from paperwire.pipeline import gather

    content = ROOT / "content"
    assert gc.isenabled()
    gather(content)
    assert gc.isenabled()
    gc.disable()
    try:
        gather(content)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_evolve_is_replace_without_init():
    from dataclasses import replace

    from paperwire.records import evolve

    from .helpers import make_paper

    paper = make_paper("alpha", days=())
    assert paper.dates == ()  # cached on the original
    changed = evolve(paper, topics=("moe",), score=2.5)
    assert changed == replace(paper, topics=("moe",), score=2.5) and changed is not paper
    assert paper.topics == ("other",)  # the original is untouched
    with pytest.raises(TypeError, match="no field 'topic'"):
        evolve(paper, topic=("moe",))


def test_evolve_drops_cached_values():
    import datetime as dt

    from paperwire.records import evolve

    from .helpers import make_paper

    paper = make_paper("alpha", days=(dt.date(2026, 3, 3),))
    assert len(paper.dates) == 1  # cached on the original
    later = make_paper("alpha", days=(dt.date(2026, 3, 5), dt.date(2026, 3, 6)))
    moved = evolve(paper, sightings=later.sightings)
    assert moved.dates == later.dates  # worked out again from the new sightings


def test_compiled_templates_kept_between_builds_follow_their_source(tmp_path):
    from paperwire.render.environment import make_environment

    templates = tmp_path / "content" / "templates"
    templates.mkdir(parents=True)
    (templates / "hello.html").write_text("one {{ x }}", encoding="utf-8")
    assert make_environment(tmp_path / "content").get_template("hello.html").render(x="<b>") == "one &lt;b&gt;"
    (templates / "hello.html").write_text("two {{ x }}", encoding="utf-8")
    assert make_environment(tmp_path / "content").get_template("hello.html").render(x="<b>") == "two &lt;b&gt;"


def test_a_rebuild_classifies_only_texts_it_has_not_seen(tmp_path, monkeypatch):
    import paperwire.pipeline
    from paperwire.pipeline import build

    from .test_search import tree_digest

    classified = []
    real_classify = paperwire.pipeline.classify

    def counting_classify(title, abstract, topics, categories=()):
        classified.append(title)
        return real_classify(title, abstract, topics, categories)

    monkeypatch.setattr(paperwire.pipeline, "classify", counting_classify)
    content = make_content(tmp_path, corpus={"a.txt": f"Mar 11\nAlpha Paper\n{ABSTRACT}\nBeta Paper\n{ABSTRACT}\n"})
    out = tmp_path / "out"
    build(content, out, jobs=1)
    assert sorted(classified) == ["Alpha Paper", "Beta Paper"]
    classified.clear()
    (content / "corpus/b.txt").write_text(f"Mar 12\nGamma Paper\n{ABSTRACT}\nAlpha Paper\nA new abstract.\n")
    build(content, out, jobs=1)
    # Alpha's longest abstract is still the old one: its text is known, and so is Beta's.
    assert classified == ["Gamma Paper"]
    incremental = tree_digest(out)
    build(content, tmp_path / "fresh", jobs=1, force=True)
    assert tree_digest(tmp_path / "fresh") == incremental  # the same site as a build from nothing
    # New topics mean new classifications for every text.
    classified.clear()
    (content / "topics.yaml").write_text((content / "topics.yaml").read_text() + "\n")
    build(content, out, jobs=1)
    assert sorted(classified) == ["Alpha Paper", "Beta Paper", "Gamma Paper"]


def test_kept_topics_of_a_damaged_manifest_are_not_used():
    from paperwire.manifest import Manifest, kept_topics

    manifest = Manifest(inputs="i", salt="s", files=0, topics={"ok": ["moe", "llm"], "number": ["moe", 3],
                                                                "text": "moe", "empty": []})
    assert kept_topics(manifest, "ok") == ("moe", "llm")
    assert [kept_topics(manifest, key) for key in ("number", "text", "empty", "missing")] == [None] * 4


def test_a_temp_dir_that_cannot_keep_compiled_templates_fails_no_build(tmp_path, monkeypatch):
    import jinja2

    from paperwire.render.environment import make_environment

    def full_disk(self, bucket):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(jinja2.FileSystemBytecodeCache, "dump_bytecode", full_disk)
    monkeypatch.setattr(jinja2.FileSystemBytecodeCache, "load_bytecode", full_disk)
    templates = tmp_path / "content" / "templates"
    templates.mkdir(parents=True)
    (templates / "hello.html").write_text("hello {{ x }}", encoding="utf-8")
    assert make_environment(tmp_path / "content").get_template("hello.html").render(x=1) == "hello 1"
