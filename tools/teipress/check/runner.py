"""Run the load and check phases over many documents, in parallel, never stopping at one bad file.

Each Schematron file is compiled once per run (``compile_rules``, in one of
the pool's workers when there is a pool, so that the parent never starts a
saxonche processor it would keep for the rest of a build) and every worker
builds its schema checker and compiles the generated XSLT once (on its first
document), then validates whole documents; a document that
fails in any way becomes diagnostics, never an aborted run. While a worker
has a document parsed it also takes the resolve phase's extract of it
(:mod:`teipress.resolve.extract`); corpus-wide checks (unique ids, pointers)
then run in the parent on those extracts, through the resolve phase's shared
code, without parsing anything again.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from teipress.check.cache import CachedFile, CheckCache
from teipress.check.schema import SchemaChecker, make_schema_checker
from teipress.check.schematron import CompiledSchematron
from teipress.config import Config
from teipress.diagnostics import Diagnostic, Severity, as_errors
from teipress.load import LoadedDocument, display_path, load_path, safe_id
from teipress.processes import default_jobs
from teipress.report import RunResult
from teipress.resolve.corpus import Extracted, key_attributes
from teipress.resolve.extract import FileExtract, extract
from teipress.session import BuildSession

__all__ = ["CheckCache", "CheckOptions", "check_files", "compile_rules", "finish",
           "previous_extracts"]

#: What checking one file yields: its display name, findings and extract (None if it did not
#: parse; a CachedFile when it comes from the cache, still pickled).
Checked = tuple[str, list[Diagnostic], FileExtract | CachedFile | None]


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


def compile_rules(options: CheckOptions, cache: Path | None = None) -> list[CompiledSchematron]:
    """Compile every Schematron file of the run, once (the workers receive the XSLT text);
    with a *cache* folder, the compiled XSLT is kept there for the next run.

    ``--phase`` names a phase of the user's rule files; the project rules have none.
    """
    from teipress.check.schematron import compile_schematron

    project = options.rule_files()[0] if options.project_rules else None
    return [compile_schematron(p, phase=None if p == project else options.phase, cache=cache)
            for p in options.rule_files()]


class _Checker:
    """Per-process state: the schema checker and the Schematron runner, built once."""

    def __init__(self, options: CheckOptions, root: Path, compiled: list[CompiledSchematron],
                 key_attrs: list[tuple[str, str]] | None = None) -> None:
        from teipress.check.schematron import SchematronRunner

        self.root = root
        self.key_attrs = key_attrs
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

    def check_path(self, path: Path) -> Checked:
        """Findings for one file, and its extract when the run asked for extracts."""
        doc = load_path(path, self.root)
        diags = self.check_doc(doc)
        found = None
        if doc.ok and self.key_attrs is not None:
            try:
                found = extract(doc, self.key_attrs)
            except Exception as exc:  # one broken document never stops the others
                diags.append(Diagnostic(
                    doc.display, 1, 1, "E999", Severity.ERROR,
                    f"internal error while indexing cross-references: {exc}",
                    "please report this with the file attached", source="teipress"))
        return doc.display, diags, found

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


_setup: tuple[CheckOptions, Path, list[tuple[str, str]] | None] | None = None


def _init_worker(options: CheckOptions, root: Path, key_attrs: list[tuple[str, str]] | None) -> None:
    global _setup
    _setup = (options, root, key_attrs)


def _check_in_worker(path: Path, compiled: list[CompiledSchematron]) -> Checked:
    """Check *path*; the worker's checker is built on its first file, from the rules
    compiled by the first worker (so the build's parent never starts Saxon).

    The extract goes back pickled, as the check cache stores it: the parent stores the
    bytes as they are and unpickles an extract only when the resolve phase reads it.
    Thousands of extracts unpickled in the parent and freed after the resolve phase
    left its heap fragmented (a synthetic 1k build's parent kept ~90 MiB it no longer used).
    """
    global _worker
    if _worker is None:
        assert _setup is not None
        options, root, key_attrs = _setup
        _worker = _Checker(options, root, compiled, key_attrs)
    display, diags, found = _worker.check_path(path)
    if isinstance(found, FileExtract):
        return display, diags, CachedFile.of(found)  # the findings travel beside it
    return display, diags, found


def check_files(paths: Sequence[Path], config: Config, options: CheckOptions,
                cache: CheckCache | None = None,
                extracts: dict[Path, Extracted] | None = None,
                session: BuildSession | None = None,
                on_todo: Callable[[int, bool], None] | None = None) -> RunResult:
    """Load and check *paths* (documents and authority files), then run the corpus checks.

    With a *cache*, files whose content was already checked under the same
    schema, rules and options reuse their findings instead of being re-checked.
    With *extracts*, the resolve phase's extract of every file that parsed is
    put there (``teipress build`` resolves from them without parsing again).
    A *session* keeps the checker of a few files (compiled rules) for the next run.
    *on_todo* is told, once the cache has been read and before any file is checked,
    how many files are to be checked and whether the cached findings hold an error
    (a build starts its render workers then, see ``teipress.build``).
    """
    started = time.perf_counter()
    root = config.root
    jobs = options.jobs or default_jobs()
    # Config.source_files() gives canonical absolute paths already; resolving 5,000 of
    # them again costs a realpath each on every (re)build.
    files = list(dict.fromkeys(p if p.is_absolute() else p.resolve() for p in paths))
    want = extracts is not None or options.corpus or cache is not None
    key_attrs = key_attributes(config) if want else None
    results: dict[Path, Checked] = {}
    hashes: dict[Path, str] = {}
    todo = files
    rules_cache = cache.folder if cache is not None else None  # compiled Schematron kept there

    def new_checker() -> _Checker:
        return _Checker(options, root, compile_rules(options, rules_cache), key_attrs)

    early: Future[_Checker] | None = None
    if cache is not None:
        memory = session.check_memory(cache.path) if session is not None else None
        hashes = cache.hashes(files, memory.stats if memory is not None else None)
        if session is None and 0 < cache.rehashed < 4 * jobs:
            # a few files changed since they were last hashed (an edit): they will most
            # likely be checked here, so the checker is made (0.04 s of compiling, much of
            # it outside the GIL) while the cache is read
            maker = ThreadPoolExecutor(1, thread_name_prefix="teipress-checker")
            early = maker.submit(new_checker)
            maker.shutdown(wait=False)  # its one thread ends once the checker is made
        displays = {p: display_path(p, root) for p in files}
        hits = cache.get_many(hashes.values(), {sha: displays[p] for p, sha in hashes.items()},
                              memory.files if memory is not None else None)
        todo = []
        for path in files:
            hit = hits.get(hashes.get(path, ""))
            if hit is None:
                todo.append(path)
            else:
                shown = displays[path]  # two files with the same content share one cache row
                results[path] = (shown, [d if d.path == shown else d._replace(path=shown)
                                         for d in hit.diagnostics], hit if hit.parsed else None)
        if on_todo is not None:
            failing = {Severity.ERROR, Severity.WARNING} if options.warnings_as_errors else {Severity.ERROR}
            on_todo(len(todo), any(d.severity in failing for _, found, _ in results.values() for d in found))
    # Pool start-up (a saxonche processor and compiled rules per worker) costs
    # about a second; below a handful of files one process is faster.
    if jobs > 1 and len(todo) >= 4 * jobs:
        # Largest files first, in small chunks: an authority file of megabytes checked
        # last kept one worker busy seconds after the other had finished.
        todo = sorted(todo, key=_size, reverse=True)
        chunk = max(1, len(todo) // (jobs * 32))
        with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(options, root, key_attrs)) as pool:
            # compiled in a worker: a saxonche processor in the parent would stay (and be
            # counted) through the rest of a build
            compiled = pool.submit(compile_rules, options, rules_cache).result()
            check = partial(_check_in_worker, compiled=compiled)
            for path, res in zip(todo, pool.map(check, todo, chunksize=chunk), strict=True):
                results[path] = res
    elif todo or (session is not None and cache is not None):
        # A session's build makes its checker even with nothing to check (a daemon's
        # warm-up, serve's first build): the editor's first save then checks a file
        # without compiling the rules and starting a processor first.
        def make() -> _Checker:
            return early.result() if early is not None else new_checker()

        # what a checker is made from (schema, rules, options, @key mappings, the project
        # the cache lives in) is what the check cache's file is named after
        checker = session.checker(cache.path, make) if session is not None and cache is not None else make()
        for path in todo:
            results[path] = checker.check_path(path)
    if cache is not None:
        cache.put_many((hashes[p], results[p][1], results[p][2]) for p in todo
                       if p in hashes and not any(d.code == "E999" for d in results[p][1]))
        cache.prune(hashes.values())
    found: dict[Path, Extracted] = {}
    for path in files:
        display, _, x = results[path]
        if isinstance(x, CachedFile):
            found[path] = _extracted(path, display, hashes.get(path, ""), x, root, key_attrs)
        elif x is not None:
            found[path] = Extracted(path, display, safe_id(x.root_id or path.stem), hashes.get(path, ""), x)
    if extracts is not None:
        extracts.update(found)
    diagnostics = [d for _, (_, ds, _) in sorted(results.items()) for d in ds]
    displays_in_order = [results[p][0] for p in files]
    if options.corpus:
        diagnostics.extend(_corpus_checks(files, found, config))
    result = RunResult(displays_in_order, diagnostics, time.perf_counter() - started)
    result.extra["checked"] = len(todo)
    result.extra["from_cache"] = len(files) - len(todo)
    return finish(result, config, options)


def _extracted(path: Path, display: str, sha256: str, cached: CachedFile, root: Path,
               key_attrs: list[tuple[str, str]] | None) -> Extracted:
    """A file's extract as the check cache holds it, read when the resolve phase needs it."""
    # the blob alone (made directly: dataclasses.replace cost 6 µs a file): a resolve
    # in another process gets the loader pickled
    blob_only = CachedFile(cached.sha256, [], cached.blob, cached.semantic, cached.root_id)
    return Extracted(path, display, safe_id(cached.root_id or path.stem), sha256, semantic=cached.semantic,
                     loader=partial(_cached_extract, blob_only, path, root, key_attrs))


def previous_extracts(versions: dict[Path, str], cache: CheckCache, config: Config) -> dict[Path, Extracted]:
    """The extracts of files in an earlier version: *versions* maps each file to the
    content hash it had then. A version the cache no longer holds, or one that did not
    parse either, is left out."""
    displays = {path: display_path(path, config.root) for path in versions}
    hits = cache.get_many(set(versions.values()), {sha: displays[path] for path, sha in versions.items()})
    key_attrs = key_attributes(config)
    out: dict[Path, Extracted] = {}
    for path, sha in versions.items():
        hit = hits.get(sha)
        if hit is not None and hit.parsed:
            out[path] = _extracted(path, displays[path], sha, hit, config.root, key_attrs)
    return out


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # reported when it is checked
        return 0


def _cached_extract(cached: CachedFile, path: Path, root: Path,
                    key_attrs: list[tuple[str, str]] | None) -> FileExtract:
    """A cached file's extract; if the stored one cannot be read, made again from the file."""
    found = cached.load()
    if found is not None:
        return found
    doc = load_path(path, root)
    if not doc.ok:  # changed since it was hashed: the next build sees the change
        raise OSError(f"{path}: cannot be read again for its cross-reference index")
    return extract(doc, key_attrs or [])


@dataclass(frozen=True)
class ExtractRef:
    """A file's extract by name (its content hash): what the build's resolve process is
    sent instead of the extract itself (see :func:`extracts_by_ref`)."""

    path: Path
    display: str
    doc_id: str
    sha256: str

    @classmethod
    def of(cls, item: Extracted) -> ExtractRef:
        return cls(item.path, item.display, item.doc_id, item.sha256)


def extracts_by_ref(refs: Sequence[ExtractRef], cache: CheckCache, root: Path,
                    key_attrs: list[tuple[str, str]]) -> list[Extracted]:
    """The extracts of *refs* as the check phase stored them in *cache* (each unpickled
    when first read); one the cache does not hold (it could not be written) is made
    again from its file, as a stored one that cannot be read is."""
    blobs = cache.extract_blobs(list(dict.fromkeys(r.sha256 for r in refs if r.sha256)))
    out = [Extracted(r.path, r.display, r.doc_id, r.sha256,
                     loader=partial(_cached_extract, CachedFile(r.sha256, [], blobs.get(r.sha256)),
                                    r.path, root, key_attrs))
           for r in refs]
    blobs.clear()  # each blob is held by its loader alone, and freed once loaded
    return out


def finish(result: RunResult, config: Config, options: CheckOptions) -> RunResult:
    """Apply per-path ignores and ``--warnings-as-errors`` to a run's findings."""
    if config.ignore:  # one test per (file, code): a large corpus has tens of thousands of findings
        ignored = functools.cache(config.ignored)
        diagnostics = [d for d in result.diagnostics if not ignored(d.path, d.code)]
    else:
        diagnostics = list(result.diagnostics)
    if options.warnings_as_errors:
        diagnostics = as_errors(diagnostics)
    if result.deferred is not None:
        # findings counted but not read: a build defers them only without per-path ignores
        assert not config.ignore, "findings deferred under per-path ignores"
        result.deferred.warnings_as_errors = options.warnings_as_errors
    result.diagnostics = diagnostics
    return result


def _corpus_checks(files: Sequence[Path], found: dict[Path, Extracted], config: Config) -> list[Diagnostic]:
    """Cross-document checks shared with ``teipress xref`` (resolve phase), on the extracts."""
    from teipress.resolve import corpus_diagnostics

    auth = config.authority_files()
    auth_set = set(auth)
    docs = [found[p] for p in files if p in found and p not in auth_set]
    authorities: list[Extracted | LoadedDocument] = [found[p] for p in auth if p in found]
    for path in auth:
        if path not in found and path not in files:  # authority files the run was not given
            doc = load_path(path, config.root)
            if doc.ok:
                authorities.append(doc)
    return list(corpus_diagnostics(docs, authorities, config))
