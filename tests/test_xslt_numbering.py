"""Note ordinals and index-anchor numbers: one walk of the document, the same numbers.

``tp:note-ordinal`` (common.xsl) and ``tpp:anchor-id`` (print/inline.xsl) read the
position of a note among the document's notes, and of a name among its name-like
elements, from accumulators; where an accumulator does not apply to the document
(a stylesheet whose initial mode does not ask for them) they count in a key instead.
Both ways must give what the definitions on the axes give, nested notes and names
included.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from teipress.paths import xslt_path
from teipress.xslt import XsltEngine

NAMED = ("tei:persName | tei:placeName | tei:orgName | tei:name | tei:rs | tei:term | tei:geogName"
         " | tei:roleName | tei:ref | tei:bibl | tei:biblStruct | tei:person")

#: Prints, per note, its ordinal and the definition's; per element of the text, its anchor
#: id and the one made from xsl:number over the same pattern.
PROBE = """<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:tei="http://www.tei-c.org/ns/1.0" xmlns:tp="https://teipress.dev/ns"
    xmlns:tpp="https://teipress.dev/ns/print" exclude-result-prefixes="#all">
  <xsl:import href="{inline}"/>
  {mode}
  <xsl:output method="text"/>
  <xsl:template match="/">
    <xsl:for-each select="//tei:note">
      <xsl:value-of select="'#ordinal', tp:note-ordinal(.),
                            count(preceding::tei:note) + count(ancestor::tei:note) + 1"/>
      <xsl:text>&#10;</xsl:text>
    </xsl:for-each>
    <xsl:for-each select="//tei:text//* | //tei:person">
      <xsl:variable name="n"><xsl:number level="any" count="{named}"/></xsl:variable>
      <xsl:value-of select="local-name(), tpp:anchor-id(.), 'ix-' || $doc-id || '-' || $n"/>
      <xsl:text>&#10;</xsl:text>
    </xsl:for-each>
  </xsl:template>
</xsl:stylesheet>"""

DOCUMENT = """<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader>
    <fileDesc>
      <titleStmt><title>Numbering</title></titleStmt>
      <publicationStmt><p>test</p></publicationStmt>
      <notesStmt><note>a header note comes first</note></notesStmt>
      <sourceDesc><p>test</p></sourceDesc>
    </fileDesc>
    <profileDesc><particDesc><listPerson>
      <person xml:id="p1"><persName>Ann</persName></person>
    </listPerson></particDesc></profileDesc>
  </teiHeader>
  <text><body>
    {paragraphs}
    <p><persName ref="#p1">Ann <roleName>the Elder</roleName></persName> wrote
       <note place="foot">an outer note <note place="foot">with a note <rs>inside</rs></note> and after</note>
       <note place="foot">the last</note></p>
  </body></text>
</TEI>"""


def _lines(tmp_path: Path, with_accumulators: bool) -> list[list[str]]:
    mode = '<xsl:mode use-accumulators="#all"/>' if with_accumulators else ""
    probe = tmp_path / f"probe-{with_accumulators}.xsl"
    probe.write_text(PROBE.format(inline=xslt_path("print", "inline.xsl").as_uri(), mode=mode, named=NAMED),
                     "utf-8")
    paragraphs = "\n".join(
        f'<p>Para {i}: <placeName>Town {i}</placeName>, <hi>not a name</hi> and '
        f'<orgName>Org <name>{i}</name></orgName><note place="foot">note {i}</note></p>'
        for i in range(40))
    engine = XsltEngine({"probe": probe})
    out = engine.transform("probe", engine.parse(DOCUMENT.format(paragraphs=paragraphs)), {"doc-id": "d1"})
    return [line.split() for line in out.splitlines()]


@pytest.mark.parametrize("with_accumulators", [True, False], ids=["accumulators", "key-fallback"])
def test_note_ordinals_and_anchor_ids_follow_their_definitions(tmp_path: Path, with_accumulators: bool) -> None:
    lines = _lines(tmp_path, with_accumulators)
    notes = [line[1:] for line in lines if line[0] == "#ordinal"]
    assert [got for got, _ in notes] == [want for _, want in notes]
    # the header note, one per paragraph, then outer, inner (nested) and last
    assert [int(got) for got, _ in notes] == list(range(1, 45))
    anchors = [line for line in lines if line[0] != "#ordinal"]
    assert [a[1] for a in anchors] == [a[2] for a in anchors]
    by_name = {name: ids for name, ids, _ in reversed(anchors)}  # each name's first anchor
    assert by_name["person"] == "ix-d1-1"  # the header's person and its persName come first
    assert by_name["placeName"] == "ix-d1-3"
    assert by_name["name"] == "ix-d1-5"  # inside its orgName, which is counted before it
    # after 2 + 3 x 40 names, the persName (123) that holds it
    assert [a[1] for a in anchors if a[0] == "roleName"] == ["ix-d1-124"]
    assert [a[1] for a in anchors if a[0] == "rs"] == ["ix-d1-125"]  # in a note inside a note
    assert len(anchors) > 200
