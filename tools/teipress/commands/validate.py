"""``teipress validate``: schema, Schematron and corpus checks with CI-friendly reports."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from teipress.config import Config, ConfigError, load_config
from teipress.report import FORMATS, reporter
from teipress.report import text as text_report


def resolve_inputs(config: Config, paths: tuple[Path, ...]) -> list[Path]:
    """Files to check: the given paths (folders expand to their *.xml) or else the configuration's."""
    if not paths:
        return [*config.source_files(), *config.authority_files()]
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(q for q in p.rglob("*.xml") if q.is_file()))
        elif p.exists():
            files.append(p)
        else:
            raise click.UsageError(f"no such file or folder: {p}")
    return files


def use_color(stream: object) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    import os

    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--schema", "schema", metavar="SCHEMA",
              help="'project' (default), 'tei-all', 'none', or a path to an .xsd/.rng file.")
@click.option("--schema-engine", type=click.Choice(["auto", "xmlschema"]), default=None,
              help="XSD engine: 'auto' (libxml2 core + Saxon assertions when possible) or 'xmlschema'.")
@click.option("--rules", "rules", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An extra ISO Schematron file (repeatable).")
@click.option("--no-project-rules", is_flag=True, help="Do not run schema/teipress.sch.")
@click.option("--phase", help="Schematron phase to run (default: the schema's defaultPhase).")
@click.option("--no-corpus", is_flag=True, help="Skip the corpus-wide checks (ids, pointers).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file instead of standard output.")
@click.option("--warnings-as-errors", is_flag=True, help="Exit 1 on warnings too.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0,
              help="Worker processes (default: all cores).")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Use this pyproject.toml/teipress.toml instead of searching upward.")
def command(paths: tuple[Path, ...], schema: str | None, schema_engine: str | None, rules: tuple[Path, ...],
            no_project_rules: bool,
            phase: str | None, no_corpus: bool, fmt: str, output: Path | None,
            warnings_as_errors: bool, jobs: int, config_file: Path | None) -> None:
    """Check TEI documents: well-formedness, schema, Schematron rules and cross-references.

    Without PATHS, checks the sources and authority files of the project configuration
    ([tool.teipress] in pyproject.toml or teipress.toml). Exit status: 0 clean (warnings
    allowed), 1 errors found, 2 usage or configuration error.
    """
    from teipress.check.runner import CheckOptions, check_files
    from teipress.check.schema import SchemaError

    try:
        config = load_config(config_file=config_file)
        files = resolve_inputs(config, paths)
        options = CheckOptions.from_config(
            config,
            schema=schema or config.schema,
            schema_engine=schema_engine or config.schema_engine,
            rules=[*(config.root / r for r in config.rules), *rules],
            project_rules=config.use_project_rules and not no_project_rules,
            phase=phase, jobs=jobs, corpus=not no_corpus, warnings_as_errors=warnings_as_errors)
        if not files:
            raise click.UsageError("no files to check: give paths or set [tool.teipress] sources")
        result = check_files(files, config, options)
    except (ConfigError, SchemaError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except Exception as exc:
        from teipress.check.schematron import SchematronError

        if isinstance(exc, SchematronError):
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        raise
    stream = open(output, "w", encoding="utf-8") if output else sys.stdout  # noqa: SIM115
    try:
        if fmt == "text":
            stream.write(text_report.render(result, color=output is None and use_color(sys.stdout)))
        else:
            stream.write(reporter(fmt)(result))
    finally:
        if output:
            stream.close()
    sys.exit(1 if result.errors else 0)
