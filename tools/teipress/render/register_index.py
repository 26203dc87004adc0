"""What the build's parent process needs from the register, read in one pass over its bytes.

Why not a tree: the parent needs, per document, the few records its pages show
(to cut its slice of the register and to hash its dependency key) and, per
edition page, digests of what the page shows. As an lxml tree the register of a
large corpus costs about 13 bytes of memory per byte of XML, almost all of it
mentions and pointers, and the parent would hold it for the whole render phase.
:class:`RegisterIndex` cuts the records from the bytes the register writer laid
out (one pass of regular expressions, no tree) and keeps only serialised records
without their mentions, per-record digests and small per-document tables: about
the size of the XML without its mentions, as bytes.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from teipress import REGISTER_NS

#: what libxml2 escapes in attribute values beyond ``& < >``
_ATTR_ESCAPES = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_ROOT = re.compile(rb"<r:register\b([^>]*)>")
_ATTRS = re.compile(rb'([\w:.-]+)="([^"]*)"')
_LINE_ATTR = re.compile(rb' line="[^"]*"')
#: what a document's own pages do not show of its record: its content hash and its position
#: (which every document after an added or removed one changes)
_UNSHOWN_ATTRS = re.compile(rb' (?:sha256|position)="[^"]*"')
_POSITION_ATTR = re.compile(rb' position="[^"]*"')
#: what a link to a document leaves out of its record: its content hash, file, position,
#: links and who/what beyond title and date
_LABEL_DROP = re.compile(rb' (?:sha256|file|position|prev|next|href)="[^"]*"|\s*<r:participant [^>]*/>'
                         rb'|\s*<r:summary>.*?</r:summary>', re.S)

_PARTICIPANT = re.compile(rb'<r:participant ref="([^"]*)"/>')
_MENTION = re.compile(rb'<r:mention doc="([^"]*)" anchor="([^"]*)"')
_MENTION_LINE = re.compile(rb"\s*<r:mention [^>]*/>")
_WHERE_ATTRS = re.compile(rb' (?:file|line)="[^"]*"')
#: a pointer as the writer lays it out: doc, value, target, kind
_POINTER = re.compile(rb'(<r:pointer doc="([^"]*)" value="[^"]*" target="([^"]*)"[^>]*/>)')
_NOTE = re.compile(rb'(<r:note doc="([^"]*)"[^>]*/>)')
_DOC = re.compile(rb' doc="([^"]*)"')


def link_record(xml: bytes) -> bytes:
    """A serialised document record as a link to the document shows it: id, title and date
    (a document's label is its digest; the register pages read mentioning documents so).
    Without its position, which every document after an added or removed one changes, nor
    its content hash, which every edit changes."""
    return _LABEL_DROP.sub(b"", xml)


def _attributes(record: bytes) -> dict[str, str]:
    """The attributes of a serialised record's start tag (namespace declarations aside)."""
    return {k.decode(): _unescape(v.decode()) for k, v in _ATTRS.findall(record[: record.find(b">")])
            if not k.startswith(b"xmlns")}


def _value(attr: re.Pattern[bytes], xml: bytes) -> str:
    """An attribute's value in one serialised empty element (entities as written)."""
    m = attr.search(xml)
    return _unescape(m.group(1).decode()) if m else ""


def _name(raw: bytes, names: dict[str, str]) -> str:
    """An id as a record spells it, as the one string *names* keeps for it (if any)."""
    value = _unescape(raw.decode())
    return names.get(value, value)


def _unescape(value: str) -> str:
    if "&" not in value:
        return value
    return html.unescape(value)


@dataclass
class DocumentInfo:
    """One document record: serialised, and the digests keys are made of."""

    xml: bytes
    #: the record without its content hash and its position (what a page showing the record
    #: depends on; the order of documents is a key's own part where a page shows it)
    record: bytes
    #: id, title and date (what a link to the document shows)
    label: bytes
    position: int
    prev: str
    next: str
    participants: tuple[str, ...]


@dataclass
class EntityInfo:
    """One entity: serialised without its mentions, and its digests."""

    kind: str
    xml: bytes
    #: the entity as its entry shows it: without mentions and authority file/line
    digest: bytes
    #: where it is mentioned (document, passage) with the mentioning documents' labels
    mentions: bytes
    #: the documents that mention it or list it as participant, with its digest
    mentioned_docs: bytes


@dataclass
class RegisterIndex:
    """The register as the parent uses it (module docstring); build with :meth:`read`."""

    root_attrs: dict[str, str] = field(default_factory=dict)
    edition_xml: bytes = b""
    edition_digest: bytes = b""
    docs: dict[str, DocumentInfo] = field(default_factory=dict)
    entities: dict[str, EntityInfo] = field(default_factory=dict)
    #: doc id -> ids of the entities it mentions or points at
    entities_of: dict[str, set[str]] = field(default_factory=dict)
    pointers_of: dict[str, list[bytes]] = field(default_factory=dict)
    notes_of: dict[str, list[bytes]] = field(default_factory=dict)
    #: per pointer of the authority files (doc ""): its digest and its target's
    authority_pointers: list[tuple[bytes, str]] = field(default_factory=list)
    chronology: bytes = b""
    events: int = 0
    #: the chronology's events, serialised (for :meth:`outline_xml`)
    event_xml: list[bytes] = field(default_factory=list)
    #: entity id -> the documents that mention it, in register order
    mentioned_in: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def read(cls, source: bytes | Path) -> RegisterIndex:
        """Index the register XML teipress wrote (:meth:`Register.write_xml`), bytes or a file.

        The records are cut from the bytes as the writer lays them out (prefix ``r:``,
        attributes escaped, no record inside another of its kind) instead of being
        parsed: with ``iterparse``, one Python step per element, reading the Escher
        register took 1.7-2.7 s; cutting the bytes (``bytes.find``, a few regular
        expressions) 0.7 s.
        """
        data = source if isinstance(source, bytes) else source.read_bytes()
        index = cls()
        index._head(data)
        participants_of: dict[str, list[str]] = {}
        for record in _records(data, b"document"):
            doc_id, info = index._document(record)
            for ref in info.participants:
                participants_of.setdefault(ref, []).append(doc_id)
        # one string object per document and entity id, however many records name it
        # (synthetic 5k: 217,500 mentions, 222,514 pointers; a copy each took 20 MB)
        names = {doc_id: doc_id for doc_id in index.docs}
        for record in _records(data, b"entity"):
            index._entity(record, participants_of, names)
        names.update((ent_id, ent_id) for ent_id in index.entities)
        chronology = hashlib.sha256()
        for xml in _records(data, b"event"):
            index.event_xml.append(xml)
            chronology.update(_LINE_ATTR.sub(b"", xml, count=1) + b"\x00" + index.label_of(_value(_DOC, xml)))
        index.events = len(index.event_xml)
        index.chronology = chronology.hexdigest().encode()
        pointers, entities_of = index.pointers_of, index.entities_of
        for m in _POINTER.finditer(data):  # one match at a time: a list of them all outlived its use
            xml, raw_doc, raw_target = m.groups()
            doc = _name(raw_doc, names)
            pointers.setdefault(doc, []).append(xml)
            if raw_target:
                target = _name(raw_target, names)
                entities_of.setdefault(doc, set()).add(target)
                if not doc:
                    index.authority_pointers.append((hashlib.sha256(xml).digest(), target))
            elif not doc:
                index.authority_pointers.append((hashlib.sha256(xml).digest(), ""))
        for xml, raw_doc in _NOTE.findall(data):
            index.notes_of.setdefault(_unescape(raw_doc.decode()), []).append(xml)
        return index

    @classmethod
    def read_for(cls, source: bytes | Path, doc_ids: Iterable[str]) -> RegisterIndex:
        """The records the slices of *doc_ids* need, found in the register without
        indexing all of it: a rebuild after an edit renders a document or two, and
        searching the bytes for their records costs a fraction of :meth:`read`
        (Escher: 0.06 s for one slice, 0.7 s to index everything)."""
        data = source if isinstance(source, bytes) else source.read_bytes()
        # the sections in the writer's order: each search looks only where its records are
        docs_at = max(0, data.find(b"<r:documents"))
        ents_at = max(docs_at, data.find(b"<r:entities"))
        index = cls()
        index._head(data)
        # the pointers and notes stand after the entities (chronology, pointers, notes)
        ents_end = data.find(b"</r:entities>", ents_at)
        later = ents_at if ents_end < 0 else ents_end
        wanted: set[str] = set()
        for doc_id in doc_ids:
            record = _record_of(b"document", data, doc_id, docs_at)
            if record is None:
                continue
            _, info = index._document(record)
            for neighbour in (info.prev, info.next):
                other = _record_of(b"document", data, neighbour, docs_at) if neighbour else None
                if other is not None:
                    index._document(other)
            wanted.update(info.participants)
            key = _xml_attr(doc_id).encode()
            pointer = re.compile(rb'(<r:pointer doc="' + re.escape(key) + rb'" value="[^"]*" target="([^"]*)"[^>]*/>)')
            for xml, target in pointer.findall(data, later):
                index.pointers_of.setdefault(doc_id, []).append(xml)
                if target:
                    index.entities_of.setdefault(doc_id, set()).add(_unescape(target.decode()))
            index.notes_of[doc_id] = re.compile(rb'<r:note doc="' + re.escape(key) + rb'"[^>]*/>').findall(data, later)
            wanted |= index.entities_of.get(doc_id, set())
        # one search over the entities for every wanted id (an id is a record's first
        # attribute, see _record_of): walking the records one by one took 0.05 s
        if wanted:
            ids = b"|".join(re.escape(_xml_attr(ent_id).encode()) for ent_id in sorted(wanted))
            starts = re.compile(rb'<r:entity id="(?:' + ids + rb')"')
            for m in starts.finditer(data, ents_at, len(data) if ents_end < 0 else ents_end):
                attrs = _attributes(data[m.start():data.find(b">", m.start()) + 1])
                full, _ = _record_at(data, b"entity", m.start())
                index.entities[attrs.get("id", "")] = EntityInfo(attrs.get("kind", ""), _without_mentions(full),
                                                                 b"", b"", b"")
        return index

    def _head(self, data: bytes) -> None:
        """The root's attributes and the edition record."""
        root = _ROOT.search(data)
        if root is None:
            raise ValueError("not a teipress register (no <r:register> element)")
        self.root_attrs = _attributes(root.group(0))
        self.edition_xml = next(_records(data, b"edition"), b"")
        self.edition_digest = hashlib.sha256(self.edition_xml).digest()

    def _document(self, xml: bytes) -> tuple[str, DocumentInfo]:
        attrs = _attributes(xml)
        doc_id = attrs.get("id", "")
        info = DocumentInfo(
            xml=xml, record=hashlib.sha256(_UNSHOWN_ATTRS.sub(b"", xml, count=2)).digest(),
            label=hashlib.sha256(link_record(xml)).digest(),
            position=int(attrs.get("position") or 0), prev=attrs.get("prev", ""), next=attrs.get("next", ""),
            participants=tuple(_unescape(m.decode()) for m in _PARTICIPANT.findall(xml)))
        self.docs[doc_id] = info
        return doc_id, info

    def _entity(self, full: bytes, participants_of: dict[str, list[str]], names: dict[str, str]) -> None:
        """Index one entity record; *names* gives the one string kept for each document id."""
        end = full.find(b">")
        attrs = _attributes(full)
        ent_id = attrs.get("id", "")
        pairs = [(_name(d, names), _unescape(a.decode())) for d, a in _MENTION.findall(full)]
        xml = _without_mentions(full) if pairs else full
        digest = hashlib.sha256(_WHERE_ATTRS.sub(b"", xml[:end]) + xml[end:]).digest()
        mentions = hashlib.sha256("\x00".join(f"{d}\x01{a}" for d, a in pairs).encode())
        docs = dict.fromkeys(d for d, _ in pairs)
        if docs:
            self.mentioned_in[ent_id] = list(docs)
        for doc in docs:
            mentions.update(self.label_of(doc))
            self.entities_of.setdefault(doc, set()).add(ent_id)
        mentioned = hashlib.sha256(digest)
        for doc in sorted(set(docs) | set(participants_of.get(ent_id, ()))):
            mentioned.update(doc.encode() + b"\x00")
        self.entities[ent_id] = EntityInfo(attrs.get("kind", ""), xml, digest,
                                           mentions.hexdigest().encode(), mentioned.digest())

    def label_of(self, doc_id: str) -> bytes:
        """Title and date of one document (``b"-"`` if the register has no such document)."""
        info = self.docs.get(doc_id)
        return info.label if info is not None else b"-"

    def order(self) -> list[str]:
        """Document ids in register (reading) order."""
        return list(self.docs)

    def slice_xml(self, doc_id: str) -> bytes:
        """The register as one document's pages see it: the edition, its record and its
        neighbours' (prev/next links), without their positions, the entities it points
        at (every entity a mention of it names is a pointer target too) or lists as
        participants, without their mention lists, its pointers and notes. Neither the
        number of documents nor a position: what every document after an added or
        removed one would show differently (see ``build.RegisterSlices``)."""
        info = self.docs.get(doc_id)
        records = [] if info is None else [info, *(self.docs[n] for n in (info.prev, info.next)
                                                    if n and n in self.docs)]
        records.sort(key=lambda d: d.position)
        pointers = self.pointers_of.get(doc_id, [])
        wanted = {t for t in self.entities_of.get(doc_id, ()) if t in self.entities}
        wanted |= {p for p in (info.participants if info else ()) if p in self.entities}
        parts: list[bytes] = [self._open(), self.edition_xml, b"<r:documents>",
                              *(_POSITION_ATTR.sub(b"", d.xml, count=1) for d in records),
                              b"</r:documents><r:entities>",
                              *(self.entities[e].xml for e in sorted(wanted)),
                              b"</r:entities><r:chronology/><r:pointers>", *pointers,
                              b"</r:pointers><r:notes>", *self.notes_of.get(doc_id, []),
                              b"</r:notes></r:register>"]
        return b"".join(parts)

    def outline_xml(self) -> bytes:
        """The register as edition-wide pages other than the register pages read it.

        Every section but the bulk: the documents, the entities with one ``r:mention``
        (``@doc`` only) per document that mentions them, the chronology and the
        authority files' pointers; no document pointers, no notes (those are read
        by the document pages, from their slices). For the register pages, which
        list every passage, see :mod:`teipress.render.register_pages`.
        """
        def entity(ent_id: str, info: EntityInfo) -> bytes:
            docs = self.mentioned_in.get(ent_id)
            if not docs:
                return info.xml
            marks = "".join(f'<r:mention doc="{_xml_attr(d)}"/>' for d in docs).encode()
            if info.xml.endswith(b"/>"):
                return info.xml[:-2] + b">" + marks + b"</r:entity>"
            return info.xml[: -len(b"</r:entity>")] + marks + b"</r:entity>"

        return b"".join([
            self._open(), self.edition_xml, b"<r:documents>", *(d.xml for d in self.docs.values()),
            b"</r:documents><r:entities>", *(entity(e, i) for e, i in self.entities.items()),
            b"</r:entities><r:chronology>", *self.event_xml, b"</r:chronology><r:pointers>",
            *self.pointers_of.get("", []), b"</r:pointers><r:notes/></r:register>"])

    def _open(self) -> bytes:
        """The XML declaration and the register's start tag."""
        attrs = "".join(f' {k}="{_xml_attr(v)}"' for k, v in self.root_attrs.items())
        return f"<?xml version='1.0' encoding='UTF-8'?>\n<r:register xmlns:r=\"{REGISTER_NS}\"{attrs}>".encode()

    def entity_ids(self, kinds: frozenset[str] | None = None) -> Iterator[str]:
        """Entity ids in register order, of *kinds* (all if None)."""
        for ent_id, info in self.entities.items():
            if kinds is None or info.kind in kinds:
                yield ent_id


def _xml_attr(value: str) -> str:
    """*value* escaped as libxml2 writes it in an attribute (so it can be searched for).
    (Not xml.sax.saxutils: importing it imports urllib, 15 ms of every build's start.)"""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for char, entity in _ATTR_ESCAPES.items():
        value = value.replace(char, entity)
    return value


def _record_end(data: bytes, tag: bytes, at: int) -> int:
    """Where the record ``<r:{tag} …>`` starting at *at* ends.

    Found with ``bytes.find``: the writer escapes ``<`` in text and ``>`` in
    attributes, and no record holds another of its tag, so the first ``</r:{tag}>``
    ends it. (A regular expression's lazy ``.*?`` over an entity of 40,000 mentions
    cost 8 ms per entity.)
    """
    close = data.find(b">", at)
    if close < 0:
        raise ValueError(f"unterminated <r:{tag.decode()}> record at byte {at}")
    if data[close - 1:close] == b"/":
        return close + 1
    end_tag = b"</r:" + tag + b">"
    end = data.find(end_tag, close)
    if end < 0:
        raise ValueError(f"unterminated <r:{tag.decode()}> record at byte {at}")
    return end + len(end_tag)


def _record_at(data: bytes, tag: bytes, at: int) -> tuple[bytes, int]:
    """The record ``<r:{tag} …>`` starting at *at*, and where it ends."""
    end = _record_end(data, tag, at)
    return data[at:end], end


def _records(data: bytes, tag: bytes) -> Iterator[bytes]:
    """Every ``<r:{tag}>`` record in *data*, in order."""
    start = b"<r:" + tag
    at = data.find(start)
    while at >= 0:
        following = data[at + len(start):at + len(start) + 1]
        if following in (b" ", b">", b"/", b"\n", b"\t", b"\r"):  # not <r:{tag}s>
            record, at = _record_at(data, tag, at)
            yield record
        else:
            at += len(start)
        at = data.find(start, at)


def _without_mentions(entity: bytes) -> bytes:
    """An entity record without its mentions (and the whitespace before each).

    The writer puts an entity's mentions last: when the stretch from the first mention
    to the last holds nothing else, it is cut out in one piece (an entity of 40,000
    mentions: a regular expression over it cost milliseconds); otherwise mention by
    mention.
    """
    first = entity.find(b"<r:mention ")
    if first < 0:
        return entity
    last = entity.rfind(b"/>") + 2
    if entity.count(b"<r:", first, last) != entity.count(b"<r:mention ", first, last):
        return _MENTION_LINE.sub(b"", entity)
    return entity[:first].rstrip(b" \t\r\n") + entity[last:]


def _record_of(tag: bytes, data: bytes, ident: str, start: int = 0) -> bytes | None:
    """The record ``<r:{tag} id="ident" …>`` in *data* from *start* (its id is its first attribute)."""
    at = data.find(b"<r:" + tag + b' id="' + _xml_attr(ident).encode() + b'"', start)
    return None if at < 0 else _record_at(data, tag, at)[0]


def register_core(data: bytes) -> bytes:
    """The register's edition, documents and entities, without mentions: what the
    Python side of edition pages reads (an lxml tree of the rest would cost about ten
    times its size). A register not laid out by the writer is returned whole."""
    cut = data.find(b"<r:chronology")
    if cut < 0:
        return data
    return _MENTION_LINE.sub(b"", data[:cut]) + b"</r:register>"


#: where the register's documents end: they come first, after the edition record
_DOCUMENTS_END = b"</r:documents>"


def register_documents(source: bytes | Path, chunk: int = 1 << 20) -> bytes:
    """The register's edition record and documents (reading order, titles, dates): what
    most edition pages need of it on the Python side, read without the rest.

    The writer puts the documents first, so from a file only its head is read (the
    Escher letters' 27 MB register: its first 3 MB). A register not laid out that way
    is read and cut by :func:`register_core`. A file is read *chunk* bytes at a time.
    """
    if isinstance(source, bytes):
        end = source.find(_DOCUMENTS_END)
        return register_core(source) if end < 0 else source[:end + len(_DOCUMENTS_END)] + b"</r:register>"
    head = bytearray()
    with source.open("rb") as f:
        while piece := f.read(chunk):
            seen = max(0, len(head) - len(_DOCUMENTS_END))
            head += piece
            end = head.find(_DOCUMENTS_END, seen)
            if end >= 0:
                return bytes(head[:end + len(_DOCUMENTS_END)]) + b"</r:register>"
    return register_core(bytes(head))


def digest_all(parts: Iterable[bytes]) -> bytes:
    """One hash over many digests, in order."""
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(8, "big") + p)
    return h.hexdigest().encode()
