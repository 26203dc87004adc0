"""Phase 1, load: read each source once, parse it securely, hash it.

TEI sources are untrusted. The parser never fetches anything (no network, no
external DTD, no external entities), never expands entities declared in a DTD
(so entity-expansion bombs cannot go off), and keeps libxml2's default limits
(nesting depth, text node size) so that hostile input ends in a diagnostic
instead of a crash or an exhausted machine. Every problem becomes a
:class:`~teipress.diagnostics.Diagnostic` with the parser's own line and column;
nothing here raises for bad input.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lxml import etree

from teipress import TEI_NS
from teipress.diagnostics import Diagnostic, Severity

#: Upper bound of a single source file. TEI documents of 200 MB exist, but not in
#: editions of letters; a larger file is almost certainly a mistake or an attack.
MAX_FILE_BYTES = 256 * 1024 * 1024

_XML_DECL = re.compile(rb"^<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_ID_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def secure_parser() -> etree.XMLParser:
    """A parser that refuses everything an XML file can use to reach outside itself.

    ``resolve_entities=False`` keeps internal entities unexpanded (and so
    reportable), ``load_dtd=False`` and ``no_network=True`` stop any fetch, and
    ``huge_tree=False`` keeps libxml2's depth and size limits switched on.
    """
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=False,
        collect_ids=False,
    )


@dataclass
class LoadedDocument:
    """A source file after the load phase: its bytes, hash, tree (if parsed) and findings."""

    path: Path
    display: str
    data: bytes
    sha256: str
    tree: etree._ElementTree | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: set by :func:`assign_unique_ids` when another document of the corpus has the same id
    id_override: str | None = None

    @property
    def ok(self) -> bool:
        """True when the document parsed and is a TEI document (later phases may run)."""
        return self.tree is not None

    @property
    def root(self) -> etree._Element:
        assert self.tree is not None, "document did not parse"
        return self.tree.getroot()

    @property
    def doc_id(self) -> str:
        """A stable, filesystem-safe identifier: the root ``xml:id`` or else the file stem.

        Characters outside ``[A-Za-z0-9._-]`` are replaced and leading dots
        dropped, so no input can turn an id into a path that leaves ``output/``.
        """
        if self.id_override:
            return self.id_override
        raw = None
        if self.tree is not None:
            raw = self.root.get("{http://www.w3.org/XML/1998/namespace}id")
        return safe_id(raw or self.path.stem)


def assign_unique_ids(docs: list[LoadedDocument]) -> dict[Path, str]:
    """Give every document a corpus-unique id; returns ``{path: id}`` for processes that reload them.

    Two documents with the same root ``xml:id`` (an X002 error, but ``--force``
    publishes anyway) must not write to the same output file: the second and
    later ones get ``-2``, ``-3`` … appended, in the order given.
    """
    ids = unique_ids([(doc.path, doc.doc_id) for doc in docs])
    for doc in docs:
        if ids[doc.path] != doc.doc_id:
            doc.id_override = ids[doc.path]
    return ids


def unique_ids(pairs: list[tuple[Path, str]]) -> dict[Path, str]:
    """``{path: id}`` with ``-2``, ``-3`` … appended to repeats (see :func:`assign_unique_ids`)."""
    seen: set[str] = set()
    ids: dict[Path, str] = {}
    for path, base in pairs:
        ident, n = base, 1
        while ident in seen:
            n += 1
            ident = f"{base}-{n}"
        seen.add(ident)
        ids[path] = ident
    return ids


def source_line(node: object) -> int:
    """lxml's line number of *node* (1 when unknown); typed here once for every caller."""
    line = getattr(node, "sourceline", None)
    return line if isinstance(line, int) and line > 0 else 1


def safe_id(raw: str) -> str:
    """Sanitise *raw* into a non-empty file-name-safe identifier."""
    cleaned = _ID_SAFE.sub("-", raw).strip(".-") or "document"
    return cleaned[:120]


def _diag(
    doc_display: str, line: int, col: int, code: str, message: str, help: str,
    severity: Severity = Severity.ERROR,
) -> Diagnostic:
    return Diagnostic(doc_display, line, col, code, severity, message, help, source="load")


def _check_bytes(display: str, data: bytes) -> list[Diagnostic]:
    """Checks that must happen before parsing: emptiness, binary content, encoding."""
    out: list[Diagnostic] = []
    if not data.strip():
        out.append(_diag(display, 1, 1, "P002", "file is empty",
                         "write a TEI document (root element <TEI> in the TEI namespace) "
                         "or remove the file from the sources"))
        return out
    bom = None
    for mark, name in ((codecs.BOM_UTF8, "UTF-8"), (codecs.BOM_UTF16_LE, "UTF-16"),
                       (codecs.BOM_UTF16_BE, "UTF-16")):
        if data.startswith(mark):
            bom = name
    if bom:
        out.append(_diag(display, 1, 1, "P005", f"file starts with a {bom} byte-order mark",
                         "save the file as UTF-8 without BOM; some tools (and diffs) trip over it",
                         Severity.WARNING))
    if bom != "UTF-16" and b"\x00" in data[:8192]:
        out.append(_diag(display, 1, 1, "P003", "file looks binary (contains NUL bytes)",
                         "check that this is the XML file you meant; binary files cannot be TEI"))
        return out
    m = _XML_DECL.match(data.lstrip(codecs.BOM_UTF8))
    declared = m.group(1).decode("ascii") if m else None
    if bom is None and declared is None:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
            out.append(_diag(display, line, col, "P004",
                             f"file is not UTF-8 and declares no encoding (byte 0x{data[exc.start]:02x})",
                             "convert the file to UTF-8, or declare its real encoding: "
                             "<?xml version=\"1.0\" encoding=\"windows-1252\"?>"))
    elif declared is not None:
        try:
            codecs.lookup(declared)
        except LookupError:
            out.append(_diag(display, 1, 1, "P004", f"unknown encoding {declared!r} in the XML declaration",
                             "declare encoding=\"UTF-8\" and save the file as UTF-8"))
    return out


def _syntax_code(message: str) -> tuple[str, str]:
    low = message.lower()
    if "excessive depth" in low or ("depth" in low and "huge" in low):
        return "P008", ("nesting is deeper than teipress accepts (256 levels); flatten the markup "
                        "- no real TEI document nests this deep")
    if "entity" in low and ("loop" in low or "amplification" in low or "huge" in low):
        return "P007", "remove the entity declarations; write the characters themselves"
    if "encoding" in low or "input is not proper utf-8" in low or "switching encoding" in low:
        return "P004", "save the file in the encoding it declares (UTF-8 recommended)"
    return "P001", "fix the XML syntax at this position (an unclosed tag, a stray '&' or '<', a bad quote)"


def parse_bytes(data: bytes, display: str) -> tuple[etree._ElementTree | None, list[Diagnostic]]:
    """Securely parse *data*; return the tree (or None) and the findings."""
    diags = _check_bytes(display, data)
    if any(d.is_error and d.code in {"P002", "P003"} for d in diags):
        return None, diags
    parser = secure_parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        log = parser.error_log
        entries = [e for e in log if e.level_name in ("ERROR", "FATAL")] or list(log)
        if entries:
            first = entries[0]
            line, col = first.line or 1, max(first.column, 1)
            msg = first.message.strip().splitlines()[0]
        else:
            line, col = exc.position if exc.position else (1, 1)
            msg = str(exc)
        code, help_ = _syntax_code(msg)
        if code == "P004" and any(d.code == "P004" for d in diags):
            return None, diags
        if code == "P008":
            msg = "elements are nested deeper than 256 levels; parsing stopped here"
        elif code == "P007":
            msg = f"entity expansion refused ({msg})"
        else:
            msg = f"not well-formed XML: {msg}"
        diags.append(_diag(display, line, col, code, msg, help_))
        return None, diags
    except ValueError as exc:  # e.g. unicode string with encoding declaration
        diags.append(_diag(display, 1, 1, "P004", str(exc), "save the file as UTF-8"))
        return None, diags
    tree = root.getroottree()
    diags.extend(_check_dtd(tree, display, data))
    diags.extend(_check_root(root, display))
    if any(d.is_error for d in diags):
        return None, diags
    return tree, diags


def _declaration_position(data: bytes, name: str) -> tuple[int, int]:
    """Line and column of ``<!ENTITY name`` in the raw bytes (libxml2 does not keep them)."""
    m = re.search(rb"<!ENTITY\s+(?:%\s+)?" + re.escape(name.encode()) + rb"\b", data)
    if not m:
        return 1, 1
    start = m.start()
    return data.count(b"\n", 0, start) + 1, start - (data.rfind(b"\n", 0, start) + 1) + 1


def _check_dtd(tree: etree._ElementTree, display: str, data: bytes) -> list[Diagnostic]:
    """Report DTD features teipress refuses: external DTDs, entities of any kind."""
    out: list[Diagnostic] = []
    info = tree.docinfo
    if getattr(info, 'system_url', None) or info.public_id:
        out.append(_diag(display, 1, 1, "P011",
                         f"document refers to an external DTD ({getattr(info, 'system_url', None) or info.public_id}); "
                         "it was not loaded",
                         "remove the <!DOCTYPE ...> line: TEI P5 is validated by schema, not DTD",
                         Severity.WARNING))
    dtd = info.internalDTD
    if dtd is not None:
        for ent in dtd.iterentities():  # type: ignore[attr-defined]  # missing from lxml-stubs
            kind = "external" if (ent.system_url or getattr(ent, "public_id", None)) else "internal"
            line, col = _declaration_position(data, ent.name)
            out.append(_diag(display, line, col, "P007",
                             f"DTD declares {kind} entity '{ent.name}'; teipress never expands entities",
                             f"replace every &{ent.name}; with the text it stands for and remove "
                             "the declaration"))
    root = tree.getroot()
    lines = data.split(b"\n")
    for ent in root.iter(etree.Entity):
        line = source_line(ent)
        col = lines[line - 1].find(str(ent.text).encode()) + 1 if line <= len(lines) else 0
        out.append(_diag(display, line, max(col, 1), "P007",
                         f"entity reference {ent.text} is not expanded",
                         "write the character itself (UTF-8) or a numeric reference like &#8212;"))
    return out


def _check_root(root: etree._Element, display: str) -> list[Diagnostic]:
    qname = etree.QName(root)
    if qname.namespace == TEI_NS and qname.localname in {"TEI", "teiCorpus"}:
        return []
    line = source_line(root)
    if qname.localname in {"TEI", "teiCorpus"}:
        ns = qname.namespace or "no namespace"
        return [_diag(display, line, 1, "P006",
                      f"root element <{qname.localname}> is in {ns}, not the TEI namespace",
                      f'add xmlns="{TEI_NS}" to the root element')]
    return [_diag(display, line, 1, "P006",
                  f"root element is <{qname.localname}>, not <TEI> or <teiCorpus>",
                  f'a TEI document starts with <TEI xmlns="{TEI_NS}">; '
                  "remove non-TEI files from the sources")]


def load_path(path: Path, root_dir: Path | None = None) -> LoadedDocument:
    """Read, hash and securely parse one file. Never raises for bad content."""
    path = path.resolve()
    display = display_path(path, root_dir)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return LoadedDocument(path, display, b"", "", None, [
                _diag(display, 1, 1, "P009", f"file is {size} bytes, over the {MAX_FILE_BYTES} limit",
                      "split the file; documents this large are almost certainly a mistake")])
        data = path.read_bytes()
    except OSError as exc:
        return LoadedDocument(path, display, b"", "", None, [
            _diag(display, 1, 1, "P010", f"cannot read file: {exc.strerror or exc}",
                  "check that the file exists and is readable")])
    digest = hashlib.sha256(data).hexdigest()
    tree, diags = parse_bytes(data, display)
    return LoadedDocument(path, display, data, digest, tree, diags)


def display_path(path: Path, root_dir: Path | None) -> str:
    """*path* as reports show it: relative to *root_dir* (or the working directory) when inside it.

    On POSIX a string prefix test: a build shows every file of the corpus on every
    (re)build, and ``Path.relative_to`` took 80 ms for the 5,021 Escher files.
    """
    base = _resolved(root_dir) if root_dir else Path.cwd()
    if os.sep == "/" and path.is_absolute():
        full, folder = os.fspath(path), os.fspath(base)
        if full == folder:
            return "."
        prefix = folder if folder.endswith("/") else folder + "/"
        return full[len(prefix):] if full.startswith(prefix) else full
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


@lru_cache(maxsize=64)
def _resolved(folder: Path) -> Path:
    """*folder* resolved once (display paths are made for every file of a corpus)."""
    return folder.resolve()
