"""Machine-readable reports are valid for the tools that consume them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import junitparser
import pytest
from lxml import etree

from teipress.diagnostics import Diagnostic, Severity
from teipress.report import RunResult, reporter
from teipress.report import text as text_report

ROOT = Path(__file__).resolve().parents[1]
SARIF_SCHEMA = ROOT / "node_modules" / "@microsoft" / "jest-sarif" / "lib" / "schemas" / "sarif-2.1.0-rtm.5.json"


def sample() -> RunResult:
    return RunResult(
        files=["tei/a.xml", "tei/b.xml", "tei/c.xml"],
        diagnostics=[
            Diagnostic("tei/a.xml", 12, 5, "R003", Severity.ERROR, "persName/@ref 'place:x' uses the wrong prefix",
                       "use pers:…"),
            Diagnostic("tei/a.xml", 3, 1, "P001", Severity.ERROR, "not well-formed: bad, very: bad\nsecond line",
                       None),
            Diagnostic("tei/b.xml", 7, 9, "X101", Severity.WARNING, "entry 'pers-x' is never used", "remove it"),
        ],
        seconds=1.25,
    )


def test_text_is_compiler_style_and_sorted() -> None:
    out = text_report.render(sample())
    lines = out.splitlines()
    assert lines[0] == "tei/a.xml:3:1: error[P001] not well-formed: bad, very: bad"
    assert "tei/a.xml:12:5: error[R003] persName/@ref 'place:x' uses the wrong prefix" in lines
    assert "  help: use pers:…" in lines
    assert lines[-1] == "Checked 3 files: 2 errors, 1 warning (1.25 s)"
    assert "\x1b[" not in out


def test_text_caps_findings_per_rule_and_says_how_many_more() -> None:
    many = [Diagnostic("a.xml", i, 1, "X001", Severity.ERROR, f"dangling {i}") for i in range(1, 31)]
    two = [Diagnostic("b.xml", 1, 1, "X002", Severity.ERROR, "duplicate"),
           Diagnostic("b.xml", 2, 1, "X002", Severity.ERROR, "duplicate")]
    out = text_report.render(RunResult(["a.xml", "b.xml"], many + two), per_code=5, hint="see validate")
    assert [line for line in out.splitlines() if "error[X001]" in line] == [
        f"a.xml:{i}:1: error[X001] dangling {i}" for i in range(1, 6)]
    assert out.count("error[X002]") == 2
    assert "… and 25 more X001 findings (see validate)" in out
    assert "more X002" not in out
    assert text_report.render(RunResult(["a.xml"], many)).count("error[X001]") == 30


def test_text_cap_keeps_the_first_findings_of_each_rule_in_place_order() -> None:
    import random

    diags = [Diagnostic(f"{f}.xml", line, 1, code, Severity.WARNING, f"{code} at {f}:{line}")
             for f in "abc" for line in range(1, 8) for code in ("X102", "R009", "X001")]
    random.Random(7).shuffle(diags)
    out = text_report.render(RunResult(["a.xml", "b.xml", "c.xml"], diags), per_code=3, summary=False)
    shown = [line for line in out.splitlines() if not line.startswith("…")]
    # per code the three first places (a.xml lines 1-3), all of them in place order
    assert shown == [f"a.xml:{line}:1: warning[{code}] {code} at a:{line}"
                     for line in range(1, 4) for code in ("R009", "X001", "X102")]
    assert out.splitlines()[-3:] == [f"… and 18 more {code} findings" for code in ("R009", "X001", "X102")]


def test_text_colour_only_when_asked_and_the_same_words() -> None:
    import re

    odd = Diagnostic("tei/[x].xml", 1, 2, "R001", Severity.ERROR, "a [bold]tag[/bold] and :smile: stay as written",
                     "see [docs]")
    result = RunResult(["tei/[x].xml"], [odd, *sample().diagnostics], 0.5)
    coloured = text_report.render(result, color=True, per_code=1)
    assert "\x1b[" in coloured
    plain = text_report.render(result, per_code=1)
    assert "tei/[x].xml:1:2: error[R001] a [bold]tag[/bold] and :smile: stay as written" in plain.splitlines()
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_json_report_round_trips() -> None:
    data = json.loads(reporter("json")(sample()))
    assert data["summary"] == {"files": 3, "errors": 2, "warnings": 1, "seconds": 1.25}
    assert [d["code"] for d in data["diagnostics"]] == ["P001", "R003", "X101"]
    assert data["diagnostics"][1] == {
        "path": "tei/a.xml", "line": 12, "column": 5, "code": "R003", "severity": "error",
        "message": "persName/@ref 'place:x' uses the wrong prefix", "help": "use pers:…", "source": "teipress"}


def test_junit_one_testcase_per_document_one_failure_per_error(tmp_path: Path) -> None:
    path = tmp_path / "report.xml"
    path.write_text(reporter("junit")(sample()), encoding="utf-8")
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    cases = [c for s in suites for c in s]
    assert [c.name for c in cases] == ["tei/a.xml", "tei/b.xml", "tei/c.xml"]
    failures = {c.name: [r for r in c.result if isinstance(r, junitparser.Failure)] for c in cases}
    assert [f.type for f in failures["tei/a.xml"]] == ["P001", "R003"]
    assert failures["tei/b.xml"] == [] and failures["tei/c.xml"] == []
    root = etree.parse(str(path)).getroot()
    assert root.tag == "testsuites" and root.get("tests") == "3" and root.get("failures") == "2"


def test_github_annotations_escape_data_and_properties() -> None:
    out = reporter("github")(sample()).splitlines()
    assert out[0] == "::error file=tei/a.xml,line=3,col=1,title=P001::not well-formed: bad, very: bad%0Asecond line"
    assert out[1].startswith("::error file=tei/a.xml,line=12,col=5,title=R003::")
    assert out[2] == "::warning file=tei/b.xml,line=7,col=9,title=X101::entry 'pers-x' is never used%0Ahelp: remove it"
    weird = RunResult(["a,b:c.xml"], [Diagnostic("a,b:c.xml", 1, 1, "P001", Severity.ERROR, "50% done\r\n::x")])
    line = reporter("github")(weird).splitlines()[0]
    assert line == "::error file=a%2Cb%3Ac.xml,line=1,col=1,title=P001::50%25 done%0D%0A::x"


def test_sarif_is_valid_against_the_official_schema() -> None:
    log = json.loads(reporter("sarif")(sample()))
    schema = json.loads(SARIF_SCHEMA.read_text("utf-8"))
    jsonschema.validate(log, schema, cls=jsonschema.Draft4Validator)
    run = log["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["P001", "R003", "X101"]
    assert run["results"][1]["locations"][0]["physicalLocation"]["region"] == {"startLine": 12, "startColumn": 5}
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["P001", "R003", "X101"]
    assert run["results"][2]["level"] == "warning"


def test_sarif_schema_rejects_a_broken_log() -> None:
    """Guard against a schema file that accepts anything."""
    schema = json.loads(SARIF_SCHEMA.read_text("utf-8"))
    validator = jsonschema.Draft4Validator(schema)
    assert not validator.is_valid({"version": "2.1.0", "runs": [{"results": []}]})


def test_text_cap_sorts_findings_that_differ_only_in_severity() -> None:
    """Two findings of one rule at one place (an error and a warning): the severity is not
    part of the order (an enum without one), so capping the list cannot fail on them."""
    pair = [Diagnostic("a.xml", 1, 1, "X001", Severity.ERROR, "first"),
            Diagnostic("a.xml", 1, 1, "X001", Severity.WARNING, "second")]
    out = text_report.render(RunResult(["a.xml"], pair), per_code=5, summary=False)
    assert out.splitlines() == ["a.xml:1:1: error[X001] first", "a.xml:1:1: warning[X001] second"]


def test_kept_findings_json_is_the_json_of_the_findings_given_now() -> None:
    import orjson

    from teipress.diagnostics import as_dicts
    from teipress.report.json_report import FindingsJson

    def finding(path: str, line: int, message: str) -> Diagnostic:
        return Diagnostic(path, line, 1, "X001", Severity.ERROR, message, "a hint", "xref")

    kept = FindingsJson()

    def check(findings: list[Diagnostic]) -> None:
        assert b"".join(kept.array(findings)) == orjson.dumps(as_dicts(findings))

    a1, a2, b1 = finding("a.xml", 1, "one"), finding("a.xml", 2, "two"), finding("b.xml", 1, "three")
    check([a1, a2, b1])
    check([a1, a2, b1])  # all kept
    # an equal-looking but new finding, a changed one, an order change, a file gone, a new file
    check([a1, a2, finding("b.xml", 1, "three, edited")])
    check([a2, a1, finding("c.xml", 4, 'quotes " and ünïcödé')])
    check([a1])
    check([])


def test_a_session_build_summary_is_the_plain_summary(tmp_path: Path) -> None:
    import shutil

    from teipress.build import BuildOptions, build
    from teipress.check.runner import CheckOptions
    from teipress.config import load_config
    from teipress.progress import Progress
    from teipress.report.json_report import FindingsJson
    from teipress.session import BuildSession

    root = Path(__file__).resolve().parents[1]
    shutil.copytree(root / "tei", tmp_path / "tei")
    (tmp_path / "teipress.toml").write_text('sources = ["tei/*.xml"]\nauthorities = ["tei/authority/*.xml"]\n')
    memo = tmp_path / "tei" / "1949-07-27-liu-shaoqi-stalin.xml"
    config = load_config(config_file=tmp_path / "teipress.toml")
    kept = FindingsJson()
    with BuildSession() as session:
        for text in ("Victors are always correct.", '<persName ref="#nobody">Victors</persName> are right.'):
            memo.write_text(memo.read_text().replace("Victors are always correct.", text))
            options = BuildOptions(formats=["text"], out=tmp_path / "out", force=True, jobs=1,
                                   check=CheckOptions.from_config(config))
            result = build(config, options, Progress(), session)
            assert b"".join(result.to_json(kept)) == b"".join(result.to_json())
    assert b"#nobody" in b"".join(result.to_json(kept))


def test_a_json_array_merged_from_kept_parts_is_the_array_of_every_finding() -> None:
    """A rebuild's JSON summary merges the findings it read with the JSON the resolve memo
    kept of the others (``merged_array``): the same bytes as encoding them all, sorted by
    place, the build's own findings first where two share a place, then the tail."""
    import marshal
    import random

    import orjson

    from teipress.diagnostics import as_dicts
    from teipress.report.json_report import merged_array
    from teipress.resolve.memo import json_parts

    rng = random.Random(7)
    codes = ["R009", "X001", "X102"]

    def finding(path: str, n: int) -> Diagnostic:
        severity = rng.choice([Severity.ERROR, Severity.WARNING])
        return Diagnostic(path, rng.randint(1, 4), rng.randint(1, 3), rng.choice(codes), severity, f"m{n} ü \"q\"",
                          rng.choice([None, "help"]), "xref")

    paths = [f"tei/{name}.xml" for name in "abcdef"]
    own = [finding(rng.choice(paths), n) for n in range(60)]
    kept = [finding(rng.choice(paths[1:]), 100 + n) for n in range(200)]
    tail = [Diagnostic("(edition)", 1, 1, "B001", Severity.ERROR, "rendering failed", None, "render")]
    bucket: dict[str, list[tuple[object, ...]]] = {}
    for d in kept:
        bucket.setdefault("/abs/" + d.path, []).append(d.as_row())
    expected = orjson.dumps(as_dicts([*sorted([*own, *kept], key=lambda d: d[:4]), *tail]))
    assert b"".join(merged_array(own, json_parts(bucket), tail)) == expected  # type: ignore[arg-type]
    assert (b"".join(merged_array([], json_parts(bucket)))  # type: ignore[arg-type]
            == orjson.dumps(as_dicts(sorted(kept, key=lambda d: d[:4]))))
    assert b"".join(merged_array([], {})) == b"[]"
    # a path's index that does not fit its JSON is refused, not misread
    parts = json_parts(bucket)  # type: ignore[arg-type]
    path = next(iter(parts))
    size = len(parts[path][0]) + 1
    for index in (b"", marshal.dumps(([], [])), marshal.dumps(([(1, 1, "X001")], [3])),
                  marshal.dumps(([(1, 1, "X001"), (1, 2, "X001")], [size, size]))):
        with pytest.raises(ValueError):
            merged_array([own[0]._replace(path=path)], {path: (parts[path][0], index)})
