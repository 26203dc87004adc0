"""Compiler-style text output: ``path:line:col: error[CODE] message`` plus ``help:``.

Colour comes from rich, used only when the CLI asks for colour (a terminal,
no ``NO_COLOR``); CI logs and files get the same lines as plain text.
"""

from __future__ import annotations

import heapq
import io
import itertools
from collections import Counter

from teipress.diagnostics import PLACE, Diagnostic, Severity, grouped
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

    With a limit, the findings are grouped by code and each group's first *per_code* in
    place order picked (``heapq.nsmallest``: about one comparison per finding). Sorting
    them all by code and place compared long, mostly equal paths a million times (the
    Escher letters: 90,000 findings, of which 180 are shown; 0.20-0.24 s -> 0.05 s).
    Ties keep the order a sort by code, then place, would give.
    """
    if not per_code:
        return result.sorted(), {}
    deferred = result.deferred
    if deferred is not None and per_code > deferred.head:  # its heads are too short: read them all
        result.materialize()
        deferred = None
    # deferred findings: their first ones per code are among their heads, and they count
    # beside them (see DeferredFindings)
    heads = deferred.shown(deferred.heads) if deferred is not None else []
    totals = deferred.by_code() if deferred is not None else {}
    in_heads = Counter(d.code for d in heads)
    groups = grouped(itertools.chain(result.diagnostics, heads), 3)
    listed: list[Diagnostic] = []
    hidden: dict[str, int] = {}
    for code in sorted(groups):
        group = groups[code]
        total = len(group) - in_heads[code] + totals.get(code, 0)
        if total > per_code:
            hidden[code] = total - per_code
        listed.extend(heapq.nsmallest(per_code, group, key=PLACE))
    listed.sort(key=PLACE)
    return listed, hidden


def plural(n: int, word: str) -> str:
    """``1 error``, ``2 errors``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(result: RunResult) -> str:
    """``Checked 3 files: 1 error, 2 warnings (0.41 s)``."""
    return (f"Checked {plural(len(result.files), 'file')}: {plural(result.errors, 'error')}, "
            f"{plural(result.warnings, 'warning')} ({result.seconds:.2f} s)")
