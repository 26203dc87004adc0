"""JSON output: one object with a summary and every diagnostic, stable key order."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from itertools import groupby
from operator import itemgetter

import orjson

from teipress import __version__
from teipress.diagnostics import PLACE, Diagnostic, JsonParts, as_dicts, grouped
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


class FindingsJson:
    """Findings as a compact JSON array, the JSON of each file's findings kept while
    the very same finding objects come back.

    A build session (``teipress daemon``) hands out the finding objects of the build
    before for every file an edit did not touch (see teipress.session), so the JSON
    summary of a rebuild encodes the findings of the edited files only. Files, not
    findings, are the unit: looking each finding up cost more than encoding it.
    Keys are the ids of a file's findings; the entry holds the findings themselves,
    so an id in a key cannot be reused by another object while the entry lives.
    """

    def __init__(self) -> None:
        #: ids of one file's findings, in order -> (those findings, their JSON without brackets)
        self._files: dict[tuple[int, ...], tuple[list[Diagnostic], bytes]] = {}

    def array(self, findings: list[Diagnostic]) -> list[bytes]:
        """``orjson.dumps(as_dicts(findings))``, byte for byte, in pieces to be written one
        after the other (joined, the 44 MB of the Escher findings cost two copies of
        fresh memory, 0.05 s); what was kept of other findings is dropped."""
        kept, now = self._files, {}
        pieces: list[bytes] = [b"["]
        for _, group in groupby(findings, key=itemgetter(0)):
            same = list(group)
            key = tuple(map(id, same))
            entry = kept.get(key)
            if entry is None:
                entry = (same, orjson.dumps(as_dicts(same))[1:-1])
            now[key] = entry
            pieces.append(entry[1])
            pieces.append(b",")
        self._files = now
        if len(pieces) > 1:
            pieces.pop()  # the last comma
        pieces.append(b"]")
        return pieces


def merged_array(findings: Sequence[Diagnostic], parts: JsonParts, tail: Sequence[Diagnostic] = ()) -> bytes:
    """``orjson.dumps(as_dicts([*sorted(all, key=PLACE), *tail]))``, byte for byte, where
    *all* is *findings* and the findings *parts* holds as JSON (made when the resolve
    memo kept them: see ``resolve.memo.json_parts``), which are never made again.

    The array is sorted by path, then place: each path's own findings are merged with
    its parts' (on ties, its own come first, as a stable sort of *findings* followed by
    the others would give). ``TypeError`` or ``ValueError`` if *parts* is not of the
    shape it names.
    """
    own = grouped(sorted(findings, key=PLACE), 0)
    objects: list[bytes] = []
    for path in sorted(own.keys() | parts.keys()):
        mine = own.get(path)
        kept = parts.get(path)
        if mine is None:
            assert kept is not None
            objects.extend(kept[1])
            continue
        encoded = [orjson.dumps(x) for x in as_dicts(mine)]
        if kept is None:
            objects.extend(encoded)
            continue
        places, merged = kept[0], list(kept[1])
        if len(places) != len(merged):
            raise ValueError(f"{path}: JSON parts of another shape")
        # each of its own before the first kept one of its place or a later one; from the
        # last, so that the positions found for the earlier ones still hold
        for d, obj in zip(reversed(mine), reversed(encoded), strict=True):
            merged.insert(bisect.bisect_left(places, (d.line, d.col, d.code)), obj)
        objects.extend(merged)
    objects.extend(orjson.dumps(x) for x in as_dicts(tail))
    return b"[" + b",".join(objects) + b"]"
