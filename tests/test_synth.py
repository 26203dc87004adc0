"""The synthetic benchmark corpus (benchmarks/synth.py) is valid, deterministic and id-consistent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from conftest import benchmark_synth
from teipress.check.runner import CheckOptions, check_files
from teipress.config import load_config

REPO = Path(__file__).resolve().parent.parent
TEI = "{http://www.tei-c.org/ns/1.0}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


synth = benchmark_synth()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth.generate(5, tmp_path_factory.mktemp("synth") / "c", force=True)  # type: ignore[no-any-return]


def test_layout(corpus: Path) -> None:
    docs = sorted((corpus / "tei").glob("*.xml"))
    assert len(docs) == 5
    assert sorted(p.name for p in (corpus / "tei" / "authority").glob("*.xml")) == sorted(
        p.name for p in (REPO / "tei" / "authority").glob("*.xml"))
    config = load_config(config_file=corpus / "teipress.toml")
    assert config.source_files() == [p.resolve() for p in docs]
    assert len(config.authority_files()) == 4


def test_validates_with_zero_errors(corpus: Path) -> None:
    """Schema (project XSD), project Schematron and the corpus checks (X rules) all pass."""
    config = load_config(config_file=corpus / "teipress.toml")
    files = [*config.source_files(), *config.authority_files()]
    result = check_files(files, config, CheckOptions(jobs=1))
    errors = [d for d in result.diagnostics if d.severity.value == "error"]
    assert errors == []
    # The derivation adds no corpus findings: ids unique, pointers resolve, names and dates as the flagship's.
    assert [d for d in result.diagnostics if d.code.startswith("X")] == []


def test_ids_unique_and_pointers_rewritten(corpus: Path) -> None:
    seen: set[str] = set()
    doc_ids = []
    for p in sorted((corpus / "tei").glob("*.xml")):
        root = etree.parse(str(p)).getroot()
        doc_id = root.get(XML_ID)
        doc_ids.append(doc_id)
        assert re.fullmatch(r"s\d{5}-memo-\d{4}-\d{2}-\d{2}", doc_id)
        ids = [el.get(XML_ID) for el in root.iter() if el.get(XML_ID)]
        assert not seen & set(ids)
        seen.update(ids)
        for i in ids[1:]:
            assert i.startswith(doc_id + "-")
        assert root.findtext(f".//{TEI}idno[@type='teipress']") == doc_id
        for el in root.iter(etree.Element):
            for v in el.attrib.values():
                for tok in v.split():
                    if tok.startswith("#"):
                        assert tok[1:] in ids
    assert len(set(doc_ids)) == 5


def test_id_and_pointer_rewriting_keeps_same_file_pointers() -> None:
    root = etree.fromstring(
        b'<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id="memo-x"><text><body>'
        b'<p xml:id="memo-x-p1"><ref target="#memo-x-p2 #other https://e.org/#memo-x-p1"/></p>'
        b'<p xml:id="other"/><p xml:id="memo-x-p2"/></body></text></TEI>')
    synth.rewrite_ids(root, "memo-x", "s00007-memo-y")
    assert [e.get(XML_ID) for e in root.iter() if e.get(XML_ID)] == [
        "s00007-memo-y", "s00007-memo-y-p1", "s00007-memo-y-other", "s00007-memo-y-p2"]
    assert root.find(f".//{TEI}ref").get("target") == (
        "#s00007-memo-y-p2 #s00007-memo-y-other https://e.org/#memo-x-p1")


def test_date_shift_keeps_precision_and_order() -> None:
    assert synth.shift_value("1949-06-27", 10) == "1949-07-07"
    assert synth.shift_value("1949-09", 40) == "1949-10"
    assert synth.shift_value("1946", 400) == "1947"
    assert synth.shift_value("23:00:00", 10) == "23:00:00"
    assert synth.shift_value("148", 10) == "148"
    for d in range(0, synth.MAX_SHIFT, 37):
        a, b = synth.shift_value("1946", d), synth.shift_value("1950-02", d)
        assert a <= b[:4]
        assert synth.shift_value("1948-01-01", d) <= synth.shift_value("1948-12-31", d)


def test_deterministic_and_documents_differ(tmp_path: Path, corpus: Path) -> None:
    again = synth.generate(5, tmp_path / "again", force=True)
    texts = []
    for p in sorted((corpus / "tei").glob("*.xml")):
        q = again / "tei" / p.name
        assert q.read_bytes() == p.read_bytes()
        texts.append(re.sub(rb'(xml:id|when|notBefore|notAfter|from|to)="[^"]*"|>[^<]*<', b"", p.read_bytes()))
    # Same template (documents 0, 2, 4) but different running text.
    bodies = [(corpus / "tei" / p.name).read_bytes() for p in sorted((corpus / "tei").glob("*.xml"))]
    assert len(set(bodies)) == 5
    assert texts[0] == texts[2]  # same markup skeleton apart from ids, dates and text


def test_reuse_by_stamp(corpus: Path) -> None:
    first = corpus / "tei" / sorted(p.name for p in (corpus / "tei").glob("*.xml"))[0]
    mtime = first.stat().st_mtime_ns
    assert synth.generate(5, corpus) == corpus.resolve()
    assert first.stat().st_mtime_ns == mtime
