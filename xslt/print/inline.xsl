<?xml version="1.0" encoding="UTF-8"?>
<!--
  teipress print edition: the print layer over the shared TEI->HTML body templates
  (xslt/html/tei-inline.xsl, mode h:body). Nothing of that module is copied; print
  overrides only its documented hooks, by import precedence:

    h:note-marker   a footnote becomes <span class="footnote" data-label="…"> at the
                    marker position, preceded by an empty <span class="fn-call" id="…-call">
                    that marks the call's page; print.css floats it to the foot of the page
                    (float: footnote) and prints the register's label (tp:note-label,
                    the same as the HTML and text editions) as call and marker;
    h:note-inline   a note that is not a footnote: a source's own note sign (type
                    source-note) prints as that sign, other notes as a bracketed aside;
    h:entity-link   a mention of a person, place or organisation becomes an index anchor
                    <span class="ix" id="ix-<doc>-<n>" data-entity="<entity id>">, the
                    unit the back-of-book index is computed from; no links, no cards;
    h:anchor        no permalink signs on paper;
    h:phrasal       a footnote stays inside its paragraph on paper, so its content is
                    phrase content (the HTML edition lists notes at the end instead);
    h:is-link       only real links (ref to a URL) nest-block other links on paper;
    tei:gap         on paper the reader cannot hover: a described gap prints its
                    description in brackets ("[signature]", as the text edition does),
                    an undescribed one the gap sign.
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:tei="http://www.tei-c.org/ns/1.0"
    xmlns:tp="https://teipress.dev/ns"
    xmlns:tpp="https://teipress.dev/ns/print"
    xmlns:h="https://teipress.dev/ns/html"
    xmlns:r="https://teipress.dev/ns/register"
    exclude-result-prefixes="#all">

  <xsl:import href="../html/tei-inline.xsl"/>

  <!-- The name-like elements anchors are numbered among (the count pattern of tpp:anchor-id;
       the key is its fallback). -->
  <xsl:key name="tpp:named" use="'all'"
      match="tei:persName | tei:placeName | tei:orgName | tei:name | tei:rs | tei:term | tei:geogName
             | tei:roleName | tei:ref | tei:bibl | tei:biblStruct | tei:person"/>

  <!-- The name-like elements met so far in document order, the element itself included. -->
  <xsl:accumulator name="tpp:named-so-far" as="xs:integer" initial-value="0">
    <xsl:accumulator-rule select="$value + 1"
        match="tei:persName | tei:placeName | tei:orgName | tei:name | tei:rs | tei:term | tei:geogName
               | tei:roleName | tei:ref | tei:bibl | tei:biblStruct | tei:person"/>
  </xsl:accumulator>

  <!-- A stable id for an index anchor: document id + position among the document's
       name-like elements. Stable across runs, so pass 1 and pass 2 agree.
       The position is what <xsl:number level="any"> with the key's pattern gives: the
       name-like elements not after $el, read from an accumulator (one walk of the
       document for all its anchors). xsl:number walks every node before $el, and
       counting in the key every name-like element before $el, for every anchor, was
       quadratic too: a book-length document's print section spent most of its time
       there (see tp:so-far in common.xsl for the accumulator's applicability and the
       fallback). -->
  <xsl:function name="tpp:anchor-id" as="xs:string">
    <xsl:param name="el" as="element()"/>
    <xsl:variable name="root" select="root($el)"/>
    <xsl:variable name="n" as="xs:string">
      <xsl:choose>
        <xsl:when test="$root instance of document-node()">
          <xsl:variable name="count"
              select="tp:so-far($el, 'Q{https://teipress.dev/ns/print}named-so-far', 'Q{https://teipress.dev/ns/print}named')"/>
          <xsl:sequence select="if ($count) then string($count) else ''"/>
        </xsl:when>
        <xsl:otherwise>
          <xsl:number select="$el" level="any"
              count="tei:persName | tei:placeName | tei:orgName | tei:name | tei:rs | tei:term | tei:geogName
                     | tei:roleName | tei:ref | tei:bibl | tei:biblStruct | tei:person"/>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:sequence select="'ix-' || $doc-id || '-' || $n"/>
  </xsl:function>

  <!-- Kinds of entity that go into the back-of-book index. -->
  <xsl:function name="tpp:indexed" as="xs:boolean">
    <xsl:param name="e" as="element(r:entity)?"/>
    <xsl:sequence select="exists($e) and $e/@kind = ('person', 'place', 'org')"/>
  </xsl:function>

  <!-- ================================================================== -->
  <!-- Overrides of tei-inline.xsl hooks                                   -->
  <!-- ================================================================== -->

  <xsl:function name="h:phrasal" as="xs:boolean">
    <xsl:param name="n" as="node()"/>
    <xsl:sequence select="exists($n/ancestor::*[h:is-phrase-container(.)])
                          or exists($n/ancestor::tei:note[tp:is-footnote(.)])"/>
  </xsl:function>

  <xsl:function name="h:is-link" as="xs:boolean">
    <xsl:param name="e" as="element()"/>
    <xsl:sequence select="exists($e[self::tei:ref]) and h:ref-target($e) instance of xs:string"/>
  </xsl:function>

  <xsl:template name="h:anchor">
    <xsl:param name="id" as="xs:string"/>
  </xsl:template>

  <xsl:template name="h:note-marker">
    <xsl:param name="note" as="element(tei:note)"/>
    <!-- An empty anchor where the call is: WeasyPrint records the footnote's own id on the
         page of its body, this one on the page of its call, so the print pipeline can check
         (and repair) that both are on the same page. -->
    <span class="fn-call" id="{tp:note-id($note)}-call"/>
    <span class="footnote" id="{tp:note-id($note)}" data-label="{tp:note-label($note)}">
      <xsl:variable name="lang" select="h:lang($note)"/>
      <xsl:if test="$lang"><xsl:attribute name="lang" select="$lang"/></xsl:if>
      <xsl:apply-templates select="$note/node()" mode="h:body"/>
    </span>
  </xsl:template>

  <xsl:template name="h:note-inline">
    <xsl:param name="note" as="element(tei:note)"/>
    <xsl:choose>
      <xsl:when test="$note/@type = 'source-note'">
        <sup class="source-note-sign"><xsl:value-of select="tp:note-label($note)"/></sup>
      </xsl:when>
      <xsl:otherwise>
        <span class="note-inline">
          <xsl:variable name="lang" select="h:lang($note)"/>
          <xsl:if test="$lang"><xsl:attribute name="lang" select="$lang"/></xsl:if>
          <xsl:value-of select="' ' || $tp:supplied-open"/>
          <xsl:apply-templates select="$note/node()" mode="h:body"/>
          <xsl:value-of select="$tp:supplied-close"/>
        </span>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="tei:gap[normalize-space(string-join(tei:desc, ' '))]" mode="h:body">
    <span class="gap">
      <xsl:value-of select="$tp:supplied-open || normalize-space(string-join(tei:desc, ' ')) || $tp:supplied-close"/>
    </span>
  </xsl:template>

  <xsl:template name="h:entity-link">
    <xsl:param name="el" as="element()"/>
    <xsl:param name="entity" as="element(r:entity)"/>
    <xsl:choose>
      <xsl:when test="tpp:indexed($entity)">
        <span class="ix entity-{$entity/@kind}" id="{tpp:anchor-id($el)}" data-entity="{$entity/@id}">
          <xsl:variable name="lang" select="h:lang($el)"/>
          <xsl:if test="$lang"><xsl:attribute name="lang" select="$lang"/></xsl:if>
          <xsl:apply-templates select="$el/node()" mode="h:body"/>
        </span>
      </xsl:when>
      <xsl:otherwise>
        <span class="entity entity-{$entity/@kind}">
          <xsl:apply-templates select="$el/node()" mode="h:body"/>
        </span>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

</xsl:stylesheet>
