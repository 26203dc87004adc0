"""The ``teipress`` command line: a click group whose subcommands live in ``teipress.commands``.

Exit codes are the same for every subcommand: 0 clean (warnings allowed),
1 errors found, 2 usage or configuration error.
"""

from __future__ import annotations

import importlib

import click

from teipress import __version__

#: Subcommand modules; each exposes a click command named ``command``.
COMMAND_MODULES = ("validate", "rules", "xref", "build", "serve")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="teipress")
def cli() -> None:
    """teipress: validate, cross-reference and publish TEI P5 editions.

    \b
    Typical use, from the project folder:
      teipress validate            check every source (schema, Schematron, pointers)
      teipress xref                report entities, mentions and broken pointers
      teipress build               write the HTML, print/PDF and text editions to output/
    """


for _name in COMMAND_MODULES:
    cli.add_command(importlib.import_module(f"teipress.commands.{_name}").command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="teipress")
