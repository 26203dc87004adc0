"""Benchmark of the print edition: time to the PDF, and pages per second.

    python benchmarks/bench_print.py [--letters N] [--corpus PATH]

1. the flagship edition (tei/, target <= 5 s for the whole book, both passes; on a
   shared machine compare CPU time, the wall time grows with the load);
2. a volume of the first N letters (default 100) of the Escher corpus, if present
   (/work/shared/corpora/escher-briefe/data/briefe; never committed, read-only).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pypdfium2
from lxml import etree

from teipress.config import load_config
from teipress.load import load_path
from teipress.render import RenderContext, engine_for
from teipress.render.print_ import FORMAT
from teipress.resolve import Corpus, build_register

ROOT = Path(__file__).resolve().parents[1]
ESCHER = Path("/work/shared/corpora/escher-briefe/data/briefe")


def run(label: str, sources: list[Path], authorities: list[Path], root: Path) -> None:
    cfg = load_config(ROOT)
    cfg.root = root
    t0 = time.perf_counter()
    docs = [d for d in (load_path(p, root) for p in sources) if d.ok]
    auths = [a for a in (load_path(p, root) for p in authorities) if a.ok]
    reg = build_register(Corpus(docs, auths, cfg), cfg).to_xml_bytes()
    engine = engine_for([FORMAT])
    ctx = RenderContext(cfg, engine, reg, etree.fromstring(reg), "2026-11-28")
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for d in docs:
            for f in FORMAT.render_document(ctx, d, engine.parse(d.data)):
                (out / f.relpath).parent.mkdir(parents=True, exist_ok=True)
                (out / f.relpath).write_bytes(f.data)
        t2 = time.perf_counter()
        try:
            files = {f.relpath: f.data for f in FORMAT.render_edition(ctx, docs, out)}
        except Exception as exc:  # a benchmark reports failures instead of stopping
            print(f"{label}: FAILED after {time.perf_counter() - t2:.2f} s: {exc}")
            return
        t3 = time.perf_counter()
    pdf = files.get("edition.pdf", b"")
    pages = len(pypdfium2.PdfDocument(pdf)) if pdf else 0
    total = t3 - t1
    print(f"{label}: {len(docs)} documents, {len(pdf) / 1024:.0f} KiB PDF")
    print(f"  load+resolve+compile {t1 - t0:.2f} s | sections {t2 - t1:.2f} s | "
          f"book (2 layouts + PDF) {t3 - t2:.2f} s | render total {total:.2f} s")
    if pages > 0:
        print(f"  ~{pages} pages, {pages / total:.1f} pages/s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--letters", type=int, default=100)
    ap.add_argument("--corpus", type=Path, default=ESCHER)
    args = ap.parse_args()
    cfg = load_config(ROOT)
    run("flagship", cfg.source_files(), cfg.authority_files(), ROOT)
    if args.corpus.is_dir():
        letters = sorted(args.corpus.glob("*.xml"))[: args.letters]
        run(f"escher {len(letters)} letters", letters, [], args.corpus)
    else:
        print(f"(Escher corpus not found at {args.corpus}; skipped)")


if __name__ == "__main__":
    main()
