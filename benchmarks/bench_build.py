"""Benchmark: `teipress build` — full Escher build, one-letter rebuild, synthetic scaling.

    python3 benchmarks/bench_build.py                        # (a) + (b) + (c) with 1k,5k,10k
    python3 benchmarks/bench_build.py --docs 1000 --no-escher
    python3 benchmarks/bench_build.py --no-synthetic --escher PATH

Every build is the CLI as a subprocess (``python -m teipress build -q --summary
json``), timed whole-process, with the peak memory of the process tree sampled
every 200 ms from /proc (sum of RSS, which counts pages shared by the forked
workers once per process, and sum of PSS, which does not). The phase seconds
come from the build's own JSON summary. Output always goes to a temporary
folder; the corpus is never modified in place.

(a) Escher, full: a temporary copy of the letters and the two authority files
    (benchmarks/configs/escher-briefe/teipress.toml: @key mapping, schema none),
    ``--format html --format print --format text`` (print HTML, no PDF: only
    ``pdf``/``all`` make the PDF, see build.expand_formats), ``--force`` because
    the Escher data has dangling @key values (X001), which would otherwise stop the
    build before rendering. Targets: <= 32 s, <= 1 GiB.
(b) Escher, rebuild: the same output folder again with nothing changed, then
    after appending a space inside the first <p> of one letter of the copy.
    Target: <= 1 s. Then eight more one-letter rebuilds in the command's own process,
    the JSON and the text summary in turn: an editor's later rebuilds, each starting
    from the spare edition the one before left (the first rebuild after a full build
    has none and links every file into its staging folder).
    Then ``teipress serve --watch --force`` on the same output: seconds from saving
    one letter to the server's "Built html" line, six saves one second apart (the
    first starts the render workers, the later ones reuse them). Then the same
    one-letter rebuilds as ``teipress build`` makes them by default: the first, in
    its own process, starts the project's build daemon (``daemon = "auto"``); once
    that daemon's warm-up build is done, eight saves a second apart, each followed by
    ``teipress build`` (handed to the daemon), with the JSON and the text summary in
    turn. Last, ``--clean`` over the published edition: everything checked and
    rendered again, the previous edition and the caches moved into the trash and
    removed once the build is over. Every other build here runs with
    TEIPRESS_DAEMON=never.
(c) Synthetic corpora (benchmarks/synth.py, default 1000, 5000, 10000 documents;
    schema project): seconds per MB of source, and whether that stays within
    +-20 % of the 1k figure; for the first size also a no-op rebuild and a
    rebuild after touching one document (in place, restored afterwards). A size
    whose build would not fit in MemAvailable (at ~85 bytes of PSS per source
    byte, as measured at 5k) is skipped with a message (--ignore-memory).
    Use --snapshot when others edit the working tree: a stylesheet edit between
    two builds changes every dependency key.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synth

MB = 1e6
FORMATS = ["--format", "html", "--format", "print", "--format", "text"]


#: The builds' environment (--snapshot adds its PYTHONPATH). No build starts a daemon
#: (``teipress build`` does by default after a build of 100+ documents) but in
#: daemon_rebuilds, which measures exactly that.
ENV: dict[str, str] = {**os.environ, "TEIPRESS_DAEMON": "never"}
#: Temporary folders removed when the benchmark ends: a removal between timed builds slows
#: the next one down (see synth.settle)
LATER: list[Path] = []
#: Peak PSS of a build per byte of source, measured on the 10k synthetic corpus (20.1 GiB for 253 MB).
MEMORY_PER_SOURCE_BYTE = 85
FORCE_MEMORY = False  # set by --ignore-memory


def _available() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 1 << 62


def build(config: Path, out: Path, jobs: int, extra: list[str] | None = None) -> tuple[synth.RunStats, dict]:
    cmd = [*synth.teipress_cmd(), "build", "--config", str(config), "--out", str(out), *FORMATS,
           "-q", "--summary", "json", "-j", str(jobs), *(extra or [])]
    r = synth.run_measured(cmd, cwd=config.parent, env=ENV)
    try:
        summary = json.loads(r.stdout)
    except ValueError:
        summary = {}
        print(f"    build output not JSON (exit {r.returncode}): {r.stderr[-2000:]}")
    return r, summary


def editor_build(config: Path, out: Path, jobs: int) -> synth.RunStats:
    """``teipress build`` as an editor runs it: the text summary on standard error."""
    cmd = [*synth.teipress_cmd(), "build", "--config", str(config), "--out", str(out), *FORMATS,
           "-q", "--force", "-j", str(jobs)]
    return synth.run_measured(cmd, cwd=config.parent, env=ENV)


def serve_rebuilds(config: Path, out: Path, letters: Path, edits: int) -> tuple[list[float], int]:
    """``teipress serve --watch --force`` on *out*: seconds from saving one letter to the
    server's "Built html" line, for each of *edits* saves; and the peak PSS of the
    server's process tree (sampled every 0.2 s from the first save on)."""
    import queue
    import subprocess
    import threading
    import time

    cmd = [*synth.teipress_cmd(), "serve", "--watch", "--force", "--port", "0", "--config", str(config),
           "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=config.parent, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stderr is not None
    stderr = proc.stderr
    threading.Thread(target=lambda: [lines.put(line) for line in stderr], daemon=True).start()

    def wait_for(prefix: str, seconds: float = 600) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if lines.get(timeout=max(0.01, deadline - time.monotonic())).startswith(prefix):
                    return
            except queue.Empty:
                pass
        raise SystemExit(f"serve: no line starting {prefix!r} within {seconds} s")

    seconds: list[float] = []
    pss = 0
    try:
        wait_for("Watching")
        with synth.PeakMemory(proc.pid) as peak:
            for _ in range(edits):
                time.sleep(1.0)  # an editor's saves are seconds apart
                started = time.perf_counter()
                touch_one_letter(letters)
                wait_for("Built html")
                seconds.append(time.perf_counter() - started)
        pss = peak.pss
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return seconds, pss


def daemon_rebuilds(config: Path, out: Path, letters: Path, jobs: int, edits: int
                    ) -> tuple[synth.RunStats, list[synth.RunStats], list[synth.RunStats], int]:
    """``teipress build`` as it is by default (``daemon = "auto"``): after one letter is
    edited, a build in its own process, which starts the project's build daemon (with
    that build as its warm-up); then, once the warm-up is done, whole-process seconds of
    one-letter rebuilds handed to the daemon, alternately with the JSON summary and the
    editor's text summary; and the peak PSS of the daemon's process tree."""
    global ENV
    import time

    saved = ENV
    ENV = {k: v for k, v in ENV.items() if k != "TEIPRESS_DAEMON"}
    as_json: list[synth.RunStats] = []
    as_text: list[synth.RunStats] = []
    try:
        touch_one_letter(letters)
        first, s = build(config, out, jobs, ["--force"])
        if s.get("daemon"):
            raise SystemExit("a daemon ran already: the first build was not the command's own")
        deadline = time.monotonic() + 300
        while True:  # the command does not wait for the daemon, nor for its warm-up build
            status = synth.run_measured([*synth.teipress_cmd(), "daemon", "status", "--json", "--config",
                                         str(config)], cwd=config.parent, env=ENV)
            info = json.loads(status.stdout)
            if info.get("pid") and not info.get("warming_up"):
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"the build started no daemon, or its warm-up did not end: {info}")
            time.sleep(0.2)
        pid = int(info["pid"])
        with synth.PeakMemory(pid) as peak:
            for i in range(edits):
                time.sleep(1.0)
                touch_one_letter(letters)
                if i % 2 == 0:
                    r, s = build(config, out, jobs, ["--force"])
                    if not s.get("daemon"):
                        raise SystemExit(f"the build did not go through the daemon: {r.stderr[-2000:]}")
                    as_json.append(r)
                else:
                    as_text.append(editor_build(config, out, jobs))
        return first, as_json, as_text, peak.pss
    finally:
        synth.run_measured([*synth.teipress_cmd(), "daemon", "stop", "--config", str(config)],
                           cwd=config.parent, env=ENV)
        ENV = saved


def describe(label: str, r: synth.RunStats, s: dict, size: int | None = None,
             probe: float | None = None) -> dict[str, object]:
    phases = s.get("phases", {})
    row = {
        "run": label, "seconds": round(r.seconds, 2), "peak_rss_mib": round(r.peak_rss / 2**20),
        "peak_pss_mib": round(r.peak_pss / 2**20), "procs": r.peak_procs, "exit": r.returncode,
        "published": s.get("published"), "rendered": s.get("rendered_documents"),
        "written": s.get("files_written"), "kept": s.get("files_kept"),
        "errors": s.get("errors"), "warnings": s.get("warnings"),
        "phases": " ".join(f"{k} {v:.2f}" for k, v in phases.items()),
        "load": synth.loadavg().split()[0],
    }
    if probe is not None:  # a full build: what settle() measured of the machine's speed
        row["probe"] = round(probe, 3)
    if size:
        row["s_per_mb"] = round(r.seconds / (size / MB), 3)
    print(f"  {label:<30} {r.seconds:7.2f} s  peak RSS {row['peak_rss_mib']} MiB / PSS {row['peak_pss_mib']} MiB"
          f" ({r.peak_procs} procs)  exit {r.returncode} published={row['published']} rendered={row['rendered']}"
          f" written={row['written']} kept={row['kept']}  [{row['phases']}]  load {row['load']}"
          + (f"  cpu probe {row['probe']} s" if "probe" in row else ""), flush=True)
    return row


def touch_one_letter(folder: Path) -> tuple[Path, bytes]:
    """Append a space inside the first <p> of one letter (the middle one, by name); (path, old bytes)."""
    letters = sorted(folder.glob("*.xml"))
    for p in letters[len(letters) // 2:] + letters:
        data = p.read_bytes()
        i = data.find(b"</p>")
        if i > 0:
            p.write_bytes(data[:i] + b" " + data[i:])
            return p, data
    raise SystemExit("no letter has a <p>")


def copy_escher(escher: Path, dest: Path) -> Path:
    """A temporary copy of what the build reads (letters + the two authority files)."""
    import tomllib

    table = tomllib.loads((synth.CONFIGS / "escher-briefe" / "teipress.toml").read_text("utf-8"))
    for pattern in [*table["sources"], *table["authorities"]]:
        for src in sorted(escher.glob(pattern)):
            target = dest / src.relative_to(escher)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    return dest


def bench_escher(escher: Path, jobs: int, rows: list[dict[str, object]], keep: bool) -> None:
    if not (escher / "data" / "briefe").is_dir():
        print(f"\nEscher corpus not found at {escher}: skipped (give --escher PATH)")
        return
    tmp = Path(tempfile.mkdtemp(prefix="teipress-bench-build-escher-"))
    try:
        corpus = copy_escher(escher, tmp / "corpus")
        config = synth.escher_config(corpus, tmp / "config")
        size = sum(p.stat().st_size for p in corpus.rglob("*.xml"))
        n = len(list((corpus / "data" / "briefe").glob("*.xml")))
        out = tmp / "out"
        print(f"\n(a) Escher full build: {n} letters, {size / MB:.1f} MB, html + print (no PDF) + text, "
              f"schema none, @key mapping, --force, -j {jobs}")
        probe = synth.settle()
        r, s = build(config, out, jobs, ["--force"])
        rows.append(describe("escher full", r, s, size, probe))
        print(f"      target <= 32 s: {'met' if r.seconds <= 32 else 'MISSED'}; "
              f"<= 1 GiB: {'met' if r.peak_pss <= 2**30 else 'MISSED'} (PSS), "
              f"{'met' if r.peak_rss <= 2**30 else 'MISSED'} (RSS sum)")
        print("\n(b) Escher rebuild")
        r, s = build(config, out, jobs, ["--force"])
        rows.append(describe("escher no-op rebuild", r, s))
        touched, _ = touch_one_letter(corpus / "data" / "briefe")
        print(f"      touched {touched.name}")
        r, s = build(config, out, jobs, ["--force"])
        rows.append(describe("escher one-letter rebuild", r, s))
        print(f"      target <= 1 s: {'met' if r.seconds <= 1 else 'MISSED'}")
        # what an editor runs: the text summary (at most 20 findings per rule) instead of
        # the JSON one listing all 90,530 (44 MB)
        touch_one_letter(corpus / "data" / "briefe")
        r = editor_build(config, out, jobs)
        rows.append(describe("escher one-letter rebuild, text summary", r, {}))
        print(f"      target <= 1 s: {'met' if r.seconds <= 1 else 'MISSED'}")
        # the first rebuild after a full build has no spare edition to start from (see
        # teipress.staging); an editor's later rebuilds do
        r, s = build(config, out, jobs, ["--force"])
        rows.append(describe("escher no-op rebuild after the edit", r, s))
        # an editor's later rebuilds without a daemon (CI, --no-daemon): each starts from
        # the spare edition the one before left (the two above did not)
        no_daemon: dict[str, list[float]] = {"JSON": [], "text": []}
        for _ in range(4):
            for label in no_daemon:
                touch_one_letter(corpus / "data" / "briefe")
                r = build(config, out, jobs, ["--force"])[0] if label == "JSON" else editor_build(config, out, jobs)
                no_daemon[label].append(r.seconds)
        for label, times in no_daemon.items():
            mean = sum(times) / len(times)
            print(f"  later one-letter rebuilds without a daemon, {label} summary: "
                  + " ".join(f"{t:.2f}" for t in times) + f" s (mean {mean:.2f} s); "
                  f"target <= 1 s: {'met' if mean <= 1 else 'MISSED'}")
            rows.append({"run": f"escher later one-letter rebuilds without a daemon, {label} summary: mean (max)",
                         "seconds": f"{mean:.2f} ({max(times):.2f})", "later_seconds": [round(t, 2) for t in times],
                         "peak_rss_mib": "", "peak_pss_mib": "", "phases": "", "load": synth.loadavg().split()[0]})
        # the editor's loop: the server rebuilds the HTML edition on each save, with the
        # render workers and checker of the rebuilds before (see teipress.session)
        edits = 6
        times, pss = serve_rebuilds(config, out, corpus / "data" / "briefe", edits)
        later = times[1:]
        print(f"  serve --watch, save to published  first {times[0]:.2f} s, then "
              + " ".join(f"{t:.2f}" for t in later) + f" s (mean {sum(later) / len(later):.2f} s); "
              f"peak PSS {pss / 2**20:.0f} MiB")
        rows.append({"run": "escher serve --watch, save to published (html): first, mean of later",
                     "seconds": f"{times[0]:.2f}, {sum(later) / len(later):.2f}",
                     "later_seconds": [round(t, 2) for t in later], "peak_rss_mib": "",
                     "peak_pss_mib": round(pss / 2**20), "phases": "", "load": synth.loadavg().split()[0]})
        # the same command as it is by default: it starts a build daemon (see
        # teipress.daemon), which keeps what serve keeps, for all three formats
        first, as_json, as_text, pss = daemon_rebuilds(config, out, corpus / "data" / "briefe", jobs, 8)
        print(f"  one-letter rebuild by default, in the command's own process (starts the daemon): "
              f"{first.seconds:.2f} s")
        for label, runs in (("JSON summary", as_json), ("text summary", as_text)):
            secs = [r.seconds for r in runs]
            print(f"  one-letter rebuild with the daemon, {label}: " + " ".join(f"{t:.2f}" for t in secs)
                  + f" s (mean {sum(secs) / len(secs):.2f} s); target <= 1 s: "
                  + ("met" if max(secs) <= 1 else "MISSED"))
            rows.append({"run": f"escher one-letter rebuild with the build daemon, {label}: mean (max)",
                         "seconds": f"{sum(secs) / len(secs):.2f} ({max(secs):.2f})",
                         "peak_rss_mib": "", "peak_pss_mib": "", "phases": "",
                         "load": synth.loadavg().split()[0]})
        print(f"  the daemon's peak PSS (with its workers): {pss / 2**20:.0f} MiB")
        # everything again over the published edition (--clean: to start over, or what a
        # changed stylesheet does to every document): the previous edition and the caches
        # go into the trash, removed once the build is over (see teipress.staging.discard)
        print("  --clean build over the published edition")
        probe = synth.settle()
        r, s = build(config, out, jobs, ["--force", "--clean"])
        synth.note_removal()  # the build removes the edition it replaced as it ends
        rows.append(describe("escher --clean over the edition", r, s, size, probe))
    finally:
        if keep:
            print(f"  kept {tmp}")
        else:
            LATER.append(tmp)


def bench_synthetic(sizes: list[int], jobs: int, rows: list[dict[str, object]], rebuild: bool = True) -> None:
    print(f"\n(c) synthetic corpora, full build (html + print + text, schema project), -j {jobs}")
    per_mb: list[tuple[int, float]] = []
    for n in sizes:
        folder = synth.generate(n, quiet=False)
        size = synth.corpus_bytes(folder)
        need = size * MEMORY_PER_SOURCE_BYTE
        if need > _available() and not FORCE_MEMORY:
            print(f"  synthetic {n}: skipped, would need ~{need / 2**30:.0f} GiB "
                  f"(~{MEMORY_PER_SOURCE_BYTE} bytes per source byte measured at 5k), "
                  f"{_available() / 2**30:.0f} GiB available (--ignore-memory to run anyway)")
            continue
        out = Path(tempfile.mkdtemp(prefix=f"teipress-bench-build-synth-{n}-"))
        try:
            # --clean: the corpus folder is reused between runs, and so would be its caches
            probe = synth.settle()
            r, s = build(folder / "teipress.toml", out, jobs, ["--clean"])
            synth.note_removal()  # the caches of the run before, removed as the build ends
            row = describe(f"synthetic {n} ({size / MB:.0f} MB)", r, s, size, probe)
            rows.append(row)
            per_mb.append((n, r.seconds / (size / MB)))
            if rebuild and n == sizes[0]:
                r, s = build(folder / "teipress.toml", out, jobs)
                rows.append(describe(f"synthetic {n} no-op rebuild", r, s))
                # Touch in place (a copy elsewhere would change the project root and so miss the
                # check cache) and restore the bytes afterwards; the stamp is left alone.
                touched, original = touch_one_letter(folder / "tei")
                try:
                    r, s = build(folder / "teipress.toml", out, jobs)
                    rows.append(describe(f"synthetic {n} one-doc rebuild", r, s))
                    print(f"      touched {touched.name}; target <= 1 s: {'met' if r.seconds <= 1 else 'MISSED'}")
                finally:
                    touched.write_bytes(original)
        finally:
            LATER.append(out)
    if per_mb:
        base = per_mb[0][1]
        print(f"\n  time per MB (relative to N={per_mb[0][0]}):")
        for n, v in per_mb:
            dev = (v / base - 1) * 100
            print(f"    N={n:<6} {v:6.3f} s/MB  {dev:+6.1f} %  {'flat' if abs(dev) <= 20 else 'NOT flat (> 20 %)'}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", default="1000,5000,10000", help="synthetic corpus sizes (comma-separated)")
    ap.add_argument("-j", "--jobs", type=int, default=0, help="worker processes (default: all cores)")
    ap.add_argument("--escher", type=Path, default=synth.DEFAULT_ESCHER)
    ap.add_argument("--no-escher", action="store_true")
    ap.add_argument("--no-synthetic", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the temporary Escher copy and output")
    ap.add_argument("--json", type=Path, help="also write the table as JSON")
    ap.add_argument("--ignore-memory", action="store_true",
                    help="build synthetic corpora even when they would not fit in the available memory")
    ap.add_argument("--no-rebuild", action="store_true", help="skip the synthetic rebuilds (first size)")
    ap.add_argument("--snapshot", action="store_true",
                    help="run a frozen copy of tools/, xslt/, schema/ (others may edit the working tree "
                         "meanwhile, which would invalidate every dependency key between two builds)")
    args = ap.parse_args()
    global ENV, FORCE_MEMORY
    FORCE_MEMORY = args.ignore_memory
    snap = Path(tempfile.mkdtemp(prefix="teipress-bench-code-")) if args.snapshot else None
    if snap is not None:
        ENV = {**synth.snapshot_code(snap), "TEIPRESS_DAEMON": "never"}
        print(f"running a snapshot of the working tree's code in {snap}")
    jobs = args.jobs or synth.cores()
    print(f"teipress build benchmark: {synth.cores()} cores, -j {jobs}, load average {synth.loadavg()}, "
          f"code {synth.code_version()}")
    rows: list[dict[str, object]] = []
    if not args.no_escher:
        bench_escher(args.escher.resolve(), jobs, rows, args.keep)
    if not args.no_synthetic:
        bench_synthetic([int(x) for x in args.docs.split(",") if x.strip()], jobs, rows, not args.no_rebuild)
    print("\n| run | seconds | s/MB | peak RSS MiB | peak PSS MiB | phases (s) | load | cpu probe (s) |")
    print("|---|---:|---:|---:|---:|---|---:|---:|")
    for row in rows:
        print(f"| {row['run']} | {row['seconds']} | {row.get('s_per_mb', '')} | {row['peak_rss_mib']} | "
              f"{row['peak_pss_mib']} | {row['phases']} | {row['load']} | {row.get('probe', '')} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), "utf-8")
    print(f"\nload average at the end: {synth.loadavg()}")
    if snap is not None:
        LATER.append(snap)
    for path in LATER:  # removed at the end, not between timed builds (see synth.settle)
        synth.remove_tree(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
