"""Source patterns list what glob would, with fewer system calls in the common case."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

from teipress.config import _matches


def _reference(pattern: str) -> list[tuple[str, bool]]:
    return [(m, os.path.islink(m)) for m in sorted(glob.glob(pattern, recursive=True)) if os.path.isfile(m)]


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    for name in ("b.xml", "a.xml", "c.txt", ".hidden.xml", "sub/d.xml", "A.XML"):
        (folder / name).write_text("<TEI/>")
    (folder / "dir.xml").mkdir()
    (folder / "link.xml").symlink_to(folder / "a.xml")
    (folder / "dirlink.xml").symlink_to(folder / "sub")
    (folder / "broken.xml").symlink_to(folder / "nowhere.xml")
    return folder


@pytest.mark.parametrize("pattern", ["*.xml", ".*.xml", "*", "a.xml", "nowhere.xml", "[ab].xml",
                                     "sub/*.xml", "*/*.xml", "**/*.xml", "missing/*.xml"])
def test_patterns_match_what_glob_matches(corpus: Path, pattern: str) -> None:
    full = os.path.join(corpus, pattern)
    assert _matches(full) == _reference(full)


def test_the_common_pattern_finds_files_and_links_but_no_folders_or_hidden_files(corpus: Path) -> None:
    found = {os.path.basename(m): link for m, link in _matches(os.path.join(corpus, "*.xml"))}
    assert found == {"a.xml": False, "b.xml": False, "link.xml": True}


def test_a_listing_again_gives_the_same_paths_and_sees_every_change(corpus: Path) -> None:
    """The paths of a folder's files are given out again (their hashes are computed
    once), and the listing is the folder as it is now."""
    from teipress.config import Config

    config = Config(root=corpus, sources=["*.xml"])
    first = config.source_files()
    assert [p.name for p in first] == ["a.xml", "b.xml"]  # link.xml is a.xml (listed once)
    (corpus / "b.xml").unlink()
    (corpus / "e.xml").write_text("<TEI/>")
    (corpus / "link.xml").unlink()
    (corpus / "link.xml").write_text("<TEI/>")  # a link become a file
    second = config.source_files()
    assert second == sorted(second) and [p.name for p in second] == ["a.xml", "e.xml", "link.xml"]
    assert second[0] is first[0]
    assert second == [corpus.resolve() / n for n in ("a.xml", "e.xml", "link.xml")]
