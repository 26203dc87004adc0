"""Exact source positions (line *and* column) for lxml elements, computed from the raw bytes.

libxml2 records only the line an element starts on (``sourceline``); editors
and CI annotations want ``path:line:col``. In well-formed XML a ``<`` can only
start markup (it is forbidden in attribute values and escaped in text), so the
start tags can be found by one scan of the bytes that skips comments, CDATA
sections, processing instructions and the DOCTYPE. The n-th start tag found is
the n-th element of ``root.iter(etree.Element)``: both are document order. This
module is shared: the Schematron reporter can use :func:`element_positions`
and :class:`ElementLocator` the same way the resolve phase does.

Columns are 1-based and counted in characters (a UTF-8 multi-byte letter is one
column), which is what editors show. The column is that of the start tag's
``<``.
"""

from __future__ import annotations

import bisect
import re
from typing import cast

from lxml import etree

# Markup that may contain a '<' that does not start an element, or a start tag.
_SCAN = re.compile(
    rb"<!--.*?-->"
    rb"|<!\[CDATA\[.*?\]\]>"
    rb"|<\?.*?\?>"
    rb"|<!DOCTYPE(?:[^\[>]|\[.*?\]\s*)*>"
    rb"|<(?=[^/!?])",
    re.S,
)


def element_positions(data: bytes) -> list[tuple[int, int]]:
    """Return ``(line, column)`` of every element start tag in *data*, in document order.

    Works for UTF-8 and other ASCII-compatible encodings (columns of non-UTF-8
    files are counted in bytes). UTF-16 input yields an empty list; callers
    then fall back to column 1.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return []
    out: list[tuple[int, int]] = []
    line = 1
    last = 0  # offset up to which newlines have been counted
    line_start = 0
    for m in _SCAN.finditer(data):
        pos = m.start()
        if m.end() - pos != 1:
            continue
        nl = data.count(b"\n", last, pos)
        if nl:
            line += nl
            line_start = data.rfind(b"\n", last, pos) + 1
        last = pos
        prefix = data[line_start:pos]
        col = len(prefix.decode("utf-8", "replace")) + 1 if not prefix.isascii() else pos - line_start + 1
        out.append((line, col))
    return out


def sourceline(element: etree._Element) -> int:
    """libxml2's line of *element* (0 if unknown); typed, as lxml-stubs get it wrong."""
    line = cast("int | None", element.sourceline)
    return line or 0


class ElementLocator:
    """Maps elements of one parsed document to their ``(line, column)``.

    Built lazily on the first lookup, so documents without findings never pay
    for the byte scan. If the scan and the tree disagree (they should not for
    well-formed input), it falls back to ``(sourceline, 1)``.
    """

    def __init__(self, root: etree._Element, data: bytes) -> None:
        self._root = root
        self._data = data
        self._index: dict[etree._Element, tuple[int, int]] | None = None

    def _build(self) -> dict[etree._Element, tuple[int, int]]:
        elements = list(self._root.iter(etree.Element))
        positions = element_positions(self._data)
        index: dict[etree._Element, tuple[int, int]] = {}
        if len(positions) == len(elements):
            index = dict(zip(elements, positions, strict=True))
        return index

    def position(self, element: etree._Element) -> tuple[int, int]:
        """``(line, column)`` of *element*'s start tag (column 1 if unknown)."""
        if self._index is None:
            self._index = self._build()
        found = self._index.get(element)
        if found is not None:
            return found
        return (sourceline(element) or 1, 1)


class LineIndex:
    """Offset -> (line, column) for one decoded text, by binary search over newlines."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_col(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self._starts, offset) - 1
        return i + 1, offset - self._starts[i] + 1
