"""``teipress build``: load → check → resolve → render → report, incremental, parallel and atomic.

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

import hashlib
import itertools
import json
import os
import shutil
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Hashable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar, overload

import orjson

from teipress import REGISTER_NS, __version__, collector, paths
from teipress.build_lock import LOCK_NAME, exclusive_build
from teipress.check.cache import CheckCache
from teipress.check.runner import (
    CheckOptions,
    ExtractRef,
    check_files,
    extracts_by_ref,
    finish,
    previous_extracts,
)
from teipress.check.schema import SchemaError
from teipress.check.schematron import SchematronError
from teipress.config import Config, ConfigError
from teipress.daemon.protocol import daemon_folder
from teipress.diagnostics import DeferredFindings, Diagnostic, DiagnosticRow, Severity, as_dicts, from_rows
from teipress.load import LoadedDocument, load_path, unique_ids
from teipress.paths import data_dir
from teipress.processes import default_jobs, fork_server_context, start_fork_server
from teipress.progress import Progress
from teipress.render import (
    DocumentKeys,
    EditionFormat,
    OutputFile,
    RenderContext,
    engine_for,
    get_format,
)
from teipress.render.keys import KeyBuilder, LazyRegister, RegisterView
from teipress.render.register_index import RegisterIndex
from teipress.report import RunResult
from teipress.report.json_report import FindingsJson, merged_array
from teipress.resolve.corpus import Extracted, key_attributes
from teipress.resolve.memo import HEAD, MadeFindings, Memo, MemoStore, memo_key, register_digest
from teipress.session import BuildSession
from teipress.splice import Previous, Signature, signature
from teipress.staging import (
    STAGING_PREFIX,
    StagingError,
    discard,
    empty_trash,
    keep_spare,
    libc,
    link_all,
    publish,
    recover,
    safe_join,
    sweep,
    take_spare,
    write_new,
)

MANIFEST = ".teipress-manifest.json"
#: Folders of the build's cache: the previous editions kept (see teipress.staging), what is being removed.
SPARES, TRASH = "spare", "trash"
#: Rendering in a pool pays a compile per worker; below this many documents one process is faster.
POOL_THRESHOLD = 12
#: Slices found by scanning the register before its index is read (see RegisterSlices.slice_xml).
SLICE_SCANS = 8
#: From this many documents a full resolve runs in a process of its own (see _register_apart).
RESOLVE_APART = 200
#: The largest register (bytes) the build's process reads into its index while the resolve
#: process runs the cross-reference checks (see _register_apart). Beyond it the two at once
#: would set the build's peak memory: synthetic 5k (158 MB), the resolve phase's processes
#: 688 MiB together against 498 MiB one after the other; at 10k the resolve process alone
#: is about 960 MiB.
INDEX_BESIDE_CHECKS_MAX = 64 << 20
R = f"{{{REGISTER_NS}}}"


class BuildError(Exception):
    """The build could not be completed; nothing was published."""


#: What stops a build with a message for the user (the configuration, a schema or rule
#: file that cannot be used, the output folder, the build itself) rather than a
#: traceback: every command that builds catches these
STOPPING_ERRORS: tuple[type[Exception], ...] = (ConfigError, SchemaError, SchematronError, BuildError, StagingError)


@dataclass
class BuildOptions:
    """What ``teipress build`` was asked to do."""

    formats: list[str]
    out: Path
    jobs: int = 0
    force: bool = False
    clean: bool = False
    check: CheckOptions = field(default_factory=CheckOptions)
    #: resolve in a process of its own (None: for RESOLVE_APART documents or more, with jobs > 1)
    resolve_apart: bool | None = None
    #: the most findings per rule code the build's report will show (0: it lists every
    #: finding). With at most ``memo.HEAD``, a rebuild that reuses the resolve memo does
    #: not read the cross-reference findings of the files an edit left alone: it counts
    #: them and shows their first ones from the memo's summaries (RunResult.deferred).
    report_per_code: int = 0
    #: the report is the JSON summary (:meth:`BuildResult.to_json`): those findings are
    #: deferred too, their JSON joined from what the memo kept of it
    report_json: bool = False


@dataclass
class BuildResult:
    """What a build did, for the summary line and ``--report json``."""

    check: RunResult
    formats: list[str]
    documents: int = 0
    rendered_documents: int = 0
    files_written: int = 0
    files_kept: int = 0
    files_removed: int = 0
    published: bool = False
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    render_errors: list[Diagnostic] = field(default_factory=list)
    #: the previous build's register and cross-reference findings were reused (no resolve)
    resolve_reused: bool = False
    #: built by the project's build daemon (see teipress.daemon)
    daemon: bool = False

    def to_dict(self, findings: bool = True) -> dict[str, object]:
        """The JSON summary: what the build did and (unless not *findings*) every finding."""
        return {
            "published": self.published,
            "formats": self.formats,
            "documents": self.documents,
            "rendered_documents": self.rendered_documents,
            "files_written": self.files_written,
            "files_kept": self.files_kept,
            "files_removed": self.files_removed,
            "checked_documents": self.check.extra.get("checked", 0),
            "checks_from_cache": self.check.extra.get("from_cache", 0),
            "resolve_reused": self.resolve_reused,
            "previous_versions": self.check.extra.get("previous_versions", []),
            "daemon": self.daemon,
            "errors": self.check.errors + len(self.render_errors),
            "warnings": self.check.warnings,
            "seconds": round(self.seconds, 3),
            "phases": {k: round(v, 3) for k, v in self.phases.items()},
            "by_code": self.by_code(),
            "diagnostics": as_dicts(self.findings()) if findings else [],
        }

    def by_code(self) -> dict[str, int]:
        """Rule code -> how many findings, in code order."""
        counts = Counter(d.code for d in [*self.check.diagnostics, *self.render_errors])
        if self.check.deferred is not None:
            counts.update(self.check.deferred.by_code())
        return dict(sorted(counts.items()))

    def findings(self) -> list[Diagnostic]:
        """Every finding in the summary's order: the check's by place, then rendering errors."""
        return [*self.check.sorted(), *self.render_errors]

    def to_json(self, kept: FindingsJson | None = None) -> list[bytes]:
        """:meth:`to_dict` as compact JSON, in pieces to be written one after the other;
        with *kept* (a session's), the findings' JSON from what it kept of the same
        findings."""
        if kept is not None:
            array = kept.array(self.findings())
        else:
            deferred = self._deferred_array()
            if deferred is None:
                return [orjson.dumps(self.to_dict())]
            array = deferred
        head = orjson.dumps(self.to_dict(findings=False))  # the findings' array is the last value
        return [head[:-len(b"[]}")], *array, b"}"]

    def _deferred_array(self) -> list[bytes] | None:
        """The findings' JSON array joined from the JSON the resolve memo kept of the
        deferred ones (see :func:`merged_array`); None without deferred findings, when
        their severities change (``--warnings-as-errors``), or when that JSON was removed
        or damaged since (the findings are then read)."""
        deferred = self.check.deferred
        if deferred is None or deferred.warnings_as_errors:
            return None
        try:
            return merged_array(self.check.diagnostics, deferred.json_parts(), self.render_errors)
        except (OSError, ValueError, TypeError):
            return None


# --------------------------------------------------------------------------
# Fingerprints
# --------------------------------------------------------------------------

def _tree_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(p.relative_to(folder).as_posix().encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def environment_key(config: Config, fmt: str) -> str:
    """Hash of everything besides the sources that a format's output depends on."""
    h = hashlib.sha256()
    h.update(paths.code_version().encode())
    h.update(fmt.encode())
    h.update(_tree_hash(data_dir("xslt")).encode())
    h.update(json.dumps(config.raw, sort_keys=True, default=str).encode())
    return h.hexdigest()


class RegisterSlices(LazyRegister):
    """Per-document dependency keys and register slices, from the register's index.

    A document's pages show its own record (not its content hash: the source
    hash is keyed separately; not its position either), its neighbours' labels
    (prev/next: id, title, date), the edition record, the entities it points at or mentions
    (without their mention lists), its pointer resolutions and note labels. Not
    the number of documents nor a position: a document added or removed then
    changes the pages of its neighbours only, where "Document 3 of 12" on every
    page had every document of every format rendered again (the Escher letters:
    40 s). The register part of the key is the same for every format, so it is
    computed once per document.
    """

    def __init__(self, register_xml: bytes | Path, parts: dict[str, str] | None = None) -> None:
        super().__init__(register_xml)
        #: doc id -> register part; given when the previous build's resolve results are reused
        self.parts: dict[str, str] = dict(parts or {})
        self._shared: str | None = None
        self._data: bytes | None = None
        self._scans = 0
        self._env_keys: dict[str, KeyBuilder] = {}

    def register_part(self, doc_id: str) -> str:
        """The hash of the register records the document's pages show (see the class doc)."""
        part = self.parts.get(doc_id)
        if part is None:
            ix = self.index
            if self._shared is None:
                self._shared = KeyBuilder(ix.edition_digest).hexdigest()
            rec = ix.docs.get(doc_id)
            h = KeyBuilder(self._shared, rec.record if rec is not None else b"-")
            if rec is not None:
                h.add(_label(ix, rec.prev)).add(_label(ix, rec.next))
            for ent_id in sorted(ix.entities_of.get(doc_id, ())):
                ent = ix.entities.get(ent_id)
                h.add(ent_id).add(ent.digest if ent is not None else hashlib.sha256().digest())
            h.add_all(ix.pointers_of.get(doc_id, ()))
            h.add_all(ix.notes_of.get(doc_id, ()))
            part = self.parts[doc_id] = h.hexdigest()
        return part

    def key(self, doc_id: str, source_sha: str, env: str) -> str:
        """``KeyBuilder(env, source_sha, register part)``, from a copy of the builder fed *env*
        (a rebuild computes a key per document and format: 15,000 for the Escher letters)."""
        start = self._env_keys.get(env)
        if start is None:
            start = self._env_keys[env] = KeyBuilder(env)
        return start.copy().add(source_sha).add(self.register_part(doc_id)).hexdigest()

    def slice_xml(self, doc_id: str) -> bytes:
        """The register as one document's pages see it (:meth:`RegisterIndex.slice_xml`):
        the records the key covers, so a page rendered from its slice is the page
        rendered from the whole register (tests/test_build.py compares them), and small:
        a transform's cost grows with the size of the register it is given.

        From the index when it is built (a pool of documents); otherwise (an edit: a
        document or two) from the records found for this document alone, which scans
        the register's bytes. From the ninth document on the index is read instead: a
        reused resolve with every document to render (a stylesheet changed) scanned
        the register once per document (Escher: 50 ms each, against 0.9 s for the index).
        """
        if self._index is not None or self._shares is not None or self._scans >= SLICE_SCANS:
            return self.index.slice_xml(doc_id)
        self._scans += 1
        if self._data is None:
            self._data = self._xml if isinstance(self._xml, bytes) else self._xml.read_bytes()
        return RegisterIndex.read_for(self._data, [doc_id]).slice_xml(doc_id)


def _label(ix: RegisterIndex, doc_id: str) -> bytes:
    """What a link to a neighbour shows (id, title, date), not its own links: a document
    added after the next one changes the next one's record, not this document's page."""
    rec = ix.docs.get(doc_id) if doc_id else None
    return rec.label if rec is not None else b"-"


@dataclass
class Manifest:
    """What a published format folder contains and what each part was built from.

    ``documents``: doc id -> ``{"key", "files", "facts"}``; ``edition``: page name ->
    ``{"key", "files"}``. ``edition_files`` (all edition pages' files) is written too,
    for readers that only want to know what the folder holds.
    """

    env: str = ""
    register: str = ""
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    edition: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def edition_files(self) -> list[str]:
        return [f for _, page in sorted(self.edition.items()) for f in page["files"]]

    @classmethod
    def read(cls, folder: Path, kept: ManifestMemory | None = None) -> Manifest:
        """The manifest of *folder* (empty if it has none or it is damaged); from *kept*
        (a session's) when the file is the one a build of the session wrote."""
        path = folder / MANIFEST
        sig = _file_signature(path) if kept is not None else None
        if kept is not None and sig is not None and sig in kept:
            return kept[sig]
        try:
            data = orjson.loads(path.read_bytes())
            edition = data.get("edition", {})
            if not isinstance(edition, dict):
                edition = {}
            return cls(data["env"], data["register"], data["documents"], edition)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls()

    def write(self, folder: Path, kept: ManifestMemory | None = None) -> None:
        """Write the manifest into *folder*; *kept* (a session's) remembers it under the
        file's signature, which publishing (a rename) does not change, so the next two
        builds (published edition, then spare) read it without parsing.

        Never changed once written: a build makes new records, and shares the unchanged
        ones of the manifest before.
        """
        payload = {"teipress": __version__, "env": self.env, "register": self.register,
                   "documents": self.documents, "edition": self.edition,
                   "edition_files": self.edition_files}
        write_new(folder / MANIFEST, orjson.dumps(payload, option=orjson.OPT_SORT_KEYS))
        if kept is not None:
            sig = _file_signature(folder / MANIFEST)
            if sig is not None:
                kept[sig] = self
                while len(kept) > KEPT_MANIFESTS:
                    del kept[next(iter(kept))]


#: A session's manifests by file signature (see Manifest.write)
ManifestMemory = dict[Signature, Manifest]
#: Manifests a session keeps: three formats' published and spare editions
KEPT_MANIFESTS = 8


def _file_signature(path: Path) -> Signature | None:
    """The signature of *path* (None if it is missing): the same after a rename,
    different after any rewrite."""
    try:
        return signature(os.stat(path))
    except OSError:
        return None


# --------------------------------------------------------------------------
# Rendering workers
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class RegisterFiles:
    """The register as render processes get it: its outline (edition-wide pages; see
    :meth:`RegisterIndex.outline_xml`) and the complete register (a file in the cache,
    or the bytes if the cache cannot be written) for the pages that list every mention."""

    #: the outline, or a function that makes it when a page needs it
    outline: bytes | Callable[[], bytes] | None
    full: Path | bytes

    def outline_source(self) -> bytes | Callable[[], bytes]:
        """The outline, or how to make it: without one (a build that did not index the
        register: an edit of a few documents) it is cut from the complete register by
        whichever process first renders a page that reads it."""
        if self.outline is not None:
            return self.outline
        full = self.full
        return lambda: RegisterIndex.read(full).outline_xml()


#: what a worker sends back for one document: its id, per format the files it wrote (relative
#: paths) and the hash of those edition pages read (``_facts``), and the errors
Rendered = tuple[str, dict[str, tuple[list[str], str]], list[Diagnostic]]


class _Renderer:
    """Per-process rendering state: formats, compiled stylesheets, parsed register.

    It writes what it renders into *staging* (a folder per format) itself: the files of
    a document never travel to the build's process, which only records their names.
    """

    def __init__(self, config: Config, formats: Sequence[str], build_date: str, staging: Path,
                 register: RegisterFiles | None = None, ids: dict[str, str] | None = None,
                 slice_of: Callable[[str], bytes] | None = None) -> None:
        self.ids = ids or {}
        self.staging = staging
        self.formats: list[EditionFormat] = [get_format(f) for f in formats]
        engine = engine_for(self.formats)
        self.ctx = RenderContext(config, engine, b"", None, build_date, slice_of)
        if "html" in formats:  # register pages keep their pieces in the cache (see KeptParts)
            self.ctx.kept_parts = paths.cache_dir(config.root) / "register-parts"
            self.ctx.kept_parts_salt = f"{environment_key(config, 'html')}\0{build_date}"
        self._register: RegisterFiles | None = None
        if register is not None:
            self.use(register, self.ids)

    def use(self, register: RegisterFiles, ids: dict[str, str]) -> None:
        """The register edition pages read, and the ids of documents that share one.

        A pool worker starts before the resolve phase has made them (it compiles its
        stylesheets meanwhile) and gets them with each edition task; per-document tasks
        carry their register slice and id instead.
        """
        self.ids = ids
        if register != self._register:
            self._register = register
            self.ctx.use_register(register.outline_source(), register.full)

    def render_edition(self, name: str, paths: list[str], root: Path, pages: list[str]) -> list[tuple[str, str]]:
        """Write the edition *pages* of format *name* into its staging folder; (file, page) of each.

        Written here, by the process that renders them, piece by piece: a book or a
        search index of thousands of documents is never held whole, nor sent back.
        """
        fmt = next(f for f in self.formats if f.name == name)
        folder = self.staging / name
        # the staging folder is made in the output folder (see build), beside the published editions
        published = self.staging.parent / name if self.staging.name.startswith(STAGING_PREFIX) else None
        written: list[tuple[str, str]] = []
        for f in fmt.render_edition(self.ctx, LazyDocuments(paths, root, self.ids), folder, pages):
            previous = None
            if f.spans and published is not None:  # a joined file: unchanged parts copied from the published one
                previous = Previous(safe_join(published, f.relpath), safe_join(published, f.spans))
            spans = write_new(safe_join(folder, f.relpath), f, previous, os.fspath(folder))
            written.append((f.relpath, f.page))
            if spans is not None:
                write_new(safe_join(folder, f.spans), spans.to_bytes())
                written.append((f.spans, f.page))
        return written

    def render(self, path: Path, doc_id: str, register_slice: bytes | None = None) -> Rendered:
        """Render one document in every format and write its files (see :data:`Rendered`);
        *doc_id*: the id the build gave it (another, if another document has its own)."""
        doc = load_path(path, self.ctx.config.root)
        if doc_id != doc.doc_id:
            doc.id_override = doc_id
        if register_slice is not None:
            self.ctx.use_slice(doc.doc_id, register_slice)
        done: dict[str, tuple[list[str], str]] = {}
        errors: list[Diagnostic] = []
        if not doc.ok:
            return doc.doc_id, done, list(doc.diagnostics)
        node = self.ctx.engine.parse(doc.data)
        for fmt in self.formats:
            try:
                files = fmt.render_document(self.ctx, doc, node)
            except Exception as exc:
                errors.append(_render_error(doc.display, fmt.name, exc))
                continue
            folder = self.staging / fmt.name
            for f in files:
                write_new(safe_join(folder, f.relpath), f)
            done[fmt.name] = ([f.relpath for f in files], _facts(fmt.edition_facts(doc.doc_id), files))
        return doc.doc_id, done, errors


def _render_error(display: str, fmt: str, exc: Exception) -> Diagnostic:
    line = getattr(exc, "line", None) or 1
    sheet = getattr(exc, "stylesheet", None)
    where = f" in {sheet}:{line}" if sheet else ""
    return Diagnostic(display, 1, 1, "B001", Severity.ERROR,
                      f"rendering the {fmt} edition failed{where}: {exc}",
                      "fix the stylesheet or report the document that triggers it; "
                      "nothing was published", source="render")


_worker: _Renderer | None = None


def _init_render_worker(config: Config, formats: list[str], date: str, staging: Path) -> None:
    global _worker
    _worker = _Renderer(config, formats, date, staging)


#: One document for a render worker: its source (a path name), its id, its register slice.
RenderTask = tuple[str, str, bytes]


def _render_in_worker(tasks: list[RenderTask]) -> list[Rendered]:
    assert _worker is not None
    return [_worker.render(Path(path), doc_id, register_slice) for path, doc_id, register_slice in tasks]


def start_render_pool(config: Config, formats: list[str], date: str, staging: Path, jobs: int
                      ) -> ProcessPoolExecutor:
    """A pool of render workers, each compiling the formats' stylesheets as it starts.

    forkserver: workers start from a clean interpreter instead of inheriting (and,
    through reference counting, copying) the parent's heap. Started before the resolve
    phase when there is work ahead, so the workers compile while the parent resolves.
    """
    return ProcessPoolExecutor(jobs, mp_context=fork_server_context(),
                               initializer=_init_render_worker, initargs=(config, formats, date, staging))


#: The most documents a render worker gets in one task (see :func:`batch_size`)
MAX_BATCH = 16
#: Tasks a worker gets at least, so that the last ones end close together
BATCHES_PER_WORKER = 8


def batch_size(documents: int, jobs: int) -> int:
    """How many documents go to a render worker in one task.

    A task is a round trip between processes: its pickles, two queues, a future, a
    result thread's wake-up; about 0.16 ms of this process's time for a document's
    task here, 0.8 s for the Escher letters, on a core the workers need. Batches of up
    to :data:`MAX_BATCH` documents pay it once per batch, while each worker still gets
    :data:`BATCHES_PER_WORKER` tasks or more, so that no worker is left with a long last
    batch while the others wait.
    """
    return max(1, min(MAX_BATCH, documents // (max(jobs, 1) * BATCHES_PER_WORKER)))


def _streamed(pool: Submitter, tasks: Iterator[RenderTask], window: int, batch: int = 1
              ) -> Iterator[Rendered]:
    """Results of *tasks* in order, in batches of *batch* documents, keeping at most
    *window* batches submitted: the parent makes each task's register slice while the
    workers render the ones before it."""
    pending: deque[Future[list[Rendered]]] = deque()
    tasks = iter(tasks)
    while chunk := list(itertools.islice(tasks, batch)):
        pending.append(pool.submit(_render_in_worker, chunk))
        if len(pending) >= window:
            yield from pending.popleft().result()
    while pending:
        yield from pending.popleft().result()


def _edition_in_worker(name: str, paths: list[str], root: Path, pages: list[str], register: RegisterFiles,
                       ids: dict[str, str]) -> list[tuple[str, str]]:
    assert _worker is not None
    _worker.use(register, ids)
    return _worker.render_edition(name, paths, root, pages)


EditionOutcome = tuple[str, list[str], list[tuple[str, str]] | Exception]

#: The largest complete register (bytes) whose readers among the edition pages a pool
#: makes apart, side by side (see HtmlFormat.edition_groups): each holds a pass over it
#: (batches, an outline, Saxon's heap). The Escher letters' 27 MB: the edition pages
#: 10.5 -> 7.5 s; the synthetic 5,000 documents' 158 MB: peak PSS 796 -> 939 MiB.
APART_REGISTER_MAX = 64 << 20
#: From this size of complete register (bytes) the edition pages of an edit that changed the
#: register are made in a pool even when no document needed one (see _pool_for_pages).
EDITION_POOL_MIN = 8 << 20


def _pool_for_pages(jobs: int, resolve_reused: bool, register_size: int, tasks: int) -> bool:
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
    return jobs > 1 and not resolve_reused and register_size >= EDITION_POOL_MIN and tasks >= 2


def _size(register: bytes | Path) -> int:
    """The register's size in bytes (a file that cannot be read counts as large)."""
    if isinstance(register, bytes):
        return len(register)
    try:
        return register.stat().st_size
    except OSError:
        return APART_REGISTER_MAX + 1


def edition_tasks(pages: dict[str, list[str]], share_reads: bool = False) -> list[tuple[str, list[str]]]:
    """(format, pages) per group of the *pages* asked for that the format can make on its
    own (:meth:`EditionFormat.edition_groups`, which *share_reads* is passed to). In a
    pool the groups run side by side: fairer to two cores, and no worker holds what
    every page of a format needs at once."""
    return [(name, group) for name, wanted in pages.items()
            for group in get_format(name).edition_groups(wanted, share_reads) if group]


def _render_editions(pool: Submitter | None, local: _Renderer | None, tasks: list[tuple[str, list[str]]],
                     paths: list[str], root: Path, register: RegisterFiles | None, ids: dict[str, str],
                     meanwhile: Callable[[], None] = lambda: None) -> Iterator[EditionOutcome]:
    """The files of each task of :func:`edition_tasks`, or the exception that stopped it;
    *meanwhile* runs in this process while a pool renders. *register* is what the pool's
    workers read (the local renderer has its own)."""
    if pool is not None and tasks:
        assert register is not None
        futures = [(name, group, pool.submit(_edition_in_worker, name, paths, root, group, register, ids))
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


class LazyDocuments(Sequence[LoadedDocument]):
    """Documents loaded on access, so edition-wide rendering never holds the corpus in memory."""

    def __init__(self, paths: Sequence[str | Path], root: Path, ids: dict[str, str] | None = None) -> None:
        self._paths = list(paths)
        self._root = root
        self._ids = ids or {}

    def _load(self, path: str | Path) -> LoadedDocument:
        doc = load_path(Path(path), self._root)
        name = os.fspath(path)
        if self._ids.get(name, doc.doc_id) != doc.doc_id:
            doc.id_override = self._ids[name]
        return doc

    def __len__(self) -> int:
        return len(self._paths)

    @overload
    def __getitem__(self, i: int) -> LoadedDocument: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[LoadedDocument]: ...
    def __getitem__(self, i: int | slice) -> LoadedDocument | Sequence[LoadedDocument]:
        if isinstance(i, slice):
            return LazyDocuments(self._paths[i], self._root, self._ids)
        return self._load(self._paths[i])

    def __iter__(self) -> Iterator[LoadedDocument]:
        for p in self._paths:
            yield self._load(p)


# --------------------------------------------------------------------------
# The build
# --------------------------------------------------------------------------

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
    pool = _Pool(lambda workers: start_render_pool(config, formats, build_date, staging, workers), jobs, session,
                 lambda: (tuple(environment_key(config, name) for name in formats), build_date, staging, jobs))

    def start_workers(checking: int, failing: bool) -> None:
        # -- render pool: started as soon as the check cache shows a few files edited, so
        # its workers compile their stylesheets while this process checks those files and
        # resolves (Escher, a letter edited: they were ready 0.45 s after they started,
        # after the check phase, so the letter waited for them). Not for many: the resolve
        # phase of a whole corpus is this process's peak, and idle workers beside it
        # would raise the build's (Escher: 0.84 -> 1.19 GiB of PSS). Nor when the files
        # left alone already hold an error the build would stop at. One worker (a light
        # pool, see _Pool.get_light) unless the resolve phase makes the register again. A
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
            check.extra["previous_versions"] = _keep_previous_versions(config, doc_paths, extracts, cache,
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


def _keep_previous_versions(config: Config, doc_paths: list[Path], extracts: dict[Path, Extracted],
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


T = TypeVar("T")


class Submitter(Protocol):
    """What render tasks are submitted to: a process pool, or the build's pools (:class:`_Executors`)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]: ...


class _Executors:
    """The build's process pools as one: each task goes to the pool with the fewest
    tasks waiting per worker (see :meth:`_Pool.get_light`)."""

    def __init__(self) -> None:
        self.pools: list[tuple[ProcessPoolExecutor, int]] = []
        self._waiting: list[int] = []
        self._lock = threading.Lock()

    def add(self, pool: ProcessPoolExecutor, workers: int) -> None:
        self.pools.append((pool, workers))
        self._waiting.append(0)

    @property
    def workers(self) -> int:
        """The workers of all the pools."""
        return sum(workers for _, workers in self.pools)

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        # counted with one pool too: tasks a light pool has waiting when it is widened
        # still weigh on it
        with self._lock:
            i = min(range(len(self.pools)), key=lambda n: self._waiting[n] / self.pools[n][1])
            self._waiting[i] += 1
        future = self.pools[i][0].submit(fn, *args, **kwargs)
        future.add_done_callback(lambda _: self._done(i))
        return future

    def _done(self, i: int) -> None:
        with self._lock:
            self._waiting[i] -= 1


def _warm(pool: ProcessPoolExecutor, workers: int) -> None:
    """Start *workers* of *pool* now. In a thread of its own: a submit that starts a
    worker waits for the forkserver to start (the first time) and fork it, 0.04-0.05 s
    the build's process would otherwise spend waiting after an edit."""
    try:
        for _ in range(workers):
            pool.submit(int)
    except RuntimeError:  # the build ended first (a failure): its pool was shut down
        pass


class _Pool:
    """The build's render pool, started on first need (or early, see :func:`build`);
    with a session, the one it kept if made for the same *key* (see :mod:`teipress.session`)."""

    def __init__(self, start: Callable[[int], ProcessPoolExecutor], jobs: int, session: BuildSession | None = None,
                 key: Callable[[], Hashable] | None = None) -> None:
        self._start = start
        self.jobs = jobs
        self.session = session
        self._key = key
        self._executors: _Executors | None = None

    @property
    def pool(self) -> Submitter | None:
        """Where tasks go, once a pool is started."""
        return self._executors

    @property
    def workers(self) -> int:
        """Workers started so far (fewer than *jobs* after :meth:`get_light`)."""
        return self._executors.workers if self._executors is not None else 0

    def _add(self, workers: int, warm: int) -> None:
        def start() -> ProcessPoolExecutor:
            pool = self._start(workers)
            if warm:
                threading.Thread(target=_warm, args=(pool, warm), name="teipress-warm-up", daemon=True).start()
            return pool

        if self._executors is None:
            self._executors = _Executors()
        if self.session is not None and self._key is not None:
            self._executors.add(self.session.render_pool(self._key(), start), workers)
        else:
            self._executors.add(start(), workers)

    def get(self, warm: int = 0) -> Submitter:
        """The pool of *jobs* workers; with *warm*, that many workers are started now if it is
        new (a pool starts its workers as tasks arrive, and a worker compiles its
        stylesheets as it starts; a session's kept pool has them running). A light pool
        (:meth:`get_light`) gets its other workers now, started at once."""
        if self._executors is None:
            self._add(self.jobs, min(warm, self.jobs))
        elif self.workers < self.jobs:
            self._add(self.jobs - self.workers, self.jobs - self.workers)
        assert self._executors is not None
        return self._executors

    def get_light(self) -> Submitter:
        """A pool of one worker, started now, for an edit of a few files without a session.

        Two workers starting beside the build's own process took CPU from it on a
        machine of two cores (each imports teipress and compiles its stylesheets: about
        0.4 s of CPU), while a one-letter edit leaves one letter and a few joined files
        to make (Escher, without a daemon, six pairs: JSON summary 1.21 -> 1.13 s, text
        summary 1.02 -> 0.96 s). An edit that turns out to need more (the register made
        again, many documents to render) gets the other workers by :meth:`get`.
        """
        if self._executors is None:
            self._add(1, 1)
        assert self._executors is not None
        return self._executors

    def widen(self) -> None:
        """A light pool's other workers, started now: the work ahead turned out heavier
        (the register is made again, and with it edition pages that read all of it)."""
        if self._executors is not None:
            self.get()

    def shutdown(self, failed: bool = False) -> None:
        """Stop the workers, unless a session keeps them for its next build (a failed
        build's pool is not kept: a worker may have died, tasks may still be queued)."""
        if self._executors is None:
            return
        if self.session is not None:
            if failed:
                self.session.discard_pool()
        else:
            for pool, _ in self._executors.pools:
                pool.shutdown(cancel_futures=True)


def _resolve_and_render(config: Config, options: BuildOptions, progress: Progress, formats: list[str], out: Path,
                        staging: Path, cache_dir: Path, pool: _Pool, build_date: str, doc_paths: list[Path],
                        auth_paths: list[Path], extracts: dict[Path, Extracted], cache: CheckCache,
                        check: RunResult, phases: dict[str, float], started: float,
                        session: BuildSession | None) -> BuildResult:
    """The phases after the check: resolve, render, publish (see :func:`build`)."""
    # -- resolve: one corpus for the cross-reference checks and the register --
    # Built from the check phase's extracts (fresh or cached): nothing is parsed here;
    # when no extract changed but for positions, the previous results are reused.
    t = time.perf_counter()
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
    resolved = _reuse(reused, files, cache, session.memo_findings if session is not None else None, defer)
    if resolved is None:
        reused = None
    result = BuildResult(check, formats, documents=len(doc_paths), phases=phases)
    checks_only = check.errors > 0 and not options.force
    kept: tuple[Path | bytes, str] | None
    early: RegisterSlices | None = None  # the register's index, read while a resolve process checks
    held_corpus = False  # the corpus model was built in this process: its heap is given back below
    if resolved is not None:
        result.resolve_reused = True
        findings, check.deferred, register_xml, digests = resolved
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
            _give_back_memory()
            with resolve_process() as child:
                kept = child.submit(_register_apart, config, cache, doc_refs, auth_refs, checks_only,
                                    store.folder).result()
                checked = child.submit(_findings_apart)  # the same process: it holds the model
                if kept is not None and _size(kept[0]) <= INDEX_BESIDE_CHECKS_MAX:  # see _register_apart
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
        phases["resolve"] = time.perf_counter() - t
        result.seconds = time.perf_counter() - started
        return result
    assert kept is not None
    register, register_hash = kept
    slices = early if early is not None else RegisterSlices(
        register, {k[5:]: v for k, v in digests.items() if k.startswith("part:")})
    view = RegisterView(shares=slices, digests={k[5:]: v for k, v in digests.items() if k.startswith("view:")})
    # the render phase needs none of the extracts: free them before the pool starts
    extracts.clear()
    del docs, auths, files, resolved
    if reused is not None:  # its hashes, digests and rows (moved) are read later
        reused.register_xml = b""
    if held_corpus:  # a reused resolve held no corpus, a resolve apart gave back before it started
        _give_back_memory()
    progress.advance(1)
    phases["resolve"] = time.perf_counter() - t

    # -- render ------------------------------------------------------------
    t = time.perf_counter()

    def save_memo() -> None:
        # once the edition keys are known; while a pool renders the edition pages
        saved = {f"part:{k}": v for k, v in slices.parts.items()}
        saved.update({f"view:{k}": v for k, v in view.saved().items()})
        if not (reused is not None and reused.shas == shas and reused.digests == saved):
            # a reused memo's rows (moved) and the buckets of them unchanged; else the findings
            rows = reused.findings if reused is not None else {}
            kept = reused.kept_buckets if reused is not None else {}
            summaries = reused.summaries if reused is not None else {}
            store.save(Memo(key, shas, rows, register, saved, register_hash, kept, summaries), by_display, findings,
                       json=options.report_json)

    try:
        _render_all(config, formats, out, staging, ordered, doc_info, slices, register, register_hash,
                    build_date, options, progress, result, renamed, view, pool, save_memo, cache_dir)
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


#: the previous build's resolve results, reused: findings (those read, and those deferred),
#: register file, key digests
Resolved = tuple[list[Diagnostic], DeferredFindings | None, Path, dict[str, str]]


def _give_back_memory() -> None:
    """Return the heap the check and resolve phases freed to the system.

    glibc keeps freed memory for reuse; the extracts' pickles (thousands of blocks of
    tens of KB) would otherwise stay counted to this process through the render phase.
    What was freed was freed by reference counting: a build makes almost no cycles
    (see teipress.collector), and the full collection this made first freed nothing
    while walking the whole heap (a name tagged in an Escher letter, through the
    daemon: 0.10-0.21 s per call in the daemon, two calls a build, and 0.18 s in the
    resolve process; 0 objects freed each time).
    """
    trim = getattr(libc(), "malloc_trim", None)  # None: no C library, or not glibc
    if trim is not None:
        trim(0)


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
        _give_back_memory()  # the pickles the extracts were loaded from are freed
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
           made: MadeFindings | None = None, defer: bool = False) -> Resolved | None:
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


def _render_all(config: Config, formats: list[str], out: Path, staging: Path,
                ordered: list[Path], doc_info: dict[Path, tuple[str, str]], slices: RegisterSlices,
                register: bytes | Path, register_hash: str, build_date: str, options: BuildOptions,
                progress: Progress, result: BuildResult, renamed: dict[str, str], register_view: RegisterView,
                pools: _Pool, meanwhile: Callable[[], None], cache_dir: Path) -> None:
    """Render what changed into *staging* and keep the rest; *meanwhile* runs once the
    edition pages are known, while a pool renders them. *cache_dir* holds the previous
    editions kept as spares (see :mod:`teipress.staging`)."""
    envs = {name: environment_key(config, name) for name in formats}

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
    carry = {name: _Carry(out / name, old[name], staging / name, cache_dir, name, kept) for name in formats}
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
    local: _Renderer | None = None
    if jobs > 1 and len(todo) >= POOL_THRESHOLD:
        pools.get()
    pool = pools.pool  # started early (see build), or just now for many documents
    if pool is not None:
        # Each document gets its slice of the register: a transform's cost grows with the
        # register it is given (2-3 s per transform with a 158 MB register, 10-20 ms with
        # a slice), and the workers then never hold the whole register.
        results = _streamed(pool, ((os.fspath(p), doc_info[p][0], slices.slice_xml(doc_info[p][0])) for p in todo),
                            4 * jobs, batch_size(len(todo), jobs))
    else:
        if todo:
            # A few documents: each gets its slice of the register, so the whole register
            # is parsed only if an edition page needs a transform over it.
            local = _Renderer(config, formats, build_date, staging, register_files(), renamed, slices.slice_xml)
        results = (local.render(p, doc_info[p][0]) for p in todo) if local else iter(())
    no_files: tuple[list[str], str] = ([], _facts((), ()))
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
    register_size = _size(register)
    if pool is None and _pool_for_pages(jobs, result.resolve_reused, register_size, len(edition_tasks(pages))):
        pool = pools.get(warm=jobs)
    # pages that read the complete register apart (two passes at once) in a pool, while
    # the register is small enough for two workers to hold a pass each
    tasks = edition_tasks(pages, share_reads=pool is None or register_size > APART_REGISTER_MAX)
    progress.phase("edition", len(tasks))
    if pages and pool is None and local is None:
        local = _Renderer(config, formats, build_date, staging, register_files(), renamed)
    pooled = register_files(pooled=True) if pool is not None and tasks else None
    # names, not Path objects, travel to the workers (5,000 Paths took 30 ms to unpickle per task)
    names = [os.fspath(p) for p in ordered]
    def while_pages_render() -> None:
        meanwhile()
        if pooled is not None and slices.indexed:
            # the workers have what the edition pages read, and no key or slice is made
            # after this: the register's index, the largest thing this process holds now
            # (160 MB for 5,000 synthetic documents), goes before the edition pages' peak
            slices.release()
            register_view.release()
            _give_back_memory()

    for name, group, outcome in _render_editions(pool, local, tasks, names, config.root, pooled, renamed,
                                                 while_pages_render):
        if isinstance(outcome, Exception):
            result.render_errors.append(_render_error("(edition)", name, outcome))
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


class _Carry:
    """Puts the files of a format's unchanged documents and pages into its staging folder.

    The folder starts from the format's spare, the edition published before the last
    one (see :mod:`teipress.staging`), when there is one: a document whose record in
    the spare's manifest is the one kept now has its files there already (about a
    quarter of a second saved per 10,000 files of a one-document rebuild). Others are
    hard-linked from the published folder. A spare that differs from the published
    edition in most documents (the build before changed them all: new stylesheets, a
    new register) is not used: replacing most of its files costs several times what
    linking them into an empty folder does.
    """

    def __init__(self, published: Path, manifest: Manifest, staged: Path, cache_dir: Path, name: str,
                 kept: ManifestMemory | None = None) -> None:
        self.published, self.staged = os.fspath(published), os.fspath(staged)
        self.present = take_spare(cache_dir / SPARES / name, staged)
        self.spare = Manifest.read(staged, kept) if self.present is not None else Manifest()
        if self.present is not None and not self._mostly_current(manifest):
            discard(staged, cache_dir / TRASH)
            self.present, self.spare = None, Manifest()

    def _mostly_current(self, manifest: Manifest) -> bool:
        """Whether the spare holds the published record of at least half the documents."""
        held = self.spare.documents
        same = sum(1 for doc_id, record in manifest.documents.items() if held.get(doc_id) == record)
        return 2 * same >= len(manifest.documents)

    def document(self, doc_id: str, prev: dict[str, Any], linked: list[str]) -> bool:
        """The files of document *doc_id* as *prev* (its published record) lists them;
        False if one is missing (the document is then rendered again)."""
        return self._in_spare(self.spare.documents.get(doc_id), prev) or self._link(prev, linked)

    def page(self, page: str, prev: dict[str, Any], linked: list[str]) -> bool:
        """The files of edition page *page*, as :meth:`document`."""
        return self._in_spare(self.spare.edition.get(page), prev) or self._link(prev, linked)

    def _in_spare(self, spared: dict[str, Any] | None, prev: dict[str, Any]) -> bool:
        return (spared == prev and self.present is not None
                and all(rel in self.present for rel in prev["files"]))

    def _link(self, prev: dict[str, Any], linked: list[str]) -> bool:
        return link_all(self.published, self.staged, prev["files"], linked)

    def sweep(self, manifest: Manifest) -> None:
        """Remove what the spare held that the new edition (*manifest*) does not."""
        if self.present:
            wanted = {MANIFEST, *manifest.edition_files}
            for record in manifest.documents.values():
                wanted.update(record["files"])
            sweep(Path(self.staged), self.present, wanted)


def _facts(relpaths: Sequence[str], files: Sequence[OutputFile]) -> str:
    """Hash of a document's files that edition pages read (see ``EditionFormat.edition_facts``)."""
    wanted = set(relpaths)
    h = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.relpath):
        if f.relpath in wanted:
            shown = f.data if f.facts is None else f.facts  # a sidecar: its facts (see render.sidecar_file)
            h.update(f.relpath.encode() + b"\x00" + hashlib.sha256(shown).digest())
    return h.hexdigest()
