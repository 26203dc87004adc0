<?xml version="1.0" encoding="UTF-8"?>
<!--
  teipress HTML edition: index.html.

  Context: a tei:teiCorpus of tei:teiHeader elements (one per document, @n = document id),
  each holding only that document's encodingDesc and profileDesc dates (built by teipress.render.html).
  The list of documents comes from the register (reading order, dates, participants, abstracts).
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

  <!-- Paragraphs that differ only in whitespace are shown once. -->
  <xsl:function name="h:distinct-blocks" as="element()*">
    <xsl:param name="blocks" as="element()*"/>
    <xsl:for-each-group select="$blocks" group-by="normalize-space(.)">
      <xsl:sequence select="current-group()[1]"/>
    </xsl:for-each-group>
  </xsl:function>

  <!-- The headers document's entry for a document id (a scan per document was quadratic). -->
  <xsl:key name="h:header" match="tei:teiHeader" use="@n"/>

  <xsl:template match="/">
    <xsl:variable name="root" select="."/>
    <xsl:variable name="enc" select="//tei:encodingDesc"/>
    <xsl:variable name="intro" select="h:distinct-blocks($enc/tei:projectDesc/*)"/>
    <xsl:variable name="principles" select="h:distinct-blocks($enc/(tei:editorialDecl, tei:samplingDecl)/*)"/>
    <xsl:call-template name="h:page">
      <xsl:with-param name="title" select="$h:edition-title"/>
      <xsl:with-param name="page-type" select="'index'"/>
      <xsl:with-param name="current" select="'index'"/>
      <xsl:with-param name="content">
        <header class="edition-header">
          <h1><xsl:value-of select="$h:edition-title"/></h1>
          <xsl:if test="normalize-space($h:edition/@subtitle)">
            <p class="edition-subtitle"><xsl:value-of select="normalize-space($h:edition/@subtitle)"/></p>
          </xsl:if>
          <xsl:if test="$h:edition/r:editor">
            <p class="edition-editors">Edited by <xsl:value-of select="string-join($h:edition/r:editor ! normalize-space(), ', ')"/></p>
          </xsl:if>
        </header>
        <xsl:if test="exists($intro)">
          <section class="introduction" aria-labelledby="intro-heading">
            <h2 id="intro-heading">Introduction</h2>
            <xsl:apply-templates select="$intro" mode="h:body"/>
          </section>
        </xsl:if>
        <xsl:if test="exists($principles)">
          <section class="principles" aria-labelledby="principles-heading">
            <h2 id="principles-heading">Editorial principles</h2>
            <xsl:apply-templates select="$principles" mode="h:body"/>
          </section>
        </xsl:if>
        <section class="documents" aria-labelledby="documents-heading">
          <h2 id="documents-heading">Documents</h2>
          <ol class="document-list">
            <xsl:for-each select="$register//r:document">
              <li class="document-item">
                <h3 class="document-title"><a href="{h:doc-page(@id)}"><xsl:value-of select="(normalize-space(r:title)[.], @id)[1]"/></a></h3>
                <xsl:variable name="id" select="string(@id)"/>
                <xsl:variable name="date" select="h:date-of(., key('h:header', $id, $root)[1])"/>
                <xsl:if test="exists($date)">
                  <p class="document-date">
                    <xsl:variable name="dt" select="h:html-datetime($date[2])"/>
                    <xsl:choose>
                      <xsl:when test="exists($dt)"><time datetime="{$dt}"><xsl:value-of select="$date[1]"/></time></xsl:when>
                      <xsl:otherwise><xsl:value-of select="$date[1]"/></xsl:otherwise>
                    </xsl:choose>
                  </p>
                </xsl:if>
                <xsl:if test="r:participant">
                  <p class="document-participants"><span class="label">Participants: </span>
                    <xsl:call-template name="h:entity-list"><xsl:with-param name="ids" select="r:participant/@ref"/></xsl:call-template>
                  </p>
                </xsl:if>
                <xsl:if test="normalize-space(r:summary)">
                  <p class="document-abstract"><xsl:value-of select="normalize-space(r:summary)"/></p>
                </xsl:if>
              </li>
            </xsl:for-each>
          </ol>
        </section>
        <section class="edition-pages" aria-labelledby="pages-heading">
          <h2 id="pages-heading">Registers and tools</h2>
          <ul>
            <li><a href="persons.html">Persons</a> (<xsl:value-of select="count($register//r:entity[@kind = 'person'])"/>)</li>
            <li><a href="places.html">Places</a> (<xsl:value-of select="count($register//r:entity[@kind = 'place'])"/>)</li>
            <li><a href="organisations.html">Organisations</a> (<xsl:value-of select="count($register//r:entity[@kind = 'org'])"/>)</li>
            <li><a href="chronology.html">Chronology</a> (<xsl:value-of select="count($register//r:event)"/> dates)</li>
            <li><a href="bibliography.html">Bibliography</a></li>
            <li><a href="search.html">Search</a></li>
          </ul>
        </section>
      </xsl:with-param>
    </xsl:call-template>
  </xsl:template>

</xsl:stylesheet>
