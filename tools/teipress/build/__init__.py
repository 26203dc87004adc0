"""``teipress build``: load → check → resolve → render → report, incremental, parallel and atomic.

This module runs the phases in order (:func:`build`); each has a module of its own:
:mod:`.resolve_phase` (the corpus, its findings and register), :mod:`.render_phase`
(documents and edition pages into staging), with :mod:`.workers` (what a render
process does), :mod:`.pools` (the render processes), :mod:`.fingerprints` (what a
document's pages depend on), :mod:`.manifest` (what a published edition holds) and
:mod:`.options` / :mod:`.result` (what a build is asked, what it did). The check
phase is :func:`teipress.check.runner.check_files`, publishing :mod:`teipress.staging`.

Atomicity: every format is assembled in a staging folder inside the output
folder (same filesystem) and swapped in with one atomic directory exchange
(Linux ``renameat2(RENAME_EXCHANGE)``; elsewhere two renames plus recovery at
the next start). Killing a build at any moment therefore leaves each
``output/<format>`` as it was before or as it is after, never half-written,
and the next build discards leftovers and starts from what is published
(:mod:`teipress.staging`, which also keeps the edition swapped out as the next
staging folder's start).

Incrementality: each published format folder carries a manifest
(``.teipress-manifest.json``) recording, per document, a dependency key — the
hash of the source, of the stylesheets/schema/configuration/teipress version,
and of exactly the register records the document's pages show (its metadata,
its neighbours, the entities it mentions, its note labels). A document whose
key is unchanged keeps its published files (already in the staging folder
started from the spare, else hard-linked into it; never rewritten).
Edition-wide files are grouped into pages, each with its own key over exactly
what it shows (``EditionFormat.edition_keys``: the register records it displays,
the documents' keys or their *facts*, the hash of the per-document files an
edition page reads, such as a header or a table-of-contents entry); a page whose
key is unchanged keeps its files the same way, so touching the text of one
document redoes only the pages that show the text (the text edition, the search
index, the print book, each assembled from kept per-document parts).

Parallelism and memory: documents are rendered in a process pool whose
workers each compile the stylesheets once; each document arrives with its own
slice of the register (:meth:`RegisterSlices.slice_xml`), made by the parent
while the workers render the ones before, so no worker parses the whole
register and a transform's cost does not grow with the corpus. Files are
written as they arrive, so memory does not grow with the number of rendered
documents.

The resolve phase's inputs are the check phase's extracts (cached with the
check results); its results are reused when no extract changed but for
positions (:mod:`teipress.resolve.memo`).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from teipress import paths
from teipress.build.fingerprints import environment_keys
from teipress.build.manifest import SPARES, TRASH
from teipress.build.options import STOPPING_ERRORS, BuildError, BuildOptions
from teipress.build.pools import POOL_THRESHOLD, RenderPool
from teipress.build.render_phase import render_all
from teipress.build.resolve_phase import keep_previous_versions, resolve
from teipress.build.result import BuildResult
from teipress.build.workers import start_render_pool
from teipress.build_lock import LOCK_NAME, exclusive_build
from teipress.check.cache import CheckCache
from teipress.check.runner import check_files
from teipress.config import Config
from teipress.daemon.protocol import daemon_folder
from teipress.processes import default_jobs, start_fork_server
from teipress.progress import Progress
from teipress.report import RunResult
from teipress.resolve.corpus import Extracted
from teipress.session import BuildSession
from teipress.staging import STAGING_PREFIX, discard, empty_trash, keep_spare, publish, recover

__all__ = ["STOPPING_ERRORS", "BuildError", "BuildOptions", "BuildResult", "build", "expand_formats"]


def expand_formats(requested: Sequence[str]) -> list[str]:
    """Map ``--format`` values to render formats (``pdf`` is the print edition, which makes the PDF)."""
    names: list[str] = []
    for f in requested:
        if f == "all":
            names.extend(["html", "print", "text"])
        elif f == "pdf":
            names.append("print")
        else:
            names.append(f)
    return list(dict.fromkeys(names))


def build(config: Config, options: BuildOptions, progress: Progress,
          session: BuildSession | None = None) -> BuildResult:
    """Run every phase; publish only when the check and every render succeeded (or ``force``).

    A *session* (``teipress serve --watch``) keeps the render pool and the checker for
    the next build (see :mod:`teipress.session`). One build of a project runs at a
    time (:mod:`teipress.build_lock`): another one in progress is waited for."""
    started = time.perf_counter()
    cache_dir = paths.cache_dir(config.root)
    with exclusive_build(cache_dir, lambda why: print(f"teipress: {why}", file=sys.stderr, flush=True)):
        return _build(config, options, progress, session, started, cache_dir)


def _build(config: Config, options: BuildOptions, progress: Progress, session: BuildSession | None,
           started: float, cache_dir: Path) -> BuildResult:
    formats = expand_formats(options.formats)
    out = options.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    trash = cache_dir / TRASH
    try:
        recover(out, trash)
        return _build_in(config, options, progress, session, started, cache_dir, formats, out)
    finally:
        # what this build (or a killed one before it) moved into the trash: removed once
        # the build is over, not beside it (see teipress.staging.discard)
        empty_trash(trash)


def _build_in(config: Config, options: BuildOptions, progress: Progress, session: BuildSession | None,
              started: float, cache_dir: Path, formats: list[str], out: Path) -> BuildResult:
    """:func:`_build` once the output folder is recovered (see :func:`build`)."""
    trash = cache_dir / TRASH
    if options.clean:  # everything again: published files, check results, resolve results
        previous = [out / name for name in formats if (out / name).exists()]
        if cache_dir.is_dir():
            # the daemon's folder stays (a daemon running this build keeps its socket), and
            # the lock this build holds (moved away, the next build would lock another file)
            keep = {trash, daemon_folder(config.root), cache_dir / LOCK_NAME}
            previous.extend(child for child in cache_dir.iterdir() if child not in keep)
        for path in previous:  # into the trash, removed once the build is over
            discard(path, trash)
    phases: dict[str, float] = {}
    jobs = options.jobs or default_jobs()
    build_date = datetime.now(UTC).date().isoformat()
    staging = out / f"{STAGING_PREFIX}{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    pool = RenderPool(lambda workers: start_render_pool(config, formats, build_date, staging, workers), jobs, session,
                      lambda: (tuple(environment_keys(config, formats).values()), build_date, staging, jobs))

    def start_workers(checking: int, failing: bool) -> None:
        # -- render pool: started as soon as the check cache shows a few files edited, so
        # its workers compile their stylesheets while this process checks those files and
        # resolves (Escher, a letter edited: they were ready 0.45 s after they started,
        # after the check phase, so the letter waited for them). Not for many: the resolve
        # phase of a whole corpus is this process's peak, and idle workers beside it
        # would raise the build's (Escher: 0.84 -> 1.19 GiB of PSS). Nor when the files
        # left alone already hold an error the build would stop at. One worker (a light
        # pool, see RenderPool.get_light) unless the resolve phase makes the register again. A
        # session's workers are started by its first build, nothing to render or not:
        # the first save an editor makes finds them ready.
        if jobs > 1 and (options.force or not failing):
            if session is not None:
                pool.get(warm=jobs)
            elif 0 < checking < POOL_THRESHOLD:
                pool.get_light()

    failed = True
    try:
        # -- load + check: per document, cached by content hash ----------------
        t = time.perf_counter()
        doc_paths = config.source_files()
        auth_paths = config.authority_files()
        if jobs > 1 and len(doc_paths) >= POOL_THRESHOLD:  # documents enough for a pool
            start_fork_server()  # its workers' modules import on the other core meanwhile
        progress.phase("check", len(doc_paths) + len(auth_paths))
        options.check.jobs = options.jobs
        options.check.corpus = False  # done below on the same corpus the register is built from
        cache = CheckCache(cache_dir / "check", options.check, config.root, config.keys)
        extracts: dict[Path, Extracted] = {}
        check = check_files([*doc_paths, *auth_paths], config, options.check, cache, extracts, session,
                            on_todo=start_workers)
        if options.force:
            check.extra["previous_versions"] = keep_previous_versions(config, doc_paths, extracts, cache,
                                                                      cache_dir)
        progress.advance(len(doc_paths) + len(auth_paths))
        phases["check"] = time.perf_counter() - t
        result = _resolve_and_render(config, options, progress, formats, out, staging, cache_dir, pool,
                                     build_date, doc_paths, auth_paths, extracts, cache, check, phases, started,
                                     session)
        failed = False
        return result
    finally:
        pool.shutdown(failed)
        # the previous editions (swapped in) or an unpublished one
        discard(staging, trash)


def _resolve_and_render(config: Config, options: BuildOptions, progress: Progress, formats: list[str], out: Path,
                        staging: Path, cache_dir: Path, pool: RenderPool, build_date: str, doc_paths: list[Path],
                        auth_paths: list[Path], extracts: dict[Path, Extracted], cache: CheckCache,
                        check: RunResult, phases: dict[str, float], started: float,
                        session: BuildSession | None) -> BuildResult:
    """The phases after the check: resolve, render, publish (see :func:`build`)."""
    result = BuildResult(check, formats, documents=len(doc_paths), phases=phases)
    try:
        resolved = resolve(config, options, progress, doc_paths, auth_paths, extracts, cache, result, pool,
                           cache_dir, session)
        if resolved is None:  # errors, and not forced: nothing to render
            return result
        t = time.perf_counter()
        render_all(config, formats, out, staging, resolved, build_date, options, progress, result, pool, cache_dir)
        phases["render"] = time.perf_counter() - t
        if result.render_errors and not options.force:
            return result
        t = time.perf_counter()
        for name in formats:
            if publish(staging / name, out / name):  # staging now holds the previous edition
                keep_spare(staging / name, cache_dir / SPARES / name, cache_dir / TRASH)
        result.published = True
        phases["publish"] = time.perf_counter() - t
    finally:
        result.seconds = time.perf_counter() - started
    return result
