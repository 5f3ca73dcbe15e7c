"""A subscriber's library (BibTeX, CSL-JSON): what is read, what is reported, what is refused."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from paperwire.cli import main
from paperwire.digest.library import MAX_BYTES, read_library
from paperwire.errors import ContentError

from .helpers import make_content

FIXTURES = Path(__file__).parent / "fixtures" / "library"


def test_bibtex_entries_are_read_and_bad_ones_reported_with_their_line():
    library = read_library(FIXTURES / "mixed.bib", "mixed.bib")
    assert [(e.line, e.title, e.arxiv_id) for e in library.entries] == [
        (2, "Dense Passage Retrieval for Open-Domain Question Answering", "2004.04906"),
        (14, "ColBERT: Efficient and Effective Passage Search via Contextualized Late Interaction over BERT",
         "2004.12832"),
        (31, "Modèles de recherche dense en français", "2401.01234"),
    ]
    assert library.entries[2].abstract == "Nous étudions la recherche dense de passages."
    assert library.warnings == ("mixed.bib:10: not a valid BibTeX entry, skipped",
                                "mixed.bib:22: duplicate key 'karpukhin2020dense', entry skipped",
                                "mixed.bib:26: entry 'untitled' has no title or abstract, skipped")


def test_csl_json_items_are_read_and_bad_ones_reported_with_their_line():
    library = read_library(FIXTURES / "mixed.json", "mixed.json")
    assert [(e.line, e.title, e.arxiv_id) for e in library.entries] == [
        (2, "Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks", "2005.11401"),
        (15, "Sparse Mixture of Experts at Scale", "2101.03961"),
    ]
    assert library.warnings == ("mixed.json:9: not a CSL-JSON item (an object), skipped",
                                "mixed.json:10: item has no title or abstract, skipped")


def test_csl_json_cut_short_keeps_the_items_before_the_break():
    library = read_library(FIXTURES / "cut.json", "cut.json")
    assert [e.title for e in library.entries] == ["Dense Retrieval at Scale", "Routing in Mixture of Experts"]
    [warning] = library.warnings
    assert warning.startswith("cut.json:4: not valid JSON") and warning.endswith("the entries after it are skipped")


def test_input_and_include_never_read_another_file():
    """``\\input{/etc/passwd}`` is text to drop, never a file to open: an audit hook watches every open()."""
    opened: list[str] = []
    watching = [True]

    def hook(event: str, args: tuple) -> None:
        if watching[0] and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            opened.append(os.fsdecode(args[0]))

    sys.addaudithook(hook)  # hooks cannot be removed: this one stops listening below
    try:
        library = read_library(FIXTURES / "mixed.bib", "mixed.bib")
    finally:
        watching[0] = False
    assert all(Path(p).name == "mixed.bib" for p in opened if not p.endswith((".py", ".pyc"))), opened
    text = " ".join(f"{e.title} {e.abstract}" for e in library.entries)
    assert "root:" not in text and "passwd" not in text and "hostname" not in text
    assert library.entries[1].abstract == "Late interaction keeps search fast."


@pytest.mark.parametrize("name, data, message", [
    ("huge.bib", b"@misc{a, title={A}}\n" + b"%" * MAX_BYTES, "larger than 5 MB; export a smaller library"),
    ("binary.bib", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data, not a BibTeX or CSL-JSON text file"),
    ("latin1.bib", b"@misc{a,\n title={Mod\xe8les}}\n", "not valid UTF-8 (export the library as UTF-8)"),
    ("nothing.bib", b"% only a comment\n@book{x, year={2020}}\n", "no usable entries (1 could not be read)"),
    ("many.bib", b"".join(b"@misc{k%d, title={T}}\n" % i for i in range(10_001)), "more than 10,000 BibTeX"),
    ("object.json", b'{"title": "not a list"}', "not valid JSON: expected an array"),
    ("deep.json", b"[" + b"[" * 100_000 + b"]" * 100_000 + b"]", "not valid CSL-JSON: nested too deeply"),
])
def test_unusable_files_are_one_clear_error(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ContentError) as exc:
        read_library(path, name)
    assert message in str(exc.value) and str(exc.value).startswith(name)
    assert "\n" not in str(exc.value)


def test_binary_and_latin1_errors_name_the_line(tmp_path):
    path = tmp_path / "x.bib"
    path.write_bytes(b"@misc{a, title={A}}\n\n@misc{b, title={Mod\xe8les}}\n")
    with pytest.raises(ContentError) as exc:
        read_library(path, "x.bib")
    assert exc.value.line == 3


def test_only_5_mb_is_ever_read(tmp_path, monkeypatch):
    """A file that grows, or claims a small size, is still read up to the cap and no further."""
    asked: list[int] = []
    real_open = open

    class Spy:
        def __init__(self, handle):
            self.handle = handle

        def read(self, size=-1):
            asked.append(size)
            return self.handle.read(size)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

    path = tmp_path / "big.bib"
    path.write_bytes(b"%" * (MAX_BYTES + 10))
    monkeypatch.setattr("builtins.open", lambda p, mode="r", *a, **k: Spy(real_open(p, mode, *a, **k)))
    with pytest.raises(ContentError):
        read_library(path, "big.bib")
    assert asked == [MAX_BYTES + 1]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.bib")
    with pytest.raises(ContentError, match="not a regular file"):
        read_library(tmp_path / "pipe.bib", "pipe.bib")


def test_hostile_bibtex_is_handled_quickly(tmp_path):
    """Unclosed braces by the hundred thousand: bibtexparser reports one failed block, and no traceback."""
    path = tmp_path / "braces.bib"
    path.write_text("@misc{a, title={Fine}}\n@article{x, title={" + "{" * 200_000 + "\n")
    library = read_library(path, "braces.bib")
    assert [e.title for e in library.entries] == ["Fine"]
    assert library.warnings == ("braces.bib:2: not a valid BibTeX entry, skipped",)
    nested = tmp_path / "nested.bib"  # closed, but deep: LaTeX cleaning must not recurse on it
    nested.write_text("@misc{a, title={" + "{" * 50_000 + "x" + "}" * 50_000 + "},\n abstract={"
                      + "\\textbf{" * 20_000 + "y" + "}" * 20_000 + "}}\n")
    assert len(read_library(nested, "nested.bib").entries) == 1


def _content_with_library(tmp_path: Path, name: str, data: bytes) -> Path:
    content = make_content(tmp_path, copy_sample_corpus=True)
    (content / "libraries").mkdir()
    (content / "libraries" / name).write_bytes(data)
    (content / "subscribers.yaml").write_text(textwrap.dedent(f"""\
        subscribers:
          - address: ada@example.org
            like: [libraries/{name}]
          - address: bob@example.org
        """))
    return content


def test_cli_a_huge_library_is_one_line_exit_2_and_keep_going_sends_the_rest(tmp_path, capsys):
    content = _content_with_library(tmp_path, "huge.bib", b"%" * (MAX_BYTES + 1))
    args = ["send", "--dry-run", "--content", str(content), "--out", str(tmp_path / "out")]
    assert main(args) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line == f"{content / 'libraries' / 'huge.bib'}: larger than 5 MB; export a smaller library"
    assert main(args + ["--keep-going"]) == 0
    captured = capsys.readouterr()
    assert "huge.bib: larger than 5 MB; export a smaller library (left out of 'like')" in captured.err
    assert "ada@example.org: nothing in 'like' could be used, so it is left out" in captured.err
    assert "dry run: wrote 2 messages" in captured.out


def test_cli_a_malformed_entry_is_a_warning_with_file_and_line_and_the_rest_is_used(tmp_path, capsys):
    content = _content_with_library(tmp_path, "mine.bib", (FIXTURES / "mixed.bib").read_bytes())
    out = tmp_path / "out"
    assert main(["send", "--dry-run", "--content", str(content), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"warning: {content / 'libraries' / 'mine.bib'}:10: not a valid BibTeX entry, skipped" in captured.err
    assert "Traceback" not in captured.err
    eml = (out / "digest" / "outbox-dry-run" / "2025-03-14_ada@example.org.eml").read_text()
    assert "from your library" in eml
