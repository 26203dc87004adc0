"""`teipress serve --watch`: serves the HTML edition on loopback and rebuilds it on save."""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from conftest import flagship_project


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode("utf-8"))


def wait_for(lines: queue.Queue[str], pattern: str, seconds: float = 120) -> re.Match[str]:
    """The first stderr line matching *pattern*; fails (never hangs) after *seconds*."""
    deadline = time.monotonic() + seconds
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no line matching {pattern!r} within {seconds} s"
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        m = re.search(pattern, line)
        if m:
            return m


def test_serve_watch_rebuilds_after_a_source_changes(tmp_path: Path) -> None:
    flagship_project(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "teipress", "serve", "--watch", "--port", "0"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stderr is not None
    stderr = proc.stderr
    threading.Thread(target=lambda: [lines.put(line) for line in stderr], daemon=True).start()
    try:
        port = int(wait_for(lines, r"http://127\.0\.0\.1:(\d+)/").group(1))
        wait_for(lines, r"^Watching for changes")
        base = f"http://127.0.0.1:{port}/"
        assert "Memorandum of Conversation between Stalin and CCP Delegation" in fetch(base + "index.html")
        assert "Victors are always correct." in fetch(base + "memo-1949-07-27.html")

        memo = tmp_path / "tei" / "1949-07-27-liu-shaoqi-stalin.xml"
        memo.write_text(memo.read_text().replace("Victors are always correct.", "Victors are always right."))
        wait_for(lines, r"^changed: 1949-07-27-liu-shaoqi-stalin\.xml")
        wait_for(lines, r"^Built html")
        assert "Victors are always right." in fetch(base + "memo-1949-07-27.html")
        assert not (tmp_path / "out" / "print").exists(), "serve builds the HTML edition only"

        # the next save is rebuilt by the workers the first rebuild started
        workers = descendants(proc.pid)
        assert workers, "the render workers were stopped after the rebuild"
        memo.write_text(memo.read_text().replace("Victors are always right.", "Victors are always just."))
        wait_for(lines, r"^0 new findings, 0 findings gone$")
        wait_for(lines, r"^Built html")
        assert "Victors are always just." in fetch(base + "memo-1949-07-27.html")
        assert workers <= descendants(proc.pid)

        # what a save changed is printed: a finding that appeared, then one gone
        good = memo.read_text()
        memo.write_text(good.replace("Victors are always just.",
                                     '<persName ref="#pers-nobody">Victors</persName> are always just.'))
        wait_for(lines, r"^tei/1949-07-27-liu-shaoqi-stalin\.xml:\d+:\d+: error\[X001\] .*pers-nobody")
        n = int(wait_for(lines, r"^(\d+) new findings?, 0 findings gone$").group(1))
        assert n >= 1
        wait_for(lines, rf"^Not published: validation found {n} error")
        assert "Victors are always just." in fetch(base + "memo-1949-07-27.html")  # the edition before
        memo.write_text(good)
        wait_for(lines, rf"^0 new findings, {n} findings? gone$")
        wait_for(lines, r"^Built html")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    # a terminated server leaves no worker behind
    deadline = time.monotonic() + 20
    while alive(workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(workers)


def descendants(pid: int) -> set[int]:
    """The processes started by *pid*, directly or not (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of *pids* still running (a zombie has ended)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.add(pid)
    return running


def test_a_finding_that_moved_is_neither_new_nor_gone() -> None:
    from teipress.commands.serve import _changes
    from teipress.diagnostics import Diagnostic, Severity

    def finding(line: int, message: str, path: str = "a.xml") -> Diagnostic:
        return Diagnostic(path, line, 1, "X001", Severity.ERROR, message)

    same, moved, fixed, twice = finding(1, "same"), finding(5, "moved"), finding(9, "fixed"), finding(3, "twice")
    before = [same, moved, fixed, twice]
    new = finding(2, "new")
    now = [same, finding(7, "moved"), twice, finding(4, "twice"), new]
    appeared, gone = _changes(before, now)
    assert [d.message for d in appeared] == ["twice", "new"] and gone == 1  # "fixed"
    assert _changes(now, now) == ([], 0)
    assert _changes(before, [finding(1, "same", "b.xml")]) == ([finding(1, "same", "b.xml")], 4)
