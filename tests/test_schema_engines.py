"""The fast XSD 1.1 engine (libxml2 core + Saxon assertions) agrees with xmlschema, the reference.

Every schema fixture and every edition file is validated by both engines; they
must give the same verdict.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from teipress.check.schema import XsdChecker, xsd_checker
from teipress.check.xsd11 import FastXsdChecker, Unsplittable, split_schema
from teipress.load import LoadedDocument, load_path, secure_parser

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schema" / "teipress.xsd"
CASES = sorted((ROOT / "tests" / "fixtures" / "schema").rglob("*.xml")) + sorted((ROOT / "tei").rglob("*.xml"))


@pytest.fixture(scope="module")
def engines() -> tuple[FastXsdChecker, XsdChecker]:
    fast = xsd_checker(SCHEMA, "project")
    assert isinstance(fast, FastXsdChecker), "the project schema must take the fast path"
    return fast, XsdChecker(SCHEMA)


@pytest.mark.parametrize("path", CASES, ids=lambda p: str(p.relative_to(ROOT)))
def test_fast_engine_agrees_with_xmlschema(path: Path, engines: tuple[FastXsdChecker, XsdChecker]) -> None:
    fast, ref = engines
    # Parse directly: some fixtures (a non-TEI root) are refused by the loader before any schema runs.
    data = path.read_bytes()
    doc = LoadedDocument(path, path.name, data, "", etree.fromstring(data, secure_parser()).getroottree())
    got, expected = fast.check(doc), ref.check(doc)
    # Same verdict. (Locations may differ legitimately: libxml2 points at the unexpected
    # child, xmlschema at the parent whose content model failed.)
    assert bool(got) == bool(expected), (got, expected)


def test_the_flagship_edition_is_valid_under_the_fast_engine(engines: tuple[FastXsdChecker, XsdChecker]) -> None:
    fast, _ = engines
    for path in sorted((ROOT / "tei").rglob("*.xml")):
        assert fast.check(load_path(path, ROOT)) == [], path


def test_assertion_findings_are_located_and_explained(tmp_path: Path,
                                                      engines: tuple[FastXsdChecker, XsdChecker]) -> None:
    fast, _ = engines
    path = tmp_path / "bad.xml"
    path.write_text(
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>t</title></titleStmt>'
        "<publicationStmt><p>p</p></publicationStmt><sourceDesc><p>s</p></sourceDesc></fileDesc></teiHeader>"
        '<text><body>\n<p>On <date notBefore="1950" notAfter="1949">then</date>.</p></body></text></TEI>')
    diags = fast.check(load_path(path, tmp_path))
    assert [(d.code, d.line, d.col) for d in diags] == [("S001", 2, 7)]
    assert "notBefore may not follow notAfter" in diags[0].message


@pytest.mark.parametrize("construct", [
    '<xs:element name="a"><xs:complexType><xs:openContent><xs:any/></xs:openContent></xs:complexType></xs:element>',
    '<xs:element name="a" type="xs:string"><xs:alternative test="@x" type="xs:string"/></xs:element>',
    '<xs:element name="a" type="xs:dateTimeStamp"/>',
    '<xs:complexType name="T"><xs:assert test="true()"/></xs:complexType>',
])
def test_schemas_beyond_the_split_fall_back_to_xmlschema(tmp_path: Path, construct: str) -> None:
    xsd = tmp_path / "s.xsd"
    xsd.write_text(f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{construct}</xs:schema>')
    with pytest.raises(Unsplittable):
        split_schema(xsd)


def test_remote_includes_are_refused(tmp_path: Path) -> None:
    xsd = tmp_path / "s.xsd"
    xsd.write_text('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
                   '<xs:include schemaLocation="http://127.0.0.1:9/evil.xsd"/></xs:schema>')
    with pytest.raises(Unsplittable):
        split_schema(xsd)
