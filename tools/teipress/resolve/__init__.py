"""Phase 3, resolve: the corpus model, pointer resolution, the register, suggestions.

Public API (see docs/xref.md):

* :class:`Corpus` - every file indexed and every pointer resolved, once.
* :func:`corpus_diagnostics` / :func:`check_corpus` - X001-X005, X101-X103.
* :func:`build_register` -> :class:`Register` (``.element``, ``.to_xml_bytes()``,
  ``.to_json()``) - the register of docs/register.md.
* :func:`suggest` / :func:`apply_fixes` - untagged names (X201/X202) and ``--fix``.
* :func:`rules` - rule metadata for ``teipress rules``.
"""

from teipress.resolve.checks import check_corpus, corpus_diagnostics
from teipress.resolve.corpus import Corpus, Entry, KeyRule, PointerUse, Resolution, parse_key_rules
from teipress.resolve.register import Register, build_register, note_labels
from teipress.resolve.rules import RuleInfo, rules
from teipress.resolve.suggest import Suggestion, apply_fixes, suggest

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
