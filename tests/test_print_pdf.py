"""The PDF pipeline's guards: sandboxed fetching, font checks, atomic writes, settings."""

from __future__ import annotations

import re
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest

from teipress.render import pdf as pdfmod
from teipress.render.pdf import FolderFetcher, PrintError, check_fonts, render_pdf
from teipress.render.print_ import PrintSettings, collapse_pages, css_page_size

MINI = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Mini</title>
<link rel="stylesheet" href="style.css"></head><body><p>Hello 中文 Привет.</p></body></html>"""


def test_collapse_pages() -> None:
    assert collapse_pages([9, 3, 4, 5, 4, 12, 13]) == [(3, 5), (9, 9), (12, 13)]
    assert collapse_pages([]) == []
    assert collapse_pages([7]) == [(7, 7)]


@pytest.mark.parametrize(("value", "css"), [("A4", "A4"), ("a5", "A5"), ("Letter", "letter"),
                                            ("6x9in", "6in 9in"), ("6 \u00d7 9 in", "6in 9in"),
                                            ("170mm 240mm", "170mm 240mm")])
def test_page_sizes(value: str, css: str) -> None:
    assert css_page_size(value) == css


def test_bad_settings_say_what_is_allowed() -> None:
    with pytest.raises(PrintError, match="page-size") as exc:
        css_page_size("B5; } body { display: none")
    assert "A4" in str(exc.value)
    with pytest.raises(PrintError, match="pdf-variant"):
        PrintSettings.from_raw({"print": {"pdf-variant": "pdf/x-99"}})
    assert PrintSettings.from_raw({}) == PrintSettings("A4", "pdf/ua-1", True)
    assert PrintSettings.from_raw({"print": {"page-size": "A5", "pdf-variant": "PDF/A-3b"}}) \
        == PrintSettings("A5", "pdf/a-3b", True)


def test_fetcher_serves_only_the_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "style.css").write_text("p{}")
    (tmp_path / "secret.txt").write_text("secret")
    (out / "link.css").symlink_to(tmp_path / "secret.txt")
    f = FolderFetcher(out, {"print.css": b"mem"})
    assert f.resolve((out / "style.css").as_uri()) == ("style.css", b"p{}")
    assert f.resolve((out / "print.css").as_uri()) == ("print.css", b"mem")
    for url in ((tmp_path / "secret.txt").as_uri(), (out / "link.css").as_uri(),
                out.as_uri() + "/../secret.txt", "http://example.org/x.css",
                "https://example.org/x.css", "data:text/css,p{}", "file://evil.example/etc/passwd",
                "file:///etc/passwd"):
        assert f.resolve(url) is None, url


def test_render_pdf_refuses_remote_and_outside_resources(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "outside.css").write_text("p { color: red }")
    (out / "style.css").write_text("p { font-family: 'Noto Serif', 'Noto Serif CJK SC' }")
    page = MINI.replace('<link rel="stylesheet" href="style.css">',
                        '<link rel="stylesheet" href="style.css">'
                        '<link rel="stylesheet" href="../outside.css">'
                        '<link rel="stylesheet" href="http://127.0.0.1:9/remote.css">')
    (out / "mini.html").write_text(page)
    fetcher = FolderFetcher(out)
    doc = pdfmod.layout(page, out, fetcher=fetcher)
    assert len(doc.pages) == 1
    assert sorted(u.rsplit("/", 1)[-1] for u in fetcher.refused) == ["outside.css", "remote.css"]
    info = render_pdf(out / "mini.html", out / "mini.pdf", base_dir=out)
    assert info.pages == 1 and info.variant == "pdf/ua-1" and info.title == "Mini"
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(out / "mini.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Hello 中文 Привет." in text
    fonts = subprocess.run(["pdffonts", str(out / "mini.pdf")], capture_output=True, text=True,
                           check=True).stdout
    assert "Noto-Serif-CJK-SC" in fonts.replace(" ", "-") or "NotoSerifCJK" in fonts


def test_pdf_a3b_on_request(tmp_path: Path) -> None:
    (tmp_path / "mini.html").write_text(MINI)
    render_pdf(tmp_path / "mini.html", tmp_path / "a.pdf", pdf_variant="pdf/a-3b", base_dir=tmp_path)
    data = (tmp_path / "a.pdf").read_bytes()
    blob = data + b"".join(zlib.decompress(m.group(1)) for m in
                           re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S)
                           if m.group(1)[:1] == b"x")
    assert re.search(rb'pdfaid:part(="3"|>3<)', blob)
    assert re.search(rb'pdfaid:conformance(="B"|>B<)', blob)


def test_missing_fonts_give_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    class Empty:
        stdout = ""

    monkeypatch.setattr(pdfmod.subprocess, "run", lambda *a, **k: Empty())
    with pytest.raises(PrintError) as exc:
        check_fonts()
    message = str(exc.value)
    assert "Noto Serif CJK SC" in message and "Noto Serif" in message
    assert "apt-get install fonts-noto-cjk fonts-noto-core" in message


def test_installed_fonts_pass() -> None:
    check_fonts()  # the machine has fonts-noto-core and fonts-noto-cjk


def test_failed_render_leaves_no_pdf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mini.html").write_text(MINI)
    target = tmp_path / "edition.pdf"
    target.write_bytes(b"%PDF-1.7 previous edition")

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("layout exploded")

    import weasyprint

    monkeypatch.setattr(weasyprint.HTML, "render", boom)
    with pytest.raises(PrintError, match="WeasyPrint could not lay out"):
        render_pdf(tmp_path / "mini.html", target, base_dir=tmp_path)
    assert target.read_bytes() == b"%PDF-1.7 previous edition"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edition.pdf", "mini.html"]


def test_interrupted_write_leaves_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "edition.pdf"
    target.write_bytes(b"old")

    def fail(*args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pdfmod.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        pdfmod.write_atomic(target, b"%PDF-new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["edition.pdf"]


def test_render_pdf_refuses_html_outside_base(tmp_path: Path) -> None:
    (tmp_path / "mini.html").write_text(MINI)
    (tmp_path / "out").mkdir()
    with pytest.raises(PrintError, match="outside"):
        render_pdf(tmp_path / "mini.html", tmp_path / "out" / "x.pdf", base_dir=tmp_path / "out")
    assert not (tmp_path / "out" / "x.pdf").exists()
