"""The wheel carries xslt/ and schema/, and an installed teipress finds and uses them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_stylesheets_and_schemas_and_finds_them(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("teipress-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("teipress/cli.py", "teipress/_data/xslt/common.xsl", "teipress/_data/schema/teipress.xsd",
                     "teipress/_data/schema/teipress.sch", "teipress/_data/xslt/schematron/compile.xsl"):
        assert required in names, required
    assert not any(n.startswith(("tei/", "tests/", "output/")) for n in names)

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = ("import teipress.paths as p, teipress; print(teipress.__file__); "
             "print(p.data_dir('xslt')); print(p.schema_path('teipress.xsd').is_file())")
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[0].startswith(str(site))
    assert out[1] == str(site / "teipress" / "_data" / "xslt")
    assert out[2] == "True"
    # The installed package validates the flagship edition with its shipped schema and rules.
    run = subprocess.run([sys.executable, "-m", "teipress", "validate", "--config", str(ROOT / "pyproject.toml")],
                         env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
