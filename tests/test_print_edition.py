"""The flagship print edition, read back from the PDF.

The book is rendered once per session (two WeasyPrint layouts, a few seconds)
and then read back with poppler's ``pdftotext`` (pypdf mis-reads WeasyPrint's
fonts): page texts are compared with what the edition says should be where.
Text is compared in a normalised form (lower case, letters and digits only) so
that hyphenation, line breaks and typographic punctuation do not matter.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree, html

from teipress import REGISTER_NS
from teipress.config import load_config
from teipress.load import load_path
from teipress.render import RenderContext, engine_for
from teipress.render.print_ import FORMAT, collapse_pages
from teipress.resolve import Corpus, build_register

ROOT = Path(__file__).resolve().parents[1]
SEED = Path(__file__).resolve().parents[1].parent / "shared" / "seeds" / "000_b8621c9ef563179c.txt"
R = f"{{{REGISTER_NS}}}"
DASH = "\u2013"  # en dash, as printed in page ranges and life dates


def norm(text: str) -> str:
    """Letters and digits only, lower case: the unit every text comparison uses."""
    return re.sub(r"[\W_]+", "", text.lower())


@dataclass
class Book:
    pdf: Path
    html: str
    parts: etree._Element
    register: etree._Element
    pages: list[str]  # pdftotext per page (1-based page n is pages[n - 1])

    def page_norm(self, n: int) -> str:
        return norm(self.pages[n - 1])


@pytest.fixture(scope="session")
def book(tmp_path_factory: pytest.TempPathFactory) -> Book:
    """The flagship edition built as `teipress build --format print` would, once."""
    return build_book(tmp_path_factory.mktemp("print"))


def build_book(out: Path, print_settings: dict[str, str] | None = None) -> Book:
    """The flagship edition's print format rendered into *out* (with *print_settings*, if given)."""
    cfg = load_config(ROOT)
    if print_settings is not None:
        cfg.raw = {**cfg.raw, "print": {**cfg.raw.get("print", {}), **print_settings}}
    docs = [load_path(p, cfg.root) for p in cfg.source_files()]
    auths = [load_path(p, cfg.root) for p in cfg.authority_files()]
    reg_xml = build_register(Corpus(docs, auths, cfg), cfg).to_xml_bytes()
    engine = engine_for([FORMAT])
    ctx = RenderContext(cfg, engine, reg_xml, etree.fromstring(reg_xml), "2026-11-28")
    for d in docs:
        for f in FORMAT.render_document(ctx, d, engine.parse(d.data)):
            (out / f.relpath).parent.mkdir(parents=True, exist_ok=True)
            (out / f.relpath).write_bytes(f.data)
    files = {f.relpath: f.data for f in FORMAT.render_edition(ctx, docs, out)}
    assert set(files) == {"edition.html", "print.css", "edition.pdf"}
    for rel, data in files.items():
        (out / rel).write_bytes(data)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(out / "edition.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    by_id = {d.doc_id: d for d in docs}
    parts = etree.Element("parts")  # every section as the tree it was serialised from, in reading order
    for doc_id in FORMAT.reading_order(ctx):
        parts.extend(FORMAT.section_tree(ctx, doc_id, engine.parse(by_id[doc_id].data)))
    return Book(out / "edition.pdf", files["edition.html"].decode(), parts,
                etree.fromstring(reg_xml), pages)


def final_html(book: Book) -> html.HtmlElement:
    return html.fromstring(book.html.encode())


# ---------------------------------------------------------------------------
# Structure: front matter, contents, running heads, folios
# ---------------------------------------------------------------------------


def test_front_matter_from_the_register(book: Book) -> None:
    ed = book.register.find(f"{R}edition")
    assert ed is not None
    title = ed.get("title", "")
    assert norm(title) in book.page_norm(1)  # half-title
    title_page = book.page_norm(3)  # page 2 is the blank back of the half-title
    for value in (title, ed.get("subtitle", ""), ed.get("publisher", ""), ed.get("place", ""),
                  ed.get("year", ""), *(e.text or "" for e in ed.findall(f"{R}editor"))):
        assert norm(value) in title_page, value
    imprint = book.page_norm(4)
    assert norm("28 November 2026") in imprint  # build date
    assert norm(ed.get("licence", "")) in imprint
    assert norm("Editorial principles") in norm("".join(book.pages[4:8]))


def toc_entries(book: Book) -> list[tuple[str, int]]:
    """(title, page) pairs printed in the contents (leader dots, then the number)."""
    toc_page = next(p for p in book.pages if p.lstrip().startswith("Contents"))
    body = toc_page.split("Contents", 1)[1]
    entries = []
    for m in re.finditer(r"(.+?)\s*(?:\.\s*){3,}\s*(\d+)\s*$", body, re.M):
        entries.append((m.group(1).strip(), int(m.group(2))))
    return entries


def test_table_of_contents_points_at_the_right_pages(book: Book) -> None:
    entries = toc_entries(book)
    docs = sorted(book.register.iter(f"{R}document"), key=lambda d: int(d.get("position", "0")))
    titles = [d.findtext(f"{R}title") or "" for d in docs]
    assert len(entries) == 1 + len(titles) + 1 + 3  # principles, documents, bibliography, 3 indexes
    for title in titles:
        (page,) = [p for t, p in entries if norm(t).startswith(norm(title))]
        # the document begins on that page (its title opens the page body) and on a right-hand page
        first_lines = "".join(book.pages[page - 1].strip().splitlines()[:3])
        assert norm(first_lines).startswith(norm(title)), (title, page)
        assert page % 2 == 1
    for label in ("Editorial principles", "Bibliography", "Index of persons", "Index of places",
                  "Index of organisations"):
        (page,) = [p for t, p in entries if t == label]
        assert label in book.pages[page - 1], label
        toc = next(n for n, p in enumerate(book.pages, 1) if p.lstrip().startswith("Contents"))
        for earlier in range(toc + 1, page):  # the heading is not on an earlier page
            assert label not in [ln.strip() for ln in book.pages[earlier - 1].splitlines()], label


def test_running_heads_and_page_numbers(book: Book) -> None:
    ed_title = book.register.find(f"{R}edition").get("title", "")  # type: ignore[union-attr]
    doc_titles = [t.text or "" for t in book.register.iter(f"{R}title")]
    starts = [p for t, p in toc_entries(book) if any(norm(t).startswith(norm(d)) for d in doc_titles)]
    first_doc = min(starts)
    checked = 0
    for n in range(first_doc + 1, len(book.pages) + 1):
        lines = [ln for ln in book.pages[n - 1].splitlines() if ln.strip()]
        if not lines or n in starts:
            continue  # blank verso, or a document's opening page
        assert lines[-1].strip() == str(n), f"page {n} has no folio: {lines[-1]!r}"
        head = lines[0].strip()
        if n % 2 == 0:
            assert head == ed_title, (n, head)
        else:
            assert head in [*doc_titles, "Bibliography", "Index of persons", "Index of places",
                            "Index of organisations"], (n, head)
        checked += 1
    assert checked >= 8


def test_opening_pages_have_no_running_head(book: Book) -> None:
    """A document, the bibliography and each index open with their heading, printed once.

    (The running head there would repeat the heading just below it.)
    """
    ed_title = book.register.find(f"{R}edition").get("title", "")  # type: ignore[union-attr]
    doc_titles = [t.text or "" for t in book.register.iter(f"{R}title")]
    entries = toc_entries(book)
    openers = 0
    for label, page in entries:
        lines = [ln.strip() for ln in book.pages[page - 1].splitlines() if ln.strip()]
        titles = [t for t in doc_titles if norm(label).startswith(norm(t))]
        if titles:
            (title,) = titles
            assert book.page_norm(page).count(norm(title)) == 1, (title, page, lines[:3])
            assert norm(lines[0]) and norm(title).startswith(norm(lines[0])), (title, page, lines[0])
        elif label != "Editorial principles":
            assert lines[0] == label, (label, page, lines[:2])
            assert lines.count(label) == 1, (label, page)
        else:
            continue
        assert norm(ed_title) not in norm(lines[0]), (label, page)
        assert lines[-1] == str(page), f"opening page {page} has no folio"
        openers += 1
    assert openers == len(doc_titles) + 4  # documents, bibliography, three indexes


# ---------------------------------------------------------------------------
# Footnotes
# ---------------------------------------------------------------------------


def footnotes(book: Book) -> Iterator[tuple[str, str, str]]:
    """(label, note text, the word just before the marker) for every footnote."""
    for fn in book.parts.iter("span"):
        if fn.get("class") != "footnote":
            continue
        label = fn.get("data-label", "")
        para = fn.getparent()
        while para is not None and para.tag not in ("p", "h1", "h2", "h3", "li"):
            para = para.getparent()
        assert para is not None
        before = []
        for node in para.iter():
            if node is fn:
                break
            before.append(node.text or "")
            if node is not para:
                before.append(node.tail or "")
        # text before the marker: the paragraph's text up to the note (approximately: tails of
        # elements that end before the note are included as we walk)
        words = re.findall(r"\w+", "".join(before))
        yield label, "".join(fn.itertext()), words[-1] if words else ""


def test_every_footnote_is_on_the_page_of_its_marker_and_not_split(book: Book) -> None:
    assert_footnotes_with_markers(book)


def assert_footnotes_with_markers(book: Book) -> None:
    notes = list(footnotes(book))
    assert len(notes) == 3  # memo 1: editorial note; memo 2: notes 1 and 2
    for label, text, word in notes:
        on = [n for n in range(1, len(book.pages) + 1) if norm(label + text) in book.page_norm(n)]
        assert len(on) == 1, f"footnote {label} found whole on pages {on} (split or missing)"
        page = on[0]
        assert norm(word + label) in book.page_norm(page), f"marker {word}{label} not on page {page}"


def test_footnote_labels_come_from_the_register(book: Book) -> None:
    labels = {(n.get("doc"), n.get("id")): n.get("label") for n in book.register.iter(f"{R}note")}
    for fn in book.parts.iter("span"):
        if fn.get("class") == "footnote":
            doc = fn.xpath("ancestor::section[@class='document']/@id")[0]
            assert fn.get("data-label") == labels[(doc, fn.get("id"))]


# ---------------------------------------------------------------------------
# The index
# ---------------------------------------------------------------------------


def index_entries(book: Book) -> list[tuple[str, str, list[int]]]:
    """(kind, entity id, printed pages) from the final HTML, in printed order."""
    out = []
    for sec in final_html(book).xpath("//section[contains(@class,'index')]"):
        for li in sec.xpath(".//li[@class='index-entry']"):
            pages: list[int] = []
            for a in li.xpath(".//a[@class='ix-range']"):
                lo, _, hi = a.text_content().partition(DASH)
                pages.extend(range(int(lo), int(hi or lo) + 1))
            out.append((sec.get("data-kind"), li.get("data-entity"), pages))
    return out


def test_every_index_page_is_a_page_where_the_entity_is_mentioned(book: Book) -> None:
    forms: dict[str, set[str]] = {}
    for el in book.parts.iter():
        if el.get("data-entity"):
            forms.setdefault(el.get("data-entity", ""), set()).add(norm("".join(el.itertext())))
    entries = index_entries(book)
    assert len(entries) > 40
    for _kind, ent, pages in entries:
        assert pages, f"{ent} has no pages"
        for p in pages:
            assert any(f and f in book.page_norm(p) for f in forms[ent]), \
                f"{ent} is indexed on page {p} but none of {sorted(forms[ent])} is there"


def test_index_pages_are_collapsed_and_linked(book: Book) -> None:
    stalin = final_html(book).xpath("//li[@data-entity='pers-stalin']")[0]
    text = stalin.text_content()
    assert f"Iosif Stalin (1878{DASH}1953)" in text
    ranges = [a.text_content() for a in stalin.xpath(".//a[@class='ix-range']")]
    assert any(DASH in r for r in ranges), ranges  # he is on consecutive pages
    nums = [int(x) for r in ranges for x in r.split(DASH)]
    assert nums == sorted(nums) and len(set(nums)) == len(nums)
    for a in stalin.xpath(".//a[@class='ix-range']"):
        assert a.get("href", "").startswith("#ix-")


def test_index_covers_every_mentioned_entity_in_sort_order(book: Book) -> None:
    mentioned = {e.get("data-entity") for e in book.parts.iter() if e.get("data-entity")}
    entities = {e.get("id"): e for e in book.register.iter(f"{R}entity")}
    entries = index_entries(book)
    assert {ent for _, ent, _ in entries} == mentioned
    for kind in ("person", "place", "org"):
        ids = [ent for k, ent, _ in entries if k == kind]
        assert ids, kind
        assert all(entities[i].get("kind") == kind for i in ids)
        keys = [entities[i].get("sort", "") for i in ids]
        assert keys == sorted(keys), kind


# ---------------------------------------------------------------------------
# The PDF file: fonts, PDF/UA
# ---------------------------------------------------------------------------


def test_fonts_are_embedded(book: Book) -> None:
    out = subprocess.run(["pdffonts", str(book.pdf)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows
    assert any("Noto-Serif" in r for r in rows)
    for row in rows:
        cols = row.split()
        emb = cols[-5]
        assert emb == "yes", row


def pdf_objects(pdf: Path) -> bytes:
    """The file plus every decompressed stream (object streams hide the catalog)."""
    data = pdf.read_bytes()
    chunks = [data]
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        with contextlib.suppress(zlib.error):
            chunks.append(zlib.decompress(m.group(1)))
    return b"\n".join(chunks)


def test_pdf_declares_pdf_ua(book: Book) -> None:
    blob = pdf_objects(book.pdf)
    assert re.search(rb'pdfuaid:part(="1"|>1<)', blob)
    assert re.search(rb"/MarkInfo\s*<<\s*/Marked\s+true", blob)
    assert b"/StructTreeRoot" in blob
    assert re.search(rb"/Lang\s*\(en\)", blob)
    assert b"/DisplayDocTitle true" in blob
    info = subprocess.run(["pdfinfo", str(book.pdf)], capture_output=True, text=True, check=True).stdout
    assert "Tagged:          yes" in info
    assert "Title:           Stalin and the CCP Delegation, 1949" in info
    assert "Page size:       595.276 x 841.89 pts (A4)" in info


# ---------------------------------------------------------------------------
# Fidelity: the seed, sentence by sentence
# ---------------------------------------------------------------------------


def seed_sections() -> list[tuple[str, dict[str, str], list[str]]]:
    """(title, header fields, sentences) per document of the seed file."""
    assert SEED.is_file(), f"seed missing: {SEED}"
    text = SEED.read_text("utf-8")
    sections = []
    fields_re = re.compile(r"\*\*(Title|Author|Date|Source|Description):(.*?)"
                           r"(?=\*\*(?:Title|Author|Date|Source|Description):|$)")
    for block in re.split(r"(?=\*\*Title:)", text):
        if not block.strip():
            continue
        head, _, body = block.partition("\n\n")
        fields = {m.group(1): re.sub(r"[*\[\]]", "", m.group(2)).strip()
                  for m in fields_re.finditer(head.replace("\n", " "))}
        clean = re.sub(r"</?sup>|\*|#+ |\\", "", body)
        sentences = [s for para in clean.split("\n\n") for s in re.split(r"(?<=[.!?\"\u201d])\s+", para)
                     if norm(s)]
        sections.append((norm(fields.get("Title", "")), fields, sentences))
    return sections


def pdf_body_text(book: Book) -> tuple[str, list[str]]:
    """Normalised running text without running heads, folios and footnotes; and the footnotes."""
    heads = {norm(t.text or "") for t in book.register.iter(f"{R}title")}
    heads.add(norm(book.register.find(f"{R}edition").get("title", "")))  # type: ignore[union-attr]
    heads.update(norm(h) for h in ("Bibliography", "Index of persons", "Index of places",
                                   "Index of organisations"))
    body = []
    for page in book.pages:
        lines = [ln for ln in page.splitlines() if ln.strip()]
        if lines and norm(lines[0]) in heads:
            lines = lines[1:]
        if lines and lines[-1].strip().isdigit():
            lines = lines[:-1]
        body.append(norm("".join(lines)))
    hay = "".join(body)
    notes = [norm(label + text) for label, text, _ in footnotes(book)]
    for n in notes:
        hay = hay.replace(n, "")
    return hay, notes


def test_flagship_pdf_has_every_sentence_of_the_seed(book: Book) -> None:
    sections = seed_sections()
    assert len(sections) == 2
    hay, notes = pdf_body_text(book)
    missing = []
    for title, fields, sentences in sections:
        assert title and title in hay, f"document {title!r} not in the PDF"
        for key in ("Date", "Source", "Description"):
            value = norm(fields.get(key, ""))
            if value:
                assert value in hay, (title, key, fields[key])
        for s in sentences:
            n = norm(s)
            if n not in hay and not any(n in note for note in notes):
                missing.append(s)
    assert not missing, f"{len(missing)} seed sentences missing from the PDF, e.g. {missing[:3]}"


def test_collapse_pages_helper_matches_printed_ranges(book: Book) -> None:
    for _, _, pages in index_entries(book):
        assert [p for lo, hi in collapse_pages(pages) for p in range(lo, hi + 1)] == sorted(set(pages))


# ---------------------------------------------------------------------------
# Other page sizes
# ---------------------------------------------------------------------------


def test_a5_book(tmp_path: Path) -> None:
    """page-size = "A5" reaches the PDF; on the smaller page the notes still stay with their calls."""
    a5 = build_book(tmp_path, {"page-size": "A5"})
    info = subprocess.run(["pdfinfo", str(a5.pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+419\.528 x 595\.276 pts", info), info
    assert "@page { size: A5; }" in a5.html
    assert_footnotes_with_markers(a5)
