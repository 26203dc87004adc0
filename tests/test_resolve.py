"""Resolve phase: pointer resolution, X diagnostics (code, line, column), register, notes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lxml import etree

from teipress import REGISTER_NS
from teipress.config import Config, ConfigError, load_config
from teipress.diagnostics import Diagnostic
from teipress.load import load_path
from teipress.locate import ElementLocator
from teipress.resolve import (
    Corpus,
    build_register,
    check_corpus,
    note_labels,
    parse_key_rules,
    rules,
    suggest,
)
from teipress.resolve.corpus import Extracted
from teipress.resolve.suggest import fixed_texts

FIX = Path(__file__).parent / "fixtures" / "xref"
REPO = Path(__file__).resolve().parents[1]
R = {"r": REGISTER_NS}


def corpus_of(project: Path) -> tuple[Corpus, Config]:
    cfg = load_config(config_file=project / "teipress.toml")
    docs = [load_path(p, cfg.root) for p in cfg.source_files()]
    auths = [load_path(p, cfg.root) for p in cfg.authority_files()]
    return Corpus(docs, auths, cfg), cfg


def where(path: Path, needle: str) -> tuple[int, int]:
    """Line and column (1-based, characters) of the '<' of the tag containing *needle*."""
    text = path.read_text("utf-8")
    i = text.index(needle)
    lt = text.rindex("<", 0, i)
    line = text.count("\n", 0, lt) + 1
    return line, lt - (text.rfind("\n", 0, lt) + 1) + 1


@pytest.fixture(scope="module")
def errors() -> list[Diagnostic]:
    corpus, _ = corpus_of(FIX / "errors")
    return check_corpus(corpus)


def find(diags: list[Diagnostic], code: str, text: str = "") -> Diagnostic:
    hits = [d for d in diags if d.code == code and text in d.message]
    assert hits, f"no {code} with {text!r} in {[(d.code, d.message) for d in diags]}"
    return hits[0]


BAD = FIX / "errors" / "tei" / "bad.xml"
PERSONS = FIX / "errors" / "tei" / "authority" / "persons.xml"


def test_x001_dangling_with_did_you_mean(errors: list[Diagnostic]) -> None:
    d = find(errors, "X001", "pers:gao-gan")
    assert (d.path, d.line, d.col) == ("tei/bad.xml", 13, 30)
    assert (d.line, d.col) == where(BAD, 'ref="pers:gao-gan"')
    assert 'did you mean "pers:gao-gang" (Gao Gang)' in d.message
    assert d.is_error and d.source == "xref" and d.help
    d = find(errors, "X001", "#bad-p4")
    assert '"#bad-p3"' in d.message
    d = find(errors, "X001", "missing.xml#x")
    assert "not part of the corpus" in d.message


def test_x002_duplicates_in_file_and_across_corpus(errors: list[Diagnostic]) -> None:
    d = find(errors, "X002", "'bad-p1'")
    assert (d.line, d.col) == (14, 7)
    assert "tei/bad.xml:13:7" in d.message
    d = find(errors, "X002", "'shared-id'")
    assert d.path == "tei/other.xml" and (d.line, d.col) == (5, 5)
    assert "tei/bad.xml:16:7" in d.message


def test_x003_wrong_kind(errors: list[Diagnostic]) -> None:
    d = find(errors, "X003", "place:moscow")
    assert (d.line, d.col) == where(BAD, 'ref="place:moscow"')
    assert "expected person" in d.message


def test_x004_authority_pointer(errors: list[Diagnostic]) -> None:
    d = find(errors, "X004", "#org-nobody")
    assert d.path == "tei/authority/persons.xml"
    assert (d.line, d.col) == where(PERSONS, 'ref="#org-nobody"')
    assert "pers-unused" in d.message


def test_x005_undeclared_prefix(errors: list[Diagnostic]) -> None:
    d = find(errors, "X005", "prs:stalin")
    assert (d.line, d.col) == where(BAD, 'ref="prs:stalin"')
    assert "did you mean 'pers:'" in d.message


def test_x101_unused(errors: list[Diagnostic]) -> None:
    d = find(errors, "X101", "pers-unused")
    assert not d.is_error
    assert (d.line, d.col) == where(PERSONS, 'xml:id="pers-unused"')
    assert not [x for x in errors if x.code == "X101" and "pers-stalin" in x.message]


def test_x102_surface_form(errors: list[Diagnostic]) -> None:
    d = find(errors, "X102", "'Kao'")
    assert (d.line, d.col) == where(BAD, ">Kao<")
    # <roleName>Comrade</roleName> Stalin is not flagged: honorifics are ignored
    assert len([x for x in errors if x.code == "X102"]) == 1


def test_x103_lifetime(errors: list[Diagnostic]) -> None:
    d = find(errors, "X103", "pers-stalin")
    assert "1960-01-01" in d.message and "1953-03-05" in d.message
    assert (d.line, d.col) == where(BAD, 'said who="pers:stalin"')


def test_clean_fixture_has_no_findings() -> None:
    corpus, _ = corpus_of(FIX / "project")
    assert check_corpus(corpus) == []


def test_keys_mapping_and_did_you_mean() -> None:
    corpus, _ = corpus_of(FIX / "keys")
    found = check_corpus(corpus)
    assert [d.code for d in found] == ["X001"]
    assert '"Escher (vom Glas) Alfred" (Alfred Escher)' in found[0].message
    reg = build_register(corpus)
    esc = reg.element.find("r:entities/r:entity[@id='Escher-Alfred']", R)
    assert esc is not None
    assert [m.get("form") for m in esc.findall("r:mention", R)] == ["Escher"]
    doc = reg.element.find("r:documents/r:document", R)
    assert doc is not None and doc.get("when") == "1864-12-01"
    assert [p.get("ref") for p in doc.findall("r:participant", R)] == ["Beckh-August"]


def test_key_rule_syntax() -> None:
    (rule,) = parse_key_rules({"persName": "person/@n"})
    assert (rule.element, rule.attr, rule.entry, rule.entry_attr) == ("persName", "key",
                                                                       "person", "n")
    (rule,) = parse_key_rules({"placeName/@ref": "place/@xml:id"})
    assert rule.attr == "ref" and rule.entry_attr == "xml:id"
    with pytest.raises(ConfigError):
        parse_key_rules({"persName": "person"})


def test_register_shape() -> None:
    corpus, cfg = corpus_of(FIX / "project")
    reg = build_register(corpus, cfg)
    root = etree.fromstring(reg.to_xml_bytes())
    assert root.tag == f"{{{REGISTER_NS}}}register"
    docs = root.findall("r:documents/r:document", R)
    assert [(d.get("id"), d.get("position"), d.get("prev"), d.get("next")) for d in docs] == [
        ("doc-a", "1", "", "doc-b"), ("doc-b", "2", "doc-a", "")]
    assert [p.get("ref") for p in docs[0].findall("r:participant", R)] == [
        "pers-stalin", "pers-liu-shaoqi"]
    gao = root.find("r:entities/r:entity[@id='pers-gao-gang']", R)
    assert gao is not None
    assert [(m.get("doc"), m.get("anchor"), m.get("form")) for m in gao.findall("r:mention", R)] \
        == [("doc-a", "doc-a-p1", "Gao Gang"), ("doc-a", "doc-a-p3", "Gao"),
            ("doc-b", "doc-b-p1", "Kao Kang")]
    assert [v.text for v in gao.findall("r:variant", R)] == ["Gao", "Kao Kang"]
    ptr = {(p.get("doc"), p.get("value")): (p.get("target"), p.get("kind"))
           for p in root.findall("r:pointers/r:pointer", R)}
    assert ptr[("doc-a", "pers:stalin")] == ("pers-stalin", "person")
    assert ptr[("doc-a", "https://example.org/x")] == ("", "external")
    assert ptr[("doc-a", "doc-b.xml#doc-b-p1")] == ("doc-b-p1", "element")
    assert ptr[("doc-b", "doc-a.xml")] == ("doc-a", "document")
    events = root.findall("r:chronology/r:event", R)
    assert [e.get("sort") for e in events] == ["1949-06-27", "1949-06-27T14:00", "1949-06-28",
                                               "1949-07-01"]
    data = json.loads(reg.to_json())
    assert set(data) == {"version", "built", "teipress", "edition", "documents", "entities",
                         "chronology", "pointers", "notes"}
    assert data["edition"]["title"] == "Fixture edition"
    assert len(data["entities"]) == len(root.findall("r:entities/r:entity", R))


def test_note_labels() -> None:
    corpus, _ = corpus_of(FIX / "project")
    doc = next(f for f in corpus.documents if f.doc_id == "doc-a")
    labels = [(o, label, n.get("place", "")) for n, o, label in note_labels(doc.doc.root)]
    # header note: no label; foot -> 1; @n="2" kept; unnumbered -> 3 (2 is taken); margin: ""
    assert labels == [(1, "", ""), (2, "1", "foot"), (3, "2", ""), (4, "3", ""),
                      (5, "", "margin")]


def test_element_positions_skip_comments_cdata_and_count_characters() -> None:
    data = ('<?xml version="1.0"?>\n<!-- <x> -->\n<a>ä<b/><![CDATA[<c>]]>\n  é<d/></a>'
            ).encode()
    tree = etree.fromstring(data).getroottree()
    locator = ElementLocator(data, tree)
    assert [locator.position(e) for e in tree.getroot().iter()] == [(3, 1), (3, 5), (4, 4)]


def test_suggestions_and_ambiguity() -> None:
    corpus, _ = corpus_of(FIX / "errors")
    found = suggest(corpus)
    got = [(s.line, s.col, s.text, s.ambiguous, s.pointer) for s in found]
    assert got == [
        (16, 29, "Gao Gang", False, "pers:gao-gang"),
        (16, 42, "Liu", True, ""),
        (16, 54, "Moscow", False, "place:moscow"),
        (16, 93, "Stalin", False, "pers:stalin"),   # not the one in the comment
        (16, 106, "Stalin", False, "pers:stalin"),  # notes count as text
    ]
    assert found[1].entries == ("pers-liu-shaoqi", "pers-liu-yalou")
    assert found[1].diagnostic().code == "X202"
    assert found[0].diagnostic().code == "X201"


def test_fix_preserves_bytes(tmp_path: Path) -> None:
    project = tmp_path / "errors"
    shutil.copytree(FIX / "errors", project)
    bad = project / "tei" / "bad.xml"
    original = bad.read_bytes()
    corpus, _ = corpus_of(project)
    changes = fixed_texts(suggest(corpus))
    (old, new) = next(v for f, v in changes.items() if f.doc.path == bad)
    assert old.encode() == original
    expected = original.replace(
        b"<p xml:id=\"shared-id\">Gao Gang and Liu went to Moscow &amp; back <!-- Stalin --> "
        b"with Stalin.<note>Stalin again</note>",
        b'<p xml:id="shared-id"><persName ref="pers:gao-gang">Gao Gang</persName> and Liu went '
        b'to <placeName ref="place:moscow">Moscow</placeName> &amp; back <!-- Stalin --> with '
        b'<persName ref="pers:stalin">Stalin</persName>.<note><persName ref="pers:stalin">'
        b"Stalin</persName> again</note>")
    assert new.encode() == expected


def test_rules_metadata() -> None:
    codes = [r.code for r in rules()]
    assert codes == ["X001", "X002", "X003", "X004", "X005", "X101", "X102", "X103", "X201",
                     "X202"]
    assert all(r.help and r.bad and r.good and r.title for r in rules())


def test_flagship_edition_is_clean_and_registered() -> None:
    cfg = load_config(config_file=REPO / "pyproject.toml")
    docs = [load_path(p, cfg.root) for p in cfg.source_files()]
    auths = [load_path(p, cfg.root) for p in cfg.authority_files()]
    corpus = Corpus(docs, auths, cfg)
    found = check_corpus(corpus)
    assert [d for d in found if not cfg.ignored(d.path, d.code)] == []
    reg = build_register(corpus, cfg)
    gao = reg.element.find("r:entities/r:entity[@id='pers-gao-gang']", R)
    assert gao is not None
    docs_mentioning = {m.get("doc") for m in gao.findall("r:mention", R)}
    assert docs_mentioning == {"memo-1949-06-27", "memo-1949-07-27"}
    notes = {n.get("id"): n.get("label")
             for n in reg.element.findall("r:notes/r:note[@doc='memo-1949-07-27']", R)}
    assert notes["memo-1949-07-27-n1"] == "1"
    assert notes["memo-1949-07-27-n2"] == "2"
    dated = {d.get("id"): (d.get("when"), d.get("position"), d.get("next"))
             for d in reg.element.findall("r:documents/r:document", R)}
    assert dated == {"memo-1949-06-27": ("1949-06-27", "1", "memo-1949-07-27"),
                     "memo-1949-07-27": ("1949-07-27", "2", "")}


@pytest.mark.parametrize("project", [FIX / "errors", REPO], ids=["errors", "flagship"])
def test_a_corpus_that_owns_its_extracts_drops_their_pointer_lists_and_finds_the_same(project: Path) -> None:
    """The build's resolve process builds its corpus with own_extracts: the same findings
    and register, with each file's raw pointer list emptied once resolved."""
    cfg = load_config(config_file=project / ("teipress.toml" if project != REPO else "pyproject.toml"))
    key_attrs = [(r.element, r.attr) for r in parse_key_rules(cfg.keys)]

    def extracted(paths: list[Path]) -> list[Extracted]:
        return [Extracted.of(d, key_attrs) for d in (load_path(p, cfg.root) for p in paths) if d.ok]

    def run(own: bool) -> tuple[Corpus, list[tuple[object, ...]], bytes]:
        corpus = Corpus(extracted(cfg.source_files()), extracted(cfg.authority_files()), cfg, own_extracts=own)
        found = [d.as_row() for d in check_corpus(corpus)]
        reg = build_register(corpus, cfg)
        reg.built = ""
        return corpus, found, reg.to_xml_bytes()

    kept, kept_findings, kept_register = run(False)
    owned, owned_findings, owned_register = run(True)
    assert any(f.extract.uses for f in kept.files)
    assert all(f.extract.uses == [] for f in owned.files)
    assert len(owned.uses) == len(kept.uses) > 0
    assert owned_findings == kept_findings
    assert owned_register == kept_register
