"""Compiler-style text output: ``path:line:col: error[CODE] message`` plus ``help:``.

Colour comes from rich, used only when the CLI asks for colour (a terminal,
no ``NO_COLOR``); CI logs and files get the same lines as plain text.
"""

from __future__ import annotations

import bisect
import io
import operator

from teipress.diagnostics import PLACE, Diagnostic, Severity
from teipress.report import RunResult

#: a finding's code, and its code then place (see diagnostics.PLACE: the fields in C; not
#: the severity, an enum without an order)
_CODE, _CODE_PLACE = operator.itemgetter(3), operator.itemgetter(3, 0, 1, 2)
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
    listed, hidden = _first_per_code(result, per_code)
    more = [f"… and {n} more {code} finding{'' if n == 1 else 's'}" + (f" ({hint})" if hint else "")
            for code, n in sorted(hidden.items())]
    if not color:  # plain text needs no rich (nor its import: 0.06 s of a rebuild's report)
        lines = []
        for d in listed:
            lines.append(f"{d.location()}: {d.severity.value}[{d.code}] {d.message}")
            if d.help:
                lines.append(f"  help: {d.help}")
        lines.extend(more)
        if summary:
            lines.append(summary_line(result))
        return "".join(f"{line}\n" for line in lines)

    from rich.console import Console  # imported when colour is shown
    from rich.markup import escape

    buf = io.StringIO()
    # no emoji codes: a message is shown as it is
    console = Console(file=buf, force_terminal=True, width=width, highlight=False, soft_wrap=True, emoji=False)
    for d in listed:
        console.print(
            f"[bold]{escape(d.location())}[/bold]: [{_STYLE[d.severity]}]{d.severity.value}\\[{escape(d.code)}][/] "
            f"{escape(d.message)}"
        )
        if d.help:
            console.print(f"  [cyan]help[/cyan]: {escape(d.help)}")
    for line in more:
        console.print(escape(line))
    if summary:
        console.print(escape(summary_line(result)))
    return buf.getvalue()


def _first_per_code(result: RunResult, per_code: int) -> tuple[list[Diagnostic], dict[str, int]]:
    """The findings to show, in place order, and how many of each code are not shown.

    With a limit, one sort by code then place (in C) and a cut per code: a Python
    loop over every finding cost more than the rest of the report (the Escher letters
    have 90,000 findings, of which 180 are shown).
    """
    if not per_code:
        return result.sorted(), {}
    ordered = sorted(result.diagnostics, key=_CODE_PLACE)
    listed: list[Diagnostic] = []
    hidden: dict[str, int] = {}
    start = 0
    while start < len(ordered):
        code = ordered[start].code
        end = bisect.bisect_right(ordered, code, lo=start, key=_CODE)
        listed.extend(ordered[start:min(end, start + per_code)])
        if end - start > per_code:
            hidden[code] = end - start - per_code
        start = end
    listed.sort(key=PLACE)
    return listed, hidden


def plural(n: int, word: str) -> str:
    """``1 error``, ``2 errors``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(result: RunResult) -> str:
    """``Checked 3 files: 1 error, 2 warnings (0.41 s)``."""
    return (f"Checked {plural(len(result.files), 'file')}: {plural(result.errors, 'error')}, "
            f"{plural(result.warnings, 'warning')} ({result.seconds:.2f} s)")
