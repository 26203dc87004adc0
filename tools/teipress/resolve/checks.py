"""Corpus checks X001-X005 (errors) and X101-X103 (warnings).

``teipress validate`` and ``teipress xref`` both call :func:`corpus_diagnostics`
(or :func:`check_corpus` with a corpus they already built), so a pointer is
judged the same way everywhere. Each finding points at the start tag of the
element that carries the offending attribute (line *and* column).
"""

from __future__ import annotations

from collections.abc import Sequence

from teipress.config import Config
from teipress.diagnostics import Diagnostic
from teipress.load import LoadedDocument
from teipress.resolve.corpus import (
    EXPECTED_KIND,
    NAME_ELEMENTS,
    WHO_KINDS,
    Corpus,
    Entry,
    Extracted,
    PointerUse,
    SourceFile,
    iso_prefix_cmp,
)
from teipress.resolve.extract import Node
from teipress.resolve.rules import rule
from teipress.resolve.text import close_matches, name_key

#: Stop computing did-you-means after this many distinct dangling values: a corpus
#: with thousands of broken pointers needs a different fix than hints.
MAX_SUGGESTIONS = 2000


def corpus_diagnostics(
    docs: Sequence[LoadedDocument | Extracted],
    authorities: Sequence[LoadedDocument | Extracted] = (),
    config: Config | None = None,
) -> list[Diagnostic]:
    """All cross-reference findings (X001-X005, X101-X103) for a loaded corpus."""
    found = check_corpus(Corpus(docs, authorities, config))
    if config is not None and config.ignore:
        found = [d for d in found if not config.ignored(d.path, d.code)]
    return found


def _diag(f: SourceFile, where: Node | Entry | tuple[int, int], code: str, message: str,
          help_: str | None = None) -> Diagnostic:
    line, col = (where.line, where.col) if isinstance(where, Node | Entry) else where
    r = rule(code)
    return Diagnostic(f.display, line, col, code, r.severity, message,
                      help_ if help_ is not None else r.help, source="xref")


def _attr_str(use: PointerUse) -> str:
    return f'{use.tag}/@{use.attr}="{use.value}"'


class DidYouMean:
    """Close matches for a dangling pointer: ids in the target file, entries' ids and
    names of the expected kind. Cached per question; capped at MAX_SUGGESTIONS."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self._cache: dict[tuple[object, ...], list[str]] = {}
        self._names: dict[str, dict[str, Entry]] = {}
        self._lists: dict[int, tuple[dict[str, Entry], list[str]]] = {}

    def _keys(self, index: dict[str, Entry]) -> list[str]:
        """The keys of a candidate index as a list, made once per index (thousands of queries)."""
        held = self._lists.get(id(index))
        if held is None or held[0] is not index:
            held = self._lists[id(index)] = (index, list(index))
        return held[1]

    def _names_of(self, kinds: frozenset[str] | None) -> dict[str, Entry]:
        key = ",".join(sorted(kinds)) if kinds else "*"
        found = self._names.get(key)
        if found is None:
            found = {}
            for e in self.corpus.entries:
                if kinds is None or e.kind in kinds or e.kind == "term":
                    for n in (e.name, *e.variants):
                        found.setdefault(name_key(n), e)
            self._names[key] = found
        return found

    def suggest(self, use: PointerUse, kinds: frozenset[str] | None) -> list[str]:
        res = use.res
        text = use.node.form if use.node.has_text else ""
        ck = (use.file.index, use.attr, use.value, text, kinds)
        if ck in self._cache:
            return self._cache[ck]
        if len(self._cache) >= MAX_SUGGESTIONS:
            return []
        out: list[str] = []
        corpus = self.corpus
        rule_ = next((r for r in corpus.key_rules
                      if r.element == use.tag and r.attr == use.attr), None)
        if rule_ is not None:
            index = corpus.key_index.get((rule_.entry, rule_.entry_attr), {})
            for cand in close_matches(use.value, self._keys(index), n=3, cutoff=0.75):
                out.append(f'"{cand}" ({index[cand].name})')
        else:
            frag = res.fragment
            pool: dict[str, Entry | None] = {}
            tf = res.target_file
            if tf is not None:
                pool = {i: corpus.entry_at.get((tf.index, i)) for i in tf.ids}
            elif frag:
                pool = {e.id: e for e in corpus.entries}
            if frag and pool:
                for cand in close_matches(frag, list(pool), n=3, cutoff=0.7):
                    entry = pool[cand]
                    if entry is not None and (kinds is None or entry.kind in kinds):
                        out.append(f'"{corpus.pointer_form(use.file, entry)}" ({entry.name})')
                    elif entry is None and use.value.endswith(frag):
                        out.append(f'"{use.value[: len(use.value) - len(frag)]}{cand}"')
        if text:
            names = self._names_of(kinds)
            for cand in close_matches(name_key(text), self._keys(names), n=2, cutoff=0.8):
                entry = names[cand]
                form = (f'"{entry.attrs.get(rule_.entry_attr_clark)}" ({entry.name})'
                        if rule_ is not None else
                        f'"{corpus.pointer_form(use.file, entry)}" ({entry.name})')
                if form not in out:
                    out.append(form)
        self._cache[ck] = out
        return out


def _expected(use: PointerUse) -> frozenset[str] | None:
    """The kinds of entry this pointer may target, or None when anything goes."""
    tag = use.tag
    if use.attr == "who":
        return WHO_KINDS
    if use.attr == "sameAs" and tag == "person":
        return frozenset({"person"})
    if use.attr in ("ref", "key"):
        if tag in EXPECTED_KIND:
            return EXPECTED_KIND[tag]
        if tag == "rs" and use.node.type in ("person", "place", "org"):
            return frozenset({use.node.type})
    if use.attr == "corresp" and tag in EXPECTED_KIND:
        return EXPECTED_KIND[tag]
    return None


def check_corpus(corpus: Corpus, warnings: bool = True) -> list[Diagnostic]:
    """Run X001-X005 (and, with *warnings*, X101-X103) over a resolved corpus."""
    out: list[Diagnostic] = []
    dym = DidYouMean(corpus)
    for f, value, nth, ff, fnth in corpus.duplicates():
        positions = f.id_positions(value)
        first = (positions if ff is f else ff.id_positions(value))[fnth:fnth + 1] or [(1, 1)]
        fl, fc = first[0]
        where = "earlier in this file" if ff is f else f"in {ff.display}"
        out.append(_diag(f, (positions[nth:nth + 1] or [(1, 1)])[0], "X002",
                         f"duplicate xml:id '{value}': first defined {where} at "
                         f"{ff.display}:{fl}:{fc}"))
    used: set[int] = set()
    for use in corpus.uses:
        res = use.res
        expected = _expected(use)
        if res.status == "undeclared":
            declared = sorted(use.file.prefixes)
            prefix = use.value.split(":", 1)[0]
            close = close_matches(prefix, declared, n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}:'?" if close else ""
            known = ", ".join(f"{p}:" for p in declared) or "none"
            out.append(_diag(use.file, use.node, "X005",
                             f"{_attr_str(use)}: {res.detail} (declared: {known}){hint}"))
        elif res.status == "unresolved":
            suggestions = dym.suggest(use, expected)
            hint = f"; did you mean {' or '.join(suggestions)}?" if suggestions else ""
            owner = corpus.entry_of(use)
            if owner is not None:
                out.append(_diag(use.file, use.node, "X004",
                                 f"authority entry '{owner.id}' points at a missing entry: "
                                 f"{_attr_str(use)}: {res.detail}{hint}"))
            else:
                out.append(_diag(use.file, use.node, "X001",
                                 f"dangling pointer {_attr_str(use)}: {res.detail}{hint}"))
        else:
            entry = res.entry
            if entry is not None and not use.self_reference:
                used.add(id(entry))
            if expected is not None and res.status in ("entity", "element", "document"):
                got = entry.kind if entry is not None else res.status
                if got != "term" and got not in expected:
                    what = (f"{entry.kind} '{entry.id}' ({entry.name})" if entry is not None
                            else f"{res.status} '{res.target_id}'")
                    out.append(_diag(use.file, use.node, "X003",
                                     f"{_attr_str(use)} points at {what}, expected "
                                     f"{' or '.join(sorted(expected))}"))
    if not warnings:
        return out
    for entry in corpus.entries:
        if entry.file.role == "authority" and id(entry) not in used:
            out.append(_diag(entry.file, entry, "X101",
                             f"authority entry '{entry.id}' ({entry.name}) is never referenced"))
    out.extend(_check_names(corpus))
    out.extend(_check_lifetimes(corpus))
    return out


def _check_names(corpus: Corpus) -> list[Diagnostic]:
    """X102: a name element whose text is none of its entry's recorded names."""
    out: list[Diagnostic] = []
    for use in corpus.uses:
        entry = use.res.entry
        if (entry is None or entry.kind not in ("person", "place", "org")
                or use.file.role != "document" or use.attr not in ("ref", "key", "corresp")):
            continue
        node = use.node
        if node.tag not in NAME_ELEMENTS:
            continue
        form = node.form
        if not form or name_key(form) in entry.name_keys:
            continue
        known = ", ".join([entry.name, *entry.variants][:6])
        out.append(_diag(use.file, node, "X102",
                         f"'{form}' is not a recorded name of '{entry.id}' ({known})",
                         f'add <{node.tag} type="variant">{form}</{node.tag}> to '
                         f"'{entry.id}' in {entry.file.display}, or fix the pointer if it "
                         "names someone else"))
    return out


def _check_lifetimes(corpus: Corpus) -> list[Diagnostic]:
    """X103: a participant or speaker acting in a document dated outside their life."""
    out: list[Diagnostic] = []
    actors: dict[int, list[tuple[Node, Entry]]] = {}
    for f in corpus.documents:
        lst = actors.setdefault(f.index, [])
        nodes = f.extract.nodes
        for ni, attrs in f.extract.participants:
            lst.extend((nodes[ni], e) for e in corpus.entities_of(f, attrs, nodes[ni].tag))
    for use in corpus.uses:
        if use.attr == "who" and use.res.entry is not None and use.file.role == "document":
            actors.setdefault(use.file.index, []).append((use.node, use.res.entry))
    for f in corpus.documents:
        date = f.extract.date
        if not date.normalised:
            continue
        seen: set[str] = set()
        for node, entry in actors.get(f.index, []):
            if entry.kind != "person" or entry.id in seen:
                continue
            problem = ""
            if entry.death is not None and entry.death.normalised and \
                    iso_prefix_cmp(date.earliest, entry.death.latest) > 0:
                problem = f"died {entry.death.latest}"
            elif entry.birth is not None and entry.birth.normalised and \
                    iso_prefix_cmp(date.latest, entry.birth.earliest) < 0:
                problem = f"was born {entry.birth.earliest}"
            if problem:
                seen.add(entry.id)
                out.append(_diag(f, node, "X103",
                                 f"{entry.name} ('{entry.id}') acts in a document dated "
                                 f"{date.sort} but {problem}"))
    return out


__all__ = ["DidYouMean", "check_corpus", "corpus_diagnostics"]
