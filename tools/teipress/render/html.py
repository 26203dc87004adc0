"""The HTML edition: a static, offline, accessible web edition.

Every page is produced by one XSLT 3.0 stylesheet per page type under
``xslt/html/`` (all importing ``layout.xsl`` -> ``tei-inline.xsl`` ->
``common.xsl``), compiled once per process by the caller's engine. This module
only decides *which* page is rendered from *what* and packs results into
:class:`~teipress.render.OutputFile` objects; it never writes to disk.

Two things are done in Python on purpose:

* the search index, because it is extracted from the rendered document pages
  (so search results show exactly the text a reader sees) and written as a JS file
  assigning a global, since ``fetch()`` of JSON fails under ``file://``;
* the static assets (CSS, two small scripts), copied from ``xslt/html/assets``
  so they ship in the wheel together with the stylesheets.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote

import orjson
from lxml import etree

import teipress
from teipress import REGISTER_NS, TEI_NS
from teipress.config import Config
from teipress.load import LoadedDocument, load_path
from teipress.paths import xslt_path
from teipress.render import (
    DocumentKeys,
    OutputFile,
    RenderContext,
    document_sidecar,
    keys,
    read_kept,
    sidecar_body,
    sidecar_facts,
    sidecar_file,
)
from teipress.render.keys import KeyBuilder, RegisterSource
from teipress.render.register_batches import (
    BATCH_ENTITIES,
    BATCH_MENTIONS,
    Batch,
    KeptParts,
    PartStore,
    RegisterBatches,
)
from teipress.render.register_batches import Piece as EntityPiece
from teipress.resolve.extract import document_title
from teipress.splice import Parts, Piece, resolved, separated

R = f"{{{REGISTER_NS}}}"
T = f"{{{TEI_NS}}}"
H_NS = "https://teipress.dev/ns/html"

#: page type -> stylesheet file in xslt/html/
PAGE_STYLESHEETS: dict[str, str] = {
    "html-document": "document.xsl",
    "html-index": "index.xsl",
    "html-register": "register.xsl",
    "html-chronology": "chronology.xsl",
    "html-bibliography": "bibliography.xsl",
    "html-search": "search.xsl",
}

#: register pages: file name -> entity kind
REGISTER_PAGES: dict[str, str] = {
    "persons.html": "person",
    "places.html": "place",
    "organisations.html": "org",
}

#: Page names of the edition itself; mirrors ``$h:reserved`` in xslt/html/layout.xsl.
RESERVED_PAGES = frozenset(
    {"index", "persons", "places", "organisations", "chronology", "bibliography", "search", "terms"})

_SAFE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
_DROP_FROM_INDEX = ("visually-hidden", "note-pop", "card", "anchor", "note-ref-wrap")


def doc_page(doc_id: str) -> str:
    """File name of a document's page, relative to ``output/html/``.

    Mirrors ``h:doc-page`` in layout.xsl: an id that equals one of the edition's own
    page names gets a ``doc-`` prefix so a document can never overwrite ``index.html``.
    Ids are already sanitised by the loader; anything else is refused here too.
    """
    if not _SAFE_ID.fullmatch(doc_id):
        raise ValueError(f"unsafe document id {doc_id!r}")
    return ("doc-" + doc_id if doc_id.lower() in RESERVED_PAGES else doc_id) + ".html"


def assets_dir() -> Path:
    """The folder of static assets that ship next to the stylesheets."""
    return xslt_path("html", "assets")


@dataclass
class SearchEntry:
    """One searchable passage: where it lives, what it is called, its reading text."""

    url: str
    title: str
    kind: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"u": self.url, "t": self.title, "k": self.kind, "x": self.text}


_DROP = frozenset(_DROP_FROM_INDEX)
#: the permalinks of a page: the passages' hosts are their parents
_ANCHORS = etree.XPath("//a[contains(concat(' ', @class, ' '), ' anchor ')]")


def _shown_text(el: Any, parts: list[str]) -> None:
    """Append the text of *el* as displayed: helper elements are skipped, their tails kept.

    One walk over the already parsed page; copying each passage and deleting its helpers
    (the first version) re-serialised and re-parsed every paragraph of every page.
    """
    if el.text:
        parts.append(el.text)
    for child in el:
        if isinstance(child.tag, str) and _DROP.isdisjoint((child.get("class") or "").split()):
            _shown_text(child, parts)
        if child.tail:
            parts.append(child.tail)


def passages_from_page(html: bytes, page: str, doc_title: str) -> list[SearchEntry]:
    """Searchable passages of a rendered document page.

    A passage is every element carrying a permalink (``a.anchor``). Hidden helper
    text (screen-reader explanations, popovers, cards, permalinks) is left out, so the
    index holds the text as displayed.
    """
    # lxml's plain HTML parser: lxml.html's gives every element a Python class of its own,
    # which nothing here uses (the same tree; 11 % of this function's time on Escher pages)
    root = etree.HTML(html)
    out: list[SearchEntry] = []
    anchor: Any
    for anchor in cast(list[Any], _ANCHORS(root)):
        host = anchor.getparent()
        pid = host.get("id") if host is not None else None
        if host is None or not pid:
            continue
        parts: list[str] = []
        _shown_text(host, parts)
        text = " ".join("".join(parts).split())
        if text:
            out.append(SearchEntry(f"{page}#{pid}", doc_title, "text", text))
    return out


#: Where the search index's spans are kept (see teipress.splice), with the page ``search-index``.
SEARCH_INDEX_SPANS = ".edition/search-index.js.spans"
#: The register's entries of the search index, kept between builds (see HtmlFormat.render_edition).
SEARCH_REGISTER_PART = ".edition/search-register.js"
#: entity kinds the search index lists (with the page their entry is on)
SEARCH_KINDS: dict[str, str] = {v: k for k, v in REGISTER_PAGES.items()} | {"bibl": "bibliography.html"}


def register_entries(register: etree._Element) -> list[SearchEntry]:
    """Searchable register entries (names, variants, roles) of persons, places, orgs, works."""
    pages = SEARCH_KINDS
    out: list[SearchEntry] = []
    for ent in register.iter(f"{R}entity"):
        page = pages.get(ent.get("kind", ""))
        if page is None:
            continue
        name = (ent.findtext(f"{R}name") or "").strip()
        parts = [name, *[(v.text or "").strip() for v in ent.iter(f"{R}variant")],
                 *[(v.text or "").strip() for v in ent.iter(f"{R}role")]]
        text = " · ".join(p for p in parts if p)
        out.append(SearchEntry(f"{page}#{ent.get('id', '')}", name, ent.get("kind", ""), text))
    return out


def entries_fragment(entries: Iterable[SearchEntry]) -> str:
    """Entries serialised as they stand in the index, comma-separated (no brackets).

    Each document's fragment is made when the document is rendered and kept with
    its page, so the edition step joins strings instead of re-reading and
    re-serialising every document's passages (21 MB for the Escher letters).
    """
    # a JSON array without its brackets (orjson: the json module's compact text, quicker)
    data = orjson.dumps([e.to_json() for e in entries]).decode("utf-8")[1:-1]
    return data.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def index_js(fragments: Iterable[str | bytes]) -> bytes:
    """The index as a script assigning ``window.TEIPRESS_SEARCH`` (works under file://)."""
    return b"".join(resolved(index_js_chunks(fragments)))


def index_js_chunks(fragments: Iterable[str | Piece]) -> Iterator[Piece]:
    """:func:`index_js` in pieces, one per fragment (the index of a large edition is
    written as its fragments are read; a kept fragment's bytes are written as read,
    or copied from the previous index: see teipress.splice)."""
    yield b"window.TEIPRESS_SEARCH = ["
    # a kept part is a document's sidecar, whose body its entries are (other fragments are all body)
    yield from separated((f.encode("utf-8") if isinstance(f, str) else f for f in fragments), b",",
                         form=sidecar_body, form_name="search-entries")
    yield b"];\n"


def search_index_js(entries: Iterable[SearchEntry]) -> bytes:
    """The index of *entries* (see :func:`index_js`)."""
    return index_js([entries_fragment(entries)])


def header_facts(doc: LoadedDocument) -> bytes:
    """A document's encodingDesc and header dates, as index.html reads them.

    One ``tei:teiHeader`` (``@n`` = document id) holding copies of the encodingDesc
    and, for documents the register could not date, the creation and setting dates.
    """
    header = etree.Element(f"{T}teiHeader", nsmap={None: TEI_NS})  # type: ignore[dict-item]
    header.set("n", doc.doc_id)
    for enc in doc.root.iterfind(f"{T}teiHeader/{T}encodingDesc"):
        header.append(_copy(enc))
    profile = etree.SubElement(header, f"{T}profileDesc")
    for path in (f"{T}teiHeader/{T}profileDesc/{T}creation",
                 f"{T}teiHeader/{T}profileDesc/{T}settingDesc"):
        for el in doc.root.iterfind(path):
            profile.append(_copy(el))
    return etree.tostring(header, encoding="UTF-8", xml_declaration=False)


def _headers_document(doc_recs: Sequence[etree._Element], rendered: Path,
                      documents: Sequence[LoadedDocument]) -> bytes:
    """One teiCorpus of every register document's header facts, in reading order (for index.html).

    Concatenated from the sidecars' facts :meth:`HtmlFormat.render_document` wrote; a
    document without one (rendering without a build) is loaded here instead.
    An encodingDesc identical to one before it is left out: the index shows each
    distinct block once, in the order of first appearance, and the letters of a
    corpus usually share one (the Escher letters: 20 MB of copies of it).
    """
    chunks = [f'<teiCorpus xmlns="{TEI_NS}">'.encode()]
    missing: dict[str, LoadedDocument] | None = None
    seen: set[bytes] = set()

    def first_seen(m: re.Match[bytes]) -> bytes:
        if m.group(0) in seen:
            return b""
        seen.add(m.group(0))
        return m.group(0)

    base = os.fspath(rendered) + os.sep  # strings, not Path objects: thousands of files
    for rec in doc_recs:
        doc_id = rec.get("id", "")
        kept = read_kept(base + document_sidecar(doc_id))
        if kept is not None:
            facts = sidecar_facts(kept)
        else:
            if missing is None:
                missing = {d.doc_id: d for d in documents if d.ok}
            doc = missing.get(doc_id)
            if doc is None:
                continue
            facts = header_facts(doc)
        chunks.append(_ENCODING_DESC.sub(first_seen, facts))
    chunks.append(b"</teiCorpus>")
    return b"".join(chunks)


#: an encodingDesc as header_facts serialises it (never nested)
_ENCODING_DESC = re.compile(rb"<encodingDesc\b.*?</encodingDesc>|<encodingDesc\b[^>]*/>", re.S)


def _bibliography_document(ctx: RenderContext) -> bytes:
    """The authority files' bibliographies in one document (for bibliography.html)."""
    root = etree.Element(f"{T}teiCorpus", nsmap={None: TEI_NS})  # type: ignore[dict-item]
    for path in ctx.config.authority_files():
        doc = load_path(path, ctx.config.root)
        if not doc.ok:
            continue
        for lb in doc.root.iterfind(f".//{T}listBibl"):
            root.append(_copy(lb))
    return etree.tostring(root, encoding="UTF-8")


def _copy(el: etree._Element) -> etree._Element:
    return etree.fromstring(etree.tostring(el))


class HtmlFormat:
    """The HTML edition (``teipress build --format html`` -> ``output/html/``)."""

    name = "html"

    #: the stylesheets each document needs (the others make edition pages: see engine_for)
    document_stylesheets = ("html-document",)

    def stylesheets(self) -> dict[str, Path]:
        return {key: xslt_path("html", file) for key, file in PAGE_STYLESHEETS.items()}

    def _params(self, ctx: RenderContext, doc_id: str = "", **extra: Any) -> dict[str, Any]:
        return ctx.params(doc_id, **{"teipress-version": teipress.__version__, **extra})

    def render_document(self, ctx: RenderContext, doc: LoadedDocument, node: Any) -> list[OutputFile]:
        """The document's page, a copy of its TEI source (for the download link) and its
        sidecar (``.documents/<id>``, see :func:`~teipress.render.sidecar_file`): its
        header facts for the index, and its search entries serialised as they stand in
        the index.

        The passages are extracted here, from the page just rendered, so the work runs
        in the parallel workers and is kept with the page when the document is
        unchanged; the edition step only concatenates the sidecars.
        """
        page = doc_page(doc.doc_id)
        html = ctx.engine.transform("html-document", node, self._params(ctx, doc.doc_id)).encode("utf-8")
        # the register's title of the document (resolve.extract reads it the same way)
        title = document_title(doc.root) or doc.doc_id
        entries = [SearchEntry(page, title, "document", title), *passages_from_page(html, page, title)]
        return [OutputFile(page, html),
                OutputFile(f"tei/{doc.doc_id}.xml", doc.data),
                sidecar_file(doc.doc_id, header_facts(doc), entries_fragment(entries).encode("utf-8"))]

    def edition_facts(self, doc_id: str) -> Sequence[str]:
        """The sidecar (its facts): index.html shows the documents' encodingDesc and header dates."""
        return [document_sidecar(doc_id)]

    def edition_keys(self, config: Config, register: RegisterSource,
                     documents: Mapping[str, DocumentKeys]) -> dict[str, str]:
        """Keys of index, register pages, chronology, bibliography, search page and index, assets.

        Every page shows the edition record (title, editors, licence in the shell). The
        document pages' text matters only to the search index, through the documents'
        keys; titles and dates show in the index and wherever a passage is linked.
        """
        reg = keys.view(register)
        ed = reg.edition_digest()
        order = keys.documents_in_order(reg, documents)
        search_register = KeyBuilder(reg.entities_digest(frozenset(SEARCH_KINDS))).hexdigest()
        out = {
            "index": KeyBuilder(ed, reg.document_records(), reg.counts_digest(),
                                reg.entities_digest(frozenset({"person", "place", "org"})))
            .add_all(f"{d}\x00{documents[d].facts}" for d in order).hexdigest(),
            "chronology": KeyBuilder(ed, reg.chronology_digest()).hexdigest(),
            "bibliography": KeyBuilder(ed, reg.entities_digest(frozenset({"bibl"}), mentions=True),
                                       reg.authority_pointers_digest(),
                                       keys.bibliography_digest(config.authority_files())).hexdigest(),
            "search": KeyBuilder(ed).hexdigest(),
            "search-register": search_register,
            "search-index": KeyBuilder(reg.document_labels(), search_register)
            .add_all(f"{d}\x00{documents[d].key}" for d in order).hexdigest(),
            "assets": KeyBuilder(*(p.relative_to(assets_dir()).as_posix() for p in _assets())).hexdigest(),
        }
        for page, kind in REGISTER_PAGES.items():
            out[page.removesuffix(".html")] = KeyBuilder(
                ed, reg.entities_digest(frozenset({kind}), mentions=True)).hexdigest()
        return out

    def edition_groups(self, pages: Sequence[str], share_reads: bool = False) -> list[list[str]]:
        """The persons page, the other register pages and the bibliography, then the other
        pages (the register's outline, the sidecars); with *share_reads* the register
        pages are one group.

        A group of register pages reads the complete register once, in batches (only
        its kinds' entities). As one group they were the edition's longest task by far
        (the Escher letters: 10.5 s in one worker, the other done with every other
        edition page after 5.1 s), and persons hold the largest share of the mentions,
        so the two halves are of a size (5.0 and 4.5 s). Two passes at once hold two
        passes' memory (the synthetic 5,000 documents' peak: 796 -> 939 MiB), which the
        build avoids for a large register (see ``build.APART_REGISTER_MAX``).
        """
        registers = {page.removesuffix(".html") for page in REGISTER_PAGES} | {"bibliography"}
        wanted = [p for p in pages if p in registers]
        others = [p for p in pages if p not in registers]
        if share_reads:
            return [wanted, others]
        return [[p for p in wanted if p == "persons"], [p for p in wanted if p != "persons"], others]

    def render_edition(self, ctx: RenderContext, documents: Sequence[LoadedDocument],
                       rendered: Path, pages: Collection[str] | None = None) -> list[OutputFile]:
        """Index, registers, chronology, bibliography, search page, search index, assets.

        Only *pages* (names from :meth:`edition_keys`; ``None``: all) are made. The
        index reads the header facts of the documents' sidecars and the search index
        their entries, both written by :meth:`render_document`; no document is loaded
        again unless a sidecar is missing.
        """
        eng = ctx.engine
        out: list[OutputFile] = []

        def want(page: str) -> bool:
            return pages is None or page in pages

        def doc_recs() -> list[etree._Element]:  # only when needed: the register pages do without the tree
            return list(ctx.documents_tree.iter(f"{R}document"))

        if want("index"):
            headers = eng.parse(_headers_document(doc_recs(), rendered, documents))
            out.append(OutputFile("index.html", eng.transform(
                "html-index", headers, self._params(ctx)).encode("utf-8"), "index"))
        kinds = {kind for page, kind in REGISTER_PAGES.items() if want(page.removesuffix(".html"))}
        made = self.register_page_chunks(ctx, kinds | ({"bibl"} if want("bibliography") else set()))
        for page, kind in REGISTER_PAGES.items():
            if kind in made:
                out.append(OutputFile(page, _encoded(made[kind]), page.removesuffix(".html")))
        if want("chronology"):
            out.append(OutputFile("chronology.html", eng.transform(
                "html-chronology", ctx.register, self._params(ctx)).encode("utf-8"), "chronology"))
        if "bibl" in made:
            out.append(OutputFile("bibliography.html", _encoded(made["bibl"]), "bibliography"))
        if want("search"):
            out.append(OutputFile("search.html", eng.transform(
                "html-search", ctx.register, self._params(ctx)).encode("utf-8"), "search"))
        # The register's entries in the search index are a part of their own, kept for the
        # next build (only a build asks for it by name): joining the index after a
        # document changed then reads no entity of the register.
        register_part: bytes | None = None
        if pages is not None and "search-register" in pages:
            register_part = entries_fragment(register_entries(ctx.register_tree)).encode("utf-8")
            out.append(OutputFile(SEARCH_REGISTER_PART, register_part, "search-register"))
        if want("search-index"):
            if register_part is None:  # kept by the previous build (only a build keeps it)
                kept = read_kept(os.path.join(rendered, SEARCH_REGISTER_PART)) if pages is not None else None
                register_part = (kept if kept is not None
                                 else entries_fragment(register_entries(ctx.register_tree)).encode("utf-8"))
            recs, entities = doc_recs(), register_part
            out.append(OutputFile("search-index.js",
                                  lambda: index_js_chunks(_search_fragments(recs, rendered, entities)),
                                  "search-index", spans=SEARCH_INDEX_SPANS))
        if want("assets"):
            base = assets_dir()
            out.extend(OutputFile("assets/" + asset.relative_to(base).as_posix(), asset.read_bytes(), "assets")
                       for asset in _assets())
        return out

    def register_pages(self, ctx: RenderContext, kinds: Collection[str], source: bytes | Path | None = None, *,
                       max_entities: int = BATCH_ENTITIES,
                       max_mentions: int = BATCH_MENTIONS) -> dict[str, str]:
        """The register pages of *kinds* (``bibl``: bibliography.html), by kind, each whole
        (see :meth:`register_page_chunks`)."""
        made = self.register_page_chunks(ctx, kinds, source, max_entities=max_entities, max_mentions=max_mentions)
        return {kind: "".join(chunks()) for kind, chunks in made.items()}

    def register_page_chunks(self, ctx: RenderContext, kinds: Collection[str], source: bytes | Path | None = None,
                             *, max_entities: int = BATCH_ENTITIES, max_mentions: int = BATCH_MENTIONS,
                             ) -> dict[str, Callable[[], Iterator[str]]]:
        """The register pages of *kinds* (``bibl``: bibliography.html), by kind, rendered in
        pieces and given as functions that yield each page in pieces.

        The register's mentions are most of its size, and these pages show all of them.
        So they are read here from the complete register (*source*, default
        ``ctx.register_source``) in batches of at most *max_entities* entities and about
        *max_mentions* mentions (:class:`~teipress.render.register_batches.RegisterBatches`),
        each transformed alone (template ``h:parts``); each page's frame is rendered
        from the register's outline (no mentions), with a marker comment where each
        entity's part goes, and the parts are put in place. ``ctx.register`` is not
        read: it may hold no mentions. The pages are the same bytes as one transform
        of the whole register without ``part-marker`` (tested). A page is never held
        whole (nor its encoded copy): the parts are yielded in the frame's order, as
        they are written. A page listing 5,000 documents under each person held three
        copies of itself (the parts, the page, its bytes).
        """
        if not kinds:
            return {}
        eng = ctx.engine
        marker = secrets.token_hex(8)
        parts = PartStore()  # entity id -> its part, and its further mentions
        src = ctx.register_source if source is None else source
        folder = ctx.kept_parts
        kept = ({kind: KeptParts(folder / f"{kind}.parts", ctx.kept_parts_salt) for kind in kinds}
                if folder is not None else {})
        try:
            reader = RegisterBatches(src, kinds, max_entities=max_entities, max_mentions=max_mentions)
            for batch in reader.batches():
                self._render_batch(ctx, reader, batch, marker, parts, kept.get(batch.kind))
            if reader.irregular:  # split where a document's mentions were not contiguous: once more, whole
                for entity_id in reader.irregular:
                    parts.forget(entity_id)
                again = RegisterBatches(src, kinds, only=reader.irregular)
                for batch in again.batches():
                    self._render_batch(ctx, again, batch, marker, parts, kept.get(batch.kind))
        except BaseException:
            for store in kept.values():
                store.discard()
            raise
        for store in kept.values():
            store.save()
        outline = eng.parse(reader.outline)
        marks = re.compile(f"<!--{marker} (entry|more) ([A-Za-z0-9%_.~]*)-->")

        def expand(text: str, placed: set[str] | None = None) -> Iterator[str]:
            # the text with each marker replaced by its part (recursively) or the
            # further mentions; with *placed*, only the names of the latter are noted
            pos = 0
            for m in marks.finditer(text):
                if placed is None:
                    yield text[pos:m.start()]
                pos = m.end()
                entity_id = unquote(m[2])
                if m[1] == "more":
                    if placed is not None:
                        placed.add(entity_id)
                    else:
                        yield from parts.more(entity_id)
                elif entity_id not in parts:
                    raise ValueError(f"register page: no part rendered for entity {entity_id!r}")
                else:
                    yield from expand(parts.part(entity_id), placed)
            if placed is None:
                yield text[pos:]

        frames: dict[str, str] = {}
        for kind in sorted(kinds):
            params = self._params(ctx, register=outline, kind=kind, **{"part-marker": marker})
            if kind == "bibl":
                frames[kind] = eng.transform("html-bibliography", eng.parse(_bibliography_document(ctx)), params)
            else:
                frames[kind] = eng.transform("html-register", outline, params)
        # every marker is checked now, before anything is written
        placed: set[str] = set()
        for frame in frames.values():
            for _ in expand(frame, placed):
                pass
        if lost := parts.with_more() - placed:
            raise ValueError(f"register pages: no place for the further mentions of {sorted(lost)}")
        return {kind: partial(expand, frame) for kind, frame in frames.items()}

    def _render_batch(self, ctx: RenderContext, reader: RegisterBatches, batch: Batch, marker: str,
                      parts: PartStore, kept: KeptParts | None = None) -> None:
        """Transform one batch and file each piece's HTML under its entity; with *kept*,
        only the pieces it holds no rendering of are transformed (see :class:`KeptParts`)."""
        texts: dict[int, str] = {}
        keys: list[str] = []
        if kept is not None:
            keys = [kept.key(batch.kind, reader.edition, p, reader.records(p)) for p in batch.pieces]
            for i, key in enumerate(keys):
                text = kept.use(key, marker)
                if text is not None:
                    texts[i] = text
        todo = [i for i in range(len(batch.pieces)) if i not in texts]
        if todo:
            pieces = [batch.pieces[i] for i in todo]
            xml = batch.xml if len(todo) == len(batch.pieces) else reader.batch_of(batch.kind, pieces).xml
            for i, text in zip(todo, self._transform_pieces(ctx, batch.kind, xml, pieces, marker), strict=True):
                texts[i] = text
                if kept is not None:
                    kept.put(keys[i], text, marker)
        for i, piece in enumerate(batch.pieces):
            if piece.part == 1:
                parts.put(piece.entity_id, texts[i])
            else:
                parts.add_more(piece.entity_id, texts[i])

    def _transform_pieces(self, ctx: RenderContext, kind: str, xml: bytes, pieces: list[EntityPiece],
                          marker: str) -> list[str]:
        """The HTML of each of *pieces*, from one transform (template ``h:parts``) of *xml*."""
        sheet = "html-bibliography" if kind == "bibl" else "html-register"
        html = ctx.engine.call(sheet, f"{{{H_NS}}}parts", self._params(
            ctx, register=ctx.engine.parse(xml), kind=kind, **{"part-marker": marker}))
        starts = html.split(f"<!--{marker} entry ")
        if starts[0] or len(starts) != len(pieces) + 1:
            raise ValueError(f"{sheet}: h:parts wrote {len(starts) - 1} parts for {len(pieces)} entities")
        out: list[str] = []
        for piece, text in zip(pieces, starts[1:], strict=True):
            encoded, _, body = text.partition("-->")
            if unquote(encoded) != piece.entity_id:
                raise ValueError(f"{sheet}: h:parts wrote {unquote(encoded)!r} for {piece.entity_id!r}")
            out.append(body)
        return out


def _encoded(chunks: Callable[[], Iterator[str]]) -> Callable[[], Iterator[bytes]]:
    """A page given in pieces (text), as the pieces of its UTF-8 file."""
    return lambda: (chunk.encode("utf-8") for chunk in chunks())


def _assets() -> list[Path]:
    return sorted(p for p in assets_dir().rglob("*") if p.is_file())


def _search_fragments(doc_recs: list[etree._Element], rendered: Path,
                      register_part: bytes) -> Iterator[Piece]:
    """Documents and their passages (their kept fragments, in reading order, named as
    parts), then the register's entries (*register_part*, from :func:`register_entries`)."""
    base = os.fspath(rendered) + os.sep  # strings, not Path objects: thousands of files

    paths = [base + document_sidecar(rec.get("id", "")) for rec in doc_recs]
    rec_of = dict(zip(paths, doc_recs, strict=True))

    def from_page(path: str) -> bytes:
        # no kept fragment (no build): made from the page, if there is one (a document
        # that failed to render has none, and no entry)
        rec = rec_of[path]
        doc_id = rec.get("id", "")
        page = doc_page(doc_id)
        html = read_kept(base + page)
        if html is None:
            return b""
        title = (rec.findtext(f"{R}title") or doc_id).strip()
        return entries_fragment([SearchEntry(page, title, "document", title),
                                 *passages_from_page(html, page, title)]).encode("utf-8")

    # a page's fragment is written with the page (HtmlFormat.render_document): where one
    # is, so is the other, and only a missing fragment needs the page looked at
    yield Parts(paths, otherwise=from_page)
    yield register_part


FORMAT = HtmlFormat()
