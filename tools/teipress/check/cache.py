"""What the check phase learnt about each file, kept between runs (``teipress build``).

Per file content (SHA-256) the cache holds the check findings and the
resolve-phase extract (:mod:`teipress.resolve.extract`), so a rebuild parses
and checks only the files that changed. A second table remembers each path's
``stat`` signature (size, mtime, ctime, inode) with the hash it had, so an
unchanged file is not even read: a no-op rebuild of thousands of letters
costs one query, not thousands of reads and hashes. (The same heuristic as
git's index; any doubt — a changed signature — means the file is hashed.)

Storage is one SQLite database per set of check options: reads are one query,
writes touch only changed rows in one transaction, and concurrent builds
(``teipress serve`` and a manual build) are serialised by SQLite's locking.
The options hash covers the teipress version, the schema and rule files, the
check options and the ``@key`` mappings, so editing any of them starts a fresh
database; a fresh database removes all but the most recently used
:data:`KEEP_DATABASES` of the others (each a few MB per thousand documents,
and every new teipress version or schema edit would otherwise add one).
Extracts are pickled with an unpickler that only accepts the extract's own
classes: a tampered cache cannot run code.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from teipress.diagnostics import Diagnostic, Severity, as_dicts
from teipress.resolve.extract import EXTRACT_VERSION, FileExtract

if TYPE_CHECKING:  # runner imports this module
    from teipress.check.runner import CheckOptions

#: Bump when the database layout changes.
SCHEMA_VERSION = "2"
#: Databases kept in the cache folder, the one in use included (``validate`` with other
#: options, or another schema, uses another one; stale ones are removed).
KEEP_DATABASES = 4
_ALLOWED = {
    ("teipress.resolve.extract", name)
    for name in ("FileExtract", "Node", "EntryExtract", "DateInfo", "DatedEvent", "NoteLabel")
} | {("copyreg", "__newobj__"), ("copyreg", "_reconstructor"), ("builtins", "frozenset"),
     ("builtins", "set"), ("builtins", "object")}


class _ExtractUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing {module}.{name} in the check cache")
        return super().find_class(module, name)


def _loads(blob: bytes) -> FileExtract | None:
    try:
        value = _ExtractUnpickler(io.BytesIO(blob)).load()
    except Exception:
        return None
    return value if isinstance(value, FileExtract) else None


@dataclass
class CachedFile:
    """One file's cached results. The extract stays pickled until asked for: a build that
    reuses the previous resolve results needs only its digest (``semantic``) and root id."""

    sha256: str
    diagnostics: list[Diagnostic]
    blob: bytes | None  # None: the file did not parse
    semantic: str = ""
    root_id: str = ""

    @classmethod
    def of(cls, found: FileExtract) -> CachedFile:
        """A fresh extract as the cache keeps it (pickled; findings and hash are kept beside it)."""
        return cls("", [], pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL), found.semantic, found.root_id)

    @property
    def parsed(self) -> bool:
        return self.blob is not None

    def load(self) -> FileExtract | None:
        """The extract, or None if the stored one cannot be read (or is refused)."""
        return _loads(self.blob) if self.blob is not None else None


def _stat_key(st: os.stat_result) -> str:
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


class CheckCache:
    """Per-file check results and extracts keyed by content hash (see the module docstring)."""

    def __init__(self, folder: Path, options: CheckOptions, root: Path, keys: dict[str, str] | None = None) -> None:
        from teipress.paths import code_version, data_dir

        h = hashlib.sha256(f"{code_version()}\0{SCHEMA_VERSION}\0{EXTRACT_VERSION}".encode())
        for spec in (options.schema, options.schema_engine, options.phase or "", str(options.project_rules)):
            h.update(spec.encode() + b"\0")
        h.update(json.dumps(keys or {}, sort_keys=True).encode())
        watched = [data_dir("schema"), data_dir("xslt") / "schematron", *options.rules]
        schema_file = Path(options.schema) if options.schema not in ("project", "tei-all", "none", "") else None
        if schema_file is not None:
            watched.append(schema_file if schema_file.is_absolute() else root / schema_file)
        for item in watched:
            for f in sorted([item] if item.is_file() else item.rglob("*") if item.is_dir() else []):
                if f.is_file():
                    h.update(f.name.encode() + hashlib.sha256(f.read_bytes()).digest())
        self.folder = folder
        self.path = folder / f"{h.hexdigest()[:24]}.sqlite"
        #: how many files the last :meth:`hashes` read (their stat signature had changed)
        self.rehashed = 0

    def _connect(self) -> sqlite3.Connection:
        self.folder.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists()
        db = sqlite3.connect(self.path, timeout=60)
        if fresh:
            self._forget_stale()
        db.execute("CREATE TABLE IF NOT EXISTS files "
                   "(sha TEXT PRIMARY KEY, diags TEXT, extract BLOB, semantic TEXT, root_id TEXT)")
        db.execute("CREATE TABLE IF NOT EXISTS stats (path TEXT PRIMARY KEY, stat TEXT, sha TEXT)")
        return db

    def _forget_stale(self) -> None:
        """Remove the databases of other options but the most recently used ones."""
        try:
            others = [(p.stat().st_mtime_ns, p) for p in self.folder.glob("*.sqlite") if p != self.path]
        except OSError:
            return
        for _, stale in sorted(others, reverse=True)[KEEP_DATABASES - 1:]:
            for path in (stale, stale.with_name(stale.name + "-journal")):
                with suppress(OSError):  # not ours to remove: it only takes disk space
                    path.unlink(missing_ok=True)

    def hashes(self, paths: Sequence[Path], kept: dict[str, tuple[str, str]] | None = None) -> dict[Path, str]:
        """The content hash of each readable file, read only when its stat signature changed.

        *kept*, the stat signatures and hashes of the previous call (a build session's),
        stands in for the database's table, and is brought up to date.
        """
        known = kept if kept is not None else {}
        if not known:
            try:
                with closing(self._connect()) as db:
                    known.update((p, (s, h)) for p, s, h in db.execute("SELECT path, stat, sha FROM stats"))
            except sqlite3.Error:
                pass
        out: dict[Path, str] = {}
        changed: list[tuple[str, str, str]] = []
        self.rehashed = 0
        for path in paths:
            try:
                sig = _stat_key(path.stat())
                prev = known.get(str(path))
                if prev is not None and prev[0] == sig:
                    out[path] = prev[1]
                    continue
                sha = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                continue
            out[path] = sha
            changed.append((str(path), sig, sha))
            self.rehashed += 1
        if changed:
            self._write(lambda db: db.executemany(
                "INSERT OR REPLACE INTO stats (path, stat, sha) VALUES (?, ?, ?)", changed))
        known.update((path, (sig, sha)) for path, sig, sha in changed)
        return out

    def get_many(self, shas: Iterable[str], displays: dict[str, str],
                 kept: dict[str, CachedFile] | None = None) -> dict[str, CachedFile]:
        """Cached results for the given hashes (misses are absent); *displays* names each
        hash's file in the findings.

        *kept*: results read before (a build session's), used for the hashes it holds
        (a result is named by the content it is about, so it never goes stale; its
        findings name the file they were read for: callers show them under the file's
        current name), and left holding exactly the results found now.
        """
        wanted = list(dict.fromkeys(shas))
        found: dict[str, CachedFile] = {}
        if kept:
            found = {sha: kept[sha] for sha in wanted if sha in kept}
            wanted = [sha for sha in wanted if sha not in found]
        try:
            found.update(self._read_many(wanted, displays))
        finally:
            if kept is not None:
                kept.clear()
                kept.update(found)
        return found

    def extract_blobs(self, shas: Sequence[str]) -> dict[str, bytes]:
        """The stored (pickled) extracts of *shas*; misses, and files that did not parse, are absent.

        For a process sent the hashes instead of the extracts (the build's resolve process,
        see :func:`teipress.check.runner.extracts_by_ref`): the build's own process then
        never pickles every extract of the corpus into one message, which both processes
        held while it was sent (synthetic 5k: 63 MB).
        """
        try:
            rows = self._rows("sha, extract", shas)
        except (sqlite3.Error, OSError):  # each file missed is extracted again from its source
            return {}
        return {sha: blob for sha, blob in rows if blob is not None}

    def _rows(self, columns: str, shas: Sequence[str]) -> list[tuple[Any, ...]]:
        """*columns* of the stored files of *shas* (a query per 500: SQLite's limit of parameters)."""
        rows: list[tuple[Any, ...]] = []
        with closing(self._connect()) as db:
            for i in range(0, len(shas), 500):
                chunk = shas[i:i + 500]
                rows.extend(db.execute(
                    f"SELECT {columns} FROM files WHERE sha IN ({','.join('?' * len(chunk))})", chunk))
        return rows

    def _read_many(self, wanted: list[str], displays: dict[str, str]) -> dict[str, CachedFile]:
        found: dict[str, CachedFile] = {}
        if not wanted:
            return found
        try:
            rows = self._rows("sha, diags, extract, semantic, root_id", wanted)
        except sqlite3.Error:
            return found
        for sha, diags, blob, semantic, root_id in rows:
            try:
                display = displays[sha]
                found[sha] = CachedFile(sha, [] if diags == "[]" else [  # most files: no findings
                    Diagnostic(display, r["line"], r["column"], r["code"], Severity(r["severity"]),
                               r["message"], r["help"], r["source"]) for r in json.loads(diags)],
                    blob, semantic or "", root_id or "")
            except (ValueError, KeyError, TypeError):
                continue
        return found

    def put_many(self, items: Iterable[tuple[str, Sequence[Diagnostic], FileExtract | CachedFile | None]]) -> None:
        """Store ``(content hash, findings, extract (or one already pickled) or None)`` per file."""
        rows = []
        for sha, diags, x in items:
            stored = CachedFile.of(x) if isinstance(x, FileExtract) else x
            rows.append((sha, json.dumps(as_dicts(diags)),
                         stored.blob if stored is not None else None,
                         stored.semantic if stored is not None else "", stored.root_id if stored is not None else ""))
        if rows:
            self._write(lambda db: db.executemany(
                "INSERT OR REPLACE INTO files (sha, diags, extract, semantic, root_id) VALUES (?, ?, ?, ?, ?)",
                rows))

    def prune(self, keep: Iterable[str]) -> None:
        """Drop results for contents no longer in the corpus once they outnumber the live ones."""
        live = set(keep)

        def action(db: sqlite3.Connection) -> None:
            (count,) = db.execute("SELECT COUNT(*) FROM files").fetchone()
            if count > 2 * len(live) + 100:
                stale = [(sha,) for (sha,) in db.execute("SELECT sha FROM files") if sha not in live]
                db.executemany("DELETE FROM files WHERE sha = ?", stale)
        self._write(action)

    def _write(self, action: Any) -> None:
        try:
            with closing(self._connect()) as db, db:
                action(db)
        except sqlite3.Error:
            pass  # a cache that cannot be written is only a slower next run
