"""The XSLT engine: stylesheets compiled now or on first use, locked either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from teipress.xslt import XsltEngine, XsltError

READER = """<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:param name="uri" select="''"/>
  <xsl:template match="/"><r><xsl:value-of select="{expr}"/></r></xsl:template>
</xsl:stylesheet>"""

COUNTER = """<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output omit-xml-declaration="yes"/>
  <xsl:param name="other" select="()"/>
  <xsl:template match="/"><r n="{count(//*)}" other="{count($other//*)}"/></xsl:template>
</xsl:stylesheet>"""


def sheet(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, "utf-8")
    return path


@pytest.mark.parametrize("expr", ["doc($uri)", "unparsed-text($uri)", "collection($uri)"])
def test_no_stylesheet_can_read_a_file_at_run_time_compiled_now_or_later(tmp_path: Path, expr: str) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_text("<secret>do not publish</secret>", "utf-8")
    engine = XsltEngine({"now": sheet(tmp_path, "now.xsl", READER.format(expr=expr))},
                        later={"later": sheet(tmp_path, "later.xsl", READER.format(expr=expr))})
    node = engine.parse("<x/>")
    for name in ("now", "later", "now"):  # the first again, after the second was compiled
        with pytest.raises(XsltError):
            engine.transform(name, node, {"uri": secret.as_uri()})


def test_later_stylesheets_are_compiled_when_first_used(tmp_path: Path) -> None:
    """A broken stylesheet among the later ones costs nothing until it is asked for."""
    engine = XsltEngine({"counter": sheet(tmp_path, "counter.xsl", COUNTER)},
                        later={"broken": sheet(tmp_path, "broken.xsl", "<xsl:stylesheet version='3.0' "
                                               "xmlns:xsl='http://www.w3.org/1999/XSL/Transform'><oops/>")})
    assert engine.transform("counter", engine.parse("<a><b/></a>")) == '<r n="2" other="0"/>'
    with pytest.raises(XsltError, match="cannot compile"):
        engine.transform("broken", engine.parse("<a/>"))


def test_one_parsed_node_serves_stylesheets_compiled_now_and_later(tmp_path: Path) -> None:
    """Saxon ties a node to the processor that parsed it; the later stylesheets have
    another, so the engine parses the text there too, as a context item or a parameter."""
    counter = sheet(tmp_path, "counter.xsl", COUNTER)
    engine = XsltEngine({"now": counter}, later={"later": counter})
    node, other = engine.parse("<a><b/><c/></a>"), engine.parse(b"<?xml version='1.0'?><z><y/></z>")
    out = '<r n="3" other="2"/>'
    assert engine.transform("now", node, {"other": other}) == out
    assert engine.transform("later", node, {"other": other}) == out
    assert engine.transform("now", node, {"other": other}) == out
    with pytest.raises(XsltError, match="cannot parse XML"):
        engine.transform("later", engine.parse("<unclosed>"))


def test_a_transform_in_a_named_mode_leaves_the_next_one_in_the_default_mode(tmp_path: Path) -> None:
    """saxonche keeps a stylesheet's initial mode from one transform to the next."""
    moded = sheet(tmp_path, "moded.xsl", """<xsl:stylesheet version="3.0"
        xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:m="urn:m">
      <xsl:output method="text"/>
      <xsl:template match="/">default</xsl:template>
      <xsl:template match="/" mode="m:other">other</xsl:template>
    </xsl:stylesheet>""")
    engine = XsltEngine({"moded": moded})
    node = engine.parse("<a/>")
    results = [engine.transform("moded", node, mode=mode) for mode in (None, "{urn:m}other", None, "{urn:m}other")]
    assert results == ["default", "other", "default", "other"]
