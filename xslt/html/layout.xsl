<?xml version="1.0" encoding="UTF-8"?>
<!--
  teipress HTML edition: the page shell every HTML page type shares.

  Every page stylesheet (document, index, register, chronology, bibliography, search)
  imports this module, which imports tei-inline.xsl (and through it ../common.xsl).
  It decides, once: page URLs of documents (h:doc-page), the CSP, the header with
  skip link, navigation and search box, and the footer with edition version and
  build date. No inline script or style is ever written, so the CSP can forbid them.
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:tei="http://www.tei-c.org/ns/1.0"
    xmlns:tp="https://teipress.dev/ns"
    xmlns:r="https://teipress.dev/ns/register"
    xmlns:h="https://teipress.dev/ns/html"
    exclude-result-prefixes="#all">

  <xsl:import href="tei-inline.xsl"/>

  <xsl:output method="html" html-version="5" encoding="UTF-8" indent="no" include-content-type="no"/>

  <!-- The teipress version, for the generator tag (the edition version comes from the register). -->
  <xsl:param name="teipress-version" as="xs:string" select="''"/>

  <xsl:variable name="h:edition" as="element(r:edition)?" select="$register/r:register/r:edition"/>
  <xsl:variable name="h:edition-title" as="xs:string"
      select="(normalize-space($h:edition/@title)[.], 'TEI edition')[1]"/>
  <xsl:variable name="h:version" as="xs:string"
      select="(normalize-space($h:edition/@version)[.], $teipress-version[.], 'unversioned')[1]"/>
  <xsl:variable name="h:base-url" as="xs:string?"
      select="tp:safe-url($h:edition/@base-url)[matches(., '^https?://', 'i')] ! (if (ends-with(., '/')) then . else . || '/')"/>

  <!-- Page names the edition itself uses; a document id equal to one of them gets a prefix.
       teipress.render.html.doc_page() applies the same rule (tested). -->
  <xsl:variable name="h:reserved" as="xs:string+"
      select="('index', 'persons', 'places', 'organisations', 'chronology', 'bibliography', 'search', 'terms')"/>

  <!-- File name of a document's page, relative to output/html/. -->
  <xsl:function name="h:doc-page" as="xs:string">
    <xsl:param name="id" as="xs:string"/>
    <xsl:sequence select="(if (lower-case($id) = $h:reserved) then 'doc-' || $id else $id) || '.html'"/>
  </xsl:function>

  <!-- Link to a passage of a document: the page, plus the anchor unless it is the document itself. -->
  <xsl:function name="h:passage-href" as="xs:string">
    <xsl:param name="doc" as="xs:string"/>
    <xsl:param name="anchor" as="xs:string?"/>
    <xsl:sequence select="h:doc-page($doc) || (if ($anchor and $anchor ne $doc) then '#' || encode-for-uri($anchor) else '')"/>
  </xsl:function>

  <!-- Short human label of a passage anchor: "¶ 3", "remarks ¶ 1", "note 2", "header". -->
  <xsl:function name="h:anchor-label" as="xs:string">
    <xsl:param name="doc" as="xs:string"/>
    <xsl:param name="anchor" as="xs:string?"/>
    <xsl:variable name="local" select="if (starts-with($anchor, $doc || '-')) then substring-after($anchor, $doc || '-') else string($anchor)"/>
    <xsl:sequence select="
        if (not($anchor) or $anchor = $doc) then 'metadata'
        else if (matches($local, '^p(\d+)$')) then '¶ ' || replace($local, '^p', '')
        else if (matches($local, '^(.+)-p(\d+)$')) then replace($local, '^(.+)-p(\d+)$', '$1 ¶ $2')
        else if (matches($local, '^e?n(\d+)$')) then 'note ' || replace($local, '^e?n', '')
        else $local"/>
  </xsl:function>

  <!-- tp:current-document()/tp:document() with [1]: a corpus may hold two files with the same
       xml:id (the Escher letters do), and the common functions then fail on the sequence.
       candidate for common.xsl (add [1] there and drop these) -->
  <xsl:function name="h:document" as="element(r:document)?">
    <xsl:param name="id" as="xs:string?"/>
    <xsl:sequence select="if (exists($register) and $id) then key('tp:document', $id, $register)[1] else ()"/>
  </xsl:function>

  <!-- tp:date-label for register records, whose unused date attributes are present but empty.
       tp:date-label itself now counts empty attributes as absent, so no cleaned copy of the
       record is built (that was one temporary tree per chronology event). -->
  <xsl:function name="h:date-label" as="xs:string">
    <xsl:param name="d" as="element()"/>
    <xsl:sequence select="tp:date-label($d)"/>
  </xsl:function>

  <!-- Human date of a register document record. -->
  <xsl:function name="h:doc-date" as="xs:string">
    <xsl:param name="d" as="element(r:document)?"/>
    <xsl:sequence select="if ($d/r:date) then h:date-label($d/r:date) else ''"/>
  </xsl:function>

  <!-- The date element of a TEI document when the register has none: the setting or creation date. -->
  <xsl:function name="h:tei-date" as="element()?">
    <xsl:param name="header" as="element()?"/>
    <xsl:sequence select="($header/tei:profileDesc/tei:creation//tei:date[@when or @from or @notBefore],
                           $header/tei:profileDesc/tei:settingDesc/tei:setting/tei:date[@when or @from or @notBefore])[1]"/>
  </xsl:function>

  <!-- A document's date as (label, ISO value): the register's, else the TEI header's. -->
  <xsl:function name="h:date-of" as="xs:string*">
    <xsl:param name="rec" as="element(r:document)?"/>
    <xsl:param name="header" as="element()?"/>
    <xsl:variable name="d" select="($rec/r:date, h:tei-date($header))[1]"/>
    <xsl:sequence select="if (exists($d)) then (h:date-label($d), string(($d/@when, $d/@from, $d/@notBefore)[normalize-space()][1])) else ()"/>
  </xsl:function>

  <!-- The build date as shown (and as <time datetime> when it is ISO). -->
  <xsl:template name="h:build-date">
    <xsl:variable name="dt" select="h:html-datetime($build-date)"/>
    <xsl:choose>
      <xsl:when test="exists($dt)"><time datetime="{$dt}"><xsl:value-of select="tp:format-iso($build-date)"/></time></xsl:when>
      <xsl:otherwise><xsl:value-of select="($build-date[.], 'unknown')[1]"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- ================================================================== -->
  <!-- The page shell                                                      -->
  <!-- ================================================================== -->

  <!-- The main content of a page, rendered straight into the page (see h:page's $source). -->
  <xsl:mode name="h:page-content" on-no-match="shallow-skip"/>

  <!-- The page shell around $content, or around what mode h:page-content makes of $source.
       A page with large content passes $source: $content is first built as a temporary
       tree and then copied into the page, which for a document page cost about a fifth
       of its transform. Tunnel parameters of the caller reach the h:page-content template. -->
  <xsl:template name="h:page">
    <xsl:param name="title" as="xs:string"/>
    <xsl:param name="page-type" as="xs:string"/>
    <xsl:param name="content" as="item()*" select="()"/>
    <xsl:param name="source" as="node()?" select="()"/>
    <xsl:param name="scripts" as="xs:string*" select="()"/>
    <xsl:param name="current" as="xs:string" select="''"/>
    <html lang="en">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta http-equiv="Content-Security-Policy"
              content="default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'"/>
        <meta name="referrer" content="no-referrer"/>
        <meta name="color-scheme" content="light dark"/>
        <meta name="generator" content="teipress {$teipress-version}"/>
        <title><xsl:value-of select="if ($title = $h:edition-title) then $title else $title || ' — ' || $h:edition-title"/></title>
        <link rel="stylesheet" href="assets/edition.css"/>
        <script src="assets/edition.js" defer="defer"></script>
        <xsl:for-each select="$scripts"><script src="{.}" defer="defer"></script></xsl:for-each>
      </head>
      <body class="page page-{$page-type}">
        <a class="skip-link" href="#main">Skip to main content</a>
        <header class="site-header">
          <p class="site-title"><a href="index.html"><xsl:value-of select="$h:edition-title"/></a></p>
          <nav class="site-nav" aria-label="Edition">
            <ul>
              <xsl:for-each select="(['index.html', 'Documents', 'index'], ['persons.html', 'Persons', 'person'],
                                     ['places.html', 'Places', 'place'], ['organisations.html', 'Organisations', 'org'],
                                     ['chronology.html', 'Chronology', 'chronology'],
                                     ['bibliography.html', 'Bibliography', 'bibliography'])">
                <li>
                  <a href="{?1}">
                    <xsl:if test="?3 = $current"><xsl:attribute name="aria-current" select="'page'"/></xsl:if>
                    <xsl:value-of select="?2"/>
                  </a>
                </li>
              </xsl:for-each>
            </ul>
          </nav>
          <xsl:if test="$page-type ne 'search'">
            <form class="site-search" role="search" action="search.html" method="get">
              <label for="site-search-q">Search the edition</label>
              <input id="site-search-q" name="q" type="search" autocomplete="off"/>
              <button type="submit">Search</button>
            </form>
          </xsl:if>
        </header>
        <main id="main" tabindex="-1">
          <xsl:sequence select="$content"/>
          <xsl:apply-templates select="$source" mode="h:page-content"/>
        </main>
        <footer class="site-footer">
          <p>
            <a href="index.html"><xsl:value-of select="$h:edition-title"/></a>
            <xsl:if test="normalize-space($h:edition/@subtitle)">: <xsl:value-of select="normalize-space($h:edition/@subtitle)"/></xsl:if>
            <xsl:if test="$h:edition/r:editor">, edited by <xsl:value-of select="string-join($h:edition/r:editor ! normalize-space(), ', ')"/></xsl:if>.
          </p>
          <p class="edition-stamp">Version <span class="edition-version"><xsl:value-of select="$h:version"/></span>,
            built <span class="build-date"><xsl:call-template name="h:build-date"/></span>.
            <xsl:variable name="lic-url" select="tp:safe-url($h:edition/@licence-url)"/>
            <xsl:if test="normalize-space($h:edition/@licence)">
              <xsl:text> Licence: </xsl:text>
              <xsl:choose>
                <xsl:when test="exists($lic-url)"><a href="{$lic-url}" rel="license"><xsl:value-of select="normalize-space($h:edition/@licence)"/></a></xsl:when>
                <xsl:otherwise><xsl:value-of select="normalize-space($h:edition/@licence)"/></xsl:otherwise>
              </xsl:choose>
              <xsl:text>.</xsl:text>
            </xsl:if>
          </p>
          <p>Made with teipress. Works offline: no external fonts, scripts or trackers.</p>
        </footer>
      </body>
    </html>
  </xsl:template>

  <!-- Entity names for a list of register entity ids, linked. -->
  <xsl:template name="h:entity-list">
    <xsl:param name="ids" as="xs:string*"/>
    <xsl:for-each select="$ids ! tp:entity-by-id(.)">
      <xsl:if test="position() gt 1">, </xsl:if>
      <a href="{h:entity-href(.)}"><xsl:value-of select="r:name"/></a>
    </xsl:for-each>
  </xsl:template>

</xsl:stylesheet>
