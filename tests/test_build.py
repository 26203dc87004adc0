"""`teipress build`: phases, refusal on errors, incrementality, atomic publication under SIGKILL."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MEMO1 = "1949-06-27-stalin-ccp-delegation.xml"
MEMO2 = "1949-07-27-liu-shaoqi-stalin.xml"


def teipress(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "teipress", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def summary(*args: str, cwd: Path) -> dict[str, object]:
    proc = teipress("build", "--summary", "json", *args, cwd=cwd)
    assert proc.stdout, proc.stderr
    data: dict[str, object] = json.loads(proc.stdout)
    data["exit"] = proc.returncode
    return data


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "tei", tmp_path / "tei")
    (tmp_path / "teipress.toml").write_text(
        'sources = ["tei/*.xml"]\nauthorities = ["tei/authority/*.xml"]\noutput = "out"\n'
        '[edition]\ntitle = "Test edition"\n')
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def published_files(folder: Path) -> dict[str, bytes]:
    """The edition's files without the manifests (they hash the register, line numbers and
    all) and the joined files' spans (they record inode numbers: see teipress.splice)."""
    return {k: v for k, v in snapshot(folder).items()
            if not k.endswith((".teipress-manifest.json", ".spans"))}


def test_full_build_writes_every_format(project: Path) -> None:
    data = summary(cwd=project)
    assert data["exit"] == 0 and data["published"] is True
    out = project / "out"
    for rel in ("html/index.html", "html/memo-1949-06-27.html", "html/persons.html",
                "text/edition.txt", "text/memo-1949-07-27.txt", "print/edition.html", "print/edition.pdf"):
        assert (out / rel).is_file(), rel
    assert (out / "print" / "edition.pdf").read_bytes().startswith(b"%PDF-")
    assert not [p for p in out.iterdir() if p.name.startswith(".teipress-staging")]


def test_unchanged_sources_render_nothing_and_changes_render_only_what_depends_on_them(project: Path) -> None:
    first = summary("--format", "text", "--format", "html", cwd=project)
    assert first["rendered_documents"] == 2
    before = snapshot(project / "out")

    again = summary("--format", "text", "--format", "html", cwd=project)
    assert again["rendered_documents"] == 0 and again["files_written"] == 0
    assert again["checked_documents"] == 0 and again["checks_from_cache"] == 6
    assert snapshot(project / "out") == before

    # Edit one document: only it is re-rendered.
    memo2 = project / "tei" / MEMO2
    memo2.write_text(memo2.read_text().replace("Victors are always correct.", "Victors are always right."))
    edited = summary("--format", "text", "--format", "html", cwd=project)
    assert edited["rendered_documents"] == 1
    assert edited["checked_documents"] == 1 and edited["checks_from_cache"] == 5
    assert "always right" in (project / "out" / "text" / "memo-1949-07-27.txt").read_text()
    assert (project / "out" / "text" / "memo-1949-06-27.txt").read_bytes() == before["text/memo-1949-06-27.txt"]

    # Change an authority entry mentioned only in memo 1 (Molotov): only memo 1 is re-rendered.
    persons = project / "tei" / "authority" / "persons.xml"
    text = persons.read_text()
    assert "pers-molotov" in text and "pers:molotov" not in (project / "tei" / MEMO2).read_text()
    persons.write_text(text.replace('<death when="1986-11-08"/>', '<death when="1986-11-08"/><!-- edited -->', 1)
                       .replace('<birth when="1890-03-09"/>', '<birth when="1890-03-10"/>', 1))
    authority = summary("--format", "text", "--format", "html", cwd=project)
    assert authority["exit"] == 0, authority
    assert authority["rendered_documents"] == 1


def test_deleted_documents_disappear_from_the_output(project: Path) -> None:
    summary("--format", "text", "--format", "html", cwd=project)
    assert (project / "out" / "html" / "memo-1949-07-27.html").exists()
    (project / "tei" / MEMO2).unlink()
    data = summary("--format", "text", "--format", "html", cwd=project)
    assert data["published"] is True and data["files_removed"] > 0
    assert not (project / "out" / "html" / "memo-1949-07-27.html").exists()
    assert not (project / "out" / "text" / "memo-1949-07-27.txt").exists()
    assert "memo-1949-07-27" not in (project / "out" / "text" / "edition.txt").read_text()


def test_a_document_added_or_removed_renders_again_only_its_neighbours(project: Path) -> None:
    """No page shows the number of documents or a position (which every page would then
    change): a third document, dated after the others, is rendered with the one before it
    (its "next" link), and the first memo's pages are kept; removed, the same two."""
    formats = ("--format", "html", "--format", "text")
    memo2 = project / "tei" / MEMO2
    summary(*formats, cwd=project)
    page = project / "out" / "html" / "memo-1949-06-27.html"
    kept = page.stat().st_ino
    third = project / "tei" / "zz-third.xml"
    third.write_text(memo2.read_text().replace("memo-1949-07-27", "zz-third"))  # its ids its own
    added = summary(*formats, cwd=project)
    assert added["published"] is True and added["rendered_documents"] == 2, added
    assert page.stat().st_ino == kept  # linked from the edition before, not written again
    assert "zz-third.html" in (project / "out" / "html" / "memo-1949-07-27.html").read_text()
    assert " of 3" not in page.read_text()
    third.unlink()
    removed = summary(*formats, cwd=project)
    assert removed["published"] is True and removed["rendered_documents"] == 1, removed  # memo 2's next link
    assert removed["files_removed"] > 0
    assert page.stat().st_ino == kept
    assert "zz-third" not in (project / "out" / "html" / "memo-1949-07-27.html").read_text()


def test_validation_errors_stop_publication_unless_forced(project: Path) -> None:
    summary("--format", "text", cwd=project)
    before = snapshot(project / "out")
    memo1 = project / "tei" / MEMO1
    memo1.write_text(memo1.read_text().replace('<supplied reason="grammar">the</supplied>',
                                               "<supplied>the</supplied>", 1))
    proc = teipress("build", "--format", "text", cwd=project)
    assert proc.returncode == 1
    assert "error[R008]" in proc.stderr and "Not published" in proc.stderr
    assert snapshot(project / "out") == before
    forced = summary("--format", "text", "--force", cwd=project)
    assert forced["published"] is True
    assert forced["by_code"] == {"R008": 1}
    assert [d["code"] for d in forced["diagnostics"]] == ["R008"]  # type: ignore[union-attr]


def test_under_force_a_document_that_stops_parsing_stays_in_the_version_last_built(project: Path) -> None:
    """A save in the middle of an edit: published anyway (--force), the document is not
    left out (every page would change: the count, the positions after it) but kept as the
    last build had it, and the findings say why; without --force nothing is published."""
    formats = ("--format", "text", "--format", "html")
    memo1 = project / "tei" / MEMO1
    summary(*formats, "--force", cwd=project)
    edited = memo1.read_text().replace("</body>", "<p>An added closing remark.</p></body>", 1)
    memo1.write_text(edited)
    first = summary(*formats, "--force", cwd=project)
    assert first["rendered_documents"] == 1 and first["previous_versions"] == []
    before = published_files(project / "out")

    memo1.write_text(edited.replace("</body>", "</bdy>", 1))  # not well-formed
    forced = summary(*formats, "--force", cwd=project)
    assert forced["published"] is True and forced["exit"] == 0
    assert forced["previous_versions"] == [f"tei/{MEMO1}"]
    assert forced["by_code"] == {"P001": 1}
    assert forced["rendered_documents"] == 0 and forced["files_written"] == 0
    assert published_files(project / "out") == before
    text = before["text/memo-1949-06-27.txt"]
    assert b"An added closing remark." in text  # the version last built, not an older one
    proc = teipress("build", *formats, "--force", cwd=project)
    assert f"Kept in their previous version (they do not parse; see the errors above): tei/{MEMO1}" in proc.stderr

    refused = summary(*formats, cwd=project)
    assert refused["published"] is False and refused["exit"] == 1
    assert published_files(project / "out") == before

    # a document that never parsed has no earlier version: left out, as before
    (project / "tei" / "broken.xml").write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader>')
    both = summary(*formats, "--force", cwd=project)
    assert both["previous_versions"] == [f"tei/{MEMO1}"] and both["by_code"] == {"P001": 2}
    assert not any("broken" in name for name in published_files(project / "out"))

    memo1.write_text(edited)  # fixed: the same as published, nothing to render
    fixed = summary(*formats, "--force", cwd=project)
    assert fixed["previous_versions"] == [] and fixed["by_code"] == {**first["by_code"], "P001": 1}
    assert fixed["rendered_documents"] == 0


def test_hostile_document_ids_cannot_escape_the_output_folder(project: Path) -> None:
    memo2 = project / "tei" / MEMO2
    memo2.write_text(memo2.read_text().replace('xml:id="memo-1949-07-27"', 'xml:id="../../../escape"', 1))
    summary("--format", "text", "--force", cwd=project)
    assert not (project / "escape.txt").exists() and not (project.parent / "escape.txt").exists()
    names = {p.name for p in (project / "out" / "text").iterdir()}
    assert "escape.txt" in names


def test_killing_a_build_at_any_moment_leaves_the_previous_output_intact(project: Path) -> None:
    summary("--format", "text", "--format", "html", cwd=project)
    published = snapshot(project / "out")
    memo1 = project / "tei" / MEMO1
    memo1.write_text(memo1.read_text().replace("<trailer>Printed", "<trailer>Typed and printed"))
    assert "Typed and printed" in memo1.read_text()
    rng = random.Random(1949)
    env = dict(os.environ)
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-m", "teipress", "build", "--format", "text", "--format", "html",
                                 "-q"], cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        time.sleep(rng.uniform(0.3, 4.0))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        now = snapshot(project / "out")
        manifest_files = {k for k in now if k.endswith(".teipress-manifest.json")}
        # Each format folder is either the old edition or the new one, complete.
        for fmt in ("text", "html"):
            old = {k: v for k, v in published.items() if k.startswith(fmt + "/")}
            new = {k: v for k, v in now.items() if k.startswith(fmt + "/")}
            if new != old:
                manifest = json.loads(now[f"{fmt}/.teipress-manifest.json"])
                listed = {f"{fmt}/{f}" for d in manifest["documents"].values() for f in d["files"]}
                listed |= {f"{fmt}/{f}" for f in manifest["edition_files"]}
                assert listed <= set(new), f"{fmt}: published files missing after kill"
        assert manifest_files
    final = summary("--format", "text", "--format", "html", cwd=project)
    assert final["published"] is True
    assert "Typed and printed" in (project / "out" / "text" / "memo-1949-06-27.txt").read_text()
    clean = project / "clean"
    data = summary("--format", "text", "--format", "html", "--out", str(clean), cwd=project)
    assert data["published"] is True
    ours, theirs = published_files(project / "out"), published_files(clean)
    assert ours.keys() == theirs.keys()
    assert {k for k in ours if ours[k] != theirs[k]} <= {k for k in ours if k.endswith(".html")}, \
        "only HTML pages may differ (they carry build timestamps)"


def test_documents_sharing_an_id_never_overwrite_each_other(project: Path) -> None:
    memo2 = project / "tei" / MEMO2
    memo2.write_text(memo2.read_text().replace('xml:id="memo-1949-07-27"', 'xml:id="memo-1949-06-27"', 1))
    blocked = summary("--format", "text", cwd=project)
    assert blocked["published"] is False
    assert any(d["code"] == "X002" for d in blocked["diagnostics"])  # type: ignore[union-attr]
    forced = summary("--format", "text", "--format", "html", "--force", cwd=project)
    assert forced["published"] is True and forced["rendered_documents"] == 2
    texts = sorted(p.name for p in (project / "out" / "text").glob("memo-*.txt"))
    assert texts == ["memo-1949-06-27-2.txt", "memo-1949-06-27.txt"]
    second = " ".join((project / "out" / "text" / "memo-1949-06-27-2.txt").read_text().split())
    assert "Victors are always correct." in second
    again = summary("--format", "text", "--format", "html", "--force", cwd=project)
    assert again["rendered_documents"] == 0, "a no-op rebuild stays a no-op with duplicate ids"


def test_a_document_rendered_from_its_register_slice_equals_the_full_register_render() -> None:
    """Small rebuilds render from per-document register slices (build.RegisterSlices.slice_xml):
    every file of every format must be what the whole register gives (Saxon's generated
    ids aside, which count the nodes parsed before)."""
    import re

    from teipress.build.fingerprints import RegisterSlices
    from teipress.config import load_config
    from teipress.load import load_path
    from teipress.render import RenderContext, engine_for, get_format
    from teipress.resolve import Corpus, build_register

    config = load_config(ROOT)
    docs = [load_path(p, config.root) for p in config.source_files()]
    register = build_register(Corpus(docs, [load_path(p, config.root) for p in config.authority_files()],
                                     config), config)
    formats = [get_format(f) for f in ("html", "print", "text")]
    engine = engine_for(formats)
    xml = register.to_xml_bytes()
    whole = RenderContext(config, engine, xml, None, "2026-01-01")
    generated = re.compile(rb"\bd\d+e\d+")
    compared = 0
    for indexed in (False, True):  # one letter (found by XPath) / a pool (the key index)
        slices = RegisterSlices(xml)
        if indexed:
            slices.register_part(docs[0].doc_id)  # builds the index
        sliced = RenderContext(config, engine, xml, None, "2026-01-01", slices.slice_xml)
        for doc in docs:
            assert len(slices.slice_xml(doc.doc_id)) < len(xml) / 2
            node = engine.parse(doc.data)
            for fmt in formats:
                for a, b in zip(fmt.render_document(whole, doc, node), fmt.render_document(sliced, doc, node),
                                strict=True):
                    assert a.relpath == b.relpath
                    assert generated.sub(b"ID", a.data) == generated.sub(b"ID", b.data), (doc.doc_id, a.relpath)
                    compared += 1
    assert compared >= 2 * 2 * 3


def test_many_slices_are_cut_from_the_index_not_by_scanning_the_register() -> None:
    """A few slices are found by scanning the register's bytes; from the ninth on the
    index is read once (a stylesheet change re-renders every document from a reused
    resolve). Either way a slice is the same bytes."""
    from teipress.build.fingerprints import SLICE_SCANS, RegisterSlices
    from teipress.config import load_config
    from teipress.load import load_path
    from teipress.render.register_index import RegisterIndex
    from teipress.resolve import Corpus, build_register

    config = load_config(ROOT)
    docs = [load_path(p, config.root) for p in config.source_files()]
    xml = build_register(Corpus(docs, [load_path(p, config.root) for p in config.authority_files()], config),
                         config).to_xml_bytes()
    whole = RegisterIndex.read(xml)
    slices = RegisterSlices(xml)
    for n in range(SLICE_SCANS + 2):
        doc_id = docs[n % len(docs)].doc_id
        assert slices.indexed == (n > SLICE_SCANS)
        assert slices.slice_xml(doc_id) == whole.slice_xml(doc_id)
    assert slices.indexed


def _findings(data: dict[str, object]) -> list[tuple[object, ...]]:
    rows = data["diagnostics"]
    assert isinstance(rows, list)
    return sorted((d["path"], d["line"], d["column"], d["code"], d["message"]) for d in rows)


def test_an_edit_the_resolve_phase_cannot_see_reuses_its_results(project: Path, tmp_path: Path) -> None:
    """Changing words moves later elements but changes no pointer, name, title, date or note:
    the build reuses the previous register and findings (moved to the new positions) and
    publishes exactly what a clean build publishes."""
    memo2 = project / "tei" / MEMO2
    text = memo2.read_text()
    dangling = text.replace('<persName ref="pers:kovalev">Kovalev</persName>, a serious',
                            '<persName ref="pers:kovalyov">Kovalev</persName>, a serious', 1)
    assert dangling != text
    memo2.write_text(dangling)
    first = summary("--format", "text", "--format", "html", "--force", cwd=project)
    assert first["resolve_reused"] is False and first["by_code"] == {"X001": 1}
    resolve_cache = project / ".teipress-cache" / "resolve"
    registers = {p.name: p.stat().st_ino for p in resolve_cache.glob("register-*.xml")}
    again = summary("--format", "text", "--format", "html", "--force", cwd=project)
    assert again["resolve_reused"] is True and _findings(again) == _findings(first)
    # nothing changed: the memo's register file is used as it stands, not written again
    assert {p.name: p.stat().st_ino for p in resolve_cache.glob("register-*.xml")} == registers
    assert again["files_written"] == 0

    # New words and a new line before the dangling pointer: its line and column move.
    memo2.write_text(dangling.replace("According to <persName",
                                      "According,\n   as reported, to <persName", 1)
                     .replace("Victors are always correct.", "Victors are always right.", 1))
    edited = summary("--format", "text", "--format", "html", "--force", cwd=project)
    assert edited["resolve_reused"] is True and edited["rendered_documents"] == 1
    # the register is used as that run wrote it (content hashes and lines are read by nothing)
    assert {p.name: p.stat().st_ino for p in resolve_cache.glob("register-*.xml")} == registers
    fresh = teipress("validate", "--format", "json", cwd=project)
    expected = sorted((d["path"], d["line"], d["column"], d["code"], d["message"])
                      for d in json.loads(fresh.stdout)["diagnostics"] if d["code"].startswith("X"))
    assert _findings(edited) == expected and expected[0][1:3] != _findings(first)[0][1:3]
    assert "always right" in (project / "out" / "text" / "edition.txt").read_text()

    clean = summary("--format", "text", "--format", "html", "--force", "--clean", "--out", str(tmp_path / "c"),
                    cwd=project)
    assert clean["resolve_reused"] is False

    assert published_files(project / "out") == published_files(tmp_path / "c")


@pytest.mark.parametrize("damage", [b"not marshal at all", b"marshal-of-wrong-shape", b"unknown-severity", b"",
                                    b"bucket-not-marshal", b"bucket-name-a-path"])
def test_a_damaged_resolve_memo_is_a_miss_not_a_wrong_build(project: Path, damage: bytes) -> None:
    """The memo is read with marshal and checked for shape: garbage, a value of the wrong
    shape, a severity no version writes, an empty file, a bucket of findings that is not
    marshal or a bucket named as a path make the build resolve again, with the same findings."""
    import hashlib
    import marshal

    from teipress.resolve.memo import bucket_of

    first = summary("--format", "text", "--force", cwd=project)
    again = summary("--format", "text", "--force", cwd=project)
    assert again["resolve_reused"] is True
    memo = project / ".teipress-cache" / "resolve" / "memo.marshal"
    assert memo.is_file()
    if damage in (b"marshal-of-wrong-shape", b"unknown-severity"):
        # a bucket of findings (see teipress.resolve.memo) about the first file, damaged
        data = marshal.loads(memo.read_bytes())
        path = next(iter(data["shas"]))
        rows = ([["a list", "not a tuple"]] if damage == b"marshal-of-wrong-shape"
                else [("tei/x.xml", 1, 1, "X001", "catastrophic", "m", None, "xref")])
        bucket = marshal.dumps({path: rows})
        name = hashlib.sha256(bucket).hexdigest()[:32]
        (memo.parent / f"findings-{name}.marshal").write_bytes(bucket)
        data["buckets"][bucket_of(path)] = name
        damage = marshal.dumps(data)
    elif damage.startswith(b"bucket-"):
        data = marshal.loads(memo.read_bytes())
        name = "0" * 32 if damage == b"bucket-not-marshal" else "/../../memo"
        if damage == b"bucket-not-marshal":
            (memo.parent / f"findings-{name}.marshal").write_bytes(b"\x00 not marshal")
        data["buckets"][0] = name
        damage = marshal.dumps(data)
    memo.write_bytes(damage)
    after = summary("--format", "text", "--force", cwd=project)
    assert after["resolve_reused"] is False and after["exit"] == first["exit"]
    assert _findings(after) == _findings(first)


@pytest.mark.parametrize("warnings_as_errors", [False, True])
def test_a_rebuild_reporting_a_few_findings_per_code_or_json_reads_only_the_edited_files_findings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, warnings_as_errors: bool) -> None:
    """With a text report of at most 20 findings per code, or a JSON summary, a rebuild that
    reuses the resolve memo reads the findings' bucket of the edited file alone; the others
    are counted and shown from the memo's summaries, or joined as the JSON the memo kept.
    The report, the JSON summary (byte for byte), the counts and the exit status are those
    of the same rebuild reading every finding, and the deferred findings, once read, are
    its findings."""
    import io

    from conftest import benchmark_synth
    from teipress.build import BuildOptions, build
    from teipress.check.runner import CheckOptions
    from teipress.commands.build import echo_findings
    from teipress.config import load_config
    from teipress.progress import for_stream
    from teipress.resolve import memo as memo_module

    corpus = benchmark_synth().generate(60, tmp_path / "corpus", force=True)
    for n, doc in enumerate(sorted((corpus / "tei").glob("*.xml"))):  # dangling pointers: X001 errors
        text = doc.read_text("utf-8")
        for k in range(1 + n % 3):
            text = text.replace('ref="pers:', f'ref="pers:nobody-{n}-{k}-', 1)
        doc.write_text(text, "utf-8")
    copies = {mode: tmp_path / mode for mode in ("text", "json", "read")}
    for folder in copies.values():
        shutil.copytree(corpus, folder)

    def run(mode: str) -> object:
        folder = copies[mode]
        config = load_config(config_file=folder / "teipress.toml")
        check = CheckOptions.from_config(config)
        check.warnings_as_errors = warnings_as_errors
        options = BuildOptions(["text"], folder / "output", jobs=1, force=True, check=check,
                               report_per_code=20 if mode == "text" else 0, report_json=mode == "json")
        return build(config, options, for_stream(io.StringIO(), quiet=True))

    def report(result: object) -> str:
        err = io.StringIO()
        monkeypatch.setattr(sys, "stderr", err)
        echo_findings(result, [*result.check.diagnostics, *result.render_errors], 20)  # type: ignore[attr-defined]
        monkeypatch.undo()
        return err.getvalue()

    for mode, folder in copies.items():
        first = run(mode)
        assert first.check.deferred is None and first.check.errors >= 60  # type: ignore[attr-defined]
        edited = sorted((folder / "tei").glob("*.xml"))[17]
        edited.write_text(edited.read_text("utf-8").replace("</p>", " Edited.</p>", 1), "utf-8")
    read_buckets: list[Path] = []
    real = memo_module._read_bucket

    def counted(path: Path) -> object:
        read_buckets.append(path)
        return real(path)

    monkeypatch.setattr(memo_module, "_read_bucket", counted)
    results = {mode: run(mode) for mode in copies}
    # the edited file's bucket, by each deferring build (the other reads them all)
    assert sorted(path.parents[2].name for path in read_buckets) == ["json", "text"]
    monkeypatch.undo()
    full = results["read"]
    assert full.resolve_reused and full.check.deferred is None  # type: ignore[attr-defined]
    for mode in ("text", "json"):
        result = results[mode]
        assert result.resolve_reused and result.check.deferred is not None  # type: ignore[attr-defined]
        for attr in ("errors", "warnings"):
            assert getattr(result.check, attr) == getattr(full.check, attr)  # type: ignore[attr-defined]
        assert result.by_code() == full.by_code()  # type: ignore[attr-defined]

    shown = report(results["text"])
    assert shown == report(full) and "more X001 findings" in shown

    def stable(result: object) -> dict[str, object]:
        data = json.loads(b"".join(result.to_json()))  # type: ignore[attr-defined]
        del data["seconds"], data["phases"]
        return data

    # the JSON summary: joined from the memo's JSON (read nothing), or (warnings as errors,
    # which that JSON does not say) from the findings, read then
    assert stable(results["json"]) == stable(full) and len(stable(full)["diagnostics"]) >= 60
    assert (results["json"].check.deferred is None) == warnings_as_errors  # type: ignore[attr-defined]
    assert stable(results["text"]) == stable(full)
    # read, the deferred findings are the findings
    assert results["text"].check.sorted() == full.check.sorted()  # type: ignore[attr-defined]
    assert results["text"].check.deferred is None  # type: ignore[attr-defined]


@pytest.mark.parametrize("damage", [b"", b"not marshal", b"marshal-of-wrong-shape"])
def test_damaged_json_of_the_memos_findings_is_read_from_the_findings_instead(
        project: Path, monkeypatch: pytest.MonkeyPatch, damage: bytes) -> None:
    """A JSON summary joins the JSON the memo kept of the unchanged files' findings; kept
    JSON that is not marshal or of another shape is not used: the findings are read and
    encoded instead, the same summary (JSON removed is made again from its bucket)."""
    import io
    import marshal

    from teipress.build import BuildOptions, build
    from teipress.check.runner import CheckOptions
    from teipress.config import load_config
    from teipress.progress import for_stream
    from teipress.resolve import memo as memo_module

    # the two memoranda in buckets of their own, whatever the temporary folder's name
    monkeypatch.setattr(memo_module, "bucket_of", lambda path: 0 if path.endswith(MEMO2) else 1)
    config = load_config(config_file=project / "teipress.toml")

    def run() -> object:
        options = BuildOptions(["text"], project / "out", jobs=1, force=True, check=CheckOptions.from_config(config),
                               report_json=True)
        return build(config, options, for_stream(io.StringIO(), quiet=True))

    def findings(result: object) -> list[object]:
        data = json.loads(b"".join(result.to_json()))  # type: ignore[attr-defined]
        return data["diagnostics"]  # type: ignore[no-any-return]

    memo2 = project / "tei" / MEMO2
    memo2.write_text(memo2.read_text().replace('ref="pers:kovalev"', 'ref="pers:kovalyov"', 1))  # X001
    first = run()
    assert first.by_code() == {"X001": 1}  # type: ignore[attr-defined]
    kept = sorted((project / ".teipress-cache" / "resolve").glob("json-*.marshal"))
    assert kept
    for path in kept:
        if damage == b"":
            path.unlink()
        else:
            path.write_bytes(marshal.dumps({"tei/x.xml": ([1, 2], [b"{}"])}) if damage.startswith(b"marshal")
                             else damage)
    memo1 = project / "tei" / MEMO1
    memo1.write_text(memo1.read_text().replace("</p>", "</p> ", 1))
    after = run()
    assert after.resolve_reused and after.check.deferred is not None  # type: ignore[attr-defined]
    assert findings(after) == findings(first)


def test_a_damaged_register_in_the_resolve_cache_is_a_miss(project: Path) -> None:
    """The memo's register is checked against the hash it is named by: a file changed
    behind the build's back is not reused (nor published from)."""
    first = summary("--format", "text", "--force", cwd=project)
    (register,) = (project / ".teipress-cache" / "resolve").glob("register-*.xml")
    register.write_bytes(register.read_bytes().replace(b"Stalin", b"Stolen"))
    after = summary("--format", "text", "--force", cwd=project)
    assert after["resolve_reused"] is False and _findings(after) == _findings(first)
    assert "Stolen" not in (project / "out" / "text" / "edition.txt").read_text()


def test_an_edit_of_what_the_register_shows_resolves_again(project: Path) -> None:
    summary("--format", "text", cwd=project)
    memo2 = project / "tei" / MEMO2
    memo2.write_text(memo2.read_text().replace('<persName ref="pers:kovalev">Kovalev</persName>, a serious',
                                               '<persName ref="pers:kovalev">I. V. Kovalev</persName>, a serious', 1))
    data = summary("--format", "text", cwd=project)
    assert data["resolve_reused"] is False
    assert data["by_code"] == {"X102": 1}  # the new form is not a recorded name: found, not reused


def test_a_published_file_deleted_by_hand_is_made_again(project: Path) -> None:
    """Kept files are hard-linked from the published folder; one that is missing there
    makes its document (or edition page) render again, and nothing half-linked is left."""
    summary("--format", "text", "--format", "html", cwd=project)
    out = project / "out"
    page = next(p for p in sorted((out / "html").glob("memo-*.html")))
    before = page.read_bytes()
    page.unlink()
    (out / "text" / "edition.txt").unlink()
    again = summary("--format", "text", "--format", "html", cwd=project)
    assert again["rendered_documents"] == 1
    assert page.read_bytes() == before
    assert (out / "text" / "edition.txt").is_file()
    third = summary("--format", "text", "--format", "html", cwd=project)
    assert third["rendered_documents"] == 0 and third["files_written"] == 0


def _gone(path: Path, within: float = 20.0) -> bool:
    """Whether *path* disappears within *within* seconds (a detached rm removes it)."""
    import time

    deadline = time.monotonic() + within
    while path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_the_replaced_edition_is_removed_without_waiting_and_leftovers_by_the_next_build(project: Path) -> None:
    """After a rebuild the staging folder held the previous edition: it is kept as the
    spare, and the staging folder moved into the cache's trash at once (nothing left in
    the output folder) and removed by a detached rm; what a killed build left in the
    trash is removed by the next build."""
    summary("--format", "text", cwd=project)
    memo2 = project / "tei" / MEMO2
    memo2.write_text(memo2.read_text().replace("Victors are always correct.", "Victors are always right.", 1))
    summary("--format", "text", cwd=project)
    assert not [p for p in (project / "out").iterdir() if p.name.startswith(".teipress")]
    trash = project / ".teipress-cache" / "trash"
    assert trash.is_dir() and all(_gone(p) for p in list(trash.iterdir()))

    left = trash / ".teipress-staging-1-123"  # as a build killed while removing it leaves it
    (left / "text").mkdir(parents=True)
    (left / "text" / "old.txt").write_text("previous edition")
    data = summary("--format", "text", cwd=project)
    assert data["rendered_documents"] == 0 and _gone(left)


def test_nothing_is_removed_while_a_build_runs_only_once_it_is_over(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--clean`` moves the previous edition and the caches into the trash and a full
    rebuild discards the old spare there, but nothing is removed before the build is
    over: removing tens of thousands of files beside a build that creates as many
    slowed it down (see teipress.staging.discard). The remover is asked once, after
    the new edition is published, for everything the trash holds."""
    import io

    from teipress import build as build_module
    from teipress import staging
    from teipress.build import BuildOptions, build
    from teipress.check.runner import CheckOptions
    from teipress.config import load_config
    from teipress.progress import for_stream

    config = load_config(config_file=project / "teipress.toml")
    out = project / "out"

    def run(clean: bool) -> build_module.BuildResult:
        options = BuildOptions(["text"], out, jobs=1, force=True, clean=clean,
                               check=CheckOptions.from_config(config))
        return build(config, options, for_stream(io.StringIO(), quiet=True))

    assert run(False).published
    memo2 = project / "tei" / MEMO2
    memo2.write_text(memo2.read_text().replace("Victors are always correct.", "Victors are always right.", 1))
    assert run(False).published  # the first edition is now the spare
    events: list[str] = []
    removed: list[list[Path]] = []
    real_publish = build_module.publish

    def publish(staged: Path, target: Path) -> bool:
        events.append("publish")
        return real_publish(staged, target)

    def remove(paths: list[Path]) -> None:
        events.append("remove")
        removed.append(list(paths))
        assert all(p.exists() for p in paths)  # still there: moved into the trash, not removed

    monkeypatch.setattr(build_module, "publish", publish)
    monkeypatch.setattr(staging, "_remove_detached", remove)
    result = run(True)
    assert result.published and result.rendered_documents == 2 and result.check.extra["checked"] > 0
    assert events == ["publish", "remove"]
    trash = project / ".teipress-cache" / "trash"
    names = sorted(p.name.rsplit("-", 1)[0] for p in removed[0])
    # the previous text edition, the check cache and the spare (what --clean cleared), and
    # the staging folder (the build's own, emptied): all in the trash until the build was over
    assert {"text", "check", "spare"} <= set(names) and any(n.startswith(".teipress-staging-") for n in names)
    assert all(p.parent == trash for p in removed[0])
    assert "Victors are always right." in " ".join((out / "text" / "memo-1949-07-27.txt").read_text().split())


def test_a_build_with_a_pool_leaves_no_temporary_folder_behind(project: Path) -> None:
    """The command ends with ``os._exit``, which runs no exit handler: the folder
    ``multiprocessing`` makes for the forkserver's socket (``pymp-*``) was left in the
    temporary directory by every build that started a pool.

    The build's own temporary directory is a short one: the forkserver's socket is made
    in it, and a socket's path is limited to 107 bytes (pytest's own folders, numbered
    by run, reached it once the run number had three digits).
    """
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="tp-", dir="/tmp"))
    try:
        env = {**os.environ, "TMPDIR": str(tmp), "TEIPRESS_DAEMON": "never"}
        proc = subprocess.run([sys.executable, "-m", "teipress", "build", "--no-daemon", "-j", "2", "--format",
                               "text", "--summary", "json"], cwd=project, capture_output=True, text=True, env=env,
                              timeout=600)
        assert proc.returncode == 0, proc.stderr
        data = json.loads(proc.stdout)
        assert data["published"] and data["rendered_documents"] == 2
        assert [p.name for p in tmp.iterdir() if p.name.startswith("pymp-")] == []
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_staged_files_are_new_files_inside_the_staging_folder(tmp_path: Path) -> None:
    """Staging holds hard links to published files: a write must replace the link, never
    write through it (or through a symlink); a path must not leave the folder."""
    from teipress.staging import StagingError, safe_join, write_new

    published = tmp_path / "published.html"
    published.write_text("published")
    staging = tmp_path / "staging"
    staging.mkdir()
    os.link(published, staging / "page.html")
    (staging / "link.html").symlink_to(published)
    write_new(safe_join(staging, "page.html"), b"new")
    write_new(safe_join(staging, "link.html"), b"other")
    write_new(safe_join(staging, "deep/er/file.txt"), b"x")
    assert published.read_text() == "published"
    assert (staging / "page.html").read_bytes() == b"new" and (staging / "page.html").stat().st_nlink == 1
    assert not (staging / "link.html").is_symlink() and (staging / "link.html").read_bytes() == b"other"
    assert (staging / "deep" / "er" / "file.txt").read_bytes() == b"x"
    for bad in ("../escape.html", "/etc/passwd", "a/../../escape.html", "."):
        with pytest.raises(StagingError):
            safe_join(staging, bad)
    assert safe_join(staging, "a/./b/../c.html") == os.path.join(staging, "a", "c.html")


def test_a_pool_makes_the_persons_page_beside_the_other_register_pages() -> None:
    """persons.html is a task of its own: with the other register pages it was the edition's
    longest task, one worker idle meanwhile. Sharing reads (one process; a register too
    large for two passes at once) the register pages stay one task."""
    from teipress.build.fingerprints import register_size
    from teipress.build.render_phase import APART_REGISTER_MAX, edition_tasks

    pages = {"html": ["index", "persons", "places", "organisations", "bibliography", "search-index"],
             "text": ["edition"]}
    assert edition_tasks(pages) == [
        ("html", ["persons"]), ("html", ["places", "organisations", "bibliography"]),
        ("html", ["index", "search-index"]), ("text", ["edition"])]
    assert edition_tasks(pages, share_reads=True) == [
        ("html", ["persons", "places", "organisations", "bibliography"]),
        ("html", ["index", "search-index"]), ("text", ["edition"])]
    # a rebuild that asks for the places page alone: no empty task
    assert edition_tasks({"html": ["places"]}) == [("html", ["places"])]
    assert register_size(b"<r:register/>") == 13
    assert register_size(Path("/nonexistent/register.xml")) > APART_REGISTER_MAX


def test_edition_pages_of_an_edit_that_changed_a_large_register_get_a_pool() -> None:
    """A document removed checks nothing again and renders few documents, so no pool was
    started; its edition pages read the complete register, one after the other. From a
    register of EDITION_POOL_MIN bytes, with two jobs and two tasks, they get a pool."""
    from teipress.build.render_phase import EDITION_POOL_MIN, _pool_for_pages

    large = EDITION_POOL_MIN
    assert _pool_for_pages(2, False, large, 2)
    assert not _pool_for_pages(1, False, large, 2)  # -j 1: one process
    assert not _pool_for_pages(2, True, large, 2)  # the register as before: joined files only
    assert not _pool_for_pages(2, False, large - 1, 2)  # quicker than a pool's start
    assert not _pool_for_pages(2, False, large, 1)  # one task: nothing side by side


def test_a_document_removed_gets_its_edition_pages_from_a_pool_and_the_same_edition(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Removing a document checks no file again: the build's only pool is the one started
    for the edition pages (any register counts as large here), and it publishes what
    one process publishes."""
    import io

    from teipress import build as build_module
    from teipress.build import BuildOptions, build, render_phase
    from teipress.check.runner import CheckOptions
    from teipress.config import load_config
    from teipress.progress import for_stream

    config = load_config(config_file=project / "teipress.toml")

    def run(jobs: int, out: Path) -> build_module.BuildResult:
        options = BuildOptions(["text", "html"], out, jobs=jobs, force=True,
                               check=CheckOptions.from_config(config))
        return build(config, options, for_stream(io.StringIO(), quiet=True))

    outs = {jobs: project / f"out-{jobs}" for jobs in (1, 2)}
    for jobs, out in outs.items():
        assert run(jobs, out).published
    (project / "tei" / MEMO2).unlink()
    monkeypatch.setattr(render_phase, "EDITION_POOL_MIN", 0)
    started: list[int] = []
    real = build_module.start_render_pool

    def counted(*args: object, **kwargs: object) -> object:
        started.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(build_module, "start_render_pool", counted)
    two = run(2, outs[2])
    assert two.published and not two.resolve_reused and two.check.extra["checked"] == 0
    assert two.rendered_documents == 1 and started == [1]
    started.clear()
    one = run(1, outs[1])
    assert one.published and started == []
    assert published_files(outs[1]) == published_files(outs[2])


def test_the_render_workers_of_an_edit_start_before_the_edited_file_is_checked(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the check cache shows a few files changed, the render pool starts, its workers
    compiling while the build checks those files and resolves; not when the files left
    alone hold an error the build will stop at (without --force)."""
    import io

    from teipress import build as build_module
    from teipress.build import BuildOptions, build
    from teipress.check import runner
    from teipress.check.runner import CheckOptions
    from teipress.config import load_config
    from teipress.progress import for_stream

    config = load_config(config_file=project / "teipress.toml")

    def run(force: bool) -> build_module.BuildResult:
        options = BuildOptions(["text"], project / "out", jobs=2, force=force, check=CheckOptions.from_config(config))
        return build(config, options, for_stream(io.StringIO(), quiet=True))

    assert run(False).published
    events: list[str] = []
    real_pool, real_check = build_module.start_render_pool, runner._Checker.check_path

    def pool(*args: object, **kwargs: object) -> object:
        events.append(f"pool {args[-1]}")  # the number of workers
        return real_pool(*args, **kwargs)  # type: ignore[arg-type]

    def check(self: object, path: Path) -> object:
        events.append(f"check {path.name}")
        return real_check(self, path)  # type: ignore[arg-type]

    monkeypatch.setattr(build_module, "start_render_pool", pool)
    monkeypatch.setattr(runner._Checker, "check_path", check)
    memo2 = project / "tei" / MEMO2
    memo2.write_text(memo2.read_text().replace("Victors are always correct.", "Victors are always right.", 1))
    result = run(False)
    assert result.published and result.rendered_documents == 1 and result.resolve_reused
    assert events == ["pool 1", f"check {MEMO2}"]  # one worker: the edit left the register as it was

    # an edit of what the register shows: the other worker is started before the resolve phase
    events.clear()
    memo2.write_text(memo2.read_text().replace(">Kovalev</persName>, a serious",
                                               ">I. V. Kovalev</persName>, a serious", 1))
    result = run(False)
    assert result.published and not result.resolve_reused
    assert events == ["pool 1", f"check {MEMO2}", "pool 1"]

    memo1 = project / "tei" / MEMO1  # an error in a file the next edit leaves alone
    memo1.write_text(memo1.read_text().replace("<TEI ", "<TEI bogus-attribute='1' ", 1))
    assert run(True).check.errors > 0
    memo2.write_text(memo2.read_text().replace("always right.", "always victorious.", 1))  # not checked before
    events.clear()
    assert not run(False).published
    assert events == [f"check {MEMO2}"]  # the build stops at the error: no workers started for it
    memo2.write_text(memo2.read_text().replace("always victorious.", "always first.", 1))
    events.clear()
    assert run(True).published
    assert events == ["pool 1", f"check {MEMO2}"]


def test_the_build_s_pools_share_out_tasks_by_their_workers() -> None:
    """A light pool widened (see build.RenderPool) is two pools; each task goes to the one with
    the fewest tasks waiting per worker, and a task done frees its place."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from teipress.build.pools import _Executors

    gate = threading.Event()
    pools = _Executors()
    one, two = ThreadPoolExecutor(1), ThreadPoolExecutor(2)
    pools.add(one, 1)  # type: ignore[arg-type]
    pools.add(two, 2)  # type: ignore[arg-type]
    futures = [pools.submit(lambda: (gate.wait(10), threading.current_thread().name)[1]) for _ in range(6)]
    gate.set()
    names = [f.result() for f in futures]
    assert sum(name.startswith(one._thread_name_prefix) for name in names) == 2
    assert sum(name.startswith(two._thread_name_prefix) for name in names) == 4
    deadline = time.monotonic() + 10
    while pools._waiting != [0, 0]:  # each done task's place is freed (by its future's callback)
        assert time.monotonic() < deadline, pools._waiting
        time.sleep(0.01)
    assert pools.submit(lambda: threading.current_thread().name).result().startswith(one._thread_name_prefix)
    one.shutdown()
    two.shutdown()


def test_an_edit_rebuilt_in_the_pool_equals_one_rebuilt_in_process(project: Path) -> None:
    """With -j 2 a rebuild of a few documents renders in the pool started before the
    resolve phase (editions side by side); with -j 1 everything runs in the build's own
    process. Both publish the same files."""
    outs = {jobs: project / f"out-{jobs}" for jobs in ("1", "2")}
    for jobs, out in outs.items():
        summary("--format", "text", "--format", "html", "-j", jobs, "--out", str(out), cwd=project)
    memo2 = project / "tei" / MEMO2
    memo2.write_text(memo2.read_text().replace("Victors are always correct.", "Victors are always right.", 1))
    for jobs, out in outs.items():
        data = summary("--format", "text", "--format", "html", "-j", jobs, "--out", str(out), cwd=project)
        assert data["published"] is True and data["rendered_documents"] == 1, data

    one, two = published_files(outs["1"]), published_files(outs["2"])
    assert one == two
    assert b"Victors are always right." in b" ".join(one["text/memo-1949-07-27.txt"].split())


def test_batches_of_documents_in_the_pool_equal_one_process(tmp_path: Path) -> None:
    """Forty documents with -j 2 go to the workers in batches (see batch_size); every
    document's files and facts are recorded under its own id, as with -j 1, and the
    edition is the same. An edit to one of them then renders that one alone."""
    from conftest import benchmark_synth
    from teipress.build.pools import BATCHES_PER_WORKER, MAX_BATCH, batch_size

    assert batch_size(40, 2) == 2 and batch_size(5019, 2) == MAX_BATCH and batch_size(3, 2) == 1
    for documents in range(1, 400, 7):
        size = batch_size(documents, 2)
        assert 1 <= size <= MAX_BATCH
        assert size == 1 or -(-documents // size) >= 2 * BATCHES_PER_WORKER
    corpus = benchmark_synth().generate(40, tmp_path / "corpus", force=True)
    outs = {jobs: tmp_path / f"out-{jobs}" for jobs in ("1", "2")}
    for jobs, out in outs.items():
        data = summary("--format", "text", "--format", "html", "-j", jobs, "--out", str(out), cwd=corpus)
        assert data["published"] is True and data["rendered_documents"] == 40, data
    assert published_files(outs["1"]) == published_files(outs["2"])
    for name in ("text", "html"):
        manifests = [json.loads((out / name / ".teipress-manifest.json").read_text())["documents"]
                     for out in outs.values()]
        assert len(manifests[0]) == 40
        assert {d: (m["files"], m["facts"]) for d, m in manifests[0].items()} == \
               {d: (m["files"], m["facts"]) for d, m in manifests[1].items()}
    edited = sorted((corpus / "tei").glob("*.xml"))[17]
    edited.write_text(edited.read_text("utf-8").replace("</p>", " Edited.</p>", 1), "utf-8")
    data = summary("--format", "text", "-j", "2", "--out", str(outs["2"]), cwd=corpus)
    assert data["published"] is True and data["rendered_documents"] == 1, data


def test_a_resolve_in_its_own_process_gives_the_same_findings_and_edition(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large corpus is resolved in a child process (the parent never unpickles the
    extracts), the parent reading the register while the child checks, or after it for a
    register above the size limit; the findings and every published file equal an
    in-process resolve's."""
    import io

    from teipress.build import BuildOptions, build, resolve_phase
    from teipress.check.runner import CheckOptions
    from teipress.config import load_config
    from teipress.progress import for_stream

    memo1 = project / "tei" / MEMO1  # a pointer to no entry: an X001 finding
    memo1.write_text(memo1.read_text().replace('ref="pers:stalin"', 'ref="pers:stallin"', 1))
    config = load_config(config_file=project / "teipress.toml")
    outcomes = {}
    for apart, limit in ((True, resolve_phase.INDEX_BESIDE_CHECKS_MAX), (True, 0), (False, 0)):
        monkeypatch.setattr(resolve_phase, "INDEX_BESIDE_CHECKS_MAX", limit)
        options = BuildOptions(["text", "html"], project / f"out-{apart}-{limit}", jobs=2, force=True,
                               clean=True, check=CheckOptions.from_config(config), resolve_apart=apart)
        result = build(config, options, for_stream(io.StringIO(), quiet=True))
        assert result.published and not result.resolve_reused
        outcomes[apart, limit] = ([d.to_dict() for d in result.check.sorted()], published_files(options.out))
    first, *others = outcomes.values()
    assert all(other == first for other in others)
    assert any(d["code"] == "X001" for d in first[0])


def test_a_manifest_naming_files_outside_the_output_links_nothing_from_there(project: Path) -> None:
    """The previous manifest (a file in the output folder) names the files a rebuild
    links; a name that is absolute or climbs out counts as missing (the document is
    rendered again), so no file from elsewhere enters the edition."""
    summary("--format", "text", cwd=project)
    (project / "secret.txt").write_text("not for publication")
    manifest = project / "out" / "text" / ".teipress-manifest.json"
    data = json.loads(manifest.read_text())
    doc_id = sorted(data["documents"])[0]
    data["documents"][doc_id]["files"].append("../../secret.txt")
    data["documents"][sorted(data["documents"])[1]]["files"].append(str(project / "secret.txt"))
    manifest.write_text(json.dumps(data))
    again = summary("--format", "text", cwd=project)
    assert again["published"] is True and again["rendered_documents"] == 2
    assert not [p for p in (project / "out").rglob("*") if p.is_file() and p.read_bytes() == b"not for publication"]


def test_rebuilds_start_from_the_edition_before_and_equal_clean_builds(project: Path, tmp_path: Path) -> None:
    """Each rebuild starts its staging folder from the spare, the edition published two
    builds ago, which still holds what changed since, files of a deleted document and
    anything put into the output folder by hand: none of it may reach the new edition."""
    formats = ("--format", "text", "--format", "html")
    out, spare = project / "out", project / ".teipress-cache" / "spare"
    memo1, memo2 = project / "tei" / MEMO1, project / "tei" / MEMO2

    def edit(path: Path, old: str, new: str) -> None:
        text = path.read_text("utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), "utf-8")

    def same_as_clean(name: str) -> None:
        assert summary(*formats, "--clean", "--out", str(tmp_path / name), cwd=project)["published"] is True
        assert published_files(out) == published_files(tmp_path / name)

    summary(*formats, cwd=project)
    edit(memo2, "Victors are always correct.", "Victors are always right.")
    assert summary(*formats, cwd=project)["rendered_documents"] == 1
    assert "always correct" in (spare / "text" / "memo-1949-07-27.txt").read_text()  # the edition before
    (out / "html" / "by-hand.html").write_text("not part of the edition")
    edit(memo2, "Victors are always right.", "Victors are always just.")
    assert summary(*formats, cwd=project)["rendered_documents"] == 1  # from the spare of build 1
    assert "always right" in (spare / "text" / "memo-1949-07-27.txt").read_text()
    assert (spare / "html" / "by-hand.html").is_file() and not (out / "html" / "by-hand.html").exists()
    same_as_clean("clean1")

    memo2.unlink()
    # from the spare with by-hand.html (memo 1 is rendered again: its "next" link goes)
    assert summary(*formats, cwd=project)["files_removed"] > 0
    edit(memo1, "and continued <time", "and then continued <time")
    assert summary(*formats, cwd=project)["rendered_documents"] == 1  # from the spare with memo 2
    assert not (out / "html" / "by-hand.html").exists()
    assert not list(out.rglob("memo-1949-07-27*"))
    same_as_clean("clean2")


@pytest.mark.parametrize(("current", "used"), [(3, True), (2, True), (1, False)])
def test_a_spare_is_used_only_when_it_holds_most_documents_as_published(tmp_path: Path, current: int,
                                                                         used: bool) -> None:
    """Replacing most files of a spare costs more than linking them into an empty folder
    (after a build that changed every document, e.g. a new stylesheet)."""
    from teipress.build.manifest import SPARES, Carry, Manifest

    published = Manifest(documents={f"d{i}": {"key": f"k{i}", "files": [f"d{i}.html"]} for i in range(4)})
    spare = tmp_path / "cache" / SPARES / "html"
    spare.mkdir(parents=True)
    held = Manifest(documents={f"d{i}": {"key": f"k{i}" if i < current else "old", "files": [f"d{i}.html"]}
                               for i in range(4)})
    held.write(spare)
    for i in range(4):
        (spare / f"d{i}.html").write_text("x")
    staged = tmp_path / "staging" / "html"
    staged.parent.mkdir()
    carry = Carry(tmp_path / "out" / "html", published, staged, tmp_path / "cache", "html")
    assert not spare.exists()  # taken either way
    assert (carry.present is not None) is used and staged.exists() is used
    if used:
        assert carry.document("d0", published.documents["d0"], [])  # already there: nothing linked


def test_document_keys_are_the_labelled_hash_of_environment_source_and_register_part() -> None:
    """RegisterSlices.key hashes from a copy of the environment's hash: the same keys as
    KeyBuilder over the three parts (else every manifest would go stale)."""
    from teipress.build.fingerprints import RegisterSlices
    from teipress.config import load_config
    from teipress.load import load_path
    from teipress.render.keys import KeyBuilder
    from teipress.resolve import Corpus, build_register

    config = load_config(ROOT)
    docs = [load_path(p, config.root) for p in config.source_files()]
    auths = [load_path(p, config.root) for p in config.authority_files()]
    slices = RegisterSlices(build_register(Corpus(docs, auths, config), config).to_xml_bytes())
    keys = set()
    for env in ("html-env", "text-env"):
        for d in docs:
            key = slices.key(d.doc_id, d.sha256, env)
            assert key == KeyBuilder(env, d.sha256, slices.register_part(d.doc_id)).hexdigest()
            keys.add(key)
    assert len(keys) == 2 * len(docs) == 4


def test_warming_a_pool_that_was_shut_down_is_quiet() -> None:
    """The workers of a pool are started by a thread (build._warm); a build that failed
    meanwhile has shut the pool down, and the thread then ends without an error."""
    from concurrent.futures import ProcessPoolExecutor

    from teipress.build.pools import _warm

    pool = ProcessPoolExecutor(1)
    pool.shutdown()
    _warm(pool, 2)  # raised RuntimeError (cannot schedule new futures after shutdown) unguarded


def test_a_broken_rule_file_stops_a_build_after_an_edit_with_its_place(project: Path) -> None:
    """After an edit the checker (its rules compiled) is made in a thread while the check
    cache is read (teipress.check.runner); a rule file that does not compile is reported
    from there as from the build's own thread, with its place, and publishes nothing."""
    assert summary("--format", "text", cwd=project)["published"] is True
    (project / "house.sch").write_text(
        '<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt3">\n'
        '<pattern><rule context="p">\n<assert test="((">never</assert></rule></pattern></schema>\n')
    config = (project / "teipress.toml").read_text()
    (project / "teipress.toml").write_text('rules = ["house.sch"]\n' + config)
    memo2 = project / "tei" / MEMO2
    memo2.write_text(memo2.read_text().replace("Victors are always correct.", "Victors are always right.", 1))
    proc = teipress("build", "--format", "text", cwd=project)
    assert proc.returncode == 2, proc.stdout + proc.stderr  # was 1, with a traceback
    assert "\nerror: house.sch:3:1: XPath error" in proc.stderr and "XPST0003" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert b"always right" not in b" ".join((project / "out" / "text" / "memo-1949-07-27.txt").read_bytes().split())


def test_the_summary_is_written_whole_when_standard_output_takes_it_in_pieces(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The JSON summary goes out by writev, up to 512 pieces a call (commands.build.write_all);
    a call that writes only part (a pipe, a signal) is continued where it stopped."""
    import os
    import random

    from teipress.commands import build as command

    rng = random.Random(3)
    pieces = [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40))) for _ in range(1500)]
    out = bytearray()

    def writev(fd: int, buffers: list[bytes]) -> int:  # at most 37 bytes a call
        room = 37
        for b in buffers:
            take = bytes(b[:room])
            out.extend(take)
            room -= len(take)
            if not room:
                break
        return 37 - room

    monkeypatch.setattr(os, "writev", writev)
    command.write_all(1, pieces)
    assert bytes(out) == b"".join(pieces)
