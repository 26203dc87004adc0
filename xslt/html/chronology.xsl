<?xml version="1.0" encoding="UTF-8"?>
<!--
  teipress HTML edition: chronology.html, every normalised date of the documents in order.
  Context: the register document (r:chronology is already sorted by the resolve phase).
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:tei="http://www.tei-c.org/ns/1.0"
    xmlns:tp="https://teipress.dev/ns"
    xmlns:r="https://teipress.dev/ns/register"
    xmlns:h="https://teipress.dev/ns/html"
    exclude-result-prefixes="#all">

  <xsl:import href="layout.xsl"/>

  <xsl:template match="/">
    <xsl:call-template name="h:page">
      <xsl:with-param name="title" select="'Chronology'"/>
      <xsl:with-param name="page-type" select="'chronology'"/>
      <xsl:with-param name="current" select="'chronology'"/>
      <xsl:with-param name="source" select="."/>
    </xsl:call-template>
  </xsl:template>

  <!-- The table, written straight into the page (one row per register event). -->
  <xsl:template match="/" mode="h:page-content">
    <h1>Chronology</h1>
    <p>Every date named in the documents, in chronological order, with a link to the passage.</p>
    <table class="chronology">
      <caption class="visually-hidden">Dates in the documents</caption>
      <thead><tr><th scope="col">Date</th><th scope="col">As written</th><th scope="col">Passage</th></tr></thead>
      <tbody>
        <xsl:for-each select="$register//r:chronology/r:event">
          <xsl:variable name="rec" select="h:document(@doc)"/>
          <xsl:variable name="dt" select="h:html-datetime((@when, @from, @notBefore)[.][1])"/>
          <tr>
            <td class="chron-date">
              <xsl:choose>
                <xsl:when test="exists($dt)"><time datetime="{$dt}"><xsl:value-of select="h:date-label(.)"/></time></xsl:when>
                <xsl:otherwise><xsl:value-of select="h:date-label(.)"/></xsl:otherwise>
              </xsl:choose>
            </td>
            <td class="chron-text"><xsl:value-of select="normalize-space()"/></td>
            <td class="chron-doc">
              <a href="{h:passage-href(@doc, @anchor)}">
                <xsl:value-of select="(normalize-space($rec/r:title)[.], @doc)[1] || ', ' || h:anchor-label(@doc, @anchor)"/>
              </a>
            </td>
          </tr>
        </xsl:for-each>
      </tbody>
    </table>
  </xsl:template>

</xsl:stylesheet>
