"""The build's register index (teipress.render.register_index): records cut from the bytes
the register writer lays out, never a tree. The slices and digests it gives must be
those of the register itself, whichever way it is read."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from lxml import etree

from teipress import REGISTER_NS
from teipress.config import Config, load_config
from teipress.load import load_path
from teipress.render.register_index import RegisterIndex
from teipress.resolve import Corpus, Register, build_register

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "registers"
R = f"{{{REGISTER_NS}}}"


def _flagship() -> Register:
    config = load_config(ROOT)
    return build_register(Corpus([load_path(p, config.root) for p in config.source_files()],
                                 [load_path(p, config.root) for p in config.authority_files()], config), config)


def _letters() -> Register:
    config = Config(root=FIX, authorities=["authority/entities.xml"])
    return build_register(Corpus([load_path(FIX / f"letter-{n}.xml", FIX) for n in (1, 2, 3)],
                                 [load_path(FIX / "authority" / "entities.xml", FIX)], config), config)


@pytest.fixture(scope="module", params=["flagship", "letters"])
def register(request: pytest.FixtureRequest) -> Register:
    return _flagship() if request.param == "flagship" else _letters()


def test_the_index_holds_every_record_of_the_register(register: Register) -> None:
    xml = register.to_xml_bytes()
    tree = etree.fromstring(xml)
    index = RegisterIndex.read(xml)
    assert index.order() == [d.get("id") for d in tree.iter(f"{R}document")]
    assert list(index.entities) == [e.get("id") for e in tree.iter(f"{R}entity")]
    assert sum(map(len, index.pointers_of.values())) == len(tree.findall(f"{R}pointers/{R}pointer"))
    assert sum(map(len, index.notes_of.values())) == len(tree.findall(f"{R}notes/{R}note"))
    assert index.events == len(tree.findall(f"{R}chronology/{R}event"))
    mentioned = {(m.get("doc"), e.get("id")) for e in tree.iter(f"{R}entity") for m in e.iter(f"{R}mention")}
    assert mentioned, "the fixture must mention someone"
    for doc, ent in mentioned:
        assert ent in index.entities_of[doc]
        assert doc in index.mentioned_in[ent]
    # records are kept without their mentions
    assert not any(b"<r:mention" in e.xml for e in index.entities.values())


def test_the_index_keeps_one_string_per_document_and_entity_id(register: Register) -> None:
    """Hundreds of thousands of mentions and pointers name a few thousand documents and
    entities: each id is kept once (the build's process holds the index while it renders)."""
    index = RegisterIndex.read(register.to_xml_bytes())
    doc_ids = {doc_id: doc_id for doc_id in index.docs}
    ent_ids = {ent_id: ent_id for ent_id in index.entities}
    mentions = [doc for docs in index.mentioned_in.values() for doc in docs]
    assert mentions and all(doc is doc_ids[doc] for doc in mentions)
    targets = [(doc, ent) for doc, ents in index.entities_of.items() for ent in ents if ent in ent_ids]
    assert targets and all(ent is ent_ids[ent] for _, ent in targets)
    assert all(doc is doc_ids[doc] for doc in index.pointers_of if doc in doc_ids)


def test_one_documents_slice_found_alone_equals_its_slice_from_the_whole_index(register: Register) -> None:
    xml = register.to_xml_bytes()
    whole = RegisterIndex.read(xml)
    assert whole.order()
    for doc_id in whole.order():
        alone = RegisterIndex.read_for(xml, [doc_id]).slice_xml(doc_id)
        assert alone == whole.slice_xml(doc_id)
        sliced = etree.fromstring(alone)
        # neither the number of documents nor positions: every page would change with either
        assert sliced.find(f"{R}documents").get("count") is None
        assert all(d.get("position") is None for d in sliced.iter(f"{R}document"))
        assert [d.get("id") for d in sliced.iter(f"{R}document")].count(doc_id) == 1
        assert sliced.find(f"{R}entities/{R}entity/{R}mention") is None


def test_a_slice_found_alone_takes_exactly_the_entities_it_names(register: Register) -> None:
    """read_for finds a document's entities with one pattern of their ids: an id with
    characters a pattern gives a meaning (``.``, ``+``) matches itself only, and an id
    that begins another id does not bring the other one in."""
    xml = register.to_xml_bytes()
    whole = RegisterIndex.read(xml)
    doc_id = next(d for d in whole.order() if len(whole.entities_of.get(d, ())) >= 1)
    named = sorted(whole.entities_of[doc_id])[0]
    other = next(e for e in whole.entities if e not in whole.entities_of[doc_id])
    renamed = xml.replace(f'"{named}"'.encode(), b'"p.r+s"').replace(f'"{other}"'.encode(), b'"pXrrs"')
    renamed = renamed.replace(b'<r:entity id="pXrrs"', b'<r:entity id="p.r+s-longer"', 1)
    whole = RegisterIndex.read(renamed)
    alone = RegisterIndex.read_for(renamed, [doc_id])
    assert "p.r+s" in alone.entities and not {"pXrrs", "p.r+s-longer"} & set(alone.entities)
    assert alone.slice_xml(doc_id) == whole.slice_xml(doc_id)


def test_the_outline_keeps_one_mention_per_document_and_drops_the_bulk(register: Register) -> None:
    xml = register.to_xml_bytes()
    outline = etree.fromstring(RegisterIndex.read(xml).outline_xml())
    full = etree.fromstring(xml)
    assert [d.get("id") for d in outline.iter(f"{R}document")] == [d.get("id") for d in full.iter(f"{R}document")]
    for ent in full.iter(f"{R}entity"):
        docs = list(dict.fromkeys(m.get("doc") for m in ent.iter(f"{R}mention")))
        kept = outline.find(f"{R}entities/{R}entity[@id='{ent.get('id')}']")
        assert kept is not None
        assert [(m.get("doc"), m.get("anchor")) for m in kept.iter(f"{R}mention")] == [(d, None) for d in docs]
    assert outline.find(f"{R}notes/{R}note") is None
    assert all(not p.get("doc") for p in outline.iter(f"{R}pointer"))


def test_the_python_side_of_edition_pages_reads_documents_and_entities_without_the_bulk(register: Register) -> None:
    """``RenderContext.register_tree`` from the complete register (a build's own process,
    outline not made yet) and from the outline: the same documents and entities, no
    mention, event, pointer or note."""
    from typing import Any, cast

    from teipress.render import RenderContext

    xml = register.to_xml_bytes()
    full = etree.fromstring(xml)
    made: list[str] = []

    def outline() -> bytes:
        made.append("outline")
        return RegisterIndex.read(xml).outline_xml()

    engine = cast(Any, None)  # register_tree never transforms
    config = Config(root=ROOT)
    lazy = RenderContext(config, engine, outline, None, "2026-01-01", full_register=xml).register_tree
    assert made == []  # cut from the complete register; the outline was not needed
    eager = RenderContext(config, engine, RegisterIndex.read(xml).outline_xml(), None, "2026-01-01").register_tree
    for tree in (lazy, eager):
        assert [d.get("id") for d in tree.iter(f"{R}document")] == [d.get("id") for d in full.iter(f"{R}document")]
        assert [e.get("id") for e in tree.iter(f"{R}entity")] == [e.get("id") for e in full.iter(f"{R}entity")]
        for bulk in ("mention", "event", "pointer", "note"):
            assert next(tree.iter(f"{R}{bulk}"), None) is None, bulk


def test_edition_files_read_the_documents_from_the_head_of_the_register(
        register: Register, tmp_path: Path) -> None:
    """``RenderContext.documents_tree``: the edition record and every document record, as
    in the complete register, with no entity; read from the register file's head in
    chunks (one chunk boundary falls inside the end tag), from bytes, or cut from a
    register laid out otherwise."""
    from typing import Any, cast

    from teipress.render import RenderContext, register_index

    xml = register.to_xml_bytes()
    full = etree.fromstring(xml)
    path = tmp_path / "register.xml"
    path.write_bytes(xml)
    end = xml.find(b"</r:documents>")
    assert end > 0
    from_file = register_index.register_documents(path, chunk=end + 5)  # the first read ends inside the tag
    assert from_file == register_index.register_documents(xml)
    assert len(from_file) < len(xml)
    engine = cast(Any, None)  # never transforms
    config = Config(root=ROOT)
    outline = RegisterIndex.read(xml).outline_xml()  # what a full build's edition pages get
    trees = [RenderContext(config, engine, lambda: b"", None, "2026-01-01", full_register=path).documents_tree,
             RenderContext(config, engine, xml, None, "2026-01-01").documents_tree,
             RenderContext(config, engine, outline, None, "2026-01-01", full_register=path).documents_tree]
    for tree in trees:
        assert [etree.tostring(d, with_tail=False) for d in tree.iter(f"{R}document")] == [
            etree.tostring(d, with_tail=False) for d in full.iter(f"{R}document")]
        assert tree.find(f"{R}edition") is not None
        assert next(tree.iter(f"{R}entity"), None) is None
    # no documents at all (an empty corpus): the register, cut as register_core cuts it
    empty = etree.fromstring(register_index.register_documents(path.read_bytes().replace(
        xml[xml.find(b"<r:documents>"):end + len(b"</r:documents>")], b"<r:documents/>")))
    assert empty.find(f"{R}documents") is not None and next(empty.iter(f"{R}mention"), None) is None


def test_records_are_cut_right_whatever_their_text_holds() -> None:
    """The index cuts records from the writer's bytes: text and attribute values that
    look like markup (escaped by the serialiser) must not end or start a record."""
    tree = etree.fromstring(_flagship().to_xml_bytes())
    doc = tree.find(f"{R}documents/{R}document")
    ent = tree.find(f"{R}entities/{R}entity")
    assert doc is not None and ent is not None
    tricky = 'Memo "A" <b> & </r:document></r:entity> <r:mention doc="x" anchor="y"/> \u00e9'
    title = doc.find(f"{R}title")
    assert title is not None
    title.text = tricky
    doc.set("sort", 'a"b<c>d&e\nf')
    name = ent.find(f"{R}name")
    assert name is not None
    name.text = tricky
    ent.set("sort", '</r:entity> "x"')
    xml = etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    index = RegisterIndex.read(xml)
    doc_id, ent_id = doc.get("id", ""), ent.get("id", "")
    assert index.order() == [d.get("id") for d in tree.iter(f"{R}document")]
    assert list(index.entities) == [e.get("id") for e in tree.iter(f"{R}entity")]
    for sliced in (index.slice_xml(doc_id), RegisterIndex.read_for(xml, [doc_id]).slice_xml(doc_id)):
        record = etree.fromstring(sliced).find(f"{R}documents/{R}document[@id='{doc_id}']")
        assert record is not None and record.findtext(f"{R}title") == tricky
        assert record.get("sort") == 'a"b<c>d&e\nf'
    outline = etree.fromstring(index.outline_xml())
    kept = outline.find(f"{R}entities/{R}entity[@id='{ent_id}']")
    assert kept is not None and kept.findtext(f"{R}name") == tricky and kept.get("sort") == '</r:entity> "x"'
    mentions = [m.get("doc") for m in ent.iter(f"{R}mention")]
    assert [m.get("doc") for m in kept.iter(f"{R}mention")] == list(dict.fromkeys(mentions))


HOSTILE = ["", "plain", 'a "quoted" <tag> & ampersand', "line\nbreak\r\nand\ttab", "]]> --> <!--",
           "Zürich 苏联 \u2028 \U0001F600", "&amp; already", "'single'", "tab\tonly", "cr\ronly", "nl\nonly", "a>b"]


def test_the_register_writer_spells_records_as_libxml2_serialises_them() -> None:
    """Mentions, events, pointers and notes are written as text, not as lxml elements;
    the bytes must be what serialising each as an element (the writer's other path)
    gives, whatever the values hold."""
    from teipress.resolve import register as writer

    def by_lxml(tag: str, attrs: list[tuple[str, str]], text: str | None, level: int) -> bytes:
        el = etree.Element(f"{R}{tag}", dict(attrs), nsmap={"r": REGISTER_NS})
        el.text = text
        out = io.BytesIO()
        writer._write_item(out, el, level)
        return out.getvalue()

    keys = ("doc", "line", "form")
    for value in HOSTILE:  # with a value to escape in one attribute, in two, or in none
        row = (value, "12", value[::-1] if len(value) % 2 else "plain")
        for text in (None, value):
            written = b"".join(writer._flat_records("event", keys, [row], 2, None if text is None else [text]))
            assert written == by_lxml("event", list(zip(keys, row, strict=True)), text, 2), (value, text)
    # written in pieces of 1,000: the first with nothing to escape, the others with
    rows = [("plain", str(i), "plain") for i in range(1000)] + [(v, "1", v[::-1]) for v in HOSTILE * 100]
    texts = [f"text {i}" for i in range(1000)] + HOSTILE * 100
    for with_text in (False, True):
        written = b"".join(writer._flat_records("event", keys, rows, 2, texts if with_text else None))
        assert written == b"".join(by_lxml("event", list(zip(keys, row, strict=True)), text if with_text else None, 2)
                                   for row, text in zip(rows, texts, strict=True))

    entity = {"id": "p1", "kind": "person", "file": "a.xml", "line": 3, "sort": "x", "name": HOSTILE[2],
              "variants": HOSTILE[3:5], "birth": None, "death": None, "roles": [], "idnos": [],
              # written in pieces of 1,000: the first with nothing to escape, the others with
              "mentions": [{"doc": "d", "anchor": v, "line": i, "form": v, "element": "persName"}
                           for i, v in enumerate(["plain"] * 1000 + HOSTILE * 200)]}
    whole = writer._entity_element(entity)
    for m in entity["mentions"]:
        etree.SubElement(whole, f"{R}mention", {k: str(m[k]) for k in ("doc", "anchor", "line", "form", "element")})
    expected, written = io.BytesIO(), io.BytesIO()
    writer._write_item(expected, whole, 2)
    writer._write_entity(written, entity, [tuple(m[k] for k in ("doc", "anchor", "line", "form", "element"))
                                           for m in entity["mentions"]], 2)
    assert written.getvalue() == expected.getvalue()
    assert etree.fromstring(written.getvalue().replace(b"<r:entity ", f'<r:entity xmlns:r="{REGISTER_NS}" '.encode(), 1)
                            ).findall(f"{R}mention")[1004].get("anchor") == HOSTILE[4]


def test_the_build_writes_the_register_file_without_holding_it(register: Register, tmp_path: Path) -> None:
    """MemoStore.write_register streams the register to the resolve cache: the same bytes
    as to_xml_bytes, named by their hash, with the stamp-free digest the build keys on;
    no temporary file is left, and one left by a killed build goes at the next save."""
    import hashlib

    from teipress.resolve.memo import Memo, MemoStore, register_digest

    store = MemoStore(tmp_path / "resolve")
    made = store.write_register(register)
    assert made is not None
    path, digest = made
    xml = register.to_xml_bytes()
    assert path.read_bytes() == xml
    assert path.name == f"register-{hashlib.sha256(xml).hexdigest()}.xml"
    assert digest == register_digest(xml)
    restamped = xml.replace(f'built="{register.built}"'.encode(), b'built="1999-01-01T00:00:00Z"', 1)
    assert restamped != xml and register_digest(restamped) == digest
    assert sorted(p.name for p in store.folder.iterdir()) == [path.name]
    (store.folder / ".register.99999999.tmp").write_bytes(b"<r:register")  # a build killed mid-write
    store.save(Memo("key", {}, {}, path, {}), {}, [])
    assert sorted(p.name for p in store.folder.iterdir()) == sorted([path.name, "memo.marshal"])
    # a cache that cannot be written: no file, the caller falls back to bytes
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be")
    assert MemoStore(blocked / "resolve").write_register(register) is None
