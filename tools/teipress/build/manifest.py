"""What a published edition folder holds (:class:`Manifest`, ``.teipress-manifest.json``:
each document's and edition page's key and files), and how a build puts the files of
unchanged documents and pages into its staging folder (:class:`Carry`): already there
in the spare edition it starts from, else hard-linked from the published one."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from teipress import __version__
from teipress.splice import Signature, file_signature
from teipress.staging import (
    discard,
    link_all,
    sweep,
    take_spare,
    write_new,
)

MANIFEST = ".teipress-manifest.json"

#: Folders of the build's cache: the previous editions kept (see teipress.staging), what is being removed.
SPARES, TRASH = "spare", "trash"


@dataclass
class Manifest:
    """What a published format folder contains and what each part was built from.

    ``documents``: doc id -> ``{"key", "files", "facts"}``; ``edition``: page name ->
    ``{"key", "files"}``. ``edition_files`` (all edition pages' files) is written too,
    for readers that only want to know what the folder holds.
    """

    env: str = ""
    register: str = ""
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    edition: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def edition_files(self) -> list[str]:
        return [f for _, page in sorted(self.edition.items()) for f in page["files"]]

    @classmethod
    def read(cls, folder: Path, kept: ManifestMemory | None = None) -> Manifest:
        """The manifest of *folder* (empty if it has none or it is damaged); from *kept*
        (a session's) when the file is the one a build of the session wrote."""
        path = folder / MANIFEST
        sig = file_signature(path) if kept is not None else None
        if kept is not None and sig is not None and sig in kept:
            return kept[sig]
        try:
            data = orjson.loads(path.read_bytes())
            edition = data.get("edition", {})
            if not isinstance(edition, dict):
                edition = {}
            return cls(data["env"], data["register"], data["documents"], edition)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls()

    def write(self, folder: Path, kept: ManifestMemory | None = None) -> None:
        """Write the manifest into *folder*; *kept* (a session's) remembers it under the
        file's signature, which publishing (a rename) does not change, so the next two
        builds (published edition, then spare) read it without parsing.

        Never changed once written: a build makes new records, and shares the unchanged
        ones of the manifest before.
        """
        payload = {"teipress": __version__, "env": self.env, "register": self.register,
                   "documents": self.documents, "edition": self.edition,
                   "edition_files": self.edition_files}
        write_new(folder / MANIFEST, orjson.dumps(payload, option=orjson.OPT_SORT_KEYS))
        if kept is not None:
            sig = file_signature(folder / MANIFEST)
            if sig is not None:
                kept[sig] = self
                while len(kept) > KEPT_MANIFESTS:
                    del kept[next(iter(kept))]


#: A session's manifests by file signature (see Manifest.write)
ManifestMemory = dict[Signature, Manifest]

#: Manifests a session keeps: three formats' published and spare editions
KEPT_MANIFESTS = 8


class Carry:
    """Puts the files of a format's unchanged documents and pages into its staging folder.

    The folder starts from the format's spare, the edition published before the last
    one (see :mod:`teipress.staging`), when there is one: a document whose record in
    the spare's manifest is the one kept now has its files there already (about a
    quarter of a second saved per 10,000 files of a one-document rebuild). Others are
    hard-linked from the published folder. A spare that differs from the published
    edition in most documents (the build before changed them all: new stylesheets, a
    new register) is not used: replacing most of its files costs several times what
    linking them into an empty folder does.
    """

    def __init__(self, published: Path, manifest: Manifest, staged: Path, cache_dir: Path, name: str,
                 kept: ManifestMemory | None = None) -> None:
        self.published, self.staged = os.fspath(published), os.fspath(staged)
        self.present = take_spare(cache_dir / SPARES / name, staged)
        self.spare = Manifest.read(staged, kept) if self.present is not None else Manifest()
        if self.present is not None and not self._mostly_current(manifest):
            discard(staged, cache_dir / TRASH)
            self.present, self.spare = None, Manifest()

    def _mostly_current(self, manifest: Manifest) -> bool:
        """Whether the spare holds the published record of at least half the documents."""
        held = self.spare.documents
        same = sum(1 for doc_id, record in manifest.documents.items() if held.get(doc_id) == record)
        return 2 * same >= len(manifest.documents)

    def document(self, doc_id: str, prev: dict[str, Any], linked: list[str]) -> bool:
        """The files of document *doc_id* as *prev* (its published record) lists them;
        False if one is missing (the document is then rendered again)."""
        return self._in_spare(self.spare.documents.get(doc_id), prev) or self._link(prev, linked)

    def page(self, page: str, prev: dict[str, Any], linked: list[str]) -> bool:
        """The files of edition page *page*, as :meth:`document`."""
        return self._in_spare(self.spare.edition.get(page), prev) or self._link(prev, linked)

    def _in_spare(self, spared: dict[str, Any] | None, prev: dict[str, Any]) -> bool:
        return (spared == prev and self.present is not None
                and all(rel in self.present for rel in prev["files"]))

    def _link(self, prev: dict[str, Any], linked: list[str]) -> bool:
        return link_all(self.published, self.staged, prev["files"], linked)

    def sweep(self, manifest: Manifest) -> None:
        """Remove what the spare held that the new edition (*manifest*) does not."""
        if self.present:
            wanted = {MANIFEST, *manifest.edition_files}
            for record in manifest.documents.values():
                wanted.update(record["files"])
            sweep(Path(self.staged), self.present, wanted)
