"""Benchmark: `teipress validate` throughput (MB/s, documents/s) and where the time goes.

    python3 benchmarks/bench_validate.py                       # synthetic N=1000 + Escher
    python3 benchmarks/bench_validate.py --docs 1000,5000,10000
    python3 benchmarks/bench_validate.py --docs 1000 --no-escher --profile /tmp/validate.prof

For each synthetic corpus (benchmarks/synth.py; generated once into
/tmp/teipress-synth-N and reused) it measures, on all cores (-j, default: all):

* whole process: ``python -m teipress validate --config …`` as a subprocess
  (interpreter start, imports, pool, report), with the peak memory of the
  process tree (RSS and PSS, sampled every 200 ms);
* in process: ``teipress.check.runner.check_files`` (what the CLI calls);
* phases, one process, on the whole corpus: worker start-up (schema checker +
  Schematron compile), load (read + parse), schema (project XSD: libxml2 +
  Saxon assertions), Schematron (schema/teipress.sch), corpus checks (X rules,
  run in the parent after the pool). Phases 2-4 run in the pool, so their
  2-core wall time is about half their sum; the corpus checks are serial.

Schema + Schematron + corpus checks are all on (the project defaults). The
target is >= 5 MB/s on 2 cores. Then, unless --no-escher, the Escher letters
(--escher, default ../shared/corpora/escher-briefe; skipped with a message if
missing) with the @key mapping of benchmarks/configs/escher-briefe/teipress.toml,
--schema none and --schema tei-all (TEI All RelaxNG; its compile time is
measured separately and every worker process pays it).

Figures depend on load: the 1-minute load average is printed with each one.
"""

from __future__ import annotations

import argparse
import cProfile
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synth
from teipress.check.runner import CheckOptions, _Checker, _corpus_checks, check_files
from teipress.config import load_config
from teipress.load import load_path

MB = 1e6


def _row(label: str, seconds: float, size: int, docs: int, extra: str = "") -> None:
    print(f"  {label:<34} {seconds:8.2f} s {size / MB / seconds:7.2f} MB/s {docs / seconds:8.1f} docs/s"
          f"  load {synth.loadavg().split()[0]}{extra}", flush=True)


def run_cli(config: Path, jobs: int, schema: str | None = None) -> tuple[synth.RunStats, str]:
    """Whole-process run of the CLI; (stats, "N errors, M warnings" from its JSON report)."""
    with tempfile.TemporaryDirectory(prefix="teipress-bench-validate-") as tmp:
        report = Path(tmp) / "report.json"
        cmd = [*synth.teipress_cmd(), "validate", "--config", str(config), "--format", "json",
               "-o", str(report), "-j", str(jobs)]
        if schema:
            cmd += ["--schema", schema]
        r = synth.run_measured(cmd, cwd=config.parent)
        return r, _summary(report)


def _summary(path: Path) -> str:
    import json

    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return "?"
    s = data.get("summary", data)
    return f"{s.get('errors', '?')} errors, {s.get('warnings', '?')} warnings"


def phases(config_file: Path, sample: int | None, profile: Path | None) -> dict[str, float]:
    """Single-process time of each phase (seconds, scaled to the whole corpus when sampling)."""
    config = load_config(config_file=config_file)
    docs = config.source_files()
    auths = config.authority_files()
    files = [*docs, *auths]
    picked = files if not sample or sample >= len(files) else files[:: max(1, len(files) // sample)]
    prof = cProfile.Profile() if profile else None
    t = time.perf_counter()
    checker = _Checker(CheckOptions(schema=config.schema), config.root)
    out = {"start-up (per worker)": time.perf_counter() - t}
    load = schema = sch = 0.0
    size = 0
    if prof:
        prof.enable()
    for p in picked:
        t0 = time.perf_counter()
        doc = load_path(p, config.root)
        t1 = time.perf_counter()
        if checker.schema is not None:
            checker.schema.check(doc)
        t2 = time.perf_counter()
        if checker.schematron is not None:
            checker.schematron.check(doc)
        t3 = time.perf_counter()
        load, schema, sch, size = load + t1 - t0, schema + t2 - t1, sch + t3 - t2, size + len(doc.data)
    total = sum(p.stat().st_size for p in files)
    scale = total / size
    out["load (read+parse)"] = load * scale
    out["schema"] = schema * scale
    out["schematron"] = sch * scale
    t = time.perf_counter()
    _corpus_checks(files, config)
    out["corpus checks (serial)"] = time.perf_counter() - t
    if prof:
        prof.disable()
        prof.dump_stats(str(profile))
    return out


def bench_synthetic(n: int, jobs: int, args: argparse.Namespace) -> None:
    folder = synth.generate(n, quiet=False)
    config_file = folder / "teipress.toml"
    config = load_config(config_file=config_file)
    files = [*config.source_files(), *config.authority_files()]
    size = sum(p.stat().st_size for p in files)
    print(f"\nsynthetic N={n}: {len(files)} files ({n} documents + authorities), {size / MB:.1f} MB, "
          f"schema=project + Schematron + corpus checks, -j {jobs}")
    if not args.no_subprocess:
        r, counts = run_cli(config_file, jobs)
        _row("whole process (CLI)", r.seconds, size, n,
             f"  peak RSS {r.peak_rss / 2**20:.0f} MiB / PSS {r.peak_pss / 2**20:.0f} MiB "
             f"({r.peak_procs} procs), exit {r.returncode}: {counts}")
    if not args.no_inprocess:
        t = time.perf_counter()
        res = check_files(files, config, CheckOptions(jobs=jobs))
        el = time.perf_counter() - t
        _row("in process (check_files)", el, size, n, f"  {res.errors} errors, {res.warnings} warnings")
    if not args.no_phases:
        prof = args.profile.with_suffix(f".{n}.prof") if args.profile else None
        ph = phases(config_file, args.sample, prof)
        print(f"  phases, one process (load {synth.loadavg().split()[0]}):")
        for k, v in ph.items():
            print(f"    {k:<28} {v:7.2f} s  {v / (size / MB) * 1000:7.1f} ms/MB")
        pooled = (ph["load (read+parse)"] + ph["schema"] + ph["schematron"]) / jobs
        est = ph["start-up (per worker)"] + pooled + ph["corpus checks (serial)"]
        print(f"    model for -j {jobs}: start-up + (load+schema+schematron)/{jobs} + corpus "
              f"= {est:.2f} s -> {size / MB / est:.2f} MB/s")
        if prof:
            print(f"    cProfile of the phases written to {prof} (python3 -m pstats {prof})")


def bench_escher(escher: Path, jobs: int, args: argparse.Namespace) -> None:
    if not (escher / "data" / "briefe").is_dir():
        print(f"\nEscher corpus not found at {escher}: skipped (give --escher PATH)")
        return
    tmp = Path(tempfile.mkdtemp(prefix="teipress-bench-escher-"))
    try:
        config_file = synth.escher_config(escher, tmp)
        config = load_config(config_file=config_file)
        files = [*config.source_files(), *config.authority_files()]
        size = sum(p.stat().st_size for p in files)
        n = len(config.source_files())
        print(f"\nEscher ({escher}): {len(files)} files ({n} letters + 2 authorities), {size / MB:.1f} MB, "
              f"@key mapping, Schematron (project rules) + corpus checks, -j {jobs}")
        schemas = ["none"] if args.no_tei_all else ["none", "tei-all"]
        for schema in schemas:
            r, counts = run_cli(config_file, jobs, schema)
            _row(f"whole process --schema {schema}", r.seconds, size, n,
                 f"  peak RSS {r.peak_rss / 2**20:.0f} MiB / PSS {r.peak_pss / 2**20:.0f} MiB, "
                 f"exit {r.returncode}: {counts}")
            if schema == "tei-all":
                from teipress.check.schema import make_schema_checker

                t = time.perf_counter()
                make_schema_checker("tei-all", config.root)
                compile_s = time.perf_counter() - t
                print(f"  {'TEI All RelaxNG compile (1 proc)':<34} {compile_s:8.2f} s  (paid by each of the "
                      f"{jobs} workers, in parallel; load {synth.loadavg().split()[0]})")
                print(f"  {'  -> validation without compile':<34} {r.seconds - compile_s:8.2f} s "
                      f"{size / MB / (r.seconds - compile_s):7.2f} MB/s")
        if not args.no_phases:
            ph = phases(config_file, args.sample, None)
            print(f"  phases, one process, --schema none (load {synth.loadavg().split()[0]}):")
            for k, v in ph.items():
                print(f"    {k:<28} {v:7.2f} s  {v / (size / MB) * 1000:7.1f} ms/MB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", default="1000", help="comma-separated corpus sizes (default 1000)")
    ap.add_argument("-j", "--jobs", type=int, default=0, help="worker processes (default: all cores)")
    ap.add_argument("--escher", type=Path, default=synth.DEFAULT_ESCHER)
    ap.add_argument("--no-escher", action="store_true")
    ap.add_argument("--no-tei-all", action="store_true", help="skip the TEI All run on Escher")
    ap.add_argument("--no-subprocess", action="store_true")
    ap.add_argument("--no-inprocess", action="store_true")
    ap.add_argument("--no-phases", action="store_true")
    ap.add_argument("--sample", type=int, default=400,
                    help="documents timed per phase (scaled to the corpus; 0 = all)")
    ap.add_argument("--profile", type=Path, help="write cProfile data of the phase run (FILE.N.prof)")
    args = ap.parse_args()
    jobs = args.jobs or synth.cores()
    print(f"teipress validate benchmark: {synth.cores()} cores, -j {jobs}, load average {synth.loadavg()}, "
          f"code {synth.code_version()}")
    for n in (int(x) for x in args.docs.split(",") if x.strip()):
        bench_synthetic(n, jobs, args)
    if not args.no_escher:
        bench_escher(args.escher.resolve(), jobs, args)
    print(f"\nload average at the end: {synth.loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
