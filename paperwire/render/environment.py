"""The one Jinja environment: autoescape on, undefined variables are errors."""

from __future__ import annotations

from pathlib import Path

import jinja2

# The project's own templates; a site's content/templates/ overrides any of them.
THEME_DIR = Path(__file__).resolve().parent.parent.parent / "templates"


# Compiled templates are kept between builds, as Python keeps .pyc files:
# compiling them is a twentieth of a second of a small site's build. A
# template is compiled again whenever its source changes; the name carries
# the settings below, which change the compiled code but not the source.
_CACHE_PATTERN = "paperwire-autoescape-strict-trim-%s.cache"


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    try:
        return jinja2.FileSystemBytecodeCache(pattern=_CACHE_PATTERN)  # in a private folder of the temp dir
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
        autoescape=jinja2.select_autoescape(["html", "xml", "j2"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # A build compiles each template once and never edits one, so no
        # file-system check on every get_template (serve makes a new environment).
        auto_reload=False,
    )
