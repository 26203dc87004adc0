"""Phase 3, resolve: the corpus model, pointer resolution, the register, suggestions.

Public API (see docs/xref.md):

* :class:`Corpus` - every file indexed and every pointer resolved, once.
* :func:`corpus_diagnostics` / :func:`check_corpus` - X001-X005, X101-X103.
* :func:`build_register` -> :class:`Register` (``.element``, ``.to_xml_bytes()``,
  ``.to_json()``) - the register of docs/register.md.
* :func:`suggest` / :func:`apply_fixes` - untagged names (X201/X202) and ``--fix``.
* :func:`rules` - rule metadata for ``teipress rules``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Names that are also submodules (rules, suggest) are bound now: importing the submodule
# would otherwise leave the module, not the function, under that name.
from teipress.resolve.rules import RuleInfo, rules
from teipress.resolve.suggest import Suggestion, apply_fixes, suggest

if TYPE_CHECKING:
    from teipress.resolve.checks import check_corpus, corpus_diagnostics
    from teipress.resolve.corpus import Corpus, Entry, KeyRule, PointerUse, Resolution, parse_key_rules
    from teipress.resolve.register import Register, build_register, note_labels

#: Where the other public names live, imported on first use (PEP 562): a rebuild that
#: reuses the previous resolve results needs neither the checks nor the register writer.
_HOMES = {
    "check_corpus": "checks", "corpus_diagnostics": "checks",
    "Corpus": "corpus", "Entry": "corpus", "KeyRule": "corpus", "PointerUse": "corpus", "Resolution": "corpus",
    "parse_key_rules": "corpus",
    "Register": "register", "build_register": "register", "note_labels": "register",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'teipress.resolve' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"teipress.resolve.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "Corpus",
    "Entry",
    "KeyRule",
    "PointerUse",
    "Register",
    "Resolution",
    "RuleInfo",
    "Suggestion",
    "apply_fixes",
    "build_register",
    "check_corpus",
    "corpus_diagnostics",
    "note_labels",
    "parse_key_rules",
    "rules",
    "suggest",
]
