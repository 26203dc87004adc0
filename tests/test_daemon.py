"""`teipress daemon`: `teipress build` handed to a daemon that keeps a build session."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import flagship_project
from test_serve import alive, descendants

MEMO = "1949-07-27-liu-shaoqi-stalin.xml"


@pytest.fixture
def project() -> Iterator[Path]:
    """The flagship edition as a project of its own, in a short path (a Unix socket's
    name has at most 103 bytes; pytest's temporary folders come close)."""
    folder = flagship_project(Path(tempfile.mkdtemp(prefix="tpd-")))
    try:
        yield folder
    finally:
        run(folder, "daemon", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def run(cwd: Path, *args: str, epoch: str = "1700000000", unset: tuple[str, ...] = ()
        ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": epoch}
    for name in ("NO_COLOR", *unset):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "teipress", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def build_json(cwd: Path, *args: str, epoch: str = "1700000000") -> tuple[dict[str, object], str, int]:
    r = run(cwd, "build", "--format", "html", "--format", "text", "--summary", "json", *args, epoch=epoch)
    return json.loads(r.stdout), r.stderr, r.returncode


def daemon_pid(folder: Path) -> int:
    r = run(folder, "daemon", "status", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    return int(json.loads(r.stdout)["pid"])


def tree(folder: Path) -> dict[str, bytes]:
    """The files of an edition folder, but the joins' spans (stat signatures of the parts)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix != ".spans"}


def test_builds_through_the_daemon_are_the_builds_of_the_command(project: Path) -> None:
    assert run(project, "daemon", "status").returncode == 1
    started = run(project, "daemon", "start")
    assert started.returncode == 0, started.stderr
    pid = daemon_pid(project)
    sock = project / ".teipress-cache" / "daemon" / "socket"
    assert stat.S_IMODE(sock.stat().st_mode) == 0o600, "only its user may talk to the daemon"
    assert stat.S_IMODE(sock.parent.stat().st_mode) == 0o700

    summary, _, code = build_json(project)
    assert code == 0 and summary["daemon"] is True and summary["published"] is True
    alone, _, code = build_json(project, "--no-daemon", "--out", "alone")
    assert code == 0 and alone["daemon"] is False
    assert tree(project / "out") == tree(project / "alone"), "the daemon's edition is the command's"

    # an edit: one document rendered again, by the workers the first build started
    workers = descendants(pid)
    assert workers
    memo = project / "tei" / MEMO
    good = memo.read_text()
    memo.write_text(good.replace("Victors are always correct.", "Victors are always right."))
    summary, _, code = build_json(project)
    assert code == 0 and summary["daemon"] is True and summary["rendered_documents"] == 1
    assert summary["checked_documents"] == 1
    assert "Victors are always right." in (project / "out" / "html" / "memo-1949-07-27.html").read_text()
    assert workers <= descendants(pid), "the render workers were started again"

    # the editor's text summary, findings and exit status come through as the command prints them
    memo.write_text(good.replace("Victors are always correct.",
                                 '<persName ref="#pers-nobody">Victors</persName> are always correct.'))
    r = run(project, "build", "--format", "html")
    assert r.returncode == 1
    assert f"tei/{MEMO}:" in r.stderr and "error[X001]" in r.stderr and "pers-nobody" in r.stderr
    assert "Not published: validation found" in r.stderr
    assert "Victors are always right." in (project / "out" / "html" / "memo-1949-07-27.html").read_text()
    memo.write_text(good)
    r = run(project, "build", "--format", "html")
    assert r.returncode == 0 and r.stderr.rstrip().endswith("by the build daemon)"), r.stderr

    # a clean build through the daemon empties the cache but the daemon's socket
    summary, _, code = build_json(project, "--clean")
    assert code == 0 and summary["daemon"] is True and summary["checks_from_cache"] == 0
    status = json.loads(run(project, "daemon", "status", "--json").stdout)
    assert status["pid"] == pid and status["builds"] == 5

    stopped = run(project, "daemon", "stop")
    assert stopped.returncode == 0 and f"pid {pid}" in stopped.stderr
    assert not sock.exists() and not alive({pid})
    deadline = time.monotonic() + 20
    while alive(workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(workers), "a stopped daemon leaves no worker behind"
    summary, _, code = build_json(project)
    assert code == 0 and summary["daemon"] is False


def test_a_killed_daemon_leaves_builds_working(project: Path) -> None:
    assert run(project, "daemon", "start").returncode == 0
    pid = daemon_pid(project)
    os.killpg(pid, signal.SIGKILL)  # the daemon and its workers (a session of their own)
    deadline = time.monotonic() + 20
    while alive({pid}) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (project / ".teipress-cache" / "daemon" / "socket").exists(), "a killed daemon leaves its socket"
    summary, stderr, code = build_json(project)
    assert code == 0 and summary["daemon"] is False and summary["published"] is True
    assert "daemon" not in stderr
    # and a new daemon takes the stale socket's place
    assert run(project, "daemon", "start").returncode == 0
    assert daemon_pid(project) != pid
    summary, _, code = build_json(project)
    assert code == 0 and summary["daemon"] is True


def test_a_client_with_another_build_environment_builds_itself(project: Path) -> None:
    assert run(project, "daemon", "start", epoch="1").returncode == 0
    summary, stderr, code = build_json(project, epoch="2")
    assert code == 0 and summary["daemon"] is False
    assert "other values of SOURCE_DATE_EPOCH" in stderr and "building in this process" in stderr
    summary, stderr, code = build_json(project, epoch="1")
    assert code == 0 and summary["daemon"] is True


def test_an_idle_daemon_stops_by_itself(project: Path) -> None:
    assert run(project, "daemon", "start", "--idle-timeout", "0.02").returncode == 0  # 1.2 s
    pid = daemon_pid(project)
    deadline = time.monotonic() + 30
    while alive({pid}) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive({pid})
    assert not (project / ".teipress-cache" / "daemon" / "socket").exists()
    assert "idle; stopping" in (project / ".teipress-cache" / "daemon" / "log").read_text()


def test_a_daemon_whose_code_changed_stops_and_the_client_builds_itself(project: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from teipress.daemon import protocol
    from teipress.daemon.server import Daemon

    daemon = Daemon(project)
    daemon.bind()
    thread = threading.Thread(target=daemon.serve, daemon=True)
    thread.start()
    try:
        # what an upgrade (or an edit of an editable install) does to a running daemon
        monkeypatch.setattr(protocol, "code_key", lambda: "the code on disk now")
        monkeypatch.chdir(project)
        summary, stderr, code = build_json(project)
        assert code == 0 and summary["daemon"] is False
        assert "its teipress code changed since it started" in stderr
        thread.join(timeout=30)
        assert not thread.is_alive(), "a stale daemon stops"
        assert not (project / ".teipress-cache" / "daemon" / "socket").exists()
    finally:
        daemon.stopping.set()
        thread.join(timeout=30)


def test_a_project_too_deep_for_a_socket_builds_in_process(tmp_path: Path) -> None:
    deep = flagship_project(tmp_path.joinpath(*["a-long-folder-name"] * 5))
    r = run(deep, "daemon", "start")
    assert r.returncode == 1 and "too long for a Unix socket" in r.stderr
    summary, _, code = build_json(deep)
    assert code == 0 and summary["daemon"] is False and summary["published"] is True


def test_a_client_gone_mid_build_does_not_stop_the_build_writing() -> None:
    from teipress.daemon.server import client_stream

    r, w = os.pipe()
    stream = client_stream(w)
    stream.write("phase: 1/2\n")
    stream.flush()
    assert os.read(r, 100) == b"phase: 1/2\n"
    os.close(r)  # the client is gone: its end of the pipe with it
    for _ in range(1000):
        stream.write("a line the client will not see\n")
    stream.buffer.writelines([b"x" * 100_000, b"\n"])
    stream.flush()  # no BrokenPipeError
    assert stream.buffer.raw.gone  # type: ignore[attr-defined]
    stream.close()


def test_a_socket_served_by_another_user_is_not_used(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from teipress.daemon import client, protocol

    assert run(project, "daemon", "start").returncode == 0
    ours = client.connect(project)
    assert ours is not None
    ours.close()
    monkeypatch.setattr(protocol, "peer_uid", lambda sock: os.getuid() + 1)
    assert client.connect(project) is None, "our output would have gone to another user's process"
    assert "served by another user" in capsys.readouterr().err


def test_a_build_starts_the_daemon_with_itself_as_warm_up(project: Path) -> None:
    """``daemon = "always"`` (as "auto" does for a corpus of 100 documents and more): the
    command-line build starts the project's daemon, which runs the same build first, its
    output discarded; the next ``teipress build`` is the daemon's and renders nothing again."""
    config = project / "teipress.toml"
    config.write_text(config.read_text() + 'daemon = "always"\n')
    first = run(project, "build", "--format", "html", "--summary", "json", unset=("TEIPRESS_DAEMON",))
    assert first.returncode == 0 and json.loads(first.stdout)["daemon"] is False, first.stderr
    assert "Started the project's build daemon (pid" in first.stderr
    assert "by the build daemon" not in first.stderr, "the first build is the command's own"
    deadline = time.monotonic() + 120
    while True:  # the command does not wait for the daemon to listen, nor for its warm-up
        status = json.loads(run(project, "daemon", "status", "--json").stdout)
        if status.get("pid") and not status["warming_up"]:
            break
        assert time.monotonic() < deadline, f"no daemon, or its warm-up build did not end: {status}"
        time.sleep(0.1)
    pid = int(status["pid"])
    log = (project / ".teipress-cache" / "daemon" / "log").read_text()
    assert "warm-up build: exit 0" in log
    # its output is discarded: a corpus's JSON summary (44 MB for the Escher letters) is no log line
    assert "rendered_documents" not in log and "Built html" not in log, log

    summary, stderr, code = build_json(project)
    assert code == 0 and summary["daemon"] is True, stderr
    assert summary["rendered_documents"] == 2, "text was not in the warm-up build: rendered now"
    r = run(project, "build", "--format", "html")
    assert r.returncode == 0 and "0 rendered" in r.stderr and "by the build daemon" in r.stderr
    assert "Started" not in r.stderr, "a build through the daemon starts no other"
    assert daemon_pid(project) == pid


def test_no_daemon_is_started_when_the_mode_or_the_flag_says_none(project: Path) -> None:
    config = project / "teipress.toml"
    config.write_text(config.read_text() + 'daemon = "always"\n')
    r = run(project, "build", "--format", "text")  # the suite's TEIPRESS_DAEMON=never wins
    assert r.returncode == 0 and "Started" not in r.stderr
    r = run(project, "build", "--format", "text", "--no-daemon", unset=("TEIPRESS_DAEMON",))
    assert r.returncode == 0 and "Started" not in r.stderr
    assert run(project, "daemon", "status").returncode == 1, "no daemon runs"


def test_when_a_build_starts_the_daemon() -> None:
    from teipress.daemon.client import AUTO_MIN_DOCUMENTS, autostart_mode, should_autostart

    many, few = AUTO_MIN_DOCUMENTS, AUTO_MIN_DOCUMENTS - 1
    assert should_autostart("auto", many, {}) and not should_autostart("auto", few, {})
    assert not should_autostart("auto", many, {"CI": "true"}), "not in continuous integration"
    assert should_autostart("auto", many, {"CI": "false"}) and should_autostart("auto", many, {"CI": ""})
    assert should_autostart("always", 1, {"CI": "1"}) and not should_autostart("never", 10**6, {})
    assert autostart_mode("auto", {"TEIPRESS_DAEMON": "Never"}) == "never"
    assert autostart_mode("never", {"TEIPRESS_DAEMON": "bogus"}) == "never", "an unknown value is ignored"
    assert autostart_mode("always", {}) == "always"


def test_the_warm_up_makes_the_summary_the_starting_build_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The daemon's warm-up repeats the build that started it with the same kind of summary
    (its output discarded): after a JSON build the session then holds the findings' JSON, and
    the editor's first JSON rebuild encodes only the edited files' findings."""
    from teipress.commands.build import BuildParams
    from teipress.daemon import client

    asked: list[dict[str, object]] = []

    class Spawned:
        pid = 4242

    def spawn(root: Path, idle: float, warm_up: dict[str, object] | None = None) -> Spawned:
        assert warm_up is not None
        asked.append(warm_up)
        return Spawned()

    monkeypatch.setattr(client, "connect", lambda root: None)
    monkeypatch.setattr(client, "spawn", spawn)
    base = BuildParams(["html"], None, 0, False, True, None, "text", False, 20, None)
    for params in (base._replace(summary="json"), base._replace(formats=["html", "json"]), base):
        assert client.autostart(tmp_path, params, "always", 1) == 4242
    sent: list[Any] = [warm["params"] for warm in asked]
    assert [p["summary"] for p in sent] == ["json", "json", "text"]
    assert [p["formats"] for p in sent] == [["html"], ["html"], ["html"]]
    assert all(p["quiet"] is True and p["clean"] is False for p in sent)


def test_the_configuration_names_a_daemon_mode(tmp_path: Path) -> None:
    from teipress.config import ConfigError, load_config

    (tmp_path / "teipress.toml").write_text('daemon = "sometimes"\n')
    with pytest.raises(ConfigError, match="'daemon' must be one of 'auto', 'always', 'never'"):
        load_config(config_file=tmp_path / "teipress.toml")
    (tmp_path / "teipress.toml").write_text('daemon = "never"\n')
    assert load_config(config_file=tmp_path / "teipress.toml").daemon == "never"
    (tmp_path / "teipress.toml").write_text('output = "out"\n')
    assert load_config(config_file=tmp_path / "teipress.toml").daemon == "auto", "the default"
