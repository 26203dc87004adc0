"""Line and column of elements, which lxml does not give (it knows only the line).

Every phase that reports on an element (schema, Schematron, cross-references)
maps it to the position of its start tag's ``<`` here, so ``file:line:col`` is
exact and identical whichever check found the problem.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from lxml import etree

from teipress.load import source_line

# In well-formed XML a literal '<' only ever starts markup, so a single scan over
# comments, CDATA, PIs and the DOCTYPE finds every start tag in document order.
_MARKUP = re.compile(
    r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!DOCTYPE(?:[^\[>]|\[.*?\])*>|<(?=[^/!?])",
    re.DOTALL,
)


class ElementLocator:
    """Positions of a parsed document's elements, computed once from its source text."""

    def __init__(self, data: bytes, tree: etree._ElementTree) -> None:
        encoding = tree.docinfo.encoding or "utf-8"
        try:
            text = data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            text = data.decode("utf-8", "replace")
        if text.startswith("\ufeff"):
            text = text[1:]
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._offsets = [m.start() for m in _MARKUP.finditer(text) if m.group(0) == "<"]
        self._index: dict[etree._Element, int] | None = None
        self._elements: list[etree._Element] | None = None
        self._root = tree.getroot()

    @property
    def elements(self) -> list[etree._Element]:
        """The document's elements in document order (no comments, PIs, entities: chosen
        by lxml, half the time of a test each). Held, they keep lxml returning the same
        proxy object for the same node, so lookups by element are exact."""
        if self._elements is None:
            self._elements = list(self._root.iter(etree.Element))
        return self._elements

    def _build_index(self) -> dict[etree._Element, int]:
        return {e: i for i, e in enumerate(self.elements)}

    def position(self, element: etree._Element) -> tuple[int, int]:
        """1-based ``(line, column)`` of *element*'s start tag; falls back to lxml's line."""
        if self._index is None:
            self._index = self._build_index()
        i = self._index.get(element)
        if i is None or i >= len(self._offsets):
            return (source_line(element), 1)
        offset = self._offsets[i]
        line = bisect_right(self._line_starts, offset)
        col = offset - self._line_starts[line - 1] + 1
        return line, col

    def column_at(self, line: int) -> int:
        """Column of the first start tag on *line* (for messages that only carry a line)."""
        if line < 1 or line > len(self._line_starts):
            return 1
        start = self._line_starts[line - 1]
        i = bisect_right(self._offsets, start - 1)
        if i < len(self._offsets):
            off = self._offsets[i]
            if bisect_right(self._line_starts, off) == line:
                return off - start + 1
        return 1


_STEP = re.compile(r"/(?:Q\{([^}]*)\}([^/\[]+)|([^/\[{}@()]+))\[(\d+)\]")


#: children of an element by tag, for :func:`element_at_path` (one per document)
ChildIndex = dict[tuple[etree._Element, str], list[etree._Element]]


def element_at_path(tree: etree._ElementTree, path: str, children: ChildIndex | None = None) -> etree._Element:
    """The element an XPath 3.1 ``path()`` result designates (``/Q{ns}TEI[1]/Q{ns}text[1]``).

    Steps after the last element step (``@attr``, ``text()[2]``) are ignored, so a
    finding on an attribute or text node maps to the element that holds it; a
    step that does not exist stops the walk at the deepest element found, and the
    document node (``/``) maps to the root element. Shared by the Schematron
    runner and the XSD assertions, which both report nodes by ``path()``.

    *children* (kept by the caller for every path of one document) remembers each
    element's children by tag: an authority file reports thousands of findings on
    the children of one list, and listing those children again for each finding
    made locating quadratic (3 s of 4 for the Escher personography).
    """
    root = tree.getroot()
    node: etree._Element | None = None
    pos = 0
    while True:
        m = _STEP.match(path, pos)
        if not m:
            break
        pos = m.end()
        ns, local = (m.group(1), m.group(2)) if m.group(2) else ("", m.group(3))
        tag = f"{{{ns}}}{local}" if ns else local
        n = int(m.group(4))
        if node is None:
            if root.tag != tag or n != 1:
                break
            node = root
        else:
            key = (node, tag)
            matches = children.get(key) if children is not None else None
            if matches is None:
                matches = [c for c in node if c.tag == tag]
                if children is not None:
                    children[key] = matches
            if len(matches) < n:
                break
            node = matches[n - 1]
    return node if node is not None else root
