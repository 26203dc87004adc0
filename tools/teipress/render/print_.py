"""The print edition: one paged HTML book (CSS Paged Media) and its PDF.

Per document, ``xslt/print/document.xsl`` makes the document's section of the
book, which is kept in the output serialised as the book will hold it, with what
the front and back matter read of it (its sidecar, ``.documents/<doc-id>``), so
unchanged documents are not re-rendered. Once per
build, :meth:`PrintFormat.render_edition` makes the book's *frame* with
``xslt/print/edition.xsl`` (front matter, contents, bibliography, index; a
marker where the documents go) from those facts alone, joins the serialised
sections into it in Python, and renders it with WeasyPrint.
The frame is kept between builds with its own key: a change of one document's
text re-joins strings, it does not run XSLT over the other documents.

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

import os
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from lxml import etree

from teipress import REGISTER_NS
from teipress.config import Config
from teipress.load import LoadedDocument, load_path
from teipress.paths import data_dir
from teipress.render import (
    SIDECARS,
    DocumentKeys,
    OutputFile,
    RenderContext,
    document_sidecar,
    keys,
    present_files,
    read_chunks,
    read_kept,
    sidecar_body,
    sidecar_facts,
    sidecar_file,
)
from teipress.render.book_frame import Frame, FrameFacts, MarkerMissing, replace_marker
from teipress.render.keys import KeyBuilder, RegisterSource
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
from teipress.splice import Parts, Piece, resolved

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

    #: the stylesheets each document needs (the others make the book: see engine_for)
    #: (print-section is compiled when a section needs it: see section_html)
    document_stylesheets = ("print-document",)

    def stylesheets(self) -> dict[str, Path]:
        base = data_dir("xslt") / "print"
        return {"print-document": base / "document.xsl", "print-section": base / "section.xsl",
                "print-book": base / "edition.xsl"}

    # -- per document -----------------------------------------------------

    def render_document(self, ctx: RenderContext, doc: LoadedDocument, node: Any) -> list[OutputFile]:
        """The document's section of the book, kept between builds as its sidecar
        (``.documents/<id>``, see :func:`~teipress.render.sidecar_file`).

        Its body is the section serialised as the book's HTML, so the book is assembled
        by joining strings; its facts what the front and back matter read of it (title,
        date, index anchors, block ids: see :func:`section_facts`). The section as a
        tree (:meth:`section_tree`) is not kept: no later step reads it.
        """
        tree = self.section_tree(ctx, doc.doc_id, node)
        html = section_html(tree)
        if html is None:  # a link libxml2 would write otherwise: the book's own serialiser
            html = ctx.engine.call("print-section", f"{{{TPP}}}section",
                                   {"parts": ctx.engine.parse(etree.tostring(tree))}).encode("utf-8")
        return [sidecar_file(doc.doc_id, section_facts(tree), html)]

    def section_tree(self, ctx: RenderContext, doc_id: str, node: Any) -> etree._Element:
        """``<parts>`` holding the document's section ready for the book (see :func:`prepare_tree`)."""
        tree = etree.fromstring(b"<parts>" + self.part(ctx, doc_id, node).encode() + b"</parts>")
        prepare_tree(tree, block_prefix=block_prefix(doc_id))
        return tree

    def part(self, ctx: RenderContext, doc_id: str, node: Any) -> str:
        return ctx.engine.transform("print-document", node, ctx.params(doc_id))

    # -- the book ---------------------------------------------------------

    def edition_facts(self, doc_id: str) -> Sequence[str]:
        """What the front and back matter show of a section: its sidecar's facts."""
        return [document_sidecar(doc_id)]

    def edition_keys(self, config: Config, register: RegisterSource,
                     documents: Mapping[str, DocumentKeys]) -> dict[str, str]:
        """``css``; ``frame`` (the book without its documents); ``book`` (edition.html, .pdf).

        The frame shows the edition record, every section's title, date and index
        anchors (the documents' facts), the entities of the index and the
        bibliography; the book the frame and every section (the documents' keys).
        """
        reg = keys.view(register)
        order = keys.documents_in_order(reg, documents)
        frame = (KeyBuilder(reg.edition_digest(), reg.entities_digest(),
                            keys.bibliography_digest(config.authority_files()))
                 .add_all(f"{d}\x00{documents[d].facts}" for d in order).hexdigest())
        book = KeyBuilder(frame).add_all(f"{d}\x00{documents[d].key}" for d in order).hexdigest()
        return {"css": KeyBuilder(self.css_name).hexdigest(), "frame": frame, "book": book}

    def edition_groups(self, pages: Sequence[str], share_reads: bool = False) -> list[list[str]]:
        """One group: the book is joined into its frame, which the same call makes or reads."""
        return [list(pages)]

    def render_edition(
        self, ctx: RenderContext, documents: Sequence[LoadedDocument], rendered: Path,
        pages: Collection[str] | None = None,
    ) -> list[OutputFile]:
        """``edition.html``, ``print.css``, (unless ``print.pdf = false``) ``edition.pdf``,
        and the frame of the book (``.edition/book-frame.html``) kept for the next build."""
        settings = PrintSettings.from_raw(ctx.config.raw)
        css = (data_dir("xslt") / "print" / self.css_name).read_bytes()
        files: list[OutputFile] = []
        if pages is None or "css" in pages:
            files.append(OutputFile(self.css_name, css, "css"))
        want_frame = pages is None or "frame" in pages
        want_book = pages is None or "book" in pages
        if not want_frame and not want_book:
            return files
        frame_path = rendered / FRAME_FILE
        # The frame is made again when it is asked for, or when the book needs it and the
        # previous one is gone; else the book is joined into the kept one (a text edit).
        make_frame = want_frame or not frame_path.is_file()
        sections = self.collect_sections(ctx, documents, rendered, facts=make_frame,
                                         whole_facts=want_book and settings.pdf)
        frame: Frame | Path = frame_path
        if make_frame:
            assert sections.frame_facts is not None
            frame = self.frame(ctx, sections.frame_facts, settings, self.bibliography(ctx))
            if want_frame and pages is not None:  # a part kept for the next build, not part of the edition
                files.append(OutputFile(FRAME_FILE, frame.chunks, "frame"))
        if want_book and not settings.pdf:
            # no layout to run: the book is written section by section, never held whole
            book_frame = frame
            files.append(OutputFile("edition.html", lambda: sections.chunks(book_frame), "book", spans=BOOK_SPANS))
        elif want_book:
            book = self.make_book(ctx, sections, rendered, settings, css)
            files.append(OutputFile("edition.html", book.html.encode("utf-8"), "book"))
            if book.pdf is not None:
                files.append(OutputFile("edition.pdf", book.pdf, "book"))
        return files

    def reading_order(self, ctx: RenderContext) -> list[str]:
        """Document ids in the register's reading order."""
        docs = ctx.documents_tree.iter(f"{R}document")
        ordered = sorted(docs, key=lambda d: int(d.get("position") or 0))
        return [d.get("id", "") for d in ordered]

    def collect_sections(self, ctx: RenderContext, documents: Sequence[LoadedDocument],
                         rendered: Path, facts: bool = True, whole_facts: bool = False) -> Sections:
        """Where each section is, in reading order, and the sections' facts: as the frame
        needs them (*facts*, see :class:`FrameFacts`) and (*whole_facts*) whole, as the
        PDF layout reads them.

        They come from the sidecars in *rendered* (written by the build); a document
        without one there is rendered here, so the book can also be made without a
        build. The sections the build wrote stay on disk until the book is written
        (:meth:`Sections.chunks`); only those made here are held.
        """
        parts = [b"<parts>"]
        order: list[tuple[str, bytes | None]] = []
        frame_facts = FrameFacts() if facts else None
        read = facts or whole_facts
        missing: dict[str, LoadedDocument] | None = None
        base = os.fspath(rendered) + os.sep  # strings, not Path objects: thousands of files
        present = frozenset() if read else present_files(base + SIDECARS)  # sidecars are named by id
        for doc_id in self.reading_order(ctx):
            path = base + document_sidecar(doc_id)
            data = read_kept(path) if read else (b"" if doc_id in present else None)
            section: bytes | None = None  # kept: read when the book is written
            if data is None:
                if missing is None:
                    missing = {d.doc_id: d for d in documents if d.ok}
                doc = missing.get(doc_id)
                if doc is None:
                    continue
                made = self.render_document(ctx, doc, ctx.engine.parse(doc.data))
                data = next(f.data for f in made if f.relpath == document_sidecar(doc_id))
                section = sidecar_body(data)
            if frame_facts is not None:
                frame_facts.add(sidecar_facts(data))
            if whole_facts:
                parts.append(sidecar_facts(data))
            order.append((doc_id, section))
        parts.append(b"</parts>")
        return Sections(b"".join(parts) if whole_facts else b"", order, rendered, frame_facts)

    def bibliography(self, ctx: RenderContext) -> Any:
        """The bibliography authority file (a TEI file with a listBibl), parsed for Saxon."""
        for path in ctx.config.authority_files():
            doc = load_path(path, ctx.config.root)
            if doc.ok and doc.root.find(".//{http://www.tei-c.org/ns/1.0}listBibl") is not None:
                return ctx.engine.parse(doc.data)
        return None

    def frame(self, ctx: RenderContext, facts: FrameFacts, settings: PrintSettings, bibliography: Any) -> Frame:
        """The book's frame with one link per mention in the index (``target-counter``),
        made from the facts gathered a document at a time (see :mod:`teipress.render.book_frame`)."""
        html = self.book_html(ctx, facts.parts(), settings, bibliography, None, "marker",
                              index_entities=facts.index_entities())
        return Frame(html, facts.anchors)

    def book_html(
        self,
        ctx: RenderContext,
        facts: bytes,
        settings: PrintSettings,
        bibliography: Any,
        index_pages: bytes | None,
        index_mode: str = "target-counter",
        index_entities: str | None = None,
    ) -> str:
        """The book's frame: everything but the documents, whose place :data:`DOCUMENTS_MARKER` holds.

        *facts* is ``<parts>`` of the sections' facts (:func:`section_facts`); with
        *index_entities* (``marker`` mode), only their contents (see :meth:`frame`).
        """
        params = ctx.params(
            "",
            parts=ctx.engine.parse(_BLOCK_FACTS.sub(b"", facts)),  # blocks: read by the PDF layout only
            **{"page-size": settings.page_size, "stylesheet-href": self.css_name, "index-mode": index_mode,
               "documents-marker": DOCUMENTS_MARKER},
        )
        if index_entities is not None:
            params["index-entities"] = index_entities
        if bibliography is not None:
            params["bibliography"] = bibliography
        if index_pages is not None:
            params["index-pages"] = ctx.engine.parse(index_pages)
        html = ctx.engine.call("print-book", f"{{{TPP}}}book", params)
        return html if html.lstrip().lower().startswith("<!doctype") else "<!DOCTYPE html>\n" + html

    def make_book(self, ctx: RenderContext, sections: Sections, base_dir: Path, settings: PrintSettings,
                  css: bytes) -> Book:
        """Join the sections into the frame; with a PDF, run the two-pass layout (module docstring).

        *sections* come from :meth:`collect_sections`: with the frame's facts for a book
        without PDF, with the whole facts for one with.
        """
        if settings.pdf:
            check_fonts()
        bibliography = self.bibliography(ctx)
        if not settings.pdf:
            assert sections.frame_facts is not None, "collect_sections(facts=True) gives the frame's facts"
            return Book(sections.join(self.frame(ctx, sections.frame_facts, settings, bibliography)), None, 0, {}, 0)
        facts_tree = etree.fromstring(sections.facts)
        fetcher = FolderFetcher(base_dir, {self.css_name: css})
        fonts = font_configuration()
        blocks = frozenset(el.get("id", "") for el in facts_tree.iter("b"))
        repairs: list[str] = []

        def lay_out(html: str) -> tuple[str, Any, list[tuple[str, int, int]]]:
            return layout_keeping_footnotes(html, base_dir, fetcher, fonts, blocks, repairs)

        # pass 1: no index (it cannot move a mention), so only the page of every mention counts
        _, document, _ = lay_out(sections.join(self.book_html(ctx, sections.facts, settings, bibliography,
                                                              None, "none")))
        pages = anchor_pages(document)
        passes = 1
        while passes < MAX_PASSES:
            html = sections.join(self.book_html(ctx, sections.facts, settings, bibliography,
                                                index_pages_xml(facts_tree, pages)))
            html, document, displaced = lay_out(html)
            passes += 1
            new_pages = anchor_pages(document)
            moved = [a for a in _mentions(facts_tree) if new_pages.get(a) != pages.get(a)]
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


#: The comment the frame holds where the documents go (see ``$documents-marker`` in edition.xsl).
DOCUMENTS_MARKER = "tpp:documents"
#: The book without its documents, kept between builds (page ``frame``).
FRAME_FILE = ".edition/book-frame.html"
#: Where the book's spans are kept (see teipress.splice), with the page ``book``.
BOOK_SPANS = ".edition/edition.html.spans"


def block_prefix(doc_id: str) -> str:
    """Prefix of the block ids of one document's section: unique in the book, stable across builds."""
    return f"{BLOCK_ID_PREFIX}-{doc_id}-"


def section_facts(parts: etree._Element) -> bytes:
    """What edition.xsl reads of the sections in *parts* (``<parts><section>…``), and the block ids.

    Per section: its ``@id``, the normalised text of ``header/h1`` and of the date
    line (contents), every index anchor's ``data-entity`` and ``id`` (index), and
    one ``<b id>`` per text block (the footnote repairs of the PDF layout). A
    change of a document's text leaves this unchanged, and so the frame of the book.
    """
    out = []
    for section in parts.iterfind("section"):
        facts = etree.Element("section")
        if section.get("id") is not None:
            facts.set("id", section.get("id", ""))
        header = etree.SubElement(facts, "header")
        for h1 in section.iterfind("header/h1"):
            etree.SubElement(header, "h1").text = _normalised(h1)
        for p in section.iterfind("header/p[@class='doc-date']"):
            etree.SubElement(header, "p", {"class": "doc-date"}).text = _normalised(p)
        for el in section.iter():
            if el.get("data-entity") is not None:
                anchor = etree.SubElement(facts, "span", {"data-entity": el.get("data-entity", "")})
                if el.get("id") is not None:
                    anchor.set("id", el.get("id", ""))
        for el in section.iter(*_TEXT_BLOCKS):
            if el.get("id"):
                etree.SubElement(facts, "b", id=el.get("id", ""))
        out.append(etree.tostring(facts, encoding="utf-8"))
    return b"".join(out)


def _normalised(el: etree._Element) -> str:
    """XPath's normalize-space() of *el*'s string value."""
    return " ".join("".join(str(t) for t in el.itertext()).split())


@dataclass
class Sections:
    """The book's documents: their whole facts (``<parts>`` of :func:`section_facts`, for
    the PDF layout; else empty), in reading order each section (bytes) or ``None`` for
    one kept in *folder*, and the facts as the frame needs them (if gathered)."""

    facts: bytes
    order: list[tuple[str, bytes | None]]
    folder: Path
    frame_facts: FrameFacts | None = None

    def chunks(self, frame: str | bytes | Path | Frame) -> Iterator[Piece]:
        """The book in pieces: *frame* (text, a frame made from the facts, or a kept
        frame's file: tens of MB for thousands of documents, read a piece at a time) with
        the sections in place of :data:`DOCUMENTS_MARKER`, those kept named as parts
        (see teipress.splice)."""
        source: Iterable[bytes]
        if isinstance(frame, Frame):
            source = frame.chunks()
        elif isinstance(frame, Path):
            source = _file_chunks(frame)
        else:
            source = (frame.encode("utf-8") if isinstance(frame, str) else frame,)
        try:
            yield from replace_marker(source, f"<!--{DOCUMENTS_MARKER}-->".encode(), self._documents)
        except MarkerMissing:
            raise PrintError("the book's frame has no place for the documents",
                             help="xslt/print/edition.xsl must write $documents-marker") from None

    def _documents(self) -> Iterator[Piece]:
        base = os.fspath(self.folder) + os.sep
        kept: list[str] = []  # a run of kept sections: one piece (see teipress.splice.Parts)
        for doc_id, section in self.order:
            if section is None:
                kept.append(base + document_sidecar(doc_id))
                continue
            if kept:
                yield Parts(kept, form=sidecar_body, form_name="section-body")
                kept = []
            yield section
        if kept:
            yield Parts(kept, form=sidecar_body, form_name="section-body")

    def join(self, frame: str | Frame) -> str:
        """The whole book as one string (the PDF layout needs it)."""
        return b"".join(resolved(self.chunks(frame))).decode("utf-8")


def _file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        yield from read_chunks(f)


#: The ``<b id>`` facts of text blocks, as :func:`section_facts` writes them.
_BLOCK_FACTS = re.compile(rb'<b id="[^"]*"/>')
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


#: Link values libxml2's HTML serialiser writes as they are: it %-escapes anything else
#: in href, src, action and a/@name (xmlURIEscapeStr with these exceptions) and drops
#: leading blanks, where an HTML5 serialiser writes the value as it is.
_AS_WRITTEN_LINK = re.compile(r"[A-Za-z0-9\-_.!~*'()@/:=?;#%&,+<>]*")
_LINKS = etree.XPath("//@href | //@src | //@action | //a/@name")


def section_html(parts: etree._Element) -> bytes | None:
    """The sections in *parts* serialised as HTML by libxml2, or None if a link would be
    written otherwise than section.xsl writes it.

    The same HTML as the book's serialiser (Saxon's HTML5 method) makes, in a tenth of
    the time (it was a second Saxon pass over every section: a parse and a copy):
    byte for byte on the Escher letters; where the two differ it is in how a
    character is written (a no-break space raw or as ``&nbsp;``, ``<`` in an attribute
    as ``<`` or ``&lt;``), which parses the same (tests/test_print_sections.py), but for
    C1 control characters: Saxon writes U+0085 as ``&#x85;``, which an HTML5 parser
    reads as U+2026; libxml2 keeps the character. Links are the exception, hence the
    test before.
    """
    links = cast(list[str], _LINKS(parts))  # attribute values: strings
    if any(_AS_WRITTEN_LINK.fullmatch(value) is None for value in links):
        return None
    return b"".join(etree.tostring(el, method="html", encoding="utf-8") for el in parts)


def prepare_parts(parts_xml: bytes, block_prefix: str = BLOCK_ID_PREFIX) -> bytes:
    """:func:`prepare_tree` on serialised ``<parts>``."""
    tree = etree.fromstring(parts_xml)
    prepare_tree(tree, block_prefix)
    return etree.tostring(tree, encoding="utf-8")


def prepare_tree(tree: etree._Element, block_prefix: str = BLOCK_ID_PREFIX) -> None:
    """Make the sections in *tree* (``<parts>``) what the book needs: line breaks of the
    source folded, text blocks named.

    * Source line breaks in text (the indentation of a TEI file, kept by the shared
      templates) become one space. That is what CSS does with them anyway
      (``white-space: normal``), but WeasyPrint 70 fails with an assertion
      ("Got ' \\n' between two lines") when such a run of whitespace ends a line
      next to a footnote (``float: footnote``) -- seen in Escher letters, where notes
      stand on lines of their own. Only runs that contain a line break are touched.
    * Every text block without an id gets one (``tpp-b1``, ...): WeasyPrint reports
      element ids per page (``page.anchors``), so the last block on a page can then be
      named in a CSS rule (see :func:`layout_keeping_footnotes`). The build prepares
      each document's section on its own, with a *block_prefix* naming the document
      (``tpp-b-<doc>-1``), so the ids do not depend on the other documents.
    """
    # where no element keeps its whitespace (the sections made today), no text's
    # ancestors need looking at: a walk up from every text was half of this function
    keeps = next(tree.iter(*_PRESERVE_SPACE), None) is not None
    for el in tree.iter(etree.Element):  # elements only (a comment's tail stays as it is)
        if el.text and "\n" in el.text and not (keeps and _preserves_space(el)):
            el.text = _LINE_BREAK_SPACE.sub(" ", el.text)
        if el.tail and "\n" in el.tail and not (keeps and _preserves_space(el.getparent())):
            el.tail = _LINE_BREAK_SPACE.sub(" ", el.tail)
    n = 0
    for el in tree.iter(*_TEXT_BLOCKS):
        if el.get("id") is None:
            n += 1
            el.set("id", f"{block_prefix}{n}")


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
