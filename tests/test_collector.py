"""teipress.collector: the cyclic collector paused where a build holds its largest heap."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import pytest

from teipress import collector
from teipress import resolve as resolve_module
from teipress.build import BuildOptions, resolve_phase
from teipress.build.resolve_phase import _findings_apart, _register_apart
from teipress.check.cache import CheckCache
from teipress.check.runner import ExtractRef, check_files
from teipress.config import load_config

ROOT = Path(__file__).resolve().parents[1]


def test_paused_stops_automatic_collection_and_gives_it_back() -> None:
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():  # nested: still paused, and not resumed by the inner block
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector.paused():
        raise RuntimeError("a failed step")
    assert gc.isenabled()
    gc.disable()  # turned off by the host program: left off
    try:
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_resolve_process_works_with_the_collector_paused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The resolve process (a new interpreter, untouched by the command's tuning) builds the
    corpus model with the collector paused, and leaves it running afterwards."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "tei", project / "tei")
    config = load_config(ROOT)
    config.root = project
    config.sources = ["tei/*.xml"]
    config.authorities = ["tei/authority/*.xml"]
    options = BuildOptions(formats=["html"], out=project / "out")
    options.check.corpus = False
    cache = CheckCache(project / ".teipress-cache" / "check", options.check, config.root, config.keys)
    extracts: dict = {}
    check_files([*config.source_files(), *config.authority_files()], config, options.check, cache, extracts)
    seen: list[tuple[str, bool]] = []
    write, check = resolve_phase._write_register, resolve_module.check_corpus

    def watched_write(*args: object, **kwargs: object) -> object:
        seen.append(("register", gc.isenabled()))
        return write(*args, **kwargs)  # type: ignore[arg-type]

    def watched_check(*args: object, **kwargs: object) -> object:
        seen.append(("checks", gc.isenabled()))
        return check(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(resolve_phase, "_write_register", watched_write)
    monkeypatch.setattr(resolve_module, "check_corpus", watched_check)
    kept = _register_apart(config, cache, [ExtractRef.of(extracts[p]) for p in config.source_files()],
                           [ExtractRef.of(extracts[p]) for p in config.authority_files()], False,
                           project / ".teipress-cache" / "resolve")
    assert seen == [("register", False)] and gc.isenabled()
    rows = _findings_apart()
    assert seen == [("register", False), ("checks", False)] and gc.isenabled()
    assert kept is not None and kept[0].is_file() and rows == []  # the flagship edition has no findings
    with pytest.raises(RuntimeError, match="step one"):  # the model was let go with its findings
        _findings_apart()


def test_the_resolve_process_runs_without_the_collector_from_start_to_end() -> None:
    """Made for one resolve, the process never resumes the collector: resumed after the
    register, its first collection walked the whole corpus model."""
    with resolve_phase.resolve_process() as child:
        assert child.submit(gc.isenabled).result() is False
        assert child.submit(gc.collect).result() >= 0  # a task between the two steps
        assert child.submit(gc.isenabled).result() is False  # still off for the second
    assert gc.isenabled()  # this process's own collector untouched
    # (inside it, the steps' collector.paused() blocks leave it off: see the first test)
