"""The corpus model: every file, every authority entry, every pointer and what it resolves to.

Resolution happens once per run here; the register, ``teipress xref`` and the
corpus checks of ``teipress validate`` all read this one model, so a pointer can
never resolve one way in the HTML and another in the validator.

The model is built from per-file extracts (:mod:`teipress.resolve.extract`),
never from XML trees: ``teipress build`` gets the extracts from the check
phase's workers or its cache, so resolving a corpus of thousands of letters
parses none of them in the parent. Resolutions are cached per
``(folder, prefix declarations, value)`` and nothing is quadratic in the
number of files or entries.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import unquote

from teipress.config import Config, ConfigError
from teipress.load import LoadedDocument, load_path
from teipress.locate import ElementLocator
from teipress.resolve.extract import (
    NS,
    POINTER_ATTRS,
    XML_ID,
    DateInfo,
    EntityKind,
    FileExtract,
    Node,
    T,
    document_date,
    extract,
    localname,
)

__all__ = [
    "NS",
    "POINTER_ATTRS",
    "XML_ID",
    "Corpus",
    "DateInfo",
    "Entry",
    "Extracted",
    "KeyRule",
    "PointerUse",
    "Resolution",
    "SourceFile",
    "T",
    "document_date",
    "iso_prefix_cmp",
    "localname",
    "parse_key_rules",
]

#: URI schemes that point outside the corpus: recorded as "external", never fetched.
EXTERNAL_SCHEMES = frozenset(
    {"http", "https", "ftp", "ftps", "mailto", "urn", "doi", "tel", "data", "file", "info", "hdl"}
)

Status = Literal["entity", "element", "document", "external", "unresolved", "undeclared"]

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


def key_attributes(config: Config | None) -> list[tuple[str, str]]:
    """The ``(element, attribute)`` pairs the configuration makes pointers (what extracts read)."""
    return [(r.element, r.attr) for r in parse_key_rules(config.keys if config else {})]


class Extracted:
    """A file as the resolve phase sees it: identity, hash and extract (tree optional).

    The extract may come with a *loader* instead (from the check cache, still
    pickled): a build that reuses the previous resolve results reads only
    ``semantic`` (the extract's position-free digest) and never loads it.
    """

    def __init__(self, path: Path, display: str, doc_id: str, sha256: str,
                 extract: FileExtract | None = None, doc: LoadedDocument | None = None, *,
                 semantic: str = "", loader: Callable[[], FileExtract] | None = None) -> None:
        if extract is None and loader is None:
            raise ValueError("an extract or a loader is needed")
        self.path = path
        self.display = display
        self.doc_id = doc_id
        self.sha256 = sha256
        self.doc = doc
        self._extract = extract
        self._loader = loader
        self.semantic = semantic or (extract.semantic if extract is not None else "")

    @property
    def extract(self) -> FileExtract:
        if self._extract is None:
            assert self._loader is not None
            self._extract = self._loader()
            self._loader = None
        return self._extract

    @classmethod
    def of(cls, doc: LoadedDocument, key_attrs: Sequence[tuple[str, str]]) -> Extracted:
        return cls(doc.path, doc.display, doc.doc_id, doc.sha256, extract(doc, key_attrs), doc)


class SourceFile:
    """One file of the corpus: identity, prefix declarations and its extract."""

    def __init__(self, item: Extracted, role: Literal["document", "authority"], index: int) -> None:
        self.path = item.path
        self.display = item.display
        self.doc_id = item.doc_id
        self.sha256 = item.sha256
        self.extract = item.extract
        self.doc = item.doc
        self.role = role
        self.index = index
        self.prefixes: dict[str, list[tuple[re.Pattern[str], str, str]]] = {}
        self._ids: frozenset[str] | None = None
        self._id_positions: dict[str, list[tuple[int, int]]] | None = None
        for ident, match, repl in item.extract.prefixes:
            try:
                pattern = re.compile(match)
            except re.error:
                continue
            py_repl = _DOLLAR.sub(r"\\g<\1>", repl.replace("\\", "\\\\"))
            self.prefixes.setdefault(ident, []).append((pattern, py_repl, repl))

    @property
    def ids(self) -> frozenset[str]:
        """Every xml:id of the file (built on first use: most runs need only authorities')."""
        if self._ids is None:
            self._ids = frozenset(self.extract.id_list())
        return self._ids

    def anchor(self, node: Node) -> str:
        """The id a mention of *node* cites: its nearest ancestor's xml:id, else the document."""
        return node.anchor or self.doc_id

    def id_positions(self, value: str) -> list[tuple[int, int]]:
        """``(line, column)`` of every element with xml:id *value*.

        Re-reads the file once (then keeps the index): only duplicate-id findings
        ask, and they are rare outside authority files built by scripts.
        """
        if self._id_positions is None:
            self._id_positions = {}
            doc = self.doc if self.doc is not None and self.doc.ok else load_path(self.path, None)
            if doc.ok:
                locator = ElementLocator(doc.data, doc.root.getroottree())
                for attr in cast("list[Any]", doc.root.xpath("//@xml:id")):
                    self._id_positions.setdefault(str(attr), []).append(locator.position(attr.getparent()))
        return self._id_positions.get(value, [])


# Entry, Resolution and PointerUse have __slots__: a corpus of thousands of documents
# holds hundreds of thousands of them at once, and a __dict__ each doubled that.

@dataclass(slots=True)
class Entry:
    """An authority entry (person, place, org, bibliographic item or glossary term)."""

    id: str
    kind: EntityKind
    file: SourceFile
    tag: str
    line: int
    col: int
    sline: int
    attrs: dict[str, str]
    name: str
    sort: str
    variants: list[str]
    name_keys: frozenset[str]
    birth: DateInfo | None = None
    death: DateInfo | None = None
    roles: list[str] = field(default_factory=list)
    idnos: list[tuple[str, str, str]] = field(default_factory=list)  # (type, href, value)
    #: the documents' pointers that resolve to it, in corpus order: the register writes
    #: each as a mention. The corpus's own PointerUse objects, not records made for the
    #: register: the synthetic corpus of 5,000 documents has 930,000 mentions, which
    #: as records of their own took 70 MB and a second of the resolve phase.
    mentions: list[PointerUse] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
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


@dataclass(slots=True)
class PointerUse:
    """One pointer token on one attribute of one element."""

    file: SourceFile
    node: Node
    attr: str
    value: str
    res: Resolution

    @property
    def tag(self) -> str:
        return self.node.tag

    @property
    def self_reference(self) -> bool:
        """True for an entry's pointer to itself (its own ``@sameAs``), which is no use of it."""
        entry = self.res.entry
        return (entry is not None and self.node.is_entry and entry.file is self.file
                and self.node.owner == entry.id)


class Corpus:
    """All documents and authority files of a run, indexed and with every pointer resolved.

    *documents* and *authorities* are loaded documents (extracted here) or
    :class:`Extracted` files (from the check phase or its cache). With
    *own_extracts* the extracts are this corpus's alone (a resolve process of its
    own unpickled them): each file's raw pointer list is emptied once it is resolved
    into :attr:`uses`, which replace it. The raw lists are about a quarter of an
    extract's memory, and the resolve process holds every extract at once.
    """

    def __init__(
        self,
        documents: Sequence[LoadedDocument | Extracted],
        authorities: Sequence[LoadedDocument | Extracted] = (),
        config: Config | None = None,
        *,
        own_extracts: bool = False,
    ) -> None:
        self.config = config
        self._own_extracts = own_extracts
        self.key_rules = parse_key_rules(config.keys if config else {})
        key_attrs = [(r.element, r.attr) for r in self.key_rules]
        self.files: list[SourceFile] = []
        for role, docs in (("document", documents), ("authority", authorities)):
            for d in docs:
                if isinstance(d, LoadedDocument):
                    if not d.ok:
                        continue
                    d = Extracted.of(d, key_attrs)
                self.files.append(SourceFile(d, role, len(self.files)))  # type: ignore[arg-type]
        # keyed by normalised absolute path strings: os.path.normpath costs no system
        # call, Path.resolve() one lstat per component per pointer
        self.by_path: dict[str, SourceFile] = {
            os.path.normpath(os.path.abspath(f.path)): f for f in self.files}
        self._dirs: dict[int, str] = {
            f.index: os.path.dirname(os.path.normpath(os.path.abspath(f.path)))
            for f in self.files}
        self.entries: list[Entry] = []
        self.entry_by_id: dict[str, Entry] = {}
        #: (file index, xml:id) -> the entry "#id" in that file reaches
        self.entry_at: dict[tuple[int, str], Entry] = {}
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
            for x in f.extract.entries:
                entry = Entry(x.id, x.kind, f, x.tag, x.line, x.col, x.sline, dict(x.attrs), x.name,
                              x.sort, list(x.variants), x.name_keys, x.birth, x.death,
                              list(x.roles), list(x.idnos))
                self.entries.append(entry)
                self.entry_by_id.setdefault(entry.id, entry)
                if x.primary:
                    self.entry_at[(f.index, x.id)] = entry
        for rule in self.key_rules:
            index = self.key_index.setdefault((rule.entry, rule.entry_attr), {})
            clark = rule.entry_attr_clark
            for entry in self.entries:
                if entry.tag == rule.entry:
                    value = entry.attrs.get(clark)
                    if value is not None:
                        index.setdefault(value.strip(), entry)

    def entry_of(self, use: PointerUse) -> Entry | None:
        """The entry the pointing element is (or is inside), if any."""
        owner = use.node.owner
        if not owner:
            return None
        return self.entry_at.get((use.file.index, owner)) or next(
            (e for e in self.entries if e.file is use.file and e.id == owner), None)

    def duplicates(self) -> list[tuple[SourceFile, str, int, SourceFile, int]]:
        """Every xml:id occurrence after the first, in its file or in the corpus (X002):
        ``(file, id, nth occurrence in that file, first file, nth in the first file)``.

        With id-scope "document" (projects whose ids are unique per file and whose
        pointers name the file) only the documents' own root ids must be unique
        corpus-wide; ids repeated inside one file are found by the extracts.
        """
        per_document = self.config is not None and self.config.id_scope == "document"
        hits: list[tuple[SourceFile, str, int, SourceFile, int]] = []
        first: dict[str, int] = {}
        for f in self.files:
            if per_document:
                for value, nth in f.extract.dup_ids:
                    hits.append((f, value, nth, f, 0))
                root_id = f.extract.root_id
                if root_id:
                    owner = first.setdefault(root_id, f.index)
                    if owner != f.index:
                        hits.append((f, root_id, 0, self.files[owner], 0))
                continue
            seen: dict[str, int] = {}
            for value in f.extract.id_list():
                nth = seen.get(value, 0)
                seen[value] = nth + 1
                owner = first.setdefault(value, f.index)
                if nth:
                    hits.append((f, value, nth, f, 0))
                elif owner != f.index:
                    hits.append((f, value, 0, self.files[owner], 0))
        return hits

    # -- resolution -------------------------------------------------------
    def _resolve_all(self) -> None:
        key_rule: dict[tuple[str, str], KeyRule] = {(r.element, r.attr): r for r in self.key_rules}
        append = self.uses.append
        for f in self.files:
            nodes = f.extract.nodes
            for ni, name, raw in f.extract.uses:
                node = nodes[ni]
                rule = key_rule.get((node.tag, name)) if key_rule else None
                if rule is not None:
                    value = raw.strip()
                    if value:
                        append(PointerUse(f, node, name, value, self.resolve_key(f, rule, value)))
                    continue
                for token in raw.split():
                    append(PointerUse(f, node, name, token, self.resolve(f, token)))
            if self._own_extracts:
                f.extract.uses = []

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
        entry = self.entry_at.get((tf.index, frag))
        if entry is not None:
            return Resolution("entity", tf, frag, entry)
        if frag not in tf.ids:
            return Resolution("unresolved", tf, fragment=frag,
                              detail=f"no element has xml:id '{frag}' in {tf.display}")
        return Resolution("element", tf, frag)

    # -- helpers for the register and checks -----------------------------
    def pointer_form(self, f: SourceFile, entry: Entry) -> str:
        """How *f* should write a pointer to *entry*: its own prefix if one maps there,
        else ``#id`` in the same file, else a relative ``file.xml#id``."""
        if entry.file is f:
            return f"#{entry.id}"
        try:
            rel = Path(os.path.relpath(entry.file.path, f.path.parent)).as_posix()
        except ValueError:
            rel = entry.file.path.as_posix()
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

    def entities_of(self, f: SourceFile, attrs: Iterable[tuple[str, str]], tag: str) -> list[Entry]:
        """The entities an element points at by ``@sameAs``/``@ref``/``@who``/``@corresp``
        or a configured ``@key`` (*attrs* as the extract recorded them), in that order."""
        values = dict(attrs)
        out: list[Entry] = []
        for attr in ("sameAs", "ref", "who", "corresp"):
            for token in (values.get(attr) or "").split():
                res = self.resolve(f, token)
                if res.entry is not None:
                    out.append(res.entry)
        for rule in self.key_rules:
            if tag == rule.element:
                value = (values.get(rule.attr) or "").strip()
                if value:
                    res = self.resolve_key(f, rule, value)
                    if res.entry is not None:
                        out.append(res.entry)
        return out


def iso_prefix_cmp(a: str, b: str) -> int:
    """Compare two ISO dates at their common precision (``1949-06-27`` vs ``1954``)."""
    ma, mb = _ISO.match(a), _ISO.match(b)
    if not ma or not mb:
        return 0
    sa, sb = ma.group(0), mb.group(0)
    n = min(len(sa), len(sb))
    return (sa[:n] > sb[:n]) - (sa[:n] < sb[:n])
