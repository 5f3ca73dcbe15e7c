"""Render many pages of one template: the chrome once, each page's blocks alone.

Twenty thousand paper pages share their masthead, navigation and footer;
rendering those for every page was half the cost of a page. A PageShell
renders the template once with a marker in place of each page's own values
(title, description, canonical URL) and of each block, then fills the
markers page by page with the escaped values and the blocks rendered alone.

A template that uses a page's values in a way the markers cannot stand for
(a filter on the title, a block's content in the chrome) would come out
wrong, so the first page is also rendered the ordinary way and compared: on
any difference, or any error, the shell steps aside for full renders.
"""

from __future__ import annotations

import re
from typing import Any

import jinja2
from markupsafe import Markup, escape

_MARK = "\x00{}\x00"  # NUL never reaches a page: clean text drops it and templates hold none
_MARKS = re.compile("\x00([a-z_:]+)\x00")


class PageShell:
    """One template's chrome for one set of shared values, and its blocks."""

    def __init__(self, template: jinja2.Template, shared: dict[str, Any], page_vars: tuple[str, ...]):
        self.template = template
        self.page_vars = page_vars
        self.checked = False
        self.usable = True
        context = template.new_context({**shared, **{name: Markup(_MARK.format(name)) for name in page_vars}})
        for name in template.blocks:
            context.blocks[name] = [_mark_block(name)]
        try:
            html = jinja2.utils.concat(template.root_render_func(context))
        except Exception:  # noqa: BLE001 - whatever a marker does to the chrome, full renders still work
            self.usable = False  # e.g. the chrome needs a page's own data
            return
        # Blocks alone keep their parents (for super()) and the names the
        # template imports at its top, which only its full render would set.
        self.parent_blocks = {name: blocks[1:] for name, blocks in context.blocks.items()}
        self.imported = {name: value for name, value in context.vars.items() if name not in shared}
        self.pieces = _MARKS.split(html)  # literal, mark, literal, mark, ..., literal

    def render(self, values: dict[str, Any]) -> str:
        """Return the page for ``values`` (shared values plus the page's own)."""
        if not self.usable or not all(values[name] for name in self.page_vars):
            return self.template.render(values)  # an empty value may change the chrome's {% if %}s
        page = self._fill(values)
        if not self.checked:
            self.checked = True
            if page != self.template.render(values):
                self.usable = False
                return self.template.render(values)
        return page

    def _fill(self, values: dict[str, Any]) -> str:
        context = self.template.new_context({**values, **self.imported})
        for name, block in self.template.blocks.items():
            context.blocks[name] = [block, *self.parent_blocks.get(name, ())]
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


def _mark_block(name: str):
    def render(_context: jinja2.runtime.Context):
        yield _MARK.format(f"block:{name}")
    return render
