"""The resolve phase (:func:`resolve`): one corpus model built from the check phase's
extracts, for the cross-reference findings and the register; in a process of its own for
a large corpus (:func:`_register_apart`, :func:`_findings_apart`), or the previous
build's results reused when no extract changed but for positions. Also the extracts
kept for documents that no longer parse under ``--force`` (:func:`keep_previous_versions`)."""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from teipress import collector
from teipress.build.fingerprints import RegisterSlices, register_size
from teipress.build.options import BuildOptions
from teipress.build.pools import RenderPool
from teipress.build.result import BuildResult
from teipress.check.cache import CheckCache
from teipress.check.runner import (
    ExtractRef,
    extracts_by_ref,
    finish,
    previous_extracts,
)
from teipress.collector import give_back_memory
from teipress.config import Config
from teipress.diagnostics import DeferredFindings, Diagnostic, DiagnosticRow, from_rows
from teipress.load import unique_ids
from teipress.processes import default_jobs, fork_server_context
from teipress.progress import Progress
from teipress.render.keys import RegisterView
from teipress.resolve.corpus import Extracted, key_attributes
from teipress.resolve.memo import HEAD, MadeFindings, Memo, MemoStore, memo_key, register_digest
from teipress.session import BuildSession

#: From this many documents a full resolve runs in a process of its own (see _register_apart).
RESOLVE_APART = 200

#: The largest register (bytes) the build's process reads into its index while the resolve
#: process runs the cross-reference checks (see _register_apart). Beyond it the two at once
#: would set the build's peak memory: synthetic 5k (158 MB), the resolve phase's processes
#: 688 MiB together against 498 MiB one after the other; at 10k the resolve process alone
#: is about 960 MiB.
INDEX_BESIDE_CHECKS_MAX = 64 << 20


def keep_previous_versions(config: Config, doc_paths: list[Path], extracts: dict[Path, Extracted],
                           cache: CheckCache, cache_dir: Path) -> list[str]:
    """Under ``--force``, each document that no longer parses (a save in the middle of an
    edit) stays in the edition in the version the last build resolved, if the check cache
    still holds it; the display names of those kept.

    Left out, as it was before, its pages, its mentions in the register pages, its search
    entries and its neighbours' links to it went from the published edition until it
    parsed again, each time rendering those pages again. Kept, its register records, its
    slice and so its pages are the ones published: nothing is rendered again, and its
    findings (P001 …) say why it was not updated.
    """
    broken = [p for p in doc_paths if p not in extracts]
    if not broken:
        return []
    shas = MemoStore(cache_dir / "resolve").last_shas()
    found = previous_extracts({p: shas[str(p)] for p in broken if str(p) in shas}, cache, config)
    extracts.update(found)
    return [found[p].display for p in broken if p in found]


#: the previous build's resolve results, reused: findings (those read, and those deferred),
#: register file, key digests
Reused = tuple[list[Diagnostic], DeferredFindings | None, Path, dict[str, str]]


def _keep_register(folder: Path, register_xml: bytes) -> tuple[Path | bytes, str]:
    """The register as a file in the resolve cache (or the bytes, if it cannot be
    written) and its digest without the build stamp."""
    return MemoStore(folder).keep_register(register_xml) or (register_xml, register_digest(register_xml))


def _resolve_and_keep(config: Config, docs: list[Extracted], auths: list[Extracted], checks_only: bool,
                      folder: Path) -> tuple[list[Diagnostic], tuple[Path | bytes, str] | None]:
    """Cross-reference findings and (unless *checks_only*: nothing will be published)
    the register, kept by :func:`_keep_register`, in this process.

    A large corpus is resolved in a process of its own instead (:func:`_register_apart`
    and :func:`_findings_apart`): the corpus model of every extract is the biggest thing
    a build holds, and a process that has held it keeps much of that memory (a
    fragmented heap) through the render phase.
    """
    from teipress.resolve import Corpus, check_corpus

    corpus = Corpus(docs, auths, config)
    kept = _write_register(config, corpus, checks_only, folder)
    return check_corpus(corpus), kept


def _write_register(config: Config, corpus: Any, checks_only: bool, folder: Path
                    ) -> tuple[Path | bytes, str] | None:
    """The register of *corpus*, streamed into the resolve cache (see :func:`_keep_register`);
    None when *checks_only*. The register does not depend on the cross-reference checks."""
    if checks_only:
        return None
    from teipress.resolve import build_register

    register = build_register(corpus, config)
    # streamed into the cache; if it cannot be written, the workers get the bytes
    return MemoStore(folder).write_register(register) or _keep_register(folder, register.to_xml_bytes())


#: The corpus model a resolve process holds between its two steps (see :func:`_register_apart`)
_held_corpus: Any = None


def resolve_process() -> ProcessPoolExecutor:
    """The process a large corpus is resolved in (:func:`_register_apart`, then
    :func:`_findings_apart`): one worker, made for that alone, without the cyclic
    collector (:func:`teipress.collector.off`)."""
    return ProcessPoolExecutor(1, mp_context=fork_server_context(), initializer=collector.off)


def _register_apart(config: Config, cache: CheckCache, doc_refs: list[ExtractRef], auth_refs: list[ExtractRef],
                    checks_only: bool, folder: Path) -> tuple[Path | bytes, str] | None:
    """Step one of a resolve in a process of its own: the corpus model of the extracts the
    check phase stored in *cache*, and the register written (see :func:`_write_register`).

    The model stays in this process for step two, :func:`_findings_apart`: while this
    process runs the cross-reference checks, the build's process reads the register it
    has just written into the index its keys and slices come from (Escher: the checks
    0.7 s, the index 1.0 s, once one after the other), unless the register is larger
    than :data:`INDEX_BESIDE_CHECKS_MAX`. The extracts are this process's
    alone (``own_extracts``, see :class:`~teipress.resolve.Corpus`).
    """
    global _held_corpus
    from teipress.resolve import Corpus

    # a new interpreter (forkserver), whose collector the command's tuning does not reach,
    # building the largest heap of the build: see teipress.collector
    with collector.paused():
        key_attrs = key_attributes(config)
        docs = extracts_by_ref(doc_refs, cache, config.root, key_attrs)
        auths = extracts_by_ref(auth_refs, cache, config.root, key_attrs)
        _held_corpus = Corpus(docs, auths, config, own_extracts=True)
        del docs, auths
        give_back_memory()  # the pickles the extracts were loaded from are freed
        return _write_register(config, _held_corpus, checks_only, folder)


def _findings_apart() -> list[DiagnosticRow]:
    """Step two of a resolve in a process of its own: the cross-reference findings of the
    corpus model step one left (:func:`_register_apart`), as rows (tens of thousands of
    dataclass instances pickle several times slower); the model is let go."""
    global _held_corpus
    from teipress.resolve import check_corpus

    corpus, _held_corpus = _held_corpus, None
    if corpus is None:
        raise RuntimeError("no corpus model in this resolve process: step one did not run here")
    with collector.paused():
        return [d.as_row() for d in check_corpus(corpus)]


def _reuse(memo: Memo | None, files: dict[str, Extracted], cache: CheckCache,
           made: MadeFindings | None = None, defer: bool = False) -> Reused | None:
    """The previous build's resolve results moved to the current positions, if they still
    hold; with *defer* (a memo loaded without its findings), those of the buckets of
    unchanged files deferred (see :meth:`Memo.findings_deferred`)."""
    if memo is None:
        return None
    old_shas = {memo.shas[p]: x.display for p, x in files.items()
                if p in memo.shas and memo.shas[p] != x.sha256}
    found = cache.get_many(old_shas, old_shas)
    old = {p: x for p in files if memo.shas.get(p) in found and (x := found[memo.shas[p]].load()) is not None}
    deferred: DeferredFindings | None = None
    if defer:
        both = memo.findings_deferred(files, old)
        if both is None:
            return None
        findings, deferred = both
    else:
        made_now = memo.findings_for(files, old, made)
        if made_now is None:
            return None
        findings = made_now
    assert isinstance(memo.register_xml, Path)  # a memo loaded names its register file
    return findings, deferred, memo.register_xml, memo.digests


@dataclass
class ResolvedCorpus:
    """What the render phase takes from the resolve phase: the documents in order with
    their ids and content hashes, the register (its file and digest, its slices and the
    view the edition keys read), and what the resolve memo is saved from."""

    ordered: list[Path]
    #: path -> (document id, content hash)
    doc_info: dict[Path, tuple[str, str]]
    #: path name -> the id a document is rendered under, for documents that share one
    renamed: dict[str, str]
    register: Path | bytes
    register_hash: str
    slices: RegisterSlices
    view: RegisterView
    findings: list[Diagnostic]
    store: MemoStore
    key: str
    shas: dict[str, str]
    by_display: dict[str, str]
    reused: Memo | None

    def save_memo(self, json: bool) -> None:
        """Keep this resolve for the next build (see :class:`teipress.resolve.memo.MemoStore`;
        *json*: with the findings' JSON, for a JSON summary): once the edition keys are
        known, while a pool renders the edition pages."""
        reused = self.reused
        saved = {f"part:{k}": v for k, v in self.slices.parts.items()}
        saved.update({f"view:{k}": v for k, v in self.view.saved().items()})
        if not (reused is not None and reused.shas == self.shas and reused.digests == saved):
            # a reused memo's rows (moved) and the buckets of them unchanged; else the findings
            rows = reused.findings if reused is not None else {}
            kept = reused.kept_buckets if reused is not None else {}
            summaries = reused.summaries if reused is not None else {}
            self.store.save(Memo(self.key, self.shas, rows, self.register, saved, self.register_hash, kept,
                                 summaries), self.by_display, self.findings, json=json)


def resolve(config: Config, options: BuildOptions, progress: Progress, doc_paths: list[Path],
            auth_paths: list[Path], extracts: dict[Path, Extracted], cache: CheckCache, result: BuildResult,
            pool: RenderPool, cache_dir: Path, session: BuildSession | None) -> ResolvedCorpus | None:
    """The resolve phase: one corpus for the cross-reference checks and the register.

    Built from the check phase's *extracts* (fresh or cached): nothing is parsed here;
    when no extract changed but for positions, the previous results are reused. The
    findings join the check's (``result.check``); None when they hold an error and the
    build was not forced (nothing will be rendered). *extracts* is emptied: the render
    phase needs none of it.
    """
    t = time.perf_counter()
    check = result.check
    progress.phase("resolve", 1)
    docs = [extracts[p] for p in doc_paths if p in extracts]
    ids = unique_ids([(d.path, d.doc_id) for d in docs])
    # documents that share an id are rendered under the one they were given here
    renamed = {os.fspath(d.path): ids[d.path] for d in docs if ids[d.path] != d.doc_id}
    for d in docs:
        d.doc_id = ids[d.path]
    auths = [extracts[p] for p in auth_paths if p in extracts]
    files = {str(x.path): x for x in [*docs, *auths]}
    # what the render phase needs of the extracts (they are freed before it starts)
    doc_info = {d.path: (d.doc_id, d.sha256) for d in docs}
    ordered = [d.path for d in docs]
    shas = {path: x.sha256 for path, x in files.items()}
    by_display = {x.display: path for path, x in files.items()}
    store = MemoStore(cache_dir / "resolve", session.memo_buckets if session is not None else None)
    key = memo_key(config, docs, auths)
    # (a session keeps the findings it made instead; per-file ignores would change the counts)
    defer = session is None and not config.ignore and (options.report_json or 0 < options.report_per_code <= HEAD)
    reused = store.load(key, findings_later=defer)
    reused_results = _reuse(reused, files, cache, session.memo_findings if session is not None else None, defer)
    if reused_results is None:
        reused = None
    checks_only = check.errors > 0 and not options.force
    kept: tuple[Path | bytes, str] | None
    early: RegisterSlices | None = None  # the register's index, read while a resolve process checks
    held_corpus = False  # the corpus model was built in this process: its heap is given back below
    if reused_results is not None:
        result.resolve_reused = True
        findings, check.deferred, register_xml, digests = reused_results
        assert reused is not None
        # the register file in the cache as that run wrote it (workers and slices read it)
        kept = (register_xml, reused.register_content)
    else:
        digests = {}
        pool.widen()  # before this process resolves, so that the new workers are ready after it
        apart = options.resolve_apart
        if apart is None:
            apart = (options.jobs or default_jobs()) > 1 and len(docs) >= RESOLVE_APART
        if apart:
            # the resolve process reads the extracts from the check cache: sent from here, all of
            # them pickled into one message held by both processes (synthetic 5k: 63 MB)
            doc_refs, auth_refs = [ExtractRef.of(d) for d in docs], [ExtractRef.of(a) for a in auths]
            # and this process, which holds them pickled, frees them meanwhile (synthetic 10k: 126 MB)
            extracts.clear()
            docs, auths, files = [], [], {}
            give_back_memory()
            with resolve_process() as child:
                kept = child.submit(_register_apart, config, cache, doc_refs, auth_refs, checks_only,
                                    store.folder).result()
                checked = child.submit(_findings_apart)  # the same process: it holds the model
                if kept is not None and register_size(kept[0]) <= INDEX_BESIDE_CHECKS_MAX:  # see _register_apart
                    early = RegisterSlices(kept[0])
                    early.index  # noqa: B018 (read now, for the keys and slices below)
                rows = checked.result()
            findings = from_rows(rows)
            del rows
        else:
            findings, kept = _resolve_and_keep(config, docs, auths, checks_only, store.folder)
            held_corpus = True
    check.diagnostics.extend(findings)
    finish(check, config, options.check)
    if check.errors and not options.force:
        result.phases["resolve"] = time.perf_counter() - t
        return None
    assert kept is not None
    register, register_hash = kept
    slices = early if early is not None else RegisterSlices(
        register, {k[5:]: v for k, v in digests.items() if k.startswith("part:")})
    view = RegisterView(shares=slices, digests={k[5:]: v for k, v in digests.items() if k.startswith("view:")})
    # the render phase needs none of the extracts: free them before the pool starts
    extracts.clear()
    del docs, auths, files, reused_results
    if reused is not None:  # its hashes, digests and rows (moved) are read later
        reused.register_xml = b""
    if held_corpus:  # a reused resolve held no corpus, a resolve apart gave back before it started
        give_back_memory()
    progress.advance(1)
    result.phases["resolve"] = time.perf_counter() - t
    return ResolvedCorpus(ordered, doc_info, renamed, register, register_hash, slices, view, findings, store, key,
                          shas, by_display, reused)
