"""Words as a reader types them: case- and accent-insensitive, whole words only.

``fold`` decomposes (NFKD), drops the combining marks and case-folds, so
"Modèle" and "MODELE" are one word and "José Ñúñez" is "jose nunez". A few
Latin letters that carry their mark inside (ł, ø, đ, æ…) have no
decomposition; they are spelled out too, so "Łukasz" is "lukasz". Words are
the runs of letters and digits of the folded text: "retrieval-augmented"
is two words, and "rag" never matches inside "fragment".
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W_]+")
_NO_DECOMPOSITION = str.maketrans({"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ð": "d",
                                   "Ð": "d", "ħ": "h", "Ħ": "h", "ı": "i", "æ": "ae", "Æ": "ae",
                                   "œ": "oe", "Œ": "oe", "þ": "th", "Þ": "th"})


def fold(text: str) -> str:
    """Return ``text`` without accents or case: NFKD, combining marks dropped, casefolded."""
    if text.isascii():  # most titles and abstracts: casefold is lower there
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.translate(_NO_DECOMPOSITION))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """Return the folded words of ``text``, in order."""
    return _WORD.findall(fold(text))


def phrase(text: str) -> tuple[str, ...]:
    """Return the words a keyword or phrase must match, in order (empty when it has none)."""
    return tuple(words(text))


def name_key(name: str) -> str:
    """Return the key two spellings of an author's name share ("José  Ñúñez" and "jose nunez")."""
    return " ".join(words(name))
