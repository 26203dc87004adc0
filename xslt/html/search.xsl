<?xml version="1.0" encoding="UTF-8"?>
<!--
  teipress HTML edition: search.html, full-text search without a server.
  The index is search-index.js (window.TEIPRESS_SEARCH, built by teipress.render.html);
  assets/search.js reads ?q= and renders keyword-in-context results with DOM APIs only.
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
      <xsl:with-param name="title" select="'Search'"/>
      <xsl:with-param name="page-type" select="'search'"/>
      <xsl:with-param name="scripts" select="('search-index.js', 'assets/search.js')"/>
      <xsl:with-param name="content">
        <h1>Search</h1>
        <form class="search-form" id="search-form" role="search" action="search.html" method="get">
          <label for="search-q">Words to find in the documents and registers</label>
          <input id="search-q" name="q" type="search" autocomplete="off"/>
          <button type="submit">Search</button>
        </form>
        <p id="search-status" class="search-status" role="status" aria-live="polite">Enter a word or a phrase.</p>
        <noscript><p>Search needs JavaScript. The <a href="persons.html">registers</a> and the <a href="index.html">list of documents</a> work without it.</p></noscript>
        <ol id="search-results" class="search-results"></ol>
      </xsl:with-param>
    </xsl:call-template>
  </xsl:template>

</xsl:stylesheet>
