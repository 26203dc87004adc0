"""SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning, Azure DevOps, …)."""

from __future__ import annotations

import orjson

from teipress import __version__
from teipress.diagnostics import Severity
from teipress.report import RunResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render(result: RunResult) -> str:
    from teipress.rules import all_rules

    known = {r.code: r for r in all_rules()}
    used = sorted({d.code for d in result.materialize()})
    rules = []
    for code in used:
        info = known.get(code)
        rule: dict[str, object] = {"id": code}
        if info is not None:
            rule["name"] = info.name
            rule["shortDescription"] = {"text": info.title}
            if info.help:
                rule["help"] = {"text": info.help}
            rule["defaultConfiguration"] = {"level": _LEVEL[info.severity]}
        rules.append(rule)
    index = {code: i for i, code in enumerate(used)}
    results = []
    for d in result.sorted():
        message = d.message + (f" (help: {d.help})" if d.help else "")
        results.append({
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _LEVEL[d.severity],
            "message": {"text": message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": d.path, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": max(d.line, 1), "startColumn": max(d.col, 1)},
                }
            }],
        })
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": result.tool,
                "version": __version__,
                "rules": rules,
            }},
            "artifacts": [{"location": {"uri": f, "uriBaseId": "%SRCROOT%"}} for f in result.files],
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }
    return orjson.dumps(log, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"
