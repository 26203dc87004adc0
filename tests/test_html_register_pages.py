"""The register pages (persons, places, organisations, bibliography) rendered in batches.

teipress.render.html renders them from bounded pieces of the register
(teipress.render.register_batches): each page must be the bytes one transform
of the whole register gives, whatever the batch size, and must not need the
mentions in ``ctx.register``.
"""

from __future__ import annotations

import marshal
import re
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from lxml import etree

import teipress
from teipress import REGISTER_NS
from teipress.config import Config, load_config
from teipress.load import LoadedDocument, load_path
from teipress.render import RenderContext, engine_for
from teipress.render.html import FORMAT, REGISTER_PAGES, _bibliography_document
from teipress.render.register_batches import KeptParts, RegisterBatches
from teipress.resolve import Corpus, build_register

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "registers"
R = f"{{{REGISTER_NS}}}"
KINDS = ("person", "place", "org", "bibl")
_SAVE = KeptParts.save
DATE = "2026-11-28"


@pytest.fixture(scope="module")
def engine() -> Any:
    return engine_for([FORMAT])


def _context(engine: Any, config: Config, docs: list[LoadedDocument], auths: list[LoadedDocument]) -> RenderContext:
    xml = build_register(Corpus(docs, auths, config), config).to_xml_bytes()
    return RenderContext(config, engine, xml, None, DATE)


@pytest.fixture(scope="module")
def flagship(engine: Any) -> RenderContext:
    config = load_config(ROOT)
    return _context(engine, config, [load_path(p, config.root) for p in config.source_files()],
                    [load_path(p, config.root) for p in config.authority_files()])


@pytest.fixture(scope="module")
def letters(engine: Any) -> RenderContext:
    """Three letters: a letter group of five persons, persons mentioned in every letter."""
    config = Config(root=FIX, authorities=["authority/entities.xml"])
    return _context(engine, config, [load_path(FIX / f"letter-{n}.xml", FIX) for n in (1, 2, 3)],
                    [load_path(FIX / "authority" / "entities.xml", FIX)])


def whole(ctx: RenderContext, kind: str) -> str:
    """The page as one transform of the whole register gives it (no part-marker)."""
    params = ctx.params("", **{"teipress-version": teipress.__version__})
    if kind == "bibl":
        return str(ctx.engine.transform("html-bibliography", ctx.engine.parse(_bibliography_document(ctx)),
                                        params))
    return str(ctx.engine.transform("html-register", ctx.register, {**params, "kind": kind}))


def test_letters_fixture_spans_batches(letters: RenderContext) -> None:
    """The fixture does what the tests below rely on (else they could not fail)."""
    batches = list(RegisterBatches(letters.register_xml, KINDS, max_entities=2, max_mentions=4).batches())
    persons = [b for b in batches if b.kind == "person"]
    assert len(persons) >= 4
    pieces = [p for b in persons for p in b.pieces]
    # Ben Bell: 4 mentions in each of three letters, so cut at each letter
    assert [(p.part, list(p.docs)) for p in pieces if p.entity_id == "pers-bell"] == [
        (1, ["letter-1"]), (2, ["letter-2"]), (3, ["letter-3"])]
    page = lxml.html.fromstring(whole(letters, "person"))
    # sections in the order of their first entity; "1st Earl" and "Ørjan Ørsted" are two groups
    assert [(s.xpath("string(h2)"), s.xpath("article/@id")) for s in page.xpath("//section")] == [
        ("Other", ["pers-x--1"]), ("A", ["pers-abel"]),
        ("B", ["pers-brown", "pers-bell", "pers-baker", "pers-burke", "pers-berg"]),
        ("C", ["pers-cole"]), ("Other", ["pers-oe"])]
    bell = page.xpath("//article[@id = 'pers-bell']//div[@class = 'mentions']/ul/li")
    assert [" ".join(li.text_content().split()) for li in bell] == [
        f"Letter {n} ({n + 10} January 1850): ¶ 1 (×2), note 1, ¶ 3" for n in (1, 2, 3)]


@pytest.mark.parametrize("sizes", [(2, 4), (1, 1), (3, 10**6), (10**6, 2)])
def test_letters_pages_in_batches_equal_one_transform(letters: RenderContext, sizes: tuple[int, int]) -> None:
    max_entities, max_mentions = sizes
    pages = FORMAT.register_pages(letters, KINDS, max_entities=max_entities, max_mentions=max_mentions)
    assert set(pages) == set(KINDS)
    for kind in KINDS:
        assert pages[kind] == whole(letters, kind), (kind, sizes)


def test_flagship_pages_in_batches_equal_one_transform(flagship: RenderContext) -> None:
    small = FORMAT.register_pages(flagship, KINDS, max_entities=2, max_mentions=3)
    one = FORMAT.register_pages(flagship, KINDS, max_entities=10**6, max_mentions=10**6)
    batches = list(RegisterBatches(flagship.register_xml, KINDS, max_entities=2, max_mentions=3).batches())
    assert len(batches) > 20 and any(p.part > 1 for b in batches for p in b.pieces)
    for kind in KINDS:
        reference = whole(flagship, kind)
        assert "Mentioned in" in reference
        assert small[kind] == reference, kind
        assert one[kind] == reference, kind


def _without_mentions(xml: bytes) -> etree._Element:
    tree = etree.fromstring(xml)
    for m in list(tree.iter(f"{R}mention")):
        parent = m.getparent()
        assert parent is not None
        parent.remove(m)
    return tree


class MentionFreeContext(RenderContext):
    """``ctx.register`` and ``ctx.register_tree`` without mentions; the full register only as bytes.

    Records which of the two were read.
    """

    def __init__(self, ctx: RenderContext) -> None:
        super().__init__(ctx.config, ctx.engine, ctx.register_xml, None, ctx.build_date)
        self.free = _without_mentions(ctx.register_xml)
        self.free_node = ctx.engine.parse(etree.tostring(self.free))
        self.read: set[str] = set()

    @property
    def register(self) -> Any:
        self.read.add("register")
        return self.free_node

    @property
    def register_tree(self) -> etree._Element:
        self.read.add("register_tree")
        return self.free


@pytest.mark.parametrize("which", ["flagship", "letters"])
def test_register_pages_read_mentions_from_the_register_xml(which: str, request: pytest.FixtureRequest,
                                                            tmp_path: Path) -> None:
    ctx: RenderContext = request.getfixturevalue(which)
    free = MentionFreeContext(ctx)
    assert next(free.free.iter(f"{R}mention"), None) is None
    files = {f.relpath: f.data.decode("utf-8") for f in FORMAT.render_edition(
        free, [], tmp_path, pages={"persons", "places", "organisations", "bibliography"})}
    assert set(files) == {*REGISTER_PAGES, "bibliography.html"}
    for page, kind in [*REGISTER_PAGES.items(), ("bibliography.html", "bibl")]:
        assert files[page] == whole(ctx, kind), page
    assert "Mentioned in" in files["persons.html"] and 'class="mention"' in files["bibliography.html"]
    assert free.read == set()  # neither parsed nor read: the pages are made from the register XML


def test_reader_takes_a_file_and_stays_bounded(letters: RenderContext, tmp_path: Path) -> None:
    path = tmp_path / "register.xml"
    path.write_bytes(letters.register_xml)
    from_bytes = list(RegisterBatches(letters.register_xml, KINDS, max_entities=2, max_mentions=4).batches())
    from_file = list(RegisterBatches(path, KINDS, max_entities=2, max_mentions=4).batches())
    assert [b.xml for b in from_file] == [b.xml for b in from_bytes]
    for b in from_bytes:
        sub = etree.fromstring(b.xml)
        assert len(sub.findall(f"{R}entities/{R}entity")) <= 2
        # a batch holds at most its bound plus the rest of one entity's mentions of one document
        assert len(sub.findall(f".//{R}mention")) <= 4 + 3
        # only the records of the documents its mentions name
        docs = {m.get("doc") for m in sub.iter(f"{R}mention")}
        assert {d.get("id") for d in sub.iter(f"{R}document")} == docs


# -- a hand-made register: mentions of one document that are not contiguous ---------------

def _entity(eid: str, name: str, docs: str) -> str:
    mentions = "".join(f'<r:mention doc="{d}" anchor="{d}-p{i}" line="{i}" form="" element="persName"/>'
                       for i, d in enumerate(docs.split(), 1))
    return (f'<r:entity id="{eid}" kind="person" file="p.xml" line="1" sort="{name.lower()}">'
            f"<r:name>{name}</r:name>{mentions}</r:entity>")


IRREGULAR = f"""<r:register xmlns:r="{REGISTER_NS}" version="1" built="x" teipress="0">
<r:edition title="Hand-made" version="1"/>
<r:documents>{"".join(f'<r:document id="d{n}" position="{n}"><r:title>Doc {n}</r:title></r:document>'
                       for n in range(1, 4))}</r:documents>
<r:entities>
{_entity("p-a", "Alpha", "d1 d1 d2 d2 d1 d3")}
{_entity("p-b", "Beta", "d2 d3 d3")}
{_entity("p-c", "Gamma", "")}
</r:entities><r:pointers/><r:notes/></r:register>""".encode()


def test_mentions_of_a_document_that_come_back_are_kept_together(letters: RenderContext) -> None:
    """Two files with one document id interleave its mentions: a split there would list the
    document twice; the reader notices and the entity is read again whole."""
    reader = RegisterBatches(IRREGULAR, ["person"], max_entities=5, max_mentions=2)
    list(reader.batches())
    assert reader.irregular == {"p-a"}
    ctx = RenderContext(letters.config, letters.engine, IRREGULAR, None, DATE)
    reference = whole(ctx, "person")
    assert reference.count("Doc 1</a>") == 1  # one item for d1, with three passages
    for sizes in ((1, 1), (5, 2), (100, 100)):
        assert FORMAT.register_pages(ctx, ["person"], max_entities=sizes[0],
                                     max_mentions=sizes[1])["person"] == reference, sizes


def test_the_part_store_gives_back_what_it_was_given() -> None:
    """Register pages' parts wait on disk until their page is written (PartStore): each
    part and each later piece comes back as put, whatever the text, in order."""
    from teipress.render.register_batches import PartStore

    store = PartStore()
    texts = ["<li>Ünïcödé & “quotes”</li>", "", "x" * 100_000, "<li>中文</li>"]
    for i, text in enumerate(texts):
        store.put(f"e{i}", text)
    store.add_more("e0", "<li>more 1</li>")
    store.add_more("e2", "<li>more of e2</li>")
    store.add_more("e0", "<li>more 2</li>")
    assert [store.part(f"e{i}") for i in range(len(texts))] == texts
    assert list(store.more("e0")) == ["<li>more 1</li>", "<li>more 2</li>"] and list(store.more("e1")) == []
    assert store.with_more() == {"e0", "e2"}
    store.forget("e0")  # rendered again whole: its part and pieces go
    assert "e0" not in store and store.with_more() == {"e2"}
    store.put("e0", "again")
    assert store.part("e0") == "again" and store.part("e3") == texts[3]
    store.close()


def _pages_kept(ctx: RenderContext, folder: Path, salt: str, monkeypatch: pytest.MonkeyPatch,
                sizes: tuple[int, int] = (2, 4)) -> tuple[dict[str, str], dict[str, tuple[int, int]]]:
    """The register pages rendered with pieces kept in *folder*; per kind (reused, made)."""
    counts: dict[str, tuple[int, int]] = {}

    def counting(store: KeptParts) -> None:
        counts[store.path.name.removesuffix(".parts")] = (store.reused, store.made)
        _SAVE(store)

    monkeypatch.setattr(KeptParts, "save", counting)
    ctx.kept_parts, ctx.kept_parts_salt = folder, salt
    try:
        return FORMAT.register_pages(ctx, KINDS, max_entities=sizes[0], max_mentions=sizes[1]), counts
    finally:
        ctx.kept_parts = None


def test_kept_pieces_are_reused_and_only_changed_ones_rendered(letters: RenderContext, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A build keeps each rendered piece of a register page under a hash of what it shows
    (KeptParts): the next build transforms only pieces whose entity, mentioned documents'
    records or environment changed, and the pages are the same bytes."""
    folder = tmp_path / "parts"
    first, made = _pages_kept(letters, folder, "env-1", monkeypatch)
    assert first == {kind: whole(letters, kind) for kind in KINDS}
    assert all(reused == 0 for reused, _ in made.values()) and made["person"][1] >= 4

    again, counts = _pages_kept(letters, folder, "env-1", monkeypatch)
    assert again == first
    assert {kind: c[1] for kind, c in counts.items()} == dict.fromkeys(KINDS, 0)
    assert counts["person"][0] == made["person"][1]

    # letter 2 moved (a document added before it) and edited (its content hash): what no
    # register page shows, so no piece is rendered again
    xml = letters.register_xml
    start = xml.index(b'<r:document id="letter-2"')
    end = xml.index(b">", start)
    head = re.sub(rb' position="\d+"', b' position="99"', xml[start:end])
    head = re.sub(rb' sha256="[0-9a-f]*"', b' sha256="' + b"0" * 64 + b'"', head)
    assert head != xml[start:end]
    moved = RenderContext(letters.config, letters.engine, xml[:start] + head + xml[end:], None, DATE)
    pages, counts = _pages_kept(moved, folder, "env-1", monkeypatch)
    assert pages == first
    assert {kind: c[1] for kind, c in counts.items()} == dict.fromkeys(KINDS, 0)

    # letter 2 retitled: the pieces mentioning it, and only those, are rendered again
    xml = letters.register_xml
    at = xml.index(b"<r:title>", xml.index(b'<r:document id="letter-2"')) + len(b"<r:title>")
    changed = xml[:at] + b"Retitled: " + xml[at:]
    ctx = RenderContext(letters.config, letters.engine, changed, None, DATE)
    pages, counts = _pages_kept(ctx, folder, "env-1", monkeypatch)
    assert pages == {kind: whole(ctx, kind) for kind in KINDS} and "Retitled: " in pages["person"]
    pieces = [p for b in RegisterBatches(changed, KINDS, max_entities=2, max_mentions=4).batches() for p in b.pieces]
    naming = sum(1 for p in pieces if p.kind == "person" and "letter-2" in p.docs)
    assert 0 < naming < len([p for p in pieces if p.kind == "person"])
    assert counts["person"][1] == naming

    # another environment (stylesheets, configuration, build date): nothing is reused
    _, counts = _pages_kept(ctx, folder, "env-2", monkeypatch)
    assert all(reused == 0 for reused, _ in counts.values())


def test_unreadable_kept_pieces_are_ignored_and_a_failed_run_keeps_them(letters: RenderContext, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "parts"
    reference = {kind: whole(letters, kind) for kind in KINDS}
    _pages_kept(letters, folder, "env", monkeypatch)
    kept = (folder / "person.parts").read_bytes()
    index_at = int.from_bytes(kept[-8:], "little")
    pieces, key = kept[:index_at], next(iter(marshal.loads(kept[index_at:-8])))
    damaged_index = [  # an index whose entries do not point at pieces
        pieces + marshal.dumps(index) + index_at.to_bytes(8, "little")
        for index in ({key: (0, 10**9)}, {key: "x"}, {key: (0, 1, 2)}, {key: (-5, 3)}, [key])]
    for damaged in (b"", b"junk", kept[:-3], kept[:len(kept) // 2] + b"\xff" * 8, b"\0" * 20,
                    b"\xff" * index_at + kept[index_at:], *damaged_index):
        (folder / "person.parts").write_bytes(damaged)
        pages, counts = _pages_kept(letters, folder, "env", monkeypatch)
        assert pages == reference and counts["person"][0] == 0, damaged[:20]

    # a run that fails part way leaves the previous run's file and no temporary one
    kept = (folder / "person.parts").read_bytes()
    calls = []

    def failing(*args: Any, **kwargs: Any) -> list[str]:
        calls.append(1)
        raise RuntimeError("stylesheet failed")

    monkeypatch.setattr(type(FORMAT), "_transform_pieces", failing)
    xml = letters.register_xml.replace(b"<r:title>", b"<r:title>Changed ")
    with pytest.raises(RuntimeError):
        _pages_kept(RenderContext(letters.config, letters.engine, xml, None, DATE), folder, "env", monkeypatch)
    assert calls and (folder / "person.parts").read_bytes() == kept
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{kind}.parts" for kind in KINDS)


def test_a_cache_that_cannot_be_written_only_keeps_nothing(letters: RenderContext, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go")
    pages, counts = _pages_kept(letters, blocked / "parts", "env", monkeypatch)
    assert pages == {kind: whole(letters, kind) for kind in KINDS}
    assert counts["person"][1] > 0 and blocked.read_text() == "a file where the cache folder would go"


# -- the outline's pointers and notes of no document, found in the bytes -------------------

UNPLACED = f"""<r:register xmlns:r="{REGISTER_NS}" version="1" built="x" teipress="0">
  <r:edition title="Hand-made" version="1"/>
  <r:documents><r:document id="d1" position="1"><r:title>Doc 1</r:title></r:document></r:documents>
  <r:entities>
    {_entity("p-a", "Alpha", "d1")}
  </r:entities>
  <r:chronology><r:event doc="d1" when="1949">1949 &lt;r:pointer doc=""/&gt;</r:event></r:chronology>
  <r:pointers>
    <r:pointer doc="d1" value="#p-a" target="p-a" kind="person"/>
    <r:pointer doc="" value="#p-a" target="p-a" kind="person"/>
    <r:pointer doc="" value="http://x.org/?a=1&amp;b=&lt;2&gt;" target="" kind="external"/>
    <r:pointer doc="d1" value="#gone" target="" kind="unresolved"/>
  </r:pointers>
  <r:notes>
    <r:note doc="" ordinal="1" id="n1" label="a" place="" anchor=""/>
    <r:note doc="d1" ordinal="1" id="" label="1" place="" anchor="d1"/>
  </r:notes>
</r:register>""".encode()


@pytest.mark.parametrize("chunk", [3, 7, 64, 1 << 22])
def test_the_outline_holds_the_pointers_and_notes_of_no_document_as_parsed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """The reader stops parsing after the entities and finds the pointers and notes of no
    document in the bytes, a chunk at a time: the outline holds what parsing gives, however
    the chunks cut the elements, and nothing from text that merely looks like one."""
    from teipress.render import register_batches

    monkeypatch.setattr(register_batches, "_CHUNK", chunk)
    path = tmp_path / "register.xml"
    path.write_bytes(UNPLACED)
    root = etree.fromstring(UNPLACED)
    expected = {section: [etree.tostring(el, encoding="utf-8", with_tail=False)
                          for el in root.iter(f"{R}{section[:-1]}") if not el.get("doc")]
                for section in ("pointers", "notes")}
    assert [len(v) for v in expected.values()] == [2, 1]
    for source in (UNPLACED, path):
        reader = RegisterBatches(source, ["person"])
        assert [p.entity_id for b in reader.batches() for p in b.pieces] == ["p-a"]
        outline = etree.fromstring(reader.outline)
        for section, elements in expected.items():
            found = outline.find(f"{R}{section}")
            assert found is not None
            assert [etree.tostring(el, encoding="utf-8", with_tail=False) for el in found] == elements
