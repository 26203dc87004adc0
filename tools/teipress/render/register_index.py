"""What the build's parent process needs from the register, read in one streaming pass.

Why not a tree: the parent needs, per document, the few records its pages show
(to cut its slice of the register and to hash its dependency key) and, per
edition page, digests of what the page shows. As an lxml tree the register of a
large corpus costs about 13 bytes of memory per byte of XML, almost all of it
mentions and pointers, and the parent would hold it for the whole render phase.
:class:`RegisterIndex` walks the XML once (``iterparse``, each record dropped
after use) and keeps only serialised records without their mentions, per-record
digests and small per-document tables: about the size of the XML without its
mentions, as bytes.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from teipress import REGISTER_NS

R = f"{{{REGISTER_NS}}}"
_NS_DECL = f' xmlns:r="{REGISTER_NS}"'.encode()
_ITEMS = tuple(f"{R}{t}" for t in ("edition", "document", "entity", "event", "pointer", "note"))
_SECTIONS = ("edition", "documents", "entities", "chronology", "pointers", "notes")


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


def serialised(el: etree._Element) -> bytes:
    """*el* without its tail, namespace declared by the enclosing register only."""
    return etree.tostring(el, encoding="UTF-8", with_tail=False).replace(_NS_DECL, b"", 1)


_SHA = frozenset({"sha256"})
_WHERE = frozenset({"file", "line"})
_MENTIONS = frozenset({f"{R}mention"})
_LABEL_ATTRS = frozenset({"sha256", "file", "prev", "next", "href"})
_LABEL_CHILDREN = frozenset({f"{R}participant", f"{R}summary"})
_LINE = frozenset({"line"})


@dataclass
class DocumentInfo:
    """One document record: serialised, and the digests keys are made of."""

    xml: bytes
    #: the record without its content hash (what a page showing the record depends on)
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

    @classmethod
    def read(cls, source: bytes | Path) -> RegisterIndex:
        """Index the register XML in *source* (bytes or a file), one record at a time."""
        index = cls()
        stream = io.BytesIO(source) if isinstance(source, bytes) else str(source)
        chronology = hashlib.sha256()
        participants_of: dict[str, list[str]] = {}
        for _, el in etree.iterparse(stream, events=("end",), tag=_ITEMS, huge_tree=True):
            tag = el.tag
            if tag == f"{R}pointer":
                doc = el.get("doc", "")
                data = serialised(el)
                index.pointers_of.setdefault(doc, []).append(data)
                target = el.get("target")
                if target:
                    index.entities_of.setdefault(doc, set()).add(target)
                if not doc:
                    index.authority_pointers.append((element_digest(el), target or ""))
            elif tag == f"{R}entity":
                index._entity(el, participants_of)
            elif tag == f"{R}document":
                info = index._document(el)
                for ref in info.participants:
                    participants_of.setdefault(ref, []).append(el.get("id", ""))
            elif tag == f"{R}note":
                index.notes_of.setdefault(el.get("doc", ""), []).append(serialised(el))
            elif tag == f"{R}event":
                index.events += 1
                chronology.update(element_digest(el, drop_attrs=_LINE))
                chronology.update(index.label_of(el.get("doc", "")))
            else:  # edition
                index.edition_xml = serialised(el)
                index.edition_digest = element_digest(el)
                root = el.getparent()
                if root is not None:
                    index.root_attrs = dict(root.attrib)
            _drop(el)
        index.chronology = chronology.hexdigest().encode()
        return index

    def _document(self, el: etree._Element) -> DocumentInfo:
        info = DocumentInfo(
            xml=serialised(el), record=element_digest(el, drop_attrs=_SHA),
            label=element_digest(el, drop_attrs=_LABEL_ATTRS, drop_children=_LABEL_CHILDREN),
            position=int(el.get("position") or 0), prev=el.get("prev", ""), next=el.get("next", ""),
            participants=tuple(p.get("ref", "") for p in el.iter(f"{R}participant")))
        self.docs[el.get("id", "")] = info
        return info

    def _entity(self, el: etree._Element, participants_of: dict[str, list[str]]) -> None:
        ent_id = el.get("id", "")
        pairs = [(m.get("doc", ""), m.get("anchor", "")) for m in el.iter(f"{R}mention")]
        for m in list(el.iter(f"{R}mention")):
            el.remove(m)
        digest = element_digest(el, drop_attrs=_WHERE)
        mentions = hashlib.sha256("\x00".join(f"{d}\x01{a}" for d, a in pairs).encode())
        docs = dict.fromkeys(d for d, _ in pairs)
        for doc in docs:
            mentions.update(self.label_of(doc))
            self.entities_of.setdefault(doc, set()).add(ent_id)
        mentioned = hashlib.sha256(digest)
        for doc in sorted(set(docs) | set(participants_of.get(ent_id, ()))):
            mentioned.update(doc.encode() + b"\x00")
        if len(el):
            el[-1].tail = None  # the whitespace that stood before the mentions
        self.entities[ent_id] = EntityInfo(el.get("kind", ""), serialised(el), digest,
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
        neighbours' (prev/next links) with the number of documents, the entities it
        points at (every entity a mention of it names is a pointer target too) or lists
        as participants, without their mention lists, its pointers and notes."""
        info = self.docs.get(doc_id)
        records = [] if info is None else [info, *(self.docs[n] for n in (info.prev, info.next)
                                                    if n and n in self.docs)]
        records.sort(key=lambda d: d.position)
        pointers = self.pointers_of.get(doc_id, [])
        wanted = {t for t in self.entities_of.get(doc_id, ()) if t in self.entities}
        wanted |= {p for p in (info.participants if info else ()) if p in self.entities}
        attrs = "".join(f' {k}="{_attr(v)}"' for k, v in self.root_attrs.items())
        parts: list[bytes] = [f'<?xml version=\'1.0\' encoding=\'UTF-8\'?>\n<r:register xmlns:r="{REGISTER_NS}"'
                              f'{attrs}>'.encode(), self.edition_xml,
                              f'<r:documents count="{len(self.docs)}">'.encode(),
                              *(d.xml for d in records), b"</r:documents><r:entities>",
                              *(self.entities[e].xml for e in sorted(wanted)),
                              b"</r:entities><r:chronology/><r:pointers>", *pointers,
                              b"</r:pointers><r:notes>", *self.notes_of.get(doc_id, []),
                              b"</r:notes></r:register>"]
        return b"".join(parts)

    def entity_ids(self, kinds: frozenset[str] | None = None) -> Iterator[str]:
        """Entity ids in register order, of *kinds* (all if None)."""
        for ent_id, info in self.entities.items():
            if kinds is None or info.kind in kinds:
                yield ent_id


def _attr(value: str) -> str:
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            .replace("\n", "&#10;").replace("\t", "&#9;").replace("\r", "&#13;"))


def _drop(el: etree._Element) -> None:
    """Free a record once read: its content and the records before it."""
    el.clear()
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


def digest_all(parts: Iterable[bytes]) -> bytes:
    """One hash over many digests, in order."""
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(8, "big") + p)
    return h.hexdigest().encode()
