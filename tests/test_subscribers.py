"""subscribers.yaml: every preference loads, and every mistake is one line naming file and line."""

from __future__ import annotations

import textwrap

import pytest

from paperwire.cli import main
from paperwire.digest.subscribers import Subscriber, like_arxiv_id, load_subscribers
from paperwire.errors import ContentErrors

from .helpers import make_content

TOPICS = frozenset({"retrieval", "moe", "other"})


def write(folder, text: str) -> None:
    (folder / "subscribers.yaml").write_text(textwrap.dedent(text), encoding="utf-8")


def errors(folder) -> list[str]:
    with pytest.raises(ContentErrors) as exc:
        load_subscribers(folder, TOPICS)
    return [f"{e.line}: {e.message}" for e in exc.value.errors]


def test_every_preference_loads(tmp_path):
    (tmp_path / "libraries").mkdir()
    (tmp_path / "libraries" / "mine.bib").write_text("@misc{a, title={A}}\n")
    (tmp_path / "mine.json").write_text("[]")
    write(tmp_path, """\
        subscribers:
          - address: ada@example.org
            name: Ada
            topics: [retrieval]
            keywords: [retrieval, "large language model"]
            exclude: [survey]
            authors: [José Ñúñez]
            like: [2410.05434, arXiv:2401.00001v2, https://arxiv.org/abs/2402.00002, hep-th/9901001,
                   libraries/mine.bib, mine.json]
            size: 5
            cadence: weekly
            weekday: Friday
          - address: bob@example.org
        """)
    roster = load_subscribers(tmp_path, TOPICS)
    ada, bob = roster.subscribers
    assert ada == Subscriber("ada@example.org", "Ada", ("retrieval",), ("retrieval", "large language model"),
                             ("survey",), ("José Ñúñez",),
                             ("2410.05434", "arXiv:2401.00001v2", "https://arxiv.org/abs/2402.00002",
                              "hep-th/9901001", "libraries/mine.bib", "mine.json"), 5, "weekly", "Friday")
    assert ada.weekly_on == 4 and bob.weekly_on is None
    assert (bob.cadence, bob.size, bob.like) == ("daily", None, ())
    assert roster.like_lines[0] == (8, 8, 8, 8, 9, 9)
    assert roster.like_place(0, 4) == f"{tmp_path / 'subscribers.yaml'}:9"


def test_weekly_without_weekday_is_on_mondays(tmp_path):
    write(tmp_path, "subscribers:\n  - address: ada@example.org\n    cadence: weekly\n")
    assert load_subscribers(tmp_path, TOPICS).subscribers[0].weekly_on == 0


@pytest.mark.parametrize("item, expected", [
    ("2410.05434", "2410.05434"), ("2410.05434v3", "2410.05434"), ("arXiv:2410.05434", "2410.05434"),
    ("http://arxiv.org/pdf/2410.05434v1.pdf", "2410.05434"), ("math.GT/0309136", "math.GT/0309136"),
    ("papers/2410.05434.bib", None), ("2410.05434 and more", None), ("lib.json", None),
])
def test_like_items_are_arxiv_ids_or_files(item, expected):
    assert like_arxiv_id(item) == expected


def test_every_mistake_is_reported_with_its_line(tmp_path):
    (tmp_path / "folder.bib").mkdir()
    write(tmp_path, """\
        subscribers:
          - address: ada@example.org
            keywords: []
            exclude: ["--", survey]
            authors: ["  "]
            like: [nonsense, /etc/passwd.bib, ../outside.bib, missing.json, folder.bib]
            size: 0
            cadence: fortnightly
            weekday: monday
          - address: bob@example.org
            cadence: weekly
            weekday: frday
            keyword: [x]
            size: many
        """)
    found = "\n".join(errors(tmp_path))
    for expected in [
        "3: 'keywords' is empty; leave it out instead",
        "4: exclude item '--' has no words to match",
        "5: '  ' is not an author's name",
        "6: 'like' item 'nonsense' is neither an arXiv id (such as 2410.05434) nor a BibTeX (.bib) or CSL-JSON",
        "6: library '/etc/passwd.bib' must be a path relative to the content folder",
        "6: library '../outside.bib' is outside the content folder",
        "6: library 'missing.json' not found in",
        "6: library 'folder.bib' not found in",
        "7: 'size' must be from 1 to 50",
        "8: 'cadence' must be daily or weekly, not 'fortnightly'",
        "9: 'weekday' goes with 'cadence: weekly'",
        "12: 'weekday' must be a day such as monday, not 'frday' (did you mean 'friday'?)",
        "13: Unrecognised configuration name 'subscribers[1].keyword' (did you mean 'keywords'?)",
        "14: 'subscribers[1].size' must be a int, not 'many'",
    ]:
        assert expected in found, (expected, found)


def test_a_symlink_out_of_the_content_folder_is_refused(tmp_path):
    outside = tmp_path / "outside.bib"
    outside.write_text("@misc{a, title={A}}\n")
    content = tmp_path / "content"
    content.mkdir()
    (content / "lib.bib").symlink_to(outside)
    write(content, "subscribers:\n  - address: ada@example.org\n    like: [lib.bib]\n")
    assert errors(content) == ["3: library 'lib.bib' is outside the content folder"]


def test_cli_reports_bad_preferences_one_line_each_without_traceback(tmp_path, capsys):
    content = make_content(tmp_path, copy_sample_corpus=True)
    write(content, """\
        subscribers:
          - address: ada@example.org
            cadence: weekly
            weekday: someday
            like: [nope.txt]
        """)
    assert main(["send", "--dry-run", "--content", str(content), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "Traceback" not in "\n".join(err)
    assert "subscribers.yaml:4: 'weekday' must be a day such as monday, not 'someday'" in err[0]
    assert "subscribers.yaml:5: 'like' item 'nope.txt'" in err[1]
