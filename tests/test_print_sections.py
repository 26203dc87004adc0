"""A document's section as the book holds it (its sidecar's body): serialised by
libxml2, it is the HTML the book's own serialiser (section.xsl on Saxon) makes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import tinyhtml5
from lxml import etree

from teipress.config import Config, EditionInfo
from teipress.load import load_path
from teipress.render import RenderContext, document_sidecar, engine_for, sidecar_body
from teipress.render.print_ import FORMAT, TPP, section_html
from teipress.resolve import Corpus, build_register
from teipress.xslt import XsltEngine

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = sorted((ROOT / "tei").glob("*.xml"))
AUTHORITIES = sorted((ROOT / "tei" / "authority").glob("*.xml"))


@pytest.fixture(scope="module")
def engine() -> XsltEngine:
    return engine_for([FORMAT])


def saxon(engine: XsltEngine, parts: etree._Element) -> bytes:
    """The sections as section.xsl serialises them (the book's output settings)."""
    return engine.call("print-section", f"{{{TPP}}}section", {"parts": engine.parse(etree.tostring(parts))}
                       ).encode("utf-8")


def dom(html: bytes) -> bytes:
    """The tree an HTML5 parser (WeasyPrint's) makes of *html*."""
    return ET.tostring(tinyhtml5.parse(html.decode("utf-8")))


def rendered(engine: XsltEngine, sources: list[Path], root: Path) -> dict[str, bytes]:
    cfg = Config(root=root, edition=EditionInfo(title="Sections"))
    docs = [load_path(p, root) for p in sources]
    auths = [load_path(p, root) for p in AUTHORITIES if p.is_relative_to(root)]
    reg = build_register(Corpus(docs, auths, cfg), cfg).to_xml_bytes()
    ctx = RenderContext(cfg, engine, reg, etree.fromstring(reg), "2026-11-28")
    files: dict[str, bytes] = {}
    for d in docs:
        node = engine.parse(d.data)
        (sidecar,) = FORMAT.render_document(ctx, d, node)
        assert sidecar.relpath == document_sidecar(d.doc_id)
        files[f"sections/{d.doc_id}.html"] = sidecar_body(sidecar.data)
        # and the section as the tree it was serialised from (which the build does not keep)
        tree = FORMAT.section_tree(ctx, d.doc_id, node)
        files[f"parts/{d.doc_id}.xml"] = b"".join(etree.tostring(el) for el in tree)
    return files


def test_flagship_sections_are_byte_for_byte_the_book_serialisers(engine: XsltEngine) -> None:
    files = rendered(engine, FLAGSHIP, ROOT)
    sections = {k: v for k, v in files.items() if k.startswith("sections/")}
    assert len(sections) == 2
    for name, html in sections.items():
        parts = etree.fromstring(b"<parts>" + files[name.replace("sections/", "parts/").replace(".html", ".xml")]
                                 + b"</parts>")
        assert section_html(parts) == html  # the flagship's links are all written as they are
        assert html == saxon(engine, parts), name
        assert b"Victors are always correct." in html or name.endswith("06-27.html")


@pytest.mark.parametrize("section", [
    '<section id="s"><p title="x &lt; y &gt; z &amp; &quot;w&quot; \u00a0 \'">'
    'a\u00a0b &amp; c &lt; d &gt; e</p></section>',
    '<section><br/><hr/><img src="a.png" alt=""/><span></span><p>2\u2028 \U0001F600</p><pre>  x\n y</pre></section>',
    '<section><script>if (a &lt; b &amp;&amp; c) {}</script><style>p &gt; a {}</style><!-- c --></section>',
    '<section lang="zh"><svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0"/></svg>'
    '中文<a href="#n1">1</a></section>',
])
def test_any_section_parses_as_the_book_serialisers_does(engine: XsltEngine, section: str) -> None:
    parts = etree.fromstring(f"<parts>{section}</parts>".encode())
    html = section_html(parts)
    assert html is not None
    assert dom(html) == dom(saxon(engine, parts))


def test_a_c1_control_character_is_kept_as_the_character() -> None:
    """The one difference found: Saxon writes U+0085 as ``&#x85;``, which an HTML5 parser
    reads as U+2026 (the windows-1252 remapping of references); libxml2 writes it as it is."""
    parts = etree.fromstring("<parts><section><p>a\u0085b</p></section></parts>".encode())
    html = section_html(parts)
    assert html is not None and "a\u0085b".encode() in html
    paragraph = tinyhtml5.parse(html.decode("utf-8")).find(".//{http://www.w3.org/1999/xhtml}p")
    assert paragraph is not None and paragraph.text == "a\u0085b"


@pytest.mark.parametrize("link", ['href="https://de.wikipedia.org/wiki/Zürich"', 'src="a b.png"',
                                  'href=" #lead"', 'href="#x[1]"'])
def test_links_libxml2_would_escape_are_left_to_the_book_serialiser(engine: XsltEngine, tmp_path: Path,
                                                                     link: str) -> None:
    parts = etree.fromstring(f"<parts><section><a {link}>x</a></section></parts>".encode())
    assert section_html(parts) is None

    # a document with such a link: its section links where its part does
    src = FLAGSHIP[1].read_text("utf-8")
    body = src.index("<body")
    at = src.index(">", src.index("<p", body)) + 1  # inside the first paragraph of the text
    doc = tmp_path / "doc.xml"
    doc.write_text(src[:at] + '<ref target="https://de.wikipedia.org/wiki/Zürich">Zürich</ref> '
                   '<ref target="#memo-1949-07-27-p1">here</ref>' + src[at:], "utf-8")
    files = rendered(engine, [doc], tmp_path)
    html = next(v for k, v in files.items() if k.startswith("sections/"))
    part = next(v for k, v in files.items() if k.startswith("parts/"))
    written = [a.get("href") for a in etree.fromstring(b"<parts>" + part + b"</parts>").iter("a") if a.get("href")]
    shown = [a.get("href") for a in tinyhtml5.parse(html.decode("utf-8")).iter("{http://www.w3.org/1999/xhtml}a")
             if a.get("href")]
    assert written == ["https://de.wikipedia.org/wiki/Zürich", "#memo-1949-07-27-p1"]
    # as the book's serialiser writes it (escape-uri-attributes: non-ASCII as %XX)
    assert shown == ["https://de.wikipedia.org/wiki/Z%C3%BCrich", "#memo-1949-07-27-p1"]
    assert html == saxon(engine, etree.fromstring(b"<parts>" + part + b"</parts>"))


def test_preparing_a_section_folds_source_line_breaks_but_in_preformatted_text() -> None:
    from teipress.render.print_ import prepare_tree

    plain = etree.fromstring(b"<parts><section><p>a\n   b <em>c\n d</em>\n e</p><p id='kept'>f</p></section></parts>")
    prepare_tree(plain, block_prefix="tpp-b-x-")
    assert etree.tostring(plain) == (b'<parts><section><p id="tpp-b-x-1">a b <em>c d</em> e</p>'
                                     b'<p id="kept">f</p></section></parts>')
    pre = etree.fromstring(b"<parts><section><p>a\n b</p><pre>x\n  <b>y\n z</b>\n w</pre>\n<p>c</p></section></parts>")
    prepare_tree(pre, block_prefix="tpp-b-x-")
    assert etree.tostring(pre) == (b'<parts><section><p id="tpp-b-x-1">a b</p><pre>x\n  <b>y\n z</b>\n w</pre> '
                                   b'<p id="tpp-b-x-2">c</p></section></parts>')
