"""Small hand-made editions through the whole print pipeline (TEI -> parts -> book -> PDF).

Each fixture reproduces one construct that once stopped or misplaced WeasyPrint; the
PDF is read back with poppler (``pdftotext``, ``pdfinfo``) as in test_print_edition.py.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from teipress.config import Config, EditionInfo
from teipress.load import load_path
from teipress.render import RenderContext, engine_for
from teipress.render.print_ import FORMAT, prepare_parts
from teipress.resolve import Corpus, build_register
from teipress.xslt import XsltEngine

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "print"
NOTE_LINES = FIXTURES / "note-across-source-lines.xml"


def norm(text: str) -> str:
    """Letters and digits only, lower case (hyphenation and line breaks do not matter)."""
    return re.sub(r"[\W_]+", "", text.lower())


@pytest.fixture(scope="module")
def engine() -> XsltEngine:
    return engine_for([FORMAT])


@dataclass
class Printed:
    files: dict[str, bytes]
    pdf: Path
    pages: list[str]  # pdftotext per page

    def info(self) -> str:
        return subprocess.run(["pdfinfo", str(self.pdf)], capture_output=True, text=True, check=True).stdout


def print_edition(tmp_path: Path, engine: XsltEngine, sources: list[Path], raw: dict[str, Any] | None = None,
                  ) -> Printed:
    """Build the print edition of *sources* with the real resolver, as `teipress build` would."""
    cfg = Config(root=FIXTURES, raw=raw or {}, edition=EditionInfo(title="Fixture edition"))
    docs = [load_path(p, FIXTURES) for p in sources]
    assert all(d.ok for d in docs), [d.diagnostics for d in docs]
    reg = build_register(Corpus(docs, [], cfg), cfg).to_xml_bytes()
    ctx = RenderContext(cfg, engine, reg, etree.fromstring(reg), "2026-11-28")
    out = tmp_path / "out"
    for d in docs:
        for f in FORMAT.render_document(ctx, d, engine.parse(d.data)):
            (out / f.relpath).parent.mkdir(parents=True, exist_ok=True)
            (out / f.relpath).write_bytes(f.data)
    files = {f.relpath: f.data for f in FORMAT.render_edition(ctx, docs, out)}
    for rel, data in files.items():
        (out / rel).write_bytes(data)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(out / "edition.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return Printed(files, out / "edition.pdf", pages)


def test_fixture_has_a_footnote_with_a_source_line_break(tmp_path: Path, engine: XsltEngine) -> None:
    """The construct is really there: the section made by document.xsl keeps the line breaks."""
    cfg = Config(root=FIXTURES, edition=EditionInfo(title="Fixture edition"))
    doc = load_path(NOTE_LINES, FIXTURES)
    reg = build_register(Corpus([doc], [], cfg), cfg).to_xml_bytes()
    ctx = RenderContext(cfg, engine, reg, etree.fromstring(reg), "2026-11-28")
    part = etree.fromstring(FORMAT.part(ctx, doc.doc_id, engine.parse(doc.data)).encode())
    notes = [n for n in part.iter("span") if n.get("class") == "footnote"]
    assert len(notes) == 2
    assert all(re.search(r" \n", "".join(n.itertext())) for n in notes)
    # ... and prepare_parts folds them (only runs with a line break), keeping the words
    folded = etree.fromstring(prepare_parts(b"<parts>" + etree.tostring(part) + b"</parts>"))
    texts = ["".join(n.itertext()) for n in folded.iter("span") if n.get("class") == "footnote"]
    assert texts == [" Egbert Stockar (1842–1903), Sohn von Clementine und Kaspar Stockar.",
                     "Eine Anmerkung auf zwei Zeilen."]


def test_footnotes_over_several_source_lines_render(tmp_path: Path, engine: XsltEngine) -> None:
    """Once a WeasyPrint assertion ("Got ' \\n' between two lines"); now a PDF with both notes."""
    book = print_edition(tmp_path, engine, [NOTE_LINES], {"print": {"page-size": "A5"}})
    assert set(book.files) == {"edition.html", "print.css", "edition.pdf"}
    (page,) = [n for n, p in enumerate(book.pages, 1) if "Schottisch" in p]
    here = norm(book.pages[page - 1])
    assert norm("1 Egbert Stockar (1842–1903), Sohn von Clementine und Kaspar Stockar.") in here
    assert norm("2 Eine Anmerkung auf zwei Zeilen.") in here
    assert norm("Egbert 1 hat auf der Laube") in here and norm("Absatz2 schliesst") in here


def test_letter_page_size(tmp_path: Path, engine: XsltEngine) -> None:
    book = print_edition(tmp_path, engine, [NOTE_LINES], {"print": {"page-size": "Letter"}})
    assert "Page size:       612 x 792 pts (letter)" in book.info()
