<?xml version="1.0" encoding="UTF-8"?>
<!--
  teipress HTML edition: bibliography.html.

  Context: a tei:teiCorpus holding the listBibl elements of the authority files (built by
  teipress.render.html). Works known only to the register (no authority entry) are listed
  from the register. Each work links to the passages that cite it.

  Rendered in pieces like the register pages (see register.xsl): an entity's part here is
  its "mentioned in" list, which the frame places after the work's citation.
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:tei="http://www.tei-c.org/ns/1.0"
    xmlns:tp="https://teipress.dev/ns"
    xmlns:r="https://teipress.dev/ns/register"
    xmlns:h="https://teipress.dev/ns/html"
    exclude-result-prefixes="#all">

  <xsl:import href="register.xsl"/>

  <!-- A formatted citation of a biblStruct/bibl: "Names, Title, Place: Publisher, Year, pages." -->
  <xsl:template match="tei:biblStruct" mode="h:citation">
    <xsl:variable name="names" select="(tei:analytic, tei:monogr)[1]/(tei:author, tei:editor)"/>
    <xsl:for-each select="$names">
      <xsl:if test="position() gt 1"><xsl:value-of select="if (position() = last()) then ' and ' else ', '"/></xsl:if>
      <xsl:apply-templates select="node()" mode="h:body"/>
    </xsl:for-each>
    <xsl:if test="$names[self::tei:editor] and not($names[self::tei:author])"><xsl:value-of select="if (count($names) gt 1) then ' (eds.)' else ' (ed.)'"/></xsl:if>
    <xsl:if test="exists($names)">, </xsl:if>
    <xsl:for-each select="tei:analytic/tei:title[1]">“<xsl:apply-templates mode="h:body"/>”, in: </xsl:for-each>
    <xsl:for-each select="tei:monogr/tei:title">
      <xsl:if test="position() gt 1">. </xsl:if>
      <xsl:apply-templates select="." mode="h:body"/>
    </xsl:for-each>
    <xsl:for-each select="tei:monogr/tei:biblScope[@unit = ('volume', 'book')]">
      <xsl:value-of select="', ' || (if (@unit = 'volume') then 'vol. ' else 'book ') || normalize-space()"/>
    </xsl:for-each>
    <xsl:variable name="imp" select="tei:monogr/tei:imprint"/>
    <xsl:if test="$imp/(tei:pubPlace, tei:publisher, tei:date)">
      <xsl:text> (</xsl:text>
      <xsl:apply-templates select="$imp/tei:pubPlace/node()" mode="h:body"/>
      <xsl:if test="$imp/tei:pubPlace and $imp/tei:publisher">: </xsl:if>
      <xsl:apply-templates select="$imp/tei:publisher/node()" mode="h:body"/>
      <xsl:if test="$imp/(tei:pubPlace, tei:publisher) and $imp/tei:date">, </xsl:if>
      <xsl:apply-templates select="$imp/tei:date" mode="h:body"/>
      <xsl:text>)</xsl:text>
    </xsl:if>
    <xsl:for-each select="(tei:monogr/tei:biblScope, tei:analytic/tei:biblScope)[@unit = 'page']">
      <xsl:value-of select="', pp. ' || normalize-space()"/>
    </xsl:for-each>
    <xsl:for-each select="tei:monogr/tei:idno[@type = ('URI', 'URL', 'DOI', 'uri', 'url', 'doi')]">
      <xsl:variable name="u" select="tp:safe-url(if (lower-case(@type) = 'doi' and not(starts-with(., 'http'))) then 'https://doi.org/' || normalize-space() else normalize-space())"/>
      <xsl:text>, </xsl:text>
      <xsl:choose>
        <xsl:when test="exists($u) and matches($u, '^https?://', 'i')"><a href="{$u}"><xsl:value-of select="normalize-space()"/></a></xsl:when>
        <xsl:otherwise><xsl:value-of select="normalize-space()"/></xsl:otherwise>
      </xsl:choose>
    </xsl:for-each>
    <xsl:text>.</xsl:text>
    <xsl:for-each select="tei:note"><xsl:text> </xsl:text><span class="bibl-note"><xsl:apply-templates mode="h:body"/></span></xsl:for-each>
  </xsl:template>

  <xsl:template match="r:entity" mode="h:part">
    <xsl:call-template name="h:mentions"/>
  </xsl:template>

  <xsl:template match="tei:bibl | tei:biblFull" mode="h:citation">
    <xsl:apply-templates mode="h:body"/>
  </xsl:template>

  <xsl:template match="/">
    <xsl:variable name="works" select="//tei:listBibl/(tei:biblStruct, tei:bibl, tei:biblFull)"/>
    <xsl:variable name="listed" select="$works/@xml:id/string()"/>
    <xsl:call-template name="h:page">
      <xsl:with-param name="title" select="'Bibliography'"/>
      <xsl:with-param name="page-type" select="'bibliography'"/>
      <xsl:with-param name="current" select="'bibliography'"/>
      <xsl:with-param name="content">
        <h1>Bibliography</h1>
        <ul class="bibliography">
          <xsl:for-each select="$works">
            <xsl:sort select="(tp:entity-by-id(@xml:id)/@sort, lower-case(tp:plain(.)))[1]"/>
            <xsl:variable name="e" select="tp:entity-by-id(@xml:id)"/>
            <li class="work">
              <xsl:if test="h:id(.)"><xsl:attribute name="id" select="h:id(.)"/></xsl:if>
              <p class="citation"><xsl:apply-templates select="." mode="h:citation"/></p>
              <xsl:apply-templates select="$e" mode="h:slot"/>
            </li>
          </xsl:for-each>
          <xsl:for-each select="$register//r:entity[@kind = 'bibl'][not(@id = $listed)]">
            <li class="work" id="{@id}">
              <p class="citation"><xsl:value-of select="string-join((r:name, r:variant) ! normalize-space(), ', ')"/>.</p>
              <xsl:apply-templates select="." mode="h:slot"/>
            </li>
          </xsl:for-each>
        </ul>
      </xsl:with-param>
    </xsl:call-template>
  </xsl:template>

</xsl:stylesheet>
