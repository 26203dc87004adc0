"""The last build's resolve results, reused when no file changed in a way the resolve phase sees.

Resolving a corpus (the corpus model, the cross-reference checks, the register
and the per-document keys made from it) costs seconds for thousands of
letters, and an editor's typical save changes none of its results: fixing a
word moves the columns, often the lines, of the elements after it and nothing
else. Every extract carries a digest of its content without positions
(:meth:`FileExtract.semantic_digest`); the memo is keyed on those digests
(with the paths, document ids, configuration and teipress version) and holds:

* the cross-reference findings, each tied to the element it is about, so
  their line and column are taken from the current extract on reuse;
* the register XML as that run wrote it: the documents' content hashes and
  the mention and event line numbers in it are those of the run that made it
  (no stylesheet and no dependency key reads them; a rebuild after an edit
  then neither reads nor writes the register, 27 MB for the Escher letters);
* whatever digests the build's key computations put in (per-document
  register parts, the edition pages' digests).

Findings about duplicate ids quote both positions in their message; a change
to a file with such a finding is not reused (the memo is a miss). One memo is
kept (the latest): a marshal file, the findings in buckets beside it and the
register, each written atomically; a memo that cannot be read is a miss.

The findings are kept in :data:`BUCKETS` files, each holding the findings of the
files whose path falls in it and named by the hash of its content: a rebuild
after an edit rewrites the edited file's bucket and the small index, not every
finding (27 MB of them for the Escher letters, 0.15 s to write). The index holds
a summary of each bucket (:func:`summarize`: counts, the first findings of each
code, the files with errors), from which a rebuild whose report shows a few
findings per code counts and shows the findings of the buckets an edit left
alone without reading them (:meth:`Memo.findings_deferred`).
"""

from __future__ import annotations

import hashlib
import heapq
import json
import marshal
import os
import re
import zlib
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

import orjson

from teipress import paths
from teipress.atomic import write_atomic
from teipress.config import Config
from teipress.diagnostics import (
    PLACE,
    DeferredFindings,
    Diagnostic,
    DiagnosticRow,
    JsonParts,
    Severity,
    as_dicts,
    from_rows,
)
from teipress.resolve.corpus import Extracted
from teipress.resolve.extract import EXTRACT_VERSION, FileExtract

if TYPE_CHECKING:  # the register module is not needed to read a memo
    from teipress.resolve.register import Register

MEMO_VERSION = "6"
#: The memo: ``marshal`` of plain values (strings, numbers, tuples, lists, dicts), about
#: ten times faster to write and read than JSON for the 90,000 findings of the Escher
#: letters; unlike pickle it cannot name a class or a function to call, and what is
#: read is checked for shape before use.
MEMO_FILE = "memo.marshal"
#: Buckets of findings (see the module docstring); a bucket's file is ``findings-<hash>.marshal``.
BUCKETS = 64
#: The shape of the kept JSON of findings (:func:`json_parts`), in its files' names: a
#: file of another shape is never read (a build makes its JSON only when no file has the name)
JSON_FORMAT = "2"
_BUCKET_NAME = re.compile(r"[0-9a-f]{32}")
#: per file path, the findings about it (each as :meth:`Diagnostic.as_row`)
Findings = dict[str, list[DiagnosticRow]]
#: Per rule code, how many of a bucket's first findings (in place order) its summary holds:
#: the most a build's text report shows per code without reading the buckets
#: (``--max-per-rule``, 20 by default)
HEAD = 20
#: What the memo's index keeps of a bucket (:func:`summarize`): per (code, severity) how
#: many findings; per code its first :data:`HEAD` rows in place order; per severity the
#: paths (as findings show them) with such a finding; the rows whose message quotes a
#: position (see _POSITIONAL)
Summary = tuple[dict[tuple[str, str], int], list[DiagnosticRow], dict[str, list[str]], list[DiagnosticRow]]


def bucket_of(path: str) -> int:
    """The bucket of a file's findings: fixed by its path, the same in every build."""
    return zlib.crc32(path.encode("utf-8", "surrogateescape")) % BUCKETS


def _bucket_file(folder: Path, name: str) -> Path:
    return folder / f"findings-{name}.marshal"


def _json_file(folder: Path, name: str) -> Path:
    """Where a bucket's findings are kept as a JSON summary lists them (:func:`json_parts`)."""
    return folder / f"json-{JSON_FORMAT}-{name}.marshal"


def json_parts(bucket: Findings) -> JsonParts:
    """A bucket's findings as a JSON summary lists them (see :data:`JsonParts`): a rebuild's
    summary joins the JSON of the files an edit left alone, made when their bucket was
    written, instead of reading and encoding their findings again (the Escher letters:
    85,000 findings, 44 MB of JSON).

    Each file's objects are kept joined, their places and ends apart: a rebuild reads
    about 5,000 pieces instead of 85,000 objects and their places (0.17 s of an Escher
    rebuild, most of what its JSON summary cost), and splits only the edited files' JSON.
    """
    parts: JsonParts = {}
    for rows in bucket.values():
        if rows:
            ordered = sorted(rows, key=PLACE)  # stable: ties keep the memo's order, as a sort of all would
            objects = [orjson.dumps(d) for d in as_dicts(from_rows(ordered))]
            ends = list(accumulate(len(obj) + 1 for obj in objects))
            places = [(row[1], row[2], row[3]) for row in ordered]
            parts[ordered[0][0]] = (b",".join(objects), marshal.dumps((places, ends)))
    return parts


#: (bucket name, path) -> the findings made of that bucket's rows for the path, and
#: whether one of them quotes a position (see Memo.findings_for)
MadeFindings = dict[tuple[str, str], tuple[list[Diagnostic], bool]]
#: The severities a summary counts (its counts are checked for them as they are read)
_SEVERITY_VALUES = frozenset(s.value for s in Severity)
#: Findings whose message quotes a position (so they cannot be moved).
_POSITIONAL = frozenset({"X002"})


def memo_key(config: Config, docs: list[Extracted], auths: list[Extracted]) -> str:
    """What the resolve phase's results depend on, positions aside."""
    h = hashlib.sha256(f"{paths.code_version()}\0{EXTRACT_VERSION}\0{MEMO_VERSION}\0".encode())
    h.update(json.dumps(config.raw, sort_keys=True, default=str).encode())
    for role, items in (("d", docs), ("a", auths)):
        for x in items:
            h.update(f"\0{role}\0{x.path}\0{x.doc_id}\0{x.semantic}".encode())
    return h.hexdigest()


def summarize(groups: Findings) -> Summary:
    """The summary of a bucket holding *groups* (see :data:`Summary`)."""
    counts: dict[tuple[str, str], int] = {}
    by_code: dict[str, list[DiagnosticRow]] = {}
    paths: dict[str, set[str]] = {}
    positional: list[DiagnosticRow] = []
    for rows in groups.values():
        for row in rows:
            key = (row[3], row[4])
            counts[key] = counts.get(key, 0) + 1
            by_code.setdefault(row[3], []).append(row)
            paths.setdefault(row[4], set()).add(row[0])
            if row[3] in _POSITIONAL:
                positional.append(row)
    heads = [row for code in sorted(by_code) for row in heapq.nsmallest(HEAD, by_code[code], key=PLACE)]
    return counts, heads, {severity: sorted(found) for severity, found in paths.items()}, positional


def _summary_ok(summary: object) -> bool:
    """Whether *summary* is of the shape :func:`summarize` makes (read from a file)."""
    if not (type(summary) is tuple and len(summary) == 4):
        return False
    counts, heads, paths, positional = summary
    return (isinstance(counts, dict) and all(type(k) is tuple and len(k) == 2 and k[1] in _SEVERITY_VALUES
                                             and type(v) is int for k, v in counts.items())
            and isinstance(heads, list) and all(type(row) is tuple and len(row) == 8 for row in heads)
            and isinstance(paths, dict) and all(isinstance(v, list) for v in paths.values())
            and isinstance(positional, list) and all(type(row) is tuple and len(row) == 8 for row in positional))


def _positions(x: FileExtract) -> list[tuple[int, int]]:
    """Start positions of the elements findings can be about, in a fixed order."""
    return [(n.line, n.col) for n in x.nodes] + [(e.line, e.col) for e in x.entries]


@dataclass
class Memo:
    """One build's resolve results (see the module docstring)."""

    key: str
    shas: dict[str, str]  # path -> content hash when the results were made
    findings: Findings
    #: the register, or the file in the store that holds it (always, for a memo loaded)
    register_xml: bytes | Path
    digests: dict[str, str] = field(default_factory=dict)
    #: the register's digest without its build stamp (see register_digest); "" if not known
    #: (never for a memo loaded)
    register_content: str = ""
    #: bucket -> the name of its file, for the buckets of a memo loaded whose findings
    #: have not changed since (:meth:`findings_for` drops those it changes)
    kept_buckets: dict[int, str] = field(default_factory=dict)
    #: bucket -> its summary (see :func:`summarize`), for the buckets of a memo loaded
    summaries: dict[int, Summary] = field(default_factory=dict)
    #: where the buckets not read yet are (a memo loaded without its findings: see
    #: :meth:`MemoStore.load`); :attr:`findings` holds the buckets read
    folder: Path | None = None
    unread: set[int] = field(default_factory=set)

    def findings_deferred(self, files: dict[str, Extracted], old: dict[str, FileExtract]
                          ) -> tuple[list[Diagnostic], DeferredFindings | None] | None:
        """:meth:`findings_for`, reading only the buckets of the files whose content
        changed (a memo loaded without its findings); the other buckets' findings are
        deferred: counted and sampled from their summaries, read only if a caller needs
        every one. None where :meth:`findings_for` gives None."""
        changed_paths = {p for p, x in files.items() if x.sha256 != self.shas.get(p)}
        changed = [files[p].display for p in changed_paths]
        try:
            self._read({bucket_of(p) for p in changed_paths} & self.unread)
        except (OSError, ValueError):  # a bucket removed or damaged since the memo was read
            return None
        for n in self.unread:  # a finding that quotes a changed file's position cannot move
            if changed and any(any(shown in row[5] for shown in changed) for row in self.summaries[n][3]):
                return None
        findings = self.findings_for(files, old)
        if findings is None:
            return None
        if not self.unread:
            return findings, None
        try:
            return findings, self._deferred(sorted(self.unread))
        except (KeyError, ValueError):  # a head of another shape: a severity no version writes
            return None

    def _read(self, buckets: set[int]) -> None:
        """Read *buckets* into :attr:`findings` (``ValueError`` if one is not a bucket)."""
        for n in sorted(buckets):
            self.findings.update(_read_bucket(self._bucket_path(n)))
            self.unread.discard(n)

    def _bucket_path(self, n: int) -> Path:
        assert self.folder is not None
        return _bucket_file(self.folder, self.kept_buckets[n])

    def _deferred(self, buckets: list[int]) -> DeferredFindings:
        counts: dict[tuple[str, str], int] = {}
        heads: list[DiagnosticRow] = []
        paths: dict[str, set[str]] = {}
        for n in buckets:
            bucket_counts, bucket_heads, bucket_paths, _ = self.summaries[n]
            for key, count in bucket_counts.items():
                counts[key] = counts.get(key, 0) + count
            heads.extend(bucket_heads)
            for severity, found in bucket_paths.items():
                paths.setdefault(severity, set()).update(found)
        files = [self._bucket_path(n) for n in buckets]
        assert self.folder is not None
        json_files = [_json_file(self.folder, self.kept_buckets[n]) for n in buckets]

        def load() -> list[Diagnostic]:
            # the buckets are the memo's as it was loaded: a build keeps them (their names
            # stay in the index it saves), and a later build removes them only once a new
            # memo no longer names them
            return [d for path in files for rows in _read_bucket(path).values() for d in from_rows(rows)]

        def load_json() -> JsonParts:
            parts: JsonParts = {}
            for path in json_files:
                parts.update(_read_json(path))
            return parts

        return DeferredFindings(counts, from_rows(heads), HEAD,
                                {severity: frozenset(found) for severity, found in paths.items()}, load, load_json)

    def findings_for(self, files: dict[str, Extracted], old: dict[str, FileExtract],
                     made: MadeFindings | None = None) -> list[Diagnostic] | None:
        """The findings with positions of the current files (*old*: the extracts the
        memo was made from, for files whose content changed); None if one cannot move,
        or if one is not of the shape this version writes (checked here, as each is
        read: a separate pass over 85,000 findings cost a rebuild 0.05 s). The memo's own
        findings are then those rows at the current positions, ready to be saved again
        without converting every diagnostic back (:meth:`MemoStore.save`).

        *made* (a build session's): the findings of unchanged files as the last call made
        them, by bucket name and path (a bucket's name is its content's hash), used
        instead of making them again, and left holding those made now."""
        changed_paths = {p for p, x in files.items() if x.sha256 != self.shas.get(p)}
        changed = [files[p].display for p in changed_paths]
        out: list[Diagnostic] = []
        moved_rows: Findings = {}
        kept_now: MadeFindings = {}
        try:
            for path, rows in self.findings.items():
                if type(rows) is not list:
                    return None
                if path not in changed_paths:
                    bucket = self.kept_buckets.get(bucket_of(path)) if made is not None else None
                    found = made.get((bucket, path)) if made is not None and bucket else None
                    if found is None:
                        if not all(type(row) is tuple for row in rows):
                            return None
                        found = (from_rows(rows), any(row[3] in _POSITIONAL for row in rows))
                    if found[1] and changed and any(
                            row[3] in _POSITIONAL and any(shown in row[5] for shown in changed) for row in rows):
                        return None
                    out.extend(found[0])
                    if bucket:
                        kept_now[(bucket, path)] = found
                    continue
                if path not in old:
                    return None
                before, now = _positions(old[path]), _positions(files[path].extract)
                if len(before) != len(now):
                    return None
                table = dict(zip(before, now, strict=True))
                moved: list[DiagnosticRow] = []
                for row in rows:
                    if type(row) is not tuple or row[3] in _POSITIONAL:
                        return None
                    at = table.get((row[1], row[2]))
                    if at is None:
                        return None
                    moved.append((row[0], at[0], at[1], *row[3:]))
                out.extend(from_rows(moved))
                moved_rows[path] = moved
        except (ValueError, TypeError, KeyError, IndexError):  # another shape, or a severity no version writes
            return None
        self.findings.update(moved_rows)
        for path in moved_rows:  # their buckets are written again
            self.kept_buckets.pop(bucket_of(path), None)
        if made is not None:
            made.clear()
            made.update(kept_now)
        return out


class MemoStore:
    """Where the latest memo lives (``.teipress-cache/resolve``)."""

    def __init__(self, folder: Path, buckets: dict[str, Findings] | None = None) -> None:
        self.folder = folder
        #: buckets read before, by name (a build session's): a name is its content's hash,
        #: so one kept is never stale; left holding those of the memo loaded last
        self.buckets = buckets

    def _latest(self) -> dict[str, Any] | None:
        """The memo file as this version writes it, whatever corpus it was made for."""
        try:
            data = marshal.loads((self.folder / MEMO_FILE).read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return None
        return data if isinstance(data, dict) and data.get("version") == MEMO_VERSION else None

    def load(self, key: str, findings_later: bool = False) -> Memo | None:
        """The memo made for *key*, or None. *findings_later*: the findings' buckets are
        not read yet, only their summaries (see :meth:`Memo.findings_deferred`)."""
        data = self._latest()
        if data is None or data.get("key") != key:
            return None
        try:
            shas, buckets, digests = data["shas"], data["buckets"], data["digests"]
            summaries = data["summaries"]
            if not (_str_dict(shas) and _str_dict(digests) and isinstance(buckets, list)
                    and len(buckets) == BUCKETS and isinstance(summaries, list) and len(summaries) == BUCKETS):
                return None
            findings: Findings = {}
            kept: dict[int, str] = {}
            read: dict[str, Findings] = {}
            summary_of: dict[int, Summary] = {}
            unread: set[int] = set()
            for n, name in enumerate(buckets):
                if name == "":
                    continue
                if not (isinstance(name, str) and _BUCKET_NAME.fullmatch(name)):
                    return None
                kept[n] = name
                if _summary_ok(summaries[n]):
                    summary_of[n] = summaries[n]
                if findings_later and n in summary_of:
                    unread.add(n)
                    continue
                bucket = self.buckets.get(name) if self.buckets is not None else None
                if bucket is None:
                    bucket = marshal.loads(_bucket_file(self.folder, name).read_bytes())
                # each finding's shape is checked as it is read (Memo.findings_for)
                if not isinstance(bucket, dict):
                    return None
                findings.update(bucket)
                read[name] = bucket
            register = self.folder / f"register-{data['register']}.xml"
            # Checked against the hash it is named by, unless it is the very file the memo
            # was saved with (inode, size, modification time): hashing the register took
            # 0.025 s of each rebuild for the Escher letters, 0.25 s for 10,000 documents.
            st = register.stat()
            if data.get("register_stat") != [st.st_ino, st.st_size, st.st_mtime_ns]:
                with register.open("rb") as f:  # checked without holding it
                    if hashlib.file_digest(f, "sha256").hexdigest() != data["register"]:
                        return None
            content = data["content"]
            if not (isinstance(content, str) and content):
                return None
            if self.buckets is not None:
                self.buckets.clear()
                self.buckets.update(read)
            return Memo(key, shas, findings, register, digests, content, kept, summary_of, self.folder, unread)
        except (OSError, ValueError, KeyError, TypeError, EOFError):
            return None

    def last_shas(self) -> dict[str, str]:
        """Path -> content hash of every file as the latest memo saw it, whatever the corpus
        it was made for ({} without a readable memo): what the last build that resolved
        published."""
        shas = (self._latest() or {}).get("shas")
        return cast(dict[str, str], shas) if _str_dict(shas) else {}

    def write_register(self, register: Register) -> tuple[Path, str] | None:
        """Write *register* into the store record by record (:meth:`Register.write_xml`):
        see :meth:`_store`. Never held whole: the register of 10,000 synthetic documents
        is about 300 MB, and its bytes in memory, then their copy, were the resolve
        process's peak."""
        return self._store(register.write_xml)

    def keep_register(self, xml: bytes) -> tuple[Path, str] | None:
        """The register *xml* in the store (one that could not be streamed there): see :meth:`_store`."""
        return self._store(lambda out: out.write(xml))

    def _store(self, write: Callable[[_HashingWriter], object]) -> tuple[Path, str] | None:
        """A register in the store, as *write* gives it to a file: the file, named by its
        hash, for render workers to read, and the hash without the build stamp (see
        :func:`register_digest`); None if the cache cannot be written. Written under a
        temporary name and renamed, so a killed build leaves no half register."""
        tmp = self.folder / f"{_REGISTER_TMP}{os.getpid()}.tmp"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tmp.open("wb") as f:
                out = _HashingWriter(f)
                write(out)
            path = self.folder / f"register-{out.whole.hexdigest()}.xml"
            os.replace(tmp, path)
        except OSError:
            return None
        finally:
            with suppress(OSError):  # renamed already, or not to be used
                tmp.unlink(missing_ok=True)
        return path, out.content.hexdigest()

    def save(self, memo: Memo, by_display: dict[str, str], findings: list[Diagnostic], json: bool = False) -> None:
        """Keep *memo*: its findings are *memo.findings* if it has some (a memo reused,
        see :meth:`Memo.findings_for`), else *findings*, each tied to its file through
        *by_display* (the name findings show -> the file's path). Buckets the memo
        kept are not written again."""
        groups = memo.findings
        if not groups and findings:
            groups = {}
            for d in findings:
                path = by_display.get(d.path, "")
                if not path:
                    return  # a finding not about a file of the corpus cannot be moved: no memo
                groups.setdefault(path, []).append(d.as_row())
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if isinstance(memo.register_xml, bytes):
                kept = self.keep_register(memo.register_xml)
                if kept is None:
                    return
                reg = kept[0]
            else:
                reg = memo.register_xml
            names, summaries = self._write_buckets(groups, memo.kept_buckets, memo.summaries, json)
            digest = reg.stem.removeprefix("register-")
            st = reg.stat()
            payload = {"version": MEMO_VERSION, "key": memo.key, "shas": memo.shas, "buckets": names,
                       "register": digest, "register_stat": [st.st_ino, st.st_size, st.st_mtime_ns],
                       "content": memo.register_content, "digests": memo.digests,
                       "summaries": summaries}
            write_atomic(self.folder / MEMO_FILE, marshal.dumps(payload), sync=False)
            for stale in self.folder.glob("register-*.xml"):
                if stale != reg:
                    stale.unlink(missing_ok=True)
            current = {f(self.folder, name).name for name in names if name for f in (_bucket_file, _json_file)}
            for stale in [*self.folder.glob("findings-*.marshal"), *self.folder.glob("json-*.marshal")]:
                if stale.name not in current:
                    stale.unlink(missing_ok=True)
            for tmp in self.folder.glob(f"{_REGISTER_TMP}*.tmp"):  # of a build killed while writing
                if tmp.name != f"{_REGISTER_TMP}{os.getpid()}.tmp":
                    tmp.unlink(missing_ok=True)
        except (OSError, ValueError):  # ValueError: a kept bucket damaged since it was read
            pass  # a memo that cannot be kept only makes the next build slower

    def _write_buckets(self, groups: Findings, kept: dict[int, str], summaries: dict[int, Summary],
                       json: bool = False) -> tuple[list[str], list[Summary | None]]:
        """The name of each bucket's file ("" for an empty bucket) and its summary: a kept
        one's as it is, the others' written (unless a file of that content is there
        already). With *json*, each bucket's JSON too (:meth:`_keep_json`)."""
        paths: list[list[str]] = [[] for _ in range(BUCKETS)]
        for path in groups:
            paths[bucket_of(path)].append(path)
        names: list[str] = []
        made: list[Summary | None] = []
        for n, members in enumerate(paths):
            name = kept.get(n)
            if name is not None and _bucket_file(self.folder, name).is_file():
                summary = summaries.get(n)
                if summary is None:  # its summary in the index was not of the shape this version writes
                    summary = summarize(_read_bucket(_bucket_file(self.folder, name)))
                if json:
                    self._keep_json(name)
                names.append(name)
                made.append(summary)
                continue
            if not members:
                names.append("")
                made.append(None)
                continue
            bucket = {path: groups[path] for path in sorted(members)}
            data = marshal.dumps(bucket)
            name = hashlib.sha256(data).hexdigest()[:32]
            target = _bucket_file(self.folder, name)
            if not target.is_file():
                write_atomic(target, data, sync=False)
            if json:
                self._keep_json(name, bucket)
            names.append(name)
            made.append(summarize(bucket))
        return names, made

    def _keep_json(self, name: str, bucket: Findings | None = None) -> None:
        """Write the JSON of bucket *name* (:func:`json_parts`) unless it is there already;
        made from *bucket*, or (a bucket kept from a memo that has no JSON of it) from the
        bucket's file. Only builds that write a JSON summary keep it, the only ones that
        read it: encoding the Escher letters' 85,000 findings costs 0.15-0.3 s of CPU,
        which a build with a text summary would spend for nothing."""
        target = _json_file(self.folder, name)
        if not target.is_file():
            found = bucket if bucket is not None else _read_bucket(_bucket_file(self.folder, name))
            write_atomic(target, marshal.dumps(json_parts(found)), sync=False)


def _read_json(path: Path) -> JsonParts:
    """A bucket's findings as JSON (:func:`json_parts`) from its file (``OSError``;
    ``ValueError`` for another shape)."""
    try:
        part = marshal.loads(path.read_bytes())
    except (EOFError, TypeError) as exc:
        raise ValueError(f"{path}: not the JSON of a bucket") from exc
    if not (isinstance(part, dict) and all(
            type(v) is tuple and len(v) == 2 and type(v[0]) is bytes and type(v[1]) is bytes
            for v in part.values())):
        raise ValueError(f"{path}: not the JSON of a bucket")
    return part


def _read_bucket(path: Path) -> Findings:
    """A bucket's findings from its file (``OSError``; ``ValueError`` for another shape)."""
    try:
        bucket = marshal.loads(path.read_bytes())
    except (EOFError, TypeError) as exc:
        raise ValueError(f"{path}: not a bucket of findings") from exc
    if not (isinstance(bucket, dict) and all(type(rows) is list and all(type(row) is tuple for row in rows)
                                             for rows in bucket.values())):
        raise ValueError(f"{path}: not a bucket of findings")
    return bucket


#: Name of a register being written (then renamed to ``register-<hash>.xml``), before the pid.
_REGISTER_TMP = ".register."
#: The register's build stamp: when, not what (see register_digest).
_STAMP = re.compile(rb' built="[^"]*"')


def register_digest(register_xml: bytes) -> str:
    """Hash of the register without its build timestamp (which says nothing about content)."""
    h = hashlib.sha256()
    _update_unstamped(h, register_xml)
    return h.hexdigest()


def _update_unstamped(h: hashlib._Hash, data: bytes) -> bool:
    """Hash *data* but its first build stamp; True if it had one. Hashed around the stamp,
    not over a copy without it: a register can be hundreds of MB."""
    stamp = _STAMP.search(data)
    if stamp is None:
        h.update(data)
        return False
    view = memoryview(data)
    h.update(view[:stamp.start()])
    h.update(view[stamp.end():])
    return True


class _HashingWriter:
    """A binary file that hashes what it is given: whole, and (the digest of
    :func:`register_digest`) without the build stamp, which the register writer
    puts in its first piece (the root's start tag)."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.whole = hashlib.sha256()
        self.content = hashlib.sha256()
        self._stamp_seen = False

    def write(self, data: bytes) -> int:
        self.f.write(data)
        self.whole.update(data)
        if self._stamp_seen:
            self.content.update(data)
        else:
            self._stamp_seen = _update_unstamped(self.content, data)
        return len(data)


def _str_dict(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())

