"""PDF rendering of the print edition with WeasyPrint, sandboxed and atomic.

Why this module exists apart from :mod:`teipress.render.print_`:

* **Sandbox.** The paged HTML is built from untrusted TEI. WeasyPrint would
  happily fetch ``http(s):`` or any ``file:`` URL a stylesheet or element names,
  so every render uses :class:`FolderFetcher`, which serves only files inside the
  output folder (plus in-memory files not yet written) and refuses everything
  else: other schemes, other folders, symlinks that lead out, ``..`` tricks.
* **Layout access.** The back-of-book index needs the page every mention lands
  on; :func:`layout` returns WeasyPrint's laid-out document so that the caller
  can read ``page.anchors`` (every element id, per page) and run a second pass.
* **Clear failures.** Missing fonts and WeasyPrint crashes become a
  :class:`PrintError` that says how to fix it; :func:`render_pdf` writes
  through a temporary file and ``os.replace`` so no half-written PDF is left.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from teipress.atomic import write_atomic

#: PDF variants a user may ask for (WeasyPrint names), default first.
PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3b", "pdf/a-2b", "pdf/ua-2", "pdf/a-3u", "pdf/a-3a")

#: Font families the print CSS needs, with the Debian package that provides each.
REQUIRED_FONTS: dict[str, str] = {
    "Noto Serif": "fonts-noto-core",
    "Noto Serif CJK SC": "fonts-noto-cjk",
}

_MIME = {
    ".css": "text/css",
    ".html": "text/html",
    ".xhtml": "application/xhtml+xml",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
}


class PrintError(Exception):
    """The print edition cannot be rendered; ``help`` says what to do about it."""

    def __init__(self, message: str, help: str | None = None) -> None:
        super().__init__(message)
        self.help = help

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text}\n  help: {self.help}" if self.help else text


@dataclass(frozen=True)
class PdfInfo:
    """What was written: where, how many pages, which PDF variant, how large."""

    path: Path
    pages: int
    variant: str
    size: int
    title: str


# ---------------------------------------------------------------------------
# Fonts
# ---------------------------------------------------------------------------


def missing_fonts(families: Iterable[str] | None = None) -> list[str]:
    """Families of :data:`REQUIRED_FONTS` (or *families*) fontconfig cannot find.

    WeasyPrint itself silently substitutes missing fonts (a book in DejaVu Sans,
    or Chinese as empty boxes), so we ask fontconfig first.
    """
    wanted = list(families) if families is not None else list(REQUIRED_FONTS)
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise PrintError(
            "fontconfig's fc-list was not found, so the fonts cannot be checked", help="apt-get install fontconfig"
        )
    missing = []
    for family in wanted:
        out = subprocess.run(
            [fc_list, f"{family}:style=Regular", "family"], capture_output=True, text=True, check=False
        ).stdout
        names = {n.strip() for line in out.splitlines() for n in line.split(",")}
        if family not in names:
            missing.append(family)
    return missing


def check_fonts(families: Iterable[str] | None = None) -> None:
    """Raise :class:`PrintError` naming the package to install when a font is missing."""
    missing = missing_fonts(families)
    if missing:
        packages = sorted({REQUIRED_FONTS.get(f, "a package providing it") for f in missing})
        raise PrintError(
            f"{', '.join(missing)} not found: the print edition needs it for Latin/Cyrillic and Chinese text",
            help=f"apt-get install {' '.join(packages)}",
        )


# ---------------------------------------------------------------------------
# Sandboxed fetching
# ---------------------------------------------------------------------------


def _fetcher_base() -> type[Any]:
    from weasyprint.urls import URLFetcher

    return URLFetcher  # type: ignore[no-any-return]


class FolderFetcher:
    """Serves resources from one folder (and an in-memory overlay), refuses the rest.

    Used as WeasyPrint's ``url_fetcher``. A request is allowed only for a
    ``file:`` URL whose resolved path (symlinks followed) lies inside *base_dir*,
    or for a path relative to *base_dir* present in *memory* (files of the same
    build that are not written yet). Everything else, including ``http(s):``,
    ``data:`` and ``file:`` elsewhere, is refused and recorded in ``refused``.
    """

    def __init__(self, base_dir: Path, memory: Mapping[str, bytes] | None = None) -> None:
        self.base_dir = base_dir.resolve()
        self.memory = dict(memory or {})
        self.refused: list[str] = []

    def resolve(self, url: str) -> tuple[str, bytes] | None:
        """``(relative path, bytes)`` for an allowed URL, else ``None``."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            return None
        raw = Path(unquote(parts.path))
        try:
            rel = raw.resolve().relative_to(self.base_dir)
        except (ValueError, OSError):
            # a path under base_dir that does not exist yet may still be in memory
            try:
                rel = Path(os.path.normpath(raw)).relative_to(self.base_dir)
            except ValueError:
                return None
        key = rel.as_posix()
        if key in self.memory:
            return key, self.memory[key]
        target = (self.base_dir / rel).resolve()
        if not target.is_relative_to(self.base_dir) or not target.is_file():
            return None
        return key, target.read_bytes()

    def make(self) -> Any:
        """The WeasyPrint URL fetcher object for this sandbox."""
        from weasyprint.urls import URLFetcherResponse

        sandbox = self

        class _Fetcher(_fetcher_base()):  # type: ignore[misc]
            def fetch(self, url: str, headers: Any = None) -> Any:
                found = sandbox.resolve(url)
                if found is None:
                    sandbox.refused.append(url)
                    raise ValueError(
                        f"teipress print: refused to fetch {url!r} (only files inside the output folder are used)"
                    )
                rel, data = found
                mime = _MIME.get(Path(rel).suffix.lower(), "application/octet-stream")
                return URLFetcherResponse(url, data, {"Content-Type": mime})

        return _Fetcher(allowed_protocols=("file",), fail_on_errors=False)


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_weasyprint() -> Any:
    """WeasyPrint logs refused URLs and unsupported CSS as warnings; we report our own."""
    logger = logging.getLogger("weasyprint")
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(previous)


def font_configuration() -> Any:
    """A WeasyPrint FontConfiguration to share between the layouts of one book.

    Each layout otherwise builds its own (a new Pango font map, fonts looked up
    and measured again); the two or three layouts of one build use the same fonts.
    """
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def layout(
    html: str,
    base_dir: Path,
    memory: Mapping[str, bytes] | None = None,
    fetcher: FolderFetcher | None = None,
    font_config: Any = None,
) -> Any:
    """Lay out *html* (a whole paged HTML document) and return WeasyPrint's Document.

    *base_dir* is where relative URLs (the stylesheet) are looked up: the output
    folder. Raises :class:`PrintError` when WeasyPrint fails.
    """
    try:
        import weasyprint
    except ImportError as exc:  # pragma: no cover - a dependency of teipress
        raise PrintError("WeasyPrint is not installed", help="pip install 'weasyprint>=62'") from exc
    sandbox = fetcher or FolderFetcher(base_dir, memory)
    base_url = base_dir.resolve().as_uri() + "/"
    try:
        with _quiet_weasyprint():
            doc = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=sandbox.make()).render(
                font_config=font_config
            )
    except Exception as exc:
        raise PrintError(
            f"WeasyPrint could not lay out the print edition: {exc}",
            help="check edition.html in the output folder; if WeasyPrint itself "
            "crashed, upgrade it (pip install -U weasyprint)",
        ) from exc
    return doc


def anchor_pages(document: Any) -> dict[str, int]:
    """Page number (1-based, as counter(page) prints it) of every element id.

    WeasyPrint records on each page the ids of the elements that start on it
    (``page.anchors``); the first page an id appears on wins.
    """
    pages: dict[str, int] = {}
    for number, page in enumerate(document.pages, 1):
        for name in page.anchors:
            pages.setdefault(name, number)
    return pages


def page_anchors(document: Any) -> list[list[str]]:
    """Per page (index 0 is page 1), the element ids WeasyPrint recorded there, in document order."""
    return [list(page.anchors) for page in document.pages]


def pdf_bytes(document: Any, *, pdf_variant: str = "pdf/ua-1") -> bytes:
    """The PDF of a laid-out *document* in *pdf_variant* (tagged, with metadata)."""
    if pdf_variant not in PDF_VARIANTS:
        raise PrintError(f"unknown PDF variant {pdf_variant!r}", help="use one of " + ", ".join(PDF_VARIANTS))
    try:
        with _quiet_weasyprint():
            data = document.write_pdf(pdf_variant=pdf_variant, pdf_tags=True, custom_metadata=True)
    except Exception as exc:
        raise PrintError(
            f"WeasyPrint could not write the PDF ({pdf_variant}): {exc}",
            help="try another variant with --pdf-variant, or upgrade WeasyPrint",
        ) from exc
    if not isinstance(data, bytes) or not data.startswith(b"%PDF-"):
        raise PrintError("WeasyPrint returned no PDF data")
    return data


def render_pdf(html_path: Path, pdf_path: Path, *, pdf_variant: str = "pdf/ua-1", base_dir: Path) -> PdfInfo:
    """Render the paged HTML file *html_path* to *pdf_path*, atomically.

    Resources are fetched only from *base_dir* (normally the output folder that
    holds the HTML and its CSS). On any failure *pdf_path* is left as it was.
    """
    check_fonts()
    html_path = html_path.resolve()
    base = base_dir.resolve()
    if not html_path.is_relative_to(base):
        raise PrintError(
            f"{html_path} is outside {base}", help="render_pdf only renders files inside the output folder"
        )
    try:
        html = html_path.read_text("utf-8")
    except OSError as exc:
        raise PrintError(f"cannot read {html_path}: {exc}") from exc
    document = layout(html, html_path.parent, fetcher=FolderFetcher(base))
    data = pdf_bytes(document, pdf_variant=pdf_variant)
    write_atomic(pdf_path, data)
    title = str(getattr(document.metadata, "title", "") or "")
    return PdfInfo(path=pdf_path, pages=len(document.pages), variant=pdf_variant, size=len(data), title=title)
