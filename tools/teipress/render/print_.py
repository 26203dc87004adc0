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
from dataclasses import dataclass
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
    layout,
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
        parts = ctx.engine.parse(parts_xml)
        parts_tree = etree.fromstring(parts_xml)
        bibliography = self.bibliography(ctx)
        if not settings.pdf:
            html = self.book_html(ctx, parts, settings, bibliography, None)
            return Book(html, None, 0, {}, 0)
        html = self.book_html(ctx, parts, settings, bibliography, None, "none")
        fetcher = FolderFetcher(base_dir, {self.css_name: css})
        document = layout(html, base_dir, fetcher=fetcher)
        pages = anchor_pages(document)
        passes = 1
        while passes < MAX_PASSES:
            html = self.book_html(ctx, parts, settings, bibliography, index_pages_xml(parts_tree, pages))
            document = layout(html, base_dir, fetcher=fetcher)
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
        return Book(html, data, len(document.pages), pages, passes)


def _mentions(parts: etree._Element) -> list[str]:
    return [el.get("id", "") for el in parts.iter() if el.get("data-entity") and el.get("id")]


FORMAT = PrintFormat()
