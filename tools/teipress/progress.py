"""Progress for long runs: rich progress bars on a terminal, plain lines in CI logs.

Phases announce themselves with a total and advance as work completes; the
plain variant prints one line per phase so CI logs stay short and greppable.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # rich is imported when bars are shown (a terminal), not by every run
    from rich.progress import TaskID


class Progress:
    """Base: silent. Subclasses show something."""

    def phase(self, name: str, total: int) -> None:
        """Start phase *name* of *total* steps (ends the previous one)."""

    def advance(self, n: int = 1) -> None:
        """Mark *n* steps of the current phase done."""

    def close(self) -> None:
        """End the last phase."""


class PlainProgress(Progress):
    """One line per finished phase: ``render: 5019 in 21.3 s``."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._name: str | None = None
        self._total = 0
        self._done = 0
        self._start = 0.0

    def _finish(self) -> None:
        if self._name is not None:
            took = time.perf_counter() - self._start
            print(f"{self._name}: {self._done}/{self._total} in {took:.2f} s", file=self._stream)
        self._name = None

    def phase(self, name: str, total: int) -> None:
        self._finish()
        self._name, self._total, self._done, self._start = name, total, 0, time.perf_counter()

    def advance(self, n: int = 1) -> None:
        self._done += n

    def close(self) -> None:
        self._finish()


class BarProgress(Progress):
    """rich progress bars, one per phase, for interactive terminals."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        self._bars = RichProgress(TextColumn("{task.description:<8}"), BarColumn(),
                                  MofNCompleteColumn(), TimeElapsedColumn(), transient=False)
        self._bars.start()
        self._task: TaskID | None = None

    def phase(self, name: str, total: int) -> None:
        self._task = self._bars.add_task(name, total=max(total, 1))
        if total == 0:
            self._bars.update(self._task, completed=1)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._bars.advance(self._task, n)

    def close(self) -> None:
        self._bars.stop()


def for_stream(stream: TextIO, quiet: bool = False) -> Progress:
    """Bars on a terminal, plain lines elsewhere, nothing when *quiet*."""
    if quiet:
        return Progress()
    if getattr(stream, "isatty", lambda: False)():
        return BarProgress()
    return PlainProgress(stream)
