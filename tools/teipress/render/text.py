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

import os
import re
import unicodedata
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from lxml import etree

from teipress import TEI_NS
from teipress.config import Config, ConfigError
from teipress.load import LoadedDocument
from teipress.paths import xslt_path
from teipress.render import DocumentKeys, OutputFile, RenderContext, keys, present_files
from teipress.render.keys import KeyBuilder, RegisterSource
from teipress.splice import Parts, Piece, separated

#: Default line width (``[tool.teipress.text] width``).
DEFAULT_WIDTH = 72
#: Narrower lines cannot hold a header label and a word; wider ones defeat the purpose.
MIN_WIDTH, MAX_WIDTH = 20, 1000

DOCUMENT_SHEET = "text-document"
EDITION_SHEET = "text-edition"
#: The parts of edition.txt kept between builds, by page name (see TextFormat.render_edition).
EDITION_PARTS: dict[str, str] = {"front": ".edition/front.txt", "index": ".edition/index.txt"}
#: Where edition.txt's spans are kept (see teipress.splice), with the page ``edition``.
EDITION_SPANS = ".edition/edition.txt.spans"


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


def _one_newline(part: bytes) -> bytes:
    """A part of edition.txt as it stands there: its text and one newline (nothing for a
    part without text)."""
    return part.rstrip(b"\n") + b"\n" if part.strip() else b""


def _bytes(text: str) -> bytes:
    """UTF-8 with Unix newlines. Saxon already emits LF; CRs come only from source
    character references, and a stray CR would make the file differ between platforms."""
    return text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")


class TextFormat:
    """Plain-text edition format (see docs/text-edition.md)."""

    name = "text"

    #: the stylesheets each document needs (the others make edition pages: see engine_for)
    document_stylesheets = (DOCUMENT_SHEET,)

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

    def edition_facts(self, doc_id: str) -> Sequence[str]:
        """None: edition.txt shows each document's text whole, so the document's key covers it."""
        return ()

    def edition_keys(self, config: Config, register: RegisterSource,
                     documents: Mapping[str, DocumentKeys]) -> dict[str, str]:
        """``front`` and ``index`` (cached parts of edition.txt) and ``edition`` itself.

        The front matter shows the edition record and every document's id, title
        and date; the index every person's name, life dates and the documents that
        mention them; edition.txt those two parts and every document's text, so
        its key is theirs plus the documents' keys, in reading order.
        """
        reg = keys.view(register)
        front = KeyBuilder(reg.edition_digest(), reg.document_labels()).hexdigest()
        index = KeyBuilder(KeyBuilder().add_all(reg.order()).hexdigest(),
                           reg.mentioned_docs_digest(frozenset({"person"}))).hexdigest()
        order = keys.documents_in_order(reg, documents)
        edition = KeyBuilder(front, index).add_all(f"{d}\x00{documents[d].key}" for d in order).hexdigest()
        return {"front": front, "index": index, "edition": edition}

    def edition_groups(self, pages: Sequence[str], share_reads: bool = False) -> list[list[str]]:
        """One group: edition.txt joins the front matter and index parts the same call makes or reads."""
        return [list(pages)]

    def render_edition(self, ctx: RenderContext, documents: Sequence[LoadedDocument],
                       rendered: Path, pages: Collection[str] | None = None) -> list[OutputFile]:
        """``edition.txt``, concatenated in Python from its parts.

        The front matter and the index are made by the stylesheet and kept as parts
        of their own (``.edition/front.txt``, ``.edition/index.txt``), each with its
        key, so a change of one document's text only re-reads the per-document
        files (never transforms them again) and joins them. Those parts are
        returned only when asked for by name (a build); with ``pages=None`` the
        result is just the edition's own file.
        """
        out: list[OutputFile] = []
        parts: dict[str, bytes] = {}  # as edition.txt holds them (see _bytes)
        for page, template in (("front", "text-front"), ("index", "text-index")):
            path = rendered / EDITION_PARTS[page]
            if pages is None or page in pages or not path.is_file():
                # the whole register is parsed only here, when a part must be made
                params = ctx.params("", width=text_width(ctx.config))
                parts[page] = _bytes(ctx.engine.call(EDITION_SHEET, template, params))
                if pages is not None and page in pages:
                    out.append(OutputFile(EDITION_PARTS[page], parts[page], page))
            else:
                parts[page] = path.read_bytes()
        if pages is None or "edition" in pages:
            order = _reading_order(ctx, documents, rendered)

            base = os.fspath(rendered) + os.sep  # strings, not Path objects: thousands of files

            def missing(doc_id: str) -> bytes:
                # no text file: rendered here (no build), if the document is there
                doc = next((d for d in documents if d.ok and d.doc_id == doc_id), None)
                return _bytes(self.render_text(ctx, doc, ctx.engine.parse(doc.data))) if doc is not None else b""

            def chunks() -> Iterator[Piece]:
                # each part ends with exactly one newline; two more make the gap between
                # parts. Bytes, as kept: decoding and encoding 5,000 texts was a third of
                # the join. (A part of only non-ASCII white space would count as text
                # here; a document's text always begins with its heading.)
                texts = Parts([f"{base}{doc_id}.txt" for doc_id in order],  # written by _bytes: UTF-8, LF
                              otherwise=lambda path: missing(path[len(base):-len(".txt")]))
                return separated([parts["front"], texts, parts["index"]], b"\n\n", _one_newline, "text")

            # written part by part (an edition of thousands of documents is never held whole)
            out.append(OutputFile("edition.txt", chunks, "edition", spans=EDITION_SPANS))
        return out


def _reading_order(ctx: RenderContext, documents: Sequence[LoadedDocument], rendered: Path) -> list[str]:
    """Document ids in the register's reading order; any the register lacks go last, by id.

    The register lists every document the build renders, so the documents are
    loaded (to find ones it lacks) only when a register document has no text file,
    i.e. when rendering without a build.
    """
    ns = "{https://teipress.dev/ns/register}"
    ids = [el.get("id", "") for el in ctx.documents_tree.iter(f"{ns}document")]
    if len(documents) <= len(ids):
        listed = present_files(rendered)
        if all(f"{d}.txt" in listed for d in ids):
            return ids
    position = {d: i for i, d in enumerate(ids)}
    present = [d.doc_id for d in documents if d.ok]
    return sorted(present, key=lambda d: (position.get(d, len(position)), d))


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
