"""What the resolve phase needs from one file, taken out of its tree once.

The corpus model (:mod:`teipress.resolve.corpus`), the cross-reference checks
and the register never walk XML trees: they read one :class:`FileExtract` per
file. An extract depends only on the file's bytes and on the configured
``@key`` mappings, so it is computed where the file is parsed anyway (the
check phase's pool workers) and cached with the check results by content hash
(:class:`~teipress.check.runner.CheckCache`). A rebuild after one file changed
therefore parses one file, not the corpus, and the parent process never holds
thousands of parsed trees (memory stays flat as the corpus grows).

Everything here is plain data (tuples, strings, small dataclasses) so it
pickles cheaply between processes and into the cache.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, cast

from lxml import etree

from teipress import TEI_NS, XML_NS
from teipress.load import LoadedDocument
from teipress.locate import ElementLocator
from teipress.resolve.positions import sourceline
from teipress.resolve.text import element_text, name_key, sort_key, surface_form

T = f"{{{TEI_NS}}}"
XML_ID = f"{{{XML_NS}}}id"
NS = {"tei": TEI_NS}
#: Bump when the extract's shape or meaning changes: cached extracts of older versions are misses.
EXTRACT_VERSION = "3"

EntityKind = Literal["person", "place", "org", "bibl", "term"]

#: Attributes whose values are (whitespace-separated lists of) TEI pointers.
POINTER_ATTRS: tuple[str, ...] = (
    "ref", "corresp", "target", "who", "sameAs", "source", "active", "passive", "mutual",
)
_ENTRY_KIND: dict[str, EntityKind] = {
    "person": "person", "personGrp": "person", "place": "place", "org": "org",
    "bibl": "bibl", "biblStruct": "bibl",
}
#: An entry must sit in a list (or nest in another entry, like place in place).
_ENTRY_PARENTS = frozenset(
    {"listPerson", "listPlace", "listOrg", "listBibl", "listNym", "person", "personGrp",
     "place", "org"}
)
#: FRUS-style glossaries: ``list[@type]/item[@xml:id]``. Persons lists give persons;
#: the others are "term" entries, which carry no kind and so satisfy any pointer.
_PERSON_LIST_TYPES = frozenset({"persons", "participants", "people"})
_NAME_LIST_TYPES = frozenset({"names", "terms", "abbreviations", "glossary", "organizations",
                              "organisations", "places"}) | _PERSON_LIST_TYPES
_NAME_CHILDREN = frozenset(
    f"{T}{n}" for n in ("persName", "placeName", "orgName", "name", "geogName", "term", "title")
)
_DISPLAY_TYPES = ("normalised", "normalized", "reg", "main", "display", "standard", "full")
_ENTRY_TAGS = tuple(f"{T}{n}" for n in (*_ENTRY_KIND, "item"))
#: Elements whose text is a mention's surface form (a speech's text is not).
FORM_ELEMENTS = frozenset({"persName", "placeName", "orgName", "name", "geogName", "rs",
                           "settlement", "country", "region", "term", "title", "bibl"})
#: Links keep their text for did-you-mean hints ("did you mean pers:gao-gang (Gao Gang)?") when
#: it is this short; the text of other pointing elements (a speech with @who, a note with
#: @target) is no name, and leaving it out lets an edit of a speech keep the resolve results.
_HINT_ELEMENTS = frozenset({"ref", "ptr", "link"})
_HINT_TEXT_MAX = 200
#: Attributes of a participant element that may name an entity (plus configured @key ones).
PARTICIPANT_ATTRS = ("sameAs", "ref", "who", "corresp")
_IDNO_URLS = {
    "wikidata": "https://www.wikidata.org/wiki/{}",
    "gnd": "https://d-nb.info/gnd/{}",
    "viaf": "https://viaf.org/viaf/{}",
    "geonames": "https://www.geonames.org/{}",
    "orcid": "https://orcid.org/{}",
}
#: note/@place values that take a running number when the note has no @n.
NUMBERED_PLACES = frozenset({"foot", "end", "bottom", ""})


def localname(el: etree._Element) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class DateInfo(NamedTuple):
    """A normalised date: the ISO attributes of a ``date``/``time`` plus its text."""

    when: str = ""
    from_: str = ""
    to: str = ""
    not_before: str = ""
    not_after: str = ""
    text: str = ""

    @classmethod
    def of(cls, el: etree._Element) -> DateInfo:
        return cls(el.get("when", "").strip(), el.get("from", "").strip(), el.get("to", "").strip(),
                   el.get("notBefore", "").strip(), el.get("notAfter", "").strip(),
                   element_text(el))

    @property
    def normalised(self) -> bool:
        return bool(self.when or self.from_ or self.to or self.not_before or self.not_after)

    @property
    def sort(self) -> str:
        return self.when or self.from_ or self.not_before or self.not_after or self.to

    @property
    def earliest(self) -> str:
        return self.when or self.from_ or self.not_before or self.to or self.not_after

    @property
    def latest(self) -> str:
        return self.when or self.to or self.not_after or self.from_ or self.not_before


class Node(NamedTuple):
    """An element something is said about: where it is and what the checks read from it.

    ``anchor`` is the xml:id of the nearest ancestor that has one ("" = the
    document itself, whose id the corpus decides); ``owner`` the id of the
    authority entry the element is or is inside ("" if none) and ``is_entry``
    whether it is that entry's own element.
    """

    tag: str
    line: int
    col: int
    sline: int  # libxml2's line (what the register has always recorded)
    anchor: str
    form: str
    has_text: bool
    type: str
    owner: str = ""
    is_entry: bool = False


class EntryExtract(NamedTuple):
    """An authority entry as found in its file (person, place, org, bibl, glossary item)."""

    id: str
    kind: EntityKind
    tag: str
    line: int
    col: int
    sline: int
    attrs: tuple[tuple[str, str], ...]
    name: str
    sort: str
    variants: tuple[str, ...]
    name_keys: frozenset[str]
    primary: bool  # the first element of its file carrying this id (what "#id" reaches)
    birth: DateInfo | None = None
    death: DateInfo | None = None
    roles: tuple[str, ...] = ()
    idnos: tuple[tuple[str, str, str], ...] = ()  # (type, href, value)

    def attr(self, name: str) -> str | None:
        return next((v for k, v in self.attrs if k == name), None)


class DatedEvent(NamedTuple):
    """A normalised date in a document (a chronology event)."""

    date: DateInfo
    anchor: str
    sline: int


class NoteLabel(NamedTuple):
    """A note's ordinal among the document's notes and the label every edition prints."""

    ordinal: int
    id: str
    label: str
    place: str
    anchor: str


@dataclass
class FileExtract:
    """Everything the resolve phase needs from one file (see the module docstring)."""

    root_id: str
    prefixes: tuple[tuple[str, str, str], ...]  # (ident, matchPattern, replacementPattern)
    ids: str  # every xml:id in document order, "\n"-joined (split only when needed)
    dup_ids: tuple[tuple[str, int], ...]  # (id, nth) for repeats of an id inside this file
    nodes: list[Node] = field(default_factory=list)
    uses: list[tuple[int, str, str]] = field(default_factory=list)  # (node, attribute, raw value)
    entries: list[EntryExtract] = field(default_factory=list)
    title: str | None = None
    summary: str = ""
    date: DateInfo = field(default_factory=DateInfo)
    participants: list[tuple[int, tuple[tuple[str, str], ...]]] = field(default_factory=list)
    dates: list[DatedEvent] = field(default_factory=list)
    notes: list[NoteLabel] = field(default_factory=list)
    #: hash of everything above except positions (see :meth:`semantic_digest`)
    semantic: str = ""

    def id_list(self) -> list[str]:
        return self.ids.split("\n") if self.ids else []

    def semantic_digest(self) -> str:
        """SHA-256 of the extract without lines and columns.

        Editing the text of a letter moves the columns (often the lines) of every
        element after the edit, and nothing else the resolve phase reads: such an
        edit keeps this digest, so the build can reuse the previous register and
        cross-reference findings and only move the findings' positions
        (:mod:`teipress.resolve.memo`).
        """
        h = hashlib.sha256()
        for part in (self.root_id, self.prefixes, self.ids, self.dup_ids,
                     [(n.tag, n.anchor, n.form, n.has_text, n.type, n.owner, n.is_entry) for n in self.nodes],
                     self.uses,
                     [(e._replace(line=0, col=0, sline=0, name_keys=frozenset()), sorted(e.name_keys))
                      for e in self.entries],
                     self.title, self.summary, self.date, self.participants,
                     [d._replace(sline=0) for d in self.dates], self.notes):
            h.update(repr(part).encode("utf-8", "surrogatepass") + b"\x00")
        return h.hexdigest()


# --------------------------------------------------------------------------
# XPaths, compiled once per process
# --------------------------------------------------------------------------

class ElementsXPath:
    """A compiled XPath that selects elements, typed for mypy (lxml's stubs return a union)."""

    def __init__(self, path: str, namespaces: dict[str, str] | None = None,
                 smart_strings: bool = True) -> None:
        self._xp = etree.XPath(path, namespaces=namespaces, smart_strings=smart_strings)

    def __call__(self, node: etree._Element) -> list[etree._Element]:
        return cast("list[etree._Element]", self._xp(node))


class AttrsXPath(ElementsXPath):
    """A compiled XPath that selects attributes (smart strings with ``getparent()``/
    ``attrname``, or plain strings when built with ``smart_strings=False``)."""

    def __call__(self, node: etree._Element) -> list[Any]:
        return cast("list[Any]", self._xp(node))


def _xp(path: str) -> ElementsXPath:
    return ElementsXPath(path, namespaces=NS)


_X_ID_STRINGS = AttrsXPath("//@xml:id", smart_strings=False)
_X_PREFIX = _xp("//tei:listPrefixDef/tei:prefixDef[@ident]")
_X_TITLE = _xp("tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:title[@type='main'][1]"
               " | tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:title[1]")
_X_SUMMARY = _xp("tei:teiHeader/tei:profileDesc/tei:abstract[1]"
                 " | tei:teiHeader/tei:fileDesc/tei:sourceDesc//tei:msContents/tei:summary[1]")
X_PARTICIPANTS = _xp(
    "tei:teiHeader/tei:profileDesc/tei:particDesc//*[@sameAs or @ref or @key]"
    " | tei:teiHeader/tei:profileDesc/tei:correspDesc/tei:correspAction/*[@ref or @key]")
_X_DATES = _xp(
    "tei:text//tei:date | tei:text//tei:time"
    " | tei:teiHeader/tei:profileDesc/tei:creation//tei:date"
    " | tei:teiHeader/tei:profileDesc/tei:creation//tei:time"
    " | tei:teiHeader/tei:profileDesc/tei:correspDesc/tei:correspAction/tei:date")
_X_HEADER_NOTES = _xp("tei:teiHeader//tei:note")
_X_DOC_DATES = [
    _xp("tei:teiHeader/tei:profileDesc/tei:creation//tei:date[1]"),
    _xp("tei:teiHeader/tei:profileDesc/tei:settingDesc/tei:setting//tei:date[1]"),
    _xp("tei:teiHeader/tei:profileDesc/tei:correspDesc/tei:correspAction[@type='sent']/tei:date[1]"),
    _xp("tei:text//tei:docDate[1] | tei:text//tei:dateline//tei:date[1]"
        " | tei:text//tei:docDate//tei:date[1]"),
]
_POINTER_XPATHS: dict[tuple[tuple[str, str], ...], AttrsXPath] = {}


def _pointer_xpath(key_attrs: Sequence[tuple[str, str]]) -> AttrsXPath:
    """All pointer attributes plus the configured ``element/@key`` ones.

    A union of attribute paths is ~7x faster in libxml2 than one element path
    with an or-ed predicate, and yields each attribute in document order.
    """
    sig = tuple(key_attrs)
    xp = _POINTER_XPATHS.get(sig)
    if xp is None:
        paths = [f"//@{a}" for a in POINTER_ATTRS] + [f"//tei:{el}/@{attr}" for el, attr in sig]
        xp = _POINTER_XPATHS[sig] = AttrsXPath(" | ".join(paths), namespaces=NS)
    return xp


# --------------------------------------------------------------------------
# Extraction
# --------------------------------------------------------------------------

def document_date(root: etree._Element) -> DateInfo:
    """The date of a document: ``profileDesc/creation/date``, else the date of the event it
    records (``settingDesc/setting/date``, as for memoranda of conversation), else the
    sending date of ``correspDesc``, else the first ``docDate``/``dateline`` date in the text."""
    for xp in _X_DOC_DATES:
        found = xp(root)
        if found:
            return DateInfo.of(found[0])
    return DateInfo()


def document_title(root: etree._Element) -> str | None:
    """The document's main title (``titleStmt/title[@type='main']``, else the first), or None."""
    titles = _X_TITLE(root)
    return element_text(titles[0]) if titles else None


def note_labels(root: etree._Element) -> list[tuple[etree._Element, int, str]]:
    """``(note, ordinal, label)`` for every note of a document (docs/register.md rules)."""
    header = set(_X_HEADER_NOTES(root))
    notes = list(root.iter(f"{T}note"))
    used = {(n.get("n") or "").strip() for n in notes if n not in header} - {""}
    counter = 0
    out: list[tuple[etree._Element, int, str]] = []
    for ordinal, note in enumerate(notes, 1):
        n = (note.get("n") or "").strip()
        if note in header:
            label = ""
        elif n:
            label = n
        elif (note.get("place") or "").strip() in NUMBERED_PLACES:
            counter += 1
            while str(counter) in used:
                counter += 1
            label = str(counter)
        else:
            label = ""
        out.append((note, ordinal, label))
    return out


def _idno_href(type_: str, value: str) -> str:
    if value.startswith(("http://", "https://")):
        return value
    tmpl = _IDNO_URLS.get(type_.lower())
    return tmpl.format(value) if tmpl and value else ""


def _entry(el: etree._Element, pos: tuple[int, int], primary: bool) -> EntryExtract | None:
    """The entry *el* defines, or None when it is not one (wrong parent, a reference)."""
    tag = localname(el)
    parent = el.getparent()
    ptag = localname(parent) if parent is not None else ""
    kind: EntityKind
    if tag == "item":
        if ptag != "list" or parent is None:
            return None
        ltype = (parent.get("type") or "").strip()
        if ltype not in _NAME_LIST_TYPES:
            return None
        kind = "person" if ltype in _PERSON_LIST_TYPES else "term"
    else:
        if ptag not in _ENTRY_PARENTS:
            return None
        if tag == "person" and el.get("sameAs"):
            return None  # a participant reference, not an entry
        kind = _ENTRY_KIND[tag]
    xml_id = el.get(XML_ID, "")
    names: list[tuple[str, str]] = []  # (type, text)
    if kind == "bibl":
        for title in el.iter(f"{T}title"):
            names.append((title.get("type", ""), element_text(title)))
    else:
        for child in el:
            if child.tag in _NAME_CHILDREN:
                names.append((child.get("type", ""), surface_form(child)))
    names = [(t, n) for t, n in names if n]
    if not names:
        text = element_text(el)
        if tag == "item":
            text = text.split(",", 1)[0] if kind == "person" else text
        names = [("", text[:200] or xml_id)]
    display = next((n for t, n in names if t in _DISPLAY_TYPES), "")
    if not display:
        display = next((n for t, n in names if t != "sort"), names[0][1])
    sort_form = next((n for t, n in names if t == "sort"), display)
    variants: list[str] = []
    for t, n in names:
        if t != "sort" and n != display and n not in variants:
            variants.append(n)
    keys = {name_key(n) for _, n in names}
    for sur in el.iter(f"{T}surname"):
        keys.add(name_key(element_text(sur)))
    birth = death = None
    roles: list[str] = []
    idnos: list[tuple[str, str, str]] = []
    for child in el:
        ctag = child.tag
        if ctag == f"{T}birth":
            birth = DateInfo.of(child)
        elif ctag == f"{T}death":
            death = DateInfo.of(child)
        elif ctag in (f"{T}occupation", f"{T}roleName"):
            text = element_text(child)
            if text:
                roles.append(text)
        elif ctag == f"{T}idno":
            value = element_text(child)
            type_ = child.get("type", "")
            idnos.append((type_, _idno_href(type_, value), value))
    attrs = tuple((str(k), str(v)) for k, v in el.attrib.items())
    return EntryExtract(xml_id, kind, tag, pos[0], pos[1], sourceline(el), attrs, display,
                        sort_key(sort_form), tuple(variants), frozenset(keys), primary, birth,
                        death, tuple(roles), tuple(idnos))


class _Extractor:
    """One pass over one parsed file (see :func:`extract`)."""

    def __init__(self, doc: LoadedDocument, key_attrs: Sequence[tuple[str, str]]) -> None:
        self.doc = doc
        self.root = doc.root
        self.key_attrs = key_attrs
        self.locator = ElementLocator(doc.data, self.root.getroottree())
        self.entry_of: dict[etree._Element, str] = {}
        self.node_index: dict[etree._Element, int] = {}

    def run(self) -> FileExtract:
        root = self.root
        id_strings = [str(v) for v in _X_ID_STRINGS(root)]
        seen: dict[str, int] = {}
        dups: list[tuple[str, int]] = []
        for value in id_strings:
            nth = seen.get(value, 0)
            seen[value] = nth + 1
            if nth:
                dups.append((value, nth))
        prefixes = tuple((pd.get("ident", "").strip(), pd.get("matchPattern", ""),
                          pd.get("replacementPattern", "")) for pd in _X_PREFIX(root))
        out = FileExtract(root.get(XML_ID, ""), prefixes, "\n".join(id_strings), tuple(dups))
        self._entries(out)
        for attr in _pointer_xpath(self.key_attrs)(root):
            el = attr.getparent()
            out.uses.append((self.node(el, out), sys.intern(attr.attrname), sys.intern(str(attr))))
        out.title = document_title(root)
        summaries = _X_SUMMARY(root)
        out.summary = element_text(summaries[0]) if summaries else ""
        out.date = document_date(root)
        wanted = PARTICIPANT_ATTRS + tuple(a for _, a in self.key_attrs)
        for el in X_PARTICIPANTS(root):
            values = tuple((a, el.get(a, "")) for a in wanted if el.get(a) is not None)
            out.participants.append((self.node(el, out), values))
        for el in _X_DATES(root):
            d = DateInfo.of(el)
            if d.normalised:
                out.dates.append(DatedEvent(d, self.anchor(el), sourceline(el)))
        for note, ordinal, label in note_labels(root):
            out.notes.append(NoteLabel(ordinal, note.get(XML_ID, ""), label, note.get("place", ""),
                                       self.anchor(note)))
        return out

    def _entries(self, out: FileExtract) -> None:
        # What "#id" reaches is the first element of the file with that id; only ids
        # that repeat in this file (rare, an X002 error) need the walk to find it.
        repeated = {value for value, _ in out.dup_ids}
        first: dict[str, etree._Element] = {}
        if repeated:
            for el in self.root.iter():
                value = el.get(XML_ID) if isinstance(el.tag, str) else None
                if value in repeated and value not in first:
                    first[value] = el
        for el in self.root.iter(*_ENTRY_TAGS):
            xml_id = el.get(XML_ID)
            if xml_id is None:
                continue
            entry = _entry(el, self.locator.position(el), first.get(xml_id, el) is el)
            if entry is not None:
                out.entries.append(entry)
                self.entry_of[el] = entry.id

    def anchor(self, el: etree._Element) -> str:
        node = el.getparent()
        while node is not None:
            value = node.get(XML_ID)
            if value:
                return value
            node = node.getparent()
        return ""

    def node(self, el: etree._Element, out: FileExtract) -> int:
        i = self.node_index.get(el)
        if i is not None:
            return i
        tag = localname(el)
        has_text = bool(el.text)
        form = ""
        if tag in FORM_ELEMENTS:
            form = surface_form(el)
        elif has_text and tag in _HINT_ELEMENTS:
            form = surface_form(el)
            if len(form) > _HINT_TEXT_MAX:
                form = ""
        owner, is_entry = "", False
        anc: etree._Element | None = el
        while anc is not None:
            found = self.entry_of.get(anc)
            if found is not None:
                owner, is_entry = found, anc is el
                break
            anc = anc.getparent()
        line, col = self.locator.position(el)
        # Names that repeat (element, type, the anchor of a paragraph's pointers, the
        # entry that owns them, a name's surface form) are one string each: pickled once
        # per extract and held once by the resolve process, which holds every extract.
        out.nodes.append(Node(sys.intern(tag), line, col, sourceline(el), sys.intern(self.anchor(el)),
                              sys.intern(form), has_text, sys.intern(el.get("type", "")), sys.intern(owner),
                              is_entry))
        i = self.node_index[el] = len(out.nodes) - 1
        return i


def extract(doc: LoadedDocument, key_attrs: Sequence[tuple[str, str]] = ()) -> FileExtract:
    """The extract of a parsed file; *key_attrs* are the configured ``(element, attribute)``
    pairs whose values are keys (``[tool.teipress.keys]``: ``("persName", "key")``)."""
    found = _Extractor(doc, key_attrs).run()
    found.semantic = found.semantic_digest()
    return found
