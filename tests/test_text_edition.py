
"""The plain-text edition on small fixtures: every editorial convention, rendered exactly,
the wrapping rules, the header, notes, commentary, the edition file and its index.

Documents are rendered through the public render API (``teipress.render.text.FORMAT``)
with a register built by the real resolve phase, exactly as ``teipress build`` does.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from teipress.config import Config, ConfigError, EditionInfo
from teipress.load import load_path
from teipress.render import RenderContext, engine_for
from teipress.render.text import FORMAT, leaked_markup, lost_text, text_width
from teipress.resolve import Corpus, build_register
from teipress.xslt import XsltEngine

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "text"

PREFIXES = (
    '<listPrefixDef><prefixDef ident="pers" matchPattern="([a-z0-9-]+)" '
    'replacementPattern="persons.xml#pers-$1"/></listPrefixDef>'
)


def tei(body: str, *, doc_id: str = "doc-a", title: str = "A test document", header: str = "",
        profile: str = "", back: str = "", front: str = "") -> str:
    """A small TEI document with *body* (and optional header/profile/back parts)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id="{doc_id}">
  <teiHeader>
    <fileDesc>
      <titleStmt><title type="main">{title}</title>{header}</titleStmt>
      <publicationStmt><p>test</p></publicationStmt>
      <sourceDesc><p>born digital</p></sourceDesc>
    </fileDesc>
    <encodingDesc>{PREFIXES}</encodingDesc>
    <profileDesc>{profile}</profileDesc>
  </teiHeader>
  <text>{f"<front>{front}</front>" if front else ""}<body>{body}</body>{f"<back>{back}</back>" if back else ""}</text>
</TEI>"""


@pytest.fixture(scope="module")
def engine() -> XsltEngine:
    return engine_for([FORMAT])


class Built:
    """The text edition of a set of fixture documents."""

    def __init__(self, files: dict[str, str], trees: dict[str, etree._Element]) -> None:
        self.files = files
        self.trees = trees

    def __getitem__(self, name: str) -> str:
        return self.files[name]

    def body(self, doc_id: str = "doc-a") -> str:
        """The document text after its header block (title, fields)."""
        text = self.files[f"{doc_id}.txt"]
        blocks = text.split("\n\n")
        start = next(i for i, b in enumerate(blocks) if b.startswith("Document:")) + 1
        return "\n\n".join(blocks[start:])


def build(tmp_path: Path, engine: XsltEngine, docs: dict[str, str], *, width: int | None = None,
          edition: EditionInfo | None = None) -> Built:
    """Render *docs* (file stem -> TEI) with the real resolver and the text format."""
    src = tmp_path / "tei"
    src.mkdir(parents=True, exist_ok=True)
    (src / "persons.xml").write_bytes((FIXTURES / "persons.xml").read_bytes())
    paths = []
    for stem, xml in docs.items():
        (src / f"{stem}.xml").write_text(xml, encoding="utf-8")
        paths.append(src / f"{stem}.xml")
    raw: dict[str, Any] = {"text": {"width": width}} if width is not None else {}
    cfg = Config(root=tmp_path, raw=raw, edition=edition or EditionInfo(title="Fixture edition"))
    loaded = [load_path(p, tmp_path) for p in paths]
    assert all(d.ok for d in loaded), [d.diagnostics for d in loaded]
    auths = [load_path(src / "persons.xml", tmp_path)]
    register = build_register(Corpus(loaded, auths, cfg), cfg).to_xml_bytes()
    ctx = RenderContext(cfg, engine, register, etree.fromstring(register), "2026-01-01")
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    files: dict[str, str] = {}
    for d in loaded:
        for f in FORMAT.render_document(ctx, d, engine.parse(d.data)):
            (out / f.relpath).write_bytes(f.data)
            files[f.relpath] = f.data.decode("utf-8")
    for f in FORMAT.render_edition(ctx, loaded, out):
        files[f.relpath] = f.data.decode("utf-8")
    return Built(files, {d.doc_id: d.root for d in loaded})


@pytest.fixture
def one(tmp_path: Path, engine: XsltEngine) -> Iterator[Any]:
    """render(body_xml, **tei_kwargs) -> the body text of that one document."""
    counter = iter(range(1000))

    def render(body: str, width: int | None = None, **kw: str) -> str:
        d = tmp_path / f"run{next(counter)}"
        d.mkdir()
        built = build(d, engine, {"a": tei(body, **kw)}, width=width)
        return built.body()

    yield render


# --------------------------------------------------------------------------
# editorial conventions, exactly

def test_supplied_text_in_square_brackets(one: Any) -> None:
    assert one('<p>cdes. <persName ref="pers:ada"><supplied reason="x">Vyacheslav</supplied> '
               'Molotov</persName> and I<supplied>van</supplied> V.</p>') \
        == "cdes. [Vyacheslav] Molotov and I[van] V.\n"


def test_foreign_words_marked_with_underscores(one: Any) -> None:
    assert one('<p>The meeting <supplied><foreign xml:lang="ru-Latn">priem</foreign></supplied> '
               'took place; a <foreign xml:lang="ru-Latn">vsem\'ie ne bez uroda</foreign>.</p>') \
        == "The meeting [_priem_] took place; a _vsem'ie ne bez uroda_.\n"


def test_direct_speech_and_q_in_quotation_marks_reported_speech_plain(one: Any) -> None:
    assert one('<p><said direct="true">We,</said> he said, <said direct="false">that all is well</said>'
               ' and <q>no <q>nested</q> doubt</q>.</p>') \
        == "“We,” he said, that all is well and “no ‘nested’ doubt”.\n"


def test_quotation_marks_printed_in_the_source_are_not_doubled(one: Any) -> None:
    assert one('<p>He said: "<said direct="true">Well, yes.</said>" and <quote>“Already”</quote>.</p>') \
        == 'He said: "Well, yes." and “Already”.\n'


def test_gap_and_described_gap(one: Any) -> None:
    assert one('<p>Kovalev <gap reason="signature"><desc>signature</desc></gap>, then <gap/>.</p>') \
        == "Kovalev [signature], then […].\n"


def test_choice_keeps_source_form_and_alternative_in_braces(one: Any) -> None:
    assert one('<p><choice><abbr>z. B.</abbr><expan>zum Beispiel</expan></choice> '
               '<choice><sic>Verlurst</sic><corr>Verlust</corr></choice></p>') \
        == "z. B. {zum Beispiel} Verlurst {Verlust}\n"


def test_deleted_text_in_white_brackets_additions_plain(one: Any) -> None:
    assert one('<p>a <del>wrong</del> <add>right</add> word</p>') == "a ⟦wrong⟧ right word\n"


def test_line_and_page_breaks_reflow(one: Any) -> None:
    assert one('<p>one<lb/>two <lb/>three<lb break="no"/>four<pb n="2"/>five</p>') \
        == "one two three four five\n".replace("three four", "threefour")


def test_unknown_elements_fall_through_to_their_text(one: Any) -> None:
    out = one('<p>before <printedheader>odd <b>bold</b></printedheader> after</p>'
              '<weird>block-level stray text</weird><div><obj>in a div</obj></div>')
    assert out == "before odd bold after\n\nblock-level stray text\n\nin a div\n"


def test_comments_and_processing_instructions_are_not_text(one: Any) -> None:
    assert one("<p>a<!-- secret --> b<?pi x?> c</p>") == "a b c\n"


def test_markup_like_source_text_is_kept_and_nothing_else_leaks(tmp_path: Path, engine: XsltEngine) -> None:
    built = build(tmp_path, engine, {"a": tei("<p>Write &lt;b&gt;bold&lt;/b&gt; &amp; more.</p>")})
    text = built["a.txt"] if "a.txt" in built.files else built["doc-a.txt"]
    assert "Write <b>bold</b> & more." in text
    assert leaked_markup(built.trees["doc-a"], text) == []
    assert leaked_markup(built.trees["doc-a"], text + "<hi rend='x'>") == ["<hi rend='x'>"]


# --------------------------------------------------------------------------
# footnotes, commentary, citations, headings

def test_footnote_markers_and_notes_section(one: Any) -> None:
    out = one('<p>Gao Gang<note place="foot">The sentence breaks off here in the source text; '
              'it is reproduced as it stands.</note> and <note n="a">lettered</note> then '
              '<note place="foot">two</note>.</p>')
    assert out == (
        "Gao Gang[1] and[a] then[2].\n\n"
        "Notes\n-----\n\n"
        "[1] The sentence breaks off here in the source text; it is reproduced as\n"
        "    it stands.\n\n"
        "[a] lettered\n\n"
        "[2] two\n"
    )


def test_footnote_markers_glue_across_line_breaks_and_can_open_a_paragraph(one: Any) -> None:
    out = one('<p><note place="foot">first</note> Opening words and\n       '
              '<note place="foot">two</note>\n   <note place="foot">three</note>  more.</p>')
    assert out.startswith("[1] Opening words and[2][3] more.\n\nNotes\n")


def test_note_labels_come_from_the_register(tmp_path: Path, engine: XsltEngine) -> None:
    """The register numbers notes skipping labels taken by @n; the text must agree."""
    built = build(tmp_path, engine, {"a": tei('<p>x<note>first</note> y<note n="2">fixed</note> '
                                               'z<note>third</note></p>')})
    body = built.body()
    assert "x[1] y[2] z[3]" in body
    assert "[3] third" in body


def test_margin_notes_stay_in_place_braced(one: Any) -> None:
    assert one('<p>text <note place="margin">gloss</note> more</p>') == "text {margin: gloss} more\n"


def test_commentary_after_the_document_titled(one: Any) -> None:
    out = one("<p>Text.</p>", back='<div type="commentary"><head>Remarks</head><p>A remark.</p></div>'
                                   '<div type="commentary"><p>Untitled remark.</p></div>')
    assert out == ("Text.\n\nRemarks\n-------\n\nA remark.\n\n"
                   "Commentary\n----------\n\nUntitled remark.\n")


def test_cit_is_an_indented_quotation_with_its_source(one: Any) -> None:
    out = one('<div><cit><quote><p>Quoted words that are long enough to be wrapped onto a second '
              'line here.</p></quote><bibl><title>Red Wings over the Yalu</title>, 33-34</bibl>'
              '</cit></div>')
    assert out == ("    Quoted words that are long enough to be wrapped onto a second line\n"
                   "    here.\n\n"
                   "    — Red Wings over the Yalu, 33-34\n")


def test_cit_inside_a_paragraph_splits_it(one: Any) -> None:
    out = one("<p>As he wrote: <cit><quote>short</quote><bibl>Author 2004</bibl></cit> and so on.</p>")
    assert out == "As he wrote:\n\n    short\n\n    — Author 2004\n\nand so on.\n"


def test_document_title_and_section_heads_underlined(tmp_path: Path, engine: XsltEngine) -> None:
    built = build(tmp_path, engine, {"a": tei('<div><head>Record of <persName ref="pers:ada">Ada</persName>'
                                               '</head><p>x</p></div>', title="Memo")})
    text = built["doc-a.txt"]
    assert text.startswith("Memo\n====\n\n")
    assert "\n\nRecord of Ada\n-------------\n\nx\n" in text


# --------------------------------------------------------------------------
# numbered points and lists

def test_numbered_points_keep_their_number_with_hanging_indent(one: Any) -> None:
    out = one('<p n="1">1. About the credit. Cde. Stalin said that the VKP(b) CC decided to provide '
              'a credit.</p><p n="7">7 Cde. Liu Shaoqi thanked Cde. Stalin for the enormous aid, which '
              'is now provided.</p><p n="3">No number written in the text.</p>', width=40)
    assert out == (
        "1. About the credit. Cde. Stalin said\n"
        "   that the VKP(b) CC decided to provide\n"
        "   a credit.\n\n"
        "7 Cde. Liu Shaoqi thanked Cde. Stalin\n"
        "  for the enormous aid, which is now\n"
        "  provided.\n\n"
        "3. No number written in the text.\n"
    )


def test_lists(one: Any) -> None:
    out = one('<list><item>plain item</item><item>a second item that is long enough to wrap</item>'
              '</list><list type="ordered"><item>first</item><item>second</item></list>'
              '<list><item n="iv)">fourth</item></list>', width=30)
    assert out == (
        "- plain item\n\n"
        "- a second item that is long\n"
        "  enough to wrap\n\n"
        "1. first\n\n2. second\n\n"
        "iv) fourth\n"
    )


# --------------------------------------------------------------------------
# wrapping

def _lines(text: str) -> list[str]:
    return text.split("\n")


def test_wrapping_default_width_72_and_never_breaking_words(one: Any) -> None:
    words = " ".join(f"word{i}" for i in range(200))
    out = one(f"<p>{words}</p>")
    lines = _lines(out.rstrip("\n"))
    assert max(len(line) for line in lines) <= 72
    assert max(len(line) for line in lines) > 66  # filled, not ragged
    assert " ".join(lines) == words


def test_width_is_configurable(one: Any) -> None:
    out = one("<p>" + "alpha beta gamma delta " * 10 + "</p>", width=30)
    assert all(len(line) <= 30 for line in _lines(out))
    assert _lines(out)[0] == "alpha beta gamma delta alpha"


def test_long_url_and_number_stay_whole_on_their_own_line(one: Any) -> None:
    url = "https://example.org/" + "very-long-path/" * 6 + "end"
    out = one(f"<p>See {url} for 1,000,000,000,000 and 300&#160;000 dollars.</p>", width=24)
    assert _lines(out) == ["See", url, "for 1,000,000,000,000", "and 300\u00a0000 dollars.", ""]


def test_lines_filled_to_the_exact_width_and_hanging_indents(one: Any) -> None:
    out = one("<p>aaaa bbbb cccc ddddd eeee " + "f" * 26 + " g hh</p>"
              "<list><item>one two three four five six seven</item></list>", width=20)
    assert _lines(out)[:7] == ["aaaa bbbb cccc ddddd", "eeee", "f" * 26, "g hh", "",
                               "- one two three four", "  five six seven"]


def test_no_trailing_whitespace_unix_newlines_single_final_newline(tmp_path: Path, engine: XsltEngine) -> None:
    built = build(tmp_path, engine, {"a": tei("<p>a\r\nb   c&#13;d</p><p>  </p><p>e</p>")})
    for text in built.files.values():
        assert "\r" not in text
        assert text.endswith("\n") and not text.endswith("\n\n")
        assert all(line == line.rstrip() for line in text.split("\n"))
        assert "\n\n\n\n" not in text


def test_output_is_nfc(one: Any) -> None:
    decomposed = unicodedata.normalize("NFD", "Zürich Café")
    out = one(f"<p>{decomposed}</p>")
    assert out == "Zürich Café\n"
    assert unicodedata.is_normalized("NFC", out)


def test_wrapping_is_linear(one: Any) -> None:
    """A 200,000-word paragraph: quadratic wrapping would take minutes."""
    t0 = time.perf_counter()
    out = one("<p>" + "lorem ipsum dolor sit amet " * 40_000 + "</p>")
    elapsed = time.perf_counter() - t0
    assert out.count("lorem") == 40_000
    assert elapsed < 20, elapsed


def test_width_config_validation() -> None:
    assert text_width(Config(root=Path("."))) == 72
    assert text_width(Config(root=Path("."), raw={"text": {"width": 100}})) == 100
    for bad in (5, "72", True, 5000):
        with pytest.raises(ConfigError):
            text_width(Config(root=Path("."), raw={"text": {"width": bad}}))


# --------------------------------------------------------------------------
# header

FLAGSHIP_LIKE_HEADER = dict(
    header='<title type="sub">Record of the conversation</title>'
           '<respStmt><resp>Translated from Russian by</resp><persName ref="pers:bob">Bob B.</persName></respStmt>',
    profile='<abstract><p>about a credit</p></abstract>'
            '<particDesc><listPerson type="participants"><person sameAs="pers:ada" role="host"/>'
            '<person sameAs="pers:bob" role="delegation-member"/></listPerson></particDesc>'
            '<settingDesc><setting><date when="1949-06-27">27 June 1949</date></setting></settingDesc>',
)


def test_header_block(tmp_path: Path, engine: XsltEngine) -> None:
    doc = tei("<p>x</p>", title="Memorandum", **FLAGSHIP_LIKE_HEADER).replace(
        "<sourceDesc><p>born digital</p></sourceDesc>",
        "<sourceDesc><bibl>Source: APRF: F. 45.</bibl><msDesc><msIdentifier><settlement>Moscow"
        "</settlement><repository>APRF</repository><idno type=\"fond\">45</idno></msIdentifier></msDesc>"
        "<biblStruct><monogr><editor>A. Ledovskii</editor><editor>R. Mirovitskaia</editor>"
        "<title level=\"m\">Otnosheniia</title><imprint><pubPlace>Moscow</pubPlace><publisher>PIM"
        "</publisher><date when=\"2005\">2005</date></imprint><biblScope unit=\"volume\">5</biblScope>"
        "<biblScope unit=\"page\">148–151</biblScope></monogr></biblStruct></sourceDesc>")
    text = build(tmp_path, engine, {"a": doc})["doc-a.txt"]
    assert text == (
        "Memorandum\n==========\n\n"
        "Record of the conversation\n\n"
        "Document:       doc-a\n"
        "Date:           27 June 1949\n"
        "Participants:   Ada Lovelace (1815–1852), host; Bob Babbage (b. 1791),\n"
        "                delegation member\n"
        "Archive:        Moscow, APRF, fond 45\n"
        "Source:         Source: APRF: F. 45.\n"
        "Printed:        A. Ledovskii and R. Mirovitskaia (eds), Otnosheniia,\n"
        "                vol. 5 (Moscow: PIM, 2005), pp. 148–151.\n"
        "Translator:     Bob B.\n"
        "Abstract:       about a credit\n\n"
        "x\n"
    )


def test_header_of_a_letter_degrades_gracefully(tmp_path: Path, engine: XsltEngine) -> None:
    """An Escher-style letter: correspDesc, msIdentifier with institution, printed bibl."""
    doc = ('<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id="K_0002"><teiHeader><fileDesc><titleStmt>'
           '<title>Anonym an Alfred Escher, s.l., [Februar 1877?]</title></titleStmt><publicationStmt>'
           '<p>x</p></publicationStmt><sourceDesc><msDesc><msIdentifier><institution>BAR</institution>'
           '<idno>J I.67</idno></msIdentifier></msDesc><bibl type="printed">Jung, Nr. 273</bibl>'
           '</sourceDesc></fileDesc><profileDesc><correspDesc><correspAction type="sent">'
           '<orgName type="addressee">Anonym</orgName><persName type="sender">Alfred Escher</persName>'
           '<date when="1877-02-01">[Februar 1877?]</date></correspAction></correspDesc></profileDesc>'
           '</teiHeader><text><body><p>Verzeihen Sie.</p></body></text></TEI>')
    text = build(tmp_path, engine, {"K_0002": doc})["K_0002.txt"]
    assert text == (
        "Anonym an Alfred Escher, s.l., [Februar 1877?]\n"
        "==============================================\n\n"
        "Document:       K_0002\n"
        "Date:           [Februar 1877?]\n"
        "Correspondence: Anonym (addressee); Alfred Escher (sender)\n"
        "Archive:        BAR, J I.67\n"
        "Printed:        Jung, Nr. 273\n\n"
        "Verzeihen Sie.\n"
    )


def test_bare_document_without_header_or_title(tmp_path: Path, engine: XsltEngine) -> None:
    doc = '<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>only text</p></body></text></TEI>'
    text = build(tmp_path, engine, {"bare": doc})["bare.txt"]
    # no TEI title: the register's title (the resolver falls back to the file stem)
    assert text == "bare\n====\n\nDocument:       bare\n\nonly text\n"


# --------------------------------------------------------------------------
# the edition file

def test_edition_file(tmp_path: Path, engine: XsltEngine) -> None:
    a = tei('<p><persName ref="pers:ada">Ada</persName> and <persName ref="pers:bob">Bob</persName>'
            '<note>n</note></p>', doc_id="doc-a", title="First",
            profile='<creation><date when="1840-01-01"/></creation>')
    b = tei('<p><persName ref="pers:ada">Lady Lovelace</persName></p>', doc_id="doc-b", title="Second",
            profile='<creation><date when="1850-01-01"/></creation>')
    built = build(tmp_path, engine, {"b": b, "a": a},
                  edition=EditionInfo(title="Fixture edition", editors=["E. Ditor"], year="2026",
                                      version="1.0"))
    ed = built["edition.txt"]
    assert ed.startswith("Fixture edition\n===============\n\nEdited by E. Ditor\n2026\nVersion 1.0\n\n"
                         "Contents\n--------\n\n1. First — doc-a\n2. Second — doc-b\n\n"
                         "Editorial conventions\n---------------------\n\n[text]      text supplied")
    # conventions explained once, documents in reading order, each whole
    assert ed.count("Editorial conventions") == 1
    assert built["doc-a.txt"] in ed and built["doc-b.txt"] in ed
    assert ed.index(built["doc-a.txt"]) < ed.index(built["doc-b.txt"])
    assert ed.endswith(
        "Index of persons\n----------------\n\n"
        "Bob Babbage (b. 1791): doc-a\n"
        "Ada Lovelace (1815–1852): doc-a, doc-b\n")
    assert "Never Mentioned" not in ed


def test_same_input_same_bytes(tmp_path: Path, engine: XsltEngine) -> None:
    docs = {"a": tei('<p>x<note>n</note> <said>y</said></p>', **FLAGSHIP_LIKE_HEADER)}
    one_run = build(tmp_path / "1", engine, docs).files
    two_run = build(tmp_path / "2", engine, docs).files
    assert one_run == two_run


# --------------------------------------------------------------------------
# robustness: hostile and odd TEI

HOSTILE = tei(
    '<div><head>Odd <hi rend="i">head</hi></head>'
    '<p>Text with <note place="foot">a note with a <note>nested note</note> inside</note> and '
    '<table><row><cell>a</cell><cell>b <lb/>c</cell></row><row><cell>d</cell></row></table> '
    'between <lg><l>verse one</l><l>verse two</l></lg> and &lt;not a tag&gt; or '
    '<fw type="header">RUNNING HEAD</fw> <figure><head>Fig</head><figDesc>desc</figDesc></figure>'
    '<ptr target="javascript:alert(1)"/><ref target="http://x.org">link text</ref>'
    '<choice><orig>olde</orig><reg>old</reg></choice><unclear>unsure</unclear>'
    '<foreign/><supplied/><q/> &#xFDD0;glue</p>'
    '<quote>A block quotation directly in a div.</quote>'
    '<list><head>List head</head><label>L</label><item><p>para in item</p><p>second para</p></item></list>'
    '<sp><speaker>A</speaker><p>speech</p></sp>'
    '</div>',
    back='<div type="commentary"><head>Remarks</head><cit><quote>q</quote><bibl>b</bibl>'
         '<note place="foot">in cit</note></cit></div>',
    front='<titlePage><docTitle><titlePart>Front title</titlePart></docTitle></titlePage>')


def test_hostile_document_loses_no_text_and_leaks_no_markup(tmp_path: Path, engine: XsltEngine) -> None:
    built = build(tmp_path, engine, {"a": HOSTILE})
    text = built["doc-a.txt"]
    root = built.trees["doc-a"]
    lost = lost_text(root, text)
    # the one deliberate loss: the U+FDD0 noncharacter, reserved as the marker glue
    assert lost == ["\ufdd0glue"]
    assert "glue" in text
    assert leaked_markup(root, text) == []
    assert "<not a tag>" in text
    assert "javascript" not in text
    assert "a | b c\nd" in text
    assert "verse one\nverse two" in text
    assert "{RUNNING HEAD}" in text
    assert "olde {old}" in text
    assert "    A block quotation directly in a div." in text
    assert "- para in item\n\n  second para" in text
    assert "[1] a note with a[2] inside" in text
    assert "[2] nested note" in text


def test_lost_text_detects_a_loss(tmp_path: Path, engine: XsltEngine) -> None:
    built = build(tmp_path, engine, {"a": tei("<p>alpha <hi>beta</hi> gamma</p>")})
    root = built.trees["doc-a"]
    assert lost_text(root, built["doc-a.txt"]) == []
    assert lost_text(root, built["doc-a.txt"].replace("beta", "")) == ["beta"]


def test_two_files_sharing_an_id_still_render(tmp_path: Path, engine: XsltEngine) -> None:
    """The Escher corpus has two files with xml:id K_0434; the register then holds two
    r:document records with one id, which must not turn into a type error."""
    built = build(tmp_path, engine, {"a": tei("<p>one</p>", doc_id="dup"),
                                     "b": tei("<p>two</p>", doc_id="dup")})
    assert built["edition.txt"].count("Document:       dup") >= 1
    assert built["dup.txt"].endswith(("one\n", "two\n"))
