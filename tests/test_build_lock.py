"""One build of a project at a time (teipress.build_lock)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import flagship_project
from teipress.build_lock import LOCK_NAME, exclusive_build


def test_a_second_holder_is_told_who_holds_the_lock_and_waits(tmp_path: Path) -> None:
    said: list[str] = []
    acquired = threading.Event()

    def second() -> None:
        with exclusive_build(tmp_path, said.append):
            acquired.set()

    with exclusive_build(tmp_path, said.append):
        assert said == []
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)
        assert not acquired.is_set(), "the second build went on while the first held the lock"
        assert said == [f"waiting for another build of this project (process {os.getpid()}) to finish"]
    thread.join(10)
    assert acquired.is_set()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from teipress.build_lock import exclusive_build\n"
         "with exclusive_build(Path(sys.argv[1]), print):\n print('held', flush=True); time.sleep(600)",
         str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        said: list[str] = []
        done = threading.Event()

        def take() -> None:
            with exclusive_build(tmp_path, said.append):
                done.set()

        thread = threading.Thread(target=take)
        thread.start()
        time.sleep(0.3)
        assert not done.is_set() and said and f"process {holder.pid}" in said[0]
        holder.send_signal(signal.SIGKILL)
        thread.join(10)
        assert done.is_set(), "the lock of a killed build was not released"
    finally:
        holder.kill()
        holder.wait()


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return flagship_project(tmp_path)


def test_teipress_build_waits_for_the_build_in_progress(project: Path) -> None:
    cache = project / ".teipress-cache"
    env = {**os.environ, "TEIPRESS_DAEMON": "never"}
    with exclusive_build(cache, lambda _: None):
        proc = subprocess.Popen([sys.executable, "-m", "teipress", "build", "--format", "text"], cwd=project,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert proc.poll() is None, "the build did not wait"
        assert not (project / "out" / "text").exists()
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert f"teipress: waiting for another build of this project (process {os.getpid()}) to finish" in stderr
    assert (project / "out" / "text" / "memo-1949-07-27.txt").is_file()


def test_a_clean_build_keeps_the_lock_it_holds(project: Path) -> None:
    """``--clean`` moves the cache's contents away, but not the lock file: moved, the next
    build would lock a new file while this one still held the old."""
    env = {**os.environ, "TEIPRESS_DAEMON": "never"}
    cmd = [sys.executable, "-m", "teipress", "build", "--format", "text"]
    assert subprocess.run(cmd, cwd=project, env=env, capture_output=True).returncode == 0
    lock = project / ".teipress-cache" / LOCK_NAME
    inode = lock.stat().st_ino
    assert subprocess.run([*cmd, "--clean"], cwd=project, env=env, capture_output=True).returncode == 0
    assert lock.stat().st_ino == inode
