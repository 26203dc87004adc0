"""The print edition: one paged HTML book (CSS Paged Media) and its PDF.

Per document, ``xslt/print/document.xsl`` makes the document's section of the
book (``parts/<doc-id>.xml``, kept in the output so unchanged documents are not
re-rendered). Once per build, :meth:`PrintFormat.render_edition` assembles the
book with ``xslt/print/edition.xsl`` (front matter, contents, the documents,
bibliography, index) and renders it with WeasyPrint.

Why two passes: the index must print *collapsed* page ranges ("12-14, 19", with an en dash),
which CSS cannot compute (``target-counter`` gives one number per link). Pass 1
lays the book out with one ``target-counter`` per mention; we then read from
WeasyPrint's layout the page every index anchor (``span.ix``, one per mention
of a person, place or organisation) landed on, collapse the pages per entity,
and pass 2 writes them as text. The index comes after every mention, so its new
length cannot move a mention; we still verify that, and lay out again if a
mention moved (at most :data:`MAX_PASSES` layouts).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from teipress import REGISTER_NS
from teipress.load import LoadedDocument, load_path
from teipress.paths import data_dir
from teipress.render import OutputFile, RenderContext
from teipress.render.pdf import (
    PDF_VARIANTS,
    FolderFetcher,
    PrintError,
    anchor_pages,
    check_fonts,
    font_configuration,
    layout,
    page_anchors,
    pdf_bytes,
)

R = f"{{{REGISTER_NS}}}"
TPP = "https://teipress.dev/ns/print"
#: Layouts of the book at most (pass 1, pass 2, and one more if a mention moved).
MAX_PASSES = 3

#: ``page-size`` values accepted in ``[tool.teipress.print]`` -> CSS ``size``.
PAGE_SIZES: dict[str, str] = {
    "a4": "A4",
    "a5": "A5",
    "letter": "letter",
    "6x9": "6in 9in",
    "6x9in": "6in 9in",
}
_CSS_LENGTH = re.compile(r"^\d+(\.\d+)?(mm|cm|in|pt)\s+\d+(\.\d+)?(mm|cm|in|pt)$")


@dataclass(frozen=True)
class PrintSettings:
    """``[tool.teipress.print]``: page size, PDF variant, whether to make the PDF."""

    page_size: str = "A4"
    pdf_variant: str = "pdf/ua-1"
    pdf: bool = True

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> PrintSettings:
        """Read and validate the table; a bad value is a :class:`PrintError` saying what is allowed."""
        table = raw.get("print", {})
        if not isinstance(table, Mapping):
            raise PrintError("[tool.teipress.print] must be a table")
        size = css_page_size(str(table.get("page-size", "A4")))
        variant = str(table.get("pdf-variant", "pdf/ua-1")).lower()
        if variant not in PDF_VARIANTS:
            raise PrintError(f"unknown print.pdf-variant {variant!r}", help="use one of " + ", ".join(PDF_VARIANTS))
        return cls(page_size=size, pdf_variant=variant, pdf=bool(table.get("pdf", True)))


def css_page_size(value: str) -> str:
    """CSS ``size`` for a configured page size: A4, A5, Letter, 6x9in (x or a times sign), "W H"."""
    key = re.sub(r"\s+", "", value.strip().lower()).replace("\u00d7", "x")
    if key in PAGE_SIZES:
        return PAGE_SIZES[key]
    if _CSS_LENGTH.match(value.strip()):
        return value.strip()
    raise PrintError(
        f"unknown print.page-size {value!r}",
        help='use "A4", "A5", "Letter", "6x9in" or two lengths such as "170mm 240mm"',
    )


def collapse_pages(pages: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive page numbers joined into ranges: 3,4,5,9 -> [(3, 5), (9, 9)]."""
    ranges: list[tuple[int, int]] = []
    for p in sorted(set(pages)):
        if ranges and p == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], p)
        else:
            ranges.append((p, p))
    return ranges


def index_pages_xml(parts: etree._Element, pages: Mapping[str, int]) -> bytes:
    """The ``$index-pages`` parameter of edition.xsl: per entity, its page ranges.

    Each range links to the first mention on its first page.
    """
    per_entity: dict[str, dict[int, str]] = {}
    for el in parts.iter():
        ent, anchor = el.get("data-entity"), el.get("id")
        if ent and anchor and anchor in pages:
            per_entity.setdefault(ent, {}).setdefault(pages[anchor], anchor)
    root = etree.Element("pages")
    for ent, first in per_entity.items():
        e = etree.SubElement(root, "entity", id=ent)
        for lo, hi in collapse_pages(first):
            etree.SubElement(e, "range", {"from": str(lo), "to": str(hi), "anchor": first[lo]})
    return etree.tostring(root, encoding="utf-8")


@dataclass
class Book:
    """A rendered book: the final HTML, the PDF (if made) and what the layout found."""

    html: str
    pdf: bytes | None
    pages: int
    anchor_pages: dict[str, int]
    passes: int
    #: Footnotes still printed on a page other than their call's (see layout_keeping_footnotes).
    displaced_footnotes: list[str] = field(default_factory=list)


class PrintFormat:
    """The ``print`` edition format (see the module docstring)."""

    name = "print"
    css_name = "print.css"

    def stylesheets(self) -> dict[str, Path]:
        base = data_dir("xslt") / "print"
        return {"print-document": base / "document.xsl", "print-book": base / "edition.xsl"}

    # -- per document -----------------------------------------------------

    def render_document(self, ctx: RenderContext, doc: LoadedDocument, node: Any) -> list[OutputFile]:
        """The document's section of the book, kept as ``parts/<doc-id>.xml``."""
        return [OutputFile(f"parts/{doc.doc_id}.xml", self.part(ctx, doc.doc_id, node).encode())]

    def part(self, ctx: RenderContext, doc_id: str, node: Any) -> str:
        return ctx.engine.transform("print-document", node, ctx.params(doc_id))

    # -- the book ---------------------------------------------------------

    def render_edition(
        self, ctx: RenderContext, documents: Sequence[LoadedDocument], rendered: Path
    ) -> list[OutputFile]:
        """``edition.html``, ``print.css`` and (unless ``print.pdf = false``) ``edition.pdf``."""
        settings = PrintSettings.from_raw(ctx.config.raw)
        css = (data_dir("xslt") / "print" / self.css_name).read_bytes()
        parts_xml = self.collect_parts(ctx, documents, rendered)
        book = self.make_book(ctx, parts_xml, rendered, settings, css)
        files = [OutputFile("edition.html", book.html.encode("utf-8")), OutputFile(self.css_name, css)]
        if book.pdf is not None:
            files.append(OutputFile("edition.pdf", book.pdf))
        return files

    def reading_order(self, ctx: RenderContext) -> list[str]:
        """Document ids in the register's reading order."""
        docs = ctx.register_tree.iter(f"{R}document")
        ordered = sorted(docs, key=lambda d: int(d.get("position") or 0))
        return [d.get("id", "") for d in ordered]

    def collect_parts(self, ctx: RenderContext, documents: Sequence[LoadedDocument], rendered: Path) -> bytes:
        """``<parts>`` with every document section in reading order.

        Sections come from ``rendered/parts`` (written by :meth:`render_document`);
        a missing one is rendered here, so the method also works without a build.
        """
        missing: dict[str, LoadedDocument] | None = None
        chunks: list[bytes] = [b"<parts>"]
        for doc_id in self.reading_order(ctx):
            path = rendered / "parts" / f"{doc_id}.xml"
            if path.is_file():
                chunks.append(path.read_bytes())
                continue
            if missing is None:
                missing = {d.doc_id: d for d in documents if d.ok}
            doc = missing.get(doc_id)
            if doc is None:
                continue
            chunks.append(self.part(ctx, doc_id, ctx.engine.parse(doc.data)).encode())
        chunks.append(b"</parts>")
        return b"".join(chunks)

    def bibliography(self, ctx: RenderContext) -> Any:
        """The bibliography authority file (a TEI file with a listBibl), parsed for Saxon."""
        for path in ctx.config.authority_files():
            doc = load_path(path, ctx.config.root)
            if doc.ok and doc.root.find(".//{http://www.tei-c.org/ns/1.0}listBibl") is not None:
                return ctx.engine.parse(doc.data)
        return None

    def book_html(
        self,
        ctx: RenderContext,
        parts: Any,
        settings: PrintSettings,
        bibliography: Any,
        index_pages: bytes | None,
        index_mode: str = "target-counter",
    ) -> str:
        params = ctx.params(
            "",
            parts=parts,
            **{"page-size": settings.page_size, "stylesheet-href": self.css_name, "index-mode": index_mode},
        )
        if bibliography is not None:
            params["bibliography"] = bibliography
        if index_pages is not None:
            params["index-pages"] = ctx.engine.parse(index_pages)
        html = ctx.engine.call("print-book", f"{{{TPP}}}book", params)
        return html if html.lstrip().lower().startswith("<!doctype") else "<!DOCTYPE html>\n" + html

    def make_book(
        self, ctx: RenderContext, parts_xml: bytes, base_dir: Path, settings: PrintSettings, css: bytes
    ) -> Book:
        """Run the two-pass layout (see the module docstring) and write the PDF."""
        if settings.pdf:
            check_fonts()
        parts_xml = prepare_parts(parts_xml)
        parts = ctx.engine.parse(parts_xml)
        parts_tree = etree.fromstring(parts_xml)
        bibliography = self.bibliography(ctx)
        if not settings.pdf:
            html = self.book_html(ctx, parts, settings, bibliography, None)
            return Book(html, None, 0, {}, 0)
        fetcher = FolderFetcher(base_dir, {self.css_name: css})
        fonts = font_configuration()
        blocks = text_block_ids(parts_tree)
        repairs: list[str] = []

        def lay_out(html: str) -> tuple[str, Any, list[tuple[str, int, int]]]:
            return layout_keeping_footnotes(html, base_dir, fetcher, fonts, blocks, repairs)

        # pass 1: no index (it cannot move a mention), so only the page of every mention counts
        _, document, _ = lay_out(self.book_html(ctx, parts, settings, bibliography, None, "none"))
        pages = anchor_pages(document)
        passes = 1
        while passes < MAX_PASSES:
            html = self.book_html(ctx, parts, settings, bibliography, index_pages_xml(parts_tree, pages))
            html, document, displaced = lay_out(html)
            passes += 1
            new_pages = anchor_pages(document)
            moved = [a for a in _mentions(parts_tree) if new_pages.get(a) != pages.get(a)]
            pages = new_pages
            if not moved:
                break
        else:
            raise PrintError(
                f"the index page numbers did not settle after {MAX_PASSES} layouts",
                help="report this with the edition sources",
            )
        data = pdf_bytes(document, pdf_variant=settings.pdf_variant)
        return Book(html, data, len(document.pages), pages, passes, [note for note, _, _ in displaced])


#: Prefix of the ids :func:`prepare_parts` gives to blocks of the documents.
BLOCK_ID_PREFIX = "tpp-b"
#: Suffix of the empty anchor inline.xsl puts where a footnote is called.
CALL_SUFFIX = "-call"
#: Text blocks of the documents that may end a page (and so may need a repair rule).
_TEXT_BLOCKS = ("p", "li", "dd", "dt", "h1", "h2", "h3", "h4")
#: Repair layouts per book layout at most (each repairs every footnote displaced so far).
MAX_FOOTNOTE_REPAIRS = 3


#: Elements whose whitespace is kept as it is (none of them is made today; a safeguard).
_PRESERVE_SPACE = frozenset({"pre", "textarea", "script", "style"})
_LINE_BREAK_SPACE = re.compile(r"[ \t\r\n]*[\r\n][ \t\r\n]*")


def prepare_parts(parts_xml: bytes) -> bytes:
    """The sections as the book needs them: line breaks of the source folded, text blocks named.

    * Source line breaks in text (the indentation of a TEI file, kept by the shared
      templates) become one space. That is what CSS does with them anyway
      (``white-space: normal``), but WeasyPrint 70 fails with an assertion
      ("Got ' \\n' between two lines") when such a run of whitespace ends a line
      next to a footnote (``float: footnote``) -- seen in Escher letters, where notes
      stand on lines of their own. Only runs that contain a line break are touched.
    * Every text block without an id gets one (``tpp-b1``, ...): WeasyPrint reports
      element ids per page (``page.anchors``), so the last block on a page can then be
      named in a CSS rule (see :func:`layout_keeping_footnotes`).
    """
    tree = etree.fromstring(parts_xml)
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        if el.text and "\n" in el.text and not _preserves_space(el):
            el.text = _LINE_BREAK_SPACE.sub(" ", el.text)
        if el.tail and "\n" in el.tail and not _preserves_space(el.getparent()):
            el.tail = _LINE_BREAK_SPACE.sub(" ", el.tail)
    n = 0
    for el in tree.iter(*_TEXT_BLOCKS):
        if el.get("id") is None:
            n += 1
            el.set("id", f"{BLOCK_ID_PREFIX}{n}")
    return etree.tostring(tree, encoding="utf-8")


def _preserves_space(el: etree._Element | None) -> bool:
    while el is not None:
        if el.tag in _PRESERVE_SPACE:
            return True
        el = el.getparent()
    return False


def displaced_footnotes(anchors: Sequence[Sequence[str]]) -> list[tuple[str, int, int]]:
    """``(footnote id, page of its call, page of its body)`` for every footnote set on another page.

    *anchors* are the ids per page (:func:`teipress.render.pdf.page_anchors`): the
    footnote's own id is recorded where its body is, ``<id>-call`` where it is called.
    """
    first: dict[str, int] = {}
    for number, ids in enumerate(anchors, 1):
        for name in ids:
            first.setdefault(name, number)
    out = []
    for name, call_page in first.items():
        if name.endswith(CALL_SUFFIX):
            note = name[: -len(CALL_SUFFIX)]
            body_page = first.get(note)
            if body_page is not None and body_page != call_page:
                out.append((note, call_page, body_page))
    return out


def text_block_ids(parts: etree._Element) -> frozenset[str]:
    """Ids of the text blocks of the sections (all have one after :func:`prepare_parts`)."""
    return frozenset(el.get("id", "") for el in parts.iter(*_TEXT_BLOCKS) if el.get("id"))


def last_block(anchors: Sequence[Sequence[str]], page: int, blocks: frozenset[str]) -> str | None:
    """The id of the last text block (one of *blocks*) that starts on *page* (1-based), if any."""
    for name in reversed(anchors[page - 1]):
        if name in blocks:
            return name
    return None


def repair_style(blocks: Sequence[str]) -> str:
    """The ``<style>`` that lets *blocks* leave a single line at the foot of a page."""
    if not blocks:
        return ""
    # attribute selectors: a TEI id need not be a CSS identifier ("1.2", "a:b")
    selector = ", ".join('[id="{}"]'.format(re.sub(r'(["\\])', r"\\\1", b)) for b in blocks)
    return f"<style>/* keep footnotes with their calls */ {selector} {{ orphans: 1 !important; }}</style>"


def layout_keeping_footnotes(
    html: str,
    base_dir: Path,
    fetcher: FolderFetcher,
    font_config: Any,
    blocks: frozenset[str],
    repairs: list[str],
) -> tuple[str, Any, list[tuple[str, int, int]]]:
    """Lay out *html* so that every footnote is on the page of its call, as far as possible.

    Why: WeasyPrint (70) moves footnotes already placed on a page to the next page
    when a *later* paragraph reaches the foot of the page with fewer lines than
    ``orphans`` allows ("report footnotes because of orphans"), whatever the note's
    ``footnote-policy``; a note then lands a page after its call. That paragraph is
    the last block on the call's page (the page ends with it), so we lay out again
    with ``orphans: 1`` for that block: it is then split normally and keeps its
    footnote-free lines, and the notes stay. *blocks* are the ids of the text
    blocks (:func:`text_block_ids`); *repairs* (block ids) is extended in
    place, so later passes of the same book start with the repairs already made.
    Returns the HTML actually laid out, WeasyPrint's document and the footnotes
    still displaced (empty unless the repairs could not help).
    """
    for _ in range(MAX_FOOTNOTE_REPAIRS + 1):
        current = html.replace("</head>", repair_style(repairs) + "</head>", 1) if repairs else html
        document = layout(current, base_dir, fetcher=fetcher, font_config=font_config)
        anchors = page_anchors(document)
        displaced = displaced_footnotes(anchors)
        new = [b for b in {last_block(anchors, call, blocks) for _, call, _ in displaced} if b and b not in repairs]
        if not new:
            return current, document, displaced
        repairs.extend(sorted(new))
    return current, document, displaced


def _mentions(parts: etree._Element) -> list[str]:
    return [el.get("id", "") for el in parts.iter() if el.get("data-entity") and el.get("id")]


FORMAT = PrintFormat()
