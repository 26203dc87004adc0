"""`teipress validate` end to end: exit codes, configuration, report formats, robustness."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from teipress.cli import cli
from teipress.commands.validate import use_color

ROOT = Path(__file__).resolve().parents[1]
TEI = 'xmlns="http://www.tei-c.org/ns/1.0"'
HEADER = ("<teiHeader><fileDesc><titleStmt><title>A letter</title></titleStmt><publicationStmt>"
          '<publisher>x</publisher><date when="2020"/>'
          "</publicationStmt><sourceDesc><p>x</p></sourceDesc></fileDesc></teiHeader>")


def minimal(body: str = "<p>Hello.</p>", ident: str = "doc-a") -> str:
    return f'<TEI {TEI} xml:id="{ident}">{HEADER}<text><body>{body}</body></text></TEI>\n'


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> Result:
    """Invoke the CLI in-process from *cwd* (configuration is found from the working directory)."""
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, args, env=env or {}, catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "tei").mkdir()
    (tmp_path / "teipress.toml").write_text('sources = ["tei/*.xml"]\nschema = "none"\n')
    return tmp_path


def test_flagship_edition_validates_clean() -> None:
    result = run(["validate"], ROOT)
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].startswith("Checked 6 files: 0 errors, 0 warnings")


def test_one_broken_document_does_not_stop_the_others(project: Path) -> None:
    (project / "tei" / "a.xml").write_text(minimal(ident="doc-a"))
    (project / "tei" / "b.xml").write_text("<TEI " + TEI + ">\n<p>unclosed</TEI>\n")
    (project / "tei" / "c.xml").write_text(minimal('<p><supplied>x</supplied></p>', ident="doc-c"))
    result = run(["validate", "--format", "json"], project)
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["files"] == ["tei/a.xml", "tei/b.xml", "tei/c.xml"]
    by_file = {f: [d["code"] for d in data["diagnostics"] if d["path"] == f] for f in data["files"]}
    assert by_file["tei/a.xml"] == []
    assert by_file["tei/b.xml"] == ["P001"]
    assert by_file["tei/c.xml"] == ["R008"], "checks still ran on c.xml"


def test_exit_code_2_for_configuration_errors(project: Path) -> None:
    (project / "tei" / "a.xml").write_text(minimal())
    assert run(["validate", "--schema", "missing.xsd"], project).exit_code == 2
    (project / "teipress.toml").write_text("sources = [unclosed\n")
    result = run(["validate"], project)
    assert result.exit_code == 2
    assert "invalid TOML" in result.output


def test_warnings_pass_unless_warnings_as_errors(project: Path) -> None:
    (project / "tei" / "a.xml").write_bytes(b"\xef\xbb\xbf" + minimal().encode())
    ok = run(["validate"], project)
    assert ok.exit_code == 0 and "warning[P005]" in ok.output
    assert run(["validate", "--warnings-as-errors"], project).exit_code == 1


def test_per_path_ignores_from_configuration(project: Path) -> None:
    (project / "tei" / "a.xml").write_bytes(b"\xef\xbb\xbf" + minimal().encode())
    (project / "teipress.toml").write_text(
        'sources = ["tei/*.xml"]\nschema = "none"\n[ignore]\n"tei/a.xml" = ["P005"]\n')
    result = run(["validate", "--warnings-as-errors"], project)
    assert result.exit_code == 0, result.output
    assert "P005" not in result.output


def test_pyproject_configuration_is_found_from_a_subfolder(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.teipress]\nsources = ["texts/*.xml"]\nschema = "none"\n')
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "x.xml").write_text(minimal())
    sub = tmp_path / "texts"
    result = run(["validate", "--format", "json"], sub)
    assert json.loads(result.output)["files"] == ["texts/x.xml"]


def test_command_line_paths_override_configuration(project: Path) -> None:
    (project / "tei" / "a.xml").write_text(minimal())
    other = project / "other.xml"
    other.write_text("<nope/>")
    result = run(["validate", "--format", "json", "other.xml"], project)
    data = json.loads(result.output)
    assert data["files"] == ["other.xml"]
    assert [d["code"] for d in data["diagnostics"]] == ["P006"]


@pytest.mark.parametrize("fmt", ["junit", "github", "sarif", "json"])
def test_every_format_reports_the_same_finding(project: Path, fmt: str) -> None:
    (project / "tei" / "b.xml").write_text("<TEI " + TEI + ">\n<p>unclosed</TEI>\n")
    out = run(["validate", "--format", fmt], project).output
    assert "P001" in out and "tei/b.xml" in out
    if fmt == "github":
        assert out.startswith("::error file=tei/b.xml,line=2,col=")


def test_report_can_be_written_to_a_file(project: Path) -> None:
    (project / "tei" / "a.xml").write_text(minimal())
    result = run(["validate", "--format", "sarif", "-o", "report.sarif"], project)
    assert result.exit_code == 0
    assert json.loads((project / "report.sarif").read_text())["version"] == "2.1.0"


def test_user_schematron_rules(project: Path) -> None:
    (project / "tei" / "a.xml").write_text(minimal("<p>TODO: check this</p>"))
    (project / "house.sch").write_text(
        '<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt3">'
        '<ns prefix="tei" uri="http://www.tei-c.org/ns/1.0"/>'
        '<pattern><rule context="tei:p"><report id="HOUSE1" role="warning" test="contains(., \'TODO\')">'
        'paragraph still contains TODO</report></rule></pattern></schema>')
    result = run(["validate", "--rules", "house.sch"], project)
    assert result.exit_code == 0
    assert "warning[HOUSE1] paragraph still contains TODO" in result.output
    assert run(["validate", "--rules", "house.sch", "--warnings-as-errors"], project).exit_code == 1


def test_user_relaxng_schema_reports_libxml2_message_with_line(project: Path) -> None:
    (project / "tei" / "a.xml").write_text(minimal())
    (project / "only-header.rng").write_text(
        '<element name="TEI" ns="http://www.tei-c.org/ns/1.0" xmlns="http://relaxng.org/ns/structure/1.0">'
        '<optional><attribute name="xml:id" ns="http://www.w3.org/XML/1998/namespace"/></optional>'
        '<element name="teiHeader"><zeroOrMore><ref name="any"/></zeroOrMore></element></element>'.replace(
            "</element></element>", "</element></element>")
        if False else
        '<grammar xmlns="http://relaxng.org/ns/structure/1.0" ns="http://www.tei-c.org/ns/1.0">'
        '<start><element name="TEI"><attribute name="xml:id" ns="http://www.w3.org/XML/1998/namespace"/>'
        '<element name="teiHeader"><ref name="any"/></element></element></start>'
        '<define name="any"><zeroOrMore><choice><text/><element><anyName/><zeroOrMore><attribute><anyName/>'
        '</attribute></zeroOrMore><ref name="any"/></element></choice></zeroOrMore></define></grammar>')
    result = run(["validate", "--schema", "only-header.rng", "--no-project-rules", "--format", "json"], project)
    diags = json.loads(result.output)["diagnostics"]
    assert result.exit_code == 1
    assert [d["code"] for d in diags] == ["S002"]
    assert diags[0]["line"] == 1 and "text" in diags[0]["message"]


def test_user_xsd_schema(project: Path) -> None:
    (project / "tei" / "a.xml").write_text(minimal())
    (project / "strict.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.tei-c.org/ns/1.0">'
        '<xs:element name="TEI" type="xs:string"/></xs:schema>')
    result = run(["validate", "--schema", "strict.xsd", "--no-project-rules", "--format", "json"], project)
    assert result.exit_code == 1
    assert {d["code"] for d in json.loads(result.output)["diagnostics"]} == {"S001"}


def test_tei_all_accepts_the_flagship_edition(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "tei", tmp_path / "tei")
    (tmp_path / "teipress.toml").write_text(
        'sources = ["tei/*.xml"]\nauthorities = ["tei/authority/*.xml"]\nschema = "tei-all"\n')
    result = run(["validate"], tmp_path)
    assert result.exit_code == 0, result.output


def test_parallel_and_serial_runs_agree(project: Path) -> None:
    for i in range(12):
        body = "<p>ok</p>" if i % 3 else '<p><date when="1949-13-45">bad</date></p>'
        (project / "tei" / f"d{i:02}.xml").write_text(minimal(body, ident=f"doc-{i}"))
    (project / "tei" / "broken.xml").write_text("<TEI " + TEI + "><p></TEI>")
    serial = json.loads(run(["validate", "-j", "1", "--format", "json"], project).output)
    parallel = json.loads(run(["validate", "-j", "2", "--format", "json"], project).output)
    assert serial["diagnostics"] == parallel["diagnostics"]
    assert serial["summary"]["files"] == 13
    assert serial["summary"]["errors"] >= 5


def test_duplicate_ids_across_documents(project: Path) -> None:
    (project / "tei" / "a.xml").write_text(minimal('<p xml:id="p-1">a</p>', ident="doc-a"))
    (project / "tei" / "b.xml").write_text(minimal('<p xml:id="p-1">b</p>', ident="doc-b"))
    diags = json.loads(run(["validate", "--format", "json"], project).output)["diagnostics"]
    assert [(d["path"], d["code"]) for d in diags if d["code"] == "X002"] == [("tei/b.xml", "X002")]


def test_colour_follows_no_color_and_tty() -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    old = dict(os.environ)
    try:
        os.environ.pop("NO_COLOR", None)
        os.environ.pop("FORCE_COLOR", None)
        assert use_color(Tty()) is True
        assert use_color(object()) is False
        os.environ["NO_COLOR"] = "1"
        assert use_color(Tty()) is False
    finally:
        os.environ.clear()
        os.environ.update(old)


@pytest.mark.parametrize("encoding", ["iso-8859-1", "utf-16"])
def test_documents_in_other_declared_encodings_are_fully_checked(project: Path, encoding: str) -> None:
    text = f'<?xml version="1.0" encoding="{encoding}"?>\n' + minimal("<p>Caf\u00e9 <supplied>x</supplied></p>")
    (project / "tei" / "a.xml").write_bytes(text.encode(encoding))
    diags = json.loads(run(["validate", "--format", "json"], project).output)["diagnostics"]
    assert [d["code"] for d in diags if d["severity"] == "error"] == ["R008"]


def test_phase_selects_rules_of_user_schematron_only(project: Path) -> None:
    (project / "tei" / "a.xml").write_text(minimal("<p>TODO and FIXME</p>"))
    (project / "house.sch").write_text(
        '<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt3">'
        '<ns prefix="tei" uri="http://www.tei-c.org/ns/1.0"/>'
        '<phase id="strict"><active pattern="fixme"/></phase>'
        '<pattern id="todo"><rule context="tei:p"><report id="H1" role="warning" test="contains(., \'TODO\')">'
        'TODO</report></rule></pattern>'
        '<pattern id="fixme"><rule context="tei:p"><report id="H2" role="warning" test="contains(., \'FIXME\')">'
        'FIXME</report></rule></pattern></schema>')
    every = run(["validate", "--rules", "house.sch", "--format", "json"], project)
    assert {d["code"] for d in json.loads(every.output)["diagnostics"]} == {"H1", "H2"}
    strict = run(["validate", "--rules", "house.sch", "--phase", "strict", "--format", "json"], project)
    assert strict.exit_code == 0, strict.output
    assert {d["code"] for d in json.loads(strict.output)["diagnostics"]} == {"H2"}
    assert run(["validate", "--rules", "house.sch", "--phase", "nope"], project).exit_code == 2


def test_id_scope_document_allows_the_same_id_in_different_files(project: Path) -> None:
    (project / "tei" / "a.xml").write_text(minimal('<p xml:id="p-1">a</p><p xml:id="p-2">b</p>', ident="doc-a"))
    (project / "tei" / "b.xml").write_text(minimal('<p xml:id="p-1">b</p><p xml:id="p-1">c</p>', ident="doc-b"))
    (project / "tei" / "c.xml").write_text(minimal('<p xml:id="p-3">c</p>', ident="doc-a"))
    corpus = json.loads(run(["validate", "--format", "json"], project).output)["diagnostics"]
    assert sorted((d["path"], d["code"]) for d in corpus if d["code"] == "X002") == [
        ("tei/b.xml", "X002"), ("tei/b.xml", "X002"), ("tei/c.xml", "X002")]
    (project / "teipress.toml").write_text('sources = ["tei/*.xml"]\nschema = "none"\nid-scope = "document"\n')
    scoped = json.loads(run(["validate", "--format", "json"], project).output)["diagnostics"]
    x002 = sorted((d["path"], d["line"], d["message"].split("'")[1]) for d in scoped if d["code"] == "X002")
    assert [(p, i) for p, _, i in x002] == [("tei/b.xml", "p-1"), ("tei/c.xml", "doc-a")]


def test_a_broken_rule_file_is_reported_when_the_check_runs_in_a_pool(project: Path) -> None:
    """The rules are compiled inside a pool worker (teipress.check.runner): the error
    must reach the user with its location, exactly as when compiled in-process."""
    for i in range(12):  # enough files for a pool of 2 (4 per worker)
        (project / "tei" / f"d{i}.xml").write_text(minimal(ident=f"doc-{i}"))
    (project / "house.sch").write_text(
        '<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt3">\n'
        '<pattern><rule context="p">\n<assert test="((">never</assert></rule></pattern></schema>\n')
    pooled = run(["validate", "--rules", "house.sch", "-j", "2"], project)
    alone = run(["validate", "--rules", "house.sch", "-j", "1"], project)
    assert pooled.exit_code == alone.exit_code == 2
    assert "house.sch:3:1" in pooled.output and "XPST0003" in pooled.output
    assert pooled.output == alone.output


def test_the_console_entry_ends_with_the_status_sys_exit_would_give(capsys: pytest.CaptureFixture[str]) -> None:
    """main() ends the process itself (os._exit, no interpreter tear-down): the status
    must be what ``sys.exit(code)`` would have given."""
    from teipress.cli import _exit_status

    assert (_exit_status(None), _exit_status(0), _exit_status(2)) == (0, 0, 2)
    assert _exit_status("config broken") == 1 and "config broken" in capsys.readouterr().err
