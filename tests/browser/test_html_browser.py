"""The HTML edition in a real browser (Debian's Chromium, headless, via Playwright).

The flagship edition is built once per session with ``teipress build --format html``
into a temporary folder and opened from ``file://`` - the hardest place for a static
edition (no server, CSP ``'self'``, no fetch of JSON).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
DOC = "memo-1949-06-27.html"
PAGE_TYPES = ["index.html", DOC, "persons.html", "places.html", "organisations.html",
              "chronology.html", "bibliography.html", "search.html?q=Ma%20Bufang"]


@pytest.fixture(scope="session")
def edition(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html-edition")
    proc = subprocess.run(
        [sys.executable, "-m", "teipress", "build", "--format", "html", "--out", str(out),
         "--schema", "none", "-q"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    html = out / "html"
    assert (html / DOC).is_file(), sorted(p.name for p in html.iterdir())
    return html


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield pg
    context.close()
    assert errors == [], errors


def url(edition: Path, name: str) -> str:
    path, _, query = name.partition("?")
    return (edition / path).as_uri() + (f"?{query}" if query else "")


def test_styles_and_scripts_load_under_file_url_with_csp(edition: Path, page: Page) -> None:
    page.goto(url(edition, DOC))
    # edition.css applied (skip link moved off-screen) and edition.js ran without CSP errors
    left = page.evaluate("getComputedStyle(document.querySelector('.skip-link')).left")
    assert left == "-10000px"
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0


def test_person_link_to_register_and_back(edition: Path, page: Page) -> None:
    page.goto(url(edition, DOC))
    link = page.locator("#memo-1949-06-27-p22 a.entity-person", has_text="Ma Bufang")
    link.click()
    assert page.url.endswith("persons.html#pers-ma-bufang")
    entry = page.locator("article#pers-ma-bufang")
    expect(entry.locator("h3")).to_contain_text("Ma Bufang (1903\u20131975)")
    back = entry.locator("a.mention", has_text="¶ 22")
    back.click()
    assert page.url.endswith(f"{DOC}#memo-1949-06-27-p22")
    expect(page.locator("#memo-1949-06-27-p22")).to_contain_text("exaggerate the forces of")
    assert page.evaluate("document.querySelector(':target').id") == "memo-1949-06-27-p22"


def test_entity_card_on_hover_and_focus(edition: Path, page: Page) -> None:
    page.goto(url(edition, DOC))
    link = page.locator("#memo-1949-06-27-p22 a.entity-person", has_text="Ma Bufang")
    card = page.locator(f"#{link.get_attribute('aria-describedby')}")
    expect(card).to_be_hidden()
    link.hover()
    expect(card).to_be_visible()
    expect(card).to_contain_text("Ma Bufang")
    expect(card).to_contain_text("1903\u20131975")
    page.mouse.move(0, 0)
    expect(card).to_be_hidden()
    link.focus()
    expect(card).to_be_visible()
    page.keyboard.press("Escape")
    expect(card).to_be_hidden()


def _first_note_marker(page: Page) -> Any:
    return page.locator("a.note-ref").first


def test_footnote_popover_by_hover(edition: Path, page: Page) -> None:
    page.goto(url(edition, DOC))
    marker = _first_note_marker(page)
    pop = page.locator(f"#{marker.get_attribute('aria-describedby')}")
    expect(pop).to_be_hidden()
    marker.hover()
    expect(pop).to_be_visible()
    expect(pop).to_contain_text("The sentence breaks off here")


def test_footnote_popover_by_keyboard_and_links_both_ways(edition: Path, page: Page) -> None:
    page.goto(url(edition, DOC))
    marker = _first_note_marker(page)
    pop = page.locator(f"#{marker.get_attribute('aria-describedby')}")
    # reach the marker with the keyboard: Tab until it is focused
    page.locator("body").focus()
    for _ in range(400):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('note-ref')"):
            break
    else:
        pytest.fail("note marker not reachable with Tab")
    expect(pop).to_be_visible()
    page.keyboard.press("Enter")
    note_id = marker.get_attribute("href")
    assert note_id is not None
    assert page.url.endswith(note_id)
    back = page.locator(f"{note_id} a.note-back")
    expect(back).to_be_visible()
    back.click()
    assert page.url.endswith("#" + (marker.get_attribute("id") or "?"))


def test_search_ma_bufang_reaches_the_paragraph(edition: Path, page: Page) -> None:
    page.goto(url(edition, DOC))
    page.fill("#site-search-q", "Ma Bufang")
    page.press("#site-search-q", "Enter")
    page.wait_for_url("**/search.html?q=Ma+Bufang")
    results = page.locator("#search-results li")
    expect(results.first).to_be_visible()
    expect(page.locator("#search-status")).to_contain_text("results for “Ma Bufang”")
    hit = page.locator("#search-results li.result-text", has_text="exaggerate the forces of")
    expect(hit.locator("mark")).to_have_text("Ma Bufang")
    assert page.locator("#search-results li.result-person").count() == 1
    hit.locator("a").click()
    assert page.url.endswith(f"{DOC}#memo-1949-06-27-p22")
    expect(page.locator("#memo-1949-06-27-p22")).to_be_in_viewport()


def test_search_page_refines_without_reload(edition: Path, page: Page) -> None:
    page.goto(url(edition, "search.html"))
    expect(page.locator("#search-status")).to_have_text("Enter a word or a phrase.")
    page.fill("#search-q", "xinjiang")
    page.press("#search-q", "Enter")
    expect(page.locator("#search-results li").first).to_be_visible()
    expect(page.locator("#search-results mark").first).to_have_text("Xinjiang")
    page.fill("#search-q", "zzzznothing")
    page.press("#search-q", "Enter")
    expect(page.locator("#search-status")).to_have_text("No results for “zzzznothing”.")


def _axe(page: Page) -> list[Any]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    violations: list[Any] = page.evaluate(
        """async (tags) => {
             const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                preload: false});
             return r.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' '))}));
           }""", WCAG_TAGS)
    return violations


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", PAGE_TYPES)
def test_axe_wcag22_aa_zero_violations(edition: Path, browser: Browser, name: str, scheme: str) -> None:
    context = browser.new_context(color_scheme=scheme)  # type: ignore[arg-type]
    try:
        pg = context.new_page()
        pg.goto(url(edition, name))
        if name.startswith("search"):
            expect(pg.locator("#search-results li").first).to_be_visible()
        assert _axe(pg) == []
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_with_popover_and_card_open(edition: Path, browser: Browser, scheme: str) -> None:
    context = browser.new_context(color_scheme=scheme)  # type: ignore[arg-type]
    try:
        pg = context.new_page()
        pg.goto(url(edition, DOC))
        pg.locator("a.note-ref").first.focus()
        assert _axe(pg) == []
        pg.locator("#memo-1949-06-27-p22 a.entity-person").first.focus()
        assert _axe(pg) == []
    finally:
        context.close()


def test_phone_viewport_has_no_horizontal_scroll(edition: Path, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        pg = context.new_page()
        for name in ("index.html", DOC, "chronology.html"):
            pg.goto(url(edition, name))
            wide = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert wide <= 0, (name, wide)
    finally:
        context.close()
