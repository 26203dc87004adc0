"""``teipress build``: sources to the HTML, print/PDF and text editions in one command."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from teipress.config import Config, load_config
from teipress.report import text as text_report

if TYPE_CHECKING:  # the CLI imports every command at start-up; the build phase only when run
    from teipress.build import BuildResult
    from teipress.diagnostics import Diagnostic
    from teipress.session import BuildSession

EDITION_FORMATS = ("html", "print", "pdf", "text", "all")


@click.command("build")
@click.option("--format", "formats", multiple=True,
              type=click.Choice([*EDITION_FORMATS, "json"]),
              help="Edition to build (repeatable; default: all = html, print, pdf, text). "
                   "'json' prints the summary as JSON for CI (same as --summary json).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: [tool.teipress] output, else ./output).")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, help="Worker processes (default: all cores).")
@click.option("--force", is_flag=True, help="Publish even if validation finds errors.")
@click.option("--clean", is_flag=True, help="Rebuild everything, ignoring what is already published.")
@click.option("--schema", help="Schema for the check phase ('project', 'tei-all', 'none' or a file).")
@click.option("--summary", "summary", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Format of the final summary.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@click.option("--max-per-rule", type=click.IntRange(min=0), default=20, show_default=True,
              help="Findings shown per rule code in the text summary (0: all); "
                   "'teipress validate' and --summary json list every one.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Use this pyproject.toml/teipress.toml instead of searching upward.")
@click.option("--no-daemon", is_flag=True,
              help="Build in this process even when a build daemon runs for the project, and start "
                   "none afterwards ('teipress daemon'; config key 'daemon').")
def command(formats: tuple[str, ...], out: Path | None, jobs: int, force: bool, clean: bool,
            schema: str | None, summary: str, quiet: bool, max_per_rule: int, config_file: Path | None,
            no_daemon: bool) -> None:
    """Build the editions: load → check → resolve → render → report.

    Refuses to publish when validation finds errors (warnings are shown, not fatal) unless
    --force. Only documents whose sources, stylesheets or register entries changed are
    re-rendered; the previous output stays intact until the new one is complete.

    When a build daemon runs for the project ('teipress daemon start'), the build is
    handed to it: the same files, output and exit status, without the start-up costs.
    A build of 100 documents or more starts one (outside CI; config key 'daemon').
    """
    params = BuildParams(list(formats), out, jobs, force, clean, schema, summary, quiet, max_per_rule, config_file)
    if not no_daemon:
        from teipress.daemon.client import forward

        code = forward(params)
        if code is not None:
            sys.exit(code)
    sys.exit(run_build(params, start_daemon=not no_daemon))


class BuildParams(NamedTuple):
    """The options of ``teipress build``, as the command line gives them (a daemon gets
    them as JSON from :meth:`to_json` and runs :func:`run_build` on them)."""

    formats: list[str]
    out: Path | None
    jobs: int
    force: bool
    clean: bool
    schema: str | None
    summary: str
    quiet: bool
    max_per_rule: int
    config_file: Path | None

    def to_json(self) -> dict[str, object]:
        return {k: (os.fspath(v) if isinstance(v, Path) else v) for k, v in self._asdict().items()}

    def canonical(self) -> BuildParams:
        """``--format json`` (the issue's spelling of ``--summary json``) as the summary it
        asks for: the formats are then edition formats only (none: all of them)."""
        if "json" not in self.formats:
            return self
        return self._replace(summary="json", formats=[f for f in self.formats if f != "json"])

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BuildParams:
        paths = {k: Path(data[k]) if data.get(k) is not None else None for k in ("out", "config_file")}
        return cls(**{**data, **paths})


def run_build(params: BuildParams, session: BuildSession | None = None, *, daemon: bool = False,
              start_daemon: bool = False) -> int:
    """Build as *params* say and report; the exit status (0 published, 1 errors, 2 nothing
    published for another reason, or a usage or configuration error).

    *session*: a daemon's (see :mod:`teipress.daemon`). *daemon*: built by one for a
    client, whose streams this process writes to; phases are then shown as plain lines,
    not rich's bars (rich's console is one per process, set up for the first client).
    *start_daemon*: afterwards, start the project's daemon if the configuration's
    ``daemon`` mode asks for one (:func:`teipress.daemon.client.autostart`).
    """
    from teipress.build import STOPPING_ERRORS, BuildOptions, build
    from teipress.check.runner import CheckOptions
    from teipress.progress import PlainProgress, Progress, for_stream

    params = params.canonical()
    summary = params.summary
    chosen = params.formats or ["all"]
    try:
        config = load_config(config_file=params.config_file)
        options = BuildOptions(
            formats=chosen, out=params.out or config.output_dir(), jobs=params.jobs, force=params.force,
            clean=params.clean, check=CheckOptions.from_config(config, schema=params.schema or config.schema),
            report_per_code=params.max_per_rule if summary != "json" else 0, report_json=summary == "json")
        quiet = params.quiet or summary == "json"
        progress: Progress = (Progress() if quiet else PlainProgress(sys.stderr)) if daemon \
            else for_stream(sys.stderr, quiet=quiet)
        if session is not None and params.clean:  # everything again, the session's memory too
            session.close()
        try:
            result = build(config, options, progress, session)
        finally:
            progress.close()
    except STOPPING_ERRORS as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    result.daemon = daemon
    if summary == "json":
        # compact: the summary of a large corpus lists tens of thousands of findings (the
        # Escher letters: 90,000, 42 MB; orjson writes them in 0.06 s, the json module 0.5 s)
        kept = None
        if session is not None:  # a daemon's: files whose findings are the same objects keep their JSON
            from teipress.report.json_report import FindingsJson

            kept = session.findings_json = session.findings_json or FindingsJson()
        _write_stdout(result.to_json(kept))
    else:
        report_build(result, options.out, per_code=params.max_per_rule)
    if start_daemon:
        _start_daemon(params, config, result.documents, params.quiet)
    errors = result.check.errors + len(result.render_errors)
    return 0 if result.published else (1 if errors else 2)


def _start_daemon(params: BuildParams, config: Config, documents: int, quiet: bool) -> None:
    """Start the project's build daemon after this build when its mode says so, and say so."""
    from teipress.daemon.client import autostart, autostart_mode

    pid = autostart(config.root, params, autostart_mode(config.daemon, os.environ), documents)
    if pid is not None and not quiet:
        click.echo(f"Started the project's build daemon (pid {pid}): the next 'teipress build' here "
                   "reuses this one's workers and caches. 'teipress daemon stop' stops it; "
                   "daemon = \"never\" in the configuration (or TEIPRESS_DAEMON=never) starts none.", err=True)


def _write_stdout(pieces: list[bytes]) -> None:
    """*pieces* one after the other, then a newline, on standard output: the bytes as
    they are when it has a binary side (no copy of a summary of tens of MB), else as
    text (a redirect)."""
    binary = getattr(sys.stdout, "buffer", None)
    if binary is None:
        click.echo(b"".join(pieces).decode("utf-8"))
        return
    sys.stdout.flush()
    if type(getattr(binary, "raw", None)) is io.FileIO:  # the process's own standard output
        binary.flush()
        write_all(binary.raw.fileno(), [*pieces, b"\n"])
        return
    binary.writelines(pieces)
    binary.write(b"\n")
    binary.flush()


def write_all(fd: int, pieces: list[bytes]) -> None:
    """*pieces* written to *fd* in order, up to 512 per system call (``writev``), again
    from where a partial write stopped. The JSON summary of the Escher letters is 10,000
    pieces (44 MB): 0.01 s so, 0.04 s through a buffered stream's ``writelines``."""
    left: list[bytes | memoryview] = list(pieces)
    i = 0
    while i < len(left):
        batch = left[i:i + 512]
        written = os.writev(fd, batch)
        if not written and any(batch):
            raise OSError(f"standard output took none of {sum(map(len, batch))} bytes")
        while i < len(left) and written >= len(left[i]):
            written -= len(left[i])
            i += 1
        if written:
            left[i] = memoryview(left[i])[written:]


def report_build(result: BuildResult, out: Path, per_code: int = 0) -> None:
    """Diagnostics (compiler style, at most *per_code* per rule code when > 0) and the
    one-line build summary, on standard error."""
    echo_findings(result, [*result.check.diagnostics, *result.render_errors], per_code)
    click.echo(build_summary(result, out), err=True)


def echo_findings(result: BuildResult, findings: list[Diagnostic], per_code: int = 0) -> None:
    """*findings* of a build compiler style on standard error, in place order, at most
    *per_code* per rule code when > 0 (``teipress serve`` shows those a save added)."""
    from teipress.commands.validate import use_color
    from teipress.report import RunResult

    deferred = result.check.deferred
    if findings or deferred is not None:
        shown = RunResult(result.check.files, findings, result.check.seconds, deferred=deferred)
        click.echo(text_report.render(shown, color=use_color(sys.stderr), summary=False, per_code=per_code,
                                      hint="run 'teipress validate' to list them all").rstrip("\n"), err=True)


def build_summary(result: BuildResult, out: Path) -> str:
    """``Built html, print, text for 2 document(s) into output: …`` or why nothing was published."""
    if not result.published:
        if result.check.errors:
            return (f"Not published: validation found {result.check.errors} error(s) in "
                    f"{len(result.check.error_paths())} file(s). "
                    "Run 'teipress validate' for details, fix them, or use --force.")
        return f"Not published: {len(result.render_errors)} rendering error(s); output/ is unchanged."
    previous = result.check.extra.get("previous_versions") or []
    kept = (f"\nKept in their previous version (they do not parse; see the errors above): {', '.join(previous)}"
            if isinstance(previous, list) and previous else "")
    return (f"Built {', '.join(result.formats)} for {result.documents} document(s) into {out}: "
            f"{result.rendered_documents} rendered, {result.files_written} files written, "
            f"{result.files_kept} kept, {result.files_removed} removed; "
            f"{result.check.errors} errors, {result.check.warnings} warnings "
            f"({result.seconds:.2f} s{', by the build daemon' if result.daemon else ''}){kept}")
