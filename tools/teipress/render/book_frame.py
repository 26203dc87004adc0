"""The print book's frame, made without holding the corpus's index anchors as one tree.

The frame is the book without its documents: front matter, contents, bibliography
and the index, whose entries link (``target-counter``) to every mention of their
entity. Made by one transform over every section's facts, those facts were the
biggest tree a build held: 900,000 anchors (58 MB of facts) for 5,000 synthetic
documents took one worker past 1 GiB, and twice that at 10,000.

So the facts are read one document at a time (:class:`FrameFacts`): what the
contents show (each section's id, title and date, about 100 bytes) is kept; the
anchors go to a private temporary SQLite database, on disk, deleted when closed
(:class:`IndexAnchors`). edition.xsl then writes the frame from the contents and
the set of anchored entities, with a marker in each index entry
(``$index-mode = 'marker'``), and :meth:`Frame.chunks` puts each entry's links in
place of its marker as the frame is written out. The result is byte for byte what
edition.xsl writes from the whole facts in ``target-counter`` mode.
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO
from urllib.parse import quote, unquote

from lxml import etree

from teipress.render import read_chunks
from teipress.splice import Piece

#: How edition.xsl marks an index entry's pages in ``marker`` mode: the entity id, URI-encoded
#: (``encode-for-uri``, hyphens too), so the comment holds nothing a comment cannot.
INDEX_MARKER = re.compile(r"<!--tpp:pages ([A-Za-z0-9_.~%]*)-->")
#: Anchors are written to the database this many at a time.
_BATCH = 10_000


class IndexAnchors:
    """Every index anchor of the book, by entity, in reading order, kept on disk.

    SQLite's private temporary database (an empty file name): its pages spill to a
    file SQLite removes itself, and only its small page cache is held in memory.
    """

    def __init__(self) -> None:
        self._db = sqlite3.connect("")
        self._db.execute("CREATE TABLE anchor (entity TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL)")
        self._pending: list[tuple[str, int, str]] = []
        self._seq = 0
        self._indexed = False
        #: the ids of the entities with at least one anchor
        self.entities: set[str] = set()

    def add(self, mentions: Iterable[tuple[str, str]]) -> None:
        """Mentions as (entity, anchor), in reading order."""
        seq = self._seq
        pending = self._pending
        for entity, anchor in mentions:
            seq += 1
            self.entities.add(entity)
            pending.append((entity, seq, anchor))
        self._seq = seq
        if len(pending) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._db.executemany("INSERT INTO anchor VALUES (?, ?, ?)", self._pending)
            self._pending = []

    def of(self, entity: str) -> list[str]:
        """The anchors of *entity*, in reading order."""
        if not self._indexed:
            self._flush()
            self._db.execute("CREATE INDEX anchor_entity ON anchor (entity, seq)")
            self._indexed = True
        return [row[0] for row in self._db.execute("SELECT id FROM anchor WHERE entity = ? ORDER BY seq", (entity,))]


@dataclass
class FrameFacts:
    """The sections' facts as the frame needs them, gathered one document at a time."""

    #: ``<section>`` elements with only their ``header``: what the contents show
    contents: list[bytes] = field(default_factory=list)
    anchors: IndexAnchors = field(default_factory=IndexAnchors)

    def add(self, facts: bytes) -> None:
        """One document's facts (its sidecar's, see ``print_.section_facts``)."""
        for section in etree.fromstring(b"<parts>" + facts + b"</parts>").iterfind("section"):
            self.anchors.add((el.get("data-entity", ""), el.get("id", ""))
                             for el in section.iter() if el.get("data-entity") is not None and el.get("id") is not None)
            shown = etree.Element("section")
            for name, value in section.items():
                shown.set(name, value)
            shown.extend(section.iterfind("header"))
            self.contents.append(etree.tostring(shown, encoding="utf-8"))

    def parts(self) -> bytes:
        """``<parts>`` of the contents, edition.xsl's ``$parts``."""
        return b"<parts>" + b"".join(self.contents) + b"</parts>"

    def index_entities(self) -> str:
        """edition.xsl's ``$index-entities``: the anchored entities, space-separated."""
        return " ".join(sorted(self.anchors.entities))


class Frame:
    """edition.xsl's frame in ``marker`` mode and the anchors its markers stand for.

    A build writes the frame twice, as a file of its own (kept for the next build)
    and inside the book: the first pass keeps what it wrote in a temporary file,
    which the second reads back.
    """

    def __init__(self, html: str, anchors: IndexAnchors) -> None:
        self.html = html
        self.anchors = anchors
        self._written: IO[bytes] | None = None

    def chunks(self) -> Iterator[bytes]:
        """The frame as edition.xsl writes it in ``target-counter`` mode, in pieces."""
        if self._written is not None:
            self._written.seek(0)
            yield from read_chunks(self._written)
            return
        copy = tempfile.TemporaryFile()  # noqa: SIM115 (kept with the frame, closed with it)
        for chunk in self._expanded():
            copy.write(chunk)
            yield chunk
        self._written = copy

    def _expanded(self) -> Iterator[bytes]:
        at = 0
        for m in INDEX_MARKER.finditer(self.html):
            yield self.html[at:m.start()].encode("utf-8")
            yield ", ".join(map(index_link, self.anchors.of(unquote(m.group(1))))).encode("utf-8")
            at = m.end()
        yield self.html[at:].encode("utf-8")


#: the characters :func:`index_link` writes as they are (printable ASCII but & > ")
_PLAIN = "".join(chr(c) for c in range(0x20, 0x7F))
_ESCAPED = re.compile(r'[^\x20-\x7e]|[&>"]')


def index_link(anchor: str) -> str:
    """One mention's link in an index entry, serialised as Saxon's HTML method writes
    ``<a href="#{$anchor}" class="ix-ref"/>``: the URI escaped (``escape-uri-attributes``:
    every character outside printable ASCII as UTF-8 ``%HH``), then the attribute."""
    if _ESCAPED.search(anchor) is None:  # ids of documents are NCNames, mostly ASCII
        return f'<a href="#{anchor}" class="ix-ref"></a>'
    return f'<a href="{_attribute(quote("#" + anchor, safe=_PLAIN))}" class="ix-ref"></a>'


def _attribute(value: str) -> str:
    # Saxon's HTML serialisation of an attribute value: & (but not before {), > and "
    return re.sub(r"&(?!\{)", "&amp;", value).replace(">", "&gt;").replace('"', "&#34;")


class MarkerMissing(ValueError):
    """The text :func:`replace_marker` read has no marker."""


def replace_marker(chunks: Iterable[bytes], marker: bytes,
                   insert: Callable[[], Iterable[Piece]]) -> Iterator[Piece]:
    """*chunks* with the first *marker* replaced by what *insert* yields, streamed: the
    marker may span chunks. :class:`MarkerMissing` if there is none."""
    keep = len(marker) - 1
    held = b""
    found = False
    for chunk in chunks:
        if found:
            yield chunk
            continue
        held += chunk
        at = held.find(marker)
        if at < 0:
            if len(held) > keep:
                yield held[: len(held) - keep]
                held = held[len(held) - keep:]
            continue
        yield held[:at]
        yield from insert()
        yield held[at + len(marker):]
        found = True
    if not found:
        raise MarkerMissing(marker.decode("utf-8", "replace"))
