<?xml version="1.0" encoding="UTF-8"?>
<!--
  teipress HTML edition: the register pages persons.html, places.html, organisations.html.

  Context: the register document. Param $kind: person | place | org.
  Each entry: names and variants, life dates, roles, external identifiers (safe links only)
  and "mentioned in" links to every passage that mentions it.

  Rendered in pieces (teipress.render.html, with $part-marker): the page's frame (shell, count,
  letters, letter groups) from a register without mentions, where each entry is only a marker
  comment, and the entries (template h:parts) batch by batch from small registers holding a few
  entities with their mentions; Python puts each entry in its place. Without $part-marker the
  page is rendered in one transform from the whole register, entries in place (the reference
  the tests compare the pieces with).
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

  <xsl:param name="kind" as="xs:string" select="'person'"/>
  <!-- Not empty: the frame or the parts of a page rendered in pieces (see above). A fresh
       random string per page, so no text of the edition can be taken for a marker. -->
  <xsl:param name="part-marker" as="xs:string" select="''"/>

  <xsl:variable name="h:kind-title" select="map{'person': 'Persons', 'place': 'Places', 'org': 'Organisations', 'bibl': 'Works', 'term': 'Terms'}"/>

  <xsl:template match="/">
    <xsl:variable name="title" select="($h:kind-title($kind), 'Register')[1]"/>
    <xsl:variable name="entries" select="$register//r:entity[@kind = $kind]"/>
    <xsl:call-template name="h:page">
      <xsl:with-param name="title" select="$title"/>
      <xsl:with-param name="page-type" select="'register'"/>
      <xsl:with-param name="current" select="$kind"/>
      <xsl:with-param name="content">
        <h1><xsl:value-of select="$title"/></h1>
        <p class="register-intro"><xsl:value-of select="count($entries)"/> entries. Each lists the passages of the edition that mention it.</p>
        <xsl:variable name="groups" as="element()*">
          <xsl:for-each-group select="$entries" group-by="upper-case(substring(normalize-space((@sort, r:name)[1]), 1, 1))">
            <group letter="{current-grouping-key()}" key="{if (matches(current-grouping-key(), '^[A-Z]$')) then current-grouping-key() else 'other'}"/>
          </xsl:for-each-group>
        </xsl:variable>
        <xsl:if test="count($groups) gt 1">
          <nav class="letters" aria-label="Initial letters">
            <ul><xsl:for-each select="$groups"><li><a href="#letter-{@key}"><xsl:value-of select="if (@key = 'other') then '#' else @letter"/></a></li></xsl:for-each></ul>
          </nav>
        </xsl:if>
        <xsl:for-each-group select="$entries" group-by="upper-case(substring(normalize-space((@sort, r:name)[1]), 1, 1))">
          <xsl:variable name="key" select="if (matches(current-grouping-key(), '^[A-Z]$')) then current-grouping-key() else 'other'"/>
          <section class="letter-group" aria-labelledby="letter-{$key}">
            <h2 id="letter-{$key}"><xsl:value-of select="if ($key = 'other') then 'Other' else $key"/></h2>
            <xsl:apply-templates select="current-group()" mode="h:slot"/>
          </section>
        </xsl:for-each-group>
      </xsl:with-param>
    </xsl:call-template>
  </xsl:template>

  <xsl:template match="r:entity" mode="h:entry">
    <article class="entry entry-{@kind}" id="{@id}" aria-labelledby="{@id}-name">
      <h3 id="{@id}-name"><xsl:value-of select="r:name"/>
        <xsl:variable name="dates" select="tp:life-dates(.)"/>
        <xsl:if test="$dates"><span class="life-dates"><xsl:value-of select="' (' || $dates || ')'"/></span></xsl:if>
      </h3>
      <dl class="entry-facts">
        <xsl:if test="r:variant">
          <dt>Also</dt>
          <dd class="variants"><xsl:value-of select="string-join(r:variant ! normalize-space(), '; ')"/></dd>
        </xsl:if>
        <xsl:if test="r:birth or r:death">
          <dt>Dates</dt>
          <dd class="dates">
            <xsl:for-each select="r:birth, r:death">
              <xsl:if test="position() gt 1">; </xsl:if>
              <xsl:value-of select="if (self::r:birth) then 'born ' else 'died '"/>
              <xsl:variable name="dt" select="h:html-datetime(@when)"/>
              <xsl:choose>
                <xsl:when test="exists($dt)"><time datetime="{$dt}"><xsl:value-of select="tp:format-iso(@when)"/></time></xsl:when>
                <xsl:otherwise><xsl:value-of select="(normalize-space(.)[.], tp:date-label(.))[1]"/></xsl:otherwise>
              </xsl:choose>
            </xsl:for-each>
          </dd>
        </xsl:if>
        <xsl:for-each select="r:role">
          <dt>Role</dt>
          <dd class="role"><xsl:value-of select="normalize-space()"/></dd>
        </xsl:for-each>
        <xsl:if test="r:idno">
          <dt>Identifiers</dt>
          <dd class="idnos">
            <ul>
              <xsl:for-each select="r:idno">
                <xsl:variable name="u" select="tp:safe-url(@href)[matches(., '^https?://', 'i')]"/>
                <li>
                  <span class="idno-type"><xsl:value-of select="normalize-space(@type) || ': '"/></span>
                  <xsl:choose>
                    <xsl:when test="exists($u)"><a href="{$u}" rel="external"><xsl:value-of select="normalize-space()"/></a></xsl:when>
                    <xsl:otherwise><xsl:value-of select="normalize-space()"/></xsl:otherwise>
                  </xsl:choose>
                </li>
              </xsl:for-each>
            </ul>
          </dd>
        </xsl:if>
      </dl>
      <xsl:call-template name="h:mentions"/>
    </article>
  </xsl:template>

  <!-- ================================================================== -->
  <!-- Pages rendered in pieces                                            -->
  <!-- ================================================================== -->

  <!-- What a page shows of one entity (its part): here the whole entry; bibliography.xsl
       overrides it with the mentions alone. -->
  <xsl:mode name="h:part" on-no-match="fail"/>
  <xsl:template match="r:entity" mode="h:part">
    <xsl:apply-templates select="." mode="h:entry"/>
  </xsl:template>

  <!-- Where the page shows an entity's part: with $part-marker a marker for it, else the part. -->
  <xsl:mode name="h:slot" on-no-match="fail"/>
  <xsl:template match="r:entity" mode="h:slot">
    <xsl:choose>
      <xsl:when test="$part-marker"><xsl:comment select="h:part-marker('entry', @id)"/></xsl:when>
      <xsl:otherwise><xsl:apply-templates select="." mode="h:part"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- The marker comment text: $part-marker, the role (entry: the part goes here; more: the
       entity's further mentions go here), the entity id %-escaped, hyphens too (so the
       comment never holds two hyphens in a row; urllib.parse.unquote reads the id back). -->
  <xsl:function name="h:part-marker" as="xs:string">
    <xsl:param name="role" as="xs:string"/>
    <xsl:param name="id" as="xs:string"/>
    <xsl:sequence select="string-join(($part-marker, $role, replace(encode-for-uri($id), '-', '%2D')), ' ')"/>
  </xsl:function>

  <!-- One batch: every entity of $kind in $register, each after its marker. An entity whose
       mentions did not fit one batch comes again in the next with @part (2, 3, …) and only
       further mentions: then only its further "mentioned in" items are written, which Python
       puts at the 'more' marker of its first part. -->
  <xsl:template name="h:parts">
    <xsl:for-each select="$register//r:entity[@kind = $kind]">
      <xsl:comment select="h:part-marker('entry', @id)"/>
      <xsl:choose>
        <xsl:when test="@part"><xsl:call-template name="h:mention-items"/></xsl:when>
        <xsl:otherwise><xsl:apply-templates select="." mode="h:part"/></xsl:otherwise>
      </xsl:choose>
    </xsl:for-each>
  </xsl:template>

  <!-- "Mentioned in": per document, one link per passage (with the count of mentions). -->
  <xsl:template name="h:mentions">
    <xsl:choose>
      <xsl:when test="r:mention">
        <div class="mentions">
          <h4 id="{@id}-mentions">Mentioned in</h4>
          <ul aria-labelledby="{@id}-mentions">
            <xsl:call-template name="h:mention-items"/>
            <xsl:if test="$part-marker"><xsl:comment select="h:part-marker('more', @id)"/></xsl:if>
          </ul>
        </div>
      </xsl:when>
      <xsl:otherwise><p class="mentions-none">Not mentioned in the documents.</p></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- The items of "Mentioned in" for the entity's r:mention children. Batches split an entity's
       mentions only where the document changes, so each document's item is made whole. -->
  <xsl:template name="h:mention-items">
    <xsl:for-each-group select="r:mention" group-by="@doc">
      <xsl:variable name="doc" select="current-grouping-key()"/>
      <xsl:variable name="rec" select="h:document($doc)"/>
      <li>
        <a href="{h:doc-page($doc)}"><xsl:value-of select="(normalize-space($rec/r:title)[.], $doc)[1]"/></a>
        <xsl:if test="$rec/r:date"><xsl:value-of select="' (' || h:doc-date($rec) || ')'"/></xsl:if>
        <xsl:text>: </xsl:text>
        <xsl:for-each-group select="current-group()" group-by="@anchor">
          <xsl:if test="position() gt 1">, </xsl:if>
          <a class="mention" href="{h:passage-href($doc, current-grouping-key())}"><xsl:value-of select="h:anchor-label($doc, current-grouping-key())"/></a>
          <xsl:if test="count(current-group()) gt 1"><xsl:value-of select="' (×' || count(current-group()) || ')'"/></xsl:if>
        </xsl:for-each-group>
      </li>
    </xsl:for-each-group>
  </xsl:template>

</xsl:stylesheet>
