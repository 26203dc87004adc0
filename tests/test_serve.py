"""`teipress serve --watch`: serves the HTML edition on loopback and rebuilds it on save."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode("utf-8"))


def test_serve_watch_rebuilds_after_a_source_changes(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "tei", tmp_path / "tei")
    (tmp_path / "teipress.toml").write_text(
        'sources = ["tei/*.xml"]\nauthorities = ["tei/authority/*.xml"]\noutput = "out"\n')
    proc = subprocess.Popen([sys.executable, "-m", "teipress", "serve", "--watch", "--port", "0"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        port = None
        deadline = time.monotonic() + 180
        while port is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            port = int(m.group(1)) if m else None
        assert port, "server did not start"
        base = f"http://127.0.0.1:{port}/"
        assert "Memorandum of Conversation between Stalin and CCP Delegation" in fetch(base + "index.html")
        page = fetch(base + "memo-1949-07-27.html")
        assert "Victors are always correct." in page

        memo = tmp_path / "tei" / "1949-07-27-liu-shaoqi-stalin.xml"
        memo.write_text(memo.read_text().replace("Victors are always correct.", "Victors are always right."))
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if line.startswith("Built"):
                break
        assert "Victors are always right." in fetch(base + "memo-1949-07-27.html")
        assert not (tmp_path / "out" / "print").exists(), "serve builds the HTML edition only"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
