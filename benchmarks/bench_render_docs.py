"""Per-document render cost of each format, in one process (issue 8: the build's render phase).

    python3 benchmarks/bench_render_docs.py                         # Escher, 300 letters, 3 repeats
    python3 benchmarks/bench_render_docs.py --corpus flagship --sample 0
    python3 benchmarks/bench_render_docs.py --corpus synth:1000 --sample 200
    python3 benchmarks/bench_render_docs.py --corpus CONFIG.toml --formats html,text
    python3 benchmarks/bench_render_docs.py --dump /tmp/before --sample 50   # keep the outputs
    python3 benchmarks/bench_render_docs.py --compare /tmp/before --sample 50 --repeat 1

Sets up rendering exactly as ``teipress build`` does in a render worker (one locked engine
with every format's stylesheets, the register of the *whole* corpus parsed once, each
document parsed for Saxon once and handed to every format), then calls each format's
``render_document`` for an evenly spaced sample of documents. Why one process and a
sample: the machine is shared, and a full build mixes in check/resolve/edition pages and
pool scheduling; the per-document transforms are what ``render`` spends its time on.

Printed per format: mean ms per document of ``render_document`` (everything the build
pays per document and format), of which ``xslt`` is the time inside
``XsltEngine.transform`` (parameters, the Saxon call, stderr capture, the result string)
and ``python`` the rest (HTML: extracting the search passages). ``--overhead`` also
times the fixed cost of one transform call with a stylesheet that does nothing (same
parameters, the register included), i.e. the marshalling floor.

``--dump DIR`` writes every output file of the sample (``DIR/<format>/<relpath>``);
``--compare DIR`` renders the same sample and reports files that differ byte for byte
from a previous dump (exit status 1 if any differ). That is how stylesheet changes are
checked for unchanged output.

Not a test; the Escher corpus lives outside the repository and is only read.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

from teipress.config import Config, load_config
from teipress.load import LoadedDocument, assign_unique_ids, load_path
from teipress.render import EditionFormat, RenderContext, engine_for, get_format
from teipress.resolve import Corpus, build_register
from teipress.xslt import XsltEngine

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth

REPO = Path(__file__).resolve().parents[1]

_NULL_XSL = """<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xsl:param name="register" as="document-node()?" select="()"/>
  <xsl:param name="doc-id" as="xs:string" select="''"/>
  <xsl:param name="build-date" as="xs:string" select="''"/>
  <xsl:output method="text"/>
  <xsl:template match="/">x</xsl:template>
</xsl:stylesheet>
"""


def _config(corpus: str, tmp: Path) -> Config:
    """The configuration for ``escher``, ``flagship``, ``synth:N`` or a teipress.toml path."""
    if corpus == "escher":
        if not synth.DEFAULT_ESCHER.is_dir():
            raise SystemExit(f"Escher corpus not found at {synth.DEFAULT_ESCHER}")
        return load_config(config_file=synth.escher_config(synth.DEFAULT_ESCHER, tmp))
    if corpus == "flagship":
        return load_config(config_file=REPO / "pyproject.toml")
    if corpus.startswith("synth:"):
        return load_config(config_file=synth.generate(int(corpus.split(":", 1)[1])) / "teipress.toml")
    return load_config(config_file=Path(corpus))


def _sample(items: list[LoadedDocument], n: int) -> list[LoadedDocument]:
    """*n* documents evenly spaced over the (sorted) corpus, so the sample spans all of it."""
    if n <= 0 or n >= len(items):
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def _use_stylesheets(folder: Path) -> None:
    """Point every format at *folder* instead of the shipped xslt/ (benchmark only)."""
    import teipress.paths
    import teipress.render.print_

    real = teipress.paths.data_dir

    def data_dir(name: str) -> Path:
        return folder if name == "xslt" else real(name)

    for module in (teipress.paths, teipress.render.print_):  # print_ imported the name itself
        vars(module)["data_dir"] = data_dir
    print(f"stylesheets from {folder}")


class _TimedEngine:
    """Accumulates the wall time spent in ``XsltEngine.transform`` per stylesheet name."""

    def __init__(self, engine: XsltEngine) -> None:
        self.spent: dict[str, float] = {}
        self._inner: Callable[..., str] = engine.transform
        engine.transform = self._transform  # type: ignore[method-assign]

    def _transform(self, name: str, *args: Any, **kwargs: Any) -> str:
        t = time.perf_counter()
        try:
            return self._inner(name, *args, **kwargs)
        finally:
            self.spent[name] = self.spent.get(name, 0.0) + time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default="escher", help="escher | flagship | synth:N | path to teipress.toml")
    ap.add_argument("--sample", type=int, default=300, help="documents rendered per repeat (0 = all)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=20, help="documents rendered first and not timed")
    ap.add_argument("--formats", default="html,text,print")
    ap.add_argument("--overhead", action="store_true", help="also time a do-nothing transform")
    ap.add_argument("--dump", type=Path, help="write every output file of the sample here")
    ap.add_argument("--compare", type=Path, help="compare the outputs with a previous --dump")
    ap.add_argument("--xslt", type=Path, help="use the stylesheets in this folder instead of xslt/ "
                    "(e.g. `git archive HEAD~1 xslt | tar -x -C /tmp/old` for a before/after pair)")
    args = ap.parse_args(argv)
    if args.xslt:
        _use_stylesheets(args.xslt.resolve())
    names = [f.strip() for f in args.formats.split(",") if f.strip()]

    print(f"code {synth.code_version()}, load average {synth.loadavg()}")
    with tempfile.TemporaryDirectory(prefix="teipress-bench-render-") as tmp:
        config = _config(args.corpus, Path(tmp))
        t = time.perf_counter()
        docs = [d for d in (load_path(p, config.root) for p in config.source_files()) if d.ok]
        assign_unique_ids(docs)
        auths = [a for a in (load_path(p, config.root) for p in config.authority_files()) if a.ok]
        register_xml = build_register(Corpus(docs, auths, config), config).to_xml_bytes()
        print(f"corpus {args.corpus}: {len(docs)} documents, register of all of them "
              f"{len(register_xml) / 1e6:.1f} MB, resolve {time.perf_counter() - t:.1f} s")

        formats: list[EditionFormat] = [get_format(n) for n in names]
        t = time.perf_counter()
        engine = engine_for(formats)
        ctx = RenderContext(config, engine, register_xml, etree.fromstring(register_xml), "2026-01-01")
        print(f"compile + register parse {time.perf_counter() - t:.2f} s")
        timed = _TimedEngine(engine)

        sample = _sample(docs, args.sample)
        t = time.perf_counter()
        nodes = [engine.parse(d.data) for d in sample]
        kb = sum(len(d.data) for d in sample) / 1e3
        print(f"sample {len(sample)} documents ({kb / len(sample):.1f} KB each), "
              f"Saxon parse {1e3 * (time.perf_counter() - t) / len(sample):.2f} ms/doc")

        for fmt in formats:  # warm-up: register keys, JIT, lazily compiled templates
            for d, node in list(zip(sample, nodes, strict=True))[: args.warmup]:
                fmt.render_document(ctx, d, node)

        outputs: dict[tuple[str, str], bytes] = {}
        per_format: dict[str, list[float]] = {n: [] for n in names}
        xslt_share: dict[str, list[float]] = {n: [] for n in names}
        for rep in range(args.repeat):
            for fmt in formats:
                timed.spent.clear()
                t = time.perf_counter()
                for d, node in zip(sample, nodes, strict=True):
                    for f in fmt.render_document(ctx, d, node):
                        if rep == 0 and (args.dump or args.compare):
                            outputs[(fmt.name, f.relpath)] = f.data
                ms = 1e3 * (time.perf_counter() - t) / len(sample)
                per_format[fmt.name].append(ms)
                xslt_share[fmt.name].append(1e3 * sum(timed.spent.values()) / len(sample))
            print(f"repeat {rep + 1}: " + ", ".join(f"{n} {per_format[n][-1]:.2f}" for n in names)
                  + f" ms/doc (load {synth.loadavg()})")

        print(f"\nms per document, {len(sample)} documents x {args.repeat} repeats "
              f"(median of repeats; min in brackets)")
        total = 0.0
        for n in names:
            med = statistics.median(per_format[n])
            xs = statistics.median(xslt_share[n])
            total += med
            print(f"  {n:6} {med:7.2f} ({min(per_format[n]):.2f})   xslt {xs:7.2f}   python {med - xs:6.2f}")
        print(f"  {'all':6} {total:7.2f} ms/doc; load average {synth.loadavg()}")

        if args.overhead:
            _overhead(ctx, sample, Path(tmp))

        if args.dump:
            for (fmt_name, rel), data in outputs.items():
                path = args.dump / fmt_name / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            print(f"wrote {len(outputs)} files to {args.dump}")
        if args.compare:
            return _compare(outputs, args.compare)
    return 0


def _overhead(ctx: RenderContext, sample: list[LoadedDocument], tmp: Path) -> None:
    """Time one do-nothing transform per document (same parameters): the per-call floor.

    A second engine (Saxon nodes belong to the processor that parsed them), so the
    documents and the register are parsed again for it.
    """
    sheet = tmp / "null.xsl"
    sheet.write_text(_NULL_XSL, "utf-8")
    null = XsltEngine({"null": sheet})
    register = null.parse(ctx.register_xml)
    nodes = [null.parse(d.data) for d in sample]
    params = {"register": register, "doc-id": "x", "build-date": "2026-01-01"}
    for node in nodes[:20]:
        null.transform("null", node, params)
    t = time.perf_counter()
    for node in nodes:
        null.transform("null", node, params)
    per = 1e3 * (time.perf_counter() - t) / len(nodes)
    print(f"  do-nothing transform (XsltEngine.transform, register parameter): {per:.3f} ms/call")


def _compare(outputs: dict[tuple[str, str], bytes], folder: Path) -> int:
    """Files that differ from a previous dump; files only one side has are listed apart
    (the Python side of a format may have changed between the two runs)."""
    differ, new = [], []
    for (fmt, rel), data in sorted(outputs.items()):
        old = folder / fmt / rel
        if not old.is_file():
            new.append(f"{fmt}/{rel}")
        elif old.read_bytes() != data:
            differ.append(f"{fmt}/{rel}")
    seen = {f"{fmt}/{rel}" for fmt, rel in outputs}
    gone = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and p.relative_to(folder).as_posix() not in seen)
    print(f"compared {len(outputs)} files with {folder}: {len(differ)} differ, "
          f"{len(new)} only now, {len(gone)} only in the dump")
    for label, names in (("differs", differ), ("only now", new), ("only in the dump", gone)):
        for rel in names[:10]:
            print(f"  {label}: {rel}")
    return 1 if differ or new or gone else 0


if __name__ == "__main__":
    raise SystemExit(main())
