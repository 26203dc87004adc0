"""``teipress rules``: list every diagnostic code, or explain one."""

from __future__ import annotations

import sys

import click

from teipress.rules import all_rules


@click.command("rules")
@click.argument("code", required=False)
@click.option("--markdown", is_flag=True, help="Print docs/rules.md (the full reference).")
def command(code: str | None, markdown: bool) -> None:
    """List every diagnostic code teipress can emit; with CODE, explain that one."""
    rules = all_rules()
    if markdown:
        from teipress.rules_doc import render_markdown

        click.echo(render_markdown(rules), nl=False)
        return
    if code:
        match = [r for r in rules if r.code.lower() == code.lower()]
        if not match:
            click.echo(f"error: unknown rule code {code!r}; run 'teipress rules' for the list", err=True)
            sys.exit(2)
        r = match[0]
        click.echo(f"{r.code} {r.name} ({r.severity.value}, {r.source})\n\n{r.title}\n")
        if r.help:
            click.echo(f"How to fix: {r.help}\n")
        if r.fail_example:
            click.echo(f"Fails:\n  {r.fail_example}\n")
        if r.pass_example:
            click.echo(f"Passes:\n  {r.pass_example}")
        return
    width = max(len(r.name) for r in rules)
    for r in rules:
        click.echo(f"{r.code}  {r.severity.value:<7}  {r.name:<{width}}  {r.title}")
