"""Small position helpers of the resolve phase.

Element ``line:column`` positions are computed by :mod:`teipress.locate`, shared
with the check phase; this module keeps libxml2's typed line number and an
offset-to-position index for the suggestions, which work on raw text.
"""

from __future__ import annotations

import bisect
import re
from typing import cast

from lxml import etree


def sourceline(element: etree._Element) -> int:
    """libxml2's line of *element* (0 if unknown); typed, as lxml-stubs get it wrong."""
    line = cast("int | None", element.sourceline)
    return line or 0


class LineIndex:
    """Offset -> (line, column) for one decoded text, by binary search over newlines."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_col(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self._starts, offset) - 1
        return i + 1, offset - self._starts[i] + 1
