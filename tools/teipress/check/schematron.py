"""ISO Schematron for teipress: compile ``.sch`` files with our own XSLT compiler, run them.

Why a compiler of our own (``xslt/schematron/compile.xsl``) instead of the ISO skeleton
or SchXslt: the output must fit teipress' engine and reports. Each pattern becomes one
XSLT mode and each rule a template with a descending priority, so ISO's "first matching
rule per pattern" semantics cost one tree walk per pattern and no ``//`` scans; findings
come back as a small XML report naming each node's element by its number in document
order (Saxon HE has no ``saxon:line-number()``; XPath 3.1 ``path()`` made a long list's
findings quadratic), which is mapped to ``line:col`` here with lxml's tree of the same bytes.

Life cycle, chosen so that compiling happens once per run (or per worker process):

1. :func:`compile_schematron` reads the ``.sch`` securely, records the line and column of
   every element on it (``tpl:l``/``tpl:c``), resolves local ``sch:include`` and runs the
   compiler stylesheet. Problems with the schema raise :class:`SchematronError` listing
   every problem as ``file:line:col: what; fix: how``.
2. :class:`SchematronRunner` writes the generated stylesheets to a temporary folder and
   compiles them into one :class:`~teipress.xslt.XsltEngine` *before* it locks; XPath
   errors Saxon finds are mapped back to the ``.sch`` line through ``tpc:src`` markers.
3. :meth:`SchematronRunner.check` parses a loaded document once for Saxon and applies
   every schema to it, returning :class:`~teipress.diagnostics.Diagnostic` objects.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from teipress.atomic import write_atomic
from teipress.diagnostics import Diagnostic, Severity
from teipress.load import LoadedDocument, secure_parser
from teipress.locate import ChildIndex, ElementLocator, element_at_path
from teipress.paths import code_version, xslt_path
from teipress.xslt import XsltEngine, XsltError

SCH_NS = "http://purl.oclc.org/dsdl/schematron"
OLD_SCH_NS = "http://www.ascc.net/xml/schematron"
#: Source positions the Python pre-pass puts on every element of the .sch.
LOC_NS = "https://teipress.dev/ns/schematron/location"
#: Compiler markers and errors (``tpc:error``, ``tpc:meta``, ``tpc:src``).
COMPILER_NS = "https://teipress.dev/ns/schematron/compiler"
#: The findings report a compiled schema produces.
REPORT_NS = "https://teipress.dev/ns/schematron/report"
#: Name of the run-time phase parameter of every generated stylesheet.
PHASE_PARAM = "tp-sch-phase"
#: Whether findings give their place by ``path()`` (see ``tpc:at`` in generate.xsl).
PATHS_PARAM = "tp-sch-paths"

_MAX_INCLUDE_DEPTH = 16
_SRC_MARK = re.compile(r'tpc:src="(\d+):(\d+)"(?:\s+tpc:file="([^"]*)")?')


@dataclass(frozen=True)
class SchematronProblem:
    """One thing wrong with a schema, located in its source file."""

    path: str
    line: int
    col: int
    message: str
    fix: str

    def __str__(self) -> str:
        text = f"{self.path}:{self.line}:{self.col}: {self.message}"
        return text + (f"\n  fix: {self.fix}" if self.fix else "")


class SchematronError(Exception):
    """A Schematron file cannot be used: malformed, unsupported, or its XPath does not compile.

    The CLI reports it as a configuration error (exit 2); ``problems`` keeps every
    finding so that a user fixes them all in one round.
    """

    def __init__(self, problems: Sequence[SchematronProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type[SchematronError], tuple[list[SchematronProblem]]]:
        """Rebuilt from its problems when it crosses from a worker process (the rules are
        compiled in one)."""
        return (SchematronError, (self.problems,))

    @property
    def first(self) -> SchematronProblem:
        return self.problems[0]


@dataclass(frozen=True)
class RuleInfo:
    """One assert or report of a schema, for ``teipress rules`` and docs/rules.md.

    ``message`` is the assert text with ``{expr}`` where a value is inserted at run
    time; ``help`` is the text of the linked ``sch:diagnostic`` (the fix).
    """

    code: str
    severity: Severity
    title: str
    message: str
    help: str
    kind: str
    context: str
    test: str
    name: str = ""
    pattern: str = ""
    line: int = 0
    col: int = 0
    fail_example: str = ""
    pass_example: str = ""


@dataclass(frozen=True)
class CompiledSchematron:
    """One ``.sch`` compiled to XSLT text, with what a runner and ``rules_of`` need."""

    source: Path
    display: str
    xslt: str
    phase: str | None
    phases: tuple[str, ...]
    default_phase: str
    query_binding: str
    rules: tuple[RuleInfo, ...] = field(default=())

    @property
    def effective_phase(self) -> str:
        """The phase the run uses: the one asked for, else the schema's defaultPhase."""
        if self.phase in (None, "", "#DEFAULT"):
            return self.default_phase
        return self.phase or "#ALL"


# --------------------------------------------------------------------------- compiling

_compiler_lock = threading.Lock()
_compiler: XsltEngine | None = None


def _compiler_engine() -> XsltEngine:
    """The compiler stylesheet, compiled once per process (it is the slow part of compiling)."""
    global _compiler
    with _compiler_lock:
        if _compiler is None:
            _compiler = XsltEngine({"compile": xslt_path("schematron", "compile.xsl")})
        return _compiler


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def _sourceline(el: etree._Element) -> int:
    line: int | None = getattr(el, "sourceline", None)
    return line or 1


def _problem(display: str, line: int, col: int, message: str, fix: str) -> SchematronError:
    return SchematronError([SchematronProblem(display, line, col, message, fix)])


def _parse_located(path: Path, display: str) -> etree._Element:
    """Parse *path* securely and annotate every element with its source line and column."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _problem(display, 0, 0, f"cannot read Schematron file: {exc.strerror or exc}",
                       "check the path given to --rules or in [tool.teipress] rules") from None
    parser = secure_parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (1, 1)
        raise _problem(display, line, col, f"Schematron file is not well-formed XML: {exc.msg}",
                       "fix the XML syntax at this position") from None
    tree = root.getroottree()
    locator = ElementLocator(data, tree)
    for el in root.iter():
        if isinstance(el.tag, str):
            line, col = locator.position(el)
            el.set(f"{{{LOC_NS}}}l", str(line))
            el.set(f"{{{LOC_NS}}}c", str(col))
    return root


def _resolve_includes(root: etree._Element, path: Path, base_dir: Path, display: str,
                      depth: int = 0) -> None:
    """Replace each local ``sch:include`` by the element it points at (ISO semantics).

    Only files inside the main schema's folder may be included: rule files can come
    from other projects (``--rules``), and an include must not read arbitrary files.
    """
    for inc in list(root.iter(f"{{{SCH_NS}}}include")):
        line, col = int(inc.get(f"{{{LOC_NS}}}l", "0")), int(inc.get(f"{{{LOC_NS}}}c", "0"))
        href = (inc.get("href") or "").strip()
        if not href:
            raise _problem(display, line, col, "sch:include has no @href",
                           'point it at a file next to the schema: <sch:include href="rules.sch"/>')
        if depth >= _MAX_INCLUDE_DEPTH:
            raise _problem(display, line, col, f"sch:include nested more than {_MAX_INCLUDE_DEPTH} deep",
                           "an include includes itself (directly or not); break the cycle")
        file_part, _, fragment = href.partition("#")
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", file_part):
            raise _problem(display, line, col, f"sch:include href={href!r} is a URL",
                           "teipress only includes local files in the schema's folder; copy the file there")
        target = (path.parent / file_part).resolve() if file_part else path.resolve()
        if not target.is_relative_to(base_dir):
            raise _problem(display, line, col,
                           f"sch:include href={href!r} points outside the schema's folder ({base_dir})",
                           "copy the included file next to the schema (or into a subfolder of it)")
        if not target.is_file():
            raise _problem(display, line, col, f"sch:include href={href!r}: no such file ({target})",
                           "correct the href (it is relative to the including file)")
        inc_display = _display(target)
        inc_root = _parse_located(target, inc_display)
        _resolve_includes(inc_root, target, base_dir, inc_display, depth + 1)
        if fragment:
            found = [e for e in inc_root.iter() if isinstance(e.tag, str) and e.get("id") == fragment]
            if not found:
                raise _problem(display, line, col, f"sch:include href={href!r}: no element with id {fragment!r}",
                               "correct the fragment identifier after '#'")
            inc_root = found[0]
        if etree.QName(inc_root).localname == "schema":
            raise _problem(display, line, col, f"sch:include href={href!r} includes a whole sch:schema",
                           "include a pattern, rule, phase or diagnostics element (or use #id)")
        copy = etree.fromstring(etree.tostring(inc_root))
        copy.set(f"{{{LOC_NS}}}f", inc_display)
        copy.tail = inc.tail
        parent = inc.getparent()
        assert parent is not None
        parent.replace(inc, copy)


def _preprocess(sch: Path) -> tuple[etree._Element, str]:
    path = sch.resolve()
    display = _display(sch)
    root = _parse_located(path, display)
    qn = etree.QName(root)
    if qn.namespace == OLD_SCH_NS:
        raise _problem(display, _sourceline(root), 1, "this is Schematron 1.5, not ISO Schematron",
                       f'change the namespace to xmlns:sch="{SCH_NS}"')
    if qn.namespace != SCH_NS or qn.localname != "schema":
        raise _problem(display, _sourceline(root), 1,
                       f"root element is <{qn.localname}> in {qn.namespace or 'no namespace'}, "
                       "not an ISO Schematron <sch:schema>",
                       f'start the file with <sch:schema xmlns:sch="{SCH_NS}" queryBinding="xslt3">')
    _resolve_includes(root, path, path.parent, display)
    return root, display


def compile_schematron(sch: Path, phase: str | None = None, cache: Path | None = None) -> CompiledSchematron:
    """Compile *sch* to XSLT text once; the phase is checked now and applied at run time.

    *phase* may be a phase id, ``#ALL`` or ``#DEFAULT``/None (the schema's defaultPhase).
    With a *cache* folder the XSLT is kept there under a hash of the schema (includes
    resolved), its name and the compiler: making the compiler costs a process about
    0.05 s, a good part of rechecking one edited file.
    """
    root, display = _preprocess(sch)
    text = etree.tostring(root, encoding="unicode")
    kept = _kept_file(cache, text, display) if cache is not None else None
    read = _read_kept(kept) if kept is not None else None
    if read is not None:
        out, result = read
    else:
        engine = _compiler_engine()
        try:
            out = engine.transform("compile", engine.parse(text))
        except XsltError as exc:
            raise _problem(display, 0, 0, f"the Schematron compiler failed: {exc}",
                           "please report this with the .sch attached") from None
        result = etree.fromstring(out.encode("utf-8"))
    if etree.QName(result).localname == "errors":
        problems = [
            SchematronProblem(e.get("file") or display, int(e.get("line") or 0), int(e.get("col") or 0),
                              e.get("message") or "", e.get("fix") or "")
            for e in result.iter(f"{{{COMPILER_NS}}}error")
        ]
        raise SchematronError(problems)
    meta = result.find(f"{{{COMPILER_NS}}}meta")
    assert meta is not None, "compiler output without tpc:meta"
    phases = tuple(p.get("id") or "" for p in meta.iter(f"{{{COMPILER_NS}}}phase"))
    if phase not in (None, "", "#DEFAULT", "#ALL") and phase not in phases:
        raise _problem(display, _sourceline(root), 1, f"unknown phase {phase!r}",
                       "use one of: " + ", ".join(("#ALL", "#DEFAULT", *phases)))
    compiled = CompiledSchematron(
        source=sch.resolve(), display=display, xslt=out, phase=phase, phases=phases,
        default_phase=meta.get("default-phase") or "#ALL",
        query_binding=meta.get("query-binding") or "xslt",
        rules=tuple(_rule_infos(root, meta)))
    if kept is not None and read is None:
        _keep(kept, out)
    return compiled


#: Compiled schemas kept per cache folder (the most recently used); older ones are removed.
KEEP_COMPILED = 8


@functools.cache
def _compiler_digest() -> str:
    """The compiler's code: teipress's and the compiler stylesheets'."""
    h = hashlib.sha256(code_version().encode())
    for path in sorted(xslt_path("schematron").glob("*.xsl")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _kept_file(cache: Path, text: str, display: str) -> Path:
    key = hashlib.sha256(f"{_compiler_digest()}\0{display}\0{text}".encode()).hexdigest()[:32]
    return cache / f"schematron-{key}.xsl"


def _read_kept(path: Path) -> tuple[str, etree._Element] | None:
    """A kept compiler output and its tree, if there is one (a damaged file is a miss)."""
    try:
        out = path.read_text("utf-8")
        result = etree.fromstring(out.encode("utf-8"))
    except (OSError, UnicodeDecodeError, etree.XMLSyntaxError):
        return None
    if result.find(f"{{{COMPILER_NS}}}meta") is None:
        return None
    with contextlib.suppress(OSError):  # recently used: kept when older ones are dropped
        os.utime(path)
    return out, result


def _keep(path: Path, out: str) -> None:
    """Write a compiled schema into the cache (atomically) and drop the oldest ones."""
    try:
        write_atomic(path, out.encode("utf-8"), sync=False)
        kept = sorted(path.parent.glob("schematron-*.xsl"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for stale in kept[KEEP_COMPILED:]:
            stale.unlink(missing_ok=True)
    except OSError:  # a cache that cannot be written: compiled again next time
        pass


def _rule_infos(root: etree._Element, meta: etree._Element) -> list[RuleInfo]:
    examples: dict[str, dict[str, str]] = {}
    for pattern in root.iter(f"{{{SCH_NS}}}pattern"):
        found: dict[str, str] = {}
        for p in pattern.iter(f"{{{SCH_NS}}}p"):
            cls = (p.get("class") or "").split()
            for kind in ("fail", "pass"):
                if f"example-{kind}" in cls:
                    found[kind] = (p.text or "").strip()
        if found and pattern.get("id"):
            examples[pattern.get("id") or ""] = found
    for pattern in root.iter(f"{{{SCH_NS}}}pattern"):
        # an instance of an abstract pattern shows the abstract pattern's examples
        is_a, pid = pattern.get("is-a"), pattern.get("id")
        if is_a and pid and pid not in examples and is_a in examples:
            examples[pid] = examples[is_a]
    infos = []
    for c in meta.iter(f"{{{COMPILER_NS}}}check"):
        pattern_id = c.get("pattern") or ""
        ex = examples.get(pattern_id, {})
        infos.append(RuleInfo(
            code=c.get("code") or "SCH",
            severity=Severity.parse(c.get("role")),
            title=c.get("title") or "",
            message=c.findtext(f"{{{COMPILER_NS}}}message") or "",
            help=c.findtext(f"{{{COMPILER_NS}}}help") or "",
            kind=c.get("kind") or "assert",
            context=c.get("context") or "",
            test=c.get("test") or "",
            name=pattern_id,
            pattern=pattern_id,
            line=int(c.get("line") or 0),
            col=int(c.get("col") or 0),
            fail_example=ex.get("fail", ""),
            pass_example=ex.get("pass", ""),
        ))
    return infos


def rules_of(sch: Path) -> list[RuleInfo]:
    """The rules of *sch*, one per code (the first assert/report that uses it), in schema order."""
    seen: dict[str, RuleInfo] = {}
    for info in compile_schematron(sch).rules:
        seen.setdefault(info.code, info)
    return list(seen.values())


# --------------------------------------------------------------------------- running

def _map_generated(schema: CompiledSchematron, line: int | None) -> tuple[str, int, int]:
    """The .sch position of the generated instruction at *line* (nearest tpc:src above it)."""
    if line:
        lines = schema.xslt.splitlines()
        # The serialiser may put each attribute of a long start tag on its own line, and
        # Saxon may report either end of the tag: look at whole start tags, going up.
        for i in range(min(line, len(lines)) - 1, -1, -1):
            if not lines[i].lstrip().startswith("<") or lines[i].lstrip().startswith("</"):
                continue
            end = i
            while end < len(lines) - 1 and not lines[end].rstrip().endswith(">"):
                end += 1
            m = _SRC_MARK.search(" ".join(lines[i:end + 1]))
            if m:
                return (m.group(3) or schema.display, int(m.group(1)), int(m.group(2)))
    return schema.display, 0, 0


def _xpath_problem(schema: CompiledSchematron, exc: XsltError, what: str) -> SchematronError:
    file, line, col = _map_generated(schema, exc.line)
    detail = str(exc).split(": ", 1)[-1]
    detail = re.sub(r"\s*\([^()]*\.xsl(?::\d+)?\)\s*$", "", detail)
    detail = re.sub(r" on line \d+ column \d+ of [^\s:]+", "", detail).strip()
    return SchematronError([SchematronProblem(
        file, line, col, f"{what}: {detail}",
        "correct the XPath expression of this element (the message quotes it as compiled)")])


class SchematronRunner:
    """Applies compiled schemas to loaded documents; one per process or worker.

    All schemas are compiled into one locked :class:`XsltEngine` at construction;
    *extra_stylesheets* lets a caller share that engine for its own stylesheets.
    """

    def __init__(self, schemas: Sequence[CompiledSchematron],
                 extra_stylesheets: Mapping[str, Path] | None = None) -> None:
        self.schemas = list(schemas)
        tmp = Path(tempfile.mkdtemp(prefix="teipress-sch-"))
        try:
            sheets: dict[str, Path] = dict(extra_stylesheets or {})
            self._names: list[str] = []
            for i, schema in enumerate(self.schemas):
                name = f"schematron-{i}"
                path = tmp / f"{name}.xsl"
                path.write_text(schema.xslt, encoding="utf-8")
                sheets[name] = path
                self._names.append(name)
            try:
                self.engine = XsltEngine(sheets)
            except XsltError as exc:
                for name, schema in zip(self._names, self.schemas, strict=True):
                    if exc.stylesheet and Path(exc.stylesheet).name == f"{name}.xsl":
                        raise _xpath_problem(schema, exc, "XPath error") from None
                raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def check(self, doc: LoadedDocument, node: Any = None) -> list[Diagnostic]:
        """Run every schema on *doc*; findings sorted by position, each with its fix as help.

        *node* is the document already parsed by this runner's engine, when the
        caller shares the engine (and so one Saxon parse) with another step.
        """
        if not doc.ok or not self.schemas:
            return []
        if node is None:
            node = self.engine.parse(doc.data)
        out: list[Diagnostic] = []
        places_of: _FindingPlaces | None = None
        for name, schema in zip(self._names, self.schemas, strict=True):
            findings = self._run(name, schema, node, doc, False)
            if not findings:
                continue
            if places_of is None:
                places_of = _FindingPlaces(doc)
            try:
                places = [places_of.position(f.get("at") or "/") for f in findings]
            except _NotTheSameTree:  # not seen: both parse the same bytes, entities refused
                findings = self._run(name, schema, node, doc, True)
                places = [places_of.position(f.get("at") or "/") for f in findings]
            for f, (line, col) in zip(findings, places, strict=True):
                message = _text(f.find(f"{{{REPORT_NS}}}message"))
                helps = [_text(d) for d in f.iter(f"{{{REPORT_NS}}}diagnostic")]
                out.append(Diagnostic(
                    path=doc.display, line=line, col=col, code=f.get("code") or "SCH",
                    severity=Severity.parse(f.get("role")), message=message,
                    help=" ".join(h for h in helps if h) or None, source="schematron"))
        return sorted(out)

    def _run(self, name: str, schema: CompiledSchematron, node: Any, doc: LoadedDocument,
             paths: bool) -> list[etree._Element]:
        """The findings of schema *name* on *node*: their report's elements."""
        try:
            report = self.engine.transform(name, node, {PHASE_PARAM: schema.effective_phase, PATHS_PARAM: paths})
        except XsltError as exc:
            raise _xpath_problem(schema, exc, f"run-time error on {doc.display}") from None
        return list(etree.fromstring(report.encode("utf-8")).iter(f"{{{REPORT_NS}}}finding"))


class _NotTheSameTree(Exception):
    """A finding's element number names no element of that name in the runner's tree."""


def _text(el: etree._Element | None) -> str:
    if el is None:
        return ""
    return " ".join("".join(str(t) for t in el.itertext()).split())


class _FindingPlaces:
    """Maps where a finding is (see ``tpc:at`` in xslt/schematron/generate.xsl) to its
    element's start-tag position: ``N {ns}local``, the Nth element in document order,
    or a ``path()`` string (``/Q{ns}TEI[1]/Q{ns}text[1]/@ref``)."""

    def __init__(self, doc: LoadedDocument) -> None:
        assert doc.tree is not None
        self._tree = doc.tree
        self._locator = ElementLocator(doc.data, doc.tree)
        self._children: ChildIndex = {}

    def element(self, at: str) -> etree._Element:
        number, _, tag = at.partition(" ")
        if not number.isdigit():
            return element_at_path(self._tree, at, self._children)
        elements = self._locator.elements  # the list the locator's positions are counted in
        n = int(number)
        if not 0 < n <= len(elements) or elements[n - 1].tag != tag.removeprefix("{}"):
            raise _NotTheSameTree(at)
        return elements[n - 1]

    def position(self, at: str) -> tuple[int, int]:
        return self._locator.position(self.element(at))
