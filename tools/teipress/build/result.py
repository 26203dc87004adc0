"""What a build did (:class:`BuildResult`): the figures of the summary line and of the
``--summary json`` document, whose findings are joined from the JSON the resolve memo
kept of them when a rebuild did not read them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import orjson

from teipress.diagnostics import Diagnostic, as_dicts
from teipress.report import RunResult
from teipress.report.json_report import FindingsJson, merged_array


@dataclass
class BuildResult:
    """What a build did, for the summary line and ``--report json``."""

    check: RunResult
    formats: list[str]
    documents: int = 0
    rendered_documents: int = 0
    files_written: int = 0
    files_kept: int = 0
    files_removed: int = 0
    published: bool = False
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    render_errors: list[Diagnostic] = field(default_factory=list)
    #: the previous build's register and cross-reference findings were reused (no resolve)
    resolve_reused: bool = False
    #: built by the project's build daemon (see teipress.daemon)
    daemon: bool = False

    def to_dict(self, findings: bool = True) -> dict[str, object]:
        """The JSON summary: what the build did and (unless not *findings*) every finding."""
        return {
            "published": self.published,
            "formats": self.formats,
            "documents": self.documents,
            "rendered_documents": self.rendered_documents,
            "files_written": self.files_written,
            "files_kept": self.files_kept,
            "files_removed": self.files_removed,
            "checked_documents": self.check.extra.get("checked", 0),
            "checks_from_cache": self.check.extra.get("from_cache", 0),
            "resolve_reused": self.resolve_reused,
            "previous_versions": self.check.extra.get("previous_versions", []),
            "daemon": self.daemon,
            "errors": self.check.errors + len(self.render_errors),
            "warnings": self.check.warnings,
            "seconds": round(self.seconds, 3),
            "phases": {k: round(v, 3) for k, v in self.phases.items()},
            "by_code": self.by_code(),
            "diagnostics": as_dicts(self.findings()) if findings else [],
        }

    def by_code(self) -> dict[str, int]:
        """Rule code -> how many findings, in code order."""
        counts = Counter(d.code for d in [*self.check.diagnostics, *self.render_errors])
        if self.check.deferred is not None:
            counts.update(self.check.deferred.by_code())
        return dict(sorted(counts.items()))

    def findings(self) -> list[Diagnostic]:
        """Every finding in the summary's order: the check's by place, then rendering errors."""
        return [*self.check.sorted(), *self.render_errors]

    def to_json(self, kept: FindingsJson | None = None) -> list[bytes]:
        """:meth:`to_dict` as compact JSON, in pieces to be written one after the other;
        with *kept* (a session's), the findings' JSON from what it kept of the same
        findings."""
        if kept is not None:
            array = kept.array(self.findings())
        else:
            deferred = self._deferred_array()
            if deferred is None:
                return [orjson.dumps(self.to_dict())]
            array = deferred
        head = orjson.dumps(self.to_dict(findings=False))  # the findings' array is the last value
        return [head[:-len(b"[]}")], *array, b"}"]

    def _deferred_array(self) -> list[bytes] | None:
        """The findings' JSON array joined from the JSON the resolve memo kept of the
        deferred ones (see :func:`merged_array`); None without deferred findings, when
        their severities change (``--warnings-as-errors``), or when that JSON was removed
        or damaged since (the findings are then read)."""
        deferred = self.check.deferred
        if deferred is None or deferred.warnings_as_errors:
            return None
        try:
            return merged_array(self.check.diagnostics, deferred.json_parts(), self.render_errors)
        except (OSError, ValueError, TypeError):
            return None
