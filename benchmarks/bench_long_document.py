"""Render cost of one long document as it grows: time per KB should stay flat (issue 8: scale).

    python3 benchmarks/bench_long_document.py                    # body x 1, 4, 16, 64
    python3 benchmarks/bench_long_document.py --times 1,8,32 --formats print
    python3 benchmarks/bench_long_document.py --xslt /tmp/old/xslt   # stylesheets of another commit

A book-length document is one long TEI file, not thousands of letters: anything a
stylesheet does per note or per name that looks at every other note or name before it
makes its transform quadratic in the document's length. This script makes documents of
1, 4, 16, 64 ... times the text of the flagship's first memorandum (its body repeated;
the copies' xml:ids dropped, so ids stay unique and pointers still resolve to the
originals; every paragraph given a footnote, as in an annotated book: the memorandum
itself has two notes), resolves each with the flagship's authority files, and renders it in every
format as a render worker does (``render_document``: the transform and the format's
Python side), printing the best of ``--repeat`` runs in ms and in ms per 100 KB of
source. Flat ms/100 KB is linear work; a growing one points at a quadratic step.

Not a test; nothing outside the repository is read.
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

from teipress import TEI_NS, XML_NS
from teipress.config import load_config
from teipress.load import load_path
from teipress.render import EditionFormat, RenderContext, engine_for, get_format
from teipress.resolve import Corpus, build_register

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth
from bench_render_docs import _use_stylesheets

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "tei" / "1949-06-27-stalin-ccp-delegation.xml"
XML_ID = f"{{{XML_NS}}}id"


def long_document(times: int) -> bytes:
    """The memorandum with its body's content *times* over (ids kept on the first copy only),
    a footnote at the end of every paragraph of the body."""
    root = etree.parse(str(SOURCE)).getroot()
    body = root.find(f"{{{TEI_NS}}}text/{{{TEI_NS}}}body")
    assert body is not None
    for n, p in enumerate(body.iter(f"{{{TEI_NS}}}p"), 1):
        note = etree.SubElement(p, f"{{{TEI_NS}}}note", place="foot")
        note.text = f"Editorial note {n} on this paragraph."
    original = list(body)
    for _ in range(times - 1):
        for child in original:
            dup = copy.deepcopy(child)
            for el in dup.iter():
                el.attrib.pop(XML_ID, None)
            body.append(dup)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--times", default="1,4,16,64", help="how many copies of the body, per document")
    ap.add_argument("--formats", default="html,text,print")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--xslt", type=Path, help="use the stylesheets in this folder instead of xslt/")
    args = ap.parse_args(argv)
    if args.xslt:
        _use_stylesheets(args.xslt.resolve())
    names = [f.strip() for f in args.formats.split(",") if f.strip()]
    config = load_config(config_file=REPO / "pyproject.toml")
    auths = [a for a in (load_path(p, config.root) for p in config.authority_files()) if a.ok]
    formats: list[EditionFormat] = [get_format(n) for n in names]
    engine = engine_for(formats)
    print(f"code {synth.code_version()}, load average {synth.loadavg()}")
    print(f"{'copies':>6} {'KB':>7} {'notes':>6}  " + "  ".join(f"{n + ' ms':>10} {'/100 KB':>8}" for n in names))
    with tempfile.TemporaryDirectory(prefix="teipress-bench-long-") as tmp:
        for times in (int(t) for t in args.times.split(",")):
            path = Path(tmp) / f"long-{times}.xml"
            path.write_bytes(long_document(times))
            doc = load_path(path, config.root)
            if not doc.ok:
                raise SystemExit(f"the long document does not load: {doc.diagnostics[:1]}")
            register_xml = build_register(Corpus([doc], auths, config), config).to_xml_bytes()
            ctx = RenderContext(config, engine, register_xml, etree.fromstring(register_xml), "2026-01-01")
            node = engine.parse(doc.data)
            kb = len(doc.data) / 1e3
            cells = []
            for fmt in formats:
                fmt.render_document(ctx, doc, node)  # warm-up: register keys, lazily compiled templates
                best = float("inf")
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    fmt.render_document(ctx, doc, node)
                    best = min(best, time.perf_counter() - t)
                cells.append(f"{1e3 * best:10.1f} {1e5 * best / kb:8.2f}")
            notes = doc.data.count(b"<note")
            print(f"{times:6} {kb:7.0f} {notes:6}  " + "  ".join(cells), flush=True)
    print(f"load average {synth.loadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
