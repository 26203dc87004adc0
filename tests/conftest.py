"""Shared test fixtures: paths into the repository and small helpers."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


def flagship_project(folder: Path, extra_config: str = "") -> Path:
    """*folder* made a project of the flagship edition: a copy of tei/ and a teipress.toml
    (sources, authorities, output "out", then *extra_config*)."""
    shutil.copytree(ROOT / "tei", folder / "tei")
    (folder / "teipress.toml").write_text(
        'sources = ["tei/*.xml"]\nauthorities = ["tei/authority/*.xml"]\noutput = "out"\n' + extra_config)
    return folder


def benchmark_synth() -> ModuleType:
    """benchmarks/synth.py (the synthetic corpus generator), imported from its file: the
    benchmarks folder is no package."""
    name = "teipress_bench_synth"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "synth.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES


# ``teipress build`` starts a build daemon after a large build (config ``daemon``); the
# suite's builds, in process and in subprocesses, start none unless a test asks for it.
os.environ["TEIPRESS_DAEMON"] = "never"
