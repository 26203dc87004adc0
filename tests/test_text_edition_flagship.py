
"""The flagship text edition (tei/*.xml) against its seed, sentence by sentence, and the
promises that hold for every document: no text lost, no markup leaked, note labels as the
register (and so the HTML and print editions) gives them.

The seed lives outside the repository (../shared/seeds/); this is the one test module
allowed to read it, and a missing seed is a failure, not a skip.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from teipress.config import load_config
from teipress.load import LoadedDocument, load_path
from teipress.render import RenderContext, engine_for
from teipress.render.text import FORMAT, leaked_markup, lost_text
from teipress.resolve import Corpus, build_register

REPO = Path(__file__).resolve().parents[1]
SEED = Path(__file__).resolve().parents[1].parent / "shared" / "seeds" / "000_b8621c9ef563179c.txt"
R = "{https://teipress.dev/ns/register}"
TEI = "{http://www.tei-c.org/ns/1.0}"


# --------------------------------------------------------------------------
# seed normalisation: mirrors tests/test_edition_fidelity.py (the encoder's), plus
# quotation marks, which the seed gives inconsistently and the edition adds.

def normalise_seed(text: str) -> str:
    """Remove the seed's markdown, header field labels and note superscripts."""
    text = re.sub(r"\*\*(Title|Author|Date|Source|Description):(\*\*)?", "\n", text)
    text = re.sub(r"<sup>.*?</sup>", "", text)
    text = text.replace("\\*", "").replace("*", "")
    text = re.sub(r"\[Source: ([^\]]*)\]", r"Source: \1", text)  # memo 1's bracketed source
    text = re.sub(r"^#+\s*", "", text, flags=re.M)
    return _unquote(text)


def normalise_edition(text: str) -> str:
    """The text edition as the seed would have it: no underlines, footnote markers,
    braced editorial matter, foreign-word marks or quotation-source dashes."""
    text = re.sub(r"(?m)^[=-]+$", "", text)
    text = re.sub(r"\[\d+\]", "", text)
    text = re.sub(r"\s*\{[^{}]*\}", "", text)
    text = re.sub(r"(?m)^(\s*)— ", r"\1", text)
    text = text.replace("_", "")
    return re.sub(r"\s+", " ", _unquote(text)).strip()


def _unquote(text: str) -> str:
    return re.sub("[“”‘’\"]", "", text)


def sentences(text: str) -> list[str]:
    """Sentences of the seed, line by line (bare note numbers like "1." skipped)."""
    out = []
    for line in text.splitlines():
        line = re.sub(r"\s+", " ", line).strip()
        for sent in re.split(r"(?<=[.!?])\s+", line) if line else []:
            if sent and not re.fullmatch(r"\d+\.?", sent):
                out.append(sent)
    return out


def seed_parts() -> dict[str, str]:
    """The seed split into its two memoranda (each starts with a Title field)."""
    if not SEED.is_file():
        pytest.fail(f"seed text not found at {SEED}; the flagship text edition cannot be checked")
    raw = SEED.read_text(encoding="utf-8")
    starts = [m.start() for m in re.finditer(r"\*\*Title:", raw)]
    assert len(starts) == 2, f"expected two memoranda in the seed, found {len(starts)}"
    return {"memo-1949-06-27": raw[starts[0]:starts[1]], "memo-1949-07-27": raw[starts[1]:]}


# --------------------------------------------------------------------------
# the flagship edition, rendered once

class Flagship:
    def __init__(self, staging: Path) -> None:
        cfg = load_config(REPO)
        self.docs: list[LoadedDocument] = [load_path(p, cfg.root) for p in cfg.source_files()]
        auths = [load_path(p, cfg.root) for p in cfg.authority_files()]
        register = build_register(Corpus(self.docs, auths, cfg), cfg).to_xml_bytes()
        self.register = etree.fromstring(register)
        engine = engine_for([FORMAT])
        ctx = RenderContext(cfg, engine, register, self.register, "2026-01-01")
        self.files: dict[str, str] = {}
        for d in self.docs:
            for f in FORMAT.render_document(ctx, d, engine.parse(d.data)):
                (staging / f.relpath).write_bytes(f.data)
                self.files[f.relpath] = f.data.decode("utf-8")
        for f in FORMAT.render_edition(ctx, self.docs, staging):
            self.files[f.relpath] = f.data.decode("utf-8")


@pytest.fixture(scope="module")
def flagship(tmp_path_factory: pytest.TempPathFactory) -> Flagship:
    return Flagship(tmp_path_factory.mktemp("text"))


MEMOS = ["memo-1949-06-27", "memo-1949-07-27"]


@pytest.mark.parametrize("memo", MEMOS)
def test_every_seed_sentence_is_in_the_text_edition(memo: str, flagship: Flagship) -> None:
    seed = sentences(normalise_seed(seed_parts()[memo]))
    assert len(seed) > 20
    ours = normalise_edition(flagship.files[f"{memo}.txt"])
    missing = [s for s in seed if s not in ours]
    assert missing == []


def test_edition_txt_holds_both_memoranda_in_order(flagship: Flagship) -> None:
    ed = flagship.files["edition.txt"]
    first, second = flagship.files["memo-1949-06-27.txt"], flagship.files["memo-1949-07-27.txt"]
    assert first in ed and second in ed and ed.index(first) < ed.index(second)
    assert ed.count("Editorial conventions\n") == 1
    flat = normalise_edition(ed)
    missing = [s for part in seed_parts().values() for s in sentences(normalise_seed(part))
               if s not in flat]
    assert missing == []


def test_flagship_renderings(flagship: Flagship) -> None:
    """Spot checks of the conventions on the real text."""
    memo1 = flagship.files["memo-1949-06-27.txt"]
    assert memo1.startswith("Memorandum of Conversation between Stalin and CCP Delegation\n"
                            "============================================================\n")
    assert "Date:           27 June 1949\n" in memo1
    assert "Translator:     Sergey Radchenko\n" in memo1
    assert "The meeting [_priem_] took place on 27 June" in memo1
    assert ("1. About the credit. Cde. Stalin said that the VKP(b) CC decided to\n"
            "   provide to the CCP CC") in memo1
    assert "2. About the specialists. “As for the specialists,” Cde. Stalin said," in memo1
    assert 'said: "Well, if you insist' in memo1  # the source's own quotation marks, not doubled
    assert "Kovalev [signature]\n" in memo1
    assert "Remarks\n-------\n" in memo1
    assert "Xu Jiepan was\nGao Gang[1]\n" in memo1
    assert memo1.endswith("Notes\n-----\n\n[1] The sentence breaks off here in the source text; "
                          "it is reproduced as\n    it stands.\n")
    memo2 = flagship.files["memo-1949-07-27.txt"]
    assert "    — Red Wings over the Yalu, 33-34\n" in memo2
    assert "[2] This has a double meaning" in memo2


def test_index_of_persons(flagship: Flagship) -> None:
    ed = flagship.files["edition.txt"]
    index = ed[ed.index("Index of persons\n"):]
    assert "\nGao Gang (1905–1954): memo-1949-06-27, memo-1949-07-27\n" in index
    assert "\nIosif Stalin (1878–1953): memo-1949-06-27, memo-1949-07-27\n" in index
    assert ed.endswith("\n") and not ed.endswith("\n\n")


@pytest.mark.parametrize("memo", MEMOS)
def test_no_text_lost_no_markup_leaked(memo: str, flagship: Flagship) -> None:
    doc = next(d for d in flagship.docs if d.doc_id == memo)
    text = flagship.files[f"{memo}.txt"]
    assert lost_text(doc.root, text) == []
    assert leaked_markup(doc.root, text) == []
    assert all(len(line) <= 72 or " " not in line.strip() for line in text.split("\n"))


@pytest.mark.parametrize("memo", MEMOS)
def test_note_markers_use_the_register_labels(memo: str, flagship: Flagship) -> None:
    """The same labels as the HTML and print editions: both come from r:notes."""
    doc = next(d for d in flagship.docs if d.doc_id == memo)
    text = flagship.files[f"{memo}.txt"]
    labels = {n.get("ordinal"): n.get("label")
              for n in flagship.register.iter(f"{R}note") if n.get("doc") == memo}
    notes = list(doc.root.iter(f"{TEI}note"))
    foot = [(i, n) for i, n in enumerate(notes, 1)
            if n.get("place") in (None, "foot", "end", "bottom") and n.get("type") != "source-note"
            and not any(a.tag == f"{TEI}teiHeader" for a in n.iterancestors())]
    assert foot
    body, _, notes_section = text.rpartition("\nNotes\n-----\n")
    for ordinal, _note in foot:
        label = labels[str(ordinal)]
        assert f"[{label}]" in body
        assert f"\n[{label}] " in "\n" + notes_section.lstrip("\n")


def test_teipress_build_format_text(tmp_path: Path, flagship: Flagship) -> None:
    """`teipress build --format text` publishes the same bytes the render API gives,
    and a clean rebuild gives the same bytes again."""
    project = tmp_path / "project"
    shutil.copytree(REPO / "tei", project / "tei")
    shutil.copy(REPO / "pyproject.toml", project / "pyproject.toml")
    outputs = []
    for run in ("one", "two"):
        out = tmp_path / run
        proc = subprocess.run(
            [sys.executable, "-m", "teipress", "build", "--format", "text", "--force", "--clean",
             "--schema", "none", "-q", "--out", str(out)],
            cwd=project, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        outputs.append({p.name: p.read_bytes() for p in sorted((out / "text").glob("*.txt"))})
    assert outputs[0] == outputs[1]
    assert set(outputs[0]) == {"edition.txt", "memo-1949-06-27.txt", "memo-1949-07-27.txt"}
    for name, data in outputs[0].items():
        assert data.decode("utf-8") == flagship.files[name], name
