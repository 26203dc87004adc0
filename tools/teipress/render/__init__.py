"""Phase 4, render: turn TEI documents plus the register into edition files.

Each edition format is one module here (``text``, ``html``, ``print_``) exposing
an object that satisfies :class:`EditionFormat`. A format names the
stylesheets it needs; the caller compiles *all* of them into one locked
:class:`~teipress.xslt.XsltEngine` per process (compile once, render many) and
passes a :class:`RenderContext` holding that engine and the register, parsed
once. Formats return :class:`OutputFile` objects and never write to disk
themselves: the build phase owns where and how (staging, atomic replace).

Edition-wide files are grouped into *pages* (one page name may cover several
files, e.g. the book and its PDF). Each format says per page a dependency key
(:meth:`EditionFormat.edition_keys`, computed in the build's parent process from
the register tree and the documents' keys) and renders only the pages asked
for; the build keeps the others' published files (see ``teipress.build``).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from lxml import etree

from teipress.config import Config
from teipress.load import LoadedDocument
from teipress.render.keys import DocumentKeys, RegisterSource
from teipress.render.register_index import register_core, register_documents
from teipress.splice import Piece, resolved
from teipress.xslt import ParamValue, XsltEngine

__all__ = ["DocumentKeys", "EditionFormat", "OutputFile", "RenderContext", "document_sidecar", "engine_for",
           "get_format", "read_chunks", "read_kept", "sidecar_body", "sidecar_facts", "sidecar_file",
           "unsafe_relpath"]


@dataclass(frozen=True)
class OutputFile:
    """One file of an edition, relative to the format's output folder.

    ``page`` names the edition page (group of files) an edition-wide file belongs
    to, so the build can record and keep it with that page's key; per-document
    files leave it empty. Edition-wide files are written by the process that
    renders them (:meth:`chunks`); only their names travel back to the build.
    """

    relpath: str
    #: the bytes, or (a large edition-wide file) a function that yields them in pieces:
    #: bytes, or kept per-document files named as :class:`~teipress.splice.Part`
    content: bytes | Callable[[], Iterable[Piece]]
    page: str = ""
    #: for a file joined from kept parts: where the build keeps its spans (relative
    #: path), so the next build copies unchanged parts from it (see teipress.splice)
    spans: str = ""
    #: for a document's sidecar (:func:`sidecar_file`): what edition pages' keys depend
    #: on, when that is not the whole file (see ``EditionFormat.edition_facts``)
    facts: bytes | None = None

    @property
    def data(self) -> bytes:
        """The whole content in memory (tests, digests of small files)."""
        return b"".join(self.chunks())

    def chunks(self) -> Iterable[bytes]:
        """The content in pieces: a book or search index of thousands of documents is
        written as it is read from the per-document parts, never held whole."""
        return (self.content,) if isinstance(self.content, bytes) else resolved(self.content())

    def pieces(self) -> Iterable[Piece]:
        """The content in pieces, kept parts named rather than read (see teipress.splice)."""
        return (self.content,) if isinstance(self.content, bytes) else self.content()

    def __post_init__(self) -> None:
        if unsafe_relpath(self.relpath) or (self.spans and unsafe_relpath(self.spans)):
            raise ValueError(f"unsafe output path {self.relpath!r}")


def unsafe_relpath(relpath: str) -> bool:
    """Whether *relpath* could name something outside the folder it is relative to (or
    the folder itself): absolute, with a ``..`` step, a backslash, or no name at all.

    The rule for every output file a format names, and for the names a build reads
    back from a previous manifest. Plain string tests: a build checks tens of
    thousands of names.
    """
    steps = relpath.split("/")
    return ("\\" in relpath or relpath.startswith("/") or ".." in steps
            or all(step in ("", ".") for step in steps))


#: Where a format keeps what its edition pages read of each document (:func:`sidecar_file`)
SIDECARS = ".documents/"
#: Ends a sidecar's facts: no XML, HTML or JSON text holds a NUL character
_FACTS_END = b"\0"


def document_sidecar(doc_id: str) -> str:
    """The sidecar of document *doc_id*, relative to its format's folder."""
    return f"{SIDECARS}{doc_id}"


def sidecar_file(doc_id: str, facts: bytes, body: bytes) -> OutputFile:
    """What a format keeps of a rendered document for its edition pages, as one file.

    *facts* is what edition pages made from the facts alone read (the HTML index: the
    header; the book's frame: titles, dates, index anchors), so the documents' facts
    hashes (see ``EditionFormat.edition_facts``) cover them alone; *body* is the
    document's part of a joined edition file (the search index's entries, the book's
    section), joined as :func:`sidecar_body` reads it. One file where there were two:
    creating a file can be most of the cost of writing a small one (0.2-0.7 ms of kernel
    time on an ext4 without a journal soon after many files were deleted, which a
    ``--clean`` build does: its allocator skips recently freed inodes one by one), and a
    build writes one per document.
    """
    return OutputFile(document_sidecar(doc_id), facts + _FACTS_END + body, facts=facts)


def sidecar_facts(data: bytes) -> bytes:
    """The facts of a sidecar's bytes (none without the separator)."""
    end = data.find(_FACTS_END)
    return data[:end] if end >= 0 else b""


def sidecar_body(data: bytes) -> bytes:
    """The body of a sidecar's bytes; bytes without the separator are all body (a
    document's part made again where its sidecar is missing)."""
    return data[data.find(_FACTS_END) + 1:]


def present_files(folder: str | os.PathLike[str]) -> frozenset[str]:
    """The names of the files in *folder* (none if it is missing), from one listing.

    Whether each of thousands of per-document files is there, asked of the listing
    rather than with a ``stat`` each (the Escher letters' 5,019: 0.015 s against 0.002 s).
    """
    try:
        with os.scandir(folder) as entries:
            return frozenset(e.name for e in entries if e.is_file())
    except (FileNotFoundError, NotADirectoryError):
        return frozenset()


def read_kept(path: str) -> bytes | None:
    """The file a build wrote or kept at *path*, or None if there is none.

    A plain string path, not a ``Path``: edition files (the search index, the book,
    ``edition.txt``) are joined from thousands of per-document files.
    """
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def read_chunks(f: IO[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    """An open binary file's content, *size* bytes at a time (kept frames and books of
    tens of MB are copied through, never held whole)."""
    while block := f.read(size):
        yield block


class RenderContext:
    """What every render call needs, built once per process.

    The register is parsed (for Saxon, and as an lxml tree for the Python side of
    edition pages) on first use. With *slice_of*, per-document transforms get
    the document's own slice of the register instead (``slice_of(doc_id)``: the
    records its pages show), so rendering a few changed documents of a large
    corpus does not parse a register of tens of megabytes; edition-wide
    transforms (``doc-id`` empty) always get the whole register, or what the build
    gives as such: the register's outline (:meth:`RegisterIndex.outline_xml`,
    without the mention and pointer bulk), with *full_register* (bytes or a file)
    the complete register for the pages that list every mention.
    """

    def __init__(self, config: Config, engine: XsltEngine, register_xml: bytes | Callable[[], bytes],
                 register_tree: etree._Element | None, build_date: str,
                 slice_of: Callable[[str], bytes] | None = None, *,
                 full_register: bytes | Path | None = None) -> None:
        self.config = config
        self.engine = engine
        self.build_date = build_date
        self.slice_of = slice_of
        #: where register pages keep their rendered pieces between builds (a build sets it,
        #: see ``register_batches.KeptParts``), and what those depend on besides the register
        self.kept_parts: Path | None = None
        self.kept_parts_salt = ""
        self.use_register(register_xml, full_register)
        self._tree: etree._Element | None = register_tree

    def use_register(self, register_xml: bytes | Callable[[], bytes], full_register: bytes | Path | None) -> None:
        """Read another register from now on (see the class doc); what was parsed of the
        previous one is dropped."""
        #: the register (bytes), or a function that makes it when first needed
        self._register_xml = register_xml
        #: the complete register (every mention), as bytes or a file
        self._full = full_register
        self._tree = None
        self._documents: etree._Element | None = None
        self._register: Any = None
        self._slice: tuple[str, Any] | None = None

    @property
    def register_xml(self) -> bytes:
        """The register edition-wide transforms get (made on first use if given as a function:
        a build that renders a few documents and no edition page never needs it)."""
        if not isinstance(self._register_xml, bytes):
            self._register_xml = self._register_xml()
        return self._register_xml

    @property
    def register_source(self) -> bytes | Path:
        """The complete register (every mention), as bytes or a file."""
        return self._full if self._full is not None else self.register_xml

    @property
    def register(self) -> Any:
        """The whole register, parsed for Saxon."""
        if self._register is None:
            self._register = self.engine.parse(self.register_xml)
        return self._register

    @property
    def register_tree(self) -> etree._Element:
        """The register's edition, documents and entities as an lxml tree, for the Python
        side of edition pages (reading order, titles, names for the search index).

        Mentions and everything after the entities (chronology, pointers, notes) are
        cut from the bytes before parsing: as an lxml tree they would cost about ten
        times their size in memory, and no Python code reads them here (the
        stylesheets get the register through :meth:`register`). When the register
        edition pages get is still to be made (a build's own process), the complete
        register is read instead: cutting it costs less than making the outline.
        """
        if self._tree is None:
            source = self._python_side_source
            self._tree = etree.fromstring(register_core(source if isinstance(source, bytes) else source.read_bytes()))
        return self._tree

    @property
    def _python_side_source(self) -> bytes | Path:
        """What the Python side's trees are cut from: the register edition pages get when
        it is made already, else the complete register (cutting it costs less than making
        the outline)."""
        return self._register_xml if isinstance(self._register_xml, bytes) else self.register_source

    @property
    def documents_tree(self) -> etree._Element:
        """The register's edition record and documents as an lxml tree: reading order,
        titles and dates, what edition files joined from the documents' parts need.

        Read from the head of the register (:func:`register_documents`), so joining
        ``edition.txt`` after one letter changed neither cuts nor parses the register's
        entities; the whole :attr:`register_tree` when that is parsed already.
        """
        if self._tree is not None:
            return self._tree
        if self._documents is None:
            self._documents = etree.fromstring(register_documents(self._python_side_source))
        return self._documents

    def register_for(self, doc_id: str) -> Any:
        """The register node a transform of *doc_id* reads (see the class doc)."""
        if doc_id and self._slice is not None and self._slice[0] == doc_id:
            return self._slice[1]
        if not doc_id or self.slice_of is None:
            return self.register
        self.use_slice(doc_id, self.slice_of(doc_id))
        assert self._slice is not None
        return self._slice[1]

    def use_slice(self, doc_id: str, data: bytes) -> None:
        """Render *doc_id* from this slice of the register (a pool worker receives it with the task)."""
        self._slice = (doc_id, self.engine.parse(data))

    def params(self, doc_id: str = "", *, register: Any = None, **extra: ParamValue) -> dict[str, ParamValue]:
        """The global parameters of xslt/common.xsl plus format-specific extras.

        *register* replaces the register the transform would get (a piece of it, for
        pages made in pieces), and then the whole one is not parsed.
        """
        reg = register if register is not None else self.register_for(doc_id)
        return {"register": reg, "doc-id": doc_id, "build-date": self.build_date, **extra}


class EditionFormat(Protocol):
    """An edition format: its stylesheets, per-document pages and edition-wide pages."""

    name: str

    #: Names of the stylesheets :meth:`render_document` uses; the others are compiled
    #: only when an edition page needs them (see :func:`engine_for`).
    document_stylesheets: tuple[str, ...]

    def stylesheets(self) -> Mapping[str, Path]:
        """Stylesheets to compile, by engine name (names must be unique across formats)."""
        ...

    def render_document(self, ctx: RenderContext, doc: LoadedDocument, node: Any) -> list[OutputFile]:
        """Files for one document; *node* is the document parsed for Saxon."""
        ...

    def edition_facts(self, doc_id: str) -> Sequence[str]:
        """Per-document files (relative paths) whose content edition pages show.

        The build hashes them (a sidecar's facts alone: :func:`sidecar_file`) when they
        are written and passes the hash as :attr:`DocumentKeys.facts` to :meth:`edition_keys`: it is how a page that
        shows, say, a document's header but not its text learns that the header
        changed, without reading every document again.
        """
        ...

    def edition_keys(self, config: Config, register: RegisterSource,
                     documents: Mapping[str, DocumentKeys]) -> dict[str, str]:
        """Per edition page, a key over exactly what the page shows.

        Runs in the build's parent before any edition page is rendered, so it must
        be cheap: it reads the register tree (never the ``built`` stamp or other
        data no page shows) and *documents* (doc id -> keys, for every document
        of the edition), not the documents themselves. The build adds the
        format's environment key (stylesheets, configuration, version).
        """
        ...

    def edition_groups(self, pages: Sequence[str], share_reads: bool = False) -> list[list[str]]:
        """*pages* in groups that can be made independently (by different processes at
        the same time), the most expensive group first; pages that read each other's
        files (a book and its frame) stay in one group. *share_reads*: pages that read
        the same large input stay in one group too (the groups run one after the other
        in one process, where a second read only adds its time; or the input is so
        large that two processes reading it at once would hold it twice)."""
        ...

    def render_edition(self, ctx: RenderContext, documents: Sequence[LoadedDocument],
                       rendered: Path, pages: Collection[str] | None = None) -> list[OutputFile]:
        """Edition-wide files (indexes, registers, whole-edition files) of *pages*.

        *pages* are names from :meth:`edition_keys`; each file returned carries
        its page name. ``None`` (callers outside a build) renders every page but
        returns only the edition's own files, not the parts a format keeps for
        the next build's assembly (such as a front matter or the book's frame). *rendered* is the staging folder of this
        format, already holding every per-document file and the files of the
        pages not asked for (kept from the previous build), for formats that
        assemble from them.
        """
        ...


#: format name -> module that exposes ``FORMAT``
FORMAT_MODULES: dict[str, str] = {
    "html": "teipress.render.html",
    "print": "teipress.render.print_",
    "text": "teipress.render.text",
}


def get_format(name: str) -> EditionFormat:
    """The format object for *name* (``KeyError`` if unknown)."""
    module = importlib.import_module(FORMAT_MODULES[name])
    fmt: EditionFormat = module.FORMAT
    return fmt


def engine_for(formats: Sequence[EditionFormat]) -> XsltEngine:
    """One locked engine with every stylesheet the given formats need: the per-document
    ones compiled now, the edition pages' when a page first needs one (a rebuild after
    an edit often needs none: the pages it redoes are joined from kept parts)."""
    sheets: dict[str, Path] = {}
    for fmt in formats:
        for key, path in fmt.stylesheets().items():
            if key in sheets and sheets[key] != path:
                raise ValueError(f"stylesheet name {key!r} used by two formats")
            sheets[key] = path
    now = {name for fmt in formats for name in fmt.document_stylesheets}
    return XsltEngine({k: v for k, v in sheets.items() if k in now},
                      later={k: v for k, v in sheets.items() if k not in now})
