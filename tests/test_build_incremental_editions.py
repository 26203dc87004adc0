"""Edition-wide pages are redone only when what they show changed, and kept (same inode) otherwise.

Each scenario edits a copy of a built flagship project, rebuilds, checks which
edition pages were rewritten and which kept, and compares every published file
byte for byte with a ``--clean`` build of the same sources.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from teipress.render import sidecar_body

ROOT = Path(__file__).resolve().parents[1]
MEMO1 = "1949-06-27-stalin-ccp-delegation.xml"
FORMATS = ("--format", "html", "--format", "print", "--format", "text")
#: edition pages (files) whose inodes the scenarios look at
WATCHED = (
    "html/index.html", "html/persons.html", "html/places.html", "html/organisations.html",
    "html/chronology.html", "html/bibliography.html", "html/search.html", "html/search-index.js",
    "html/assets/edition.css", "print/edition.html", "print/print.css", "print/.edition/book-frame.html",
    "text/edition.txt", "text/.edition/front.txt", "text/.edition/index.txt", "html/.edition/search-register.js",
)


def build(project: Path, *args: str) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-m", "teipress", "build", "--summary", "json", *FORMATS, *args],
                          cwd=project, capture_output=True, text=True, timeout=600)
    assert proc.stdout, proc.stderr
    data: dict[str, object] = json.loads(proc.stdout)
    assert proc.returncode == 0 and data["published"] is True, proc.stdout + proc.stderr
    return data


def snapshot(folder: Path) -> dict[str, bytes]:
    """Published files but the manifests and the joined files' spans (inode numbers, see teipress.splice)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".teipress-manifest.json" and p.suffix != ".spans"}


def inodes(out: Path) -> dict[str, int]:
    return {rel: (out / rel).stat().st_ino for rel in WATCHED}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The flagship edition (sources and a published output), built once; scenarios copy it."""
    base = tmp_path_factory.mktemp("built")
    shutil.copytree(ROOT / "tei", base / "tei")
    # no PDF: the book is assembled all the same, and the print tests lay out the PDF
    (base / "teipress.toml").write_text(
        'sources = ["tei/*.xml"]\nauthorities = ["tei/authority/*.xml"]\noutput = "out"\n'
        '[edition]\ntitle = "Test edition"\n[print]\npdf = false\n')
    build(base)
    return base


@pytest.fixture()
def project(built: Path, tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(built, target, symlinks=True)
    return target


def rebuild(project: Path, edit: Callable[[Path], None]) -> tuple[set[str], dict[str, object]]:
    """Apply *edit*, rebuild; the watched files rewritten. Also checks the result equals a clean build."""
    before = inodes(project / "out")
    edit(project)
    data = build(project)
    after = inodes(project / "out")
    clean = build(project, "--clean", "--out", str(project / "clean"))
    assert clean["rendered_documents"] == 2
    ours, theirs = snapshot(project / "out"), snapshot(project / "clean")
    assert ours.keys() == theirs.keys()
    assert [k for k in ours if ours[k] != theirs[k]] == [], "incremental build differs from a clean one"
    return {rel for rel in WATCHED if before[rel] != after[rel]}, data


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_nothing_changed_keeps_every_file(project: Path) -> None:
    rewritten, data = rebuild(project, lambda p: None)
    assert rewritten == set()
    assert data["rendered_documents"] == 0 and data["files_written"] == 0


def test_a_text_change_redoes_only_the_pages_that_show_the_text(project: Path) -> None:
    def edit(p: Path) -> None:
        replace_in(p / "tei" / MEMO1, "and continued <time", "and zyxwvu continued <time")

    rewritten, data = rebuild(project, edit)
    assert data["rendered_documents"] == 1
    assert rewritten == {"html/search-index.js", "print/edition.html", "text/edition.txt"}
    out = project / "out"
    for rel in ("html/search-index.js", "print/edition.html", "text/edition.txt"):
        assert "zyxwvu" in (out / rel).read_text("utf-8"), rel


def test_a_title_change_redoes_the_index_page(project: Path) -> None:
    def edit(p: Path) -> None:
        replace_in(p / "tei" / MEMO1, ">Memorandum of Conversation between Stalin and CCP Delegation<",
                   ">Memorandum of the Qwerty Conversation<")

    rewritten, _ = rebuild(project, edit)
    assert {"html/index.html", "text/.edition/front.txt", "print/.edition/book-frame.html",
            "html/search-index.js", "text/edition.txt", "print/edition.html"} <= rewritten
    # the title shows where mentions and dates link to the document...
    assert {"html/persons.html", "html/chronology.html"} <= rewritten
    # ...but not on the search page, the stylesheets or the text edition's index
    assert not {"html/search.html", "html/assets/edition.css", "print/print.css",
                "text/.edition/index.txt"} & rewritten
    assert "Qwerty" in (project / "out" / "html" / "index.html").read_text("utf-8")


def test_an_authority_name_change_redoes_the_register_pages_that_show_it(project: Path) -> None:
    def edit(p: Path) -> None:
        replace_in(p / "tei" / "authority" / "persons.xml", '<persName type="normalised">Iosif Stalin<',
                   '<persName type="normalised">Iosif Qwertyovich Stalin<')

    rewritten, _ = rebuild(project, edit)
    assert {"html/persons.html", "text/.edition/index.txt", "print/.edition/book-frame.html",
            "html/.edition/search-register.js", "html/search-index.js"} <= rewritten
    assert not {"html/places.html", "html/organisations.html", "html/chronology.html", "html/search.html",
                "text/.edition/front.txt"} & rewritten
    assert "Qwertyovich" in (project / "out" / "html" / "persons.html").read_text("utf-8")
    # the search index joins the register's entries kept beside it
    assert "Qwertyovich" in (project / "out" / "html" / "search-index.js").read_text("utf-8")
    assert "Qwertyovich" in (project / "out" / "text" / "edition.txt").read_text("utf-8")


def test_an_authority_edit_the_edition_does_not_show_redoes_no_page(project: Path) -> None:
    """The bibliography page and the book's frame read the authority files' listBibl, not
    their other bytes (keys.bibliography_digest): white space added to the personography
    redoes neither (it redid both, the Escher letters' frame 3.4 s)."""
    def edit(p: Path) -> None:
        replace_in(p / "tei" / "authority" / "persons.xml", "</listPerson>", "  </listPerson>")

    rewritten, data = rebuild(project, edit)
    assert rewritten == set() and data["rendered_documents"] == 0


def test_a_bibliography_edit_redoes_its_pages(project: Path) -> None:
    def edit(p: Path) -> None:
        replace_in(p / "tei" / "authority" / "bibliography.xml", "</listBibl>",
                   '<bibl xml:id="bibl-qwerty">Qwerty, A. <title>Zyxwvu</title>. 1999.</bibl></listBibl>')

    rewritten, _ = rebuild(project, edit)
    assert {"html/bibliography.html", "print/.edition/book-frame.html", "print/edition.html"} <= rewritten
    assert "Zyxwvu" in (project / "out" / "html" / "bibliography.html").read_text("utf-8")
    assert "Zyxwvu" in (project / "out" / "print" / "edition.html").read_text("utf-8")


def test_a_text_change_copies_the_other_documents_parts_from_the_published_joins(project: Path) -> None:
    """edition.txt, the search index and the book take the unchanged documents' parts from
    the published files (teipress.splice), reading only the edited one's. Proof: the other
    document's parts are rewritten in place keeping inode, size and time (no build does
    that); the joined files still hold the parts as they were."""
    out = project / "out"
    # the copied project's files are new inodes: its first joins read every part
    replace_in(project / "tei" / MEMO1, "and continued <time", "and then continued <time")
    assert build(project)["rendered_documents"] == 1
    other = ("text/memo-1949-07-27.txt", "html/.documents/memo-1949-07-27", "print/.documents/memo-1949-07-27")
    joined = {"text/memo-1949-07-27.txt": "text/edition.txt", "html/.documents/memo-1949-07-27":
              "html/search-index.js", "print/.documents/memo-1949-07-27": "print/edition.html"}
    originals = {rel: (out / rel).read_bytes() for rel in other}
    for rel, data in originals.items():
        st = (out / rel).stat()
        with open(out / rel, "r+b") as f:
            f.write(data.upper())  # ASCII letters only: the same size
        os.utime(out / rel, ns=(st.st_atime_ns, st.st_mtime_ns))
    replace_in(project / "tei" / MEMO1, "and then continued <time", "and zyxwvu continued <time")
    assert build(project)["rendered_documents"] == 1
    for rel, data in originals.items():
        whole = (out / joined[rel]).read_bytes()
        assert b"zyxwvu" in whole
        part = sidecar_body(data).rstrip(b"\n")  # a sidecar's body is what is joined; a text file is all body
        assert part in whole and part.upper() not in whole, rel
