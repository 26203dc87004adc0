"""Metadata of the cross-reference rules (X0xx errors, X1xx warnings, X2xx suggestions).

``teipress rules`` and docs/rules.md list these; each rule carries a failing and
a passing snippet so an editor sees at once what the rule wants.
"""

from __future__ import annotations

from dataclasses import dataclass

from teipress.diagnostics import Severity


@dataclass(frozen=True)
class RuleInfo:
    """One rule: code, default severity, one-line title, how to fix, and examples."""

    code: str
    severity: Severity
    title: str
    help: str
    bad: str
    good: str
    source: str = "xref"


_RULES: tuple[RuleInfo, ...] = (
    RuleInfo(
        "X001", Severity.ERROR, "Pointer does not resolve",
        "point at an existing xml:id (see the did-you-mean), or add the missing entry "
        "to the authority file",
        '<persName ref="pers:gao-gan">Gao Gang</persName>',
        '<persName ref="pers:gao-gang">Gao Gang</persName>',
    ),
    RuleInfo(
        "X002", Severity.ERROR, "Duplicate xml:id in the corpus",
        "give every element a corpus-wide unique xml:id (prefix it with the document id)",
        '<p xml:id="p3">…</p> … <p xml:id="p3">…</p>',
        '<p xml:id="memo-1949-06-27-p3">…</p> … <p xml:id="memo-1949-07-27-p3">…</p>',
    ),
    RuleInfo(
        "X003", Severity.ERROR, "Pointer to the wrong kind of entry",
        "a persName points at a person, a placeName at a place, an orgName at an org, "
        "@who at a person or organisation; fix the prefix or the element name",
        '<persName ref="place:xinjiang">Xinjiang</persName>',
        '<placeName ref="place:xinjiang">Xinjiang</placeName>',
    ),
    RuleInfo(
        "X004", Severity.ERROR, "Authority entry points at a missing entry",
        "fix the pointer inside the authority entry (@sameAs, relation/@active, "
        "affiliation/@ref …) or add the entry it names",
        '<person xml:id="pers-a"><affiliation ref="#org-nobody"/></person>',
        '<person xml:id="pers-a"><affiliation ref="#org-ccp"/></person>',
    ),
    RuleInfo(
        "X005", Severity.ERROR, "Undeclared pointer prefix",
        'declare the prefix in teiHeader/encodingDesc/listPrefixDef: <prefixDef ident="pers" '
        'matchPattern="([a-z0-9-]+)" replacementPattern="authority/persons.xml#pers-$1"/>',
        '<persName ref="prs:stalin">Stalin</persName>',
        '<persName ref="pers:stalin">Stalin</persName>',
    ),
    RuleInfo(
        "X101", Severity.WARNING, "Unused authority entry",
        "remove the entry, or tag its mentions in the documents (teipress xref --suggest)",
        '<person xml:id="pers-nobody"><persName>Nobody</persName></person>  (never referenced)',
        '<persName ref="pers:nobody">Nobody</persName> in a document',
    ),
    RuleInfo(
        "X102", Severity.WARNING, "Mention not among the entry's recorded names",
        "record the form as a variant in the authority entry "
        '(<persName type="variant">…</persName>), or fix the pointer if it names someone else; '
        "mark honorifics such as Comrade as <roleName>, which the comparison ignores",
        '<persName ref="pers:gao-gang">Kao</persName>  (no variant "Kao")',
        '<persName ref="pers:gao-gang">Gao</persName>  (variant "Gao" recorded)',
    ),
    RuleInfo(
        "X103", Severity.WARNING, "Person acts outside their lifetime",
        "check the document date, the person's birth/death dates, and the pointer "
        "(participants and speakers only)",
        '<said who="pers:stalin"> in a document dated 1960-01-01 (Stalin died 1953)',
        '<said who="pers:stalin"> in a document dated 1949-06-27',
    ),
    RuleInfo(
        "X201", Severity.INFO, "Untagged name (suggestion)",
        "wrap the name in the suggested element, or run teipress xref --fix",
        "… met Gao Gang in Moscow …",
        '… met <persName ref="pers:gao-gang">Gao Gang</persName> in Moscow …',
    ),
    RuleInfo(
        "X202", Severity.INFO, "Ambiguous untagged name",
        "tag it by hand with the right pointer: the name fits more than one entry",
        "… Liu said …  (Liu Shaoqi or Liu Yalou?)",
        '… <persName ref="pers:liu-shaoqi">Liu</persName> said …',
    ),
)


def rules() -> list[RuleInfo]:
    """Every cross-reference rule, in code order."""
    return list(_RULES)


def rule(code: str) -> RuleInfo:
    """The rule with *code* (KeyError if none)."""
    for r in _RULES:
        if r.code == code:
            return r
    raise KeyError(code)
