"""The load phase: every hostile or broken input becomes a located diagnostic, never a crash or a leak."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

from teipress.load import load_path, parse_bytes, safe_id

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"

# file -> (parsed?, [(code, line, col, severity)])
EXPECTED = {
    "empty.xml": (False, [("P002", 1, 1, "error")]),
    "whitespace.xml": (False, [("P002", 1, 1, "error")]),
    "binary.xml": (False, [("P003", 1, 1, "error")]),
    "malformed.xml": (False, [("P001", 4, 15, "error")]),
    "xxe-file.xml": (False, [("P007", 3, 3, "error"), ("P007", 5, 216, "error")]),
    "xxe-network.xml": (False, [("P007", 3, 3, "error"), ("P007", 5, 216, "error")]),
    "billion-laughs.xml": (False, [("P007", 1, 5, "error")]),
    "external-dtd.xml": (True, [("P011", 1, 1, "warning")]),
    "deep.xml": (False, [("P008", 2, 1025, "error")]),
    "latin1-undeclared.xml": (False, [("P004", 2, 7, "error")]),
    "utf8-declared-latin1.xml": (False, [("P004", 3, 7, "error")]),
    "unknown-encoding.xml": (False, [("P004", 1, 1, "error")]),
    "bom.xml": (True, [("P005", 1, 1, "warning")]),
    "no-namespace.xml": (False, [("P006", 1, 1, "error")]),
    "not-tei.xml": (False, [("P006", 2, 1, "error")]),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_inputs_give_exact_diagnostics(name: str) -> None:
    doc = load_path(HOSTILE / name, HOSTILE)
    parsed, expected = EXPECTED[name]
    assert doc.ok is parsed
    got = [(d.code, d.line, d.col, d.severity.value) for d in doc.diagnostics]
    assert got == expected
    for d in doc.diagnostics:
        assert d.path == name
        assert d.help, "every diagnostic says how to fix it"


def test_every_hostile_fixture_is_covered() -> None:
    assert {p.name for p in HOSTILE.glob("*.xml")} == set(EXPECTED)


def test_external_entity_content_never_reaches_the_tree(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    data = (f'<!DOCTYPE TEI [<!ENTITY s SYSTEM "{secret.as_uri()}">]>'
            '<TEI xmlns="http://www.tei-c.org/ns/1.0"><p>&s;</p></TEI>').encode()
    tree, diags = parse_bytes(data, "x.xml")
    assert tree is None
    assert any(d.code == "P007" for d in diags)
    assert all("TOP-SECRET-VALUE" not in d.message for d in diags)


def test_no_network_access_for_entities_or_dtd() -> None:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY x "pwned">')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        for data in (
            f'<!DOCTYPE TEI SYSTEM "http://127.0.0.1:{port}/tei.dtd"><TEI xmlns="http://www.tei-c.org/ns/1.0"/>',
            f'<!DOCTYPE TEI [<!ENTITY e SYSTEM "http://127.0.0.1:{port}/e">]>'
            '<TEI xmlns="http://www.tei-c.org/ns/1.0">&e;</TEI>',
            f'<!DOCTYPE TEI [<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/p"> %p;]>'
            '<TEI xmlns="http://www.tei-c.org/ns/1.0"/>',
        ):
            parse_bytes(data.encode(), "x.xml")
    finally:
        server.shutdown()
    assert hits == []


def test_valid_document_parses_with_hash(tmp_path: Path) -> None:
    p = tmp_path / "ok.xml"
    p.write_bytes(b'<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id="doc-1"><teiHeader/></TEI>')
    doc = load_path(p, tmp_path)
    assert doc.ok and doc.diagnostics == []
    assert doc.doc_id == "doc-1"
    assert len(doc.sha256) == 64


def test_unreadable_file_is_a_diagnostic(tmp_path: Path) -> None:
    doc = load_path(tmp_path / "missing.xml", tmp_path)
    assert not doc.ok
    assert [d.code for d in doc.diagnostics] == ["P010"]


@pytest.mark.parametrize("raw, expected", [
    ("memo-1949-06-27", "memo-1949-06-27"),
    ("../../etc/passwd", "etc-passwd"),
    ("/abs/path", "abs-path"),
    ("..", "document"),
    ("a b\\c:d", "a-b-c-d"),
    ("", "document"),
])
def test_document_ids_cannot_escape_the_output_folder(raw: str, expected: str) -> None:
    assert safe_id(raw) == expected


@pytest.mark.parametrize(("path", "root"), [
    ("/a/b/c.xml", "/a/b"), ("/a/b", "/a/b"), ("/a/bc/d.xml", "/a/b"), ("/x/y.xml", "/a"),
    ("/a/b/c.xml", "/"), ("/", "/"), ("/a/b/c/d.xml", "/a/b/"), ("rel/x.xml", "/a"),
])
def test_display_path_is_the_path_relative_to_the_root_when_inside_it(path: str, root: str) -> None:
    from teipress.load import display_path

    try:
        expected = Path(path).relative_to(root).as_posix()
    except ValueError:
        expected = Path(path).as_posix()
    assert display_path(Path(path), Path(root)) == expected
