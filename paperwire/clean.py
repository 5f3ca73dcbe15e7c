"""Turn scraped text, with its leftover LaTeX, into clean readable Unicode.

pylatexenc does the LaTeX work; this module only prepares text for it (a
scraped ``50%`` is not a LaTeX comment) and adds the few cases it misses.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from pylatexenc.latex2text import LatexNodes2Text

# Abbreviation macros common in ML papers that pylatexenc does not know.
_EXTRA_MACROS = {
    "ie": "i.e.",
    "eg": "e.g.",
    "etc": "etc.",
    "etal": "et al.",
    "vs": "vs.",
    "wrt": "w.r.t.",
    "cf": "cf.",
    "aka": "a.k.a.",
}

# Only these characters make a text worth handing to the LaTeX parser; most
# abstracts have none, and skipping the parser keeps big corpora fast.
_LATEX_HINT_CHARS = "\\$~{"
# A % not already escaped is a literal percent in scraped text, not a comment.
_BARE_PERCENT = re.compile(r"(?<!\\)%")
# A tilde between two words is a LaTeX tie (Fig.~1); elsewhere it means "about".
_TIE = re.compile(r"(?<=\S)~(?=\S)")
_GROUP = r"\{(?:[^{}]|\{[^{}]*\})*\}"  # a brace group, one level of nesting inside
_LATEX_SPAN = re.compile(
    r"(?<!\\)\$[^$]+(?<!\\)\$"  # inline math
    r"|\\[`'\"^~=.]\s*(?:\{[A-Za-z]\}|[A-Za-z])"  # an accent on a letter: \'e, \"{u}
    r"|\\(?:[A-Za-z]+\*?|[^A-Za-z\s])(?:\s*" + _GROUP + r")*"  # a macro and its arguments
    r"|" + _GROUP  # a bare group: {\em x}
)
_SCRIPT = re.compile(r"([_^])(\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z0-9+\-=()])")
# Done before pylatexenc, which would swallow the space after ``\eg``.
_ABBREVIATION = re.compile(r"\\(" + "|".join(_EXTRA_MACROS) + r")(?![A-Za-z])\.?")

_SUPERSCRIPTS = dict(zip("0123456789+-=()in", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿ"))
_SUBSCRIPTS = dict(zip("0123456789+-=()aeoxijklmnpst", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓᵢⱼₖₗₘₙₚₛₜ"))


# Everything XML 1.0 forbids: C0 controls but tab and newlines, lone
# surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def drop_invalid_xml_chars(text: str) -> str:
    """Remove characters that XML 1.0 forbids (controls, lone surrogates)."""
    return _NOT_XML.sub("", text)


@functools.lru_cache(maxsize=1)
def _converter() -> LatexNodes2Text:
    return LatexNodes2Text(math_mode="text", strict_latex_spaces=False)


def _expand_abbreviation(match: re.Match[str]) -> str:
    # The replacement ends with a dot, so a dot the author typed is dropped.
    return _EXTRA_MACROS[match.group(1)]


def _scripts_to_unicode(math: str) -> str:
    """Write ``x^2`` as ``x²`` where Unicode has the glyphs, else drop the marker."""

    def repl(match: re.Match[str]) -> str:
        marker, arg = match.groups()
        body = arg[1:-1] if arg.startswith("{") else arg
        table = _SUPERSCRIPTS if marker == "^" else _SUBSCRIPTS
        if body and all(c in table for c in body):
            return "".join(table[c] for c in body)
        return body

    return _SCRIPT.sub(repl, math)


@functools.lru_cache(maxsize=4096)
def _span_to_text(span: str) -> str:
    """Convert one LaTeX fragment; fragments repeat, so results are cached."""
    if span.startswith("$"):
        span = "$" + _scripts_to_unicode(span[1:-1]) + "$"
    span = _BARE_PERCENT.sub(r"\\%", span)
    try:
        return _converter().latex_to_text(span)
    except Exception:  # pylatexenc is tolerant, but never let it end a build
        return span


def _latex_to_text(text: str) -> str:
    # pylatexenc costs about 1 ms per 50 characters, so only the LaTeX
    # fragments go through it, never whole abstracts.
    text = _ABBREVIATION.sub(_expand_abbreviation, text)
    text = _TIE.sub(" ", text)
    return _LATEX_SPAN.sub(lambda m: _span_to_text(m.group(0)), text)


# ASCII that clean_text may change: the LaTeX hints, and the control
# characters, which XML forbids or str.split() counts as spaces (and DEL, which
# is not printable, so it takes the careful path too).
_ASCII_TO_CLEAN = (_LATEX_HINT_CHARS + "".join(map(chr, range(0x20))) + "\x7f").encode("ascii")


def _is_clean_ascii(text: str) -> bool:
    """Return whether ASCII ``text`` is already as clean_text would make it.

    ASCII is always NFC; without LaTeX hints or controls, its only space is
    the plain one, so single spaces and no spaces at the ends is all it takes.
    """
    data = text.encode("ascii")
    # Deleting the bytes to clean and comparing lengths is a single pass in C.
    return (len(data.translate(None, _ASCII_TO_CLEAN)) == len(data)
            and "  " not in text and not text.startswith(" ") and not text.endswith(" "))


def clean_text(raw: str) -> str:
    """Return ``raw`` as readable, XML-safe Unicode on one line.

    A text cleaning leaves unchanged is returned itself, not a copy, so a
    corpus's raw-to-clean table holds each such text once.
    """
    if raw.isascii() and _is_clean_ascii(raw):  # most titles and abstracts
        return raw
    text = unicodedata.normalize("NFC", raw)  # returns ``raw`` itself when already NFC
    if any(hint in text for hint in _LATEX_HINT_CHARS):
        text = _latex_to_text(text)
    if not text.isprintable():  # fast check: printable text has nothing XML forbids
        text = drop_invalid_xml_chars(text)
    # str.split() knows every Unicode space (no-break, thin, ideographic, …).
    text = " ".join(text.split())
    return raw if text == raw else text


def title_key(title: str) -> str:
    """Return the key under which two titles count as the same paper."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(folded.split())
