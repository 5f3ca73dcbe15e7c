"""The page chrome rendered once (render/shell.py) gives exactly the pages a full render gives, and so do entries."""

from __future__ import annotations

import traceback

import jinja2
import pytest
from markupsafe import Markup

from paperwire.render.shell import PageShell, RepeatedTemplate

BASE = """<title>{% if page_title %}{{ page_title }} · {% endif %}Site</title>
<link href="{{ root }}x.css"><meta content="{{ description }}">{% block head %}{% endblock %}
<main>{% block main %}{% endblock %}</main><a href="{{ canonical }}">here</a>"""
CHILD = """{% extends "base.html" %}{% from "macros.html" import shout %}
{% block head %}<meta name="t" content="{{ paper }}">{% endblock %}
{% block main %}{{ shout(paper) }} {{ super() }}{% endblock %}"""
MACROS = """{% macro shout(text) %}<b>{{ text|upper }}</b>{% endmacro %}"""
PAGES = [dict(page_title="A <b>title</b>", description='say "hi"', canonical="https://x/a?b=1&c=2", paper="alpha"),
         dict(page_title="Second", description="two", canonical="https://x/b", paper="<script>beta")]


def environment(base: str = BASE) -> jinja2.Environment:
    loader = jinja2.DictLoader({"base.html": base, "child.html": CHILD, "macros.html": MACROS})
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)


def rendered_both_ways(base: str = BASE, pages=PAGES) -> tuple[list[str], list[str], PageShell]:
    template = environment(base).get_template("child.html")
    shared = {"root": Markup("../")}
    shell = PageShell(template, shared, ("page_title", "description", "canonical"))
    through_shell = [shell.render({**shared, **page}) for page in pages]
    in_full = [template.render({**shared, **page}) for page in pages]
    return through_shell, in_full, shell


def test_pages_through_the_shell_equal_full_renders():
    through_shell, in_full, shell = rendered_both_ways()
    assert through_shell == in_full
    assert shell.usable  # the shell was really used, escaping titles and URLs itself
    assert "A &lt;b&gt;title&lt;/b&gt;" in through_shell[0] and "&lt;SCRIPT&gt;BETA" in through_shell[1]


@pytest.mark.parametrize("base", [
    BASE.replace("{{ page_title }}", "{{ page_title|upper }}"),  # a filter the markers cannot pass through
    BASE.replace("Site</title>", "Site {{ paper }}</title>"),  # the chrome shows a page's own data
])
def test_a_chrome_the_markers_cannot_stand_for_falls_back_to_full_renders(base):
    through_shell, in_full, shell = rendered_both_ways(base)
    assert through_shell == in_full
    assert not shell.usable


def test_an_empty_value_gets_a_full_render():
    pages = [dict(PAGES[0]), dict(PAGES[1], page_title="")]
    through_shell, in_full, _shell = rendered_both_ways(pages=pages)
    assert through_shell == in_full and "<title>Site</title>" in through_shell[1]


def test_an_empty_value_gets_a_chrome_of_its_own():
    pages = [dict(PAGES[0], page_title=""), dict(PAGES[1], page_title=""), *PAGES]
    through_shell, in_full, shell = rendered_both_ways(pages=pages)
    assert through_shell == in_full
    assert shell.usable and len(shell.chromes) == 2  # one with no title, one with a title marked


def test_a_block_that_needs_more_than_its_context_falls_back_to_full_renders():
    # self.foot() looks up a block that only the parent defines, which a block rendered alone cannot see.
    base = BASE.replace("</main>", "</main>{% block foot %}F{% endblock %}")
    child = CHILD.replace("{{ super() }}", "{{ super() }}{{ self.foot() }}")
    loader = jinja2.DictLoader({"base.html": base, "child.html": child, "macros.html": MACROS})
    template = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined).get_template(
        "child.html")
    shared = {"root": Markup("../")}
    shell = PageShell(template, shared, ("page_title", "description", "canonical"))
    assert [shell.render({**shared, **page}) for page in PAGES] == [template.render({**shared, **page})
                                                                    for page in PAGES]
    assert not shell.usable


def test_an_error_on_a_later_page_names_the_template_line():
    template = environment().get_template("child.html")
    shared = {"root": Markup("../")}
    shell = PageShell(template, shared, ("page_title", "description", "canonical"))
    shell.render({**shared, **PAGES[0]})
    with pytest.raises(jinja2.UndefinedError) as raised:
        shell.render({**shared, **{k: v for k, v in PAGES[1].items() if k != "paper"}})
    # Jinja's own frame for the template's line, as Template.render would give it, not the compiled code's.
    assert "line 2, in block 'head'" in "".join(traceback.format_exception(raised.value))


ENTRY = """{% set sep = joiner(" · ") %}{% for day in days %}{{ sep() }}<b>{{ day }}</b>{% endfor %}
{% for i in range(n) %}{{ i }}{% if not loop.last %},{% endif %}{% endfor %} {{ title|truncate(9) }} {{ root }}"""


def test_a_repeated_template_renders_as_template_render():
    template = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(ENTRY)
    repeated = RepeatedTemplate(template)
    for values in (dict(days=("a", "<b>"), n=3, title="A long <title>", root=Markup("../")),
                   dict(days=(), n=0, title="", root="./")):
        assert repeated.render(values) == template.render(values)
    with pytest.raises(jinja2.UndefinedError):
        repeated.render(dict(days=(), n=0, root="./"))
