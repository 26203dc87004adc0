"""The plain-text edition: ``output/text/<document>.txt`` and ``output/text/edition.txt``.

All rendering decisions (editorial signs, notes, wrapping at ``width`` columns) are
made by the stylesheets in ``xslt/text/``; this module only feeds them the
register and the configured width, and assembles ``edition.txt`` from pieces the
stylesheets produce: the front matter, every per-document text in the register's
reading order (read back from the staging folder when the build has written it,
so no document is transformed twice) and the index of persons.

The result is UTF-8, NFC (the stylesheets normalise), with Unix newlines and no
timestamps, so the same sources always give the same bytes and releases can be
diffed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lxml import etree

from teipress import TEI_NS
from teipress.config import Config, ConfigError
from teipress.load import LoadedDocument
from teipress.paths import xslt_path
from teipress.render import OutputFile, RenderContext

#: Default line width (``[tool.teipress.text] width``).
DEFAULT_WIDTH = 72
#: Narrower lines cannot hold a header label and a word; wider ones defeat the purpose.
MIN_WIDTH, MAX_WIDTH = 20, 1000

DOCUMENT_SHEET = "text-document"
EDITION_SHEET = "text-edition"


def text_width(config: Config) -> int:
    """The configured line width, validated (a bad value is a configuration error)."""
    table = config.raw.get("text", {})
    if not isinstance(table, dict):
        raise ConfigError("[tool.teipress.text] must be a table")
    width = table.get("width", DEFAULT_WIDTH)
    if isinstance(width, bool) or not isinstance(width, int) or not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ConfigError(
            f"[tool.teipress.text] width must be an integer from {MIN_WIDTH} to {MAX_WIDTH}, "
            f"not {width!r}"
        )
    return width


def _bytes(text: str) -> bytes:
    """UTF-8 with Unix newlines. Saxon already emits LF; CRs come only from source
    character references, and a stray CR would make the file differ between platforms."""
    return text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")


class TextFormat:
    """Plain-text edition format (see docs/text-edition.md)."""

    name = "text"

    def stylesheets(self) -> Mapping[str, Path]:
        return {
            DOCUMENT_SHEET: xslt_path("text", "document.xsl"),
            EDITION_SHEET: xslt_path("text", "edition.xsl"),
        }

    def render_text(self, ctx: RenderContext, doc: LoadedDocument, node: Any) -> str:
        """The text of one document (what ``<document>.txt`` holds), as a string."""
        params = ctx.params(doc.doc_id, width=text_width(ctx.config))
        return ctx.engine.transform(DOCUMENT_SHEET, node, params)

    def render_document(self, ctx: RenderContext, doc: LoadedDocument, node: Any) -> list[OutputFile]:
        return [OutputFile(f"{doc.doc_id}.txt", _bytes(self.render_text(ctx, doc, node)))]

    def render_edition(self, ctx: RenderContext, documents: Sequence[LoadedDocument],
                       rendered: Path) -> list[OutputFile]:
        params = ctx.params("", width=text_width(ctx.config))
        front = ctx.engine.call(EDITION_SHEET, "text-front", params)
        index = ctx.engine.call(EDITION_SHEET, "text-index", params)
        parts = [front]
        for doc in _reading_order(ctx, documents):
            staged = rendered / f"{doc.doc_id}.txt"
            if staged.is_file():
                parts.append(staged.read_bytes().decode("utf-8"))
            else:
                parts.append(self.render_text(ctx, doc, ctx.engine.parse(doc.data)))
        if index.strip():
            parts.append(index)
        # each part ends with exactly one newline; two more make the gap between parts
        text = "\n\n".join(p.rstrip("\n") + "\n" for p in parts if p.strip())
        return [OutputFile("edition.txt", _bytes(text))]


def _reading_order(ctx: RenderContext, documents: Sequence[LoadedDocument]) -> list[LoadedDocument]:
    """Documents in the register's reading order; any the register lacks go last, by id."""
    ns = "{https://teipress.dev/ns/register}"
    position = {
        el.get("id"): i for i, el in enumerate(ctx.register_tree.iter(f"{ns}document"))
    }
    present = [d for d in documents if d.ok]
    return sorted(present, key=lambda d: (position.get(d.doc_id, len(position)), d.doc_id))


FORMAT = TextFormat()


# ---------------------------------------------------------------------------
# Verification: the promises "no text lost" and "no markup leaks", checkable on
# any TEI document (used by the tests and by benchmarks/bench_text.py --check).

_WS = re.compile(r"\s+")
_TAG_LIKE = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>|<[!?][^<>]*>")
_TEXT = f"{{{TEI_NS}}}text"


def flatten(text: str) -> str:
    """*text* as one line: NFC, every run of whitespace one space (line wrapping undone)."""
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


def text_nodes(root: etree._Element) -> list[str]:
    """Every non-blank text node under the document's ``tei:text``, flattened."""
    out: list[str] = []
    for text_el in root.iter(_TEXT):
        for el in text_el.iter():
            if el is not text_el and el.tail is not None:  # tails of comments/PIs too
                out.append(el.tail)
            if isinstance(el.tag, str) and el.text is not None:
                out.append(el.text)
    return [t for t in (flatten(s) for s in out) if t]


def lost_text(root: etree._Element, rendered: str) -> list[str]:
    """Text nodes of *root*'s ``tei:text`` that do not occur in *rendered* (should be none)."""
    flat = flatten(rendered)
    return [t for t in text_nodes(root) if t not in flat]


def leaked_markup(root: etree._Element, rendered: str) -> list[str]:
    """Tag-like strings in *rendered* that are not in the source's own text (should be none)."""
    source = flatten("".join(t for t in root.itertext() if isinstance(t, str)))
    return [m for m in dict.fromkeys(_TAG_LIKE.findall(flatten(rendered))) if m not in source]
