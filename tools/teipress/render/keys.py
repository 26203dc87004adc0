"""Dependency keys of edition-wide pages: hashes of exactly what a page shows.

Why: an edition page (an index, a register page, the book) must be redone when
what it shows changed and only then. Hashing the whole register would redo every
page after any edit (a mention's line number moves when a line is added above
it; the ``built`` stamp changes every run). So each format names, per page or
group of files, the register records and per-document facts the page displays,
and this module hashes just those, cheaply, from the register tree the parent
process already holds.

:class:`RegisterView` indexes the tree once and memoises per-record digests, so
the formats' keys share the work (one view per register tree, see :func:`view`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from teipress import REGISTER_NS

R = f"{{{REGISTER_NS}}}"
_MENTION = f"{R}mention"


@dataclass(frozen=True)
class DocumentKeys:
    """What the build knows about one document's rendering in one format.

    ``key`` changes whenever the document's own pages change (source, stylesheets,
    configuration, the register records the pages show); ``facts`` is the hash of
    the document's files that edition pages read beyond the register (see
    :meth:`~teipress.render.EditionFormat.edition_facts`), so that a change of the
    text alone leaves pages that show only titles or headers alone.
    """

    key: str
    facts: str = ""


def element_digest(el: etree._Element | None, *, drop_attrs: frozenset[str] = frozenset(),
                   drop_children: frozenset[str] = frozenset()) -> bytes:
    """SHA-256 of *el*: its name, attributes (sorted, minus *drop_attrs*), text and children.

    Children whose tag is in *drop_children* are skipped; the others are hashed as
    serialised by libxml2 (with their subtrees and tails), so a large record costs
    one Python step per direct child, not per descendant. The drops apply to *el*
    and its direct children only, which is all the register needs (a document's
    ``sha256``, an entity's ``line`` and ``mention`` children, an event's ``line``).
    """
    h = hashlib.sha256()
    if el is None:
        return h.digest()
    h.update(b"<" + str(el.tag).encode())
    for name, value in sorted(el.attrib.items()):
        if name not in drop_attrs:
            h.update(b"\x01" + str(name).encode() + b"\x02" + str(value).encode())
    h.update(b"\x03" + (el.text or "").encode())
    for child in el:
        if child.tag in drop_children:
            h.update(b"\x04" + (child.tail or "").encode())
        else:
            h.update(b"\x05" + etree.tostring(child, encoding="utf-8"))
    return h.digest()


class KeyBuilder:
    """A SHA-256 fed with labelled parts; the label keeps adjacent parts apart."""

    def __init__(self, *parts: str | bytes) -> None:
        self._h = hashlib.sha256()
        for p in parts:
            self.add(p)

    def add(self, part: str | bytes) -> KeyBuilder:
        data = part.encode() if isinstance(part, str) else part
        self._h.update(len(data).to_bytes(8, "big"))
        self._h.update(data)
        return self

    def add_all(self, parts: Iterable[str | bytes]) -> KeyBuilder:
        for p in parts:
            self.add(p)
        return self

    def hexdigest(self) -> str:
        return self._h.hexdigest()


class LazyRegister:
    """A register tree parsed from its bytes on first use and indexed once (by subclasses)."""

    def __init__(self, tree: etree._Element | None, xml: bytes, shares: LazyRegister | None = None) -> None:
        self._tree = tree
        self._xml = xml
        #: another view of the same register whose tree this one uses (one parse for both)
        self._shares = shares
        self._indexed = False

    @property
    def register(self) -> etree._Element:
        if self._tree is None:
            self._tree = self._shares.register if self._shares is not None else etree.fromstring(self._xml)
        return self._tree

    def index(self) -> None:
        """Build the index now (before many lookups)."""
        if not self._indexed:
            self._build_index(self.register)
            self._indexed = True

    def _build_index(self, register: etree._Element) -> None:
        raise NotImplementedError


class RegisterView(LazyRegister):
    """The register indexed once, with the digests the edition keys are made of.

    The tree is parsed from *xml* (or taken as given) only when a digest is not
    already known: a build that reuses the previous resolve results passes the
    previous digests in (*digests*, see :meth:`saved`), so the edition keys of an
    unchanged register cost no parse and no walk.
    """

    def __init__(self, register: etree._Element | None = None, *, xml: bytes = b"",
                 digests: Mapping[str, str] | None = None, shares: LazyRegister | None = None) -> None:
        super().__init__(register, xml, shares)
        self._memo: dict[str, bytes] = {}
        self._labels: dict[str, bytes] = {}
        self._order: list[str] | None = None
        for name, value in (digests or {}).items():
            if name == "order":
                self._order = value.split("\n") if value else []
            elif name.startswith("label:"):
                self._labels[name[6:]] = bytes.fromhex(value)
            else:
                self._memo[name] = bytes.fromhex(value)

    def saved(self) -> dict[str, str]:
        """The digests computed so far, for the next build (see the class doc)."""
        out = {name: value.hex() for name, value in self._memo.items()}
        out.update({f"label:{d}": value.hex() for d, value in self._labels.items()})
        out["order"] = "\n".join(self.order())
        return out

    def _build_index(self, register: etree._Element) -> None:
        self._edition = register.find(f"{R}edition")
        self._documents = list(register.iter(f"{R}document"))
        self._docs = {d.get("id", ""): d for d in self._documents}
        self._entities = list(register.iter(f"{R}entity"))
        self._entity_by_id = {e.get("id", ""): e for e in self._entities}

    @property
    def edition(self) -> etree._Element | None:
        self.index()
        return self._edition

    @property
    def documents(self) -> list[etree._Element]:
        self.index()
        return self._documents

    @property
    def docs(self) -> dict[str, etree._Element]:
        self.index()
        return self._docs

    @property
    def entities(self) -> list[etree._Element]:
        self.index()
        return self._entities

    @property
    def entity_by_id(self) -> dict[str, etree._Element]:
        self.index()
        return self._entity_by_id

    def order(self) -> list[str]:
        """Document ids in reading order."""
        if self._order is None:
            self._order = list(self.docs)
        return self._order

    def _cached(self, name: str, make: Callable[[], bytes]) -> bytes:
        value = self._memo.get(name)
        if value is None:
            value = self._memo[name] = make()
        return value

    def edition_digest(self) -> bytes:
        """The edition's title, editors, imprint: in the shell of every page."""
        return self._cached("edition", lambda: element_digest(self.edition))

    def document_records(self) -> bytes:
        """Every document record in reading order, without its content hash.

        A record's ``sha256`` changes with any edit of the text, which no edition
        page shows; titles, dates, participants, summaries, order and neighbours do.
        """
        return self._cached("documents", lambda: _digest_all(
            element_digest(d, drop_attrs=frozenset({"sha256"})) for d in self.documents))

    def document_labels(self) -> bytes:
        """Id, title and date of every document in reading order (contents lists)."""
        return self._cached("labels", lambda: _digest_all(self._label(d) for d in self.documents))

    def _label(self, d: etree._Element) -> bytes:
        return element_digest(d, drop_attrs=frozenset({"sha256", "file", "prev", "next", "href"}),
                              drop_children=frozenset({f"{R}participant", f"{R}summary"}))

    def label_of(self, doc_id: str) -> bytes:
        """Title and date of one document (what a link to it shows)."""
        label = self._labels.get(doc_id)
        if label is None:
            d = self.docs.get(doc_id)
            label = self._labels[doc_id] = self._label(d) if d is not None else b"-"
        return label

    def entity_digest(self, ent: etree._Element) -> bytes:
        """An entity as a register entry shows it: without its mentions or authority line."""
        ent_id = ent.get("id", "")
        return self._cached("e:" + ent_id, lambda: element_digest(
            ent, drop_attrs=frozenset({"line", "file"}), drop_children=frozenset({_MENTION})))

    def mentions_digest(self, ent: etree._Element) -> bytes:
        """Where an entity is mentioned (document, passage), with the linked documents' labels.

        Line numbers, forms and element names of the mentions are not shown anywhere
        outside the document pages, so they are left out. One string per entity, not
        one hash update per mention: an entity of a large corpus has thousands.
        """
        pairs = [(m.get("doc", ""), m.get("anchor", "")) for m in ent.iter(_MENTION)]
        h = hashlib.sha256("\x00".join(f"{d}\x01{a}" for d, a in pairs).encode())
        for doc in dict.fromkeys(d for d, _ in pairs):
            h.update(self.label_of(doc))
        return h.hexdigest().encode()

    def entities_digest(self, kinds: frozenset[str] | None = None, *, mentions: bool = False) -> bytes:
        """All entities (of *kinds*), in register order, optionally with their mentions."""
        name = f"entities:{sorted(kinds) if kinds else '*'}:{mentions}"

        def make() -> bytes:
            h = KeyBuilder()
            for ent in self.entities:
                if kinds is None or ent.get("kind", "") in kinds:
                    h.add(self.entity_digest(ent))
                    if mentions:
                        h.add(self.mentions_digest(ent))
            return h.hexdigest().encode()

        return self._cached(name, make)

    def mentioned_docs_digest(self, kinds: frozenset[str]) -> bytes:
        """Per entity of *kinds*: the set of documents that mention it or list it as participant."""
        def make() -> bytes:
            participants: dict[str, list[str]] = {}
            for d in self.documents:
                for p in d.iter(f"{R}participant"):
                    participants.setdefault(p.get("ref", ""), []).append(d.get("id", ""))
            h = KeyBuilder()
            for ent in self.entities:
                if ent.get("kind", "") in kinds:
                    ent_id = ent.get("id", "")
                    docs = {m.get("doc", "") for m in ent.iter(_MENTION)} | set(participants.get(ent_id, ()))
                    h.add(self.entity_digest(ent)).add_all(sorted(docs))
            return h.hexdigest().encode()

        return self._cached(f"mentioned:{sorted(kinds)}", make)

    def chronology_digest(self) -> bytes:
        """Every chronology event (without its line) with its document's label."""
        def make() -> bytes:
            h = KeyBuilder()
            for ev in self.register.iter(f"{R}event"):
                h.add(element_digest(ev, drop_attrs=frozenset({"line"}))).add(self.label_of(ev.get("doc", "")))
            return h.hexdigest().encode()

        return self._cached("chronology", make)

    def counts_digest(self) -> bytes:
        """Entities per kind and dates in the chronology (the index page shows the counts)."""
        def make() -> bytes:
            counts: dict[str, int] = {}
            for ent in self.entities:
                counts[ent.get("kind", "")] = counts.get(ent.get("kind", ""), 0) + 1
            events = sum(1 for _ in self.register.iter(f"{R}event"))
            return repr((sorted(counts.items()), events)).encode()

        return self._cached("counts", make)

    def pointers_digest(self, doc: str) -> bytes:
        """The pointer resolutions of *doc* ('' = authority files) and their targets."""
        def make() -> bytes:
            h = KeyBuilder()
            for p in self.register.iter(f"{R}pointer"):
                if p.get("doc", "") == doc:
                    h.add(element_digest(p))
                    target = self.entity_by_id.get(p.get("target", ""))
                    if target is not None:
                        h.add(self.entity_digest(target))
            return h.hexdigest().encode()

        return self._cached("pointers:" + doc, make)


def _digest_all(parts: Iterable[bytes]) -> bytes:
    return KeyBuilder().add_all(parts).hexdigest().encode()


#: What edition keys are computed from: the register tree, or a view (possibly of a reused register).
RegisterSource = etree._Element | RegisterView

_views: list[tuple[etree._Element, RegisterView]] = []


def view(register: RegisterSource) -> RegisterView:
    """The :class:`RegisterView` of *register*, shared by every format's keys of one build."""
    if isinstance(register, RegisterView):
        return register
    for tree, v in _views:
        if tree is register:
            return v
    v = RegisterView(register)
    _views[:] = [(register, v)]
    return v


def documents_in_order(reg: RegisterView, docs: Mapping[str, DocumentKeys]) -> list[str]:
    """Document ids in the register's reading order, then any the register lacks, by id."""
    ordered = [d for d in reg.order() if d in docs]
    known = set(reg.order())
    return ordered + sorted(d for d in docs if d not in known)


def file_digest(paths: Iterable[Path]) -> str:
    """SHA-256 over the contents of files, in the given order; absent files count too."""
    h = KeyBuilder()
    for p in paths:
        h.add(p.name)
        h.add(p.read_bytes() if p.is_file() else b"\x00absent")
    return h.hexdigest()
