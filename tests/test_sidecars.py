"""Per-document sidecars (``.documents/<id>``): what the HTML and print edition pages read
of each document, one file per document and format (render.sidecar_file).

An edition page made without them (no build wrote them: a page rendered on its own, or a
sidecar lost) is made from the documents instead, and must be the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from teipress.config import load_config
from teipress.load import LoadedDocument, load_path
from teipress.render import RenderContext, engine_for, sidecar_body, sidecar_facts, sidecar_file
from teipress.render import html as html_format
from teipress.render import print_ as print_format
from teipress.resolve import Corpus, build_register

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def flagship() -> tuple[RenderContext, list[LoadedDocument]]:
    config = load_config(ROOT)
    config.raw = {**config.raw, "print": {**config.raw.get("print", {}), "pdf": False}}
    docs = [load_path(p, config.root) for p in config.source_files()]
    auths = [load_path(p, config.root) for p in config.authority_files()]
    xml = build_register(Corpus(docs, auths, config), config).to_xml_bytes()
    engine = engine_for([html_format.FORMAT, print_format.FORMAT])
    return RenderContext(config, engine, xml, etree.fromstring(xml), "2026-11-28"), docs


def _rendered(ctx: RenderContext, docs: list[LoadedDocument], fmt: object, folder: Path,
              sidecars: bool) -> set[str]:
    written = set()
    for doc in docs:
        for f in fmt.render_document(ctx, doc, ctx.engine.parse(doc.data)):  # type: ignore[attr-defined]
            if f.relpath.startswith(".documents/") and not sidecars:
                continue
            (folder / f.relpath).parent.mkdir(parents=True, exist_ok=True)
            (folder / f.relpath).write_bytes(f.data)
            written.add(f.relpath)
    return written


@pytest.mark.parametrize("name", ["html", "print"])
def test_edition_pages_without_sidecars_are_the_same_bytes(flagship: tuple[RenderContext, list[LoadedDocument]],
                                                           tmp_path: Path, name: str) -> None:
    ctx, docs = flagship
    fmt = html_format.FORMAT if name == "html" else print_format.FORMAT
    pages = {"html": ["index", "search-index"], "print": ["frame", "book"]}[name]
    made: dict[bool, dict[str, bytes]] = {}
    for sidecars in (True, False):
        folder = tmp_path / str(sidecars)
        written = _rendered(ctx, docs, fmt, folder, sidecars)
        assert any(w.startswith(".documents/") for w in written) == sidecars
        made[sidecars] = {f.relpath: f.data for f in fmt.render_edition(ctx, docs, folder, pages)}
    assert made[True].keys() == made[False].keys() and len(made[True]) >= 2
    for relpath, data in made[True].items():
        assert data == made[False][relpath], relpath
    joined = made[True]["search-index.js" if name == "html" else "edition.html"]
    assert b"\0" not in joined  # the sidecars' facts never reach a joined file


def test_a_sidecar_holds_facts_then_body() -> None:
    f = sidecar_file("memo-1", b"<toc/>", b"<section>text</section>")
    assert f.relpath == ".documents/memo-1" and f.facts == b"<toc/>"
    assert sidecar_facts(f.data) == b"<toc/>" and sidecar_body(f.data) == b"<section>text</section>"
    # bytes made again where a sidecar is missing are all body, and have no facts
    assert sidecar_body(b"[1,2]") == b"[1,2]" and sidecar_facts(b"[1,2]") == b""
    assert sidecar_body(sidecar_file("x", b"", b"").data) == b""
