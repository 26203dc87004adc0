"""JSON output: one object with a summary and every diagnostic, stable key order."""

from __future__ import annotations

import bisect
import marshal
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


def merged_array(findings: Sequence[Diagnostic], parts: JsonParts, tail: Sequence[Diagnostic] = ()) -> list[bytes]:
    """``orjson.dumps(as_dicts([*sorted(all, key=PLACE), *tail]))``, byte for byte, in
    pieces to be written one after the other, where *all* is *findings* and the findings
    *parts* holds as JSON (made when the resolve memo kept them: see
    ``resolve.memo.json_parts``), which are never made again.

    The array is sorted by path, then place: each path's own findings are merged with
    its parts' (on ties, its own come first, as a stable sort of *findings* followed by
    the others would give). ``TypeError`` or ``ValueError`` if *parts* is not of the
    shape it names.
    """
    own = grouped(sorted(findings, key=PLACE), 0)
    pieces: list[bytes] = []
    for path in sorted(own.keys() | parts.keys()):
        mine = own.get(path)
        kept = parts.get(path)
        if mine is None:
            assert kept is not None
            pieces.append(kept[0])
            continue
        encoded = [orjson.dumps(x) for x in as_dicts(mine)]
        if kept is not None:
            encoded = _merged(encoded, mine, *kept)
        pieces.append(b",".join(encoded))
    if tail:
        pieces.append(b",".join(orjson.dumps(x) for x in as_dicts(tail)))
    out = [b"["]
    for piece in pieces:  # commas between them: a join would copy the whole array once more
        out.append(piece)
        out.append(b",")
    if pieces:
        out.pop()
    out.append(b"]")
    return out


def _merged(encoded: list[bytes], mine: list[Diagnostic], joined: bytes, index: bytes) -> list[bytes]:
    """A path's kept JSON objects (*joined*, *index*: see ``JsonParts``) with its own
    findings (*mine*, in place order, and *encoded*) inserted where they belong."""
    try:
        places, ends = marshal.loads(index)
    except EOFError as exc:
        raise ValueError("JSON parts cut short") from exc
    if not (type(places) is list and type(ends) is list and len(places) == len(ends)
            and (ends[-1] if ends else 0) == len(joined) + (1 if joined else 0)):
        raise ValueError("JSON parts of another shape")
    starts = [0, *ends[:-1]]
    if any(end <= start for start, end in zip(starts, ends, strict=True)):
        raise ValueError("JSON parts of another shape")
    merged = [joined[start:end - 1] for start, end in zip(starts, ends, strict=True)]
    # each of its own before the first kept one of its place or a later one; from the
    # last, so that the positions found for the earlier ones still hold
    for d, obj in zip(reversed(mine), reversed(encoded), strict=True):
        merged.insert(bisect.bisect_left(places, (d.line, d.col, d.code)), obj)
    return merged
