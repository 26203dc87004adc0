"""JSON output: one object with a summary and every diagnostic, stable key order."""

from __future__ import annotations

import orjson

from teipress import __version__
from teipress.diagnostics import as_dicts
from teipress.report import RunResult


def render(result: RunResult) -> str:
    payload = {
        "tool": result.tool,
        "version": __version__,
        "command": result.command,
        "summary": {
            "files": len(result.files),
            "errors": result.errors,
            "warnings": result.warnings,
            "seconds": round(result.seconds, 3),
        },
        "files": result.files,
        "diagnostics": as_dicts(result.sorted()),
        **({"extra": result.extra} if result.extra else {}),
    }
    # orjson: the same text as json.dumps(ensure_ascii=False, indent=2), several times quicker
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"
