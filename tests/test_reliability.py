"""Atomic publish, determinism, configuration errors, paths and limits."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paperwire.errors import ContentError
from paperwire.pipeline import build
from paperwire.writer import Staging, clean_leftovers, publish

from .helpers import ROOT, SAMPLE_CONTENT, make_content, wait_until

ABSTRACT = "We propose a language model for dense retrieval and evaluate it on many benchmarks. " * 5


def tree_hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def cli(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300, **kwargs)


def test_builds_are_byte_identical_across_settings(tmp_path):
    # The corpus files are copied in opposite orders, so the file system lists them differently.
    names = sorted(p.name for p in (SAMPLE_CONTENT / "corpus").iterdir())
    runs = [("1", "UTC", "1", names), ("12345", "Asia/Tokyo", "2", list(reversed(names)))]
    trees = []
    for i, (seed, tz, jobs, order) in enumerate(runs):
        content = make_content(tmp_path / f"c{i}")
        for name in order:
            shutil.copy(SAMPLE_CONTENT / "corpus" / name, content / "corpus" / name)
        result = cli("--content", str(content), "--out", str(tmp_path / f"s{i}"), "-j", jobs, "-q",
                     env={"PYTHONHASHSEED": seed, "TZ": tz})
        assert result.returncode == 0, result.stderr
        trees.append(tree_hashes(tmp_path / f"s{i}"))
    assert trees[0] == trees[1]
    assert len(trees[0]) > 400


def test_failed_build_leaves_previous_site(tmp_path):
    content = make_content(tmp_path, corpus={"a.txt": f"Mar 11\nAlpha Paper\n\n{ABSTRACT}\n"})
    out = tmp_path / "site"
    build(content, out)
    before = tree_hashes(out)
    (content / "topics.yaml").write_text("topics:\n  - slug: Bad Slug\n    name: x\n    description: y\n    phrases: [a]\n")
    with pytest.raises(Exception):
        build(content, out)
    assert tree_hashes(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".paperwire-")]


@pytest.mark.parametrize("delay", [0.3, 0.8, 1.5, 2.5])
def test_sigkill_at_any_moment_leaves_previous_site(tmp_path, delay):
    content = make_content(tmp_path, copy_sample_corpus=True)
    out = tmp_path / "site"
    assert cli("--content", str(content), "--out", str(out), "-q").returncode == 0
    before = tree_hashes(out)
    # A change, so that the killed build would have written different bytes.
    (content / "site.yaml").write_text((content / "site.yaml").read_text().replace("title: paperwire", "title: changed"))
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--content", str(content), "--out", str(out), "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    after = tree_hashes(out)
    # Either the old site, untouched, or (if the build finished first) the complete new one.
    changed = "changed" in (out / "index.html").read_text()
    if not changed:
        assert after == before
    else:
        assert set(after) == set(before)
    # The next build cleans up whatever the killed one left beside the output:
    # its staging folder at once, the retired site in a background process.
    assert cli("--content", str(content), "--out", str(out), "-q").returncode == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".paperwire-site.new-")]
    assert wait_until(lambda: not [p for p in tmp_path.iterdir() if p.name.startswith(".paperwire-")])
    assert "changed" in (out / "index.html").read_text()


def test_sigterm_cleans_up_like_ctrl_c(tmp_path):
    import paperwire.writer

    content = make_content(tmp_path, copy_sample_corpus=True)
    out = tmp_path / "site"
    prefix = paperwire.writer._scratch_prefix(out.resolve())

    def scratch() -> list[Path]:  # the search sources: in /dev/shm, or beside the output without it
        memory = paperwire.writer._MEMORY_FOLDER
        shared = [p for p in memory.iterdir() if p.name.startswith(prefix)] if memory.is_dir() else []
        return shared + [p for p in tmp_path.iterdir() if p.name.startswith(prefix)]

    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--content", str(content), "--out", str(out), "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # Terminated while Pagefind indexes the search sources.
    assert wait_until(scratch, 60)
    proc.terminate()
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".paperwire-")]
    assert wait_until(lambda: not scratch())


def test_killed_between_renames_is_recovered(tmp_path):
    out = tmp_path / "site"
    publish([("index.html", b"old")], out)
    # Simulate a kill after the old site was moved aside but before the new one moved in.
    staging = Staging(out)
    retired = tmp_path / ".paperwire-site.old-x"
    retired.mkdir()
    os.rename(out, retired / "site")
    clean_leftovers(out)
    assert (out / "index.html").read_bytes() == b"old"
    staging.abort()


def test_killed_after_the_swap_before_the_manifest_leaves_no_manifest_to_trust(tmp_path, monkeypatch):
    # A build killed once its output is swapped in but before its manifest is
    # written must not leave the previous build's manifest beside the new
    # files: restoring the old content would then look "up to date" and
    # keep the other content's pages.
    import paperwire.pipeline

    content = make_content(tmp_path, copy_sample_corpus=True, site_yaml="search:\n  enabled: false\n")
    page = sorted((content / "corpus").iterdir())[0]
    kept = tmp_path / "kept.txt"
    shutil.copy2(page, kept)
    out = tmp_path / "site"
    build(content, out)
    first = tree_hashes(out)
    page.write_text(page.read_text(encoding="utf-8").replace("a", "4", 40), encoding="utf-8")

    def killed(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(paperwire.pipeline, "save_manifest", killed)
    with pytest.raises(KeyboardInterrupt):
        build(content, out)
    monkeypatch.undo()
    assert tree_hashes(out) != first  # the other content's site is in place
    shutil.copy2(kept, page)  # the first content again, to the byte and the modification time
    result = build(content, out)
    assert not result.up_to_date
    assert tree_hashes(out) == first


def test_scratch_goes_to_memory_when_it_fits_and_a_killed_builds_scratch_is_removed(tmp_path, monkeypatch):
    import paperwire.writer

    memory = tmp_path / "shm"
    memory.mkdir()
    monkeypatch.setattr(paperwire.writer, "_MEMORY_FOLDER", memory)
    out = tmp_path / "site"
    staging = Staging(out)
    small = staging.scratch_folder("search", 1000)
    huge = staging.scratch_folder("search", 1 << 60)  # more than any disk holds: beside the output
    assert small.parent == memory and huge.parent == tmp_path
    other = Staging(tmp_path / "elsewhere" / "site").scratch_folder("search", 1000)  # same name, other site
    # Planted in the shared folder under this output's prefix: never taken for the old site,
    # never followed, and folders of other users are left alone.
    prefix = paperwire.writer._scratch_prefix(out.resolve())
    planted = memory / f"{prefix}old-x"
    (planted / "site").mkdir(parents=True)
    (planted / "site" / "index.html").write_text("not yours")
    target = tmp_path / "precious"
    target.mkdir()
    (memory / f"{prefix}link").symlink_to(target)
    foreign = memory / f"{prefix}search-foreign"
    foreign.mkdir()
    if os.getuid() == 0:
        os.chown(foreign, 12345, 12345)
    # Killed: the next build of this output removes its own scratch, and only its own.
    shutil.rmtree(out, ignore_errors=True)
    clean_leftovers(out)
    assert not out.exists()  # nothing from /dev/shm became the site
    assert not small.exists() and not huge.exists() and other.is_dir()
    assert not staging.root.exists()
    assert target.is_dir() and (memory / f"{prefix}link").is_symlink()
    assert foreign.is_dir() == (os.getuid() == 0)


def test_an_output_that_cannot_be_made_is_one_line_not_a_traceback(tmp_path):
    content = make_content(tmp_path, corpus={"a.txt": f"Mar 11\nAlpha Paper\n\n{ABSTRACT}\n"})
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = cli("--content", str(content), "--out", str(blocker / "site"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"{blocker}: ")  # the OS's reason: "File exists", where a folder should be


@pytest.mark.parametrize("text, expected", [
    ("title: x\nfeeds: *nope\n", "site.yaml:2: not valid YAML: found undefined alias 'nope'"),
    ("title: x\ndescription: @x\n", "site.yaml:2: not valid YAML: found character '@' that cannot start any token"),
    ("title: x\n\ndescription: a\x07b\n", "site.yaml:3: not valid YAML: character #x0007 is not allowed"),
])
def test_invalid_yaml_is_one_line_naming_what_and_where(tmp_path, text, expected):
    content = make_content(tmp_path, corpus={"a.txt": f"Mar 11\nAlpha Paper\n\n{ABSTRACT}\n"}, site_yaml=text)
    result = cli("--content", str(content), "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == f"{content / expected}"


def test_a_missing_template_is_one_line_naming_it(tmp_path):
    content = make_content(tmp_path, corpus={"a.txt": f"Mar 11\nAlpha Paper\n\n{ABSTRACT}\n"})
    (content / "templates").mkdir()
    (content / "templates" / "topics.html").write_text('{% include "nowhere.html" %}', encoding="utf-8")
    result = cli("--content", str(content), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("TemplateNotFound: 'nowhere.html' not found")


def test_configuration_errors_are_reported_together(tmp_path):
    content = make_content(
        tmp_path, corpus={"a.txt": f"Mar 11\nAlpha Paper\n\n{ABSTRACT}\n"},
        site_yaml="titel: x\nfeeds:\n  items: many\nsmtp:\n  security: ssl\nbase_url: ftp://x\n",
        topics_yaml=("topics:\n  - slug: dup\n    name: A\n    description: a\n    phrases: [alpha]\n"
                     "  - slug: dup\n    name: B\n    description: b\n    phrases: ['  ']\n"
                     "  - slug: other\n    name: C\n    description: c\n    phrases: [gamma]\n    colour: red\n"))
    (content / "subscribers.yaml").write_text("subscribers:\n  - address: not-an-address\n  - address: a@example.org\n    topics: [nope]\n")
    result = cli("--content", str(content), "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    expected = ["site.yaml:1: Unrecognised configuration name 'titel' (did you mean 'title'?)",
                "site.yaml:3: 'feeds.items' must be a int",
                "site.yaml:5: 'smtp.security' must be one of",
                "site.yaml:6: 'base_url' must be an absolute http(s) URL"]
    for fragment in expected:
        assert any(fragment in line for line in lines), (fragment, lines)
    assert "Traceback" not in result.stderr


def test_topics_errors_are_reported_together(tmp_path):
    content = make_content(
        tmp_path, corpus={"a.txt": f"Mar 11\nAlpha Paper\n\n{ABSTRACT}\n"},
        topics_yaml=("topics:\n  - slug: dup\n    name: A\n    description: a\n    phrases: [alpha]\n"
                     "  - slug: dup\n    name: B\n    description: b\n    phrases: ['  ']\n"
                     "  - slug: other\n    name: C\n    description: c\n    phrases: [gamma]\n    colour: red\n"
                     "  - slug: ../../x\n    name: D\n    description: d\n    phrases: ['!!!']\n"))
    result = cli("--content", str(content), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    err = result.stderr
    lines = err.strip().splitlines()
    assert len(lines) == 6 and all("topics.yaml:" in line for line in lines)
    assert "topics.yaml:6: duplicate topic slug 'dup' (first on line 2)" in err
    assert "topics.yaml:6: topic 'dup' has an empty phrase" in err
    assert "topics.yaml:10: topic slug 'other' is reserved" in err
    assert "topics.yaml:14: Unrecognised configuration name 'topics[2].colour'" in err
    assert "topics.yaml:15: topic slug '../../x' must be lowercase" in err
    assert "topics.yaml:15: topic '../../x': phrase '!!!' has no words to match" in err


def test_subscribers_errors_name_file_and_line(tmp_path):
    content = make_content(tmp_path, corpus={"a.txt": f"Mar 11\nAlpha Paper\n\n{ABSTRACT}\n"})
    (content / "subscribers.yaml").write_text(
        "subscribers:\n  - address: not-an-address\n  - address: a@example.org\n    topics: [nope]\n"
        "  - address: A@example.org\n")
    result = cli("send", "--dry-run", "--content", str(content), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "subscribers.yaml:2:" in result.stderr and "subscribers.yaml:4:" in result.stderr
    assert "subscribers.yaml:5:" in result.stderr


@pytest.mark.parametrize("name", ["api.md", "papers.md", "feed.md", "topics.md", "Bad Name.md", "..md"])
def test_pages_cannot_take_site_names_or_escape(tmp_path, name):
    content = make_content(tmp_path, corpus={"a.txt": f"Mar 11\nAlpha Paper\n\n{ABSTRACT}\n"},
                           pages={name: "# Hi\n"})
    result = cli("--content", str(content), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert name in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "a/../../b", "a\\b", "", "a/", ".."])
def test_writer_refuses_paths_outside_the_output(tmp_path, path):
    with pytest.raises(ContentError):
        publish([(path, b"x")], tmp_path / "site")
    assert not (tmp_path / "x").exists() and not (tmp_path / "b").exists()


def test_writer_refuses_one_path_twice(tmp_path):
    with pytest.raises(ContentError, match="two outputs"):
        publish([("a/index.html", b"1"), ("a/index.html", b"2")], tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_hostile_titles_cannot_escape_the_output(tmp_path):
    titles = ["../../../etc/passwd", "/absolute/path", "api", "feed.xml", "..", "CON"]
    corpus = "Mar 11\n" + "".join(f"{t}\n\n{ABSTRACT}\n\n" for t in titles)
    content = make_content(tmp_path, corpus={"a.txt": corpus})
    build(content, tmp_path / "out" / "site")
    outside = {p.name for p in (tmp_path / "out").iterdir()} - {"site", ".site.paperwire-manifest.json"}
    assert outside == set()
    slugs = sorted(p.name for p in (tmp_path / "out/site/papers").iterdir())
    assert len(slugs) == len(titles)
    assert all(s and "/" not in s and not s.startswith(".") for s in slugs)


def test_limits_truncate_titles_and_entries_and_refuse_big_files(tmp_path):
    items = [{"paper": {"id": f"2501.{i:05d}", "title": ("Long " * 2000 if i == 0 else f"Title {i}"),
                        "summary": ABSTRACT, "upvotes": i, "authors": []},
              "publishedAt": "2025-03-11T00:00:00.000Z", "title": "x"} for i in range(30)]
    site_yaml = "default_year: 2025\nlimits:\n  max_title_chars: 200\n  max_entries_per_file: 10\n  max_file_bytes: 1000000\n"
    content = make_content(tmp_path, corpus={"a.json": json.dumps(items)}, site_yaml=site_yaml)
    result = cli("--content", str(content), "--out", str(tmp_path / "out"), "-v")
    assert result.returncode == 0, result.stderr
    assert "title over 200 characters, truncated" in result.stderr
    assert "keeping the first 10" in result.stderr
    assert "10 papers" in result.stdout
    (content / "corpus/big.txt").write_text("Mar 11\n" + "x" * 1_100_000)
    result = cli("--content", str(content), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "big.txt" in result.stderr and "max_file_bytes" in result.stderr
