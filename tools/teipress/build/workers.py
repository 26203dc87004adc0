"""What a render process does: it compiles the formats' stylesheets once
(:class:`Renderer`), renders a document in every format from its register slice and
writes the files into staging itself, and makes edition pages; the functions a pool's
workers run."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import overload

from teipress import paths
from teipress.build.fingerprints import environment_key
from teipress.config import Config
from teipress.diagnostics import Diagnostic, Severity
from teipress.load import LoadedDocument, load_path
from teipress.processes import fork_server_context
from teipress.render import (
    EditionFormat,
    OutputFile,
    RenderContext,
    engine_for,
    get_format,
)
from teipress.render.register_index import RegisterIndex
from teipress.splice import Previous
from teipress.staging import (
    STAGING_PREFIX,
    safe_join,
    write_new,
)


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
#: paths) and the hash of those edition pages read (``facts_hash``), and the errors
Rendered = tuple[str, dict[str, tuple[list[str], str]], list[Diagnostic]]


class Renderer:
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
                errors.append(render_error(doc.display, fmt.name, exc))
                continue
            folder = self.staging / fmt.name
            for f in files:
                write_new(safe_join(folder, f.relpath), f)
            done[fmt.name] = ([f.relpath for f in files], facts_hash(fmt.edition_facts(doc.doc_id), files))
        return doc.doc_id, done, errors


def render_error(display: str, fmt: str, exc: Exception) -> Diagnostic:
    line = getattr(exc, "line", None) or 1
    sheet = getattr(exc, "stylesheet", None)
    where = f" in {sheet}:{line}" if sheet else ""
    return Diagnostic(display, 1, 1, "B001", Severity.ERROR,
                      f"rendering the {fmt} edition failed{where}: {exc}",
                      "fix the stylesheet or report the document that triggers it; "
                      "nothing was published", source="render")


_worker: Renderer | None = None


def _init_render_worker(config: Config, formats: list[str], date: str, staging: Path) -> None:
    global _worker
    _worker = Renderer(config, formats, date, staging)


#: One document for a render worker: its source (a path name), its id, its register slice.
RenderTask = tuple[str, str, bytes]


def render_in_worker(tasks: list[RenderTask]) -> list[Rendered]:
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


def edition_in_worker(name: str, paths: list[str], root: Path, pages: list[str], register: RegisterFiles,
                      ids: dict[str, str]) -> list[tuple[str, str]]:
    assert _worker is not None
    _worker.use(register, ids)
    return _worker.render_edition(name, paths, root, pages)


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


def facts_hash(relpaths: Sequence[str], files: Sequence[OutputFile]) -> str:
    """Hash of a document's files that edition pages read (see ``EditionFormat.edition_facts``)."""
    wanted = set(relpaths)
    h = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.relpath):
        if f.relpath in wanted:
            shown = f.data if f.facts is None else f.facts  # a sidecar: its facts (see render.sidecar_file)
            h.update(f.relpath.encode() + b"\x00" + hashlib.sha256(shown).digest())
    return h.hexdigest()
