"""The one diagnostic type every phase emits and every reporter consumes.

Keeping a single, small, immutable record means the load, check and resolve
phases never need to know how findings are shown (text, JSON, JUnit, GitHub,
SARIF), and the reporters never need to know where a finding came from.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple


class Severity(enum.Enum):
    """How bad a finding is. Errors fail a run (exit 1); warnings do not unless asked."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @classmethod
    def parse(cls, value: str | None, default: Severity | None = None) -> Severity:
        """Map a Schematron ``@role`` or config string to a severity.

        Unknown roles fall back to *default* (error), as ISO Schematron leaves
        ``@role`` free-form; ``fatal``/``error`` are errors, ``warn``/``warning``
        are warnings and ``info``/``information``/``hint`` are infos.
        """
        if default is None:
            default = cls.ERROR
        if not value:
            return default
        v = value.strip().lower()
        if v in {"fatal", "error", "err"}:
            return cls.ERROR
        if v in {"warn", "warning", "caution"}:
            return cls.WARNING
        if v in {"info", "information", "informational", "hint", "note", "suggestion"}:
            return cls.INFO
        return default


#: Severity by value; ``Severity(value)`` costs an enum lookup per call, and findings are
#: read back by the tens of thousands.
_SEVERITIES = {s.value: s for s in Severity}
#: (path, line, column, code, severity value, message, help, source): see Diagnostic.as_row
DiagnosticRow = tuple[str, int, int, str, str, str, str | None, str]


class Diagnostic(NamedTuple):
    """One finding at one place in one file.

    ``line`` and ``col`` are 1-based; 0 means "unknown" (e.g. an empty file).
    ``path`` is the path as the user should see it (relative to the project
    root when possible) so that ``path:line:col`` is clickable in editors.

    A named tuple, not a frozen dataclass: as immutable, and six times quicker to
    make (a frozen dataclass sets each field through ``object.__setattr__``), which
    counts when a large corpus's findings are read back by the tens of thousands.
    Diagnostics sort by place (path, line, column, code).
    """

    path: str
    line: int
    col: int
    code: str
    severity: Severity
    message: str
    help: str | None = None
    source: str = "teipress"

    def place(self) -> tuple[str, int, int, str]:
        """What diagnostics sort by: path, line, column, code (see :data:`PLACE`)."""
        return self.path, self.line, self.col, self.code

    def __lt__(self, other: object) -> bool:
        return self.place() < other.place() if isinstance(other, Diagnostic) else NotImplemented

    def __le__(self, other: object) -> bool:
        return self.place() <= other.place() if isinstance(other, Diagnostic) else NotImplemented

    def __gt__(self, other: object) -> bool:
        return self.place() > other.place() if isinstance(other, Diagnostic) else NotImplemented

    def __ge__(self, other: object) -> bool:
        return self.place() >= other.place() if isinstance(other, Diagnostic) else NotImplemented

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def location(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"

    def as_row(self) -> DiagnosticRow:
        """The finding as plain values (``marshal``-able, quick to pickle): how the resolve
        memo stores findings and the resolve process sends them back."""
        return (self.path, self.line, self.col, self.code, self.severity.value, self.message, self.help,
                self.source)

    @classmethod
    def from_row(cls, row: DiagnosticRow) -> Diagnostic:
        """The finding of :meth:`as_row` (``ValueError`` for a row of another length,
        ``KeyError`` for a severity no version writes)."""
        return from_rows((row,))[0]

    def to_dict(self) -> dict[str, object]:
        return as_dicts((self,))[0]


#: A named tuple made from its fields' tuple without the keyword-handling constructor: read
#: back by the tens of thousands, findings are made three times faster this way.
_new = tuple.__new__
#: Severity -> its value, a dictionary lookup rather than the enum's ``value`` property.
_VALUES = {s: s.value for s in Severity}


def from_rows(rows: Iterable[DiagnosticRow]) -> list[Diagnostic]:
    """:meth:`Diagnostic.from_row` of each row (the same errors for a row of another shape)."""
    severities, make = _SEVERITIES, Diagnostic
    return [_new(make, (path, line, col, code, severities[severity], message, help_text, source))
            for path, line, col, code, severity, message, help_text, source in rows]


def as_dicts(diagnostics: Iterable[Diagnostic]) -> list[dict[str, object]]:
    """Each diagnostic as the JSON reports and summaries write it (one comprehension: a
    summary of a large corpus lists 90,000)."""
    values = _VALUES
    return [{"path": path, "line": line, "column": col, "code": code, "severity": values[severity],
             "message": message, "help": help_text, "source": source}
            for path, line, col, code, severity, message, help_text, source in diagnostics]


#: :meth:`Diagnostic.place` as a sort key taken in C (the first four fields): a Python
#: key function or the named tuple's ``__lt__`` is several times slower on the 90,000
#: findings of the Escher letters.
PLACE = operator.itemgetter(0, 1, 2, 3)


def grouped(diagnostics: Iterable[Diagnostic], field: int) -> dict[str, list[Diagnostic]]:
    """*diagnostics* by the value of one of their fields (0: path, 3: code), each group in
    their order. A loop of dictionary lookups: reports group 90,000 findings."""
    groups: dict[str, list[Diagnostic]] = {}
    key = operator.itemgetter(field)
    for d in diagnostics:
        value: str = key(d)
        group = groups.get(value)
        if group is None:
            groups[value] = [d]
        else:
            group.append(d)
    return groups


def as_errors(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """*diagnostics* with their warnings made errors (``--warnings-as-errors``)."""
    return [d._replace(severity=Severity.ERROR) if d.severity is Severity.WARNING else d for d in diagnostics]


def count(diagnostics: Iterable[Diagnostic]) -> tuple[int, int]:
    """Return ``(errors, warnings)``."""
    errors = warnings = 0
    for d in diagnostics:
        if d.severity is Severity.ERROR:
            errors += 1
        elif d.severity is Severity.WARNING:
            warnings += 1
    return errors, warnings


#: Findings as a JSON summary lists them, by the path they show: their compact JSON
#: objects in place order, joined by commas, and an index of them (marshalled: each
#: one's place (line, column, code), and the offset after its comma), which only a path
#: whose own findings are merged in reads (see ``report.json_report.merged_array``)
JsonParts = dict[str, tuple[bytes, bytes]]


@dataclass
class DeferredFindings:
    """Findings a run counts and samples but has not read: a rebuild's cross-reference
    findings of the files an edit left alone, kept on disk by the resolve memo.

    Reading them back cost an Escher rebuild about 0.2 s (85,000 findings made from
    their stored rows), and its text report then shows 20 per rule code. What the memo
    keeps of each bucket of findings beside them is enough for that report and the
    counts: per (code, severity) how many there are, per code the first :attr:`head` in
    place order, and the files with each severity; a JSON summary joins their JSON as
    the memo kept it (:attr:`json_parts`). :meth:`load` reads the findings themselves
    when a caller needs every one (a sorted list, a SARIF report).
    """

    #: (code, severity value) -> how many
    counts: dict[tuple[str, str], int]
    #: per code, its first *head* findings (or all of them) in place order
    heads: list[Diagnostic]
    head: int
    #: severity value -> the paths (as findings show them) with a finding of that severity
    paths: dict[str, frozenset[str]]
    #: every one of these findings (the first call reads them; the caller keeps the list)
    load: Callable[[], list[Diagnostic]]
    #: these findings' JSON objects, read without making the findings (a JSON summary
    #: merges them with the others: see ``report.json_report.merged_array``)
    json_parts: Callable[[], JsonParts]
    #: ``--warnings-as-errors``: warnings count, show and load as errors
    warnings_as_errors: bool = False

    def count(self, severity: Severity) -> int:
        """How many findings have *severity* (as the run reports them)."""
        if self.warnings_as_errors and severity is Severity.WARNING:
            return 0
        total = sum(n for (_, value), n in self.counts.items() if value == severity.value)
        if self.warnings_as_errors and severity is Severity.ERROR:
            total += sum(n for (_, value), n in self.counts.items() if value == Severity.WARNING.value)
        return total

    def error_paths(self) -> frozenset[str]:
        """The paths with an error among these findings (as the run reports them)."""
        found = self.paths.get(Severity.ERROR.value, frozenset())
        if self.warnings_as_errors:
            found = found | self.paths.get(Severity.WARNING.value, frozenset())
        return found

    def by_code(self) -> dict[str, int]:
        """Rule code -> how many findings."""
        out: dict[str, int] = {}
        for (code, _), n in self.counts.items():
            out[code] = out.get(code, 0) + n
        return out

    def shown(self, findings: Iterable[Diagnostic]) -> list[Diagnostic]:
        """*findings* (these findings' heads, or all of them loaded) as the run reports them."""
        return as_errors(findings) if self.warnings_as_errors else list(findings)
