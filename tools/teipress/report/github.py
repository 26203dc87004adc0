"""GitHub Actions workflow commands: annotations on the pull request's files.

Data and property values are escaped as the runner expects (``%``, CR, LF; and
``:``/``,`` inside properties) so messages cannot inject further commands.
"""

from __future__ import annotations

from teipress.diagnostics import Severity
from teipress.report import RunResult
from teipress.report.text import summary_line

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(s: str) -> str:
    return _data(s).replace(":", "%3A").replace(",", "%2C")


def render(result: RunResult) -> str:
    lines = []
    for d in result.sorted():
        props = f"file={_prop(d.path)},line={max(d.line, 1)},col={max(d.col, 1)},title={_prop(d.code)}"
        text = d.message + (f"\nhelp: {d.help}" if d.help else "")
        lines.append(f"::{_COMMAND[d.severity]} {props}::{_data(text)}")
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"
