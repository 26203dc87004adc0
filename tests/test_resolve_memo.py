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
