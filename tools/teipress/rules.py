"""Every diagnostic code teipress can emit, with what it means and how to fix it.

Codes come from four places: the loader (P…), schema validation (S…), the
project's Schematron rules (R…, read from ``schema/teipress.sch`` so the .sch
stays the single source) and the cross-reference checks (X…). ``teipress
rules`` and ``docs/rules.md`` are both generated from :func:`all_rules`.
"""

from __future__ import annotations

from dataclasses import dataclass

from teipress.diagnostics import Severity


@dataclass(frozen=True)
class RuleInfo:
    """Documentation of one diagnostic code."""

    code: str
    name: str
    severity: Severity
    title: str
    help: str = ""
    fail_example: str = ""
    pass_example: str = ""
    source: str = "teipress"


_TEI = 'xmlns="http://www.tei-c.org/ns/1.0"'

LOAD_RULES = [
    RuleInfo("P001", "not-well-formed", Severity.ERROR,
             "The file is not well-formed XML (the parser's own message, line and column).",
             "Fix the syntax at the reported position: unclosed tags, stray '&' or '<', bad quotes.",
             f"<TEI {_TEI}><p>x</TEI>", f"<TEI {_TEI}><p>x</p></TEI>", "load"),
    RuleInfo("P002", "empty-file", Severity.ERROR, "The file is empty or only whitespace.",
             "Write a TEI document or remove the file from the configured sources.",
             "", f"<TEI {_TEI}>…</TEI>", "load"),
    RuleInfo("P003", "binary-file", Severity.ERROR, "The file contains NUL bytes: it is not text.",
             "Remove binary files (images, archives) from the sources.",
             "\\x89PNG\\x00…", f"<TEI {_TEI}>…</TEI>", "load"),
    RuleInfo("P004", "encoding", Severity.ERROR,
             "The bytes do not match the declared (or default UTF-8) encoding, or the encoding is unknown.",
             "Save the file as UTF-8, or declare its real encoding in the XML declaration.",
             "<TEI …>caf\\xe9</TEI> (Latin-1 bytes, no declaration)",
             '<?xml version="1.0" encoding="ISO-8859-1"?><TEI …>caf\\xe9</TEI>', "load"),
    RuleInfo("P005", "byte-order-mark", Severity.WARNING, "The file starts with a byte-order mark.",
             "Save as UTF-8 without BOM.", "\\xef\\xbb\\xbf<TEI …>", "<TEI …>", "load"),
    RuleInfo("P006", "not-tei", Severity.ERROR,
             "The root element is not <TEI> or <teiCorpus> in the TEI namespace.",
             f'Use <TEI {_TEI}> as root; remove non-TEI files from the sources.',
             "<TEI><teiHeader/></TEI>", f"<TEI {_TEI}><teiHeader/></TEI>", "load"),
    RuleInfo("P007", "entities", Severity.ERROR,
             "The document declares or uses DTD entities; teipress never expands them "
             "(no external entities, no entity-expansion bombs).",
             "Write characters directly (UTF-8) or as numeric references; drop the DOCTYPE.",
             '<!DOCTYPE TEI [<!ENTITY x SYSTEM "file:///etc/passwd">]><TEI …>&x;</TEI>',
             "<TEI …>&#8212;</TEI>", "load"),
    RuleInfo("P011", "external-dtd", Severity.WARNING,
             "The document refers to an external DTD; it is never fetched or loaded.",
             "Remove the <!DOCTYPE …> line: TEI P5 is validated by schema, not DTD.",
             '<!DOCTYPE TEI SYSTEM "tei.dtd"><TEI …>', "<TEI …>", "load"),
    RuleInfo("E999", "internal-error", Severity.ERROR,
             "teipress itself failed on this document; the other documents were still checked.",
             "Report it with the file attached.", "", "", "teipress"),
    RuleInfo("P008", "too-deep", Severity.ERROR,
             "Elements are nested deeper than 256 levels (refused to protect the parser).",
             "Flatten the markup; no real TEI document nests this deep.",
             "<TEI …><a><a><a>… (3000 levels)", "<TEI …><text>…</text></TEI>", "load"),
    RuleInfo("P009", "file-too-large", Severity.ERROR, "The file is larger than 256 MiB.",
             "Split the file into documents.", "", "", "load"),
    RuleInfo("P010", "unreadable", Severity.ERROR, "The file could not be read.",
             "Check that it exists and is readable.", "", "", "load"),
]

SCHEMA_RULES = [
    RuleInfo("S001", "schema-invalid", Severity.ERROR,
             "The document is not valid against the XSD schema (project customisation or --schema).",
             "Change the markup as the message says, or use an element/attribute the schema allows.",
             f"<TEI {_TEI}><teiHeader><p>…</p></teiHeader>…</TEI>",
             f"<TEI {_TEI}><teiHeader><fileDesc>…</fileDesc></teiHeader>…</TEI>", "schema"),
    RuleInfo("S002", "relaxng-invalid", Severity.ERROR,
             "The document is not valid against the RelaxNG schema (--schema FILE.rng or tei-all); "
             "the message is libxml2's.",
             "Change the markup as the message says.", "", "", "schema"),
    RuleInfo("S003", "schema-unusable", Severity.ERROR,
             "The schema itself could not be loaded (missing file, syntax error).",
             "Point --schema (or [tool.teipress] schema) at a valid .xsd or .rng file.", "", "", "schema"),
]


def all_rules() -> list[RuleInfo]:
    """Every known rule, sorted by code."""
    rules = [*LOAD_RULES, *SCHEMA_RULES]
    rules.extend(_schematron_rules())
    rules.extend(_xref_rules())
    return sorted(rules, key=lambda r: r.code)


def _slug(title: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in title.lower()).split()
    return "-".join(words[:4]) or "rule"


def _schematron_rules() -> list[RuleInfo]:
    try:
        from teipress.check.schematron import rules_of
        from teipress.paths import schema_path
    except ImportError:
        return []
    sch = schema_path("teipress.sch")
    if not sch.is_file():
        return []
    out = []
    for r in rules_of(sch):
        out.append(RuleInfo(
            code=str(r.code), name=str(getattr(r, "name", "") or r.code),
            severity=r.severity, title=str(getattr(r, "title", "") or getattr(r, "message", "")),
            help=str(getattr(r, "help", "") or ""),
            fail_example=str(getattr(r, "fail_example", "") or ""),
            pass_example=str(getattr(r, "pass_example", "") or ""), source="schematron"))
    return out


def _xref_rules() -> list[RuleInfo]:
    try:
        from teipress.resolve import rules as xref_rules
    except ImportError:
        return []
    out = []
    for r in xref_rules():
        out.append(RuleInfo(
            code=r.code, name=_slug(r.title), severity=r.severity, title=r.title, help=r.help,
            fail_example=r.bad, pass_example=r.good, source="xref"))
    return out
