"""The resolve memo keeps its findings in buckets: a save rewrites only the buckets that changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from teipress.diagnostics import DiagnosticRow
from teipress.resolve.memo import BUCKETS, Memo, MemoStore, bucket_of


def _row(path: str, line: int) -> DiagnosticRow:
    return (path, line, 3, "X001", "error", f"dangling pointer on line {line}", "fix it", "xref")


def _findings(n: int) -> dict[str, list[DiagnosticRow]]:
    return {f"/corpus/doc-{i}.xml": [_row(f"doc-{i}.xml", line) for line in (1, 7)] for i in range(n)}


def _files(store: MemoStore) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in store.folder.glob("findings-*.marshal")}


def test_a_save_rewrites_only_the_buckets_whose_findings_changed(tmp_path: Path) -> None:
    """What a rebuild after an edit does: the memo loaded, one file's findings moved
    (Memo.findings_for drops that file's bucket from the kept ones), saved again."""
    import hashlib

    store = MemoStore(tmp_path / "resolve")
    register = store.folder / "register-x.xml"
    store.folder.mkdir(parents=True)
    register.write_bytes(b"<r/>")
    digest = hashlib.sha256(b"<r/>").hexdigest()
    named = store.folder / f"register-{digest}.xml"
    register.rename(named)
    findings = _findings(300)
    store.save(Memo("key", {}, findings, named, {}, "content"), {}, [])
    before = _files(store)
    assert 1 < len(before) <= BUCKETS

    memo = store.load("key")
    assert memo is not None and memo.findings == findings
    assert len(memo.kept_buckets) == len(before)
    edited = "/corpus/doc-17.xml"
    memo.findings[edited] = [_row("doc-17.xml", 2), _row("doc-17.xml", 8)]
    del memo.kept_buckets[bucket_of(edited)]
    store.save(memo, {}, [])

    after = _files(store)
    assert len(after) == len(before)
    assert len(set(after) - set(before)) == 1  # the edited file's bucket, under its new name
    assert {k: v for k, v in after.items() if k in before} == {k: before[k] for k in after if k in before}
    again = store.load("key")
    assert again is not None and again.findings == memo.findings


def test_the_register_is_hashed_again_only_when_it_is_not_the_file_saved(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A memo's register is trusted by inode, size and time when they are those it was saved
    with (hashing it cost every rebuild 0.025 s for the Escher letters); a register written
    since is hashed, and one whose bytes changed is a miss."""
    import hashlib
    import os

    store = MemoStore(tmp_path / "resolve")
    store.folder.mkdir(parents=True)
    data = b"<r:register/>"
    named = store.folder / f"register-{hashlib.sha256(data).hexdigest()}.xml"
    named.write_bytes(data)
    store.save(Memo("key", {}, _findings(3), named, {}, "content"), {}, [])
    real = hashlib.file_digest
    hashed: list[str] = []

    def counted(f: object, digest: str) -> object:
        hashed.append(digest)
        return real(f, digest)  # type: ignore[arg-type]

    monkeypatch.setattr(hashlib, "file_digest", counted)
    assert store.load("key") is not None and hashed == []
    named.write_bytes(data)  # the same bytes, written again: hashed, and still the register
    assert store.load("key") is not None and hashed == ["sha256"]
    st = named.stat()
    named.write_bytes(data.replace(b"register", b"registry"))
    os.utime(named, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    assert store.load("key") is None


def _saved(tmp_path: Path, findings: dict[str, list[DiagnosticRow]]) -> MemoStore:
    import hashlib

    store = MemoStore(tmp_path / "resolve")
    store.folder.mkdir(parents=True)
    named = store.folder / f"register-{hashlib.sha256(b'<r/>').hexdigest()}.xml"
    named.write_bytes(b"<r/>")
    store.save(Memo("key", {path: "sha" for path in findings}, findings, named, {}, "content"), {}, [])
    return store


def test_a_memo_loaded_with_its_findings_later_reads_no_bucket_until_asked(tmp_path: Path) -> None:
    """The index holds each bucket's summary: counts per code and severity, the first
    findings per code in place order, the files with errors. Loaded with its findings
    later, a memo reads no bucket; its deferred findings count and show from the
    summaries and, once loaded, are the findings saved. A summary of another shape
    has its bucket read at once."""
    import marshal

    from teipress.diagnostics import Severity
    from teipress.resolve.memo import HEAD, MEMO_FILE

    findings = _findings(300)
    findings["/corpus/doc-5.xml"].append(("doc-5.xml", 9, 1, "X102", "warning", "unused", None, "xref"))
    store = _saved(tmp_path, findings)
    memo = store.load("key", findings_later=True)
    assert memo is not None and memo.findings == {} and memo.unread == set(memo.kept_buckets)
    files = {path: type("X", (), {"sha256": "sha", "display": path.rsplit("/", 1)[1]})() for path in findings}
    both = memo.findings_deferred(files, {})  # type: ignore[arg-type]
    assert both is not None
    read, deferred = both
    assert read == [] and deferred is not None
    assert deferred.count(Severity.ERROR) == 600 and deferred.count(Severity.WARNING) == 1
    assert deferred.by_code() == {"X001": 600, "X102": 1}
    assert deferred.error_paths() == {f"doc-{i}.xml" for i in range(300)}
    assert len([d for d in deferred.heads if d.code == "X001"]) <= HEAD * len(memo.kept_buckets)
    every = sorted(d.as_row() for d in deferred.load())
    assert every == sorted(row for rows in findings.values() for row in rows)
    first = min(every)
    assert any(d.as_row() == first for d in deferred.heads)  # the first by place is among the heads
    deferred.warnings_as_errors = True
    assert deferred.count(Severity.ERROR) == 601 and deferred.count(Severity.WARNING) == 0

    data = marshal.loads((store.folder / MEMO_FILE).read_bytes())
    damaged = next(n for n, name in enumerate(data["buckets"]) if name)
    original = data["summaries"][damaged]
    for summary in (("not", "a", "summary"), ({("X001", "catastrophic"): 2}, [], {}, [])):
        data["summaries"][damaged] = summary
        (store.folder / MEMO_FILE).write_bytes(marshal.dumps(data))
        memo = store.load("key", findings_later=True)
        assert memo is not None and memo.unread == set(memo.kept_buckets) - {damaged}
        assert memo.findings and all(bucket_of(path) == damaged for path in memo.findings)
    # a head of a severity no version writes: a miss, as a bucket's finding would be
    counts, heads, paths, positional = original
    data["summaries"][damaged] = (counts, [(*heads[0][:4], "catastrophic", *heads[0][5:])], paths, positional)
    (store.folder / MEMO_FILE).write_bytes(marshal.dumps(data))
    memo = store.load("key", findings_later=True)
    assert memo is not None and memo.findings_deferred(files, {}) is None  # type: ignore[arg-type]


def test_a_deferred_finding_that_quotes_an_edited_files_position_is_a_miss(tmp_path: Path) -> None:
    """A duplicate id's finding quotes the other file's position, so it cannot be moved
    when that file changes: the memo is a miss, read or deferred (its summary keeps such
    findings whole)."""
    quoting, edited = "/corpus/doc-1.xml", "/corpus/doc-2.xml"
    assert bucket_of(quoting) != bucket_of(edited)

    def memo_for(other: str) -> Memo:
        row = ("doc-1.xml", 4, 2, "X002", "error", f"id 'p1' also at {other}:3:1", None, "xref")
        store = _saved(tmp_path / other, {quoting: [row]})
        memo = store.load("key", findings_later=True)
        assert memo is not None
        memo.shas[edited] = "old"
        return memo

    files = {quoting: type("X", (), {"sha256": "sha", "display": "doc-1.xml"})(),
             edited: type("X", (), {"sha256": "new", "display": "doc-2.xml"})()}
    assert memo_for("doc-2.xml").findings_deferred(files, {}) is None  # type: ignore[arg-type]
    kept = memo_for("doc-9.xml").findings_deferred(files, {})  # type: ignore[arg-type]
    assert kept is not None and kept[1] is not None and kept[1].by_code() == {"X002": 1}
