"""Shared test fixtures: paths into the repository and small helpers."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

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


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES


# ``teipress build`` starts a build daemon after a large build (config ``daemon``); the
# suite's builds, in process and in subprocesses, start none unless a test asks for it.
os.environ["TEIPRESS_DAEMON"] = "never"
