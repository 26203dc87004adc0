"""Dependency keys of edition-wide pages: hashes of exactly what a page shows.

Why: an edition page (an index, a register page, the book) must be redone when
what it shows changed and only then. Hashing the whole register would redo every
page after any edit (a mention's line number moves when a line is added above
it; the ``built`` stamp changes every run). So each format names, per page or
group of files, the register records and per-document facts the page displays,
and this module hashes just those, cheaply, from the per-record digests of a
:class:`~teipress.render.register_index.RegisterIndex` (one streaming read of the
register, no tree).

:class:`RegisterView` memoises the digests, so the formats' keys share the work
(one view per register, see :func:`view`) and a build that reuses the previous
resolve results reuses them too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree

from teipress import TEI_NS
from teipress.render.register_index import RegisterIndex, digest_all
from teipress.splice import Signature, file_signature

__all__ = ["DocumentKeys", "KeyBuilder", "LazyRegister", "RegisterView", "view"]


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

    def copy(self) -> KeyBuilder:
        """A builder fed what this one was fed so far (keys that share their first parts)."""
        other = KeyBuilder.__new__(KeyBuilder)
        other._h = self._h.copy()
        return other


class LazyRegister:
    """A register read into a :class:`RegisterIndex` on first use (one read for all views sharing it)."""

    def __init__(self, xml: bytes | Path, shares: LazyRegister | None = None) -> None:
        self._xml = xml
        #: another view of the same register whose index this one uses (one read for both)
        self._shares = shares
        self._index: RegisterIndex | None = None

    @property
    def indexed(self) -> bool:
        """Whether the index is read already (reading it costs about a second for 5,000 documents)."""
        return self._index is not None or (self._shares is not None and self._shares.indexed)

    @property
    def index(self) -> RegisterIndex:
        if self._index is None:
            self._index = self._shares.index if self._shares is not None else RegisterIndex.read(self._xml)
        return self._index

    def release(self) -> None:
        """Forget the index (it is read again if asked for): for the time after its last use."""
        self._index = None


class RegisterView(LazyRegister):
    """The digests the edition keys are made of, memoised.

    The register is read (see :class:`LazyRegister`) only when a digest is not
    already known: a build that reuses the previous resolve results passes the
    previous digests in (*digests*, see :meth:`saved`), so the edition keys of an
    unchanged register cost no read.
    """

    def __init__(self, xml: bytes | Path = b"", *, digests: Mapping[str, str] | None = None,
                 shares: LazyRegister | None = None) -> None:
        super().__init__(xml, shares)
        self._memo: dict[str, bytes] = {}
        self._order: list[str] | None = None
        for name, value in (digests or {}).items():
            if name == "order":
                self._order = value.split("\n") if value else []
            elif not name.startswith("label:"):
                self._memo[name] = bytes.fromhex(value)

    def saved(self) -> dict[str, str]:
        """The digests computed so far, for the next build (see the class doc)."""
        out = {name: value.hex() for name, value in self._memo.items()}
        out["order"] = "\n".join(self.order())
        return out

    def order(self) -> list[str]:
        """Document ids in reading order."""
        if self._order is None:
            self._order = self.index.order()
        return self._order

    def _cached(self, name: str, make: Callable[[], bytes]) -> bytes:
        value = self._memo.get(name)
        if value is None:
            value = self._memo[name] = make()
        return value

    def edition_digest(self) -> bytes:
        """The edition's title, editors, imprint: in the shell of every page."""
        return self._cached("edition", lambda: self.index.edition_digest)

    def document_records(self) -> bytes:
        """Every document record in reading order, without its content hash.

        A record's ``sha256`` changes with any edit of the text, which no edition
        page shows; titles, dates, participants, summaries, order and neighbours do.
        """
        return self._cached("documents", lambda: digest_all(d.record for d in self.index.docs.values()))

    def document_labels(self) -> bytes:
        """Id, title and date of every document in reading order (contents lists)."""
        return self._cached("labels", lambda: digest_all(d.label for d in self.index.docs.values()))

    def entities_digest(self, kinds: frozenset[str] | None = None, *, mentions: bool = False) -> bytes:
        """All entities (of *kinds*), in register order, optionally with where they are
        mentioned (document, passage, and the linked documents' labels; line numbers,
        forms and element names of mentions show nowhere outside the document pages)."""
        name = f"entities:{sorted(kinds) if kinds else '*'}:{mentions}"

        def make() -> bytes:
            ents = self.index.entities
            return digest_all(part for e in self.index.entity_ids(kinds)
                              for part in ((ents[e].digest, ents[e].mentions) if mentions else (ents[e].digest,)))

        return self._cached(name, make)

    def mentioned_docs_digest(self, kinds: frozenset[str]) -> bytes:
        """Per entity of *kinds*: the set of documents that mention it or list it as participant."""
        return self._cached(f"mentioned:{sorted(kinds)}", lambda: digest_all(
            self.index.entities[e].mentioned_docs for e in self.index.entity_ids(kinds)))

    def chronology_digest(self) -> bytes:
        """Every chronology event (without its line) with its document's label."""
        return self._cached("chronology", lambda: self.index.chronology)

    def counts_digest(self) -> bytes:
        """Entities per kind and dates in the chronology (the index page shows the counts)."""
        def make() -> bytes:
            counts: dict[str, int] = {}
            for ent in self.index.entities.values():
                counts[ent.kind] = counts.get(ent.kind, 0) + 1
            return repr((sorted(counts.items()), self.index.events)).encode()

        return self._cached("counts", make)

    def authority_pointers_digest(self) -> bytes:
        """The pointer resolutions of the authority files and their targets."""
        def make() -> bytes:
            ents = self.index.entities
            return digest_all(part for digest, target in self.index.authority_pointers
                              for part in (digest, ents[target].digest if target in ents else b""))

        return self._cached("pointers:", make)


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
    v = RegisterView(etree.tostring(register, encoding="UTF-8"))
    _views[:] = [(register, v)]
    return v


def documents_in_order(reg: RegisterView, docs: Mapping[str, DocumentKeys]) -> list[str]:
    """Document ids in the register's reading order, then any the register lacks, by id."""
    ordered = [d for d in reg.order() if d in docs]
    known = set(reg.order())
    return ordered + sorted(d for d in docs if d not in known)


def bibliography_digest(paths: Iterable[Path]) -> str:
    """SHA-256 over the ``listBibl`` elements of the authority files *paths*, in their order:
    what the bibliography page and the book read of those files beyond the register.

    It was the files' whole bytes: any edit of a personography (a space, a note the
    edition does not show) then made the book's frame and bibliography.html again
    (the Escher letters: 3.4 s for a space added to people.xml). A file whose bytes do
    not name ``listBibl`` is not parsed; one that does not load counts as its bytes.
    The HTML and print editions each ask in every build: the digest is kept for the
    files' stat signatures (:func:`teipress.splice.signature`), so they are parsed once.
    """
    files = tuple(paths)
    return _bibliography_digest(files, tuple(file_signature(p) for p in files))


@lru_cache(maxsize=8)
def _bibliography_digest(paths: tuple[Path, ...], _stamps: tuple[Signature | None, ...]) -> str:
    """:func:`bibliography_digest` of *paths*, whose stat signatures were *_stamps*."""
    from teipress.load import parse_bytes  # (not needed to read a key otherwise)

    h = KeyBuilder()
    for p in paths:
        try:
            data = p.read_bytes()
        except OSError:
            h.add(p.name).add(b"\x00absent")
            continue
        if b"listBibl" not in data:
            continue
        tree, _ = parse_bytes(data, p.name)  # the bytes read, parsed as every source is
        h.add(p.name)
        if tree is None:
            h.add(data)
            continue
        for lb in tree.getroot().iter(f"{{{TEI_NS}}}listBibl"):
            h.add(etree.tostring(lb))
    return h.hexdigest()
