"""Fast XSD 1.1 validation: libxml2 for the XSD 1.0 core, Saxon for the 1.1 assertions.

Why not just xmlschema? It is the reference implementation we test against,
but it is pure Python: on TEI's wide mixed-content models it manages about
50 KB/s per core, two orders of magnitude below what a CI needs on a corpus of
thousands of letters. So teipress splits an XSD 1.1 schema at load time:

* the **core** — the schema with its ``xs:assert`` elements removed — is plain
  XSD 1.0 and goes to libxml2 (C, ~15 MB/s per core on the flagship edition);
* the **assertions** are compiled into one XSLT 3.0 stylesheet (XPath 2.0+ is
  what XSD 1.1 assertions are written in) and run on saxonche.

This is only correct when the schema uses no other XSD 1.1 construct, so
:func:`split_schema` refuses (``Unsplittable``) anything else —
conditional type assignment, open content, ``xs:override``, assertion facets,
1.1-only datatypes, assertions on types used by several element names — and
the caller then falls back to xmlschema. ``tests/test_schema_engines.py``
checks that both engines give the same verdict on every fixture.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from lxml import etree

from teipress.diagnostics import Diagnostic, Severity
from teipress.load import LoadedDocument
from teipress.locate import ChildIndex, ElementLocator, element_at_path
from teipress.xslt import XsltEngine, XsltError

XS = "http://www.w3.org/2001/XMLSchema"
XSL = "http://www.w3.org/1999/XSL/Transform"
VC = "http://www.w3.org/2007/XMLSchema-versioning"
XML_NS = "http://www.w3.org/XML/1998/namespace"
_XS = f"{{{XS}}}"

#: XSD 1.1 constructs the split cannot carry over to libxml2.
_UNSUPPORTED = ("alternative", "openContent", "defaultOpenContent", "override", "assertion",
                "explicitTimezone")
_TYPES_11 = re.compile(r"\bxs:(dateTimeStamp|yearMonthDuration|dayTimeDuration|anyAtomicType|error)\b")

# A minimal schema for the xml: namespace (xml:id, xml:lang, xml:space, xml:base) so the
# core never needs the W3C's xml.xsd from the network.
_XML_XSD = f"""<xs:schema xmlns:xs="{XS}" targetNamespace="{XML_NS}">
  <xs:attribute name="id" type="xs:ID"/>
  <xs:attribute name="base" type="xs:anyURI"/>
  <xs:attribute name="lang"><xs:simpleType><xs:union memberTypes="xs:language">
    <xs:simpleType><xs:restriction base="xs:string"><xs:enumeration value=""/></xs:restriction></xs:simpleType>
  </xs:union></xs:simpleType></xs:attribute>
  <xs:attribute name="space"><xs:simpleType><xs:restriction base="xs:NCName">
    <xs:enumeration value="default"/><xs:enumeration value="preserve"/>
  </xs:restriction></xs:simpleType></xs:attribute>
</xs:schema>
"""


class Unsplittable(Exception):
    """The schema uses XSD 1.1 beyond what the fast split supports."""


@dataclass(frozen=True)
class Assertion:
    """One ``xs:assert``: the element it constrains, its XPath and what it means."""

    namespace: str
    element: str
    test: str
    message: str
    nsmap: dict[str, str]
    source: str


def _collect(main: Path) -> dict[Path, etree._ElementTree]:
    """The schema document and everything it includes/imports locally, sandboxed to its folder."""
    folder = main.parent.resolve()
    docs: dict[Path, etree._ElementTree] = {}
    todo = [main.resolve()]
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    while todo:
        path = todo.pop()
        if path in docs:
            continue
        if not path.is_relative_to(folder):
            raise Unsplittable(f"{path} is outside the schema folder")
        docs[path] = etree.parse(str(path), parser)
        for inc in docs[path].getroot():
            if inc.tag in (f"{_XS}include", f"{_XS}import", f"{_XS}redefine") and inc.get("schemaLocation"):
                loc = inc.get("schemaLocation", "")
                if re.match(r"^[a-z][a-z0-9+.-]*:", loc, re.I):
                    raise Unsplittable(f"{path.name} refers to a remote schema {loc}")
                todo.append((path.parent / loc).resolve())
    return docs


def split_schema(main: Path) -> tuple[Path, list[Assertion], tempfile.TemporaryDirectory[str]]:
    """Write the XSD 1.0 core to a temporary folder; return its main file and the assertions."""
    docs = _collect(main)
    assertions: list[Assertion] = []
    tmp = tempfile.TemporaryDirectory(prefix="teipress-xsd-")
    out_dir = Path(tmp.name)
    folder = main.parent.resolve()
    (out_dir / "__xml.xsd").write_text(_XML_XSD, encoding="utf-8")
    for path, tree in docs.items():
        root = tree.getroot()
        target_ns = root.get("targetNamespace", "")
        text = etree.tostring(root, encoding="unicode")
        if _TYPES_11.search(text):
            raise Unsplittable(f"{path.name} uses an XSD 1.1-only datatype")
        for name in _UNSUPPORTED:
            if root.find(f".//{_XS}{name}") is not None:
                raise Unsplittable(f"{path.name} uses xs:{name}")
        for el in list(root.iter(f"{_XS}assert")):
            assertions.append(_assertion(el, target_ns, path))
            el.getparent().remove(el)  # type: ignore[union-attr]
        for imp in root.iter(f"{_XS}import"):
            if imp.get("namespace") == XML_NS:
                imp.set("schemaLocation", "__xml.xsd")
        for attr in list(root.attrib):
            if str(attr).startswith(f"{{{VC}}}"):
                del root.attrib[attr]
        dest = out_dir / path.relative_to(folder)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tree.write(str(dest), encoding="utf-8", xml_declaration=True)
    return out_dir / main.resolve().relative_to(folder), assertions, tmp


def _assertion(el: etree._Element, target_ns: str, path: Path) -> Assertion:
    holder = el.getparent()
    while holder is not None and holder.tag != f"{_XS}complexType":
        holder = holder.getparent()
    if holder is None:
        raise Unsplittable(f"{path.name}: xs:assert outside a complex type")
    if holder.get("name"):
        raise Unsplittable(f"{path.name}: assertion on named type {holder.get('name')} "
                           "(the fast engine only maps assertions of element declarations)")
    decl = holder.getparent()
    if decl is None or decl.tag != f"{_XS}element" or not decl.get("name"):
        raise Unsplittable(f"{path.name}: assertion not attached to a named element")
    doc = el.find(f"{_XS}annotation/{_XS}documentation")
    message = " ".join((doc.text or "").split()) if doc is not None else ""
    test = el.get("test", "")
    nsmap = {k: v for k, v in el.nsmap.items() if k}
    if el.get("xpathDefaultNamespace") or el.getroottree().getroot().get("xpathDefaultNamespace"):
        raise Unsplittable(f"{path.name}: xpathDefaultNamespace is not supported by the fast engine")
    return Assertion(target_ns, decl.get("name", ""), test,
                     message or f"assertion {test!r} is false", nsmap, path.name)


def assertions_stylesheet(assertions: list[Assertion]) -> str:
    """One XSLT 3.0 pass that reports ``<f i="N" p="path()"/>`` for each failed assertion."""
    nsmap: dict[str | None, str] = {"xsl": XSL, "xs": XS}
    for a in assertions:
        for k, v in a.nsmap.items():
            if nsmap.get(k, v) != v:
                raise Unsplittable(f"prefix {k!r} bound to two namespaces in assertions")
            nsmap[k] = v
    sheet = etree.Element(f"{{{XSL}}}stylesheet", nsmap=cast(Any, nsmap), version="3.0")
    sheet.set("exclude-result-prefixes", "#all")
    etree.SubElement(sheet, f"{{{XSL}}}mode", {"name": "a", "on-no-match": "shallow-skip"})
    root_t = etree.SubElement(sheet, f"{{{XSL}}}template", match="/")
    report = etree.SubElement(root_t, "report")
    etree.SubElement(report, f"{{{XSL}}}apply-templates", select="*", mode="a")
    by_element: dict[tuple[str, str], list[int]] = {}
    for i, a in enumerate(assertions):
        by_element.setdefault((a.namespace, a.element), []).append(i)
    for n, ((ns, local), idxs) in enumerate(by_element.items()):
        match = f"Q{{{ns}}}{local}" if ns else local
        t = etree.SubElement(sheet, f"{{{XSL}}}template", match=match, mode="a")
        t.set("priority", "1")
        for i in idxs:
            cond = etree.SubElement(t, f"{{{XSL}}}if", test=f"not({assertions[i].test})")
            f = etree.SubElement(cond, "f", i=str(i))
            f.set("p", "{path()}")
        etree.SubElement(t, f"{{{XSL}}}apply-templates", select="*", mode="a")
        del n
    return etree.tostring(sheet, encoding="unicode")


class FastXsdChecker:
    """The project's XSD 1.1 schema through libxml2 + Saxon (see module docstring)."""

    def __init__(self, path: Path, name: str = "xsd") -> None:
        self.path = path
        self.name = name
        core, self.assertions, self._tmp = split_schema(path)
        try:
            self._core = etree.XMLSchema(etree.parse(str(core)))
        except etree.XMLSchemaParseError as exc:
            raise Unsplittable(f"libxml2 cannot load the XSD 1.0 core: {exc}") from exc
        self._engine: XsltEngine | None = None
        self._sheet_name = "assert"
        self.assertion_sheet: Path | None = None
        if self.assertions:
            self.assertion_sheet = Path(self._tmp.name) / "__assertions.xsl"
            self.assertion_sheet.write_text(assertions_stylesheet(self.assertions), encoding="utf-8")
            try:
                self._engine = XsltEngine({"assert": self.assertion_sheet})
            except XsltError as exc:
                raise Unsplittable(f"an assertion does not compile as XPath: {exc}") from exc

    def release_files(self) -> None:
        """Delete the temporary split schema once every engine that needs it has compiled.

        Pool workers end with ``os._exit``, which skips finalizers, so the check
        phase calls this explicitly rather than leaving folders in /tmp.
        """
        self._tmp.cleanup()
        self.assertion_sheet = None

    def share_engine(self, engine: XsltEngine, sheet_name: str) -> None:
        """Run the assertions in *engine* (which compiled :attr:`assertion_sheet` as *sheet_name*).

        The check phase compiles the assertions into the Schematron runner's
        engine, so each document is parsed for Saxon once, not twice.
        """
        self._engine, self._sheet_name = engine, sheet_name

    def check(self, doc: LoadedDocument, node: Any = None) -> list[Diagnostic]:
        """Validate *doc*; *node* is the document parsed by the shared engine, if any."""
        assert doc.tree is not None
        from teipress.check.schema import MAX_ERRORS_PER_DOCUMENT

        out: list[Diagnostic] = []
        locator: ElementLocator | None = None
        if not self._core.validate(doc.tree):
            locator = ElementLocator(doc.data, doc.tree)
            for entry in cast(Iterable[Any], self._core.error_log):
                line, col = entry.line or 1, 0
                el = _element_of(doc.tree, getattr(entry, "path", None))
                if el is not None:
                    line, col = locator.position(el)
                out.append(self._diag(doc, line, col or locator.column_at(line), _clean(entry.message)))
                if len(out) >= MAX_ERRORS_PER_DOCUMENT:
                    return out
        if self._engine is not None:
            if node is None:
                node = self._engine.parse(doc.data)
            report = etree.fromstring(self._engine.transform(self._sheet_name, node).encode())
            if len(report):
                locator = locator or ElementLocator(doc.data, doc.tree)
                children: ChildIndex = {}
                for f in report:
                    a = self.assertions[int(f.get("i", "0"))]
                    line, col = locator.position(element_at_path(doc.tree, f.get("p", ""), children))
                    out.append(self._diag(doc, line, col, f"<{a.element}>: {a.message}"))
        return out[:MAX_ERRORS_PER_DOCUMENT]

    def _diag(self, doc: LoadedDocument, line: int, col: int, message: str) -> Diagnostic:
        return Diagnostic(doc.display, line, col, "S001", Severity.ERROR, message,
                          f"make this element match {self.path.name}; see docs/schema.md for what it allows",
                          source="schema")


def _element_of(tree: etree._ElementTree, path: str | None) -> etree._Element | None:
    """The element libxml2's error path designates (it writes ``/*/*[2]`` for namespaced nodes)."""
    if not path:
        return None
    try:
        found = tree.xpath(path)
    except etree.XPathError:
        return None
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return found[0]
    return None


def _clean(message: str) -> str:
    """libxml2 names elements in Clark notation; show the TEI local names editors know."""
    return re.sub(r"\{http://www\.tei-c\.org/ns/1\.0\}", "", message.strip())
