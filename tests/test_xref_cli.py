"""``teipress xref``: report, exit codes, --json, --register-xml, --suggest, --fix dry run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from teipress.commands.xref import command

FIX = Path(__file__).parent / "fixtures" / "xref"


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


def test_clean_project_exits_0_and_writes_register(runner: CliRunner, tmp_path: Path) -> None:
    out_xml = tmp_path / "register.xml"
    res = runner.invoke(command, ["--config", str(FIX / "project" / "teipress.toml"),
                                  "--register-xml", str(out_xml), "--json", "-"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["documents"][0]["id"] == "doc-a"
    assert out_xml.read_bytes().startswith(b"<?xml")


def test_errors_exit_1_with_locations(runner: CliRunner) -> None:
    res = runner.invoke(command, ["--config", str(FIX / "errors" / "teipress.toml"),
                                  "--suggest"])
    assert res.exit_code == 1
    assert "tei/bad.xml:13:30: error[X001]" in res.output
    assert "  help: " in res.output
    assert "info[X202] 'Liu' is ambiguous" in res.output
    assert "Unresolved pointers: 5 (5 distinct values)" in res.output


def test_bad_key_config_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "teipress.toml").write_text('[keys]\npersName = "nonsense"\n')
    res = runner.invoke(command, ["--config", str(tmp_path / "teipress.toml")])
    assert res.exit_code == 2


def test_fix_dry_run_then_write(runner: CliRunner, tmp_path: Path) -> None:
    project = tmp_path / "errors"
    shutil.copytree(FIX / "errors", project)
    bad = project / "tei" / "bad.xml"
    before = bad.read_bytes()
    cfg = ["--config", str(project / "teipress.toml")]
    res = runner.invoke(command, [*cfg, "--fix"])
    assert '+      <p xml:id="shared-id"><persName ref="pers:gao-gang">' in res.output
    assert bad.read_bytes() == before
    res = runner.invoke(command, [*cfg, "--fix", "--yes"])
    after = bad.read_bytes()
    assert after != before
    assert b"<!-- Stalin -->" in after and b"&amp;" in after
    assert b" Liu went" in after  # ambiguous: left alone
    assert not list(bad.parent.glob(".*.tmp"))
