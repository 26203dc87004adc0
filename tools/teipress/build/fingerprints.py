"""What a document's pages depend on besides its source: the environment key (teipress's
code, the stylesheets, the configuration) and, from the register's index, the register
records each page shows (its part of the key) and the slice of the register the page is
rendered from (:class:`RegisterSlices`). A build compares these keys with the manifest's
to decide what to render again."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable
from pathlib import Path

from teipress import paths
from teipress.config import Config
from teipress.render.keys import KeyBuilder, LazyRegister
from teipress.render.register_index import RegisterIndex

#: Slices found by scanning the register before its index is read (see RegisterSlices.slice_xml).
SLICE_SCANS = 8


def _tree_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(p.relative_to(folder).as_posix().encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def environment_key(config: Config, fmt: str) -> str:
    """Hash of everything besides the sources that a format's output depends on."""
    return environment_keys(config, [fmt])[fmt]


def environment_keys(config: Config, formats: Iterable[str]) -> dict[str, str]:
    """:func:`environment_key` of each of *formats*, the stylesheets and configuration
    read and hashed once for all of them."""
    code = paths.code_version().encode()
    stylesheets = _tree_hash(paths.data_dir("xslt")).encode()
    settings = json.dumps(config.raw, sort_keys=True, default=str).encode()
    return {fmt: hashlib.sha256(code + fmt.encode() + stylesheets + settings).hexdigest() for fmt in formats}


class RegisterSlices(LazyRegister):
    """Per-document dependency keys and register slices, from the register's index.

    A document's pages show its own record (not its content hash: the source
    hash is keyed separately; not its position either), its neighbours' labels
    (prev/next: id, title, date), the edition record, the entities it points at or mentions
    (without their mention lists), its pointer resolutions and note labels. Not
    the number of documents nor a position: a document added or removed then
    changes the pages of its neighbours only, where "Document 3 of 12" on every
    page had every document of every format rendered again (the Escher letters:
    40 s). The register part of the key is the same for every format, so it is
    computed once per document.
    """

    def __init__(self, register_xml: bytes | Path, parts: dict[str, str] | None = None) -> None:
        super().__init__(register_xml)
        #: doc id -> register part; given when the previous build's resolve results are reused
        self.parts: dict[str, str] = dict(parts or {})
        self._shared: str | None = None
        self._data: bytes | None = None
        self._scans = 0
        self._env_keys: dict[str, KeyBuilder] = {}

    def register_part(self, doc_id: str) -> str:
        """The hash of the register records the document's pages show (see the class doc)."""
        part = self.parts.get(doc_id)
        if part is None:
            ix = self.index
            if self._shared is None:
                self._shared = KeyBuilder(ix.edition_digest).hexdigest()
            rec = ix.docs.get(doc_id)
            h = KeyBuilder(self._shared, rec.record if rec is not None else b"-")
            if rec is not None:
                h.add(_label(ix, rec.prev)).add(_label(ix, rec.next))
            for ent_id in sorted(ix.entities_of.get(doc_id, ())):
                ent = ix.entities.get(ent_id)
                h.add(ent_id).add(ent.digest if ent is not None else hashlib.sha256().digest())
            h.add_all(ix.pointers_of.get(doc_id, ()))
            h.add_all(ix.notes_of.get(doc_id, ()))
            part = self.parts[doc_id] = h.hexdigest()
        return part

    def key(self, doc_id: str, source_sha: str, env: str) -> str:
        """``KeyBuilder(env, source_sha, register part)``, from a copy of the builder fed *env*
        (a rebuild computes a key per document and format: 15,000 for the Escher letters)."""
        start = self._env_keys.get(env)
        if start is None:
            start = self._env_keys[env] = KeyBuilder(env)
        return start.copy().add(source_sha).add(self.register_part(doc_id)).hexdigest()

    def slice_xml(self, doc_id: str) -> bytes:
        """The register as one document's pages see it (:meth:`RegisterIndex.slice_xml`):
        the records the key covers, so a page rendered from its slice is the page
        rendered from the whole register (tests/test_build.py compares them), and small:
        a transform's cost grows with the size of the register it is given.

        From the index when it is built (a pool of documents); otherwise (an edit: a
        document or two) from the records found for this document alone, which scans
        the register's bytes. From the ninth document on the index is read instead: a
        reused resolve with every document to render (a stylesheet changed) scanned
        the register once per document (Escher: 50 ms each, against 0.9 s for the index).
        """
        if self._index is not None or self._shares is not None or self._scans >= SLICE_SCANS:
            return self.index.slice_xml(doc_id)
        self._scans += 1
        if self._data is None:
            self._data = self._xml if isinstance(self._xml, bytes) else self._xml.read_bytes()
        return RegisterIndex.read_for(self._data, [doc_id]).slice_xml(doc_id)


def _label(ix: RegisterIndex, doc_id: str) -> bytes:
    """What a link to a neighbour shows (id, title, date), not its own links: a document
    added after the next one changes the next one's record, not this document's page."""
    rec = ix.docs.get(doc_id) if doc_id else None
    return rec.label if rec is not None else b"-"


def register_size(register: bytes | Path) -> int:
    """The register's size in bytes: what decides whether its readers run side by side
    (a file that cannot be read counts as larger than any limit)."""
    if isinstance(register, bytes):
        return len(register)
    try:
        return register.stat().st_size
    except OSError:
        return sys.maxsize
