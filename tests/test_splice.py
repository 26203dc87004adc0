"""Joined files copy their unchanged parts from the previous file (teipress.splice).

A part counts as unchanged when its file has the inode, size and modification time
recorded. The tests prove a copy happened by rewriting a part in place while keeping
those three (something a build never does): the joined file then still holds the old
bytes, which only the previous file had.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from teipress import splice
from teipress.splice import Part, Previous, Spans, join_into, signature


def _gap(data: bytes) -> bytes:
    return b"|" + data if data else b""


def write(folder: Path, name: str, pieces: list[bytes | Part], previous: Previous | None = None) -> Path:
    path = folder / name
    with open(path, "xb") as out:
        parts = join_into(out, pieces, os.fspath(folder), previous)
    (folder / f"{name}.spans").write_bytes(Spans(signature(os.stat(path)), parts).to_bytes())
    return path


def rewrite_in_place(path: Path, data: bytes) -> None:
    """Change a file's bytes keeping its inode, size and modification time."""
    st = path.stat()
    assert len(data) == st.st_size
    with open(path, "r+b") as f:
        f.write(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert signature(path.stat()) == signature(st)


@pytest.fixture()
def parts(tmp_path: Path) -> Path:
    folder = tmp_path / "fmt"
    folder.mkdir()
    for name, text in (("a", b"alpha"), ("b", b"beta"), ("c", b"gamma"), ("d", b"")):
        (folder / f"{name}.txt").write_bytes(text)
    return folder


def pieces_of(folder: Path, names: str = "abcd") -> list[bytes | Part]:
    return [b"[", *(Part(os.fspath(folder / f"{n}.txt"), _gap, "gap") for n in names), b"]"]


def previous(old: Path) -> Previous:
    return Previous(os.fspath(old), os.fspath(old) + ".spans")


def test_a_first_join_writes_every_part_and_records_where(parts: Path) -> None:
    out = write(parts, "one", pieces_of(parts))
    data = out.read_bytes()
    assert data == b"[|alpha|beta|gamma]"
    spans = Spans.from_bytes((parts / "one.spans").read_bytes())
    assert spans is not None and spans.file == signature(out.stat())
    assert set(spans.parts) == {"a.txt", "b.txt", "c.txt", "d.txt"}  # named relative to the folder
    for name, (_sig, form, at, n) in spans.parts.items():
        assert form == "gap" and data[at:at + n] == _gap((parts / name).read_bytes())


def test_unchanged_parts_are_copied_and_changed_ones_read(parts: Path) -> None:
    old = write(parts, "one", pieces_of(parts))
    # b is a new file (as a build writes an edited document's part); a is rewritten in place
    (parts / "b.txt").unlink()
    (parts / "b.txt").write_bytes(b"BETA, longer")
    rewrite_in_place(parts / "a.txt", b"ALPHA")
    new = write(parts, "two", pieces_of(parts), previous(old))
    assert new.read_bytes() == b"[|alpha|BETA, longer|gamma]"  # a copied (old bytes), b read


def test_nothing_is_copied_from_a_previous_file_changed_since_its_spans(parts: Path) -> None:
    old = write(parts, "one", pieces_of(parts))
    rewrite_in_place(parts / "a.txt", b"ALPHA")
    old.write_bytes(old.read_bytes())  # same bytes, another modification time: the spans do not hold
    new = write(parts, "two", pieces_of(parts), previous(old))
    assert new.read_bytes() == b"[|ALPHA|beta|gamma]"


@pytest.mark.parametrize("spoil", ["form", "spans", "version", "missing spans", "missing file"])
def test_anything_doubtful_means_reading_the_parts(parts: Path, spoil: str) -> None:
    old = write(parts, "one", pieces_of(parts))
    rewrite_in_place(parts / "a.txt", b"ALPHA")
    pieces = pieces_of(parts)
    if spoil == "form":  # the same file joined another way
        pieces[1] = Part(os.fspath(parts / "a.txt"), _gap, "other")
    elif spoil == "spans":
        (parts / "one.spans").write_bytes(b"{not json")
    elif spoil == "version":
        data = (parts / "one.spans").read_bytes()
        (parts / "one.spans").write_bytes(data.replace(b'"version":1', b'"version":99'))
    elif spoil == "missing spans":
        (parts / "one.spans").unlink()
    else:
        old.unlink()
    new = write(parts, "two", pieces, previous(old))
    assert new.read_bytes() == b"[|ALPHA|beta|gamma]"


def test_a_missing_part_is_made_by_its_fallback_and_not_recorded(parts: Path) -> None:
    pieces = [*pieces_of(parts, "ab")[:-1], Part(os.fspath(parts / "gone.txt"), _gap, "gap", otherwise=lambda: b"made")]
    out = write(parts, "one", pieces)
    assert out.read_bytes() == b"[|alpha|beta|made"
    spans = Spans.from_bytes((parts / "one.spans").read_bytes())
    assert spans is not None and "gone.txt" not in spans.parts


def test_runs_are_copied_without_copy_file_range(parts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another filesystem or system: the previous file's ranges are read instead."""
    old = write(parts, "one", pieces_of(parts))
    rewrite_in_place(parts / "c.txt", b"GAMMA")

    def refuse(*args: object) -> int:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", refuse, raising=False)
    new = write(parts, "two", pieces_of(parts), previous(old))
    assert new.read_bytes() == b"[|alpha|beta|gamma]"


def test_consecutive_unchanged_parts_are_one_copy(parts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = write(parts, "one", pieces_of(parts))
    (parts / "c.txt").unlink()
    (parts / "c.txt").write_bytes(b"new")
    copies: list[int] = []
    real = splice._Run.flush

    def counted(run: splice._Run) -> None:
        if run._length:
            copies.append(run._length)
        real(run)

    monkeypatch.setattr(splice._Run, "flush", counted)
    new = write(parts, "two", pieces_of(parts), previous(old))
    assert new.read_bytes() == b"[|alpha|beta|new]"
    assert copies == [len(b"|alpha|beta")]


def test_parts_in_a_row_join_as_a_part_each(parts: Path) -> None:
    """A run of parts given as one piece (``Parts``) is joined, recorded, copied and
    separated as the same parts given one by one; a missing one's fallback gets its path."""
    from teipress.splice import Parts, resolved, separated

    paths = [os.fspath(parts / f"{n}.txt") for n in "abcd"] + [os.fspath(parts / "gone.txt")]

    def made(path: str) -> bytes:
        return b"made " + os.path.basename(path).encode()

    one_by_one = [b"[", *(Part(p, _gap, "gap", otherwise=lambda p=p: made(p)) for p in paths), b"]"]
    as_run = [b"[", Parts(paths, _gap, "gap", otherwise=made), b"]"]
    first = write(parts, "one", one_by_one)  # type: ignore[arg-type]
    again = write(parts, "two", as_run)  # type: ignore[arg-type]
    assert first.read_bytes() == again.read_bytes() == b"[|alpha|beta|gamma|made gone.txt]"
    spans = [Spans.from_bytes((parts / f"{n}.spans").read_bytes()) for n in ("one", "two")]
    assert spans[0] is not None and spans[1] is not None and spans[0].parts == spans[1].parts
    assert b"".join(resolved(as_run)) == first.read_bytes()
    # copied from the previous file, but for the part that changed
    (parts / "b.txt").unlink()
    (parts / "b.txt").write_bytes(b"BETA")
    rewrite_in_place(parts / "a.txt", b"ALPHA")
    assert write(parts, "three", as_run, previous(again)).read_bytes() == b"[|alpha|BETA|gamma|made gone.txt]"  # type: ignore[arg-type]
    # separated: empty parts at the start of a run are dropped, the first to stand has no separator
    (parts / "a.txt").write_bytes(b"")
    run = Parts([os.fspath(parts / f"{n}.txt") for n in "dabc"])
    assert b"".join(resolved(separated([run, b"end"], b", "))) == b"BETA, gamma, end"
    assert b"".join(resolved(separated([b"", run], b", "))) == b"BETA, gamma"
