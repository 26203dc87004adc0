"""Benchmark: build the register for the Alfred Escher letters (5,019 letters, 52 MB).

The Escher edition points from ``persName/@key`` to ``person/@n`` in
data/people/people.xml and from ``placeName/@key`` to ``place/@n`` in
data/places/places.xml; this script configures that mapping the way a project
would in ``[tool.teipress.keys]`` and reports how many keys resolve, the
time to load and build the register, and peak memory (RSS).

    python3 benchmarks/bench_register.py [/work/shared/corpora/escher-briefe] [--diagnostics]

Not part of the test suite: the corpus lives outside the repository.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import Counter
from pathlib import Path

from teipress.config import Config
from teipress.resolve import Corpus, build_register, check_corpus
from teipress.resolve.loading import load_many


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", nargs="?", default="/work/shared/corpora/escher-briefe")
    ap.add_argument("--diagnostics", action="store_true", help="also time the X checks")
    args = ap.parse_args()
    root = Path(args.corpus)
    config = Config(root=root, sources=["data/briefe/*.xml"],
                    authorities=["data/people/people.xml", "data/places/places.xml"],
                    keys={"persName": "person/@n", "placeName": "place/@n"})
    t0 = time.perf_counter()
    docs = load_many(config.source_files(), root)
    auths = load_many(config.authority_files(), root)
    t1 = time.perf_counter()
    corpus = Corpus(docs, auths, config)
    t2 = time.perf_counter()
    register = build_register(corpus, config)
    t3 = time.perf_counter()
    xml = register.to_xml_bytes()
    t4 = time.perf_counter()
    size = sum(len(d.data) for d in docs)
    keyed = Counter[tuple[str, bool]]()
    distinct: dict[tuple[str, bool], set[str]] = {}
    for use in corpus.uses:
        if use.attr == "key":
            tag = use.tag
            k = (tag, use.res.ok)
            keyed[k] += 1
            distinct.setdefault(k, set()).add(use.value)
    print(f"documents: {len(docs)} ({sum(1 for d in docs if d.ok)} parsed), "
          f"{size / 1e6:.1f} MB; authority entries: {len(corpus.entries)}")
    for tag in ("persName", "placeName"):
        print(f"{tag}/@key: {keyed[(tag, True)]} resolve "
              f"({len(distinct.get((tag, True), ()))} distinct keys), "
              f"{keyed[(tag, False)]} do not ({len(distinct.get((tag, False), ()))} distinct)")
    print(f"load+parse {t1 - t0:.2f} s index+resolve {t2 - t1:.2f} s, "
          f"register {t3 - t2:.2f} s, serialise {t4 - t3:.2f} s ({len(xml) / 1e6:.1f} MB XML)")
    print(f"total to register: {t3 - t0:.2f} s")
    if args.diagnostics:
        t5 = time.perf_counter()
        found = check_corpus(corpus)
        t6 = time.perf_counter()
        by_code = Counter(d.code for d in found)
        print(f"diagnostics {t6 - t5:.2f} s: {dict(sorted(by_code.items()))}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak RSS: {peak / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
