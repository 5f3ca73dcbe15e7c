"""What the previous build was made from, so a rebuild redoes only what changed.

Two levels of fingerprint, the topics of each paper text and a key per search shard:

* the *inputs* fingerprint covers paperwire's own code, the templates and
  every content file (corpus files by size and modification time): when it
  matches the last build's, the output is already up to date;
* a *page key* covers everything one paper page shows; a page whose key
  matches the last build's is linked from the previous output instead of
  being rendered and written again;
* the topics found for each paper's text (title, abstract, categories),
  under the same salt: a rebuild classifies only texts it has not seen;
* a *shard key* covers the pages one search index shard reads (see
  search.shard_key), and a digest the sources rendered from them: a shard
  whose key or sources match is linked, not indexed, and the words its
  index holds are kept beside them.
"""

from __future__ import annotations

import hashlib
import marshal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from .render.environment import THEME_DIR

PACKAGE_DIR = Path(__file__).resolve().parent
FORMAT = 3  # bump when the manifest's layout changes


@dataclass(frozen=True)
class Manifest:
    inputs: str  # fingerprint of everything the build read
    salt: str  # fingerprint of code, templates and site settings: part of every page key
    files: int  # number of files the build wrote
    pages: dict[str, str] = field(default_factory=dict)  # output path -> page key
    topics: dict[str, Any] = field(default_factory=dict)  # text key -> topic slugs (a list, as read)
    search: dict[str, Any] = field(default_factory=dict)  # shard -> {"key", "sources", "words": "a b …"}


def manifest_path(out_dir: Path) -> Path:
    """Return where the manifest of ``out_dir`` lives: beside it, never published."""
    out_dir = out_dir.resolve()
    return out_dir.parent / f".{out_dir.name}.paperwire-manifest.json"


def _hash_files(digest: "hashlib._Hash", folder: Path, contents: bool) -> None:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            stat = path.stat()
            digest.update(path.relative_to(folder).as_posix().encode("utf-8", "surrogateescape"))
            if contents:
                digest.update(path.read_bytes())
            else:  # corpus files can be gigabytes: size and mtime stand for content
                digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())


def code_salt(content_dir: Path) -> str:
    """Return the fingerprint of code, templates and site-wide content."""
    digest = hashlib.sha256(f"paperwire-manifest-{FORMAT}".encode())
    _hash_files(digest, PACKAGE_DIR, contents=True)
    _hash_files(digest, THEME_DIR, contents=True)
    _hash_files(digest, content_dir / "templates", contents=True)
    _hash_files(digest, content_dir / "pages", contents=True)
    for name in ("site.yaml", "topics.yaml"):
        if (content_dir / name).is_file():
            digest.update((content_dir / name).read_bytes())
    return digest.hexdigest()


def inputs_fingerprint(content_dir: Path, salt: str) -> str:
    """Return the fingerprint of everything a build of ``content_dir`` reads."""
    digest = hashlib.sha256(salt.encode())
    _hash_files(digest, content_dir / "corpus", contents=False)
    return digest.hexdigest()


def page_key(salt: str, context: object) -> str:
    """Return the key of one page from its inputs: strings, numbers, None and tuples of them.

    marshal writes each value with its type and length, so equal bytes mean
    equal inputs; format 2 never refers back to an earlier object, so equal
    inputs give equal bytes. Five times quicker than hashing their repr,
    which a build does for every paper page.
    """
    digest = hashlib.blake2b(salt.encode(), digest_size=16)
    digest.update(marshal.dumps(context, 2))
    return digest.hexdigest()


@dataclass(frozen=True)
class LastBuild:
    """What a build learns before doing anything: its fingerprints and the last build's manifest."""

    salt: str
    inputs: str
    previous: Manifest | None  # None when forced, or when there is no usable manifest

    @property
    def up_to_date(self) -> bool:
        """Whether the output is the build of these very inputs, so that nothing need be done."""
        return self.previous is not None and self.previous.inputs == self.inputs


def last_build(content_dir: Path, out_dir: Path, force: bool = False) -> LastBuild:
    """Fingerprint ``content_dir`` and read the manifest of ``out_dir`` (not when ``force``).

    Cheap, and importing only this module: the command line asks it first,
    so that a build with nothing to do does not load the whole pipeline.
    """
    salt = code_salt(content_dir)
    return LastBuild(salt, inputs_fingerprint(content_dir, salt), None if force else load_manifest(out_dir))


def kept_topics(manifest: Manifest, key: str) -> tuple[str, ...] | None:
    """Return the topics ``manifest`` keeps for a text key, or None (unknown, or not a list of slugs)."""
    slugs = manifest.topics.get(key)
    if isinstance(slugs, (list, tuple)) and slugs and all(isinstance(slug, str) for slug in slugs):
        return tuple(slugs)
    return None


def text_key(title: str, abstract: str, categories: tuple[str, ...]) -> str:
    """Return the key of a paper's text, under which its topics are kept (as ``page_key``)."""
    return hashlib.blake2b(marshal.dumps((title, abstract, categories), 2), digest_size=12).hexdigest()


def load_manifest(out_dir: Path) -> Manifest | None:
    """Return the manifest of the build in ``out_dir``, or None if there is none usable."""
    path = manifest_path(out_dir)
    if not out_dir.is_dir() or not path.is_file():
        return None
    try:
        data = orjson.loads(path.read_bytes())
        # Taken as read, not checked entry by entry: most builds only compare
        # ``inputs``. Whoever uses an entry checks it (see kept_topics).
        if not all(isinstance(data[name], dict) for name in ("pages", "topics", "search")):
            return None
        return Manifest(inputs=data["inputs"], salt=data["salt"], files=data["files"], pages=data["pages"],
                        topics=data["topics"], search=data["search"])
    except (ValueError, KeyError, TypeError):  # orjson's decode error is a ValueError
        return None  # damaged: build everything


def dump_manifest(manifest: Manifest) -> bytes:
    # orjson: at 100,000 papers the manifest is 18 MB, which json takes 0.4 s to read and orjson 0.2 s.
    return orjson.dumps({"inputs": manifest.inputs, "salt": manifest.salt, "files": manifest.files,
                         "pages": manifest.pages, "topics": manifest.topics, "search": manifest.search},
                        option=orjson.OPT_SORT_KEYS)
