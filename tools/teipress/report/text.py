"""Compiler-style text output: ``path:line:col: error[CODE] message`` plus ``help:``.

Colour comes from rich, which switches itself off when the stream is not a
terminal or ``NO_COLOR`` is set, so CI logs stay plain.
"""

from __future__ import annotations

import io

from rich.console import Console
from rich.markup import escape

from teipress.diagnostics import Severity
from teipress.report import RunResult

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold cyan"}


def render(result: RunResult, *, color: bool = False, width: int = 200, summary: bool = True) -> str:
    """Render *result*; with ``color=True`` emit ANSI styles (the CLI decides when).

    ``summary=False`` leaves out the closing "Checked N files" line, for commands
    (build, serve) that end with a summary of their own.
    """
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=width,
                      highlight=False, soft_wrap=True)
    for d in result.sorted():
        sev = d.severity.value
        console.print(
            f"[bold]{escape(d.location())}[/bold]: [{_STYLE[d.severity]}]{sev}\\[{escape(d.code)}][/] "
            f"{escape(d.message)}"
        )
        if d.help:
            console.print(f"  [cyan]help[/cyan]: {escape(d.help)}")
    if summary:
        console.print(summary_line(result))
    return buf.getvalue()


def summary_line(result: RunResult) -> str:
    """``Checked 3 files: 1 error, 2 warnings (0.41 s)``."""
    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    return (f"Checked {plural(len(result.files), 'file')}: {plural(result.errors, 'error')}, "
            f"{plural(result.warnings, 'warning')} ({result.seconds:.2f} s)")
