"""Benchmark and robustness run of the HTML edition on a real corpus.

    python benchmarks/bench_html.py [--corpus DIR] [--limit N] [--workers 2] [--check] [--edition]

Renders every document of the corpus (default: the Escher letters in
../shared/corpora/escher-briefe/data/briefe, 5,019 real TEI files) through the public
render API, as ``teipress build --format html`` does: the register is built once by
the resolve phase, then a multiprocessing pool of ``--workers`` processes (2 by default,
"HTML on 2 cores"), each with its own compiled engine, calls ``render_document`` per
document. Prints documents/s and MB/s (MB of TEI input over the wall-clock time of
the render phase, engine compilation in the workers included).

With ``--edition`` it then times ``render_edition`` on its own (one process, as the
build runs it): index, register pages, chronology, bibliography, search page and the
search index extracted from every rendered page. The workers then write their pages
into a temporary folder for it; that write is part of the render phase's time, so the
MB/s of such a run are not comparable with a plain one.

With ``--check`` it is also the robustness run: every document must render without
error, and every non-blank text node of ``tei:text`` must occur in the page's visible
text. Failures are listed; the exit status is 1 if there are any.

Not a test: the corpus lives outside the repository and is never a test dependency.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import lxml.html
from lxml import etree

from teipress import TEI_NS
from teipress.config import Config
from teipress.load import load_path
from teipress.render import RenderContext, engine_for
from teipress.render.html import FORMAT
from teipress.resolve import Corpus, build_register

DEFAULT_CORPUS = (Path(__file__).resolve().parents[1].parent
                  / "shared" / "corpora" / "escher-briefe" / "data" / "briefe")

_ctx: RenderContext | None = None
_check = False
_out: Path | None = None


def _context(root: str, register: bytes) -> RenderContext:
    config = Config(root=Path(root))
    engine = engine_for([FORMAT])
    return RenderContext(config, engine, register, etree.fromstring(register), "2026-01-01")


def _init(root: str, register: bytes, check: bool, out: str) -> None:
    global _ctx, _check, _out
    _ctx = _context(root, register)
    _check = check
    _out = Path(out) if out else None


def _norm(s: str) -> str:
    return " ".join(s.split())


_PHASES = ("load", "saxon-parse", "transform", "write")


def _render(path: str) -> tuple[str, int, int, str, list[str], list[float]]:
    """(display, bytes in, bytes out, error, lost text nodes, CPU s per phase) for one document.

    CPU time (not wall time) per phase, so the profile means the same on a busy machine.
    """
    assert _ctx is not None
    cpu = time.process_time
    t0 = cpu()
    doc = load_path(Path(path), _ctx.config.root)
    t1 = cpu()
    if not doc.ok:
        return doc.display, 0, 0, "did not load", [], [t1 - t0, 0.0, 0.0, 0.0]
    try:
        node = _ctx.engine.parse(doc.data)
        t2 = cpu()
        files = FORMAT.render_document(_ctx, doc, node)
        t3 = cpu()
    except Exception as exc:
        return doc.display, len(doc.data), 0, str(exc).splitlines()[0][:200], [], [t1 - t0, 0.0, 0.0, 0.0]
    out = sum(len(f.data) for f in files)
    if _out is not None:
        (_out / files[0].relpath).write_bytes(files[0].data)
    t4 = cpu()
    lost: list[str] = []
    if _check:
        page: Any = lxml.html.fromstring(files[0].data)
        main: Any = page.xpath("//main")[0]
        shown = _norm(main.text_content())
        text = doc.root.find(f"{{{TEI_NS}}}text")
        if text is not None:
            for t in text.itertext():
                n = _norm(str(t))
                if n and n not in shown:
                    lost.append(n)
    return doc.display, len(doc.data), out, "", lost, [t1 - t0, t2 - t1, t3 - t2, t4 - t3]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--limit", type=int, default=0, help="first N files only (0 = all)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--check", action="store_true", help="robustness run: no error, no text lost")
    ap.add_argument("--show", type=int, default=10, help="problems to list")
    ap.add_argument("--edition", action="store_true",
                    help="also time render_edition (the workers write their pages for it)")
    args = ap.parse_args(argv)

    paths = sorted(args.corpus.glob("*.xml"))
    if args.limit:
        paths = paths[: args.limit]
    if not paths:
        print(f"no *.xml in {args.corpus}", file=sys.stderr)
        return 2

    t0 = time.perf_counter()
    docs = [load_path(p, args.corpus) for p in paths]
    ok = [d for d in docs if d.ok]
    config = Config(root=args.corpus)
    register = build_register(Corpus(ok, [], config), config).to_xml_bytes()
    t_resolve = time.perf_counter() - t0
    del docs

    with tempfile.TemporaryDirectory(prefix="teipress-bench-html-") as tmp:
        out = tmp if args.edition else ""
        t0 = time.perf_counter()
        results: list[Any] = []
        with mp.get_context("spawn").Pool(args.workers, initializer=_init,
                                          initargs=(str(args.corpus), register, args.check,
                                                    out)) as pool:
            results = pool.map(_render, [str(p) for p in paths], chunksize=32)
        wall = time.perf_counter() - t0
        t_edition = 0.0
        edition_files = 0
        if args.edition:
            ctx = _context(str(args.corpus), register)
            t0 = time.perf_counter()
            edition = FORMAT.render_edition(ctx, ok, Path(tmp))
            t_edition = time.perf_counter() - t0
            edition_files = len(edition)
    del ok

    mb_in = sum(r[1] for r in results) / 1e6
    mb_out = sum(r[2] for r in results) / 1e6
    errors = [(r[0], r[3]) for r in results if r[3]]
    lost = [(r[0], t) for r in results for t in r[4]]
    rendered = len(results) - len(errors)
    print(f"corpus        {args.corpus}")
    print(f"documents     {rendered} of {len(results)} rendered, {len(errors)} errors; "
          f"{mb_in:.1f} MB TEI in, {mb_out:.1f} MB HTML out")
    print(f"load+resolve  {t_resolve:.1f} s (not counted)")
    print(f"throughput    {len(results) / wall:.0f} documents/s, {mb_in / wall:.2f} MB/s "
          f"({args.workers} workers, wall clock {wall:.1f} s incl. compiling)")
    cpu = [sum(r[5][i] for r in results) for i in range(len(_PHASES))]
    total = sum(cpu)
    print(f"worker CPU    {total:.1f} s in render calls = {mb_in / total:.2f} MB/s per core, "
          f"{mb_in / total * args.workers:.2f} MB/s on {args.workers} idle cores "
          f"(load average now {os.getloadavg()[0]:.1f})")
    print("  " + ", ".join(f"{name} {t:.1f} s ({t / total:.0%})" for name, t in zip(_PHASES, cpu, strict=True)))
    if args.edition:
        print(f"edition pages {t_edition:.1f} s for {edition_files} files (render_edition, "
              f"1 process, after the documents; not in the MB/s)")
    if args.check:
        print(f"robustness    {len(lost)} text nodes lost")
    for where, what in (errors + lost)[: args.show]:
        print(f"  {where}: {what[:120]!r}")
    return 1 if errors or (args.check and lost) else 0


if __name__ == "__main__":
    sys.exit(main())
