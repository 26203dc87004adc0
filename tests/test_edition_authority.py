"""Pointers of the flagship edition resolve into the authority files.

Self-contained: only lxml and the TEI files under tei/ are used.  Every
prefixed pointer (pers:, place:, org:, bibl:) is resolved through the
listPrefixDef of the document it occurs in, and must land on an entry of
the right kind.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

REPO = Path(__file__).resolve().parents[1]
TEI_DIR = REPO / "tei"
AUTH_DIR = TEI_DIR / "authority"
TEI = "http://www.tei-c.org/ns/1.0"
NS = {"tei": TEI}
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
ID_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

EDITION_IDS = {
    "1949-06-27-stalin-ccp-delegation.xml": "memo-1949-06-27",
    "1949-07-27-liu-shaoqi-stalin.xml": "memo-1949-07-27",
}
AUTHORITY_IDS = {
    "persons.xml": "authority-persons",
    "places.xml": "authority-places",
    "orgs.xml": "authority-orgs",
    "bibliography.xml": "authority-bibliography",
}
# prefix -> (element names an entry may have, id prefix)
KINDS = {
    "pers": ({"person"}, "pers-"),
    "place": ({"place"}, "place-"),
    "org": ({"org"}, "org-"),
    "bibl": ({"bibl", "biblStruct"}, "bibl-"),
}
# element/attribute -> the only prefix allowed there
REQUIRED_PREFIX = {
    ("persName", "ref"): "pers",
    ("placeName", "ref"): "place",
    ("orgName", "ref"): "org",
    ("repository", "ref"): "org",
    ("said", "who"): "pers",
    ("q", "who"): "pers",
    ("person", "sameAs"): "pers",
    ("bibl", "corresp"): "bibl",
    ("biblStruct", "corresp"): "bibl",
}
POINTER_ATTRS = ("ref", "who", "sameAs", "corresp", "target")
NAME_OF_ENTRY = {"person": "persName", "place": "placeName", "org": "orgName"}


def local(el) -> str:
    return etree.QName(el).localname


def ws(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def name_text(el) -> str:
    """Text of a name as used in the index: supplied letters included
    without brackets, notes left out."""
    parts = [el.text or ""]
    for ch in el:
        if isinstance(ch.tag, str) and local(ch) != "note":
            parts.append(name_text(ch))
        parts.append(ch.tail or "")
    return ws("".join(parts))


def all_files() -> list[Path]:
    return sorted(TEI_DIR.glob("*.xml")) + sorted(AUTH_DIR.glob("*.xml"))


_cache: dict[Path, etree._ElementTree] = {}


def load(path: Path):
    path = path.resolve()
    if path not in _cache:
        _cache[path] = etree.parse(str(path))
    return _cache[path]


def prefix_defs(doc) -> dict[str, tuple[str, str]]:
    out = {}
    for pd in doc.iterfind(".//tei:teiHeader//tei:listPrefixDef/tei:prefixDef", NS):
        out[pd.get("ident")] = (pd.get("matchPattern"), pd.get("replacementPattern"))
    return out


def resolve(pointer: str, doc, path: Path):
    """Return (file, id) a prefixed pointer expands to, or raise AssertionError."""
    prefix, _, rest = pointer.partition(":")
    defs = prefix_defs(doc)
    assert prefix in defs, f"{path.name}: no prefixDef for {prefix!r} (pointer {pointer})"
    match, repl = defs[prefix]
    m = re.fullmatch(match, rest)
    assert m, f"{path.name}: {pointer!r} does not match {match!r}"
    expanded = re.sub(r"\$(\d)", lambda g: m.group(int(g.group(1))), repl)
    target_file, _, frag = expanded.partition("#")
    return (path.parent / target_file).resolve(), frag


def entry_by_id(file: Path, ident: str):
    assert file.is_file(), f"pointer target file missing: {file}"
    hits = load(file).xpath("//*[@xml:id=$i]", i=ident)
    return hits[0] if hits else None


def iter_pointers():
    """(path, doc, element, attribute, single pointer value)"""
    for path in all_files():
        doc = load(path)
        for el in doc.iter():
            if not isinstance(el.tag, str):
                continue
            for attr in POINTER_ATTRS:
                val = el.get(attr)
                if not val:
                    continue
                for ptr in val.split():
                    yield path, doc, el, attr, ptr


# --------------------------------------------------------------------------

def test_files_exist_and_are_well_formed():
    names = {p.name for p in TEI_DIR.glob("*.xml")}
    assert set(EDITION_IDS) <= names
    assert set(AUTHORITY_IDS) <= {p.name for p in AUTH_DIR.glob("*.xml")}
    for path in all_files():
        etree.parse(str(path))  # raises on malformed XML


def test_root_ids_follow_the_conventions():
    for name, ident in EDITION_IDS.items():
        root = load(TEI_DIR / name).getroot()
        assert root.tag == f"{{{TEI}}}TEI"
        assert root.get(XML_ID) == ident
    for name, ident in AUTHORITY_IDS.items():
        assert load(AUTH_DIR / name).getroot().get(XML_ID) == ident


@pytest.mark.parametrize("path", all_files(), ids=lambda p: p.name)
def test_all_ids_match_the_pattern_and_are_unique(path):
    ids = load(path).xpath("//@xml:id")
    bad = [i for i in ids if not ID_RE.match(i)]
    assert not bad, f"ids not matching the pattern: {bad}"
    assert len(ids) == len(set(ids)), "duplicate xml:id"


@pytest.mark.parametrize("name", sorted(EDITION_IDS))
def test_anchorable_elements_carry_prefixed_ids(name):
    doc = load(TEI_DIR / name)
    prefix = EDITION_IDS[name] + "-"
    text = doc.getroot().find("tei:text", NS)
    missing = []
    for el in text.iter(*(f"{{{TEI}}}{t}" for t in ("p", "note", "div", "cit", "quote"))):
        ident = el.get(XML_ID)
        if not ident or not ident.startswith(prefix):
            missing.append(f"{local(el)} at line {el.sourceline}")
    assert not missing, "elements without a document-prefixed xml:id: " + ", ".join(missing)


def test_every_pointer_resolves_to_an_entry_of_the_right_kind():
    problems = []
    n = 0
    for path, doc, el, attr, ptr in iter_pointers():
        if ptr.startswith(("http://", "https://")):
            continue
        n += 1
        if ptr.startswith("#"):
            if not doc.xpath("//*[@xml:id=$i]", i=ptr[1:]):
                problems.append(f"{path.name}:{el.sourceline}: {ptr} not found")
            continue
        prefix = ptr.partition(":")[0]
        required = REQUIRED_PREFIX.get((local(el), attr))
        if required and prefix != required:
            problems.append(f"{path.name}:{el.sourceline}: {local(el)}/@{attr}={ptr} must use {required}:")
        if prefix not in KINDS:
            problems.append(f"{path.name}:{el.sourceline}: unknown pointer prefix in {ptr}")
            continue
        try:
            file, ident = resolve(ptr, doc, path)
        except AssertionError as e:
            problems.append(str(e))
            continue
        entry = entry_by_id(file, ident)
        kinds, id_prefix = KINDS[prefix]
        if entry is None:
            problems.append(f"{path.name}:{el.sourceline}: {ptr} -> {file.name}#{ident} does not exist")
        elif local(entry) not in kinds or not ident.startswith(id_prefix):
            problems.append(f"{path.name}:{el.sourceline}: {ptr} lands on a {local(entry)}, not {kinds}")
        elif entry.getparent() is None or local(entry.getparent()) not in (
            "listPerson", "listPlace", "listOrg", "listBibl"
        ):
            problems.append(f"{path.name}:{el.sourceline}: {ptr} is not an authority list entry")
    assert n > 300, "suspiciously few pointers"
    assert not problems, "\n".join(problems)


def test_names_in_the_edition_are_listed_variants_of_their_entry():
    """Every spelling used in the edition is recorded with its entry."""
    problems = []
    for path in all_files():
        doc = load(path)
        for el in doc.iter(*(f"{{{TEI}}}{t}" for t in NAME_OF_ENTRY.values())):
            ref = el.get("ref")
            if ref is None:
                # only the authority entries' own names may lack @ref
                if local(el.getparent()) not in NAME_OF_ENTRY:
                    problems.append(f"{path.name}:{el.sourceline}: {local(el)} without @ref")
                continue
            file, ident = resolve(ref, doc, path)
            entry = entry_by_id(file, ident)
            if entry is None:
                continue  # reported by the resolution test
            forms = {ws("".join(n.itertext())) for n in entry.iterfind(f"tei:{local(el)}", NS)}
            if name_text(el) not in forms:
                problems.append(f"{path.name}:{el.sourceline}: {name_text(el)!r} not a listed form of {ref}")
    assert not problems, "\n".join(problems)


def authority_entries():
    for file, tag in (("persons.xml", "person"), ("places.xml", "place"),
                      ("orgs.xml", "org"), ("bibliography.xml", "biblStruct")):
        doc = load(AUTH_DIR / file)
        for entry in doc.iterfind(f".//tei:text//tei:{tag}", NS):
            yield file, entry


def test_entries_have_one_unique_normalised_name():
    seen = {}
    problems = []
    for _file, entry in authority_entries():
        if local(entry) == "biblStruct":
            continue
        name_tag = NAME_OF_ENTRY[local(entry)]
        norms = entry.findall(f"tei:{name_tag}[@type='normalised']", NS)
        if len(norms) != 1:
            problems.append(f"{entry.get(XML_ID)} has {len(norms)} normalised names")
            continue
        key = (local(entry), ws("".join(norms[0].itertext())).casefold())
        if key in seen:
            problems.append(f"{entry.get(XML_ID)} and {seen[key]} share the normalised name {key[1]!r}")
        seen[key] = entry.get(XML_ID)
        if local(entry) == "person":
            assert entry.find("tei:persName[@type='sort']", NS) is not None, entry.get(XML_ID)
            assert entry.find("tei:occupation", NS) is not None or entry.find("tei:note", NS) is not None, \
                f"{entry.get(XML_ID)} has no role"
    assert not problems, "\n".join(problems)


def test_every_authority_entry_is_used():
    used = set()
    for path, doc, _el, _attr, ptr in iter_pointers():
        if ":" in ptr and not ptr.startswith(("http", "#")) and ptr.partition(":")[0] in KINDS:
            file, ident = resolve(ptr, doc, path)
            used.add((file.name, ident))
    unused = [f"{file}#{e.get(XML_ID)}" for file, e in authority_entries()
              if (file, e.get(XML_ID)) not in used]
    assert not unused, "authority entries never referenced: " + ", ".join(unused)


def test_participants_are_references_not_entries():
    for name in EDITION_IDS:
        doc = load(TEI_DIR / name)
        parts = doc.findall(".//tei:particDesc/tei:listPerson[@type='participants']/tei:person", NS)
        assert len(parts) >= 6
        for p in parts:
            assert p.get("sameAs", "").startswith("pers:")
            assert p.get(XML_ID) is None


def test_different_people_do_not_share_an_entry():
    persons = load(AUTH_DIR / "persons.xml")
    owner = {}
    for entry in persons.iterfind(".//tei:person", NS):
        for n in entry.iterfind("tei:persName[@type='variant']", NS):
            form = ws("".join(n.itertext()))
            assert form not in owner, f"{form!r} is a variant of both {owner[form]} and {entry.get(XML_ID)}"
            owner[form] = entry.get(XML_ID)
    assert owner["Liu"] == "pers-liu-shaoqi"
    assert owner["Liu Yalou"] == "pers-liu-yalou"
    assert owner["Karskii"] == owner["Shi Zhe"] == "pers-shi-zhe"
