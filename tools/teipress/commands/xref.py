"""``teipress xref``: the corpus register, broken pointers, and names editors missed.

Exit codes: 0 clean (warnings and suggestions allowed), 1 errors, 2 usage or
configuration error.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from teipress.commands.validate import use_color
from teipress.config import Config, ConfigError, load_config
from teipress.diagnostics import Diagnostic
from teipress.load import LoadedDocument
from teipress.report import FORMATS, RunResult, reporter
from teipress.report import text as text_report
from teipress.resolve import Corpus, build_register, check_corpus
from teipress.resolve.loading import load_many
from teipress.resolve.suggest import apply_fixes, fixed_texts, suggest, unified_diff

Emit = Callable[[str], None]


def _expand(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q.resolve() for q in p.rglob("*.xml")))
        else:
            out.append(p.resolve())
    return list(dict.fromkeys(out))


def load_corpus(config: Config, paths: Sequence[Path] = ()) -> tuple[
        list[LoadedDocument], list[LoadedDocument]]:
    """Load documents (*paths* override the configured sources) and authority files."""
    auth_paths = config.authority_files()
    doc_paths = _expand(paths) if paths else config.source_files()
    auth_set = set(auth_paths)
    doc_paths = [p for p in doc_paths if p not in auth_set]
    return load_many(doc_paths, config.root), load_many(auth_paths, config.root)


def report(corpus: Corpus, unresolved_limit: int = 20) -> list[str]:
    """The human summary: entities by mentions, unresolved pointers, unused entries."""
    lines: list[str] = []
    used: Counter[str] = Counter()
    for use in corpus.uses:
        if use.res.entry is not None and use.file.role == "document":
            used[use.res.entry.id] += 1
    lines.append(f"{len(corpus.documents)} documents, "
                 f"{len(corpus.files) - len(corpus.documents)} authority files, "
                 f"{len(corpus.entries)} entries, {len(corpus.uses)} pointers")
    lines.append("")
    lines.append("Entities by mentions:")
    for entry_id, n in used.most_common():
        e = corpus.entry_by_id[entry_id]
        lines.append(f"  {n:5d}  {e.id}  {e.name} ({e.kind})")
    bad: Counter[str] = Counter()
    for use in corpus.uses:
        if not use.res.ok:
            bad[use.value] += 1
    lines.append("")
    lines.append(f"Unresolved pointers: {sum(bad.values())} ({len(bad)} distinct values)")
    for value, n in bad.most_common(unresolved_limit):
        lines.append(f"  {n:5d}  {value}")
    if len(bad) > unresolved_limit:
        lines.append(f"  … and {len(bad) - unresolved_limit} more values")
    used_any = {id(u.res.entry) for u in corpus.uses
                if u.res.entry is not None and not u.self_reference}
    unused = [e for e in corpus.entries if e.file.role == "authority" and id(e) not in used_any]
    lines.append("")
    lines.append(f"Unused entries: {len(unused)}")
    for e in unused:
        lines.append(f"  {e.id}  {e.name}  ({e.file.display})")
    return lines


@click.command("xref")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="configuration file (default: nearest teipress.toml / pyproject.toml)")
@click.option("--suggest", "do_suggest", is_flag=True,
              help="list untagged names that match known entries (X201, ambiguous: X202)")
@click.option("--fix", "do_fix", is_flag=True,
              help="tag the unambiguous suggestions; without --yes only print the diff")
@click.option("--yes", is_flag=True, help="with --fix: write the files")
@click.option("--json", "json_out", metavar="FILE|-",
              help="write the register as JSON to FILE ('-' for stdout)")
@click.option("--register-xml", type=click.Path(dir_okay=False, path_type=Path),
              help="write the register XML to FILE")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="format of the diagnostics (the human report always goes to standard error "
                   "when this is not 'text')")
def command(paths: tuple[Path, ...], config_file: Path | None, do_suggest: bool, do_fix: bool,
            yes: bool, json_out: str | None, register_xml: Path | None, fmt: str) -> None:
    """Report entities, mentions and broken pointers; export the register.

    PATHS (files or folders) replace the configured sources; authority files
    always come from the configuration.
    """
    started = time.perf_counter()
    if yes and not do_fix:
        raise click.UsageError("--yes only makes sense with --fix")
    try:
        config = load_config(config_file=config_file) if config_file else load_config()
        docs, auths = load_corpus(config, paths)
        corpus = Corpus(docs, auths, config)
    except ConfigError as exc:
        click.echo(f"teipress: configuration error: {exc}", err=True)
        sys.exit(2)
    # When JSON or a machine report goes to stdout, everything human goes to stderr.
    to_stdout = json_out != "-" and fmt == "text"

    def emit(line: str) -> None:
        click.echo(line, err=not to_stdout)

    diags: list[Diagnostic] = [d for doc in (*docs, *auths) for d in doc.diagnostics]
    diags.extend(check_corpus(corpus))
    diags = [d for d in diags if not config.ignored(d.path, d.code)]
    for line in report(corpus):
        emit(line)
    suggestions = suggest(corpus) if (do_suggest or do_fix) else []
    if do_suggest:
        diags.extend(s.diagnostic() for s in suggestions)
    emit("")
    files = [d.display for d in (*docs, *auths)]
    result = RunResult(files, diags, time.perf_counter() - started, command="xref")
    if fmt == "text":
        emit(text_report.render(result, color=use_color(sys.stdout if to_stdout else sys.stderr)).rstrip("\n"))
    else:
        click.echo(reporter(fmt)(result), nl=False)
    if do_fix:
        changes = fixed_texts(suggestions)
        if not changes:
            emit("--fix: nothing to change")
        elif not yes:
            emit(unified_diff(changes).rstrip("\n"))
            emit(f"--fix: dry run, {len(changes)} file(s) would change; "
                 "run again with --fix --yes to write them")
        else:
            for path in apply_fixes(changes):
                emit(f"--fix: wrote {path}")
    if json_out or register_xml:
        register = build_register(corpus, config)
        if json_out == "-":
            click.echo(register.to_json())
        elif json_out:
            Path(json_out).write_text(register.to_json() + "\n", encoding="utf-8")
        if register_xml:
            with register_xml.open("wb") as f:  # record by record, never held whole
                register.write_xml(f)
    sys.exit(1 if result.errors else 0)
