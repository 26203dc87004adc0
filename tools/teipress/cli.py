"""The ``teipress`` command line: a click group whose subcommands live in ``teipress.commands``.

Exit codes are the same for every subcommand: 0 clean (warnings allowed),
1 errors found, 2 usage or configuration error.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from teipress import __version__
from teipress.collector import tune_collector

#: Subcommand modules; each exposes a click command named ``command``.
COMMAND_MODULES = ("validate", "rules", "xref", "build", "serve", "daemon")


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that command is run (or help
    lists it): ``teipress build`` does not load the web server of ``serve`` or the
    suggestion matcher of ``xref`` (click's documented pattern for lazy subcommands)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMAND_MODULES:
            return None
        command: click.Command = importlib.import_module(f"teipress.commands.{cmd_name}").command
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="teipress")
def cli() -> None:
    """teipress: validate, cross-reference and publish TEI P5 editions.

    \b
    Typical use, from the project folder:
      teipress validate            check every source (schema, Schematron, pointers)
      teipress xref                report entities, mentions and broken pointers
      teipress build               write the HTML, print/PDF and text editions to output/
      teipress daemon start        keep a build daemon: later builds skip the start-up
    """


def main() -> None:
    """Console-script entry point (and ``python -m teipress``).

    Once the command has finished and its output is flushed, the process ends at once
    (``os._exit``): the interpreter's tear-down freed a large corpus's objects one by
    one, 0.3 s after an Escher rebuild, for memory the system takes back in one go.
    In-process callers (tests, click's runner) call :data:`cli` and exit normally.
    """
    tune_collector()
    try:
        cli(prog_name="teipress")  # click's standalone mode ends with SystemExit
        code = 0
    except SystemExit as exc:
        code = _exit_status(exc.code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``teipress … | head``): nothing more to say
            code = code or 1
    _remove_pool_folder()
    os._exit(code)


def _remove_pool_folder() -> None:
    """Remove the temporary folder ``multiprocessing`` made for this process (it holds the
    forkserver's socket of the render and check pools).

    An exit handler removes it, and ``os._exit`` runs none: every build that started a
    pool left a ``pymp-*`` folder in the temporary directory (thousands on a machine
    that builds all day). Nothing to do when no pool was started.
    """
    process = sys.modules.get("multiprocessing.process")
    if process is None:
        return
    folder = getattr(process.current_process(), "_config", {}).get("tempdir")
    if folder:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


def _exit_status(code: object) -> int:
    """The status ``sys.exit(code)`` would end the process with (a message is printed, status 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1
