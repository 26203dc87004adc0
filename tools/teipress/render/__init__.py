"""Phase 4, render: turn TEI documents plus the register into edition files.

Each edition format is one module here (``text``, ``html``, ``print_``) exposing
an object that satisfies :class:`EditionFormat`. A format names the
stylesheets it needs; the caller compiles *all* of them into one locked
:class:`~teipress.xslt.XsltEngine` per process (compile once, render many) and
passes a :class:`RenderContext` holding that engine and the register, parsed
once. Formats return :class:`OutputFile` objects and never write to disk
themselves: the build phase owns where and how (staging, atomic replace).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from lxml import etree

from teipress.config import Config
from teipress.load import LoadedDocument
from teipress.xslt import ParamValue, XsltEngine


@dataclass(frozen=True)
class OutputFile:
    """One file of an edition, relative to the format's output folder."""

    relpath: str
    data: bytes

    def __post_init__(self) -> None:
        p = PurePosixPath(self.relpath)
        if p.is_absolute() or ".." in p.parts or not p.parts or "\\" in self.relpath:
            raise ValueError(f"unsafe output path {self.relpath!r}")


@dataclass
class RenderContext:
    """What every render call needs, built once per process."""

    config: Config
    engine: XsltEngine
    register_xml: bytes
    register_tree: etree._Element
    build_date: str
    register: Any = field(init=False)

    def __post_init__(self) -> None:
        self.register = self.engine.parse(self.register_xml)

    def params(self, doc_id: str = "", **extra: ParamValue) -> dict[str, ParamValue]:
        """The global parameters of xslt/common.xsl plus format-specific extras."""
        return {"register": self.register, "doc-id": doc_id, "build-date": self.build_date, **extra}


class EditionFormat(Protocol):
    """An edition format: its stylesheets, per-document pages and edition-wide pages."""

    name: str

    def stylesheets(self) -> Mapping[str, Path]:
        """Stylesheets to compile, by engine name (names must be unique across formats)."""
        ...

    def render_document(self, ctx: RenderContext, doc: LoadedDocument, node: Any) -> list[OutputFile]:
        """Files for one document; *node* is the document parsed for Saxon."""
        ...

    def render_edition(self, ctx: RenderContext, documents: Sequence[LoadedDocument],
                       rendered: Path) -> list[OutputFile]:
        """Edition-wide files (indexes, registers, whole-edition files).

        *rendered* is the staging folder of this format, already holding every
        per-document file, for formats that assemble from them.
        """
        ...


#: format name -> module that exposes ``FORMAT``
FORMAT_MODULES: dict[str, str] = {
    "html": "teipress.render.html",
    "print": "teipress.render.print_",
    "text": "teipress.render.text",
}


def get_format(name: str) -> EditionFormat:
    """The format object for *name* (``KeyError`` if unknown)."""
    module = importlib.import_module(FORMAT_MODULES[name])
    fmt: EditionFormat = module.FORMAT
    return fmt


def engine_for(formats: Sequence[EditionFormat]) -> XsltEngine:
    """Compile every stylesheet the given formats need into one locked engine."""
    sheets: dict[str, Path] = {}
    for fmt in formats:
        for key, path in fmt.stylesheets().items():
            if key in sheets and sheets[key] != path:
                raise ValueError(f"stylesheet name {key!r} used by two formats")
            sheets[key] = path
    return XsltEngine(sheets)
