"""The render phase (:func:`render_all`): documents whose keys changed are rendered (in
a pool, or in the build's process for a few), the others' files carried over; then the
edition-wide pages whose keys changed, the formats' groups side by side."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from teipress.build.fingerprints import environment_keys, register_size
from teipress.build.manifest import Carry, Manifest
from teipress.build.options import BuildOptions
from teipress.build.pools import POOL_THRESHOLD, RenderPool, Submitter, batch_size, streamed
from teipress.build.resolve_phase import ResolvedCorpus
from teipress.build.result import BuildResult
from teipress.build.workers import (
    RegisterFiles,
    Rendered,
    Renderer,
    edition_in_worker,
    facts_hash,
    render_error,
)
from teipress.collector import give_back_memory
from teipress.config import Config
from teipress.processes import default_jobs
from teipress.progress import Progress
from teipress.render import (
    DocumentKeys,
    get_format,
)

EditionOutcome = tuple[str, list[str], list[tuple[str, str]] | Exception]

#: The largest complete register (bytes) whose readers among the edition pages a pool
#: makes apart, side by side (see HtmlFormat.edition_groups): each holds a pass over it
#: (batches, an outline, Saxon's heap). The Escher letters' 27 MB: the edition pages
#: 10.5 -> 7.5 s; the synthetic 5,000 documents' 158 MB: peak PSS 796 -> 939 MiB.
APART_REGISTER_MAX = 64 << 20

#: From this size of complete register (bytes) the edition pages of an edit that changed the
#: register are made in a pool even when no document needed one (see _pool_for_pages).
EDITION_POOL_MIN = 8 << 20


def _pool_for_pages(jobs: int, resolve_reused: bool, register_bytes: int, tasks: int) -> bool:
    """Whether a build without a pool starts one for its edition pages.

    An edit that changed the register without a file checked again (a document removed,
    an undo to a version checked before) got no pool (the documents to render are few),
    and its edition pages, which read the complete register (the register pages, the
    index, the book's frame), were made one after the other in the build's process. With
    a large register two workers make them side by side: the Escher letters, a letter
    removed, render phase 7.6 -> 5.3-5.7 s; a name tagged in a version checked before,
    3.9 -> 2.6 s. A small register's pages take less than a pool's start; an unchanged
    register (an edit of the text) leaves only joined files to make.
    """
    return jobs > 1 and not resolve_reused and register_bytes >= EDITION_POOL_MIN and tasks >= 2


def edition_tasks(pages: dict[str, list[str]], share_reads: bool = False) -> list[tuple[str, list[str]]]:
    """(format, pages) per group of the *pages* asked for that the format can make on its
    own (:meth:`EditionFormat.edition_groups`, which *share_reads* is passed to). In a
    pool the groups run side by side: fairer to two cores, and no worker holds what
    every page of a format needs at once."""
    return [(name, group) for name, wanted in pages.items()
            for group in get_format(name).edition_groups(wanted, share_reads) if group]


def _render_editions(pool: Submitter | None, local: Renderer | None, tasks: list[tuple[str, list[str]]],
                     paths: list[str], root: Path, register: RegisterFiles | None, ids: dict[str, str],
                     meanwhile: Callable[[], None] = lambda: None) -> Iterator[EditionOutcome]:
    """The files of each task of :func:`edition_tasks`, or the exception that stopped it;
    *meanwhile* runs in this process while a pool renders. *register* is what the pool's
    workers read (the local renderer has its own)."""
    if pool is not None and tasks:
        assert register is not None
        futures = [(name, group, pool.submit(edition_in_worker, name, paths, root, group, register, ids))
                   for name, group in tasks]
        meanwhile()
        for name, group, future in futures:
            try:
                yield name, group, future.result()
            except Exception as exc:
                yield name, group, exc
        return
    meanwhile()
    assert local is not None or not tasks
    for name, group in tasks:
        try:
            assert local is not None
            yield name, group, local.render_edition(name, paths, root, group)
        except Exception as exc:
            yield name, group, exc


def render_all(config: Config, formats: list[str], out: Path, staging: Path, resolved: ResolvedCorpus,
               build_date: str, options: BuildOptions, progress: Progress, result: BuildResult, pools: RenderPool,
               cache_dir: Path) -> None:
    """The render phase: what changed is rendered into *staging*, the rest kept.

    The documents of *resolved*, then the edition pages whose keys changed; the resolve
    memo is saved (:meth:`ResolvedCorpus.save_memo`) once those are known, while a pool
    renders them. *cache_dir* holds the previous editions kept as spares (see
    :mod:`teipress.staging`)."""
    ordered, doc_info, slices = resolved.ordered, resolved.doc_info, resolved.slices
    register, register_hash, renamed = resolved.register, resolved.register_hash, resolved.renamed
    register_view = resolved.view
    envs = environment_keys(config, formats)

    def register_files(pooled: bool = False) -> RegisterFiles:
        # The outline is cut from the index the slices use when it is built (a pool of
        # documents), else by the process that renders a page reading it (a worker
        # from the complete register; this process from the index, only if needed).
        # The complete register is read by workers from the cache, not pickled to each.
        if pooled:
            return RegisterFiles(slices.index.outline_xml() if slices.indexed else None, register)
        return RegisterFiles(lambda: slices.index.outline_xml(), register)

    fmts = {name: get_format(name) for name in formats}
    kept = pools.session.manifests if pools.session is not None else None
    old = {name: Manifest.read(out / name, kept) for name in formats}
    jobs = options.jobs or default_jobs()
    checked = result.check.extra.get("checked", 0)
    if jobs > 1 and len(doc_info) >= POOL_THRESHOLD and (
            any(old[name].env != envs[name] for name in formats)
            or (isinstance(checked, int) and checked >= POOL_THRESHOLD)):
        # most documents to render (a first or clean build, new stylesheets or
        # configuration, many sources changed): the workers compile their stylesheets
        # now, while this process indexes the register for the keys below (Escher:
        # about a second with one core busy, before)
        pools.get(warm=jobs)
    new = {name: Manifest(env=envs[name], register=register_hash) for name in formats}
    keys = {p: {name: slices.key(doc_id, sha, envs[name]) for name in formats}
            for p, (doc_id, sha) in doc_info.items()}
    current_ids = {doc_id for doc_id, _ in doc_info.values()}

    # Carry over the published files of unchanged documents (hard links, never rewritten).
    todo: list[Path] = []
    carry = {name: Carry(out / name, old[name], staging / name, cache_dir, name, kept) for name in formats}
    for p in ordered:
        doc_id, _ = doc_info[p]
        prevs = {name: old[name].documents.get(doc_id) for name in formats}
        linked: list[str] = []
        fresh = all(prev and prev.get("key") == keys[p][name] and "facts" in prev for name, prev in prevs.items())
        # a file missing from the published folder: the document is rendered again
        fresh = fresh and all(carry[name].document(doc_id, prev, linked) for name, prev in prevs.items() if prev)
        if fresh:
            for name, prev in prevs.items():
                assert prev is not None
                new[name].documents[doc_id] = prev
                result.files_kept += len(prev["files"])
        else:
            for stale in linked:
                os.unlink(stale)
            todo.append(p)
    for name in formats:
        for doc_id, prev in old[name].documents.items():
            if doc_id not in current_ids:
                result.files_removed += len(prev.get("files", []))

    # Render the changed documents, streaming results straight to staging.
    progress.phase("render", len(todo))
    results: Iterator[Rendered]
    local: Renderer | None = None
    if jobs > 1 and len(todo) >= POOL_THRESHOLD:
        pools.get()
    pool = pools.pool  # started early (see build), or just now for many documents
    if pool is not None:
        # Each document gets its slice of the register: a transform's cost grows with the
        # register it is given (2-3 s per transform with a 158 MB register, 10-20 ms with
        # a slice), and the workers then never hold the whole register.
        results = streamed(pool, ((os.fspath(p), doc_info[p][0], slices.slice_xml(doc_info[p][0])) for p in todo),
                           4 * jobs, batch_size(len(todo), jobs))
    else:
        if todo:
            # A few documents: each gets its slice of the register, so the whole register
            # is parsed only if an edition page needs a transform over it.
            local = Renderer(config, formats, build_date, staging, register_files(), renamed, slices.slice_xml)
        results = (local.render(p, doc_info[p][0]) for p in todo) if local else iter(())
    no_files: tuple[list[str], str] = ([], facts_hash((), ()))
    for path, (doc_id, rendered, errors) in zip(todo, results, strict=True):
        result.render_errors.extend(errors)
        for name in formats:
            files, facts = rendered.get(name, no_files)
            new[name].documents[doc_id] = {"key": keys[path][name], "files": files, "facts": facts}
            result.files_written += len(files)
        result.rendered_documents += 1
        progress.advance(1)

    # Edition-wide pages: each redone only when its key (what it shows) changed; the
    # others keep their published files. The formats' pages are independent, so
    # they run side by side in the pool.
    page_keys: dict[str, dict[str, str]] = {}
    pages: dict[str, list[str]] = {}
    for name in formats:
        documents = {doc_id: DocumentKeys(rec["key"], rec.get("facts", ""))
                     for doc_id, rec in new[name].documents.items()}
        page_keys[name] = {
            page: hashlib.sha256(f"{envs[name]}\x00{key}".encode()).hexdigest()
            for page, key in fmts[name].edition_keys(config, register_view, documents).items()}
        for page, key in page_keys[name].items():
            prev = old[name].edition.get(page)
            linked = []
            if prev and prev.get("key") == key and carry[name].page(page, prev, linked):
                new[name].edition[page] = prev
                result.files_kept += len(prev["files"])
            else:
                for stale in linked:
                    os.unlink(stale)
                pages.setdefault(name, []).append(page)
    size = register_size(register)
    if pool is None and _pool_for_pages(jobs, result.resolve_reused, size, len(edition_tasks(pages))):
        pool = pools.get(warm=jobs)
    # pages that read the complete register apart (two passes at once) in a pool, while
    # the register is small enough for two workers to hold a pass each
    tasks = edition_tasks(pages, share_reads=pool is None or size > APART_REGISTER_MAX)
    progress.phase("edition", len(tasks))
    if pages and pool is None and local is None:
        local = Renderer(config, formats, build_date, staging, register_files(), renamed)
    pooled = register_files(pooled=True) if pool is not None and tasks else None
    # names, not Path objects, travel to the workers (5,000 Paths took 30 ms to unpickle per task)
    names = [os.fspath(p) for p in ordered]
    def while_pages_render() -> None:
        resolved.save_memo(json=options.report_json)
        if pooled is not None and slices.indexed:
            # the workers have what the edition pages read, and no key or slice is made
            # after this: the register's index, the largest thing this process holds now
            # (160 MB for 5,000 synthetic documents), goes before the edition pages' peak
            slices.release()
            register_view.release()
            give_back_memory()

    for name, group, outcome in _render_editions(pool, local, tasks, names, config.root, pooled, renamed,
                                                 while_pages_render):
        if isinstance(outcome, Exception):
            result.render_errors.append(render_error("(edition)", name, outcome))
            continue
        per_page: dict[str, list[str]] = {page: [] for page in group}
        for relpath, page in outcome:
            per_page.setdefault(page, []).append(relpath)
            result.files_written += 1
        for page, files in per_page.items():
            new[name].edition[page] = {"key": page_keys[name].get(page, ""), "files": files}
        progress.advance(1)
    for name in formats:
        (staging / name).mkdir(parents=True, exist_ok=True)
        carry[name].sweep(new[name])
        new[name].write(staging / name, kept)
