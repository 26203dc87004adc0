"""Schema validation: the project's XSD 1.1 customisation, any user XSD or RelaxNG, or TEI All.

A checker is built once per process (loading a schema is the slow part:
~14 s for TEI All's RelaxNG) and then applied to many documents. XSD goes
through ``xmlschema`` (XSD 1.1, pure Python, resources sandboxed to the
schema's own folder so an ``xs:import`` cannot fetch the network or read
elsewhere); RelaxNG through libxml2 (lxml), whose messages carry a line only,
so the column is that of the first start tag on the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from lxml import etree

from teipress.diagnostics import Diagnostic, Severity
from teipress.load import LoadedDocument
from teipress.locate import ElementLocator
from teipress.paths import schema_path, tei_all_rng

#: Findings per document after which a schema checker stops listing (the rest is noise).
MAX_ERRORS_PER_DOCUMENT = 200


class SchemaError(Exception):
    """The schema itself is unusable (configuration error, exit code 2)."""


class SchemaChecker(Protocol):
    """Validates one parsed document and returns its findings."""

    name: str

    def check(self, doc: LoadedDocument, node: Any = None) -> list[Diagnostic]:
        """Findings for *doc*; *node* is the document already parsed by a shared Saxon engine."""
        ...


def _short_path(path: str | None) -> str:
    if not path:
        return ""
    parts = [p.split("}")[-1] for p in path.split("/") if p]
    return "/" + "/".join(parts)


@dataclass
class XsdChecker:
    """XSD 1.1 validation with xmlschema."""

    path: Path
    name: str = "xsd"

    def __post_init__(self) -> None:
        import xmlschema

        try:
            self.path = self.path.resolve()
            self._schema: Any = xmlschema.XMLSchema11(
                str(self.path), allow="sandbox", base_url=str(self.path.parent), defuse="always")
        except (xmlschema.XMLSchemaException, OSError, etree.XMLSyntaxError, ValueError) as exc:
            raise SchemaError(f"cannot load schema {self.path}: {exc}") from exc

    def check(self, doc: LoadedDocument, node: Any = None) -> list[Diagnostic]:
        assert doc.tree is not None
        locator = ElementLocator(doc.data, doc.tree)
        out: list[Diagnostic] = []
        for err in self._schema.iter_errors(doc.tree):
            elem = getattr(err, "elem", None)
            if isinstance(elem, etree._Element):
                line, col = locator.position(elem)
            else:
                line = getattr(err, "sourceline", None) or 1
                col = locator.column_at(line)
            reason = (getattr(err, "reason", None) or str(err)).strip()
            where = _short_path(getattr(err, "path", None))
            out.append(Diagnostic(
                doc.display, line, col, "S001", Severity.ERROR,
                f"{reason}" + (f" (at {where})" if where else ""),
                f"make this element match {self.path.name}; see docs/schema.md for what it allows",
                source="schema"))
            if len(out) >= MAX_ERRORS_PER_DOCUMENT:
                break
        return out


@dataclass
class RngChecker:
    """RelaxNG validation with libxml2 (lxml)."""

    path: Path
    name: str = "rng"

    def __post_init__(self) -> None:
        try:
            parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
            self._rng = etree.RelaxNG(etree.parse(str(self.path), parser))
        except (etree.RelaxNGParseError, etree.XMLSyntaxError, OSError) as exc:
            raise SchemaError(f"cannot load RelaxNG schema {self.path}: {exc}") from exc

    def check(self, doc: LoadedDocument, node: Any = None) -> list[Diagnostic]:
        assert doc.tree is not None
        if self._rng.validate(doc.tree):
            return []
        locator = ElementLocator(doc.data, doc.tree)
        out: list[Diagnostic] = []
        for entry in self._rng.error_log:
            line = entry.line or 1
            out.append(Diagnostic(
                doc.display, line, locator.column_at(line), "S002", Severity.ERROR,
                entry.message.strip(),
                f"make the markup match {self.path.name} (libxml2 RelaxNG's message above)",
                source="schema"))
            if len(out) >= MAX_ERRORS_PER_DOCUMENT:
                break
        return out


def xsd_checker(path: Path, name: str, engine: str = "auto") -> SchemaChecker:
    """An XSD 1.1 checker: the fast libxml2+Saxon split when the schema allows, else xmlschema.

    ``engine="xmlschema"`` forces the pure-Python reference implementation.
    """
    if engine == "auto":
        from teipress.check.xsd11 import FastXsdChecker, Unsplittable

        try:
            return FastXsdChecker(path.resolve(), name=name)
        except Unsplittable:
            pass
    elif engine != "xmlschema":
        raise SchemaError(f"unknown schema engine {engine!r}: use 'auto' or 'xmlschema'")
    return XsdChecker(path, name=name)


def make_schema_checker(spec: str, root: Path, engine: str = "auto") -> SchemaChecker | None:
    """Build the checker for a ``--schema`` / config value.

    ``project`` (default) is ``schema/teipress.xsd``; ``tei-all`` is TEI All as
    RelaxNG; ``none`` disables schema validation; anything else is a path
    (relative to the project root) to an ``.xsd`` or ``.rng`` file.
    """
    value = spec.strip()
    if value in ("none", ""):
        return None
    if value == "project":
        return xsd_checker(schema_path("teipress.xsd"), "project", engine)
    if value == "tei-all":
        return RngChecker(tei_all_rng(), name="tei-all")
    path = Path(value)
    if not path.is_absolute():
        path = root / path
    path = path.resolve()
    if not path.is_file():
        raise SchemaError(f"schema file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".xsd":
        return xsd_checker(path, path.name, engine)
    if suffix == ".rng":
        return RngChecker(path, name=path.name)
    raise SchemaError(f"unsupported schema type {suffix or '(none)'} for {path}: use .xsd or .rng "
                      "(or 'project', 'tei-all', 'none')")
