"""``teipress serve``: the HTML edition on 127.0.0.1, rebuilt on save with ``--watch``.

The server only ever binds to the loopback interface and serves the published
``output/html`` folder. A rebuild publishes atomically (see teipress.build), so
a reader reloading mid-build sees the old or the new edition, never a mix.
"""

from __future__ import annotations

import functools
import http.server
import signal
import sys
import threading
from collections import Counter
from pathlib import Path

import click

from teipress.build import STOPPING_ERRORS, BuildOptions, BuildResult, build
from teipress.check.runner import CheckOptions
from teipress.commands.build import build_summary, echo_findings, report_build
from teipress.config import Config, ConfigError, load_config
from teipress.diagnostics import Diagnostic
from teipress.progress import Progress
from teipress.report.text import plural
from teipress.session import BuildSession, exit_on_signals


def _rebuild(config: Config, out: Path, session: BuildSession, reporter: _Reporter, force: bool = False) -> None:
    options = BuildOptions(formats=["html"], out=out, force=force, check=CheckOptions.from_config(config))
    reporter.report(build(config, options, Progress(), session), out)


#: what identifies a finding from one build to the next (its place moves with edits)
_FindingKey = tuple[str, str, str, str]


def _key(d: Diagnostic) -> _FindingKey:
    return d.path, d.code, d.severity.value, d.message


class _Reporter:
    """What the server prints after each build: the first build's findings (at most
    20 per rule), then per save the findings that appeared since the build before,
    how many went away, and the build's summary line. An editor saving a letter of a
    corpus with thousands of known findings sees what the save did, not the same
    list again."""

    def __init__(self) -> None:
        self.before: list[Diagnostic] | None = None

    def report(self, result: BuildResult, out: Path) -> None:
        found = [*result.check.diagnostics, *result.render_errors]
        before, self.before = self.before, found
        if before is None:
            report_build(result, out, per_code=20)
            return
        appeared, gone = _changes(before, found)
        echo_findings(result, appeared, per_code=20)
        click.echo(f"{plural(len(appeared), 'new finding')}, {plural(gone, 'finding')} gone", err=True)
        click.echo(build_summary(result, out), err=True)


def _changes(before: list[Diagnostic], now: list[Diagnostic]) -> tuple[list[Diagnostic], int]:
    """The findings of *now* not in *before* (by :func:`_key`), and how many of *before* went.

    A session hands out the very finding objects of the build before for what did not
    change (see teipress.session), so only the others are compared by key: keying all
    90,000 Escher findings took 0.1 s after every save.
    """
    kept = set(map(id, before))
    fresh = [d for d in now if id(d) not in kept]
    still = set(map(id, now))
    lost = [d for d in before if id(d) not in still]
    left = Counter(map(_key, lost))
    appeared: list[Diagnostic] = []
    for d in fresh:
        k = _key(d)
        if left[k] > 0:
            left[k] -= 1
        else:
            appeared.append(d)
    return appeared, sum(left.values())


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@click.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--watch", is_flag=True, help="Rebuild the HTML edition whenever a source, authority file, "
                                            "stylesheet or the configuration changes.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default: output/).")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Publish even when validation finds errors (a corpus still being "
                                            "corrected): the errors are printed after each build.")
def command(port: int, watch: bool, out: Path | None, config_file: Path | None, force: bool) -> None:
    """Serve the HTML edition on http://127.0.0.1:PORT/ (and rebuild on save with --watch)."""
    try:
        config = load_config(config_file=config_file)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    out = (out or config.output_dir()).resolve()
    html = out / "html"
    # kept between the rebuilds of --watch: the render workers and the checker
    reporter = _Reporter()
    with exit_on_signals(signal.SIGTERM), BuildSession() as session:
        if watch or not (html / "index.html").exists():
            try:
                _rebuild(config, out, session, reporter, force)
            except STOPPING_ERRORS as exc:
                click.echo(f"error: {exc}", err=True)
                sys.exit(2)
        html.mkdir(parents=True, exist_ok=True)
        handler = functools.partial(_QuietHandler, directory=str(html))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        click.echo(f"Serving {html} at http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop)", err=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            if watch:
                _watch(config, out, session, reporter, force)
            else:
                thread.join()
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()


def _watch(config: Config, out: Path, session: BuildSession, reporter: _Reporter, force: bool) -> None:
    """Rebuild whenever something the edition is made from changes (never for output/ itself)."""
    from watchfiles import watch

    from teipress.paths import data_dir

    roots = sorted({p.parent for p in [*config.source_files(), *config.authority_files()]}
                   | {data_dir("xslt"), data_dir("schema")}
                   | ({config.source_file} if config.source_file else set()))

    def relevant(_change: object, path: str) -> bool:
        p = Path(path)
        return not p.is_relative_to(out) and p.suffix in {".xml", ".xsl", ".xsd", ".sch", ".toml", ".css", ".js"}

    ready = False
    # yield_on_timeout: the first (empty) yield tells that the watcher is active, so an
    # editor (or a test) knows from "Watching" that a save from now on is seen.
    for changes in watch(*roots, watch_filter=relevant, debounce=300, rust_timeout=200, yield_on_timeout=True):
        if not changes:
            if not ready:
                ready = True
                click.echo("Watching for changes (Ctrl-C to stop)", err=True)
            continue
        names = ", ".join(sorted({Path(p).name for _, p in changes}))
        click.echo(f"changed: {names}; rebuilding", err=True)
        try:  # a broken save is reported and the server goes on with the edition it has
            config = load_config(config_file=config.source_file)
            _rebuild(config, out, session, reporter, force)
        except STOPPING_ERRORS as exc:
            click.echo(f"error: {exc}; the published edition is unchanged", err=True)
