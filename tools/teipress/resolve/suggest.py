"""Untagged names (``teipress xref --suggest``) and writing them in (``--fix``).

Suggestions are found in the *raw text* of each document, not in the lxml
tree, so every match has an exact character offset into the file as it is on
disk. ``--fix`` inserts start and end tags at those offsets and changes
nothing else: comments, entity references such as ``&amp;``, attribute
quoting, whitespace and line endings stay byte-for-byte as they were.

What is searched: text inside ``TEI/text`` (notes included) that is not inside
an element that already names or cites something (:data:`SKIP_ELEMENTS`).
What is matched: every recorded name of a person, place or organisation (the
display name and every variant), case-sensitively, whole words only, the
longest name first. A name recorded for two or more entries, or a bare part of
a person's name (``Liu``) shared by two or more persons, is reported as
ambiguous (X202) and never written by ``--fix``. Names that cross markup
(``Liu<lb/>Shaoqi``) are not found.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from teipress.diagnostics import Diagnostic, Severity
from teipress.resolve.corpus import Corpus, Entry, SourceFile
from teipress.resolve.positions import LineIndex
from teipress.resolve.text import collapse

#: Text inside these elements is never suggested (already tagged, or a citation/title).
SKIP_ELEMENTS = frozenset({
    "teiHeader", "standOff", "persName", "placeName", "orgName", "name", "rs", "geogName",
    "settlement", "country", "region", "bloc", "district", "title", "bibl", "biblStruct",
    "ref", "ptr", "idno", "term", "foreign", "abbr", "orig", "sic", "del", "fw", "listPerson",
    "listPlace", "listOrg", "listBibl", "facsimile",
})
_ELEMENT_FOR = {"person": "persName", "place": "placeName", "org": "orgName"}

_LEX = re.compile(
    r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!DOCTYPE(?:[^\[>]|\[.*?\]\s*)*>"
    r"|</\s*(?P<end>[^\s>]+)\s*>"
    r"|<(?P<start>[^\s/>!?]+)(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(?P<empty>/?)>",
    re.S,
)
_WORD = re.compile(r"\w+")
_ENCODING = re.compile(r"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


@dataclass(frozen=True)
class Suggestion:
    """One untagged occurrence of a known name."""

    file: SourceFile
    line: int
    col: int
    start: int  # character offsets into the decoded file
    end: int
    text: str
    element: str
    attr: str
    pointer: str
    entries: tuple[str, ...]

    @property
    def ambiguous(self) -> bool:
        return len(self.entries) != 1

    @property
    def markup(self) -> str:
        return f'<{self.element} {self.attr}="{_attr_escape(self.pointer)}">{self.text}</{self.element}>'

    def diagnostic(self) -> Diagnostic:
        if self.ambiguous:
            return Diagnostic(
                self.file.display, self.line, self.col, "X202", Severity.INFO,
                f"'{collapse(self.text)}' is ambiguous: it may be {', '.join(self.entries)}",
                "tag it by hand with the right pointer; --fix leaves it alone", source="xref")
        return Diagnostic(
            self.file.display, self.line, self.col, "X201", Severity.INFO,
            f"untagged name '{collapse(self.text)}' ({self.entries[0]}): write {self.markup}",
            "wrap the name in the suggested element, or run teipress xref --fix", source="xref")


def _attr_escape(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def read_text(f: SourceFile) -> str | None:
    """The file's text if it is UTF-8 (the only encoding ``--fix`` rewrites), else None."""
    data = f.doc.data if f.doc is not None else f.path.read_bytes()
    m = _ENCODING.match(data[:200].decode("ascii", "replace"))
    if m and m.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


class _Names:
    """Name forms indexed by their first word, longest first, each a compiled pattern."""

    def __init__(self, corpus: Corpus) -> None:
        full: dict[str, set[str]] = {}
        partial: dict[str, set[str]] = {}
        self.entries: dict[str, Entry] = {}
        for e in corpus.entries:
            if e.kind not in _ELEMENT_FOR or corpus.entry_by_id.get(e.id) is not e:
                continue
            self.entries[e.id] = e
            for form in {collapse(n) for n in (e.name, *e.variants)}:
                if len(form) >= 2 and _WORD.match(form):
                    full.setdefault(form, set()).add(e.id)
                    if e.kind == "person":
                        for tok in form.split():
                            if len(tok) >= 3 and tok.isalpha() and tok[0].isupper():
                                partial.setdefault(tok, set()).add(e.id)
        self.by_first: dict[str, list[tuple[re.Pattern[str], tuple[str, ...]]]] = {}
        forms = [(f, tuple(sorted(ids))) for f, ids in full.items()]
        forms += [(t, tuple(sorted(ids))) for t, ids in partial.items()
                  if len(ids) > 1 and t not in full]
        forms.sort(key=lambda fi: -len(fi[0]))
        for form, ids in forms:
            m = _WORD.match(form)
            assert m is not None
            rx = r"\s+".join(re.escape(p) for p in form.split()) + r"(?!\w)"
            self.by_first.setdefault(m.group(0), []).append((re.compile(rx), ids))


def _segments(text: str) -> Iterable[tuple[int, int]]:
    """``(start, end)`` of text runs inside TEI/text and outside SKIP_ELEMENTS."""
    stack: list[str] = []
    skip = 0
    in_text = 0
    pos = 0
    for m in _LEX.finditer(text):
        if in_text and not skip and m.start() > pos:
            yield pos, m.start()
        pos = m.end()
        start, end = m.group("start"), m.group("end")
        if start is not None and not m.group("empty"):
            name = start.rsplit(":", 1)[-1]
            stack.append(name)
            if name in SKIP_ELEMENTS:
                skip += 1
            if name == "text":
                in_text += 1
        elif end is not None and stack:
            name = stack.pop()
            if name in SKIP_ELEMENTS:
                skip -= 1
            if name == "text":
                in_text -= 1


def suggest(corpus: Corpus) -> list[Suggestion]:
    """Every untagged known name in the corpus's documents (X201, ambiguous: X202)."""
    names = _Names(corpus)
    out: list[Suggestion] = []
    for f in corpus.documents:
        text = read_text(f)
        if text is None:
            continue
        lines: LineIndex | None = None
        for seg_start, seg_end in _segments(text):
            pos = seg_start
            while True:
                wm = _WORD.search(text, pos, seg_end)
                if wm is None:
                    break
                pos = wm.end()
                if wm.start() > 0 and text[wm.start() - 1].isalnum():
                    continue
                for pattern, ids in names.by_first.get(wm.group(0), ()):
                    mm = pattern.match(text, wm.start(), seg_end)
                    if mm is None:
                        continue
                    if lines is None:
                        lines = LineIndex(text)
                    line, col = lines.line_col(mm.start())
                    out.append(_make(corpus, names, f, line, col, mm.start(), mm.end(),
                                     mm.group(0), ids))
                    pos = mm.end()
                    break
    return out


def _make(corpus: Corpus, names: _Names, f: SourceFile, line: int, col: int, start: int,
          end: int, text: str, ids: tuple[str, ...]) -> Suggestion:
    entry = names.entries[ids[0]]
    element = _ELEMENT_FOR[entry.kind]
    attr, pointer = "ref", ""
    if len(ids) == 1:
        pointer = corpus.pointer_form(f, entry)
        for rule in corpus.key_rules:
            if rule.element == element and rule.entry == entry.tag:
                value = entry.attrs.get(rule.entry_attr_clark)
                if value is not None:
                    attr, pointer = rule.attr, value
                    break
    return Suggestion(f, line, col, start, end, text, element, attr, pointer, ids)


def fixed_texts(suggestions: Iterable[Suggestion]) -> dict[SourceFile, tuple[str, str]]:
    """``{file: (old_text, new_text)}`` with every unambiguous suggestion written in."""
    by_file: dict[SourceFile, list[Suggestion]] = {}
    for s in suggestions:
        if not s.ambiguous:
            by_file.setdefault(s.file, []).append(s)
    out: dict[SourceFile, tuple[str, str]] = {}
    for f, items in by_file.items():
        old = read_text(f)
        if old is None:
            continue
        parts: list[str] = []
        pos = 0
        for s in sorted(items, key=lambda s: s.start):
            if s.start < pos:
                continue
            parts.append(old[pos:s.start])
            parts.append(s.markup)
            pos = s.end
        parts.append(old[pos:])
        out[f] = (old, "".join(parts))
    return out


def unified_diff(changes: dict[SourceFile, tuple[str, str]]) -> str:
    """The dry run of ``--fix``: a unified diff of every file it would change."""
    chunks: list[str] = []
    for f, (old, new) in changes.items():
        chunks.extend(difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True),
            fromfile=f"a/{f.display}", tofile=f"b/{f.display}"))
    return "".join(chunks)


def apply_fixes(changes: dict[SourceFile, tuple[str, str]]) -> list[Path]:
    """Write the changed files atomically (temp file in the same folder + os.replace)."""
    written: list[Path] = []
    for f, (_old, new) in changes.items():
        path = f.path
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(new.encode("utf-8"))
            with contextlib.suppress(OSError):
                os.chmod(tmp, path.stat().st_mode & 0o7777)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        written.append(path)
    return written
