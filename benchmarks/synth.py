"""Synthetic corpus: N valid documents derived from the flagship edition in tei/.

    python3 benchmarks/synth.py 1000                  # -> /tmp/teipress-synth-1000
    python3 benchmarks/synth.py 10000 --out DIR [--seed 1949] [--force]

Writes ``DIR/tei/NNNNN-memo-<date>.xml`` (N documents), ``DIR/tei/authority/``
(a copy of the flagship's authority files) and ``DIR/teipress.toml``, so that

    teipress validate --config DIR/teipress.toml
    teipress build    --config DIR/teipress.toml --out /tmp/out

run on it. Derivation, cycling through the two memoranda (document i uses memo
i mod 2):

* ids: every ``xml:id`` (the ``TEI/@xml:id`` included) and every ``#id``
  pointer token is rewritten with one mapping per document. The document id
  becomes ``s<i>-memo-<shifted date>`` (``s00042-memo-1949-08-10``); ids that
  started with the old document id get the new one instead (so the
  paragraph-anchor rule R015 still holds), any other id is prefixed with
  ``<new id>-``. ``publicationStmt/idno[@type='teipress']`` follows. Ids are
  therefore unique across the corpus and every pointer still resolves.
* dates: every date value (``@when @notBefore @notAfter``; ``@from @to`` on
  date-bearing elements) in ``profileDesc`` and ``text`` is moved by
  ``(i * 37) mod 1000`` days. Partial dates (``1946``, ``1950-02``) move their
  first day and are truncated back to their precision, so pairs stay ordered
  (the shift is monotonic); times and page numbers are left alone, and so are
  bibliographic and revision dates in ``fileDesc``/``revisionDesc``. Dates stay
  before 1953-03-05 so no participant acts after death (X103). The text of a
  ``date`` that spelled its value ("27 July 1949", "July 26", "September") is
  respelled.
* text: with a generator seeded by ``(seed, i)``, about one word in fifteen of
  the running text in ``text`` (not inside names, titles, foreign words, dates,
  numbers or identifiers) is replaced by another word, so documents differ
  while names keep their authority forms (no X102).

The authority files are copied unchanged. Generation is deterministic: the same
N, seed and flagship give byte-identical files. A ``.synth-stamp`` records the
parameters; an existing folder with a matching stamp is reused unless --force.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as dt
import hashlib
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parent.parent
FLAGSHIP = REPO / "tei"
TEMPLATES = ("1949-06-27-stalin-ccp-delegation.xml", "1949-07-27-liu-shaoqi-stalin.xml")
TEI = "http://www.tei-c.org/ns/1.0"
T = f"{{{TEI}}}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
STAMP = ".synth-stamp"
#: Dates move by at most this many days (keeps every date before Stalin's death, 1953-03-05).
MAX_SHIFT = 1000

POINTER_ATTRS = ("ref", "target", "corresp", "who", "sameAs", "source", "active", "passive", "mutual",
                 "ana", "resp", "prev", "next", "copyOf", "facs", "start", "end", "synch")
DATE_ATTRS = ("when", "notBefore", "notAfter")
RANGE_ATTRS = ("from", "to")
#: Elements whose @from/@to are dates (elsewhere, e.g. biblScope, they are pages).
DATABLE = {f"{T}{n}" for n in ("date", "birth", "death", "floruit", "event", "residence", "occupation",
                                "affiliation", "education", "state", "trait", "change", "origDate", "docDate")}
#: Running text inside these is never varied (names keep their authority forms, values their spelling).
PROTECTED = {f"{T}{n}" for n in (
    "persName", "placeName", "orgName", "name", "rs", "geogName", "settlement", "country", "region",
    "title", "foreign", "date", "time", "num", "measure", "idno", "biblScope", "ref", "ptr", "term",
    "abbr", "orig", "sic", "desc", "gap", "bibl", "biblStruct", "resp", "surname", "forename", "roleName")}
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_WORD_RE = re.compile(r"[A-Za-z]{5,}")
VOCABULARY = ("question", "matter", "proposal", "situation", "meeting", "government", "decision",
              "problem", "position", "support", "agreement", "delegation", "comrades", "conversation",
              "important", "necessary", "possible", "certain", "difficult", "political", "military",
              "economic", "considerable", "immediately", "certainly", "afterwards", "therefore")


@dataclass
class Template:
    name: str
    tree: etree._ElementTree
    doc_id: str
    date: dt.date


def load_templates(flagship: Path = FLAGSHIP) -> list[Template]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    out = []
    for name in TEMPLATES:
        tree = etree.parse(str(flagship / name), parser)
        root = tree.getroot()
        when = root.find(f".//{T}profileDesc/{T}settingDesc/{T}setting/{T}date").get("when")
        out.append(Template(name, tree, root.get(XML_ID), dt.date.fromisoformat(when)))
    return out


def shift_value(value: str, days: int) -> str:
    """Move an ISO date (YYYY, YYYY-MM, YYYY-MM-DD) by *days*, keeping its precision; else unchanged."""
    m = _DATE_RE.match(value.strip())
    if not m:
        return value
    y, mo, d = int(m[1]), int(m[2] or 1), int(m[3] or 1)
    new = dt.date(y, mo, d) + dt.timedelta(days=days)
    if m[3]:
        return new.isoformat()
    if m[2]:
        return f"{new.year:04d}-{new.month:02d}"
    return f"{new.year:04d}"


def _spellings(value: str) -> list[tuple[str, str]]:
    """(strftime-like format, spelling) pairs a date's text may use."""
    m = _DATE_RE.match(value)
    if not m:
        return []
    if m[3]:
        d = dt.date.fromisoformat(value)
        month = d.strftime("%B")
        return [(f"{d.day} {month} {d.year}", "dMY"), (f"{month} {d.day}, {d.year}", "MdY"),
                (f"{month} {d.day}", "Md")]
    if m[2]:
        d = dt.date(int(m[1]), int(m[2]), 1)
        return [(f"{d.strftime('%B')} {d.year}", "MY"), (d.strftime("%B"), "M")]
    return []


def _spell(value: str, style: str) -> str:
    for text, st in _spellings(value):
        if st == style:
            return text
    return value


def respell_date(el: etree._Element, old: str, new: str) -> None:
    """Rewrite a date element's text when it spelled out its old value exactly."""
    if len(el) or el.text is None:
        return
    text = el.text.strip()
    for spelling, style in _spellings(old):
        if text == spelling:
            el.text = el.text.replace(spelling, _spell(new, style))
            return


def shift_dates(root: etree._Element, days: int) -> None:
    header = root.find(f"{T}teiHeader")
    scopes = [root.find(f"{T}text")]
    if header is not None:
        scopes.append(header.find(f"{T}profileDesc"))
    for scope in scopes:
        if scope is None:
            continue
        for el in scope.iter(etree.Element):
            attrs = DATE_ATTRS + (RANGE_ATTRS if el.tag in DATABLE else ())
            for a in attrs:
                v = el.get(a)
                if v is None:
                    continue
                nv = shift_value(v, days)
                if nv != v:
                    el.set(a, nv)
                    if el.tag == f"{T}date" and a == "when":
                        respell_date(el, v, nv)


def rewrite_ids(root: etree._Element, old_doc: str, new_doc: str) -> dict[str, str]:
    """Give every xml:id the new document prefix; rewrite every ``#id`` pointer the same way."""
    mapping: dict[str, str] = {}
    for el in root.iter(etree.Element):
        old = el.get(XML_ID)
        if old is None:
            continue
        if old == old_doc:
            new = new_doc
        elif old.startswith(old_doc + "-"):
            new = new_doc + old[len(old_doc):]
        else:
            new = f"{new_doc}-{old}"
        mapping[old] = new
        el.set(XML_ID, new)
    for el in root.iter(etree.Element):
        for a in POINTER_ATTRS:
            v = el.get(a)
            if v is None or "#" not in v:
                continue
            toks = []
            for tok in v.split():
                if tok.startswith("#") and tok[1:] in mapping:
                    tok = "#" + mapping[tok[1:]]
                toks.append(tok)
            el.set(a, " ".join(toks))
    for idno in root.iter(f"{T}idno"):
        if idno.get("type") == "teipress" and (idno.text or "").strip() == old_doc:
            idno.text = new_doc
    return mapping


def _vary(text: str | None, rng: random.Random, rate: float) -> str | None:
    if not text:
        return text

    def sub(m: re.Match[str]) -> str:
        if rng.random() >= rate:
            return m[0]
        w = rng.choice(VOCABULARY)
        return w.capitalize() if m[0][0].isupper() else w

    return _WORD_RE.sub(sub, text)


def vary_text(root: etree._Element, rng: random.Random, rate: float = 1 / 15) -> None:
    text = root.find(f"{T}text")
    if text is None:
        return

    def protected(el: etree._Element) -> bool:
        return any(a.tag in PROTECTED for a in (el, *el.iterancestors()))

    for el in text.iter(etree.Element):
        if not protected(el):
            el.text = _vary(el.text, rng, rate)
        parent = el.getparent()
        if el is not text and parent is not None and not protected(parent):
            el.tail = _vary(el.tail, rng, rate)


def make_document(tpl: Template, i: int, seed: int, width: int) -> tuple[str, bytes]:
    """Document *i* of the corpus: (file name, bytes)."""
    days = (i * 37) % MAX_SHIFT
    date = tpl.date + dt.timedelta(days=days)
    new_doc = f"s{i:0{width}d}-memo-{date.isoformat()}"
    tree = copy.deepcopy(tpl.tree)
    root = tree.getroot()
    rewrite_ids(root, tpl.doc_id, new_doc)
    shift_dates(root, days)
    vary_text(root, random.Random(f"{seed}:{i}"))
    data = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    return f"{i:0{width}d}-memo-{date.isoformat()}.xml", data + b"\n"


TOML = """\
# Synthetic teipress corpus ({n} documents derived from the flagship edition), made by
# benchmarks/synth.py; see benchmarks/README.md.
sources = ["tei/*.xml"]
authorities = ["tei/authority/*.xml"]
output = "output"

# --format print builds only the paged HTML book (the print format makes the PDF unless this is false).
[print]
pdf = false

[edition]
title = "Synthetic corpus ({n} documents)"
subtitle = "Derived from the teipress flagship edition"
editors = ["teipress benchmarks"]
publisher = "teipress"
place = "Online"
year = "2026"
"""


def default_out(n: int) -> Path:
    return Path(f"/tmp/teipress-synth-{n}")


def _flagship_digest(flagship: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(flagship.rglob("*.xml")):
        h.update(p.relative_to(flagship).as_posix().encode())
        h.update(p.read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()


def generate(n: int, out: Path | None = None, *, seed: int = 1949, force: bool = False,
             flagship: Path = FLAGSHIP, quiet: bool = True) -> Path:
    """Write (or reuse) the corpus of *n* documents; return its folder (holding teipress.toml)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    out = (out or default_out(n)).resolve()
    stamp = {"n": n, "seed": seed, "flagship": _flagship_digest(flagship)}
    stamp_file = out / STAMP
    if not force and stamp_file.is_file():
        try:
            if json.loads(stamp_file.read_text("utf-8")) == stamp:
                if not quiet:
                    print(f"reusing {out} ({n} documents)", file=sys.stderr)
                return out
        except ValueError:
            pass
    t0 = time.perf_counter()
    # Build beside the target and swap it in, so that a concurrent run never sees half a corpus.
    import os

    work = out.with_name(f"{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    (work / "tei").mkdir(parents=True)
    shutil.copytree(flagship / "authority", work / "tei" / "authority")
    templates = load_templates(flagship)
    width = max(5, len(str(n - 1)))
    total = 0
    for i in range(n):
        name, data = make_document(templates[i % len(templates)], i, seed, width)
        (work / "tei" / name).write_bytes(data)
        total += len(data)
    (work / "teipress.toml").write_text(TOML.format(n=n), "utf-8")
    (work / STAMP).write_text(json.dumps(stamp), "utf-8")
    old = out.with_name(f"{out.name}.old-{os.getpid()}")
    if out.exists():
        os.rename(out, old)
    os.rename(work, out)
    if old.exists():
        remove_tree(old)
    if not quiet:
        print(f"wrote {n} documents ({total / 1e6:.1f} MB) to {out} in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
    return out


def corpus_bytes(folder: Path) -> int:
    """Bytes of the documents and authority files of a synthetic corpus."""
    return sum(p.stat().st_size for p in (folder / "tei").rglob("*.xml"))


# --------------------------------------------------------------------------
# Helpers shared by bench_validate.py and bench_build.py
# --------------------------------------------------------------------------

CONFIGS = REPO / "benchmarks" / "configs"
DEFAULT_ESCHER = (REPO / ".." / "shared" / "corpora" / "escher-briefe").resolve()


#: Seconds a timed build waits after :func:`settle` has flushed the disk's dirty pages
SETTLE_SECONDS = 6
#: Seconds after a benchmark removed many files before a timed build may start (see settle)
QUIET_AFTER_REMOVAL = 310
#: When a benchmark last removed files (see :func:`note_removal`), for the next run too
REMOVAL_STAMP = Path(tempfile.gettempdir()) / "teipress-bench-last-removal"


def note_removal() -> None:
    """Record that files were removed now (by a benchmark, or by a build it ran: the
    trash of a ``--clean`` build is removed as the build ends), for :func:`settle`."""
    with contextlib.suppress(OSError):
        REMOVAL_STAMP.write_text(f"{time.time():.3f}", "utf-8")


def remove_tree(path: Path) -> None:
    """``shutil.rmtree``, noted (see :func:`settle`)."""
    shutil.rmtree(path, ignore_errors=True)
    note_removal()


#: Iterations of :func:`cpu_probe`'s loop
PROBE_LOOPS = 3_000_000
#: The probe's seconds measured on this machine when it ran at its usual speed
PROBE_USUAL = 0.21


def cpu_probe() -> float:
    """Seconds of a fixed pure-Python loop: how fast this machine runs right now.

    The machine's speed varies by half from one hour to the next (this loop took 2.1 s
    and 3.2-3.4 s for ten times the iterations, 2026-12-06 10:35 and 11:40, nothing else
    running), and a figure taken in a slow hour reads like a regression; printed next
    to each full build, the probe tells the two apart.
    """
    # at module level (the total a global): a loop over a local variable ran as fast in
    # the slow hour as in the fast one, this one did not
    code = compile(f"total = 0\nfor i in range({PROBE_LOOPS}):\n    total += i\n", "<probe>", "exec")
    t = time.perf_counter()
    exec(code, {})  # a constant loop
    return time.perf_counter() - t


def settle() -> float:
    """Before a timed full build: write dirty pages out, and wait until the files a
    benchmark removed last are :data:`QUIET_AFTER_REMOVAL` seconds gone (at least
    :data:`SETTLE_SECONDS`).

    Why: ext4 without a journal (this machine's root file system) does not reuse an
    inode freed less than 5 s ago, or 300 s while its inode table block is dirty, and
    skips such inodes one by one when it allocates a new one. A build writing its
    files into the block groups of files removed a minute before dirties those blocks
    again, so a sync alone does not help: the Escher build took 45.1 s (87.0 CPU-s)
    35 s after 50,000 files were removed and synced, 41.7 s (79.0 CPU-s) five minutes
    after the last removal (2026-12-06); the same figures each time at every step
    in ``perf``: ``recently_deleted``, ``find_inode_bit``, ``find_get_block_common``.
    The figures are the build's, not a previous run's cleanup; removals by other
    programs are not seen here. Returns :func:`cpu_probe` taken once settled, for the
    build's figures.
    """
    os.sync()
    wait = float(SETTLE_SECONDS)
    with contextlib.suppress(OSError, ValueError):
        since = time.time() - float(REMOVAL_STAMP.read_text("utf-8"))
        if since < QUIET_AFTER_REMOVAL:
            wait = max(wait, QUIET_AFTER_REMOVAL - since)
            print(f"  (waiting {wait:.0f} s: files were removed {since:.0f} s ago, see synth.settle)",
                  file=sys.stderr, flush=True)
    time.sleep(wait)
    os.sync()
    probe = cpu_probe()
    print(f"  (cpu probe {probe:.3f} s; {PROBE_USUAL:.2f} s at this machine's usual speed)",
          file=sys.stderr, flush=True)
    return probe


def loadavg() -> str:
    """The 1/5/15-minute load averages, for printing next to every figure."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def code_version() -> str:
    """The commit of the code under test (``+dirty`` when tools/, xslt/ or schema/ have local edits)."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "tools", "xslt", "schema"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return head + ("+dirty" if dirty else "")


def cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def escher_config(escher: Path, dest: Path, schema: str | None = None) -> Path:
    """Write a teipress.toml for the Escher corpus into *dest* (absolute source paths).

    The template is benchmarks/configs/escher-briefe/teipress.toml (relative paths, as a
    project would keep it at the corpus root); the corpus itself is never written to.
    """
    import tomllib

    table = tomllib.loads((CONFIGS / "escher-briefe" / "teipress.toml").read_text("utf-8"))
    root = escher.resolve()
    lines = [f"# generated from benchmarks/configs/escher-briefe/teipress.toml for {root}",
             "sources = " + json.dumps([str(root / s) for s in table["sources"]]),
             "authorities = " + json.dumps([str(root / s) for s in table["authorities"]]),
             f'schema = "{schema or table.get("schema", "none")}"',
             f'id-scope = "{table.get("id-scope", "corpus")}"',
             'output = "output"', "", "[keys]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in table["keys"].items()]
    lines += ["", "[print]"] + [f"{k} = {json.dumps(v)}" for k, v in table.get("print", {}).items()]
    lines += ["", "[edition]"] + [f"{k} = {json.dumps(v)}" for k, v in table.get("edition", {}).items()]
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / "teipress.toml"
    out.write_text("\n".join(lines) + "\n", "utf-8")
    return out


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(d.name))
    return kids


def tree_memory(pid: int) -> tuple[int, int, int]:
    """(sum of RSS, sum of PSS, number of processes) of *pid* and all its descendants, in bytes."""
    import os

    page = os.sysconf("SC_PAGE_SIZE")
    kids = _children_map()
    todo, rss, pss, n = [pid], 0, 0, 0
    while todo:
        p = todo.pop()
        todo.extend(kids.get(p, ()))
        try:
            rss += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * page
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1]) * 1024
                    break
            n += 1
        except (OSError, ValueError, IndexError):
            continue
    return rss, pss, n


@dataclass
class RunStats:
    seconds: float
    returncode: int
    peak_rss: int
    peak_pss: int
    peak_procs: int
    stdout: str
    stderr: str


def run_measured(cmd: list[str], *, cwd: Path | None = None, interval: float = 0.2,
                 env: dict[str, str] | None = None) -> RunStats:
    """Run *cmd*; wall seconds and the peak memory of its process tree, sampled every *interval* s.

    Each sample walks /proc (to find the tree) and reads every member's smaps_rollup:
    at 50 ms that took a third of a core away from the 2-core build being measured.

    The output goes to files, read once the run is over, as a CI job redirects a JSON
    summary: read through a pipe here, the 44 MB summary of an Escher build (90,530
    findings) kept the process waiting 0.3 s on this harness's decoding reads.
    """
    import subprocess
    import tempfile

    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out_file, stderr=err_file, env=env)
        with PeakMemory(proc.pid, interval) as peak:
            proc.wait()
            seconds = time.perf_counter() - t0
        out_file.seek(0)
        err_file.seek(0)
        out = out_file.read().decode("utf-8", "replace")
        err = err_file.read().decode("utf-8", "replace")
    return RunStats(seconds, proc.returncode, peak.rss, peak.pss, peak.procs, out, err)


class PeakMemory:
    """The peak memory of *pid*'s process tree (:func:`tree_memory`), sampled every
    *interval* seconds by a thread while the ``with`` block runs."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        import threading

        self.pid, self.interval = pid, interval
        self.rss = self.pss = self.procs = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.is_set():
            rss, pss, n = tree_memory(self.pid)
            self.rss, self.pss, self.procs = max(self.rss, rss), max(self.pss, pss), max(self.procs, n)
            self._done.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def snapshot_code(dest: Path) -> dict[str, str]:
    """Copy tools/, xslt/ and schema/ of the working tree to *dest*; the environment that runs it.

    Other people edit the shared working tree while benchmarks run; a stylesheet edit
    changes every document's dependency key, so an incremental rebuild measured against
    the live tree may re-render everything. Runs with the returned environment import
    teipress (and find its stylesheets and schemas) in the frozen copy.
    """
    import compileall
    import os

    for name in ("tools", "xslt", "schema"):
        shutil.copytree(REPO / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    # byte-compiled, as an installed package is (see the Makefile's install targets)
    compileall.compile_dir(dest / "tools", quiet=1)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(dest / "tools") + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def teipress_cmd() -> list[str]:
    """The CLI, run with the interpreter running the benchmark (same installation)."""
    return [sys.executable, "-m", "teipress"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int, help="number of documents (1 … 10,000 and beyond)")
    ap.add_argument("--out", type=Path, help="folder (default /tmp/teipress-synth-N)")
    ap.add_argument("--seed", type=int, default=1949)
    ap.add_argument("--force", action="store_true", help="regenerate even if the folder is up to date")
    args = ap.parse_args(argv)
    folder = generate(args.n, args.out, seed=args.seed, force=args.force, quiet=False)
    print(folder / "teipress.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
