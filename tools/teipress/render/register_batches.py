"""The register read in bounded pieces, for pages that list entities with their mentions.

The register is dominated by ``r:entity/r:mention`` (one element per name occurrence
in the corpus: 186,000 of 31 MB for 1,000 synthetic documents, about 250 MB as a
Saxon tree and 360 MB as an lxml tree). Pages such as persons.html show every one of
them, but never need more than a few entities at a time. :class:`RegisterBatches`
streams the register XML with ``iterparse`` (each element cleared once read; the
mentions of the entity being read stay until its piece is serialised, so the tree
never holds more than about one batch of them; the parse stops after the entities,
and the few pointers and notes of no document are found in the bytes of the rest) and
cuts it into:

* **batches**: small registers (the root with its attributes, ``r:edition``, the
  ``r:document`` records the batch's mentions name, a few entities of one kind with
  their mentions), bounded by a number of entities and of mentions;
* the **outline**: the register without mentions and without per-document records:
  the root, ``r:edition``, every entity without its mentions, and the pointers and
  notes of no document (``doc=""``, what the authority files' own text resolves).
  It is what a page's frame reads (counts, letters, sort keys, citations).

An entity with more mentions than a batch holds is split where the document changes
(its later pieces carry ``part="2"``, ``"3"``, … and only mentions), so a page made
from the pieces groups each document's mentions as one transform would. Memory is
then bounded by the batch size, by the mentions of one entity in one document, and
by the document records and the outline (which grow with documents and entities, not
with mentions).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import marshal
import os
import re
import struct
import tempfile
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from lxml import etree

from teipress import REGISTER_NS
from teipress.render.register_index import link_record
from teipress.resolve.register import NS_DECLARATION

R = f"{{{REGISTER_NS}}}"
_MENTION, _ENTITY, _DOCUMENT, _EDITION = (f"{R}{t}" for t in ("mention", "entity", "document", "edition"))
_ENTITIES = f"{R}entities"
#: elements handled on their end event; all others are cleared with their parent
_TAGS = [f"{R}{t}" for t in ("edition", "document", "entity", "mention", "entities")]
#: the pointers and notes of no document, as the register writer lays them out (``doc``
#: first; see :func:`_unplaced`)
_UNPLACED = re.compile(rb'<r:(pointer|note) doc=""[^>]*/>')
#: bytes read at a time by :func:`_unplaced`
_CHUNK = 1 << 22

#: default bounds of a batch (about 1 MB of register XML, a few MB as a Saxon tree)
BATCH_ENTITIES = 200
BATCH_MENTIONS = 5000


@dataclass
class Piece:
    """One entity of a batch, or the next part of one (``part`` > 1: its next mentions only)."""

    entity_id: str
    kind: str
    part: int = 1
    count: int = 0  # mentions
    docs: dict[str, None] = field(default_factory=dict)  # documents of the mentions, in order
    xml: bytes = b""  # once closed

    def close(self, ent: etree._Element, upto: etree._Element | None = None) -> None:
        """Serialise the piece: *ent*'s children before *upto* (all of them without), moved out of the tree.

        An entity read whole is serialised in one call; the mentions are left in the
        tree until then because serialising each one alone took most of the reading time.
        """
        if self.part == 1 and upto is None:
            self.xml = _xml(ent)
            return
        shell = _shell(ent)
        if self.part > 1:
            shell.set("part", str(self.part))
        kids = []
        for child in ent:
            if child is upto:
                break
            kids.append(child)
        shell.extend(kids)
        self.xml = _xml(shell)

    def next_part(self) -> Piece:
        return Piece(self.entity_id, self.kind, self.part + 1)


@dataclass
class Batch:
    """A small register for one transform: pieces of entities of one kind."""

    kind: str
    pieces: list[Piece]
    xml: bytes


def _end_tag(start: bytes) -> bytes:
    name = start[1:].split(None, 1)[0].rstrip(b">")
    return b"</" + name + b">"


def _shell(el: etree._Element) -> etree._Element:
    """A new element with *el*'s name, attributes and namespace declarations, and no content."""
    shell = etree.Element(el.tag, nsmap=el.nsmap)  # type: ignore[arg-type]  # None: the default namespace
    for name, value in el.attrib.items():
        shell.set(name, value)
    return shell


def _start_tag(el: etree._Element) -> bytes:
    """``<name attrs>`` of *el* (with its namespace declarations), without content."""
    return etree.tostring(_shell(el), encoding="utf-8")[:-2] + b">"


def _section(name: str, content: list[bytes]) -> list[bytes]:
    """``r:<name>`` around *content* (declaring the namespace itself: the root's prefix may differ)."""
    return [f'<r:{name} xmlns:r="{REGISTER_NS}">'.encode(), *content, f"</r:{name}>".encode()]


def _xml(el: etree._Element) -> bytes:
    return etree.tostring(el, encoding="utf-8", with_tail=False)


def _unplaced(f: IO[bytes]) -> Iterator[tuple[bytes, bytes]]:
    """``(b"pointer" or b"note", element)`` for each pointer and note of no document in the
    register file *f*, serialised as lxml serialises the element alone (the namespace
    declared on it).

    Found in the bytes, a chunk at a time, not by parsing: they are a few among the
    pointers and notes of every document, which follow the entities and make about half
    of the register, and parsing that half was a third of the pass. An attribute value
    holds no ``<`` (the writer escapes it), so an element is whole once the chunk
    holds the next ``<``; what follows the last one is carried into the next chunk.
    """
    carry = b""
    while True:
        chunk = f.read(_CHUNK)
        data = carry + chunk
        end = len(data) if not chunk else data.rfind(b"<")
        for m in _UNPLACED.finditer(data, 0, max(end, 0)):
            xml, head = m.group(0), 3 + len(m.group(1))  # after "<r:pointer" or "<r:note"
            yield m.group(1), xml[:head] + NS_DECLARATION + xml[head:]
        if not chunk:
            return
        carry = data[max(end, 0):]


def _forget(el: etree._Element) -> None:
    """Clear *el* and drop the siblings read before it (the usual iterparse idiom)."""
    el.clear()
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


class RegisterBatches:
    """One streamed pass over the register (*source*: its bytes, or the file holding it).

    Iterate :meth:`batches` for the entities of *kinds* with their mentions; after
    that, :attr:`outline` holds the outline (see the module doc).

    A split entity is right only if its mentions of each document are contiguous
    (they are, unless two files share a document id). When they are not, its id
    goes to :attr:`irregular` and its pieces must be dropped: read it again with
    ``only={its id}``, which keeps those entities whole (and skips all others).
    """

    def __init__(self, source: bytes | Path, kinds: Collection[str], *,
                 max_entities: int = BATCH_ENTITIES, max_mentions: int = BATCH_MENTIONS,
                 only: Collection[str] | None = None) -> None:
        if max_entities < 1 or max_mentions < 1:
            raise ValueError("a batch holds at least one entity and one mention")
        self.source = source
        self.kinds = frozenset(kinds)
        self.max_entities = max_entities
        self.max_mentions = max_mentions
        self.only = None if only is None else frozenset(only)
        self.outline = b""
        self.irregular: set[str] = set()
        self._head = b""
        self._edition = b""
        self._documents: dict[str, bytes] = {}
        self._pending: dict[str, list[Piece]] = {k: [] for k in self.kinds}
        self._counts: dict[str, int] = dict.fromkeys(self.kinds, 0)

    def _open(self) -> IO[bytes]:
        return io.BytesIO(self.source) if isinstance(self.source, bytes) else self.source.open("rb")

    def batches(self) -> Iterator[Batch]:
        """The batches, kind by kind as they fill (each kind's entities in register order)."""
        entities: list[bytes] = []
        pointers: list[bytes] = []  # pointers and notes of no document
        notes: list[bytes] = []
        piece: Piece | None = None
        facts: list[bytes] | None = None
        flushed: set[str] = set()  # documents of the current entity already in a batch
        with self._open() as f:
            for _, el in etree.iterparse(f, events=("end",), tag=_TAGS, resolve_entities=False,
                                         no_network=True, load_dtd=False):
                tag = el.tag
                if not self._head:
                    self._head = _start_tag(el.getroottree().getroot())
                if tag == _MENTION:
                    ent = el.getparent()
                    assert ent is not None
                    if facts is None:  # the first mention: the entity's other children are read
                        facts = [_xml(c) for c in ent if c.tag != _MENTION]
                        piece = self._piece(ent)
                    if piece is None:
                        _forget(el)
                        continue
                    doc = el.get("doc", "")
                    if piece.count and doc not in piece.docs and self._full(piece):
                        flushed.update(piece.docs)
                        piece.close(ent, upto=el)
                        yield from self._flush(piece.kind, piece)
                        piece = piece.next_part()
                    if doc in flushed:
                        self.irregular.add(piece.entity_id)
                    piece.count += 1
                    piece.docs[doc] = None
                    continue  # kept in the tree until its piece is closed
                elif tag == _ENTITY:
                    if facts is None:
                        facts = [_xml(c) for c in el if c.tag != _MENTION]
                        piece = self._piece(el)
                    elif (sum(c.tag != _MENTION for c in el)
                          != (len(facts) if piece is not None and piece.part == 1 else 0)):
                        raise ValueError(f"register entity {el.get('id')!r}: children after its mentions")
                    start = _start_tag(el)
                    entities.append(b"".join([start, *facts, _end_tag(start)]))
                    if piece is not None:
                        piece.close(el)
                        yield from self._add(piece)
                    piece, facts = None, None
                    flushed.clear()
                elif tag == _DOCUMENT:
                    # what the pages show of a mentioning document (title, date; linked by id):
                    # its position or content hash in the batches, and so in the kept pieces'
                    # keys, had every piece naming a later document transformed again when a
                    # document was added or removed
                    self._documents[el.get("id", "")] = link_record(_xml(el))
                elif tag == _EDITION:
                    self._edition = _xml(el)
                elif tag == _ENTITIES:
                    break  # what follows is chronology, pointers, notes: about half the register
                _forget(el)
            f.seek(0)
            for name, xml in _unplaced(f):
                (pointers if name == b"pointer" else notes).append(xml)
        for kind in sorted(self.kinds):
            yield from self._flush(kind)
        self.outline = self._register([*_section("entities", entities), *_section("pointers", pointers),
                                       *_section("notes", notes)])

    def _piece(self, ent: etree._Element) -> Piece | None:
        kind, entity_id = ent.get("kind", ""), ent.get("id", "")
        if kind not in self.kinds or (self.only is not None and entity_id not in self.only):
            return None
        return Piece(entity_id, kind)

    def _full(self, piece: Piece) -> bool:
        """Whether *piece* is cut here: its batch holds its share of mentions (never with *only*)."""
        return self.only is None and self._counts[piece.kind] + piece.count >= self.max_mentions

    def _add(self, piece: Piece) -> Iterator[Batch]:
        self._pending[piece.kind].append(piece)
        self._counts[piece.kind] += piece.count
        if (len(self._pending[piece.kind]) >= self.max_entities
                or self._counts[piece.kind] >= self.max_mentions):
            yield from self._flush(piece.kind)

    def _flush(self, kind: str, last: Piece | None = None) -> Iterator[Batch]:
        """The pending batch of *kind* (with *last*, the first part of an entity cut here)."""
        pieces = self._pending[kind]
        if last is not None:
            pieces.append(last)
        if not pieces:
            return
        self._pending[kind], self._counts[kind] = [], 0
        yield self.batch_of(kind, pieces)

    def batch_of(self, kind: str, pieces: list[Piece]) -> Batch:
        """A batch of *pieces* (read by this pass) with the document records they name."""
        docs: dict[str, None] = {}
        for p in pieces:
            docs.update(p.docs)
        records = [self._documents[d] for d in docs if d in self._documents]
        return Batch(kind, pieces, self._register([*_section("documents", records),
                                                   *_section("entities", [p.xml for p in pieces])]))

    def records(self, piece: Piece) -> Iterator[bytes]:
        """The document records *piece*'s mentions name, as its batch holds them."""
        return (self._documents[d] for d in piece.docs if d in self._documents)

    @property
    def edition(self) -> bytes:
        """The edition record (read before any entity)."""
        return self._edition

    def _register(self, content: list[bytes]) -> bytes:
        """A register document: the root, the edition record, then *content*."""
        return b"".join([self._head, self._edition, *content, _end_tag(self._head)])


class PartStore:
    """The rendered parts of register pages, by entity id, kept in a temporary file.

    A register page is made of one part per entity (its mentions as HTML) put into
    the page's frame; every part is rendered before the frame can be filled, and
    together they are the size of the pages: held as strings, they were the biggest
    thing the worker making the register pages held (synthetic 5k: about 190 MB),
    and grew with the corpus. Here each part is written to an unnamed temporary file
    as it is made and read back when the page is written (from the page cache).
    An entity's later pieces (an entity split across batches) are kept as a list.
    """

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the store)
        self._end = 0
        self._parts: dict[str, tuple[int, int]] = {}
        self._more: dict[str, list[tuple[int, int]]] = {}

    def _put(self, text: str) -> tuple[int, int]:
        data = text.encode("utf-8")
        self._file.seek(self._end)
        self._file.write(data)
        where = (self._end, len(data))
        self._end += len(data)
        return where

    def _get(self, where: tuple[int, int]) -> str:
        self._file.seek(where[0])
        return self._file.read(where[1]).decode("utf-8")

    def put(self, entity_id: str, text: str) -> None:
        """The part of *entity_id* (its first piece)."""
        self._parts[entity_id] = self._put(text)

    def add_more(self, entity_id: str, text: str) -> None:
        """One more piece of *entity_id*'s mentions."""
        self._more.setdefault(entity_id, []).append(self._put(text))

    def forget(self, entity_id: str) -> None:
        """Drop what is kept of *entity_id* (it is rendered again, whole)."""
        self._parts.pop(entity_id, None)
        self._more.pop(entity_id, None)

    def __contains__(self, entity_id: str) -> bool:
        return entity_id in self._parts

    def part(self, entity_id: str) -> str:
        return self._get(self._parts[entity_id])

    def more(self, entity_id: str) -> Iterator[str]:
        for where in self._more.get(entity_id, ()):
            yield self._get(where)

    def with_more(self) -> set[str]:
        """The entities with later pieces."""
        return set(self._more)

    def close(self) -> None:
        self._file.close()


#: Ends a kept-parts file: the offset of its index (8 bytes, little-endian)
_TRAILER = struct.Struct("<Q")
#: Stands for the run's part marker in kept parts (no XML text holds a NUL)
_MARK = "\0"


class KeptParts:
    """The rendered pieces of one kind's register page, kept from one build to the next.

    A register page is the same pieces rendered again after every edit that changes
    the register (a tagged name: the Escher persons page took about 3 s, 1.8 s of
    which was transforming its 19 batches, and not one piece had changed but the
    tagged entity's and those mentioning the edited letter). A piece's HTML follows
    from its register XML, the records of the documents its mentions name, the
    edition record and the rendering environment, so it is kept under a hash of
    those (:meth:`key`) and only pieces without a kept rendering are transformed.

    *path* holds the pieces the previous run used (data, then a marshalled index of
    key -> offset and length, then the index's offset); each run writes the pieces
    it uses into a new file (:meth:`use`, :meth:`put`) that replaces it on
    :meth:`save`, so the file holds one page's pieces, never a history. A missing,
    short or unreadable file is an empty store. Pieces are stored with the run's
    marker replaced by a NUL (the marker is random per run).
    """

    def __init__(self, path: Path, salt: str) -> None:
        self.path = path
        self._salt = salt.encode()
        self._old: dict[str, tuple[int, int]] = {}
        self._old_file: IO[bytes] | None = None
        try:
            self._old_file = path.open("rb")
            self._old = self._read_index(self._old_file)
        except (OSError, ValueError, EOFError, TypeError):
            self._old = {}
        self._new: IO[bytes] | None = None
        self._index: dict[str, tuple[int, int]] = {}
        #: pieces taken from the previous run, and rendered in this one
        self.reused = self.made = 0

    @staticmethod
    def _read_index(f: IO[bytes]) -> dict[str, tuple[int, int]]:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        if size < _TRAILER.size:
            return {}
        f.seek(size - _TRAILER.size)
        (start,) = _TRAILER.unpack(f.read(_TRAILER.size))
        if start > size - _TRAILER.size:
            raise ValueError("kept parts: index beyond the end")
        f.seek(start)
        index = marshal.loads(f.read(size - _TRAILER.size - start))
        if not isinstance(index, dict):
            raise ValueError("kept parts: no index")
        return index

    def key(self, kind: str, edition: bytes, piece: Piece, records: Iterable[bytes]) -> str:
        """What *piece*'s rendering follows from, hashed (the salt: the rendering environment)."""
        h = hashlib.sha256(self._salt)
        for data in (kind.encode(), edition, piece.xml, *records):
            h.update(len(data).to_bytes(8, "little"))
            h.update(data)
        return h.hexdigest()

    def _out(self) -> IO[bytes]:
        if self._new is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._new = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in save or discard)
                    dir=self.path.parent, prefix=self.path.name + ".", delete=False)
            except OSError:  # a cache that cannot be written: this run's pieces are not kept
                self._new = tempfile.TemporaryFile()  # noqa: SIM115 (closed in save or discard)
        return self._new

    def _write(self, key: str, data: bytes) -> None:
        if key in self._index:
            return
        out = self._out()
        self._index[key] = (out.tell(), len(data))
        out.write(data)

    def use(self, key: str, marker: str) -> str | None:
        """The kept rendering of the piece under *key* (with this run's *marker*), or None."""
        where = self._old.get(key)
        if where is None or self._old_file is None:
            return None
        try:  # the file is this cache's own, but may be damaged: then the piece is rendered
            start, size = where
            self._old_file.seek(start)
            data = self._old_file.read(size)
            text = data.decode("utf-8") if len(data) == size else None
        except (TypeError, ValueError, OSError):
            return None
        if text is None:
            return None
        self._write(key, data)
        self.reused += 1
        return text.replace(_MARK, marker)

    def put(self, key: str, text: str, marker: str) -> None:
        """Keep the rendering *text* (made with *marker*) of the piece under *key*."""
        self._write(key, text.replace(marker, _MARK).encode("utf-8"))
        self.made += 1

    def save(self) -> None:
        """Replace the previous run's file with this run's pieces."""
        out = self._out()
        start = out.tell()
        out.write(marshal.dumps(self._index))
        out.write(_TRAILER.pack(start))
        out.close()
        if isinstance(out.name, str):  # else an unnamed file: the cache could not be written
            with contextlib.suppress(OSError):
                os.replace(out.name, self.path)
        self._new = None
        self.close()

    def discard(self) -> None:
        """Drop this run's file (a run that failed keeps the previous one)."""
        if self._new is not None:
            self._new.close()
            if isinstance(self._new.name, str):
                with contextlib.suppress(OSError):
                    os.unlink(self._new.name)
            self._new = None
        self.close()

    def close(self) -> None:
        if self._old_file is not None:
            self._old_file.close()
            self._old_file = None
