"""Run the load and check phases over many documents, in parallel, never stopping at one bad file.

Each Schematron file is compiled once per run (``compile_rules``) and every
worker process builds its schema checker and compiles the generated XSLT once
(``_init_worker``), then validates whole documents; a document that
fails in any way becomes diagnostics, never an aborted run. Corpus-wide checks
(unique ids, pointers) need every document at once, so they run in the parent
after the pool, through the resolve phase's shared code.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from teipress.check.schema import SchemaChecker, make_schema_checker
from teipress.check.schematron import CompiledSchematron
from teipress.config import Config
from teipress.diagnostics import Diagnostic, Severity
from teipress.load import LoadedDocument, display_path, load_path
from teipress.report import RunResult


@dataclass
class CheckOptions:
    """What to check; built from configuration overridden by command-line flags."""

    schema: str = "project"
    schema_engine: str = "auto"
    rules: list[Path] = field(default_factory=list)
    project_rules: bool = True
    phase: str | None = None
    jobs: int = 0
    corpus: bool = True
    warnings_as_errors: bool = False

    @classmethod
    def from_config(cls, config: Config, **overrides: object) -> CheckOptions:
        """Options as the configuration sets them; command-line flags come in as *overrides*.

        Every command (validate, build, serve) builds its options here, so none can
        forget a configuration key.
        """
        options = cls(schema=config.schema, schema_engine=config.schema_engine,
                      rules=[config.root / r for r in config.rules], project_rules=config.use_project_rules)
        for key, value in overrides.items():
            if not hasattr(options, key):
                raise TypeError(f"unknown check option {key!r}")
            setattr(options, key, value)
        return options

    def rule_files(self) -> list[Path]:
        from teipress.paths import schema_path

        files = [schema_path("teipress.sch")] if self.project_rules else []
        return files + [p.resolve() for p in self.rules]


def compile_rules(options: CheckOptions) -> list[CompiledSchematron]:
    """Compile every Schematron file of the run, once (the workers receive the XSLT text).

    ``--phase`` names a phase of the user's rule files; the project rules have none.
    """
    from teipress.check.schematron import compile_schematron

    project = options.rule_files()[0] if options.project_rules else None
    return [compile_schematron(p, phase=None if p == project else options.phase) for p in options.rule_files()]


class _Checker:
    """Per-process state: the schema checker and the Schematron runner, built once."""

    def __init__(self, options: CheckOptions, root: Path, compiled: list[CompiledSchematron]) -> None:
        from teipress.check.schematron import SchematronRunner

        self.root = root
        from teipress.check.xsd11 import FastXsdChecker

        self.schema: SchemaChecker | None = make_schema_checker(options.schema, root, options.schema_engine)
        # XSD assertions and Schematron share one Saxon engine: one parse per document.
        self._shared = isinstance(self.schema, FastXsdChecker) and self.schema.assertion_sheet is not None
        sheet = self.schema.assertion_sheet if isinstance(self.schema, FastXsdChecker) else None
        extra = {"xsd-assertions": sheet} if sheet is not None else {}
        self.schematron = SchematronRunner(compiled, extra_stylesheets=extra) if compiled else None
        if self._shared and self.schematron is not None:
            assert isinstance(self.schema, FastXsdChecker)
            self.schema.share_engine(self.schematron.engine, "xsd-assertions")
        else:
            self._shared = False
        if isinstance(self.schema, FastXsdChecker):
            self.schema.release_files()

    def check_path(self, path: Path) -> tuple[str, list[Diagnostic]]:
        doc = load_path(path, self.root)
        return doc.display, self.check_doc(doc)

    def check_doc(self, doc: LoadedDocument) -> list[Diagnostic]:
        diags = list(doc.diagnostics)
        if not doc.ok:
            return diags
        node = None
        if self._shared and self.schematron is not None:
            try:
                node = self.schematron.engine.parse(doc.data)
            except Exception:  # reported by the step that needs it
                node = None
        for step in (self.schema, self.schematron):
            if step is None:
                continue
            try:
                diags.extend(step.check(doc, node))
            except Exception as exc:  # one broken document never stops the others
                diags.append(Diagnostic(
                    doc.display, 1, 1, "E999", Severity.ERROR,
                    f"internal error while checking ({type(step).__name__}): {exc}",
                    "please report this with the file attached", source="teipress"))
        return diags


_worker: _Checker | None = None


def _init_worker(options: CheckOptions, root: Path, compiled: list[CompiledSchematron]) -> None:
    global _worker
    _worker = _Checker(options, root, compiled)


def _check_in_worker(path: Path) -> tuple[str, list[Diagnostic]]:
    assert _worker is not None
    return _worker.check_path(path)


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


class CheckCache:
    """Per-document check results keyed by content hash, so unchanged files are not re-checked.

    The key folder is a hash of everything a per-document result depends on
    besides the file itself (teipress version, schema and rule files, the check
    options), so editing a schema or a rule invalidates every entry at once.
    Entries are written atomically; a corrupt or missing entry is a miss.
    """

    def __init__(self, folder: Path, options: CheckOptions, root: Path) -> None:
        from teipress import __version__
        from teipress.paths import data_dir

        h = hashlib.sha256(__version__.encode())
        for spec in (options.schema, options.schema_engine, options.phase or "", str(options.project_rules)):
            h.update(spec.encode() + b"\0")
        watched = [data_dir("schema"), data_dir("xslt") / "schematron", *options.rules]
        schema_file = Path(options.schema) if options.schema not in ("project", "tei-all", "none", "") else None
        if schema_file is not None:
            watched.append(schema_file if schema_file.is_absolute() else root / schema_file)
        for item in watched:
            for f in sorted([item] if item.is_file() else item.rglob("*") if item.is_dir() else []):
                if f.is_file():
                    h.update(f.name.encode() + hashlib.sha256(f.read_bytes()).digest())
        self.folder = folder / h.hexdigest()[:24]

    def get(self, sha: str, display: str) -> list[Diagnostic] | None:
        try:
            rows = json.loads((self.folder / f"{sha}.json").read_text("utf-8"))
            return [Diagnostic(display, r["line"], r["column"], r["code"], Severity(r["severity"]),
                               r["message"], r["help"], r["source"]) for r in rows]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, sha: str, diags: Sequence[Diagnostic]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{sha}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps([d.to_dict() for d in diags]), encoding="utf-8")
        os.replace(tmp, self.folder / f"{sha}.json")


def check_files(paths: Sequence[Path], config: Config, options: CheckOptions,
                cache: CheckCache | None = None) -> RunResult:
    """Load and check *paths* (documents and authority files), then run the corpus checks.

    With a *cache*, files whose content was already checked under the same
    schema, rules and options reuse their findings instead of being re-checked.
    """
    started = time.perf_counter()
    root = config.root
    jobs = options.jobs or default_jobs()
    files = list(dict.fromkeys(p.resolve() for p in paths))
    results: dict[Path, tuple[str, list[Diagnostic]]] = {}
    hashes: dict[Path, str] = {}
    todo = files
    if cache is not None:
        todo = []
        for path in files:
            try:
                hashes[path] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                todo.append(path)
                continue
            display = display_path(path, root)
            hit = cache.get(hashes[path], display)
            if hit is None:
                todo.append(path)
            else:
                results[path] = (display, hit)
    # Pool start-up (a saxonche processor and compiled rules per worker) costs
    # about a second; below a handful of files one process is faster.
    corpus_findings: list[Diagnostic] = []
    if jobs > 1 and len(todo) >= 4 * jobs:
        chunk = max(1, len(todo) // (jobs * 8))
        compiled = compile_rules(options)
        with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(options, root, compiled)) as pool:
            pending = pool.map(_check_in_worker, todo, chunksize=chunk)  # submits everything now
            # The parent would only wait: it runs the corpus checks meanwhile.
            if options.corpus:
                corpus_findings = _corpus_checks(files, config)
            for path, res in zip(todo, pending, strict=True):
                results[path] = res
    else:
        if todo:
            checker = _Checker(options, root, compile_rules(options))
            for path in todo:
                results[path] = checker.check_path(path)
        if options.corpus:
            corpus_findings = _corpus_checks(files, config)
    if cache is not None:
        for path in todo:
            if path in hashes and not any(d.code == "E999" for d in results[path][1]):
                cache.put(hashes[path], results[path][1])
    diagnostics = [d for _, (_, ds) in sorted(results.items()) for d in ds]
    displays = [results[p][0] for p in files]
    diagnostics.extend(corpus_findings)
    result = RunResult(displays, diagnostics, time.perf_counter() - started)
    result.extra["checked"] = len(todo)
    result.extra["from_cache"] = len(files) - len(todo)
    return finish(result, config, options)


def finish(result: RunResult, config: Config, options: CheckOptions) -> RunResult:
    """Apply per-path ignores and ``--warnings-as-errors`` to a run's findings."""
    diagnostics = [d for d in result.diagnostics if not config.ignored(d.path, d.code)]
    if options.warnings_as_errors:
        diagnostics = [
            Diagnostic(d.path, d.line, d.col, d.code, Severity.ERROR, d.message, d.help, d.source)
            if d.severity is Severity.WARNING else d for d in diagnostics]
    result.diagnostics = diagnostics
    return result


def _corpus_checks(files: Sequence[Path], config: Config) -> list[Diagnostic]:
    """Cross-document checks shared with ``teipress xref`` (resolve phase)."""
    from teipress.resolve import corpus_diagnostics

    auth = set(config.authority_files())
    docs: list[LoadedDocument] = []
    authorities: list[LoadedDocument] = []
    for path in files:
        doc = load_path(path, config.root)
        if doc.ok:
            (authorities if path in auth else docs).append(doc)
    for path in auth:
        if path not in files:
            doc = load_path(path, config.root)
            if doc.ok:
                authorities.append(doc)
    return list(corpus_diagnostics(docs, authorities, config))
