"""The check cache and the resolve phase's extracts: what `teipress build` reuses between runs.

A rebuild must resolve exactly as a fresh run does (same register, same
cross-reference findings) without parsing unchanged files, notice every
content change (even one that keeps size and mtime), and survive a corrupt
or tampered cache without running anything from it.
"""

from __future__ import annotations

import os
import pickle
import shutil
import sqlite3
from pathlib import Path

import pytest

from conftest import flagship_project
from teipress.check.cache import CheckCache
from teipress.check.runner import CheckOptions, ExtractRef, check_files, extracts_by_ref
from teipress.config import Config, load_config
from teipress.load import load_path
from teipress.resolve import Corpus, build_register, check_corpus
from teipress.resolve.corpus import Extracted, key_attributes

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "xref"
MEMO2 = "1949-07-27-liu-shaoqi-stalin.xml"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return flagship_project(tmp_path)


def _options() -> CheckOptions:
    return CheckOptions(schema="none", project_rules=False, corpus=False, jobs=1)


def _cache(config: Config) -> CheckCache:
    return CheckCache(config.root / ".teipress-cache" / "check", _options(), config.root, config.keys)


def _extracted_run(config: Config) -> tuple[dict[Path, Extracted], dict[str, object]]:
    found: dict[Path, Extracted] = {}
    run = check_files([*config.source_files(), *config.authority_files()], config, _options(),
                      _cache(config), found)
    return found, run.extra


def _resolved(config: Config, docs: list[Extracted] | None = None,
              auths: list[Extracted] | None = None) -> tuple[dict[str, object], list[tuple[object, ...]]]:
    """Register (without its timestamp) and cross-reference findings, from extracts or from parsing."""
    if docs is None or auths is None:
        corpus = Corpus([load_path(p, config.root) for p in config.source_files()],
                        [load_path(p, config.root) for p in config.authority_files()], config)
    else:
        corpus = Corpus(docs, auths, config)
    found = sorted((d.path, d.line, d.col, d.code, d.message) for d in check_corpus(corpus))
    reg = build_register(corpus, config).to_dict()
    reg.pop("built")
    return reg, found


def _split(config: Config, found: dict[Path, Extracted]) -> tuple[list[Extracted], list[Extracted]]:
    return ([found[p] for p in config.source_files()], [found[p] for p in config.authority_files()])


def test_cached_extracts_resolve_exactly_like_parsed_documents(project: Path) -> None:
    config = load_config(project)
    fresh, extra = _extracted_run(config)
    assert extra["checked"] == 6
    again, extra = _extracted_run(config)
    assert extra["checked"] == 0 and extra["from_cache"] == 6
    expected = _resolved(config)
    assert _resolved(config, *_split(config, fresh)) == expected
    assert _resolved(config, *_split(config, again)) == expected
    reg, findings = expected
    assert findings == []  # the flagship edition is clean …
    assert len(reg["entities"]) > 20 and reg["notes"]  # … and its register is not empty


@pytest.mark.parametrize(("fixture", "codes"), [("errors", {"X001", "X002"}), ("keys", {"X001"})])
def test_extracts_keep_the_findings_of_a_broken_corpus(tmp_path: Path, fixture: str, codes: set[str]) -> None:
    """Dangling pointers, duplicate ids, @key mappings: same messages and positions from the cache."""
    shutil.copytree(FIXTURES / fixture, tmp_path / fixture)
    config = load_config(tmp_path / fixture)
    assert config.source_files() and config.authority_files()
    _extracted_run(config)
    cached, extra = _extracted_run(config)
    assert extra["checked"] == 0
    reg, findings = _resolved(config, *_split(config, cached))
    assert (reg, findings) == _resolved(config)
    assert {f[3] for f in findings} >= codes


def test_a_content_change_is_seen_even_when_size_and_mtime_are_kept(project: Path) -> None:
    config = load_config(project)
    _extracted_run(config)
    memo = project / "tei" / MEMO2
    data = memo.read_bytes()
    st = memo.stat()
    changed = data.replace(b"Victors are always correct.", b"Victors are always CORRECT.")
    assert changed != data and len(changed) == len(data)
    memo.write_bytes(changed)
    os.utime(memo, ns=(st.st_atime_ns, st.st_mtime_ns))
    _, extra = _extracted_run(config)
    assert extra["checked"] == 1 and extra["from_cache"] == 5


def test_a_corrupt_cache_is_a_miss_not_a_failure(project: Path) -> None:
    config = load_config(project)
    _extracted_run(config)
    cache = _cache(config)
    cache.path.write_bytes(b"this is not a database")
    found, extra = _extracted_run(config)
    assert extra["checked"] == 6 and len(found) == 6


def test_extracts_read_by_their_hashes_resolve_like_the_check_phases(project: Path) -> None:
    """The build's resolve process is sent each file's name and hash, not its extract, and
    reads the extracts from the check cache; one the cache lacks is made from its file."""
    config = load_config(project)
    found, _ = _extracted_run(config)
    expected = _resolved(config, *_split(config, found))

    def by_ref(paths: list[Path]) -> list[Extracted]:
        refs = [ExtractRef.of(found[p]) for p in paths]
        read = extracts_by_ref(refs, _cache(config), config.root, key_attributes(config))
        assert [(x.path, x.display, x.doc_id, x.sha256) for x in read] == [
            (r.path, r.display, r.doc_id, r.sha256) for r in refs]
        return read

    assert _resolved(config, by_ref(config.source_files()), by_ref(config.authority_files())) == expected
    memo = found[project / "tei" / MEMO2]
    with sqlite3.connect(_cache(config).path) as db:  # a cache that lost two rows: those files are read again
        gone = db.execute("DELETE FROM files WHERE sha IN (?, ?)",
                          (memo.sha256, found[config.authority_files()[0]].sha256)).rowcount
    assert gone == 2
    assert _cache(config).extract_blobs([memo.sha256]) == {}
    assert _resolved(config, by_ref(config.source_files()), by_ref(config.authority_files())) == expected


def test_the_names_an_extract_repeats_are_one_string_each_in_its_pickle(project: Path) -> None:
    """Elements, types, anchors, owners and surface forms repeat within a document: each is
    one string in the extract, so pickled once, and one string again when unpickled."""
    config = load_config(project)
    extract = Extracted.of(load_path(project / "tei" / MEMO2, config.root), key_attributes(config)).extract
    for read in (extract, pickle.loads(pickle.dumps(extract, protocol=pickle.HIGHEST_PROTOCOL))):
        for field in ("tag", "anchor", "form", "type", "owner"):
            seen: dict[str, str] = {}
            values = [getattr(node, field) for node in read.nodes]
            assert all(value is seen.setdefault(value, value) for value in values), field
            assert len(seen) < len(values), f"no {field} repeats in the memorandum: the test shows nothing"


class _Exploit:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch pwned",))


def test_a_tampered_cache_entry_is_refused_and_never_executed(project: Path) -> None:
    config = load_config(project)
    _extracted_run(config)
    cache = _cache(config)
    with sqlite3.connect(cache.path) as db:
        db.execute("UPDATE files SET extract = ?", (pickle.dumps(_Exploit()),))
    os.chdir(project)
    found, extra = _extracted_run(config)
    assert extra["checked"] == 0 and len(found) == 6  # findings still come from the cache …
    # … but an extract that cannot be read is made again from the file, not trusted
    assert _resolved(config, *_split(config, found)) == _resolved(config)
    assert not (project / "pwned").exists()


def test_caches_are_keyed_on_the_code_not_only_the_version(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An editable install changes results without changing the version: a code edit must
    start fresh caches (check results, extracts, resolve memo)."""
    import teipress.paths
    from teipress.resolve.memo import memo_key

    config = load_config(project)
    found, _ = _extracted_run(config)
    docs, auths = _split(config, found)
    before = (_cache(config).path, memo_key(config, docs, auths))
    real = teipress.paths.code_version()
    assert real.startswith(teipress.__version__ + "+")
    monkeypatch.setattr(teipress.paths, "code_version", lambda: real + "-edited")
    after = (_cache(config).path, memo_key(config, docs, auths))
    assert before[0] != after[0] and before[1] != after[1]
    _, extra = _extracted_run(config)
    assert extra["checked"] == 6


def test_a_fresh_database_removes_all_but_the_most_recently_used_others(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every code or schema change starts a database; the folder keeps KEEP_DATABASES of
    them (the new one and the latest others), never one in use."""
    import teipress.paths
    from teipress.check import cache as cache_module

    config = load_config(project)
    folder = config.root / ".teipress-cache" / "check"
    real = teipress.paths.code_version()
    made: list[Path] = []
    for n in range(6):  # six teipress versions, each older than the next
        monkeypatch.setattr(teipress.paths, "code_version", lambda n=n: f"{real}-{n}")
        _extracted_run(config)
        made.append(_cache(config).path)
        os.utime(made[-1], ns=(n * 10**9, n * 10**9))
    (folder / "notes.txt").write_text("not a database")
    monkeypatch.setattr(teipress.paths, "code_version", lambda: real + "-new")
    _, extra = _extracted_run(config)
    assert extra["checked"] == 6  # a fresh database: everything checked
    kept = sorted(folder.glob("*.sqlite"))
    assert len(kept) == cache_module.KEEP_DATABASES
    assert set(kept) == {_cache(config).path, *made[-(cache_module.KEEP_DATABASES - 1):]}
    assert (folder / "notes.txt").exists()
    # reopening a database in use removes nothing
    _extracted_run(config)
    assert sorted(folder.glob("*.sqlite")) == kept
