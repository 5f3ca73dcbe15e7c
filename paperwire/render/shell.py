"""Render many pages of one template: the chrome once, each page's blocks alone.

Twenty thousand paper pages share their masthead, navigation and footer;
rendering those for every page was half the cost of a page. A PageShell
renders the template once with a marker in place of each page's own values
(title, description, canonical URL) and of each block, then fills the
markers page by page with the escaped values and the blocks rendered alone.

A template that uses a page's values in a way the markers cannot stand for
(a filter on the title, a block's content in the chrome) would come out
wrong, so the first page through each chrome is also rendered the ordinary
way and compared: on any difference, or any error, that chrome steps aside
for full renders.

The blocks are rendered by Jinja's own compiled block functions, in one
context a page. Rendering them instead as flat templates (no inheritance),
or the whole page as one flat template with the chrome's pieces as Markup,
was no quicker (81 and 84 against 82 and 84 µs a paper page, 2026-12-02): with the
chrome rendered once, what a page costs is its blocks' expressions, an
escape and an attribute lookup each.
"""

from __future__ import annotations

import re
from typing import Any

import jinja2
from markupsafe import Markup, escape

_MARK = "\x00{}\x00"  # NUL never reaches a page: clean text drops it and templates hold none
_MARKS = re.compile("\x00([a-z_:]+)\x00")


class PageShell:
    """One template's chrome for one set of shared values, and its blocks.

    A page value that is empty is not marked but passed as it is, since the
    chrome may test it (``{% if page_title %}``): the home page, which has
    no title of its own, gets a chrome of its own instead of full renders.
    """

    def __init__(self, template: jinja2.Template, shared: dict[str, Any], page_vars: tuple[str, ...]):
        self.template = template
        self.shared = shared
        self.page_vars = page_vars
        # The page's empty values -> the chrome made with them, or None where it cannot stand for full renders.
        self.chromes: dict[tuple[tuple[str, type, Any], ...], _Chrome | None] = {}

    @property
    def usable(self) -> bool:
        """Whether every page so far came through a chrome rendered once."""
        return all(chrome is not None for chrome in self.chromes.values())

    def render(self, values: dict[str, Any]) -> str:
        """Return the page for ``values`` (shared values plus the page's own)."""
        # With its type: 0 and False are equal keys, and render differently.
        empty = tuple((name, type(values[name]), values[name]) for name in self.page_vars if not values[name])
        try:
            chrome = self.chromes[empty]
        except TypeError:  # an empty value that cannot be a key ([], {}): rare enough to render in full
            return self.template.render(values)
        except KeyError:
            as_passed = {name: value for name, _type, value in empty}
            chrome = self.chromes[empty] = _Chrome.make(self.template, {**self.shared, **as_passed},
                                                         tuple(name for name in self.page_vars if values[name]))
            if chrome is None:
                return self.template.render(values)
            in_full = self.template.render(values)  # first: an error is reported as Jinja reports it
            try:
                page = chrome.fill(values)
            except Exception:  # noqa: BLE001 - a block that needs more than its own context: full renders
                page = None
            if page != in_full:  # the first page of each chrome is checked against the ordinary render
                self.chromes[empty] = None
            return in_full
        return self.template.render(values) if chrome is None else chrome.fill(values)


class _Chrome:
    """A template rendered once with markers in place of the page's values and blocks."""

    def __init__(self, template: jinja2.Template, pieces: list[str], parent_blocks: dict[str, list],
                 imported: dict[str, Any]):
        self.template = template
        self.pieces = pieces  # literal, mark, literal, mark, ..., literal
        # Each block with its parents, as the full render's context would hold them (for super()).
        self.blocks = {name: (block, *parent_blocks.get(name, ())) for name, block in template.blocks.items()}
        self.imported = imported
        # The template's globals (a ChainMap, which Template.new_context walks in Python every time) as one dict.
        self.globals = dict(template.globals)

    @classmethod
    def make(cls, template: jinja2.Template, shared: dict[str, Any], marked: tuple[str, ...]) -> _Chrome | None:
        """Return the chrome of ``template`` with ``marked`` values and every block marked, or None if it fails."""
        context = template.new_context({**shared, **{name: Markup(_MARK.format(name)) for name in marked}})
        for name in template.blocks:
            context.blocks[name] = [_mark_block(name)]
        try:
            html = jinja2.utils.concat(template.root_render_func(context))
        except Exception:  # noqa: BLE001 - whatever a marker does to the chrome, full renders still work
            return None  # e.g. the chrome needs a page's own data
        # Blocks alone keep their parents (for super()) and the names the
        # template imports at its top, which only its full render would set.
        parent_blocks = {name: blocks[1:] for name, blocks in context.blocks.items()}
        imported = {name: value for name, value in context.vars.items() if name not in shared}
        return cls(template, _MARKS.split(html), parent_blocks, imported)

    def fill(self, values: dict[str, Any]) -> str:
        """Return the page: the chrome with ``values`` escaped in place of their marks and the blocks rendered."""
        context = _new_context(self.template, self.globals, {**values, **self.imported})
        context.blocks = {name: list(blocks) for name, blocks in self.blocks.items()}
        try:
            return self._join(context, values)
        except Exception:  # noqa: BLE001 - as Template.render does: the error names the template's line
            self.template.environment.handle_exception()  # raises

    def _join(self, context: jinja2.runtime.Context, values: dict[str, Any]) -> str:
        filled: dict[str, str] = {}
        pieces = self.pieces
        out = [pieces[0]]
        for index in range(1, len(pieces), 2):
            mark = pieces[index]
            text = filled.get(mark)
            if text is None:
                if mark.startswith("block:"):
                    text = jinja2.utils.concat(context.blocks[mark[6:]][0](context))
                else:
                    text = str(escape(values[mark]))
                filled[mark] = text
            out.append(text)
            out.append(pieces[index + 1])
        return "".join(out)


class RepeatedTemplate:
    """A template rendered thousands of times (an entry per paper): Template.render with its globals merged once.

    With ``block``, that block of the template alone: only for a block that
    needs nothing the rest of the template sets (a variable set outside it,
    an import at the top).
    """

    def __init__(self, template: jinja2.Template, block: str | None = None):
        self.template = template
        self.render_func = template.blocks[block] if block else template.root_render_func
        self.globals = dict(template.globals)

    def render(self, values: dict[str, Any]) -> str:
        template = self.template
        context = _new_context(template, self.globals, values)
        try:
            return template.environment.concat(self.render_func(context))
        except Exception:  # noqa: BLE001 - as Template.render does: the error names the template's line
            template.environment.handle_exception()  # raises


def _new_context(template: jinja2.Template, globals: dict[str, Any],
                 values: dict[str, Any]) -> jinja2.runtime.Context:
    """Return the context Template.new_context(values) makes, from ``template``'s globals as one dict.

    Template.new_context merges the template's globals, a ChainMap that it
    walks in Python, into every context: a tenth of a paper page's time.
    """
    env = template.environment
    return env.context_class(env, {**globals, **values}, template.name, template.blocks, globals)


def _mark_block(name: str):
    def render(_context: jinja2.runtime.Context):
        yield _MARK.format(f"block:{name}")
    return render
