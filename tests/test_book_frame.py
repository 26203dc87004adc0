"""The print book's frame made a document at a time equals the one edition.xsl makes from
every section's facts at once (the way it was made before, kept as the oracle)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from teipress.config import load_config
from teipress.load import load_path
from teipress.render import RenderContext, engine_for
from teipress.render.book_frame import MarkerMissing, index_link, replace_marker
from teipress.render.print_ import DOCUMENTS_MARKER, FORMAT, PrintSettings
from teipress.resolve import Corpus, build_register
from teipress.splice import resolved
from teipress.xslt import XsltEngine

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[RenderContext, Path]:
    """The flagship's sections and facts as a build keeps them, and the context to join them."""
    cfg = load_config(ROOT)
    docs = [load_path(p, cfg.root) for p in cfg.source_files()]
    auths = [load_path(p, cfg.root) for p in cfg.authority_files()]
    reg = build_register(Corpus(docs, auths, cfg), cfg).to_xml_bytes()
    ctx = RenderContext(cfg, engine_for([FORMAT]), reg, etree.fromstring(reg), "2026-11-28")
    out = tmp_path_factory.mktemp("print")
    for d in docs:
        for f in FORMAT.render_document(ctx, d, ctx.engine.parse(d.data)):
            (out / f.relpath).parent.mkdir(parents=True, exist_ok=True)
            (out / f.relpath).write_bytes(f.data)
    return ctx, out


def test_frame_equals_the_frame_made_from_the_whole_facts(rendered: tuple[RenderContext, Path]) -> None:
    ctx, out = rendered
    sections = FORMAT.collect_sections(ctx, [], out, facts=True, whole_facts=True)
    assert sections.frame_facts is not None
    settings, bibliography = PrintSettings(pdf=False), FORMAT.bibliography(ctx)
    whole = FORMAT.book_html(ctx, sections.facts, settings, bibliography, None).encode("utf-8")
    streamed = b"".join(FORMAT.frame(ctx, sections.frame_facts, settings, bibliography).chunks())
    assert streamed == whole
    # what it compares: an index with a link per mention (many entities, several mentions)
    links = whole.count(b'class="ix-ref"')
    assert links == sections.facts.count(b"data-entity=") and links > 50
    assert b"tpp:pages" not in streamed


def test_frame_is_written_twice_alike(rendered: tuple[RenderContext, Path]) -> None:
    """A build writes the frame as its own file and inside the book: the second pass reads
    back what the first wrote."""
    ctx, out = rendered
    sections = FORMAT.collect_sections(ctx, [], out)
    assert sections.frame_facts is not None
    frame = FORMAT.frame(ctx, sections.frame_facts, PrintSettings(pdf=False), FORMAT.bibliography(ctx))
    first, second = b"".join(frame.chunks()), b"".join(frame.chunks())
    assert first == second and b'class="ix-ref"' in first
    book = b"".join(resolved(sections.chunks(frame)))
    assert f"<!--{DOCUMENTS_MARKER}-->".encode() in first and DOCUMENTS_MARKER.encode() not in book
    assert book.count(b'class="ix-ref"') == first.count(b'class="ix-ref"')
    assert book.count(b'<section class="document') == 2


def test_a_kept_frame_file_is_joined_piece_by_piece(rendered: tuple[RenderContext, Path], tmp_path: Path) -> None:
    ctx, out = rendered
    sections = FORMAT.collect_sections(ctx, [], out)
    assert sections.frame_facts is not None
    frame = b"".join(FORMAT.frame(ctx, sections.frame_facts, PrintSettings(pdf=False), None).chunks())
    kept = tmp_path / "frame.html"
    kept.write_bytes(frame)
    assert b"".join(resolved(sections.chunks(kept))) == b"".join(resolved(sections.chunks(frame)))


@pytest.mark.parametrize("size", [1, 2, 5, 1000])
def test_replace_marker_across_chunk_boundaries(size: int) -> None:
    text = b"front <!--here--> back <!--here--> end"
    chunks = [text[i:i + size] for i in range(0, len(text), size)]
    assert b"".join(resolved(replace_marker(chunks, b"<!--here-->", lambda: [b"A", b"B"]))) == \
        b"front AB back <!--here--> end"


def test_replace_marker_says_when_there_is_none() -> None:
    with pytest.raises(MarkerMissing):
        b"".join(resolved(replace_marker([b"no ", b"marker"], b"<!--here-->", lambda: [b"x"])))


def test_index_link_is_serialised_as_saxon_does(tmp_path: Path) -> None:
    """Document ids are plain ASCII today (``load.safe_id``); the escaping is checked anyway."""
    sheet = tmp_path / "link.xsl"
    sheet.write_text(
        '<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
        '<xsl:output method="html" html-version="5" encoding="UTF-8"/>'
        '<xsl:template match="/"><xsl:for-each select="tokenize(string(.), \'\\|\')">'
        '<a href="#{.}" class="ix-ref"/></xsl:for-each></xsl:template></xsl:stylesheet>', "utf-8")
    engine = XsltEngine({"link": sheet})
    ids = ["ix-memo-1949-06-27-3", "ix-z\u00fcrich-1", "a&b{c&d", 'q"uote>gt<lt\'', "tab\tnl\n", "\u4e2d%41"]
    doc = etree.Element("x")
    doc.text = "|".join(ids)
    expected = engine.transform("link", engine.parse(etree.tostring(doc, encoding="utf-8")))
    assert "".join(index_link(i) for i in ids) == expected
