<?xml version="1.0" encoding="UTF-8"?>
<!--
  teipress print edition, pass "document": one TEI document -> one <section> of the book.

  Run once per document with $doc-id set (tp:note-label, tp:entity and every other register
  lookup of common.xsl are keyed by $doc-id, so documents cannot share one transform).
  The result is an XML fragment (no namespace, HTML vocabulary) that edition.xsl later
  places in the book. What print adds to the shared TEI->HTML templates:

    * footnotes become <span class="footnote" data-label="…"> at the marker position;
      print.css floats them to the foot of the page (float: footnote) and shows the
      register's label as call and marker (attr(data-label)), so labels match HTML and text;
    * every mention of a person, place or organisation becomes an index anchor
      <span class="ix" id="ix-<doc>-<n>" data-entity="<entity id>">; the back-of-book
      index is computed from the pages these anchors land on (see docs/print-edition.md);
    * the document opening: title (running head), date, participants, source line, summary.
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:tei="http://www.tei-c.org/ns/1.0"
    xmlns:tp="https://teipress.dev/ns"
    xmlns:tpp="https://teipress.dev/ns/print"
    xmlns:r="https://teipress.dev/ns/register"
    xmlns:h="https://teipress.dev/ns/html"
    exclude-result-prefixes="#all">

  <xsl:import href="inline.xsl"/>

  <xsl:output method="xml" encoding="UTF-8" indent="no" omit-xml-declaration="yes"/>

  <!-- The document applied to: the accumulators of tp:note-ordinal and tpp:anchor-id apply. -->
  <xsl:mode on-no-match="shallow-skip" use-accumulators="#all"/>

  <!-- ================================================================== -->
  <!-- The document section                                                -->
  <!-- ================================================================== -->

  <xsl:template match="/">
    <xsl:apply-templates select="tei:TEI"/>
  </xsl:template>

  <xsl:template match="tei:TEI">
    <xsl:variable name="rec" select="tp:current-document()"/>
    <xsl:variable name="lang" select="(@xml:lang, 'en')[1]"/>
    <section class="document" id="{$doc-id}" lang="{$lang}" data-doc="{$doc-id}">
      <header class="doc-head">
        <h1 class="doc-title"><xsl:value-of select="tp:title(.)"/></h1>
        <xsl:call-template name="tpp:doc-date"/>
        <xsl:call-template name="tpp:doc-participants"/>
        <xsl:call-template name="tpp:doc-source"/>
        <xsl:variable name="abstract" select="tei:teiHeader/tei:profileDesc/tei:abstract"/>
        <xsl:choose>
          <xsl:when test="$abstract">
            <div class="doc-summary">
              <xsl:apply-templates select="$abstract/node()" mode="h:body"/>
            </div>
          </xsl:when>
          <xsl:when test="normalize-space($rec/r:summary)">
            <div class="doc-summary"><p><xsl:value-of select="$rec/r:summary"/></p></div>
          </xsl:when>
        </xsl:choose>
      </header>
      <div class="doc-text">
        <xsl:apply-templates select="tei:text/tei:front | tei:text/tei:body" mode="h:body"/>
      </div>
      <xsl:apply-templates select="tei:text/tei:back" mode="h:body"/>
    </section>
  </xsl:template>

  <xsl:template name="tpp:doc-date">
    <xsl:variable name="d" select="(tei:teiHeader/tei:profileDesc/tei:settingDesc//tei:date,
                                    tei:teiHeader/tei:profileDesc/tei:creation//tei:date)[1]"/>
    <xsl:variable name="rec" select="tp:current-document()"/>
    <xsl:variable name="label" select="if ($d) then tp:date-label($d) else string($rec/r:date)"/>
    <xsl:if test="normalize-space($label)">
      <p class="doc-date"><xsl:value-of select="$label"/></p>
    </xsl:if>
  </xsl:template>

  <!-- Participants from particDesc (references to the person authority). -->
  <xsl:template name="tpp:doc-participants">
    <xsl:variable name="people"
        select="tei:teiHeader/tei:profileDesc/tei:particDesc//tei:listPerson[@type = 'participants']/tei:person"/>
    <xsl:if test="$people">
      <p class="doc-participants">
        <span class="label">Participants: </span>
        <xsl:for-each select="$people">
          <xsl:variable name="e" select="tp:entity(.)"/>
          <xsl:if test="position() gt 1">; </xsl:if>
          <xsl:choose>
            <xsl:when test="$e">
              <span class="ix" id="{tpp:anchor-id(.)}" data-entity="{$e/@id}">
                <xsl:value-of select="$e/r:name"/>
              </span>
            </xsl:when>
            <xsl:otherwise><xsl:value-of select="tp:plain(.)"/></xsl:otherwise>
          </xsl:choose>
          <xsl:if test="@role">
            <xsl:value-of select="' (' || replace(@role, '-', ' ') || ')'"/>
          </xsl:if>
        </xsl:for-each>
      </p>
    </xsl:if>
  </xsl:template>

  <!-- The source line: the encoder's source statement, else the first bibl of sourceDesc. -->
  <xsl:template name="tpp:doc-source">
    <xsl:variable name="sd" select="tei:teiHeader/tei:fileDesc/tei:sourceDesc"/>
    <xsl:variable name="b" select="($sd/tei:bibl[@type = 'source-statement'], $sd/tei:bibl, $sd/tei:p)[1]"/>
    <xsl:if test="$b">
      <p class="doc-source">
        <xsl:if test="not(starts-with(normalize-space($b), 'Source'))">
          <span class="label">Source: </span>
        </xsl:if>
        <xsl:apply-templates select="$b/node()" mode="h:body"/>
      </p>
    </xsl:if>
  </xsl:template>

</xsl:stylesheet>
