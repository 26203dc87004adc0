"""Text normalisation shared by the register, the X102 name check and suggestions.

One place decides what "the same name" means, so the register's variants,
the mention check and the suggestion matcher can never disagree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from lxml import etree

from teipress import TEI_NS

_WS = re.compile(r"\s+")
_EDGE_PUNCT = ".,;:!?'\"\u2019\u2018\u201c\u201d()"

#: Descendants whose text is not part of a name's surface form: honorifics and
#: role names (``<roleName>Comrade</roleName> Stalin``), notes, deletions, and
#: the original side of a ``choice``. Encoders mark "Cde." as roleName/addName
#: instead of teipress keeping a list of titles in every language.
_SKIP_IN_NAME = frozenset(
    f"{{{TEI_NS}}}{n}"
    for n in ("roleName", "addName", "note", "del", "sic", "orig", "abbr", "surplus", "fw")
)


def collapse(text: str) -> str:
    """Collapse runs of whitespace to one space and strip."""
    return _WS.sub(" ", text).strip()


def element_text(el: etree._Element) -> str:
    """The element's whole text with whitespace collapsed (for titles, summaries)."""
    return collapse("".join(str(t) for t in el.itertext()))


def surface_form(el: etree._Element) -> str:
    """The name as the reader sees it, without honorifics, notes and uncorrected readings."""
    if len(el) == 0:  # the common case: plain text, nothing to skip
        return collapse(el.text or "")
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str) and child.tag not in _SKIP_IN_NAME:
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return collapse("".join(parts))


@lru_cache(maxsize=65536)
def name_key(text: str) -> str:
    """Comparison key for names: NFKC, editorial square brackets removed, whitespace
    collapsed, case-folded, surrounding punctuation stripped.

    ``I[van] V. Kovalev`` (an authority variant with the translator's brackets)
    and ``Ivan V. Kovalev`` (the same form encoded with ``<supplied>``) compare
    equal; so do ``Stalin`` and ``STALIN``.

    Cached: a corpus repeats the same few thousand name forms tens of thousands of times.
    """
    t = unicodedata.normalize("NFKC", text).replace("[", "").replace("]", "")
    return collapse(t).casefold().strip(_EDGE_PUNCT + " ")


def sort_key(text: str) -> str:
    """Register sort key: lower-cased, accents stripped, articles kept (docs/register.md)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return collapse(stripped).lower()


def close_matches(word: str, candidates: Sequence[str], n: int = 3, cutoff: float = 0.7) -> list[str]:
    """Up to *n* candidates most similar to *word* (similarity >= *cutoff*), best first.

    The did-you-mean of every dangling pointer. Similarity is the normalised
    InDel ratio (``2 * common / total length``, what :mod:`difflib` estimates),
    computed by rapidfuzz in C++: a corpus with thousands of dangling values and
    thousands of authority keys needs millions of comparisons, which took
    ``difflib.get_close_matches`` half a minute on the Escher letters.
    """
    from rapidfuzz import fuzz, process  # only a resolve with dangling pointers needs it

    found = process.extract(word, candidates, scorer=fuzz.ratio, limit=n, score_cutoff=cutoff * 100)
    return [match for match, _score, _index in found]
