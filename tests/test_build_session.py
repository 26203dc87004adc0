"""Builds in one session (``teipress serve --watch``) keep their render workers and checker,
and publish exactly what builds without one publish."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest

import teipress.build
import teipress.resolve.memo
from teipress.build import BuildOptions, build
from teipress.check.runner import CheckOptions
from teipress.config import Config, load_config
from teipress.progress import Progress
from teipress.session import BuildSession

ROOT = Path(__file__).resolve().parents[1]
MEMO2 = "1949-07-27-liu-shaoqi-stalin.xml"
RULES = """<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">
  <ns prefix="tei" uri="http://www.tei-c.org/ns/1.0"/>
  <pattern>
    <rule context="tei:title">
      <report test="true()" role="warning">MESSAGE</report>
    </rule>
  </pattern>
</schema>
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "tei", tmp_path / "tei")
    (tmp_path / "rules.sch").write_text(RULES.replace("MESSAGE", "a title (first rules)"))
    write_config(tmp_path, "Test edition")
    return tmp_path


def write_config(project: Path, title: str) -> None:
    (project / "teipress.toml").write_text(
        'sources = ["tei/*.xml"]\nauthorities = ["tei/authority/*.xml"]\noutput = "out"\nrules = ["rules.sch"]\n'
        f'[edition]\ntitle = "{title}"\n')


def edit(project: Path, old: str, new: str) -> None:
    path = project / "tei" / MEMO2
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def run(config: Config, out: Path, session: BuildSession | None, clean: bool = False) -> teipress.build.BuildResult:
    options = BuildOptions(formats=["html", "text"], out=out, jobs=2, clean=clean,
                           check=CheckOptions.from_config(config))
    result = build(config, options, Progress(), session)
    assert result.published, [d for d in result.check.diagnostics if d.is_error][:3]
    return result


def published(folder: Path) -> dict[str, bytes]:
    """The edition's files but the manifests and the joined files' spans (inode numbers)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.endswith((".teipress-manifest.json", ".spans"))}


def messages(result: teipress.build.BuildResult) -> set[str]:
    return {d.message for d in result.check.diagnostics if d.source == "schematron"}


def test_a_sessions_first_build_makes_the_checker_even_with_nothing_to_check(project: Path) -> None:
    """A daemon's warm-up (or serve's first build) after a build that checked everything
    checks nothing, and still makes the checker: the editor's first save reuses it."""
    out = project / "out"
    config = load_config(config_file=project / "teipress.toml")
    run(config, out, None)  # the check cache holds every file now
    with BuildSession() as session:
        assert run(config, out, session).check.extra["checked"] == 0
        edit(project, "Victors are always correct.", "Victors are always right.")
        result = run(config, out, session)
        assert result.check.extra["checked"] == 1 and result.rendered_documents == 1
        assert session.checkers_reused == 1, "the save made the checker"


def test_rebuilds_in_a_session_keep_their_workers_and_equal_clean_builds(project: Path, tmp_path: Path) -> None:
    out = project / "out"
    with BuildSession() as session:
        config = load_config(config_file=project / "teipress.toml")
        run(config, out, session)
        assert (session.pools_reused, session.checkers_reused) == (0, 0)

        edit(project, "Victors are always correct.", "Victors are always right.")
        result = run(config, out, session)
        assert result.rendered_documents == 1
        assert (session.pools_reused, session.checkers_reused) == (1, 1)
        assert "Victors are always right." in " ".join((out / "text" / "memo-1949-07-27.txt").read_text().split())

        # the configuration shows on every page: new workers, and every document again
        write_config(project, "Another edition")
        config = load_config(config_file=project / "teipress.toml")
        edit(project, "Victors are always right.", "Victors are always just.")
        result = run(config, out, session)
        assert result.rendered_documents == 2
        assert session.pools_reused == 1, "a pool made for the old configuration was used"
        assert session.checkers_reused == 2  # the rules are the same
        assert "Another edition" in (out / "html" / "index.html").read_text()

        # edited rules: a new checker, whose findings are the new rules'
        (project / "rules.sch").write_text(RULES.replace("MESSAGE", "a title (second rules)"))
        edit(project, "Victors are always just.", "Victors are always correct.")
        result = run(config, out, session)
        assert session.checkers_reused == 2, "a checker compiled from the old rules was used"
        assert "a title (second rules)" in messages(result) and "a title (first rules)" not in messages(result)

    clean = tmp_path / "clean"
    run(config, clean, None, clean=True)
    assert published(out) == published(clean)


def test_a_build_that_fails_does_not_leave_its_pool_to_the_next(project: Path, monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    out = project / "out"
    config = load_config(config_file=project / "teipress.toml")
    with BuildSession() as session:
        run(config, out, session)
        edit(project, "Victors are always correct.", "Victors are always right.")

        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("the render phase broke")

        with monkeypatch.context() as patch:
            patch.setattr(teipress.build, "render_all", broken)
            with pytest.raises(RuntimeError, match="render phase broke"):
                run(config, out, session)
        assert session.pools_reused == 1  # the failed build had the first one's workers
        # the next build starts workers of its own, and publishes the edit
        result = run(config, out, session)
        assert session.pools_reused == 1, "the failed build's workers were used again"
        assert result.rendered_documents == 1
        assert "Victors are always right." in " ".join((out / "text" / "memo-1949-07-27.txt").read_text().split())


def test_a_session_reads_each_check_result_and_findings_bucket_once(project: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """What the caches hold under a content hash is read once per session; a renamed file's
    findings still name it as it is called now."""
    from teipress.check.cache import CheckCache

    read: list[int] = []
    real = CheckCache._read_many

    def counting(self: CheckCache, wanted: list[str], displays: dict[str, str]) -> object:
        read.append(len(wanted))
        return real(self, wanted, displays)

    monkeypatch.setattr(CheckCache, "_read_many", counting)
    made: list[int] = []  # resolve findings made from the memo's rows
    real_rows = teipress.resolve.memo.from_rows

    def counting_rows(rows: list[tuple[object, ...]]) -> object:
        made.append(len(rows))
        return real_rows(rows)  # type: ignore[arg-type]

    monkeypatch.setattr(teipress.resolve.memo, "from_rows", counting_rows)
    persons = project / "tei" / "authority" / "persons.xml"  # an entry no one mentions: a finding
    persons.write_text(persons.read_text("utf-8").replace(
        "</listPerson>", '<person xml:id="pers-nobody"><persName>Nobody</persName></person></listPerson>', 1), "utf-8")
    out = project / "out"
    config = load_config(config_file=project / "teipress.toml")
    with BuildSession() as session:
        run(config, out, session)  # checks all six files
        run(config, out, session)  # reads the six results the first wrote
        del read[:], made[:]
        run(config, out, session)  # reads nothing, makes no finding again
        assert sum(read) == 0 and sum(made) == 0
        edit(project, "Victors are always correct.", "Victors are always right.")
        run(config, out, session)
        # the edited file only: its new content (a miss), its old results (they move the
        # resolve phase's findings)
        assert sum(read) == 2

        # a findings bucket damaged on disk is not read again (its name is its content)
        buckets = sorted((project / ".teipress-cache" / "resolve").glob("findings-*.marshal"))
        assert buckets and session.memo_buckets
        for bucket in buckets:
            bucket.write_bytes(b"damaged")
        assert run(config, out, session).resolve_reused

        # the same content under another name: its cached findings show the new name
        memo = project / "tei" / MEMO2
        moved = memo.with_name("renamed.xml")
        memo.rename(moved)
        result = run(config, out, session)
        shown = {d.path for d in result.check.diagnostics if d.source == "schematron"}
        assert "tei/renamed.xml" in shown and f"tei/{MEMO2}" not in shown


def test_a_session_reads_the_manifests_it_wrote_without_parsing_them(project: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The manifests a session's build wrote are read back from memory by the next builds
    (published, then spare); one rewritten by a build outside the session is parsed."""
    parsed: list[str] = []
    real = orjson.loads

    def counting(data: bytes) -> object:
        if b'"edition_files"' in data[:100_000]:
            parsed.append("manifest")
        return real(data)

    monkeypatch.setattr(orjson, "loads", counting)
    out = project / "out"
    config = load_config(config_file=project / "teipress.toml")
    with BuildSession() as session:
        run(config, out, session)
        run(config, out, session)  # the published manifests: the first build's
        del parsed[:]
        edit(project, "Victors are always correct.", "Victors are always right.")
        run(config, out, session)  # published and spare manifests: the session's
        assert parsed == []
        run(config, out, None)  # a build without the session rewrites them
        edit(project, "Victors are always right.", "Victors are always just.")
        result = run(config, out, session)
        assert parsed and result.rendered_documents == 1
        assert "Victors are always just." in " ".join((out / "text" / "memo-1949-07-27.txt").read_text().split())
    clean = tmp_path / "clean"
    run(config, clean, None, clean=True)
    assert published(out) == published(clean)
