"""The Schematron compiler (xslt/schematron) construct by construct, through the Python API.

Each fixture .sch in tests/fixtures/schematron exercises one construct against the same
small document (doc.xml) and the tests assert the exact code, severity, message and
position of every finding, so a regression in the compiler or in the path->line:col
mapping fails here. Broken schemas in bad/ must fail with a located SchematronError.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from teipress.check.schematron import (
    CompiledSchematron,
    SchematronError,
    SchematronRunner,
    compile_schematron,
    rules_of,
)
from teipress.diagnostics import Severity
from teipress.load import load_path

FIXTURES = Path(__file__).parent / "fixtures" / "schematron"
BAD = FIXTURES / "bad"
XSL = "http://www.w3.org/1999/XSL/Transform"

Finding = tuple[str, str, str, int, int]


def run(name: str, phase: str | None = None, doc: str = "doc.xml") -> list[Finding]:
    compiled = compile_schematron(FIXTURES / name, phase=phase)
    diags = SchematronRunner([compiled]).check(load_path(FIXTURES / doc))
    assert all(d.source == "schematron" and d.path.endswith(doc) for d in diags)
    return [(d.code, d.severity.value, d.message, d.line, d.col) for d in diags]


def error_of(name: str, phase: str | None = None) -> SchematronError:
    with pytest.raises(SchematronError) as info:
        SchematronRunner([compile_schematron(BAD / name, phase=phase)])
    return info.value


# ----------------------------------------------------------------------- constructs

def test_ns_pattern_rule_assert() -> None:
    assert run("assert.sch") == [("A1", "error", "p without n", 9, 7)]


def test_report() -> None:
    assert run("report.sch") == [("R1", "error", "n is not a number", 10, 7)]


def test_first_matching_rule_per_pattern() -> None:
    # p[@n] lines 8 and 10 go to the first rule only; p line 9 to the second; the other
    # pattern sees every p with an id independently.
    assert run("first-match.sch") == [
        ("NUMBERED", "error", "numbered", 8, 7),
        ("OTHER", "error", "other pattern", 8, 7),
        ("OTHER", "error", "other pattern", 9, 7),
        ("PLAIN", "error", "plain", 9, 7),
        ("NUMBERED", "error", "numbered", 10, 7),
    ]


def test_let_at_schema_pattern_and_rule_level() -> None:
    # schema let (doc id), pattern lets (count, and twice referring to count), rule lets
    # (@value and element content)
    assert run("let.sch") == [("LET", "error", "doc doc, 3 of 6, n=x, L", 10, 7)]


def test_value_of_name_and_inline_markup_on_attribute_context() -> None:
    # findings on an attribute are reported at the start tag of its owner element
    assert run("value-of-name.sch") == [
        ("V1", "error", 'persName/@ref is "#b" in p', 8, 31),
        ("V1", "error", 'persName/@ref is "#nowhere" in p', 10, 22),
    ]


def test_subject_moves_the_location_and_a_variable_can_be_a_context() -> None:
    assert run("subject.sch") == [
        ("SUBJ", "error", "name in p", 8, 31),       # on the p of line 8, reported at its persName
        ("SUBJ", "error", "name in p", 10, 22),
        ("VAR", "error", "dangling #nowhere", 10, 22),  # context="$dangling" (XSLT 3.0)
    ]


def test_diagnostics_become_help() -> None:
    compiled = compile_schematron(FIXTURES / "diagnostics.sch")
    diags = SchematronRunner([compiled]).check(load_path(FIXTURES / "doc.xml"))
    assert [(d.code, d.message, d.help, d.line, d.col) for d in diags] == [
        ("D1", 'n="x" is not a number', 'write a number instead of "x"; see the guidelines', 10, 7),
        ("D2", "no id", None, 10, 7),
    ]


@pytest.mark.parametrize(("phase", "expected"), [
    (None, [("T", 4, 26)]),                              # defaultPhase="quick"
    ("#DEFAULT", [("T", 4, 26)]),
    ("#ALL", [("T", 4, 26), ("U", 7, 5), ("P", 8, 7)]),  # every pattern, phased or not
    ("full", [("T", 4, 26), ("P", 8, 7)]),
    ("paras", [("P", 8, 7)]),
])
def test_phase_selection(phase: str | None, expected: list[tuple[str, int, int]]) -> None:
    assert [(c, line, col) for c, _, _, line, col in run("phases.sch", phase)] == expected


def test_unknown_phase_is_refused() -> None:
    with pytest.raises(SchematronError) as info:
        compile_schematron(FIXTURES / "phases.sch", phase="slow")
    assert "unknown phase 'slow'" in str(info.value)
    assert "#ALL, #DEFAULT, quick, full, paras" in info.value.first.fix


def test_abstract_pattern_with_params() -> None:
    assert run("abstract-pattern.sch") == [
        ("REQ", "error", "title needs @type", 4, 26),
        ("REQ", "error", "p needs @n", 9, 7),
    ]


def test_abstract_rule_and_extends() -> None:
    assert run("abstract-rule.sch") == [
        ("ID", "error", "persName has no id (name)", 8, 31),
        ("ID", "error", "p has no id (paragraph)", 10, 7),
        ("ID", "error", "persName has no id (name)", 10, 22),
        ("NAME", "error", "dangling", 10, 22),
    ]


def test_role_maps_to_severity() -> None:
    got = {(code, sev) for code, sev, *_ in run("roles.sch")}
    assert got == {
        ("ROLE-NONE", "error"), ("ROLE-WARN", "warning"), ("ROLE-WARN2", "warning"),
        ("ROLE-INFO", "info"), ("ROLE-FATAL", "error"), ("ROLE-ODD", "error"),
        ("ROLE-RULE", "warning"),  # inherited from the rule's @role
    }


def test_code_falls_back_to_rule_then_pattern_then_sch() -> None:
    assert run("codes.sch") == [
        ("OWN-CODE", "error", "own code", 4, 26),
        ("RULE-CODE", "error", "rule code", 4, 26),
        ("SCH", "error", "no code", 6, 3),
        ("PATTERN-CODE", "error", "pattern code", 7, 5),
    ]


@pytest.mark.parametrize("binding", ["xslt2", "xslt3", "xpath31", "absent"])
def test_query_bindings(binding: str) -> None:
    assert run(f"binding-{binding}.sch") == [("QB", "error", f"binding {binding}", 4, 26)]
    expected = "xslt" if binding == "absent" else binding
    assert compile_schematron(FIXTURES / f"binding-{binding}.sch").query_binding == expected


def test_foreign_xsl_function_and_key() -> None:
    assert run("foreign.sch") == [("KEY", "error", 'no element with id "nowhere"', 10, 22)]


def test_local_include() -> None:
    assert run("include.sch") == [("INC", "error", "included rule", 4, 26)]


def test_several_schemas_in_one_runner() -> None:
    schemas = [compile_schematron(FIXTURES / n) for n in ("assert.sch", "report.sch")]
    diags = SchematronRunner(schemas).check(load_path(FIXTURES / "doc.xml"))
    assert [(d.code, d.line) for d in diags] == [("A1", 9), ("R1", 10)]


def test_compiled_schema_metadata_and_rules_of() -> None:
    compiled = compile_schematron(FIXTURES / "diagnostics.sch")
    assert isinstance(compiled, CompiledSchematron)
    assert compiled.effective_phase == "#ALL"
    rules = rules_of(FIXTURES / "diagnostics.sch")
    assert [(r.code, r.severity, r.kind) for r in rules] == [
        ("D1", Severity.ERROR, "assert"), ("D2", Severity.ERROR, "assert")]
    assert rules[0].message == 'n="{@n}" is not a number'
    assert rules[0].help == 'write a number instead of "{@n}"; see the guidelines'
    assert rules[0].test == "@n castable as xs:integer"
    assert (rules[0].line, rules[0].col) == (5, 7)


def test_generated_xslt_has_one_mode_per_pattern_and_ordered_priorities() -> None:
    xslt = compile_schematron(FIXTURES / "first-match.sch").xslt
    sheet = etree.fromstring(xslt.encode("utf-8"))
    templates = [(t.get("match"), t.get("mode"), t.get("priority"))
                 for t in sheet.iter(f"{{{XSL}}}template") if t.get("mode")]
    assert templates == [
        ("tei:p[@n]", "tpr:p1", "2"), ("tei:p", "tpr:p1", "1"), ("tei:p[@xml:id]", "tpr:p2", "1")]
    selects = [a.get("select") for a in sheet.iter(f"{{{XSL}}}apply-templates")]
    assert selects == ["//tei:p[@n] | //tei:p", "//tei:p[@xml:id]"]  # candidates, scanned once


# ----------------------------------------------------------------------- errors

@pytest.mark.parametrize(("name", "line", "col", "message", "fix"), [
    ("no-context.sch", 3, 5, "sch:rule has no @context", 'context="tei:persName"'),
    ("no-test.sch", 4, 7, "assert has no @test", '<sch:assert test="…">'),
    ("query-binding.sch", 1, 1, 'unsupported queryBinding="exslt"', 'queryBinding="xslt3"'),
    ("missing-abstract-pattern.sch", 3, 3,
     'pattern is-a="does-not-exist" refers to no abstract pattern', "abstract patterns: exists"),
    ("missing-abstract-rule.sch", 4, 7, 'extends rule="nope" refers to no abstract rule',
     "abstract rules: (none)"),
    ("unknown-default-phase.sch", 1, 1, 'defaultPhase="fast" names no phase', "#ALL, slow"),
    ("empty-let.sch", 4, 7, 'sch:let name="x" has neither @value nor content', 'value="…"'),
    ("unknown-diagnostic.sch", 4, 7, 'diagnostics="missing" refers to no sch:diagnostic',
     '<sch:diagnostic id="missing">'),
    ("foreign-xpath-binding.sch", 3, 3, "xsl:key needs an XSLT query binding, not xpath31",
     'queryBinding="xslt3"'),
    ("include-outside.sch", 2, 3, "points outside the schema's folder", "copy the included file"),
    ("include-missing.sch", 2, 3, "href='not-there.sch': no such file", "correct the href"),
    ("not-schematron.sch", 1, 1, "not an ISO Schematron <sch:schema>", "<sch:schema xmlns:sch="),
    ("malformed.sch", 4, 17, "not well-formed XML: Opening and ending tag mismatch", "XML syntax"),
    ("xpath-error.sch", 5, 7, "XPST0003", "correct the XPath expression"),
    ("context-error.sch", 3, 5, "XTSE0340", "correct the XPath expression"),
])
def test_bad_schemas_are_refused_with_location(
        name: str, line: int, col: int, message: str, fix: str) -> None:
    problem = error_of(name).first
    assert problem.path.endswith(f"bad/{name}")
    assert (problem.line, problem.col) == (line, col)
    assert message in problem.message
    assert fix in problem.fix
    assert f"{name}:{line}:{col}: " in str(error_of(name))


def test_run_time_xpath_error_points_at_the_schema() -> None:
    # p n="x" cannot be cast to an integer: a dynamic error, located in the .sch
    runner = SchematronRunner([compile_schematron(BAD / "runtime-error.sch")])
    with pytest.raises(SchematronError) as info:
        runner.check(load_path(FIXTURES / "doc.xml"))
    problem = info.value.first
    assert (problem.path.endswith("runtime-error.sch"), problem.line, problem.col) == (True, 5, 7)
    assert "run-time error on" in problem.message and "FORG0001" in problem.message


def test_every_problem_is_reported_at_once() -> None:
    problems = error_of("several.sch").problems
    assert [(p.line, p.col, p.message) for p in problems] == [
        (3, 5, "sch:rule has no @context"), (4, 7, "assert has no @test")]


def test_document_that_did_not_load_gives_no_findings(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<TEI xmlns='http://www.tei-c.org/ns/1.0'><p></TEI>", encoding="utf-8")
    runner = SchematronRunner([compile_schematron(FIXTURES / "assert.sch")])
    assert runner.check(load_path(broken)) == []


def test_each_failure_reports_its_own_location_when_the_capture_file_is_reused() -> None:
    """Saxon's messages are captured from fd 2 into one file per process, emptied before
    each call: a second failure must not carry the first one's text or location."""
    runner = SchematronRunner([compile_schematron(BAD / "runtime-error.sch")])
    for _ in range(2):
        with pytest.raises(SchematronError) as info:
            runner.check(load_path(FIXTURES / "doc.xml"))
        assert "FORG0001" in info.value.first.message
    compile_error = error_of("xpath-error.sch")
    assert "XPST0003" in compile_error.first.message and "FORG0001" not in str(compile_error)
    assert (compile_error.first.line, compile_error.first.col) == (5, 7)


# ----------------------------------------------------------------------- positions at scale

def test_findings_on_many_siblings_are_located_on_their_own_lines(tmp_path: Path) -> None:
    """A personography reports one finding per entry of a long list: each must carry its
    own entry's line (the path -> element walk remembers the list's children between
    findings, so a wrong memo would send them all to one entry)."""
    sex = ' sex="1"'
    persons = "".join(f'\n      <person xml:id="p{i}"{sex if i % 3 == 0 else ""}/>' for i in range(300))
    doc = tmp_path / "people.xml"
    doc.write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>\n    <listPerson>'
                   f'{persons}\n    </listPerson>\n    <listPerson><person xml:id="q"/></listPerson>'
                   '</body></text></TEI>')
    rules = tmp_path / "sex.sch"
    rules.write_text('<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt3">'
                     '<sch:ns prefix="tei" uri="http://www.tei-c.org/ns/1.0"/><sch:pattern>'
                     '<sch:rule context="tei:person"><sch:assert id="P1" test="@sex">no sex</sch:assert>'
                     '</sch:rule></sch:pattern></sch:schema>')
    diags = SchematronRunner([compile_schematron(rules)]).check(load_path(doc))
    # line 2 opens the first list, person i is on line i + 3; the second list is on line 304
    expected = [(i + 3, 7) for i in range(300) if i % 3] + [(304, 17)]
    assert [(d.line, d.col) for d in diags] == expected


@pytest.mark.parametrize("differ", [False, True])
def test_findings_are_located_by_element_number_or_by_path_where_the_trees_differ(
        tmp_path: Path, differ: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A finding says which element it is about by its number in document order (one pass,
    where path() counted each step's preceding siblings: quadratic in a long list), found
    in the runner's own tree of the same bytes. Should that number name another element
    there, the findings are made again with their paths."""
    import teipress.check.schematron as schematron

    doc = tmp_path / "doc.xml"
    doc.write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>\n<p><hi>a</hi><hi>b</hi></p>\n'
                   '<p><hi>c</hi>\n  <hi rend="x">d</hi></p>\n</body></text></TEI>')
    rules = tmp_path / "hi.sch"
    rules.write_text('<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt3">'
                     '<sch:ns prefix="tei" uri="http://www.tei-c.org/ns/1.0"/><sch:pattern>'
                     '<sch:rule context="tei:hi/@rend"><sch:report id="H1" test="true()">rend</sch:report>'
                     '</sch:rule></sch:pattern></sch:schema>')
    seen: list[str] = []
    real_run, real_element = schematron.SchematronRunner._run, schematron._FindingPlaces.element

    def run(self: object, name: str, schema: object, node: object, loaded: object, paths: bool) -> object:
        found = real_run(self, name, schema, node, loaded, paths)  # type: ignore[arg-type]
        seen.extend(f.get("at", "") for f in found)  # type: ignore[attr-defined]
        return found

    def element(self: object, at: str) -> object:
        if differ and at[0].isdigit():  # as if the runner's tree had one element more before it
            at = f"{int(at.split()[0]) + 1} {at.split()[1]}"
        return real_element(self, at)  # type: ignore[arg-type]

    monkeypatch.setattr(schematron.SchematronRunner, "_run", run)
    monkeypatch.setattr(schematron._FindingPlaces, "element", element)
    diags = SchematronRunner([compile_schematron(rules)]).check(load_path(doc))
    assert [(d.code, d.line, d.col) for d in diags] == [("H1", 4, 3)]  # the second hi of the second p
    tei = "{http://www.tei-c.org/ns/1.0}"
    assert seen == [f"9 {tei}hi", *(["/Q{http://www.tei-c.org/ns/1.0}TEI[1]/Q{http://www.tei-c.org/ns/1.0}text[1]"
                                       "/Q{http://www.tei-c.org/ns/1.0}body[1]/Q{http://www.tei-c.org/ns/1.0}p[2]"
                                       "/Q{http://www.tei-c.org/ns/1.0}hi[2]/@rend"] if differ else [])]


def test_a_compiled_schema_is_kept_in_the_cache_and_read_back(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled XSLT is kept under a hash of the schema (its includes resolved): the next
    process reads it instead of making the compiler; an edit, or a damaged file, compiles again."""
    import teipress.check.schematron as schematron

    sch = tmp_path / "rules.sch"
    sch.write_text((FIXTURES / "assert.sch").read_text("utf-8"), "utf-8")
    cache = tmp_path / "cache"
    first = compile_schematron(sch, cache=cache)
    kept = list(cache.glob("schematron-*.xsl"))
    assert len(kept) == 1 and kept[0].read_text("utf-8") == first.xslt

    def no_compiler() -> None:
        raise AssertionError("the compiler was made")

    with monkeypatch.context() as m:
        m.setattr(schematron, "_compiler_engine", no_compiler)
        again = compile_schematron(sch, cache=cache)
    assert again == first
    assert SchematronRunner([again]).check(load_path(FIXTURES / "doc.xml")) == \
        SchematronRunner([first]).check(load_path(FIXTURES / "doc.xml"))

    # an edit: another key, compiled (the rule's message changed)
    text = sch.read_text("utf-8")
    message = etree.fromstring(text.encode()).findtext(".//{http://purl.oclc.org/dsdl/schematron}assert")
    assert message and message.strip()
    sch.write_text(text.replace(message.strip(), "an edited message", 1), "utf-8")
    edited = compile_schematron(sch, cache=cache)
    assert "an edited message" in edited.xslt and "an edited message" not in first.xslt
    assert len(list(cache.glob("schematron-*.xsl"))) == 2

    # a damaged file is compiled again, and replaced
    damaged = cache / kept[0].name
    sch.write_text(text, "utf-8")
    damaged.write_text("<not-the-compiler-output", "utf-8")
    assert compile_schematron(sch, cache=cache) == first
    assert damaged.read_text("utf-8") == first.xslt


def test_the_cache_keeps_the_most_recently_used_schemas(tmp_path: Path) -> None:
    import teipress.check.schematron as schematron

    cache = tmp_path / "cache"
    base = (FIXTURES / "assert.sch").read_text("utf-8")
    for i in range(schematron.KEEP_COMPILED + 3):
        sch = tmp_path / f"rules{i}.sch"
        sch.write_text(base, "utf-8")
        compile_schematron(sch, cache=cache)
    assert len(list(cache.glob("schematron-*.xsl"))) == schematron.KEEP_COMPILED


def test_an_edit_of_an_included_file_compiles_the_schema_again(tmp_path: Path) -> None:
    import shutil

    shutil.copy(FIXTURES / "include.sch", tmp_path / "include.sch")
    shutil.copytree(FIXTURES / "inc", tmp_path / "inc")
    cache = tmp_path / "cache"
    before = compile_schematron(tmp_path / "include.sch", cache=cache)
    included = tmp_path / "inc" / "title-pattern.sch"
    included.write_text(included.read_text("utf-8").replace("</sch:pattern>", "</sch:pattern><!-- edited -->", 1)
                        .replace('id="', 'id="edited-', 1), "utf-8")
    after = compile_schematron(tmp_path / "include.sch", cache=cache)
    assert len(list(cache.glob("schematron-*.xsl"))) == 2 and after.xslt != before.xslt
