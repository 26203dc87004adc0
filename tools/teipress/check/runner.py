"""Run the load and check phases over many documents, in parallel, never stopping at one bad file.

Each worker process builds its schema checker and compiles every Schematron
file once (``_init_worker``), then validates whole documents; a document that
fails in any way becomes diagnostics, never an aborted run. Corpus-wide checks
(unique ids, pointers) need every document at once, so they run in the parent
after the pool, through the resolve phase's shared code.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from teipress.check.schema import SchemaChecker, make_schema_checker
from teipress.config import Config
from teipress.diagnostics import Diagnostic, Severity
from teipress.load import LoadedDocument, load_path
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

    def rule_files(self) -> list[Path]:
        from teipress.paths import schema_path

        files = [schema_path("teipress.sch")] if self.project_rules else []
        return files + [p.resolve() for p in self.rules]


class _Checker:
    """Per-process state: the schema checker and the Schematron runner, built once."""

    def __init__(self, options: CheckOptions, root: Path) -> None:
        from teipress.check.schematron import SchematronRunner, compile_schematron

        self.root = root
        self.schema: SchemaChecker | None = make_schema_checker(options.schema, root, options.schema_engine)
        # --phase names a phase of the user's rule files; the project rules have none.
        project = options.rule_files()[0] if options.project_rules else None
        compiled = [compile_schematron(p, phase=None if p == project else options.phase)
                    for p in options.rule_files()]
        self.schematron = SchematronRunner(compiled) if compiled else None

    def check_path(self, path: Path) -> tuple[str, list[Diagnostic]]:
        doc = load_path(path, self.root)
        return doc.display, self.check_doc(doc)

    def check_doc(self, doc: LoadedDocument) -> list[Diagnostic]:
        diags = list(doc.diagnostics)
        if not doc.ok:
            return diags
        for step in (self.schema, self.schematron):
            if step is None:
                continue
            try:
                diags.extend(step.check(doc))
            except Exception as exc:  # one broken document never stops the others
                diags.append(Diagnostic(
                    doc.display, 1, 1, "E999", Severity.ERROR,
                    f"internal error while checking ({type(step).__name__}): {exc}",
                    "please report this with the file attached", source="teipress"))
        return diags


_worker: _Checker | None = None


def _init_worker(options: CheckOptions, root: Path) -> None:
    global _worker
    _worker = _Checker(options, root)


def _check_in_worker(path: Path) -> tuple[str, list[Diagnostic]]:
    assert _worker is not None
    return _worker.check_path(path)


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def check_files(paths: Sequence[Path], config: Config, options: CheckOptions) -> RunResult:
    """Load and check *paths* (documents and authority files), then run the corpus checks."""
    started = time.perf_counter()
    root = config.root
    jobs = options.jobs or default_jobs()
    files = list(dict.fromkeys(p.resolve() for p in paths))
    results: dict[Path, tuple[str, list[Diagnostic]]] = {}
    # Pool start-up (a saxonche processor and compiled rules per worker) costs
    # about a second; below a handful of files one process is faster.
    if jobs > 1 and len(files) >= 4 * jobs:
        chunk = max(1, len(files) // (jobs * 8))
        with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(options, root)) as pool:
            for path, res in zip(files, pool.map(_check_in_worker, files, chunksize=chunk), strict=True):
                results[path] = res
    else:
        checker = _Checker(options, root)
        for path in files:
            results[path] = checker.check_path(path)
    diagnostics = [d for _, (_, ds) in sorted(results.items()) for d in ds]
    displays = [results[p][0] for p in files]
    if options.corpus:
        diagnostics.extend(_corpus_checks(files, config))
    diagnostics = [d for d in diagnostics if not config.ignored(d.path, d.code)]
    if options.warnings_as_errors:
        diagnostics = [
            Diagnostic(d.path, d.line, d.col, d.code, Severity.ERROR, d.message, d.help, d.source)
            if d.severity is Severity.WARNING else d for d in diagnostics]
    return RunResult(displays, diagnostics, time.perf_counter() - started)


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
