"""Benchmark and robustness run of the plain-text edition on a real corpus.

    python benchmarks/bench_text.py [--corpus DIR] [--limit N] [--check] [--width 72]

Renders every document of the corpus (default: the Escher letters in
../shared/corpora/escher-briefe/data/briefe, 5,019 real TEI files) through the public
render API, exactly as ``teipress build --format text`` does: one engine, one
register built by the resolve phase, then ``render_document`` per document and
``render_edition`` once. Prints documents/s and MB/s (MB of TEI input).

With ``--check`` it is also the robustness run: for every document, every non-blank
text node of ``tei:text`` must occur in the output (``lost_text``) and no tag-like
string may appear that is not in the source text (``leaked_markup``). Losses and leaks
are listed; the exit status is 1 if there are any.

Not a test: the corpus lives outside the repository and is never a test dependency.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

from teipress.config import Config
from teipress.load import load_path
from teipress.render import RenderContext, engine_for
from teipress.render.text import FORMAT, leaked_markup, lost_text, text_nodes
from teipress.resolve import Corpus, build_register

DEFAULT_CORPUS = (Path(__file__).resolve().parents[1].parent
                  / "shared" / "corpora" / "escher-briefe" / "data" / "briefe")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--limit", type=int, default=0, help="first N files only (0 = all)")
    ap.add_argument("--check", action="store_true", help="robustness run: no text lost, no markup leaked")
    ap.add_argument("--width", type=int, default=72)
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
    mb = sum(len(d.data) for d in ok) / 1e6
    t_load = time.perf_counter() - t0

    config = Config(root=args.corpus, raw={"text": {"width": args.width}})
    t0 = time.perf_counter()
    register = build_register(Corpus(ok, [], config), config).to_xml_bytes()
    t_resolve = time.perf_counter() - t0

    t0 = time.perf_counter()
    engine = engine_for([FORMAT])
    ctx = RenderContext(config, engine, register, etree.fromstring(register), "")
    t_compile = time.perf_counter() - t0

    out_bytes = 0
    lost: list[tuple[str, str]] = []
    leaks: list[tuple[str, str]] = []
    nodes = 0
    render_time = 0.0
    with tempfile.TemporaryDirectory() as staging:
        stage = Path(staging)
        for d in ok:
            t0 = time.perf_counter()
            files = FORMAT.render_document(ctx, d, engine.parse(d.data))
            render_time += time.perf_counter() - t0
            for f in files:
                out_bytes += len(f.data)
                (stage / f.relpath).write_bytes(f.data)
                if args.check:
                    text = f.data.decode("utf-8")
                    nodes += len(text_nodes(d.root))
                    lost.extend((d.display, t) for t in lost_text(d.root, text))
                    leaks.extend((d.display, m) for m in leaked_markup(d.root, text))
        t0 = time.perf_counter()
        edition = FORMAT.render_edition(ctx, ok, stage)
        t_edition = time.perf_counter() - t0

    n = len(ok)
    print(f"corpus        {args.corpus}")
    print(f"documents     {n} rendered ({len(docs) - n} did not load), {mb:.1f} MB TEI in, "
          f"{out_bytes / 1e6:.1f} MB text out, edition.txt {len(edition[0].data) / 1e6:.1f} MB")
    print(f"load {t_load:.1f} s, resolve {t_resolve:.1f} s, compile {t_compile:.2f} s, "
          f"render documents {render_time:.1f} s, edition.txt {t_edition:.1f} s")
    print(f"throughput    {n / render_time:.0f} documents/s, {mb / render_time:.2f} MB/s "
          "(render_document, single process)")
    if args.check:
        print(f"robustness    {nodes} text nodes checked: {len(lost)} lost, {len(leaks)} markup leaks")
        for where, what in (lost + leaks)[: args.show]:
            print(f"  {where}: {what[:100]!r}")
        return 1 if lost or leaks else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
