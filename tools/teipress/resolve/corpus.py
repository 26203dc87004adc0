"""The corpus model: every file, every authority entry, every pointer and what it resolves to.

Resolution happens once per run here; the register, ``teipress xref`` and the
corpus checks of ``teipress validate`` all read this one model, so a pointer can
never resolve one way in the HTML and another in the validator.

Speed matters (the validator's target is >= 5 MB/s and a 52 MB corpus must be
indexed in seconds): every per-file walk is a compiled XPath evaluated inside
libxml2, resolutions are cached per ``(file, value)``, and nothing is
quadratic in the number of files or entries.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import unquote

from lxml import etree

from teipress import TEI_NS, XML_NS
from teipress.config import Config, ConfigError
from teipress.load import LoadedDocument
from teipress.locate import ElementLocator
from teipress.resolve.text import element_text, name_key, sort_key, surface_form

T = f"{{{TEI_NS}}}"
XML_ID = f"{{{XML_NS}}}id"
NS = {"tei": TEI_NS}

#: Attributes whose values are (whitespace-separated lists of) TEI pointers.
POINTER_ATTRS: tuple[str, ...] = (
    "ref", "corresp", "target", "who", "sameAs", "source", "active", "passive", "mutual",
)
#: URI schemes that point outside the corpus: recorded as "external", never fetched.
EXTERNAL_SCHEMES = frozenset(
    {"http", "https", "ftp", "ftps", "mailto", "urn", "doi", "tel", "data", "file", "info", "hdl"}
)

EntityKind = Literal["person", "place", "org", "bibl", "term"]
Status = Literal["entity", "element", "document", "external", "unresolved", "undeclared"]

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

#: What kind of entry a naming element may point at (X003).
EXPECTED_KIND: dict[str, frozenset[str]] = {
    "persName": frozenset({"person"}),
    "placeName": frozenset({"place"}),
    "geogName": frozenset({"place"}),
    "settlement": frozenset({"place"}),
    "country": frozenset({"place"}),
    "region": frozenset({"place"}),
    "orgName": frozenset({"org"}),
}
WHO_KINDS = frozenset({"person", "org"})
#: Elements whose text is a name and so can be compared with the entry (X102).
NAME_ELEMENTS = frozenset({"persName", "placeName", "orgName", "name", "geogName"})

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):(.*)$", re.S)
_DOLLAR = re.compile(r"\$(\d)")
_ISO = re.compile(r"^-?\d{4}(-\d{2}(-\d{2})?)?")


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


def localname(el: etree._Element) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


@dataclass(frozen=True)
class KeyRule:
    """One ``[tool.teipress.keys]`` mapping: ``persName = "person/@n"``.

    The left side names the pointing element (``persName``, or ``persName/@key``
    to use another attribute; ``@key`` is the default); the right side the
    authority element and the attribute whose value the key must equal
    (``person/@n``, ``place/@xml:id``). Key values are compared whole (not
    split on whitespace): keys such as ``St. Gotthard (Pass)`` contain spaces.
    """

    element: str
    attr: str
    entry: str
    entry_attr: str

    @property
    def entry_attr_clark(self) -> str:
        if self.entry_attr == "xml:id":
            return XML_ID
        return self.entry_attr


def parse_key_rules(keys: dict[str, str]) -> list[KeyRule]:
    """Parse ``Config.keys``; raise :class:`ConfigError` (exit 2) for bad syntax."""
    rules: list[KeyRule] = []
    pat_left = re.compile(r"^([A-Za-z][\w.-]*)(?:/@([A-Za-z][\w.:-]*))?$")
    pat_right = re.compile(r"^([A-Za-z][\w.-]*)/@([A-Za-z][\w.:-]*)$")
    for left, right in keys.items():
        ml, mr = pat_left.match(left.strip()), pat_right.match(right.strip())
        if not ml or not mr:
            raise ConfigError(
                f"[tool.teipress.keys] {left} = {right!r}: expected "
                'element = "entry/@attribute", e.g. persName = "person/@n"'
            )
        rules.append(KeyRule(ml.group(1), ml.group(2) or "key", mr.group(1), mr.group(2)))
    return rules


@dataclass
class DateInfo:
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


class SourceFile:
    """One loaded file of the corpus and its per-file indexes.

    The id index is built on first use: a run that only builds the register
    needs the ids of pointed-at files (authorities), not of every letter.
    """

    def __init__(self, doc: LoadedDocument, role: Literal["document", "authority"],
                 index: int) -> None:
        self.doc = doc
        self.role = role
        self.index = index
        self.display = doc.display
        self.doc_id = doc.doc_id
        self.prefixes: dict[str, list[tuple[re.Pattern[str], str, str]]] = {}
        self._ids: dict[str, etree._Element] | None = None
        self._locator: ElementLocator | None = None

    @property
    def ids(self) -> dict[str, etree._Element]:
        """xml:id -> the first element carrying it in this file."""
        if self._ids is None:
            ids: dict[str, etree._Element] = {}
            for attr in _X_IDS(self.doc.root):
                ids.setdefault(str(attr), attr.getparent())
            self._ids = ids
        return self._ids

    def position(self, el: etree._Element) -> tuple[int, int]:
        """``(line, column)`` of *el*'s start tag."""
        if self._locator is None:
            self._locator = ElementLocator(self.doc.data, self.doc.root.getroottree())
        return self._locator.position(el)


@dataclass
class Mention:
    """A pointer in a document that resolves to an entity."""

    doc: str
    anchor: str
    line: int
    form: str
    element: str


@dataclass
class Entry:
    """An authority entry (person, place, org, bibliographic item or glossary term)."""

    id: str
    kind: EntityKind
    file: SourceFile
    element: etree._Element
    name: str
    sort: str
    variants: list[str]
    name_keys: set[str]
    birth: DateInfo | None = None
    death: DateInfo | None = None
    roles: list[str] = field(default_factory=list)
    idnos: list[tuple[str, str, str]] = field(default_factory=list)  # (type, href, value)
    mentions: list[Mention] = field(default_factory=list)


@dataclass(frozen=True)
class Resolution:
    """What one pointer token resolves to."""

    status: Status
    target_file: SourceFile | None = None
    target_id: str = ""
    entry: Entry | None = None
    detail: str = ""
    fragment: str = ""  # the id looked for (for did-you-mean)

    @property
    def kind(self) -> str:
        """Register kind: the entity kind, or element/document/external/unresolved."""
        if self.entry is not None:
            return self.entry.kind
        if self.status == "undeclared":
            return "unresolved"
        return self.status

    @property
    def ok(self) -> bool:
        return self.status not in ("unresolved", "undeclared")


@dataclass
class PointerUse:
    """One pointer token on one attribute of one element."""

    file: SourceFile
    element: etree._Element
    attr: str
    value: str
    res: Resolution


_IDNO_URLS = {
    "wikidata": "https://www.wikidata.org/wiki/{}",
    "gnd": "https://d-nb.info/gnd/{}",
    "viaf": "https://viaf.org/viaf/{}",
    "geonames": "https://www.geonames.org/{}",
    "orcid": "https://orcid.org/{}",
}


def _idno_href(type_: str, value: str) -> str:
    if value.startswith(("http://", "https://")):
        return value
    tmpl = _IDNO_URLS.get(type_.lower())
    return tmpl.format(value) if tmpl and value else ""


_X_IDS = AttrsXPath("//@xml:id")
_X_ID_STRINGS = AttrsXPath("//@xml:id", smart_strings=False)
_X_PREFIX = ElementsXPath("//tei:listPrefixDef/tei:prefixDef[@ident]", namespaces=NS)
_ENTRY_TAGS = tuple(f"{T}{n}" for n in (*_ENTRY_KIND, "item"))


class Corpus:
    """All documents and authority files of a run, indexed and with every pointer resolved."""

    def __init__(
        self,
        documents: Sequence[LoadedDocument],
        authorities: Sequence[LoadedDocument] = (),
        config: Config | None = None,
    ) -> None:
        self.config = config
        self.key_rules = parse_key_rules(config.keys if config else {})
        self.files: list[SourceFile] = []
        for role, docs in (("document", documents), ("authority", authorities)):
            for d in docs:
                if d.ok:
                    self.files.append(SourceFile(d, role, len(self.files)))  # type: ignore[arg-type]
        # keyed by normalised absolute path strings: os.path.normpath costs no system
        # call, Path.resolve() one lstat per component per pointer
        self.by_path: dict[str, SourceFile] = {
            os.path.normpath(os.path.abspath(f.doc.path)): f for f in self.files}
        self._dirs: dict[int, str] = {
            f.index: os.path.dirname(os.path.normpath(os.path.abspath(f.doc.path)))
            for f in self.files}
        self.entries: list[Entry] = []
        self.entry_by_element: dict[etree._Element, Entry] = {}
        self.entry_by_id: dict[str, Entry] = {}
        self.key_index: dict[tuple[str, str], dict[str, Entry]] = {}
        self.uses: list[PointerUse] = []
        self._cache: dict[tuple[object, ...], Resolution] = {}
        self._prefix_sigs: dict[int, tuple[object, ...]] = {}
        self._index()
        self._resolve_all()

    # -- indexing ---------------------------------------------------------
    @property
    def documents(self) -> list[SourceFile]:
        return [f for f in self.files if f.role == "document"]

    def _index(self) -> None:
        for f in self.files:
            root = f.doc.root
            for pd in _X_PREFIX(root):
                ident = pd.get("ident", "").strip()
                match = pd.get("matchPattern", "")
                repl = pd.get("replacementPattern", "")
                try:
                    pattern = re.compile(match)
                except re.error:
                    continue
                py_repl = _DOLLAR.sub(r"\\g<\1>", repl.replace("\\", "\\\\"))
                f.prefixes.setdefault(ident, []).append((pattern, py_repl, repl))
            for el in root.iter(*_ENTRY_TAGS):
                if el.get(XML_ID) is None:
                    continue
                entry = self._make_entry(f, el)
                if entry is None:
                    continue
                self.entries.append(entry)
                self.entry_by_element[el] = entry
                self.entry_by_id.setdefault(entry.id, entry)
        for rule in self.key_rules:
            index = self.key_index.setdefault((rule.entry, rule.entry_attr), {})
            clark = rule.entry_attr_clark
            for entry in self.entries:
                if localname(entry.element) == rule.entry:
                    value = entry.element.get(clark)
                    if value is not None:
                        index.setdefault(value.strip(), entry)

    def _make_entry(self, f: SourceFile, el: etree._Element) -> Entry | None:
        tag = localname(el)
        parent = el.getparent()
        ptag = localname(parent) if parent is not None else ""
        kind: EntityKind
        if tag == "item":
            if parent is None or localname(parent) != "list":
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
        entry = Entry(xml_id, kind, f, el, display, sort_key(sort_form), variants, keys)
        for child in el:
            ctag = child.tag
            if ctag == f"{T}birth":
                entry.birth = DateInfo.of(child)
            elif ctag == f"{T}death":
                entry.death = DateInfo.of(child)
            elif ctag in (f"{T}occupation", f"{T}roleName"):
                text = element_text(child)
                if text:
                    entry.roles.append(text)
            elif ctag == f"{T}idno":
                value = element_text(child)
                type_ = child.get("type", "")
                entry.idnos.append((type_, _idno_href(type_, value), value))
        return entry

    def duplicates(self) -> list[tuple[SourceFile, etree._Element, str, SourceFile, etree._Element]]:
        """Every xml:id occurrence after the first, in its file or in the corpus (X002):
        ``(file, element, id, first_file, first_element)``.

        Ids are collected as plain strings (cheap); elements are looked up only
        for the few files that actually have a duplicate.
        """
        # id-scope "document" (projects whose ids are unique per file and whose pointers
        # name the file): only the documents' own root ids must be unique corpus-wide.
        per_document = self.config is not None and self.config.id_scope == "document"
        first: dict[str, int] = {}
        hits: list[tuple[SourceFile, str, int, SourceFile]] = []  # (file, id, nth, first file)
        for f in self.files:
            seen: dict[str, int] = {}
            root_id = f.doc.root.get(XML_ID)
            for value in _X_ID_STRINGS(f.doc.root):
                nth = seen.get(value, 0)
                seen[value] = nth + 1
                if per_document and value != root_id:
                    if nth:
                        hits.append((f, value, nth, f))
                    continue
                owner = first.setdefault(value, f.index)
                if nth or owner != f.index:
                    hits.append((f, value, nth, self.files[owner]))
        out: list[tuple[SourceFile, etree._Element, str, SourceFile, etree._Element]] = []
        by_file: dict[int, dict[str, list[etree._Element]]] = {}

        def elements(sf: SourceFile) -> dict[str, list[etree._Element]]:
            found = by_file.get(sf.index)
            if found is None:
                found = {}
                for attr in _X_IDS(sf.doc.root):
                    found.setdefault(str(attr), []).append(attr.getparent())
                by_file[sf.index] = found
            return found

        for f, value, nth, ff in hits:
            el = elements(f)[value][nth]
            if nth:
                out.append((f, el, value, f, elements(f)[value][0]))
            else:
                out.append((f, el, value, ff, elements(ff)[value][0]))
        return out

    # -- resolution -------------------------------------------------------
    def _pointer_xpath(self) -> AttrsXPath:
        # A union of attribute paths is ~7x faster in libxml2 than one element path
        # with an or-ed predicate, and yields each attribute in document order.
        paths = [f"//@{a}" for a in POINTER_ATTRS]
        paths += [f"//tei:{r.element}/@{r.attr}" for r in self.key_rules]
        return AttrsXPath(" | ".join(paths), namespaces=NS)

    def _resolve_all(self) -> None:
        xp = self._pointer_xpath()
        key_rule: dict[tuple[str, str], KeyRule] = {
            (f"{T}{r.element}", r.attr): r for r in self.key_rules}
        uses = self.uses
        append = uses.append
        for f in self.files:
            for attr in xp(f.doc.root):
                el = attr.getparent()
                name = attr.attrname
                rule = key_rule.get((el.tag, name)) if key_rule else None
                if rule is not None:
                    value = str(attr).strip()
                    if value:
                        append(PointerUse(f, el, name, value, self.resolve_key(f, rule, value)))
                    continue
                for token in str(attr).split():
                    append(PointerUse(f, el, name, token, self.resolve(f, token)))

    def resolve_key(self, f: SourceFile, rule: KeyRule, value: str) -> Resolution:
        """Resolve a ``@key`` value under a configured mapping."""
        cache_key = (-1 - self.key_rules.index(rule), value)
        hit = self._cache.get(cache_key)
        if hit is not None:
            return hit
        entry = self.key_index.get((rule.entry, rule.entry_attr), {}).get(value)
        if entry is None:
            res = Resolution("unresolved", fragment=value,
                             detail=f"no {rule.entry} has @{rule.entry_attr} = '{value}'")
        else:
            res = Resolution("entity", entry.file, entry.id, entry)
        self._cache[cache_key] = res
        return res

    def resolve(self, f: SourceFile, value: str) -> Resolution:
        """Resolve one pointer token written in file *f*.

        Cached: a ``#id`` per file; anything else per (the file's folder, its
        prefix declarations, value), because that is all the answer depends on.
        In a corpus of letters that share one header template, each distinct
        ``pers:…`` value is thus expanded once, not once per letter.
        """
        if value.startswith("#"):
            key: tuple[object, ...] = (f.index, value)
        else:
            sig = self._prefix_sigs.get(f.index)
            if sig is None:
                sig = tuple((k, tuple((p.pattern, r) for p, r, _ in v)) for k, v in sorted(f.prefixes.items()))
                self._prefix_sigs[f.index] = sig
            key = (self._dirs[f.index], sig, value)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._resolve(f, value)
            self._cache[key] = hit
        return hit

    def _resolve(self, f: SourceFile, value: str) -> Resolution:
        if value.startswith("#"):
            return self._in_file(f, value[1:])
        m = _SCHEME.match(value)
        if m and len(m.group(1)) > 1:  # one letter: a Windows drive, treat as a path
            scheme = m.group(1)
            if scheme.lower() in EXTERNAL_SCHEMES:
                return Resolution("external")
            defs = f.prefixes.get(scheme)
            if not defs:
                return Resolution("undeclared", fragment=m.group(2),
                                  detail=f"the prefix '{scheme}:' is not declared")
            for pattern, repl, _orig in defs:
                mm = pattern.fullmatch(m.group(2))
                if mm is None:
                    continue
                try:
                    replaced = mm.expand(repl)
                except (re.error, IndexError):
                    continue
                res = self._plain(f, replaced)
                if res.status == "unresolved":
                    return Resolution("unresolved", res.target_file, fragment=res.fragment,
                                      detail=f"'{value}' expands to '{replaced}': {res.detail}")
                return res
            return Resolution("unresolved", fragment=m.group(2),
                              detail=f"'{m.group(2)}' does not match the pattern of "
                                     f"prefixDef '{scheme}'")
        return self._plain(f, value)

    def _plain(self, f: SourceFile, uri: str) -> Resolution:
        m = _SCHEME.match(uri)
        if m and len(m.group(1)) > 1 and m.group(1).lower() in EXTERNAL_SCHEMES:
            return Resolution("external")
        path, _, frag = uri.partition("#")
        if not path:
            return self._in_file(f, frag)
        target = os.path.normpath(os.path.join(self._dirs[f.index], unquote(path)))
        tf = self.by_path.get(target)
        if tf is None:
            return Resolution("unresolved", fragment=frag,
                              detail=f"the file '{path}' is not part of the corpus")
        if not frag:
            return Resolution("document", tf, tf.doc_id)
        return self._in_file(tf, frag)

    def _in_file(self, tf: SourceFile, frag: str) -> Resolution:
        el = tf.ids.get(frag)
        if el is None:
            return Resolution("unresolved", tf, fragment=frag,
                              detail=f"no element has xml:id '{frag}' in {tf.display}")
        entry = self.entry_by_element.get(el)
        if entry is not None:
            return Resolution("entity", tf, frag, entry)
        return Resolution("element", tf, frag)

    # -- helpers for the register and checks -----------------------------
    def pointer_form(self, f: SourceFile, entry: Entry) -> str:
        """How *f* should write a pointer to *entry*: its own prefix if one maps there,
        else ``#id`` in the same file, else a relative ``file.xml#id``."""
        if entry.file is f:
            return f"#{entry.id}"
        try:
            rel = Path(_relpath(entry.file.doc.path, f.doc.path.parent)).as_posix()
        except ValueError:
            rel = entry.file.doc.path.as_posix()
        target = f"{rel}#{entry.id}"
        for ident, defs in f.prefixes.items():
            for pattern, _repl, orig in defs:
                rx = "^" + re.sub(r"\\\$(\d)", r"(?P<g\1>.+?)", re.escape(orig)) + "$"
                try:
                    mm = re.match(rx, target)
                except re.error:
                    continue
                if mm and "g1" in mm.groupdict():
                    local = mm.group("g1")
                    if pattern.fullmatch(local):
                        return f"{ident}:{local}"
        return target

    def anchor_of(self, el: etree._Element, f: SourceFile) -> str:
        """The xml:id of the nearest ancestor (not *el* itself) that has one, else the doc id."""
        node: etree._Element | None = el.getparent()
        while node is not None:
            value = node.get(XML_ID)
            if value:
                return value
            node = node.getparent()
        return f.doc_id

    def entry_of(self, el: etree._Element) -> Entry | None:
        """The entry *el* is (or is inside), if any."""
        node: etree._Element | None = el
        while node is not None:
            entry = self.entry_by_element.get(node)
            if entry is not None:
                return entry
            node = node.getparent()
        return None


def _relpath(target: Path, start: Path) -> str:
    return os.path.relpath(target, start)


def document_date(root: etree._Element) -> DateInfo:
    """The date of a document: ``profileDesc/creation/date``, else the date of the event it
    records (``settingDesc/setting/date``, as for memoranda of conversation), else the
    sending date of ``correspDesc``, else the first ``docDate``/``dateline`` date in the text."""
    for xp in _X_DOC_DATES:
        found = xp(root)
        if found:
            return DateInfo.of(found[0])
    return DateInfo()


_X_DOC_DATES: list[ElementsXPath] = [
    ElementsXPath("tei:teiHeader/tei:profileDesc/tei:creation//tei:date[1]", namespaces=NS),
    ElementsXPath("tei:teiHeader/tei:profileDesc/tei:settingDesc/tei:setting//tei:date[1]", namespaces=NS),
    ElementsXPath("tei:teiHeader/tei:profileDesc/tei:correspDesc"
                  "/tei:correspAction[@type='sent']/tei:date[1]", namespaces=NS),
    ElementsXPath("tei:text//tei:docDate[1] | tei:text//tei:dateline//tei:date[1]"
                  " | tei:text//tei:docDate//tei:date[1]", namespaces=NS),
]


def iso_prefix_cmp(a: str, b: str) -> int:
    """Compare two ISO dates at their common precision (``1949-06-27`` vs ``1954``)."""
    ma, mb = _ISO.match(a), _ISO.match(b)
    if not ma or not mb:
        return 0
    sa, sb = ma.group(0), mb.group(0)
    n = min(len(sa), len(sb))
    return (sa[:n] > sb[:n]) - (sa[:n] < sb[:n])


def load_files(paths: Iterable[Path], root_dir: Path | None) -> list[LoadedDocument]:
    """Load *paths* with the secure loader, in order."""
    from teipress.load import load_path

    return [load_path(p, root_dir) for p in paths]
