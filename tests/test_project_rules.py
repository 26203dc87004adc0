"""The project rules in schema/teipress.sch: one failing and one passing fixture per rule.

The failing fixture must produce exactly that rule's code at the offending element's
start tag (and nothing else); the passing fixture, the smallest change that fixes it,
must be clean under every rule. The edition itself (tei/) is checked too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from teipress.check.schematron import SchematronRunner, compile_schematron, rules_of
from teipress.diagnostics import Severity
from teipress.load import load_path
from teipress.paths import schema_path

ROOT = Path(__file__).resolve().parents[1]
RULES = Path(__file__).parent / "fixtures" / "rules"
SCH = schema_path("teipress.sch")

#: code -> (severity, line, column) of the finding in tests/fixtures/rules/<code>-fail.xml
EXPECTED = {
    "R001": ("error", 20, 31),     # placeName ref="pers:…"
    "R002": ("error", 20, 35),     # ref target="persons:…" (undeclared prefix)
    "R003": ("error", 20, 31),     # persName ref="pers:Stalin_I" (matchPattern)
    "R004": ("error", 20, 35),     # ref target="#test-doc-p9" (no such id)
    "R005": ("error", 20, 34),     # date when="27 June 1949"
    "R006": ("error", 20, 34),     # notBefore > notAfter
    "R007": ("error", 20, 68),     # the inner note
    "R008": ("error", 20, 36),     # supplied without reason
    "R009": ("warning", 21, 7),    # xml:id="test-doc-P_2"
    "R010": ("error", 3, 3),       # empty title: reported on teiHeader
    "R011": ("warning", 3, 3),     # no date in the header
    "R012": ("warning", 20, 43),   # foreign without xml:lang
    "R013": ("warning", 20, 40),   # said direct="true" without who
    "R014": ("warning", 21, 7),    # p without xml:id
    "R015": ("warning", 21, 7),    # xml:id="p2" not prefixed with the document id
    "R016": ("error", 13, 9),      # prefixDef with an invalid matchPattern
}


@pytest.fixture(scope="module")
def runner() -> SchematronRunner:
    return SchematronRunner([compile_schematron(SCH)])


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_failing_fixture(runner: SchematronRunner, code: str) -> None:
    severity, line, col = EXPECTED[code]
    diags = runner.check(load_path(RULES / f"{code}-fail.xml"))
    assert [(d.code, d.severity.value, d.line, d.col) for d in diags] == [(code, severity, line, col)]
    (d,) = diags
    assert d.source == "schematron"
    assert d.message and d.help, "every project rule has a message and a fix"


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_passing_fixture(runner: SchematronRunner, code: str) -> None:
    assert runner.check(load_path(RULES / f"{code}-pass.xml")) == []


@pytest.mark.parametrize(("code", "quoted"), [
    ("R001", 'placeName/@ref="pers:xinjiang"'),
    ("R002", '"persons:"'),
    ("R003", '"pers:Stalin_I"'),
    ("R004", '"#test-doc-p9"'),
    ("R005", '@when="27 June 1949"'),
    ("R006", '@notBefore="1950-01-01" is later than @notAfter="1949-12-31"'),
    ("R009", 'xml:id="test-doc-P_2"'),
    ("R015", 'xml:id="p2"'),
    ("R016", 'matchPattern="([a-z0-9-+"'),
])
def test_messages_quote_the_bad_value(runner: SchematronRunner, code: str, quoted: str) -> None:
    (d,) = runner.check(load_path(RULES / f"{code}-fail.xml"))
    assert quoted in d.message


def test_generic_tei_without_prefix_declarations_passes(runner: SchematronRunner) -> None:
    # another project's file: "#id" pointers, URLs and paragraphs without ids are fine
    assert runner.check(load_path(RULES / "generic-tei-pass.xml")) == []


def test_other_id_schemes_are_not_held_to_the_teipress_form(
        runner: SchematronRunner, tmp_path: Path) -> None:
    # root id K_1193, no listPrefixDef: R009 does not apply, "#K_1193_p1" resolves (R004)
    assert runner.check(load_path(RULES / "generic-ids-pass.xml")) == []
    # ... but the generic rules still do: a dangling "#id" is reported
    broken = tmp_path / "broken.xml"
    broken.write_text((RULES / "generic-ids-pass.xml").read_text("utf-8")
                      .replace('"#K_1193_p1"', '"#K_1193_p2"'), "utf-8")
    assert [(d.code, d.line, d.col) for d in runner.check(load_path(broken))] == [("R004", 12, 44)]


def test_rules_of_lists_every_project_rule_with_docs() -> None:
    rules = rules_of(SCH)
    assert sorted(r.code for r in rules) == sorted(EXPECTED)
    assert len(rules) == len(EXPECTED)
    for r in rules:
        assert r.severity is Severity(EXPECTED[r.code][0]), r.code
        assert r.title and r.message and r.help, r.code
        assert r.fail_example and r.pass_example, r.code


EDITION = sorted((ROOT / "tei").glob("*.xml")) + sorted((ROOT / "tei" / "authority").glob("*.xml"))


def test_edition_is_clean(runner: SchematronRunner) -> None:
    # the project's own edition follows its rules: no errors and no warnings
    assert EDITION, "the flagship edition (tei/) is missing"
    findings = [d for p in EDITION for d in runner.check(load_path(p, ROOT))]
    assert [f"{d.location()} {d.code} {d.message}" for d in findings] == []
