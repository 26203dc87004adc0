"""Every rule code is documented, with examples, and docs/rules.md is current."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from teipress.cli import cli
from teipress.rules import all_rules
from teipress.rules_doc import render_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_docs_rules_md_is_generated_from_the_registry() -> None:
    assert (ROOT / "docs" / "rules.md").read_text("utf-8") == render_markdown(all_rules()), \
        "docs/rules.md is stale: run `teipress rules --markdown > docs/rules.md`"


def test_every_code_has_a_title_help_and_examples() -> None:
    rules = all_rules()
    codes = [r.code for r in rules]
    assert len(codes) == len(set(codes)), "duplicate rule codes"
    families = {c[0] for c in codes}
    assert {"P", "S", "R", "X"} <= families
    for r in rules:
        assert r.title and r.help, r.code
        if r.code[0] in "RX" and r.code not in {"X201", "X202"}:
            assert r.fail_example and r.pass_example, f"{r.code} needs a failing and a passing example"


def test_rules_command_lists_and_explains() -> None:
    runner = CliRunner()
    listing = runner.invoke(cli, ["rules"])
    assert listing.exit_code == 0
    for code in ("P001", "S001", "R001", "X001"):
        assert any(line.startswith(code) for line in listing.output.splitlines())
    one = runner.invoke(cli, ["rules", "x002"])
    assert one.exit_code == 0 and one.output.startswith("X002 ")
    assert runner.invoke(cli, ["rules", "Z999"]).exit_code == 2
