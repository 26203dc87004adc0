"""Compiler-style text output: ``path:line:col: error[CODE] message`` plus ``help:``.

Colour comes from rich, which switches itself off when the stream is not a
terminal or ``NO_COLOR`` is set, so CI logs stay plain.
"""

from __future__ import annotations

import io
from collections import Counter

from teipress.diagnostics import Severity
from teipress.report import RunResult

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold cyan"}


def render(result: RunResult, *, color: bool = False, width: int = 200, summary: bool = True,
           per_code: int = 0, hint: str = "") -> str:
    """Render *result*; with ``color=True`` emit ANSI styles (the CLI decides when).

    ``summary=False`` leaves out the closing "Checked N files" line, for commands
    (build, serve) that end with a summary of their own. ``per_code`` > 0 shows at
    most that many findings per rule code and then one line per code saying how
    many more there are (and *hint*: where to see them): a corpus with tens of
    thousands of findings of one kind needs the kind, not a wall of text.
    """
    from rich.console import Console  # imported when text is shown (not for a JSON summary)
    from rich.markup import escape

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=width,
                      highlight=False, soft_wrap=True)
    shown: Counter[str] = Counter()
    hidden: Counter[str] = Counter()
    for d in result.sorted():
        if per_code and shown[d.code] >= per_code:
            hidden[d.code] += 1
            continue
        shown[d.code] += 1
        sev = d.severity.value
        console.print(
            f"[bold]{escape(d.location())}[/bold]: [{_STYLE[d.severity]}]{sev}\\[{escape(d.code)}][/] "
            f"{escape(d.message)}"
        )
        if d.help:
            console.print(f"  [cyan]help[/cyan]: {escape(d.help)}")
    for code, n in sorted(hidden.items()):
        console.print(f"… and {n} more {escape(code)} finding{'' if n == 1 else 's'}"
                      + (f" ({escape(hint)})" if hint else ""))
    if summary:
        console.print(summary_line(result))
    return buf.getvalue()


def summary_line(result: RunResult) -> str:
    """``Checked 3 files: 1 error, 2 warnings (0.41 s)``."""
    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    return (f"Checked {plural(len(result.files), 'file')}: {plural(result.errors, 'error')}, "
            f"{plural(result.warnings, 'warning')} ({result.seconds:.2f} s)")
