"""Benchmark and robustness run of the HTML edition on a real corpus.

    python benchmarks/bench_html.py [--corpus DIR] [--limit N] [--workers 2] [--check]

Renders every document of the corpus (default: the Escher letters in
../shared/corpora/escher-briefe/data/briefe, 5,019 real TEI files) through the public
render API, as ``teipress build --format html`` does: the register is built once by
the resolve phase, then a multiprocessing pool of ``--workers`` processes (2 by default,
"HTML on 2 cores"), each with its own compiled engine, calls ``render_document`` per
document. Prints documents/s and MB/s (MB of TEI input over the wall-clock time of
the render phase, engine compilation in the workers included).

With ``--check`` it is also the robustness run: every document must render without
error, and every non-blank text node of ``tei:text`` must occur in the page's visible
text. Failures are listed; the exit status is 1 if there are any.

Not a test: the corpus lives outside the repository and is never a test dependency.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
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


def _init(root: str, register: bytes, check: bool) -> None:
    global _ctx, _check
    config = Config(root=Path(root))
    engine = engine_for([FORMAT])
    _ctx = RenderContext(config, engine, register, etree.fromstring(register), "2026-01-01")
    _check = check


def _norm(s: str) -> str:
    return " ".join(s.split())


def _render(path: str) -> tuple[str, int, int, str, list[str]]:
    """(display, bytes in, bytes out, error, lost text nodes) for one document."""
    assert _ctx is not None
    doc = load_path(Path(path), _ctx.config.root)
    if not doc.ok:
        return doc.display, 0, 0, "did not load", []
    try:
        files = FORMAT.render_document(_ctx, doc, _ctx.engine.parse(doc.data))
    except Exception as exc:
        return doc.display, len(doc.data), 0, str(exc).splitlines()[0][:200], []
    out = sum(len(f.data) for f in files)
    lost: list[str] = []
    if _check:
        page = lxml.html.fromstring(files[0].data)
        main = page.xpath("//main")[0]
        shown = _norm(main.text_content())
        text = doc.root.find(f"{{{TEI_NS}}}text")
        if text is not None:
            for t in text.itertext():
                n = _norm(t)
                if n and n not in shown:
                    lost.append(n)
    return doc.display, len(doc.data), out, "", lost


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--limit", type=int, default=0, help="first N files only (0 = all)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--check", action="store_true", help="robustness run: no error, no text lost")
    ap.add_argument("--show", type=int, default=10, help="problems to list")
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
    del docs, ok

    t0 = time.perf_counter()
    results: list[Any] = []
    with mp.get_context("spawn").Pool(args.workers, initializer=_init,
                                      initargs=(str(args.corpus), register, args.check)) as pool:
        results = pool.map(_render, [str(p) for p in paths], chunksize=32)
    wall = time.perf_counter() - t0

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
    if args.check:
        print(f"robustness    {len(lost)} text nodes lost")
    for where, what in (errors + lost)[: args.show]:
        print(f"  {where}: {what[:120]!r}")
    return 1 if errors or (args.check and lost) else 0


if __name__ == "__main__":
    sys.exit(main())
