"""Fidelity of the flagship TEI edition to its seed text.

The seed (a web-archive export of two CWIHP memoranda) lives outside the
repository, in ../shared/seeds/ next to the repository root.  These tests
compare it with the TEI files sentence by sentence and name by name.  A
missing seed is a failure, not a skip: the edition cannot be checked
without it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seeds" / "000_b8621c9ef563179c.txt"
TEI_DIR = REPO / "tei"
MEMO_FILES = {
    "memo-1949-06-27": TEI_DIR / "1949-06-27-stalin-ccp-delegation.xml",
    "memo-1949-07-27": TEI_DIR / "1949-07-27-liu-shaoqi-stalin.xml",
}
TEI = "http://www.tei-c.org/ns/1.0"
NS = {"tei": TEI}

# Elements that start a new block of text: a space is put around them so
# that words of neighbouring blocks do not run together.
BLOCK = {
    "TEI", "teiHeader", "fileDesc", "titleStmt", "title", "respStmt", "resp",
    "publicationStmt", "sourceDesc", "bibl", "biblStruct", "msDesc",
    "profileDesc", "abstract", "setting", "settingDesc", "text", "body",
    "back", "div", "head", "p", "opener", "closer", "salute", "signed",
    "trailer", "cit", "quote", "note", "langUsage", "language", "change",
    "listPerson", "person", "availability", "licence", "encodingDesc",
    "editorialDecl", "projectDesc", "revisionDesc", "listPrefixDef",
    "date", "time", "locale", "monogr", "analytic", "imprint", "msIdentifier",
}
# In running text these are inline even though they are listed above for
# header use; they must not add spaces inside a sentence.
INLINE_IN_TEXT = {"title", "date", "time", "bibl", "quote"}
NAME_TAGS = {"persName", "placeName", "orgName"}


# --------------------------------------------------------------------------
# seed handling

def _read_seed() -> str:
    if not SEED.is_file():
        pytest.fail(f"seed text not found at {SEED}; the edition cannot be checked")
    return SEED.read_text(encoding="utf-8")


def split_seed(raw: str) -> dict[str, str]:
    """Split the seed into the two memoranda (each starts with a Title field)."""
    starts = [m.start() for m in re.finditer(r"\*\*Title:", raw)]
    assert len(starts) == 2, f"expected two memoranda in the seed, found {len(starts)}"
    return {
        "memo-1949-06-27": raw[starts[0]:starts[1]],
        "memo-1949-07-27": raw[starts[1]:],
    }


def normalise_seed(text: str) -> str:
    """Remove markdown-ish formatting and header field labels."""
    text = re.sub(r"\*\*(Title|Author|Date|Source|Description):(\*\*)?", "\n", text)
    text = re.sub(r"<sup>.*?</sup>", "", text)
    text = text.replace("\\*", "")
    text = text.replace("*", "")
    # the whole source statement of memo 1 is wrapped in brackets
    text = re.sub(r"\[Source: ([^\]]*)\]", r"Source: \1", text)
    text = re.sub(r"^#+\s*", "", text, flags=re.M)
    return text


def seed_body(part: str) -> str:
    """The part of a memorandum after its header fields (text, notes, commentary)."""
    after = part.split("**Description:**", 1)[1]
    return normalise_seed(after.split("\n", 1)[1])


def sentences(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        line = ws(line)
        if not line:
            continue
        for sent in re.split(r"(?<=[.!?])\s+", line):
            sent = sent.strip()
            if sent and not re.fullmatch(r"\d+\.?", sent):
                out.append(sent)
    return out


def ws(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


# --------------------------------------------------------------------------
# TEI text extraction with per-character name attribution

def local(el) -> str:
    return etree.QName(el).localname


class Rendered:
    """Plain text of a TEI subtree plus, for every character, the stack of
    enclosing name elements as (ref, element-identity) pairs."""

    def __init__(self, root, *, skip=(), in_text=False):
        self.pieces: list[tuple[str, tuple]] = []
        self.notes = []
        self.skip = set(skip)
        self.in_text = in_text
        self._walk(root, ())
        # footnotes, editorial and source notes follow the text as blocks
        for note in self.notes:
            self._emit(" ", ())
            self._children(note, ())
            self._emit(" ", ())
        chars: list[tuple[str, tuple]] = []
        for s, stack in self.pieces:
            for c in s:
                if c.isspace():
                    if chars and chars[-1][0] == " ":
                        continue
                    c = " "
                chars.append((c, stack))
        while chars and chars[0][0] == " ":
            chars.pop(0)
        while chars and chars[-1][0] == " ":
            chars.pop()
        self.text = "".join(c for c, _ in chars)
        self.stacks = [st for _, st in chars]

    def _emit(self, s, stack):
        if s:
            self.pieces.append((s, stack))

    def _is_block(self, tag):
        if self.in_text and tag in INLINE_IN_TEXT:
            return False
        return tag in BLOCK

    def _children(self, el, stack):
        self._emit(el.text, stack)
        for ch in el:
            if isinstance(ch.tag, str):
                self._walk(ch, stack)
            self._emit(ch.tail, stack)

    def _walk(self, el, stack):
        tag = local(el)
        if tag in self.skip:
            return
        if tag == "note":
            self.notes.append(el)
            return
        if tag == "gap":
            desc = el.find("tei:desc", NS)
            self._emit("[" + ws("".join(desc.itertext())) + "]" if desc is not None else "", stack)
            return
        block = self._is_block(tag)
        if block:
            self._emit(" ", stack)
        if tag in NAME_TAGS:
            stack = (*stack, (el.get("ref"), id(el)))
        if tag == "supplied":
            self._emit("[", stack)
        self._children(el, stack)
        if tag == "supplied":
            self._emit("]", stack)
        if block:
            self._emit(" ", stack)


def parse(path: Path):
    assert path.is_file(), f"missing edition file {path}"
    return etree.parse(str(path))


@pytest.fixture(scope="module")
def seed_parts() -> dict[str, str]:
    return split_seed(_read_seed())


@pytest.fixture(scope="module")
def docs():
    return {key: parse(path) for key, path in MEMO_FILES.items()}


# --------------------------------------------------------------------------
# sentence-by-sentence comparison

def test_seed_is_present_and_has_two_memoranda():
    parts = split_seed(_read_seed())
    assert "Stalin and CCP Delegation" in parts["memo-1949-06-27"]
    assert "Liu Shaoqi and Stalin" in parts["memo-1949-07-27"]


@pytest.mark.parametrize("memo", sorted(MEMO_FILES))
def test_every_seed_sentence_is_in_the_tei(memo, seed_parts, docs):
    root = docs[memo].getroot()
    header = Rendered(root.find("tei:teiHeader", NS), in_text=True).text
    body = Rendered(root.find("tei:text", NS), in_text=True).text
    full = header + " " + body
    sents = sentences(normalise_seed(seed_parts[memo]))
    assert len(sents) > 20
    missing = [s for s in sents if s not in full]
    assert not missing, "sentences of the seed not found in the TEI:\n" + "\n".join(missing)


@pytest.mark.parametrize("memo", sorted(MEMO_FILES))
def test_text_sentences_are_in_the_text_not_only_the_header(memo, seed_parts, docs):
    """Everything after the header fields must be in <text>, in seed order."""
    root = docs[memo].getroot()
    rendered = Rendered(root.find("tei:text", NS), in_text=True)
    body = rendered.text
    pos = 0
    out_of_order = []
    # notes are appended after the text by the renderer; check order only
    # for sentences that are not footnote text
    note_text = " ".join(ws("".join(n.itertext())) for n in rendered.notes)
    for s in sentences(seed_body(seed_parts[memo])):
        assert s in body, f"not in <text>: {s!r}"
        if len(s) < 25 or s in note_text:
            continue
        found = body.find(s, pos)
        if found < 0:
            out_of_order.append(s)
        else:
            pos = found + len(s)
    assert not out_of_order, "sentences out of order:\n" + "\n".join(out_of_order)


@pytest.mark.parametrize("memo", sorted(MEMO_FILES))
def test_no_formatting_or_brackets_leak_into_tei_text(memo, docs):
    """Brackets are presentation (supplied/gap), markdown is formatting."""
    text_el = docs[memo].getroot().find("tei:text", NS)
    # editorial notes may talk about markers such as 56*; the text may not
    raw = "".join(t for t in text_el.xpath(".//text()[not(ancestor::tei:note)]", namespaces=NS))
    for bad in ("[", "]", "*", "<sup>", "**"):
        assert bad not in raw, f"{bad!r} found in the raw text of {memo}"


def test_footnotes_are_anchored_where_expected(docs):
    root = docs["memo-1949-07-27"].getroot()
    n2 = root.find(".//tei:note[@n='2']", NS)
    assert n2 is not None and n2.get("place") == "foot"
    prev = n2.getprevious()
    assert prev is not None and local(prev) == "orgName" and prev.text == "CC"
    assert prev.get("ref") == "org:cc-clique"
    n1 = root.find(".//tei:note[@n='1']", NS)
    assert n1 is not None and n1.get("place") == "foot"
    assert "banquet at Stalin's dacha" in ws("".join(n1.itertext()))
    first_p = root.find("tei:text/tei:body/tei:div/tei:p", NS)
    assert first_p.index(n1) == 0 and not (first_p.text or "").strip(), \
        "note 1 must stand at the very start of the text"


def test_foreign_words_and_supplied(docs):
    expected = {
        "priem": "ru-Latn",
        "vsem'ie ne bez uroda": "ru-Latn",
        "zrelishchnye": "ru-Latn",
        "shangle hendade dang": "zh-Latn",
        "guanbuzhao": "zh-Latn",
    }
    found = {}
    for doc in docs.values():
        for f in doc.iterfind(".//tei:text//tei:foreign", NS):
            found[ws("".join(f.itertext()))] = f.get("{http://www.w3.org/XML/1998/namespace}lang")
    assert found == expected
    supplied = []
    for doc in docs.values():
        for s in doc.iterfind(".//tei:text//tei:supplied", NS):
            assert s.get("reason"), "supplied without @reason"
            supplied.append(ws("".join(s.itertext())))
    for word in ["the", "Stalin", "van", "Eastern Europe", "in China", "circumstance",
                 "to sign it", "we", "pay", "our", "you", "Vyacheslav", "Georgii", "Anastas"]:
        assert word in supplied, f"[{word}] is not encoded as supplied"
    assert supplied.count("Stalin") == 2  # one in each memorandum


def test_money_and_percentages(docs):
    root = docs["memo-1949-06-27"].getroot()
    measures = [(m.get("unit"), m.get("quantity")) for m in root.iterfind(".//tei:measure", NS)]
    assert measures.count(("USD", "300000000")) == 2
    assert ("USD", "60000000") in measures
    pct = sorted(n.get("value") for n in root.iterfind(".//tei:num[@type='percentage']", NS))
    assert pct == ["1", "1", "1", "2", "30", "5"]


# --------------------------------------------------------------------------
# name-by-name comparison

# surface form in the seed -> expected pointer.  Container forms are names
# that contain another name (nested orgName/placeName); their inner part is
# counted separately.
COMMON_RULES = {
    "I.V. Stalin": "pers:stalin", "Stalin": "pers:stalin",
    "V. M. Molotov": "pers:molotov", "Molotov": "pers:molotov",
    "Malenkov": "pers:malenkov", "Mikoyan": "pers:mikoyan",
    "Liu Shaoqi": "pers:liu-shaoqi", "Liu": "pers:liu-shaoqi",
    "Liu Yalou": "pers:liu-yalou",
    "Gao Gang": "pers:gao-gang", "Gao": "pers:gao-gang",
    "Wang Jiaxiang": "pers:wang-jiaxiang",
    "Karskii": "pers:shi-zhe", "Shi Zhe": "pers:shi-zhe",
    "I[van] V. Kovalev": "pers:kovalev", "Kovalev": "pers:kovalev",
    "Mao Zedong": "pers:mao-zedong", "Mao": "pers:mao-zedong",
    "Jiang Jieshi": "pers:jiang-jieshi", "Jiang": "pers:jiang-jieshi",
    "Zhou Enlai": "pers:zhou-enlai", "Ma Bufang": "pers:ma-bufang",
    "Deng Liqun": "pers:deng-liqun", "Ge Baoquan": "pers:ge-baoquan",
    "Xu Jiepan": "pers:xu-jiepan",
    "Nikolai Bulganin": "pers:bulganin", "Aleksandr Vasilevskii": "pers:vasilevskii",
    "Soviet Union": "place:soviet-union", "Soviet state": "place:soviet-union",
    "USSR": "place:soviet-union",
    "New China": "place:china", "China": "place:china",
    "Manchuria": "place:manchuria", "the Northeast": "place:manchuria",
    "Beiping": "place:beiping", "Peiping": "place:beiping", "Peking": "place:beiping",
    "Moscow": "place:moscow", "Shanghai": "place:shanghai", "Dairen": "place:dairen",
    "Port Arthur": "place:port-arthur", "Vladivostok": "place:vladivostok",
    "Qingdao": "place:qingdao", "Chongqing": "place:chongqing", "Taiwan": "place:taiwan",
    "Xinjiang": "place:xinjiang", "Eastern Europe": "place:eastern-europe",
    "the English": "place:united-kingdom", "the Americans": "place:united-states",
    "United States": "place:united-states",
    "VKP(b) CC": "org:vkpb-cc", "Soviet Communist Party Central Committee": "org:vkpb-cc",
    "Central Committee": "org:vkpb-cc",
    "Soviet Communist Party": "org:vkpb",
    "Soviet Politburo": "org:vkpb-politburo", "Politburo": "org:vkpb-politburo",
    "Soviet government": "org:soviet-government",
    "CCP CC": "org:ccp-cc", "CCP Central Secretariat": "org:ccp-secretariat",
    "CCP": "org:ccp", "Chinese Communist Party": "org:ccp", "Communist Party": "org:ccp",
    "the communists": "org:ccp", "Chinese Party": "org:ccp",
    "GuoMinDang": "org:gmd", "GMD": "org:gmd", "KMT": "org:gmd",
    "PLA": "org:pla", "China's air force": "org:pla-air-force",
    "Manchurian government": "org:manchurian-government",
    "New Political Consultative Conference": "org:new-pcc",
    "all-Chinese democratic coalition government": "org:central-peoples-government",
    "Chinese government": "org:central-peoples-government",
    "all-China government": "org:central-peoples-government",
    "Central Government": "org:central-peoples-government",
    "new Chinese Government": "org:central-peoples-government",
    "new national government": "org:central-peoples-government",
}
CONTAINERS = {
    # container surface: (pointer, inner surface)
    "Politburo of the CCP CC": ("org:ccp-politburo", "CCP CC"),
    "Bureau of the CC": ("org:ccp-northeast-bureau", "CC"),
    "government of Manchuria": ("org:manchurian-government", "Manchuria"),
    "GMD Government": ("org:gmd-government", "GMD"),
}
MEMO_RULES = {
    # the bare "CC" is the CCP CC in memo 1 ("Bureau of the CC") but the
    # GuoMinDang CC Clique in memo 2 ("The CC or other secret services")
    "memo-1949-06-27": {"CC": "org:ccp-cc"},
    "memo-1949-07-27": {"CC": "org:cc-clique"},
}
# titles of books quoted in the commentary are not name mentions
BOOK_TITLES = [
    "The Soviet Union and Communist China, 1945-1950: The Arduous Road to the Alliance",
    "Red Wings over the Yalu",
]


def find_mentions(text: str, memo: str) -> list[tuple[int, int, str, str, bool]]:
    """(start, end, surface, pointer, is_container) for every name form in
    text, longest forms first, each character counted once."""
    rules = dict(COMMON_RULES)
    rules.update(MEMO_RULES[memo])
    forms = [(s, ref, None) for s, ref in rules.items()]
    forms += [(s, ref, inner) for s, (ref, inner) in CONTAINERS.items()]
    forms.sort(key=lambda f: -len(f[0]))
    masked = list(text)
    found = []
    for surface, ref, inner in forms:
        pat = re.compile(r"(?<![\w-])" + re.escape(surface) + r"(?![\w-])")
        for m in pat.finditer("".join(masked)):
            a, b = m.span()
            found.append((a, b, surface, ref, inner is not None))
            keep = set()
            if inner is not None:
                i = surface.index(inner)
                keep = set(range(a + i, a + i + len(inner)))
            for k in range(a, b):
                if k not in keep:
                    masked[k] = "\x00"
    return sorted(found)


def covered_by(rendered: Rendered, a: int, b: int, ref: str, outermost: bool) -> bool:
    """Is [a, b) inside one name element whose @ref is ref?"""
    common = None
    for k in range(a, b):
        ids = {(r, i) for r, i in rendered.stacks[k]}
        common = ids if common is None else common & ids
    if not common:
        return False
    return any(r == ref for r, _ in common)


@pytest.mark.parametrize("memo", sorted(MEMO_FILES))
def test_every_name_in_the_seed_points_at_the_right_entry(memo, seed_parts, docs):
    seed_text = ws(seed_body(seed_parts[memo]))
    for t in BOOK_TITLES:
        seed_text = seed_text.replace(t, "")
    text_el = docs[memo].getroot().find("tei:text", NS)
    rendered = Rendered(text_el, skip={"bibl"}, in_text=True)
    seed_mentions = find_mentions(seed_text, memo)
    tei_mentions = find_mentions(rendered.text, memo)

    def tally(ms):
        out = {}
        for *_, surface, ref, _c in ms:
            out[(surface, ref)] = out.get((surface, ref), 0) + 1
        return out

    assert tally(tei_mentions) == tally(seed_mentions), "name mentions differ from the seed"
    wrong = []
    for a, b, surface, ref, is_container in tei_mentions:
        if not covered_by(rendered, a, b, ref, is_container):
            ctx = rendered.text[max(0, a - 30):b + 30]
            wrong.append(f"{surface!r} should be tagged {ref}: ...{ctx}...")
    assert not wrong, "\n".join(wrong)


def test_gao_mentions_all_point_at_gao_gang(docs):
    n = 0
    for doc in docs.values():
        for el in doc.iterfind(".//tei:persName", NS):
            name = ws("".join(el.itertext()))
            if name in ("Gao", "Gao Gang"):
                assert el.get("ref") == "pers:gao-gang"
                n += 1
    assert n >= 20


def test_liu_yalou_is_not_liu_shaoqi(docs):
    refs = {}
    for doc in docs.values():
        for el in doc.iterfind(".//tei:persName", NS):
            refs.setdefault(ws("".join(el.itertext())), set()).add(el.get("ref"))
    assert refs["Liu Yalou"] == {"pers:liu-yalou"}
    assert refs["Liu Shaoqi"] == {"pers:liu-shaoqi"}
    assert refs["Liu"] == {"pers:liu-shaoqi"}
    assert refs["Karskii"] == refs["Shi Zhe"] == {"pers:shi-zhe"}
    assert refs["Jiang"] == refs["Jiang Jieshi"] == {"pers:jiang-jieshi"}


def test_cc_clique_and_ccp_cc_are_different(docs):
    def refs_of(doc, text):
        return {el.get("ref") for el in doc.iterfind(".//tei:orgName", NS)
                if ws("".join(el.itertext())) == text}
    assert refs_of(docs["memo-1949-07-27"], "CC") == {"org:cc-clique"}
    assert refs_of(docs["memo-1949-06-27"], "CC") == {"org:ccp-cc"}
    assert refs_of(docs["memo-1949-06-27"], "CCP CC") == {"org:ccp-cc"}


def test_speech_is_marked(docs):
    m1 = docs["memo-1949-06-27"].getroot()
    direct = m1.findall(".//tei:said[@direct='true']", NS)
    assert any("Well, if you insist" in "".join(s.itertext()) for s in direct)
    assert all(s.get("who") for s in m1.iterfind(".//tei:said", NS))
    m2 = docs["memo-1949-07-27"].getroot()
    stalin = [ws("".join(s.itertext())) for s in m2.iterfind(".//tei:said[@who='pers:stalin']", NS)]
    assert "The victors are not brought to judgment. Victors are always correct." in stalin


def test_dates_are_normalised(docs):
    whens = {}
    for doc in docs.values():
        for d in doc.iterfind(".//tei:text//tei:date", NS):
            whens[ws("".join(d.itertext()))] = (d.get("when"), d.get("notBefore"), d.get("notAfter"))
            assert d.get("when") or (d.get("notBefore") and d.get("notAfter")) or d.get("from")
    assert whens["27 June"][0] == "1949-06-27"
    assert whens["July 26"][0] == "1949-07-26"
    assert whens["July 30"][0] == "1949-07-30"
    assert whens["the next day"][0] == "1949-07-27"
    assert whens["September"][0] == "1949-09"
    assert whens["1945"][0] == "1945"
    assert whens["a year earlier"][1:] == ("1948-01-01", "1948-12-31")
    assert whens["the early 1950s"][1] == "1950-01-01"
