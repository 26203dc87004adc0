"""The corpus register (docs/register.md): built once per run, exported as XML and JSON.

The register is first assembled as plain Python data (:class:`Register`), then
serialised to the ``r:`` XML the stylesheets receive and to JSON for
``teipress xref --json``. Both come from the same data, so they cannot drift.
Note labels are computed here, once, so the HTML, print and text editions
number notes identically.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any, Protocol

from lxml import etree

import teipress
from teipress import REGISTER_NS
from teipress.config import Config, EditionInfo
from teipress.resolve.corpus import Corpus, DateInfo, Entry, PointerUse
from teipress.resolve.extract import FORM_ELEMENTS, NUMBERED_PLACES, note_labels

__all__ = ["FORM_ELEMENTS", "NUMBERED_PLACES", "Register", "build_register", "note_labels"]

R = f"{{{REGISTER_NS}}}"
REGISTER_VERSION = "1"
_TIME = re.compile(r"^\d{2}:\d{2}")


@dataclass
class DocumentRecord:
    id: str
    file: str
    sort: str
    date: DateInfo
    title: str
    participants: list[str]
    summary: str
    sha256: str
    position: int = 0
    prev: str = ""
    next: str = ""


@dataclass
class Register:
    """The register of one run. ``element`` / ``to_xml_bytes`` / ``to_json`` export it."""

    edition: EditionInfo
    built: str
    documents: list[DocumentRecord]
    entities: list[Entry]
    chronology: list[dict[str, str]]
    #: (doc, value, target, kind) of each distinct pointer value of each document
    pointers: list[tuple[str, str, str, str]]
    notes: list[dict[str, str]]
    corpus: Corpus = field(repr=False)
    _element: etree._Element | None = field(default=None, repr=False)

    # -- export ----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (docs/xref.md): XML attribute names as keys, repeated
        children as arrays (``editors``, ``variants``, ``participants``, ``mentions`` …)."""
        return {
            **self._head_dict(),
            "documents": [_document_dict(d) for d in self.documents],
            "entities": [_entity_dict(e) for e in self.entities],
            "chronology": self.chronology,
            "pointers": [dict(zip(POINTER_FIELDS, p, strict=True)) for p in self.pointers],
            "notes": self.notes,
        }

    def _head_dict(self) -> dict[str, Any]:
        """The version, build stamp and edition record of :meth:`to_dict`."""
        ed = self.edition
        return {
            "version": REGISTER_VERSION,
            "built": self.built,
            "teipress": teipress.__version__,
            "edition": {
                "title": ed.title, "subtitle": ed.subtitle, "publisher": ed.publisher,
                "place": ed.place, "year": ed.year, "licence": ed.licence,
                "licence-url": ed.licence_url, "version": ed.version or teipress.__version__,
                "base-url": ed.base_url, "editors": list(ed.editors),
            },
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @property
    def element(self) -> etree._Element:
        """The ``r:register`` element (parsed from :meth:`to_xml_bytes` once, then cached)."""
        if self._element is None:
            self._element = etree.fromstring(self.to_xml_bytes())
        return self._element

    def to_xml_bytes(self) -> bytes:
        out = io.BytesIO()
        self.write_xml(out)
        return out.getvalue()

    def write_xml(self, out: Writer) -> None:
        """Write the ``r:`` XML, one record at a time.

        Why not one tree: the register of a large corpus is mostly mentions and
        pointers (hundreds of thousands of small elements); as an lxml tree it takes
        about 13 bytes of memory per byte of XML, and a build would keep that peak for
        the rest of its run. Each record is built, indented as a pretty-printed whole
        document would be, written and dropped; so is each record's part of
        :meth:`to_dict` (the entities' mentions as dicts, all at once, would take
        hundreds of MB for thousands of documents).
        """
        data = self._head_dict()
        root = etree.Element(f"{R}register", nsmap={"r": REGISTER_NS})
        root.set("version", data["version"])
        root.set("built", data["built"])
        root.set("teipress", data["teipress"])
        head = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
        out.write(head[: head.rindex(b"/>")] + b">\n")
        ed = etree.Element(f"{R}edition", nsmap=_NSMAP)
        for k, v in data["edition"].items():
            if k != "editors":
                ed.set(k, _xml_safe(v))
        for name in data["edition"]["editors"]:
            etree.SubElement(ed, f"{R}editor").text = _xml_safe(name)
        _write_item(out, ed, 1)
        out.write(b"  <r:documents>\n")
        for d in self.documents:
            _write_item(out, _document_element(_document_dict(d)), 2)
        out.write(b"  </r:documents>\n  <r:entities>\n")
        for e in self.entities:
            _write_entity(out, _entity_dict(e, mentions=False), map(_mention, e.mentions), 2)
        out.write(b"  </r:entities>\n")
        event_keys = ("sort", "when", "from", "to", "notBefore", "notAfter", "doc", "anchor", "line")
        note_keys = ("doc", "ordinal", "id", "label", "place", "anchor")
        sections: list[tuple[str, Iterator[bytes]]] = [
            ("chronology", _flat_records("event", event_keys, ([str(ev[k]) for k in event_keys]
                                                                for ev in self.chronology), 2,
                                         (ev["text"] for ev in self.chronology))),
            ("pointers", _flat_records("pointer", POINTER_FIELDS, self.pointers, 2)),
            ("notes", _flat_records("note", note_keys, ([str(n[k]) for k in note_keys] for n in self.notes), 2)),
        ]
        for section, records in sections:
            first = next(records, None)
            if first is None:
                out.write(f"  <r:{section}/>\n".encode())
                continue
            out.write(f"  <r:{section}>\n".encode())
            out.write(first)
            for record in records:
                out.write(record)
            out.write(f"  </r:{section}>\n".encode())
        out.write(b"</r:register>\n")


class Writer(Protocol):
    """Where the register is written: a binary file, or anything taking bytes."""

    def write(self, data: bytes, /) -> object: ...


#: the register namespace's declaration as lxml writes it on an element serialised alone
NS_DECLARATION = f' xmlns:r="{REGISTER_NS}"'.encode()
_NSMAP = {"r": REGISTER_NS}


def _write_item(out: Writer, el: etree._Element, level: int) -> None:
    """*el* as it stands at depth *level* of the pretty-printed register (namespace
    declared on the root only)."""
    etree.indent(el, space="  ", level=level)
    data = etree.tostring(el, encoding="UTF-8")
    out.write(b"  " * level + data.replace(NS_DECLARATION, b"", 1) + b"\n")


#: How libxml2 writes an attribute value and text (UTF-8 output: other characters as they are).
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                               "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_SPECIAL = re.compile('[&<>"\n\r\t]')


def _attr(value: str) -> str:
    """*value* escaped as an attribute value (most have nothing to escape: one search)."""
    return value.translate(_ATTR_ESCAPES) if _ATTR_SPECIAL.search(value) else value


def _escaper(values: list[str]) -> Callable[[str], str]:
    """How to write *values* as attribute values: as they are when none holds a character
    to escape (one search over them all: the Escher letters' register has a million such
    values, and a search each was a third of the writer's time), else :func:`_attr`."""
    return str if _ATTR_SPECIAL.search("".join(values)) is None else _attr


def _flat_records(tag: str, keys: Sequence[str], rows: Iterable[Sequence[str]], level: int,
                  texts: Iterable[str] | None = None) -> Iterator[bytes]:
    """``<r:tag …/>`` for each of *rows* (its values under *keys*; with *texts*, each
    element's text) at depth *level*: the bytes :func:`_write_item` makes of such
    elements, without building them, a thousand to a piece.

    The register's mentions, events, pointers and notes are hundreds of thousands of
    elements without children; making, indenting and serialising each as an lxml
    element was most of the writer's time (the Escher letters' register: 2.4 s). A
    piece's values are checked for characters to escape in one search, each record is
    one ``str.format`` of the tag's template, and the piece is encoded at once (the
    Escher letters' 98,000 mentions: 0.08 s; pointers and events one at a time with
    an escaping search each, 0.27 s). Their values come from parsed XML or are numbers
    and ids, so they hold no character XML forbids (lxml refused such a value;
    _xml_safe is for the rest).
    """
    head = "  " * level + "<r:" + tag + "".join(f' {k}="{{}}"' for k in keys)
    record = (head + ">{}</r:" + tag + ">\n" if texts is not None else head + "/>\n").format
    rest, text_of = iter(rows), (iter(texts) if texts is not None else None)
    while chunk := list(islice(rest, 1000)):
        esc = _escaper([v for row in chunk for v in row])
        if text_of is not None:
            lines = [record(*map(esc, row), next(text_of).translate(_TEXT_ESCAPES)) for row in chunk]
        elif esc is str:  # nothing to escape: most pieces
            lines = [record(*row) for row in chunk]
        else:
            lines = [record(*map(esc, row)) for row in chunk]
        yield "".join(lines).encode("utf-8")


def _write_entity(out: Writer, e: dict[str, Any], mentions: Iterable[MentionFields], level: int) -> None:
    """An entity at depth *level*: its element without mentions, then its mentions
    (:func:`_flat_records`; an entity can have tens of thousands) before the end tag."""
    data = etree.tostring(_indented(_entity_element(e), level), encoding="UTF-8").replace(NS_DECLARATION, b"", 1)
    cut = data.rindex(b"\n") + 1  # the end tag's line
    out.write(b"  " * level + data[:cut])
    rows = ((doc, anchor, str(line), form, element) for doc, anchor, line, form, element in mentions)
    for piece in _flat_records("mention", MENTION_KEYS, rows, level + 1):
        out.write(piece)
    out.write(data[cut:] + b"\n")


def _indented(el: etree._Element, level: int) -> etree._Element:
    etree.indent(el, space="  ", level=level)
    return el


def _document_element(d: dict[str, Any]) -> etree._Element:
    el = etree.Element(f"{R}document", nsmap=_NSMAP)
    for k in ("id", "file", "href", "sort", "when", "position", "prev", "next", "sha256"):
        el.set(k, _xml_safe(str(d[k])))
    etree.SubElement(el, f"{R}title").text = _xml_safe(d["title"])
    if d["date"] is not None:
        de = etree.SubElement(el, f"{R}date")
        for k, v in d["date"].items():
            if k != "text" and v:
                de.set(k, _xml_safe(v))
        de.text = _xml_safe(d["date"]["text"])
    for p in d["participants"]:
        etree.SubElement(el, f"{R}participant").set("ref", p)
    if d["summary"]:
        etree.SubElement(el, f"{R}summary").text = _xml_safe(d["summary"])
    return el


def _entity_element(e: dict[str, Any]) -> etree._Element:
    el = etree.Element(f"{R}entity", nsmap=_NSMAP)
    for k in ("id", "kind", "file", "line", "sort"):
        el.set(k, _xml_safe(str(e[k])))
    etree.SubElement(el, f"{R}name").text = _xml_safe(e["name"])
    for v in e["variants"]:
        etree.SubElement(el, f"{R}variant").text = _xml_safe(v)
    for which in ("birth", "death"):
        if e[which] is not None:
            be = etree.SubElement(el, f"{R}{which}")
            for k, v in e[which].items():
                if k != "text" and v:
                    be.set(k, _xml_safe(v))
            be.text = _xml_safe(e[which]["text"])
    for role in e["roles"]:
        etree.SubElement(el, f"{R}role").text = _xml_safe(role)
    for idno in e["idnos"]:
        ie = etree.SubElement(el, f"{R}idno", type=_xml_safe(idno["type"]))
        if idno["href"]:
            ie.set("href", _xml_safe(idno["href"]))
        ie.text = _xml_safe(idno["value"])
    return el  # the mentions are written by _write_entity


_BAD_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _BAD_XML_CHARS.sub("\ufffd", text)


def _date_dict(d: DateInfo) -> dict[str, str]:
    return {"when": d.when, "from": d.from_, "to": d.to, "notBefore": d.not_before,
            "notAfter": d.not_after, "text": d.text}


def _life_dict(d: DateInfo | None) -> dict[str, str] | None:
    if d is None:
        return None
    out = _date_dict(d)
    if not out["text"]:
        out["text"] = (d.when or d.from_ or d.not_before or d.not_after or d.to)[:4]
    return out


#: (doc, anchor, line, form, element): a mention as the register writes it
MentionFields = tuple[str, str, int, str, str]
MENTION_KEYS = ("doc", "anchor", "line", "form", "element")


def _mention(use: PointerUse) -> MentionFields:
    """(doc, anchor, line, form, element) of the mention *use* makes: made as it is
    written, never kept (see Entry.mentions)."""
    node, f = use.node, use.file
    return f.doc_id, f.anchor(node), node.sline, node.form if node.tag in FORM_ELEMENTS else "", node.tag


def _mention_dict(use: PointerUse) -> dict[str, Any]:
    return dict(zip(MENTION_KEYS, _mention(use), strict=True))


def _document_dict(d: DocumentRecord) -> dict[str, Any]:
    return {
        "id": d.id, "file": d.file, "href": d.id, "sort": d.sort,
        "when": d.date.when, "position": d.position, "prev": d.prev, "next": d.next,
        "sha256": d.sha256, "title": d.title,
        "date": _date_dict(d.date) if (d.date.normalised or d.date.text) else None,
        "participants": d.participants, "summary": d.summary,
    }


def _entity_dict(e: Entry, mentions: bool = True) -> dict[str, Any]:
    """The entity's part of :meth:`Register.to_dict` (without its mentions unless *mentions*)."""
    return {
        "id": e.id, "kind": e.kind, "file": e.file.display, "line": e.sline,
        "sort": e.sort, "name": e.name, "variants": e.variants,
        "birth": _life_dict(e.birth), "death": _life_dict(e.death), "roles": e.roles,
        "idnos": [{"type": t, "href": h, "value": v} for t, h, v in e.idnos],
        "mentions": [_mention_dict(u) for u in e.mentions] if mentions else [],
    }


#: the attributes of a register's r:pointer, in the order of Register.pointers' tuples
POINTER_FIELDS = ("doc", "value", "target", "kind")


def built_timestamp() -> str:
    """UTC build time; ``SOURCE_DATE_EPOCH`` makes it reproducible."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch and epoch.isdigit() \
        else datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_register(corpus: Corpus, config: Config | None = None) -> Register:
    """Build the register from a resolved corpus (one pass over pointers, dates, notes)."""
    edition = config.edition if config is not None else (corpus.config.edition
                                                         if corpus.config else EditionInfo())
    for e in corpus.entries:
        e.mentions = []
    pointers: list[tuple[str, str, str, str]] = []
    seen: set[tuple[int, str]] = set()
    for use in corpus.uses:
        f = use.file
        key = (f.index, use.value)
        if key not in seen:
            seen.add(key)
            res = use.res
            pointers.append((f.doc_id, use.value,
                             res.entry.id if res.entry else res.target_id
                             if res.status in ("element", "document") else "",
                             res.kind))
        entry = use.res.entry
        if entry is not None and f.role == "document":
            entry.mentions.append(use)
    documents: list[DocumentRecord] = []
    chronology: list[dict[str, str]] = []
    notes: list[dict[str, str]] = []
    for f in corpus.documents:
        x = f.extract
        date = x.date
        participants: list[str] = []
        for ni, attrs in x.participants:
            for entry in corpus.entities_of(f, attrs, x.nodes[ni].tag):
                if entry.kind == "person" and entry.id not in participants:
                    participants.append(entry.id)
        documents.append(DocumentRecord(
            f.doc_id, f.display, date.sort, date, x.title if x.title is not None else f.doc_id,
            participants, x.summary, f.sha256))
        for ev in x.dates:
            d = ev.date
            sort = d.sort
            if _TIME.match(sort):
                sort = f"{date.sort}T{sort}" if date.sort else f"T{sort}"
            chronology.append({
                "sort": sort, "when": d.when, "from": d.from_, "to": d.to,
                "notBefore": d.not_before, "notAfter": d.not_after, "doc": f.doc_id,
                "anchor": ev.anchor or f.doc_id, "line": str(ev.sline), "text": d.text,
            })
        for n in x.notes:
            notes.append({"doc": f.doc_id, "ordinal": str(n.ordinal), "id": n.id, "label": n.label,
                          "place": n.place, "anchor": n.anchor or f.doc_id})
    documents.sort(key=lambda d: (d.sort == "", d.sort, d.id))
    for i, rec in enumerate(documents):
        rec.position = i + 1
        rec.prev = documents[i - 1].id if i else ""
        rec.next = documents[i + 1].id if i + 1 < len(documents) else ""
    chronology.sort(key=lambda ev: (ev["sort"], ev["doc"], int(ev["line"])))
    entities = sorted((e for e in corpus.entries if corpus.entry_by_id.get(e.id) is e), key=lambda e: (e.sort, e.id))
    return Register(edition, built_timestamp(), documents, entities, chronology, pointers,
                    notes, corpus)
