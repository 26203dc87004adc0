"""The build's fork server (teipress.processes): its workers start with the build imported.

Each case runs in a fresh interpreter: multiprocessing keeps one fork server per process,
and the test session's may already run (started by an earlier build test).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1] / "tools"

#: a worker's own imports, and whether the server was started, as JSON on the last line
PROBE = """
import json, multiprocessing, sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import forkserver
from teipress.processes import PRELOAD, start_fork_server
{start}
running = forkserver._forkserver._forkserver_pid is not None
with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver")) as pool:
    loaded = pool.submit(eval, "sorted(__import__('sys').modules)").result()
print(json.dumps({{"running": running,
                  "worker": {{m: m in loaded for m in PRELOAD}},
                  "parent_build": "teipress.build" in sys.modules}}))
"""


def _probe(start: str) -> dict[str, object]:
    code = textwrap.dedent(PROBE.format(start=start))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(TOOLS), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_worker_of_the_server_starts_with_the_build_imported() -> None:
    result = _probe("start_fork_server()")
    assert result["running"] is True
    assert result["worker"] == {"teipress.build": True, "teipress.render.html": True,
                                "teipress.render.print_": True, "teipress.render.text": True,
                                "saxonche": True}
    # imported in the server, not in the process that builds
    assert result["parent_build"] is False


def test_without_it_a_worker_imports_the_build_itself() -> None:
    result = _probe("pass")
    assert result["running"] is False
    worker = result["worker"]
    assert isinstance(worker, dict) and worker["teipress.build"] is False and worker["saxonche"] is False


#: a build in this interpreter, then what became of its fork server, as JSON on the last line
BUILD = """
import json, sys
from multiprocessing import forkserver
from teipress.cli import cli
try:
    cli.main(["build", "--no-daemon", "-q", "-j", "2", "--format", "text", "--out", sys.argv[1]],
             prog_name="teipress", standalone_mode=False)
except SystemExit as exc:
    assert not exc.code, exc.code
server = forkserver._forkserver
print(json.dumps({"running": server._forkserver_pid is not None, "preload": server._preload_modules}))
"""


@pytest.mark.parametrize("documents", [2, 12])
def test_the_build_s_workers_start_from_the_server_with_its_modules(tmp_path: Path, documents: int) -> None:
    """A first build renders in a pool (a light one for a few documents): its fork server
    has the workers' modules imported, whichever pool started it."""
    from conftest import benchmark_synth
    from teipress.processes import PRELOAD

    corpus = benchmark_synth().generate(documents, tmp_path / "corpus", force=True)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(BUILD), str(tmp_path / "out")], cwd=corpus,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "text" / "edition.txt").is_file()
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"running": True, "preload": ["__main__", *PRELOAD]}


def test_a_build_of_a_pool_s_worth_of_documents_starts_the_server_before_it_checks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From POOL_THRESHOLD documents the build starts the server as soon as it has listed
    the sources, before the check; a smaller build leaves it to the first pool it starts
    (a caller reading the command's output through a pipe waits for the server's end)."""
    import io

    from conftest import benchmark_synth
    from teipress import build as build_module
    from teipress.build import POOL_THRESHOLD, BuildOptions, build
    from teipress.check.runner import CheckOptions
    from teipress.config import load_config
    from teipress.progress import for_stream

    events: list[str] = []
    real_check = build_module.check_files
    monkeypatch.setattr(build_module, "start_fork_server", lambda: events.append("server"))
    monkeypatch.setattr(build_module, "check_files",
                        lambda paths, *a, **k: events.append(f"check {len(paths)}") or real_check(paths, *a, **k))
    for documents in (POOL_THRESHOLD - 1, POOL_THRESHOLD):
        corpus = benchmark_synth().generate(documents, tmp_path / str(documents), force=True)
        config = load_config(corpus)
        events.clear()
        for jobs in (1, 2):
            options = BuildOptions(["text"], tmp_path / f"out-{documents}-{jobs}", jobs=jobs,
                                   check=CheckOptions.from_config(config))
            assert build(config, options, for_stream(io.StringIO(), quiet=True)).published
        authorities = len(config.authority_files())
        expected = [f"check {documents + authorities}"] * 2
        if documents >= POOL_THRESHOLD:
            expected.insert(1, "server")  # with -j 2 only
        assert events == expected
