"""Phase 5, report: show diagnostics to people (text) and machines (JSON, JUnit, GitHub, SARIF).

Reporters are pure functions from a :class:`RunResult` to a string, so every
command (validate, xref, build) shares them and tests can assert exact output.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field

from teipress.diagnostics import PLACE, DeferredFindings, Diagnostic, Severity

#: a diagnostic's severity (its fifth field), taken in C
_SEVERITY = operator.itemgetter(4)


@dataclass
class RunResult:
    """What a checking run produced: the files it looked at and what it found."""

    files: list[str]
    diagnostics: list[Diagnostic]
    seconds: float = 0.0
    tool: str = "teipress"
    command: str = "validate"
    extra: dict[str, object] = field(default_factory=dict)
    #: findings counted but not read yet, besides :attr:`diagnostics` (see
    #: :class:`~teipress.diagnostics.DeferredFindings`); :meth:`materialize` reads them
    deferred: DeferredFindings | None = None

    @property
    def errors(self) -> int:
        # counted in C: a build asks several times, of tens of thousands of findings
        found = operator.countOf(map(_SEVERITY, self.diagnostics), Severity.ERROR)
        return found + (self.deferred.count(Severity.ERROR) if self.deferred is not None else 0)

    @property
    def warnings(self) -> int:
        found = operator.countOf(map(_SEVERITY, self.diagnostics), Severity.WARNING)
        return found + (self.deferred.count(Severity.WARNING) if self.deferred is not None else 0)

    def error_paths(self) -> set[str]:
        """The paths (as findings show them) with an error, the deferred findings' among them."""
        found = {d.path for d in self.diagnostics if d.severity is Severity.ERROR}
        if self.deferred is not None:
            found.update(self.deferred.error_paths())
        return found

    def materialize(self) -> list[Diagnostic]:
        """Every finding in :attr:`diagnostics`, the deferred ones read first."""
        if self.deferred is not None:
            deferred, self.deferred = self.deferred, None
            self.diagnostics.extend(deferred.shown(deferred.load()))
        return self.diagnostics

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.materialize(), key=PLACE)

    def by_file(self) -> dict[str, list[Diagnostic]]:
        grouped: dict[str, list[Diagnostic]] = {f: [] for f in self.files}
        for d in self.sorted():
            grouped.setdefault(d.path, []).append(d)
        return grouped


Reporter = Callable[[RunResult], str]


def reporter(name: str) -> Reporter:
    """The reporter for a ``--format`` value."""
    from teipress.report import github, json_report, junit, sarif, text

    table: dict[str, Reporter] = {
        "text": text.render,
        "json": json_report.render,
        "junit": junit.render,
        "github": github.render,
        "sarif": sarif.render,
    }
    return table[name]


FORMATS = ("text", "json", "junit", "github", "sarif")
