"""The one Jinja environment: autoescape on, undefined variables are errors."""

from __future__ import annotations

import hashlib
from pathlib import Path

import jinja2
import jinja2.bccache

# The project's own templates; a site's content/templates/ overrides any of them.
THEME_DIR = Path(__file__).resolve().parent.parent.parent / "templates"


# How templates are parsed and compiled: the compiled code depends on these.
_AUTOESCAPED = ("html", "xml", "j2")
_SYNTAX = {"trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": True}
# Compiled templates are kept between builds, as Python keeps .pyc files:
# compiling them is a twentieth of a second of a small site's build. Jinja
# compiles a template again when its source changes; the settings above are
# in the file names, so other settings never load this code.
_CACHE_PATTERN = "paperwire-{}-%s.cache".format(
    hashlib.sha1(repr((_AUTOESCAPED, sorted(_SYNTAX.items()), "strict")).encode()).hexdigest()[:12])


class _BestEffortCache(jinja2.FileSystemBytecodeCache):
    """Jinja's cache of compiled templates, in its private folder of the temp dir, never failing a build."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:  # unreadable: compile instead
            pass

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:  # a full or read-only temp dir: the next build compiles again
            pass


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    try:
        return _BestEffortCache(pattern=_CACHE_PATTERN)
    except (OSError, RuntimeError):  # no safe folder: compile every time
        return None


def make_environment(content_dir: Path | None = None) -> jinja2.Environment:
    """Return the Jinja environment, with the site's template overrides first."""
    search = [THEME_DIR]
    if content_dir is not None and (content_dir / "templates").is_dir():
        search.insert(0, content_dir / "templates")
    return jinja2.Environment(
        bytecode_cache=_bytecode_cache(),
        loader=jinja2.FileSystemLoader([str(p) for p in search]),
        autoescape=jinja2.select_autoescape(_AUTOESCAPED, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        **_SYNTAX,
        # A build compiles each template once and never edits one, so no
        # file-system check on every get_template (serve makes a new environment).
        auto_reload=False,
    )
