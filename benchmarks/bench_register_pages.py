"""Benchmark: memory and time of rendering persons.html, in batches and in one transform.

    python3 benchmarks/bench_register_pages.py                    # /tmp/teipress-synth-1000 (made if missing)
    python3 benchmarks/bench_register_pages.py --docs 5000
    python3 benchmarks/bench_register_pages.py --register FILE --config TOML [--page places]

Each variant runs in its own process (``--child``), whose peak PSS and RSS are
sampled from /proc every 100 ms (``synth.run_measured``); the child prints the
CPU time (all threads: Saxon's too) and wall time of the render alone:

* ``engine``: the HTML stylesheets compiled, nothing rendered (the floor);
* ``whole``: what render_edition did before the pages were batched: the whole
  register parsed for Saxon and as an lxml tree, one transform;
* ``batched``: ``HtmlFormat.render_edition(pages={page})`` from the register file,
  as the build calls it (``ctx.register`` is never parsed).

The two pages are compared byte for byte. Figures depend on what else runs on
the machine: the load average is printed with them.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import generate, loadavg, run_measured
from teipress.render.register_batches import BATCH_ENTITIES, BATCH_MENTIONS

MODES = ("engine", "whole", "batched")


def child(mode: str, register: Path, config_file: Path, page: str, out: Path, sizes: tuple[int, int]) -> None:
    import teipress
    from teipress.config import load_config
    from teipress.render import RenderContext, engine_for
    from teipress.render.html import FORMAT, REGISTER_PAGES

    config = load_config(config_file.parent, config_file)
    engine = engine_for([FORMAT])
    ctx = RenderContext(config, engine, register.read_bytes() if mode == "whole" else b"", None, "2026-11-28")
    c0, t0 = time.process_time(), time.perf_counter()
    if mode == "whole":
        ctx.register_tree  # noqa: B018  (render_edition read it first)
        html = engine.transform("html-register", ctx.register, ctx.params(
            "", kind=REGISTER_PAGES[page + ".html"], **{"teipress-version": teipress.__version__}))
        out.write_bytes(html.encode("utf-8"))
    elif mode == "batched":
        kind = REGISTER_PAGES[page + ".html"]
        html = FORMAT.register_pages(ctx, [kind], register, max_entities=sizes[0], max_mentions=sizes[1])[kind]
        out.write_bytes(html.encode("utf-8"))
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{cpu:.2f} {wall:.2f} {hwm:.0f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=1000, help="synthetic corpus size (default 1000)")
    ap.add_argument("--register", type=Path, help="a register XML file (default: the synthetic corpus's)")
    ap.add_argument("--config", type=Path, help="its teipress.toml (with --register)")
    ap.add_argument("--page", default="persons", choices=("persons", "places", "organisations"))
    ap.add_argument("--max-entities", type=int, default=BATCH_ENTITIES, help="per batch (default %(default)s)")
    ap.add_argument("--max-mentions", type=int, default=BATCH_MENTIONS, help="per batch (default %(default)s)")
    ap.add_argument("--child", nargs=4, metavar=("MODE", "REGISTER", "CONFIG", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    sizes = (args.max_entities, args.max_mentions)
    if args.child:
        mode, register, config, out = args.child
        child(mode, Path(register), Path(config), args.page, Path(out), sizes)
        return 0
    if args.register:
        register, config = args.register, args.config
        if config is None:
            ap.error("--register needs --config")
    else:
        config = generate(args.docs) / "teipress.toml"
        found = sorted((config.parent / ".teipress-cache" / "resolve").glob("register-*.xml"),
                       key=lambda p: p.stat().st_mtime)
        if not found:
            ap.error(f"no register in {config.parent}/.teipress-cache/resolve: build the corpus once "
                     f"(teipress build --config {config} --format html)")
        register = found[-1]
    data = register.read_bytes()
    print(f"register: {register} ({len(data) / 1e6:.1f} MB, {data.count(b'<r:mention ')} mentions); "
          f"page: {args.page}.html; batches of {sizes[0]} entities / {sizes[1]} mentions; "
          f"load average before: {loadavg()}")
    print(f"{'variant':<8} {'CPU s':>7} {'wall s':>7} {'peak PSS MB':>12} {'peak RSS MB':>12}")
    with tempfile.TemporaryDirectory(prefix="bench-register-pages-") as tmp:
        register = Path(tmp) / "register.xml"  # a copy: a build of the corpus may replace the cached one
        register.write_bytes(data)
        del data
        pages = {}
        for mode in MODES:
            out = Path(tmp) / f"{mode}.html"
            stats = run_measured([sys.executable, __file__, "--page", args.page, "--max-entities", str(sizes[0]),
                                  "--max-mentions", str(sizes[1]), "--child", mode, str(register), str(config),
                                  str(out)], interval=0.1)
            if stats.returncode != 0:
                print(stats.stderr, file=sys.stderr)
                return 1
            cpu, wall, _ = stats.stdout.split()
            print(f"{mode:<8} {float(cpu):>7.2f} {float(wall):>7.2f} {stats.peak_pss / 2**20:>12.0f} "
                  f"{stats.peak_rss / 2**20:>12.0f}")
            if out.exists():
                pages[mode] = out.read_bytes()
        same = pages["whole"] == pages["batched"]
        print(f"pages identical: {same} ({len(pages['batched']) / 1e6:.1f} MB); load average after: {loadavg()}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
