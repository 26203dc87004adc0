"""Rendering conventions of the HTML edition, asserted on small fixtures.

Each test renders a fixture document through the real render API (the same
engine, register and stylesheets the build uses) and inspects the parsed HTML.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from lxml import etree

from teipress import TEI_NS
from teipress.config import Config
from teipress.load import load_path
from teipress.render import OutputFile, RenderContext, engine_for, sidecar_body, sidecar_facts
from teipress.render.html import FORMAT, doc_page, passages_from_page, search_index_js
from teipress.resolve import Corpus, build_register

FIX = Path(__file__).resolve().parent / "fixtures" / "html"

Render = Callable[[str], tuple[Any, list[OutputFile]]]


@pytest.fixture(scope="module")
def engine() -> Any:
    return engine_for([FORMAT])


@pytest.fixture(scope="module")
def render(engine: Any) -> Render:
    """Render fixture *name* (with the fixture authority file) to (parsed page, files)."""
    config = Config(root=FIX)
    docs = [load_path(FIX / n, FIX) for n in ("conventions.xml", "hostile.xml", "unknown.xml")]
    auth = [load_path(FIX / "authority" / "persons.xml", FIX)]
    register = build_register(Corpus(docs, auth, config), config)
    xml = register.to_xml_bytes()
    ctx = RenderContext(config, engine, xml, etree.fromstring(xml), "2026-11-28")
    by_name = {d.path.name: d for d in docs}

    def run(name: str) -> tuple[Any, list[OutputFile]]:
        doc = by_name[name]
        files = FORMAT.render_document(ctx, doc, engine.parse(doc.data))
        return lxml.html.fromstring(files[0].data), files

    return run


def text(el: Any) -> str:
    return " ".join(el.text_content().split())


def one(page: Any, xpath: str) -> Any:
    found = page.xpath(xpath)
    assert len(found) == 1, f"{xpath}: {len(found)} matches"
    return found[0]


# -- page and metadata ------------------------------------------------------

def test_page_files_and_stable_url(render: Render) -> None:
    page, files = render("conventions.xml")
    assert [f.relpath for f in files] == ["conv-1843.html", "tei/conv-1843.xml", ".documents/conv-1843"]
    assert files[1].data == (FIX / "conventions.xml").read_bytes()
    # the sidecar: the header facts index.html reads (hashed alone for its key) ...
    header = etree.fromstring(sidecar_facts(files[2].data))
    assert header.tag == f"{{{TEI_NS}}}teiHeader" and header.get("n") == "conv-1843"
    assert files[2].facts == sidecar_facts(files[2].data)
    # ... and the document's search entries, serialised as they stand in search-index.js
    entries = json.loads(b"[" + sidecar_body(files[2].data) + b"]")
    assert entries[0] == {"u": "conv-1843.html", "t": "A Letter on Engines", "k": "document",
                          "x": "A Letter on Engines"}
    assert [(e["u"], e["x"]) for e in entries[1:3]] == [
        ("conv-1843.html#conv-1843-p1", "I met Ada in London on [7]Saturday at half past two."),
        ("conv-1843.html#conv-1843-p2",
         "1. The [engine] weaves motifs and patterns; the Council of the Royal Society agreed. "
         "It cost £17,000 over ten years.")]
    assert {e["t"] for e in entries} == {"A Letter on Engines"}
    assert text(one(page, "//h1")) == "A Letter on Engines"


def test_every_page_carries_csp_version_and_build_date(render: Render) -> None:
    page, _ = render("conventions.xml")
    csp = one(page, "//meta[@http-equiv='Content-Security-Policy']").get("content")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.xpath("//script[not(@src)]") == []
    assert one(page, "//time[ancestor::*[@class='build-date']]").get("datetime") == "2026-11-28"
    assert text(one(page, "//*[@class='edition-version']"))
    assert one(page, "//a[@class='skip-link']").get("href") == "#main"


def test_metadata_panel(render: Render) -> None:
    page, _ = render("conventions.xml")
    meta = one(page, "//section[@class='metadata']")
    dts = [text(dt) for dt in meta.xpath(".//dt")]
    assert dts == ["Date", "Participants", "Archival source", "Printed source", "Translator",
                   "Licence", "Summary"]
    assert one(meta, ".//dd[1]//time").get("datetime") == "1843-07-02"
    part = one(meta, ".//ul[@class='participants']/li")
    assert text(part) == "Ada Lovelace (1815\u20131852) (author)"
    assert part.xpath("a/@href") == ["persons.html#pers-ada"]
    assert text(one(meta, ".//dd[@class='archival-source']")) == "London, British Library, shelfmark Add MS 1"
    assert one(meta, ".//dd[@class='licence']//a").get("href") == "https://creativecommons.org/licenses/by/4.0/"
    assert one(meta, ".//dd[@class='translator']//a[contains(@class,'entity')]").get("href") == "persons.html#pers-bob"


# -- text conventions --------------------------------------------------------

def test_paragraph_anchor_and_numbered_point(render: Render) -> None:
    page, _ = render("conventions.xml")
    p = one(page, "//p[@id='conv-1843-p2']")
    assert "point" in p.get("class").split()
    assert p.xpath("a[@class='anchor']/@href") == ["#conv-1843-p2"]


def test_supplied_in_brackets_with_explanation(render: Render) -> None:
    page, _ = render("conventions.xml")
    s = one(page, "//span[@class='supplied']")
    assert [text(b) for b in s.xpath("span[@class='bracket']")] == ["[", "]"]
    assert text(s).startswith("[engine]")
    hidden = text(one(s, "span[@class='visually-hidden']"))
    assert "added by the translator" in hidden and s.get("title") in hidden


def test_foreign_is_italic_with_lang(render: Render) -> None:
    page, _ = render("conventions.xml")
    i = one(page, "//i[contains(@class,'foreign')]")
    assert (i.get("lang"), text(i)) == ("fr", "motifs")


def test_entities_link_to_register_with_card(render: Render) -> None:
    page, _ = render("conventions.xml")
    a = one(page, "//p[@id='conv-1843-p1']//a[contains(@class,'entity-person')]")
    assert a.get("href") == "persons.html#pers-ada"
    card = one(page, f"//*[@id='{a.get('aria-describedby')}']")
    assert card.get("role") == "tooltip"
    assert text(card).startswith("Ada Lovelace (1815\u20131852)")
    place = one(page, "//p[@id='conv-1843-p1']//a[contains(@class,'entity-place')]")
    assert place.get("href") == "places.html#place-london"


def test_nested_names_never_nest_links(render: Render) -> None:
    page, _ = render("conventions.xml")
    outer = one(page, "//a[@href='organisations.html#org-rs-council']")
    assert outer.xpath(".//a") == []
    assert text(outer) == "Council of the Royal Society"
    assert page.xpath("//a//a") == []


def test_dates_and_times(render: Render) -> None:
    page, _ = render("conventions.xml")
    p = one(page, "//p[@id='conv-1843-p1']")
    assert [(t.get("datetime"), text(t)) for t in p.xpath(".//time")] == [
        ("1843-07-01", "Saturday"), ("14:30:00", "half past two")]


def test_footnotes_linked_both_ways_with_register_label(render: Render) -> None:
    page, _ = render("conventions.xml")
    ref = one(page, "//a[@class='note-ref'][@href='#conv-1843-n1']")
    assert ref.get("id") == "noteref-conv-1843-n1" and text(ref) == "1"
    pop = one(page, f"//*[@id='{ref.get('aria-describedby')}']")
    assert text(pop) == "1 She was tired."
    li = one(page, "//section[@class='footnotes']//li[@id='conv-1843-n1']")
    assert li.xpath("a[@class='note-back']/@href") == ["#noteref-conv-1843-n1"]
    assert text(one(li, ".//div[@class='note-body']")) == "She was tired."
    assert one(li, ".//i").text == "tired"
    # the second note (in the commentary) is numbered 2 by the register
    assert text(one(page, "//a[@href='#conv-1843-n2'][@class='note-ref']")) == "2"


def test_commentary_is_separated(render: Render) -> None:
    page, _ = render("conventions.xml")
    back = one(page, "//section[@class='back-matter']")
    assert back.get("aria-label") == "Commentary"
    assert one(back, ".//section[@id='conv-1843-remarks']").get("class") == "div commentary type-commentary"
    assert page.xpath("//section[@class='doc-text']//*[@id='conv-1843-remarks']") == []


def test_quotations_citations_and_phrase_markup(render: Render) -> None:
    page, _ = render("conventions.xml")
    fig = one(page, "//figure[@id='conv-1843-c1']")
    assert text(one(fig, "blockquote")) == "Numbers are everything."
    assert text(one(fig, "figcaption")) == "Menabrea 1842"
    p2 = one(page, "//p[@id='conv-1843-p2']")
    assert text(one(p2, ".//q")) == "patterns"
    assert one(p2, ".//data[@class='measure']").get("value") == "17000"
    assert one(p2, ".//data[@class='num']").get("value") == "10"
    p3 = one(page, "//p[@id='conv-1843-p3']")
    assert text(one(p3, ".//em")) == "really"
    assert text(one(p3, ".//cite")) == "Sketch"
    assert p3.xpath(".//br")
    assert text(one(p3, ".//span[@class='gap']")) == "[…] (omitted: illegible)"
    assert "(unclear reading)" in text(one(p3, ".//span[@class='unclear']"))
    choice = one(p3, ".//span[@class='choice']")
    assert text(choice) == "the [sic: teh]"


def test_safe_links(render: Render) -> None:
    page, _ = render("conventions.xml")
    p3 = one(page, "//p[@id='conv-1843-p3']")
    assert p3.xpath(".//a[contains(@class,'ref')]/@href") == ["https://example.org/engine", "#conv-1843-p1"]


def test_cite_downloads_prev_next(render: Render) -> None:
    page, _ = render("conventions.xml")
    cite = one(page, "//section[@class='cite']")
    assert "“A Letter on Engines”, 2 July 1843" in text(one(cite, "p[@class='citation']"))
    bib = one(cite, ".//pre/code").text
    assert bib.startswith("@misc{conv-1843,") and "title = {A Letter on Engines}" in bib
    assert "year = {1843}" in bib and "url = {conv-1843.html}" in bib
    hrefs = one(page, "//section[@class='downloads']").xpath(".//a/@href")
    assert hrefs == ["tei/conv-1843.xml", "../text/conv-1843.txt", "../print/edition.pdf"]
    # documents sorted by date: the undated ones follow
    nav = one(page, "//nav[@class='prev-next']")
    assert nav.xpath(".//a[@rel='next']/@href") == ["hostile.html"]


# -- hostile input -------------------------------------------------------------

def test_hostile_urls_become_text(render: Render) -> None:
    page, _ = render("hostile.xml")
    hrefs = page.xpath("//main//@href | //main//@src")
    assert all(not h.lower().replace("\t", "").startswith(("javascript", "data", "vbscript", "//"))
               for h in hrefs), hrefs
    p = one(page, "//p[@id='hostile-p1']")
    # "java<TAB>script:…" is two TEI pointers; the first, "java", is a harmless relative link
    assert p.xpath(".//a[contains(@class,'ref')]/@href") == [
        "java", "https://ok.example/", "mailto:someone@example.org"]
    for label in ("js link", "mixed case", "tab inside", "data link", "vb link", "protocol relative"):
        assert label in text(p)
    assert "javascript:alert(4)" in text(p)  # ptr shown as text
    assert page.xpath("//dd[@class='licence']//a") == []


def test_hostile_attributes_never_reach_html(render: Render) -> None:
    page, files = render("hostile.xml")
    for el in page.iter():
        if not isinstance(el.tag, str):
            continue
        for name in el.attrib:
            assert not name.lower().startswith("on"), (el.tag, name)
        assert el.get("style") is None
        if el.get("lang") is not None:
            assert el.get("lang") in ("en",), el.get("lang")
    raw = files[0].data.decode()
    assert "<script>alert" not in raw
    assert raw.count("<script") == 1  # only assets/edition.js
    assert page.xpath("//script/@src") == ["assets/edition.js"]
    p = one(page, "//p[@id='hostile-p1']")
    assert set(p.get("class", "").split()) <= {"rend-colorred", "rend-xy", "rend-bold"}
    assert "<script>alert(7)</script>" in text(p)  # escaped text stays text
    assert one(page, "//title").text.startswith("<script>alert(1)</script>")


# -- generic TEI -------------------------------------------------------------

def _tei_text_nodes(path: Path) -> list[str]:
    tree = etree.parse(str(path))
    body = tree.find(".//{http://www.tei-c.org/ns/1.0}body")
    assert body is not None
    return [" ".join(t.split()) for t in body.itertext() if t.strip()]


def test_unknown_elements_keep_their_text(render: Render) -> None:
    page, _ = render("unknown.xml")
    span = one(page, "//span[contains(@class,'tei-frobnicate')]")
    assert text(span) == "beta gamma"
    assert one(span, "span").get("class") == "tei-widget"
    assert text(one(page, "//div[@class='tei-frobnicate']/p")) == "block epsilon"
    assert text(one(page, "//span[contains(@class,'persName')]")) == "Nemo"  # unresolved: no link
    assert [text(li) for li in page.xpath("//ol[@class='list points']/li")] == ["1. first", "2. second"]
    assert page.xpath("//p//p | //p//ul | //p//ol | //p//div | //p//blockquote") == []
    body = text(one(page, "//section[@class='doc-text']"))
    for node in _tei_text_nodes(FIX / "unknown.xml"):
        assert node in body, node


# -- Python helpers ----------------------------------------------------------

def test_doc_page_reserves_edition_page_names() -> None:
    assert doc_page("memo-1949-06-27") == "memo-1949-06-27.html"
    assert doc_page("index") == "doc-index.html"
    assert doc_page("Search") == "doc-Search.html"
    for bad in ("../x", "a/b", "", ".hidden"):
        with pytest.raises(ValueError):
            doc_page(bad)


def test_reserved_names_agree_with_stylesheet(engine: Any) -> None:
    import re

    from teipress.paths import xslt_path
    from teipress.render.html import RESERVED_PAGES

    layout = xslt_path("html", "layout.xsl").read_text()
    m = re.search(r'name="h:reserved".*?select="\(([^)]*)\)"', layout, re.S)
    assert m is not None
    assert set(re.findall(r"'([a-z]+)'", m.group(1))) == RESERVED_PAGES


def test_search_passages_are_displayed_text(render: Render) -> None:
    _, files = render("conventions.xml")
    entries = passages_from_page(files[0].data, "conv-1843.html", "A Letter")
    by_url = {e.url: e.text for e in entries}
    p2 = by_url["conv-1843.html#conv-1843-p2"]
    assert p2.startswith("1. The [engine] weaves motifs and patterns;")
    assert "added by the translator" not in p2 and "¶" not in p2
    p1 = by_url["conv-1843.html#conv-1843-p1"]
    assert "1852" not in p1 and "She was tired" not in p1  # no card, no popover text
    js = search_index_js(entries).decode()
    assert js.startswith("window.TEIPRESS_SEARCH = [") and js.rstrip().endswith(";")
    assert "<" not in js


def test_search_passage_ends_with_its_element() -> None:
    """Text after a passage (its tail) and hidden helpers inside it stay out of the index."""
    html = (b'<html><body><main><div><p id="a">One <span class="visually-hidden">hidden</span>'
            b'two<span class="note-ref-wrap"><sup>1</sup><span class="note-pop">pop</span></span>'
            b' three <a class="anchor" href="#a">\xc2\xb6</a></p>. tail'
            b'<blockquote id="b"><p>Inner <b>bold</b></p> after'
            b'<a class="anchor" href="#b">\xc2\xb6</a></blockquote></div></main></body></html>')
    got = [(e.url, e.text) for e in passages_from_page(html, "d.html", "D")]
    assert got == [("d.html#a", "One two three"), ("d.html#b", "Inner bold after")]


def test_page_breaks_show_their_number_and_no_empty_ids(render: Render) -> None:
    page, _ = render("conventions.xml")
    pb = one(page, "//span[@class='pb']")
    assert text(pb) == "[7]" and pb.get("aria-label") == "page 7"
    assert page.xpath("//*[@id='']") == [], "an element without xml:id must not get id=\"\""
