<?xml version="1.0" encoding="UTF-8"?>
<!--
  teipress HTML module: TEI body content -> HTML5 elements (no namespace).

  Shared by the HTML edition (xslt/html/*.xsl) and the print edition (paged HTML).
  It imports ../common.xsl, so an importing stylesheet gets the common module with it.

  STABLE INTERFACE (do not rename; overriding is done by import precedence)
  ========================================================================
  Mode
    h:body            apply to any TEI element/text of a body, back, front, note or
                      header paragraph: <xsl:apply-templates select="tei:text/tei:body" mode="h:body"/>
                      Every element renders; unknown elements become
                      <span class="tei-NAME"> (inside phrase content) or <div class="tei-NAME">
                      (in block context). Text is never dropped (comments/PIs are).

  Named templates meant to be overridden (all receive the TEI element as context)
    h:note-marker     a footnote's marker at its place in the text.       param note
                      HTML: superscript link to the note + hover/focus popover.
    h:note-inline     a note that is not a footnote (margin, inline, header). param note
    h:footnotes       the list of footnotes at the end.                    param notes
    h:entity-link     a persName/placeName/orgName/rs/name/term/bibl/ref resolved to a register
                      entity.                                              params el, entity
                      HTML: link to the register page + hover/focus card.
    h:anchor          the permalink after a paragraph/point/quote.         param id
    h:page-break      tei:pb.                                              param pb

  Functions meant to be overridden (an xsl:function of higher import precedence wins)
    h:entity-href($entity as element(r:entity)) as xs:string   URL of a register entry
    h:heading-level($head as element()) as xs:integer           h1..h6 of a div/head
    h:supplied-explanation($s as element()) as xs:string        accessible text of <supplied>

  Helper functions (stable, not usually overridden)
    h:phrasal($node)      true when $node renders inside phrase content (p, head, …)
    h:in-link($node)      true when an ancestor already renders as a link
    h:class-tokens($el)   sanitised class tokens from @rend/@type ("rend-italic", …)
    h:lang($el)           a valid BCP 47 tag from @xml:lang, else ()
    h:html-datetime($iso) an HTML-valid datetime value, else ()

  Security: TEI is untrusted. Only tp:safe-url values become href; no TEI attribute is
  copied into style, on*, src or script; @rend/@type only become sanitised class tokens.
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:tei="http://www.tei-c.org/ns/1.0"
    xmlns:tp="https://teipress.dev/ns"
    xmlns:r="https://teipress.dev/ns/register"
    xmlns:h="https://teipress.dev/ns/html"
    exclude-result-prefixes="#all">

  <xsl:import href="../common.xsl"/>

  <xsl:mode name="h:body" on-no-match="shallow-skip"/>

  <!-- ================================================================== -->
  <!-- Helper functions                                                    -->
  <!-- ================================================================== -->

  <!-- Elements whose HTML rendering is phrase content: block children must become spans. -->
  <xsl:function name="h:is-phrase-container" as="xs:boolean">
    <xsl:param name="e" as="element()"/>
    <xsl:sequence select="exists($e[self::tei:p or self::tei:ab or self::tei:head or self::tei:l
        or self::tei:salute or self::tei:signed or self::tei:dateline or self::tei:trailer
        or self::tei:label or self::tei:title or self::tei:bibl or self::tei:q or self::tei:said
        or self::tei:hi or self::tei:emph or self::tei:foreign or self::tei:supplied or self::tei:seg
        or self::tei:persName or self::tei:placeName or self::tei:orgName or self::tei:name
        or self::tei:rs or self::tei:ref or self::tei:date or self::tei:time or self::tei:speaker
        or self::tei:addrLine or self::tei:byline or self::tei:docAuthor or self::tei:docDate
        or self::tei:quote[h:phrasal(.)] or self::tei:cit[h:phrasal(.)]])"/>
  </xsl:function>

  <!-- True when $n is rendered inside phrase content (a paragraph, heading, …).
       A note starts a new block context: its content is listed at the end. -->
  <xsl:function name="h:phrasal" as="xs:boolean">
    <xsl:param name="n" as="node()"/>
    <xsl:variable name="note" select="$n/ancestor::tei:note[tp:is-footnote(.)][1]"/>
    <xsl:sequence select="exists($n/ancestor::*[empty($note) or . >> $note][h:is-phrase-container(.)])"/>
  </xsl:function>

  <!-- True when an ancestor (within the same note context) renders as a link: links cannot nest. -->
  <xsl:function name="h:in-link" as="xs:boolean">
    <xsl:param name="n" as="node()"/>
    <xsl:variable name="note" select="$n/ancestor::tei:note[tp:is-footnote(.)][1]"/>
    <xsl:sequence select="some $a in $n/ancestor::*[empty($note) or . >> $note] satisfies h:is-link($a)"/>
  </xsl:function>

  <xsl:function name="h:is-link" as="xs:boolean">
    <xsl:param name="e" as="element()"/>
    <xsl:sequence select="
        if ($e[self::tei:persName or self::tei:placeName or self::tei:orgName or self::tei:name
               or self::tei:rs or self::tei:term]) then exists(tp:entity($e))
        else if ($e[self::tei:ref]) then exists(h:ref-target($e))
        else false()"/>
  </xsl:function>

  <!-- What a ref/ptr links to: an entity (bibl:…), or a safe URL; else (). -->
  <xsl:function name="h:ref-target" as="item()?">
    <xsl:param name="e" as="element()"/>
    <xsl:variable name="t" select="tokenize(normalize-space(($e/@target, $e/@corresp)[1]), ' ')[1]"/>
    <xsl:sequence select="(tp:resolve($t), tp:safe-url($t))[1]"/>
  </xsl:function>

  <!-- Sanitised class tokens from @rend and @type: [a-z0-9-] only, prefixed. -->
  <xsl:function name="h:class-tokens" as="xs:string*">
    <xsl:param name="e" as="element()"/>
    <xsl:sequence select="
        (for $t in tokenize(lower-case(normalize-space($e/@rend)), ' ')
           return replace($t, '[^a-z0-9-]', '')[.] ! ('rend-' || .)),
        (for $t in tokenize(lower-case(normalize-space($e/@type)), ' ')
           return replace($t, '[^a-z0-9-]', '')[.] ! ('type-' || .))"/>
  </xsl:function>

  <!-- A BCP 47-shaped language tag from xml:lang on the element itself (never garbage). -->
  <xsl:function name="h:lang" as="xs:string?">
    <xsl:param name="e" as="element()"/>
    <xsl:variable name="l" select="normalize-space($e/@xml:lang)"/>
    <xsl:sequence select="$l[matches(., '^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$')]"/>
  </xsl:function>

  <!-- An HTML-valid datetime string (year, month, date, time, local date-time) or (). -->
  <xsl:function name="h:html-datetime" as="xs:string?">
    <xsl:param name="iso" as="xs:string?"/>
    <xsl:variable name="s" select="normalize-space($iso)"/>
    <xsl:sequence select="$s[matches(., '^(\d{4}(-\d{2}(-\d{2}(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?|--\d{2}-\d{2}|([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?)$')]"/>
  </xsl:function>

  <!-- An HTML id from xml:id (ids are attribute values; the serializer escapes them). -->
  <xsl:function name="h:id" as="xs:string?">
    <xsl:param name="e" as="element()"/>
    <xsl:sequence select="normalize-space($e/@xml:id)[.]"/>
  </xsl:function>

  <!-- Notes: tp:note-ordinal (common.xsl) finds a note among the document's notes through a
       key and is memoised; these compute label and id from an ordinal already known. -->
  <xsl:function name="h:note-ordinal" as="xs:integer">
    <xsl:param name="note" as="element(tei:note)"/>
    <xsl:sequence select="tp:note-ordinal($note)"/>
  </xsl:function>

  <!-- tp:note-label for a note whose ordinal is known. -->
  <xsl:function name="h:note-label" as="xs:string">
    <xsl:param name="note" as="element(tei:note)"/>
    <xsl:param name="ordinal" as="xs:integer"/>
    <xsl:variable name="r" as="element(r:note)?"
        select="if (exists($register)) then key('tp:note', $doc-id || ' ' || $ordinal, $register)[1] else ()"/>
    <xsl:sequence select="if (exists($r)) then string($r/@label)
                          else if ($note/@n) then string($note/@n)
                          else string($ordinal)"/>
  </xsl:function>

  <!-- tp:note-id for a note whose ordinal is known. -->
  <xsl:function name="h:note-id" as="xs:string">
    <xsl:param name="note" as="element(tei:note)"/>
    <xsl:param name="ordinal" as="xs:integer"/>
    <xsl:sequence select="string(($note/@xml:id, 'note-' || $ordinal)[1])"/>
  </xsl:function>

  <!-- URL of an entity's register entry (all HTML pages live in one folder). -->
  <xsl:function name="h:entity-href" as="xs:string">
    <xsl:param name="entity" as="element(r:entity)"/>
    <xsl:variable name="page" select="
        if ($entity/@kind = 'person') then 'persons.html'
        else if ($entity/@kind = 'place') then 'places.html'
        else if ($entity/@kind = 'org') then 'organisations.html'
        else if ($entity/@kind = 'bibl') then 'bibliography.html'
        else 'terms.html'"/>
    <xsl:sequence select="$page || '#' || encode-for-uri($entity/@id)"/>
  </xsl:function>

  <!-- Heading level of a div head: h2 for top-level divs (h1 is the page title). -->
  <xsl:function name="h:heading-level" as="xs:integer">
    <xsl:param name="head" as="element()"/>
    <xsl:sequence select="min((6, 1 + count($head/ancestor::tei:div)))"/>
  </xsl:function>

  <!-- Spoken/read explanation of translator's or editor's supplied text. -->
  <xsl:function name="h:supplied-explanation" as="xs:string">
    <xsl:param name="s" as="element()"/>
    <xsl:variable name="r" select="normalize-space($s/@reason)"/>
    <xsl:sequence select="
        if ($r = 'original-wording') then 'original-language wording added by the translator'
        else if ($r = 'name-completion') then 'name completed by the translator'
        else if ($r = 'grammar') then 'word added by the translator for grammar'
        else if ($r = 'clarification') then 'clarification added by the translator'
        else if ($r) then 'added by the editor: ' || replace($r, '[-_]', ' ')
        else 'added by the editor'"/>
  </xsl:function>

  <!-- The common attributes every rendered element carries: id, lang, class. -->
  <!-- Called for every rendered element, so the common case (no xml:id, xml:lang, rend or
       type: most elements of a letter) is tested first and costs no function calls. -->
  <xsl:template name="h:attrs">
    <xsl:param name="class" as="xs:string*" select="()"/>
    <xsl:if test="@xml:id">
      <xsl:variable name="id" select="h:id(.)"/>
      <xsl:if test="$id"><xsl:attribute name="id" select="$id"/></xsl:if>
    </xsl:if>
    <xsl:if test="@xml:lang">
      <xsl:variable name="lang" select="h:lang(.)"/>
      <xsl:if test="$lang"><xsl:attribute name="lang" select="$lang"/></xsl:if>
    </xsl:if>
    <xsl:variable name="cls" select="string-join(distinct-values(
        if (@rend or @type) then ($class, h:class-tokens(.)) else $class), ' ')"/>
    <xsl:if test="$cls"><xsl:attribute name="class" select="$cls"/></xsl:if>
  </xsl:template>

  <!-- A block element in block context, a span with the same class in phrase context. -->
  <xsl:template name="h:block">
    <xsl:param name="name" as="xs:string"/>
    <xsl:param name="class" as="xs:string*"/>
    <xsl:param name="anchor" as="xs:boolean" select="false()"/>
    <xsl:element name="{if (h:phrasal(.)) then 'span' else $name}">
      <xsl:call-template name="h:attrs"><xsl:with-param name="class" select="$class"/></xsl:call-template>
      <xsl:apply-templates mode="h:body"/>
      <xsl:if test="$anchor and h:id(.)">
        <xsl:call-template name="h:anchor"><xsl:with-param name="id" select="h:id(.)"/></xsl:call-template>
      </xsl:if>
    </xsl:element>
  </xsl:template>

  <!-- ================================================================== -->
  <!-- Overridable format hooks                                            -->
  <!-- ================================================================== -->

  <!-- Permalink after a paragraph (HTML: a small pilcrow link). -->
  <xsl:template name="h:anchor">
    <xsl:param name="id" as="xs:string"/>
    <xsl:text> </xsl:text>
    <a class="anchor" href="#{$id}" aria-label="Permalink to this passage">¶</a>
  </xsl:template>

  <!-- A footnote marker: a superscript link to the note, and back; a popover with the text. -->
  <xsl:template name="h:note-marker">
    <xsl:param name="note" as="element(tei:note)"/>
    <xsl:variable name="n" select="h:note-ordinal($note)"/>
    <xsl:variable name="id" select="h:note-id($note, $n)"/>
    <xsl:variable name="label" select="h:note-label($note, $n)"/>
    <span class="note-ref-wrap">
      <a class="note-ref" id="noteref-{$id}" href="#{$id}" aria-describedby="pop-{$id}"
         aria-label="Note {$label}"><sup><xsl:value-of select="$label"/></sup></a>
      <span class="note-pop" id="pop-{$id}" role="tooltip">
        <span class="note-pop-label"><xsl:value-of select="$label"/></span>
        <xsl:text> </xsl:text>
        <xsl:value-of select="tp:plain($note/node())"/>
      </span>
    </span>
  </xsl:template>

  <!-- A note that is not a footnote: shown where it stands. -->
  <xsl:template name="h:note-inline">
    <xsl:param name="note" as="element(tei:note)"/>
    <xsl:for-each select="$note">
      <xsl:call-template name="h:block">
        <xsl:with-param name="name" select="'aside'"/>
        <xsl:with-param name="class" select="('note', 'note-inline', normalize-space(@place)[.] ! ('place-' || replace(lower-case(.), '[^a-z0-9-]', '')))"/>
      </xsl:call-template>
    </xsl:for-each>
  </xsl:template>

  <!-- The list of footnotes, each with a link back to its marker. -->
  <xsl:template name="h:footnotes">
    <xsl:param name="notes" as="element(tei:note)*"/>
    <xsl:if test="exists($notes)">
      <section class="footnotes" aria-labelledby="footnotes-heading">
        <h2 id="footnotes-heading">Notes</h2>
        <ol class="footnotes-list">
          <xsl:for-each select="$notes">
            <xsl:variable name="n" select="h:note-ordinal(.)"/>
            <xsl:variable name="id" select="h:note-id(., $n)"/>
            <xsl:variable name="label" select="h:note-label(., $n)"/>
            <li id="{$id}" class="footnote">
              <xsl:variable name="lang" select="h:lang(.)"/>
              <xsl:if test="$lang"><xsl:attribute name="lang" select="$lang"/></xsl:if>
              <a class="note-back" href="#noteref-{$id}"
                 aria-label="Note {$label}, back to the text"><xsl:value-of select="$label"/></a>
              <xsl:text> </xsl:text>
              <div class="note-body"><xsl:apply-templates mode="h:body"/></div>
            </li>
          </xsl:for-each>
        </ol>
      </section>
    </xsl:if>
  </xsl:template>

  <!-- A name resolved to a register entity: link to its entry plus a hover/focus card. -->
  <xsl:template name="h:entity-link">
    <xsl:param name="el" as="element()"/>
    <xsl:param name="entity" as="element(r:entity)"/>
    <!-- generate-id() is "d<document number>e<node number>"; the document number counts the
         documents the process parsed before, so it is dropped: pages must not depend on which
         worker rendered them, or after how many others (the node number is unique per page). -->
    <xsl:variable name="card-id" select="'card-' || replace(generate-id($el), '^d\d+', '')"/>
    <span class="entity-wrap">
      <a href="{h:entity-href($entity)}" aria-describedby="{$card-id}">
        <xsl:for-each select="$el">
          <xsl:call-template name="h:attrs">
            <xsl:with-param name="class" select="('entity', 'entity-' || $entity/@kind, local-name())"/>
          </xsl:call-template>
        </xsl:for-each>
        <xsl:apply-templates select="$el/node()" mode="h:body"/>
      </a>
      <span class="card" id="{$card-id}" role="tooltip">
        <strong class="card-name"><xsl:value-of select="$entity/r:name"/></strong>
        <xsl:variable name="dates" select="tp:life-dates($entity)"/>
        <xsl:if test="$dates"><span class="card-dates"><xsl:value-of select="' (' || $dates || ')'"/></span></xsl:if>
        <xsl:for-each select="$entity/r:role[normalize-space()]">
          <span class="card-role"><xsl:value-of select="normalize-space()"/></span>
        </xsl:for-each>
      </span>
    </span>
  </xsl:template>

  <!-- Page break: a small marker with the page number (nothing when unnumbered). -->
  <xsl:template name="h:page-break">
    <xsl:param name="pb" as="element()"/>
    <xsl:if test="normalize-space($pb/@n)">
      <span class="pb" role="note" aria-label="page {normalize-space($pb/@n)}">
        <xsl:if test="h:id($pb)"><xsl:attribute name="id" select="h:id($pb)"/></xsl:if>
        <xsl:value-of select="'[' || normalize-space($pb/@n) || ']'"/>
      </span>
    </xsl:if>
  </xsl:template>

  <!-- ================================================================== -->
  <!-- Structure                                                           -->
  <!-- ================================================================== -->

  <xsl:template match="comment() | processing-instruction()" mode="h:body"/>
  <xsl:template match="text()" mode="h:body"><xsl:value-of select="."/></xsl:template>

  <xsl:template match="tei:text | tei:body | tei:front | tei:back | tei:group" mode="h:body">
    <xsl:call-template name="h:block">
      <xsl:with-param name="name" select="'div'"/>
      <xsl:with-param name="class" select="'tei-' || local-name()"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template match="tei:div | tei:div1 | tei:div2 | tei:div3 | tei:div4 | tei:div5 | tei:floatingText
                       | tei:postscript | tei:lg | tei:sp | tei:argument | tei:epigraph[not(tei:quote or tei:cit)]" mode="h:body">
    <xsl:call-template name="h:block">
      <xsl:with-param name="name" select="if (self::tei:div or self::tei:floatingText or matches(local-name(), '^div\d$')) then 'section' else 'div'"/>
      <xsl:with-param name="class" select="(if (matches(local-name(), '^div\d?$')) then 'div' else local-name(),
                                            if (@type = 'commentary') then 'commentary' else ())"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template match="tei:epigraph" mode="h:body">
    <xsl:call-template name="h:block">
      <xsl:with-param name="name" select="'div'"/>
      <xsl:with-param name="class" select="'epigraph'"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template match="tei:head" mode="h:body">
    <xsl:choose>
      <xsl:when test="h:phrasal(.)">
        <span><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'head'"/></xsl:call-template><xsl:apply-templates mode="h:body"/></span>
      </xsl:when>
      <xsl:when test="parent::tei:div or parent::tei:floatingText or matches(local-name(..), '^div\d$')">
        <xsl:element name="h{h:heading-level(.)}">
          <xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'head'"/></xsl:call-template>
          <xsl:apply-templates mode="h:body"/>
        </xsl:element>
      </xsl:when>
      <xsl:otherwise>
        <p><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="('head', local-name(..) || '-head')"/></xsl:call-template><xsl:apply-templates mode="h:body"/></p>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- Paragraphs; a p with @n is a numbered point (the printed number stays in the text). -->
  <xsl:template match="tei:p | tei:ab" mode="h:body">
    <xsl:call-template name="h:block">
      <xsl:with-param name="name" select="'p'"/>
      <xsl:with-param name="class" select="(if (@n) then 'point' else (), if (self::tei:ab) then 'ab' else ())"/>
      <xsl:with-param name="anchor" select="true()"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template match="tei:opener | tei:closer" mode="h:body">
    <xsl:call-template name="h:block">
      <xsl:with-param name="name" select="'div'"/>
      <xsl:with-param name="class" select="local-name()"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template match="tei:salute | tei:signed | tei:dateline | tei:trailer | tei:byline | tei:docAuthor
                       | tei:docDate | tei:speaker | tei:address" mode="h:body">
    <xsl:call-template name="h:block">
      <xsl:with-param name="name" select="'p'"/>
      <xsl:with-param name="class" select="local-name()"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template match="tei:addrLine | tei:l" mode="h:body">
    <span><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="local-name()"/></xsl:call-template><xsl:apply-templates mode="h:body"/></span>
    <xsl:if test="following-sibling::*[1][self::tei:addrLine or self::tei:l]"><br/></xsl:if>
  </xsl:template>

  <!-- Lists: numbered when @type/@rend says so or items carry @n; label/item pairs as dl. -->
  <xsl:template match="tei:list" mode="h:body">
    <xsl:variable name="phrasal" select="h:phrasal(.)"/>
    <xsl:variable name="ordered" select="@type = ('ordered', 'numbered') or tokenize(@rend) = ('numbered', 'ordered')
                                         or (tei:item and (every $i in tei:item satisfies $i/@n))"/>
    <xsl:choose>
      <xsl:when test="tei:label and not($phrasal)">
        <xsl:apply-templates select="tei:head" mode="h:body"/>
        <dl><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'list'"/></xsl:call-template>
          <xsl:for-each select="* except tei:head">
            <xsl:element name="{if (self::tei:label) then 'dt' else 'dd'}">
              <xsl:call-template name="h:attrs"/>
              <xsl:apply-templates mode="h:body"/>
            </xsl:element>
          </xsl:for-each>
        </dl>
      </xsl:when>
      <xsl:when test="$phrasal">
        <span><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'list'"/></xsl:call-template>
          <xsl:apply-templates mode="h:body"/></span>
      </xsl:when>
      <xsl:otherwise>
        <xsl:apply-templates select="tei:head" mode="h:body"/>
        <xsl:element name="{if ($ordered) then 'ol' else 'ul'}">
          <xsl:call-template name="h:attrs"><xsl:with-param name="class" select="('list', if (tei:item[@n]) then 'points' else ())"/></xsl:call-template>
          <xsl:apply-templates select="node() except tei:head" mode="h:body"/>
        </xsl:element>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- An item; item/@n is a numbered point: its number is shown (unless the text starts with it). -->
  <xsl:template match="tei:item" mode="h:body">
    <xsl:element name="{if (h:phrasal(.)) then 'span' else 'li'}">
      <xsl:call-template name="h:attrs"><xsl:with-param name="class" select="('item', if (@n) then 'point' else ())"/></xsl:call-template>
      <xsl:if test="@n and not(starts-with(normalize-space(.), normalize-space(@n)))">
        <span class="point-n"><xsl:value-of select="normalize-space(@n) || '. '"/></span>
      </xsl:if>
      <xsl:apply-templates mode="h:body"/>
      <xsl:if test="h:id(.)"><xsl:call-template name="h:anchor"><xsl:with-param name="id" select="h:id(.)"/></xsl:call-template></xsl:if>
    </xsl:element>
    <xsl:if test="h:phrasal(.)"><xsl:text> </xsl:text></xsl:if>
  </xsl:template>

  <xsl:template match="tei:label" mode="h:body">
    <span><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'label'"/></xsl:call-template><xsl:apply-templates mode="h:body"/></span>
  </xsl:template>

  <xsl:template match="tei:table" mode="h:body">
    <xsl:choose>
      <xsl:when test="h:phrasal(.)">
        <span><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'table'"/></xsl:call-template><xsl:apply-templates mode="h:body"/></span>
      </xsl:when>
      <xsl:otherwise>
        <table><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'table'"/></xsl:call-template>
          <xsl:if test="tei:head"><caption><xsl:apply-templates select="tei:head/node()" mode="h:body"/></caption></xsl:if>
          <tbody><xsl:apply-templates select="tei:row" mode="h:body"/></tbody>
        </table>
        <xsl:apply-templates select="* except (tei:head, tei:row)" mode="h:body"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>
  <xsl:template match="tei:row" mode="h:body">
    <xsl:choose>
      <xsl:when test="h:phrasal(.)"><span class="row"><xsl:apply-templates mode="h:body"/></span></xsl:when>
      <xsl:otherwise><tr><xsl:call-template name="h:attrs"/><xsl:apply-templates mode="h:body"/></tr></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
  <xsl:template match="tei:cell" mode="h:body">
    <xsl:choose>
      <xsl:when test="h:phrasal(.)"><span class="cell"><xsl:apply-templates mode="h:body"/><xsl:text> </xsl:text></span></xsl:when>
      <xsl:otherwise>
        <xsl:element name="{if (@role = 'label' or ../@role = 'label') then 'th' else 'td'}">
          <xsl:call-template name="h:attrs"/>
          <xsl:if test="@cols castable as xs:integer and xs:integer(@cols) gt 1 and xs:integer(@cols) le 100"><xsl:attribute name="colspan" select="xs:integer(@cols)"/></xsl:if>
          <xsl:if test="@rows castable as xs:integer and xs:integer(@rows) gt 1 and xs:integer(@rows) le 1000"><xsl:attribute name="rowspan" select="xs:integer(@rows)"/></xsl:if>
          <xsl:apply-templates mode="h:body"/>
        </xsl:element>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- Figures: the description is kept as text; a graphic's URL becomes a link, never an
       embedded image (the edition must not load anything remote). -->
  <xsl:template match="tei:figure" mode="h:body">
    <xsl:call-template name="h:block">
      <xsl:with-param name="name" select="'figure'"/>
      <xsl:with-param name="class" select="'figure'"/>
    </xsl:call-template>
  </xsl:template>
  <xsl:template match="tei:figDesc" mode="h:body">
    <span><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'figdesc'"/></xsl:call-template><xsl:apply-templates mode="h:body"/></span>
  </xsl:template>
  <xsl:template match="tei:graphic | tei:media" mode="h:body">
    <xsl:variable name="url" select="tp:safe-url(@url)"/>
    <xsl:choose>
      <xsl:when test="exists($url) and not(h:in-link(.))"><a class="graphic" href="{$url}">[image: <xsl:value-of select="@url"/>]</a></xsl:when>
      <xsl:when test="@url"><span class="graphic">[image: <xsl:value-of select="@url"/>]</span></xsl:when>
    </xsl:choose>
  </xsl:template>

  <!-- ================================================================== -->
  <!-- Quotation, speech, citation                                         -->
  <!-- ================================================================== -->

  <xsl:template match="tei:q" mode="h:body">
    <q><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'q'"/></xsl:call-template><xsl:apply-templates mode="h:body"/></q>
  </xsl:template>

  <!-- said: the translation keeps its own quotation marks, so none are added. -->
  <xsl:template match="tei:said" mode="h:body">
    <span>
      <xsl:call-template name="h:attrs">
        <xsl:with-param name="class" select="('said', if (@direct = 'false') then 'said-indirect' else 'said-direct')"/>
      </xsl:call-template>
      <xsl:variable name="who" select="tp:entities(@who)"/>
      <xsl:if test="exists($who)"><xsl:attribute name="data-who" select="string-join($who/@id, ' ')"/></xsl:if>
      <xsl:apply-templates mode="h:body"/>
    </span>
  </xsl:template>

  <xsl:template match="tei:quote" mode="h:body">
    <xsl:choose>
      <xsl:when test="h:phrasal(.)">
        <q><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'quote'"/></xsl:call-template><xsl:apply-templates mode="h:body"/></q>
      </xsl:when>
      <xsl:otherwise>
        <blockquote>
          <xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'quote'"/></xsl:call-template>
          <xsl:choose>
            <xsl:when test="tei:p | tei:lg | tei:list | tei:div"><xsl:apply-templates mode="h:body"/></xsl:when>
            <xsl:otherwise><p><xsl:apply-templates mode="h:body"/></p></xsl:otherwise>
          </xsl:choose>
          <xsl:if test="h:id(.)"><xsl:call-template name="h:anchor"><xsl:with-param name="id" select="h:id(.)"/></xsl:call-template></xsl:if>
        </blockquote>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="tei:cit" mode="h:body">
    <xsl:choose>
      <xsl:when test="h:phrasal(.)">
        <span><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'cit'"/></xsl:call-template><xsl:apply-templates mode="h:body"/></span>
      </xsl:when>
      <xsl:otherwise>
        <figure>
          <xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'cit'"/></xsl:call-template>
          <xsl:apply-templates select="node() except (tei:bibl, tei:biblStruct, tei:ref)" mode="h:body"/>
          <xsl:if test="tei:bibl | tei:biblStruct | tei:ref">
            <figcaption class="cit-source"><xsl:apply-templates select="tei:bibl | tei:biblStruct | tei:ref" mode="h:body"/></figcaption>
          </xsl:if>
          <xsl:if test="h:id(.)"><xsl:call-template name="h:anchor"><xsl:with-param name="id" select="h:id(.)"/></xsl:call-template></xsl:if>
        </figure>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- A bibliographic reference; linked to the bibliography when @corresp/@ref resolves. -->
  <xsl:template match="tei:bibl | tei:biblStruct" mode="h:body">
    <xsl:variable name="entity" select="(for $a in (@corresp, @ref, @sameAs) return tp:entities($a))[1]"/>
    <xsl:variable name="inner">
      <cite><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="local-name()"/></xsl:call-template><xsl:apply-templates mode="h:body"/></cite>
    </xsl:variable>
    <xsl:choose>
      <xsl:when test="exists($entity) and not(h:in-link(.)) and not(.//tei:ref | .//tei:ptr | .//tei:persName | .//tei:placeName | .//tei:orgName | .//tei:name | .//tei:rs)">
        <xsl:call-template name="h:entity-link">
          <xsl:with-param name="el" select="."/>
          <xsl:with-param name="entity" select="$entity"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:when test="h:phrasal(.) or not(parent::tei:listBibl)"><xsl:sequence select="$inner"/></xsl:when>
      <xsl:otherwise><p class="bibl-entry"><xsl:sequence select="$inner"/></p></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- ================================================================== -->
  <!-- Names, dates, numbers                                               -->
  <!-- ================================================================== -->

  <!-- A name resolved through the register becomes a link with a card. A name inside
       another link (nested orgName) stays a span, since links cannot nest. -->
  <xsl:template match="tei:persName | tei:placeName | tei:orgName | tei:name | tei:rs | tei:term
                       | tei:geogName | tei:roleName" mode="h:body">
    <xsl:variable name="entity" select="tp:entity(.)"/>
    <xsl:choose>
      <xsl:when test="exists($entity) and not(h:in-link(.))">
        <xsl:call-template name="h:entity-link">
          <xsl:with-param name="el" select="."/>
          <xsl:with-param name="entity" select="$entity"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <span>
          <xsl:call-template name="h:attrs">
            <xsl:with-param name="class" select="('name', local-name(), if (exists($entity)) then 'entity-' || $entity/@kind else ())"/>
          </xsl:call-template>
          <xsl:if test="exists($entity)"><xsl:attribute name="data-entity" select="$entity/@id"/></xsl:if>
          <xsl:apply-templates mode="h:body"/>
        </span>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- Dates and times: <time datetime> when the value is HTML-valid; ranges keep both ends. -->
  <xsl:template match="tei:date | tei:time" mode="h:body">
    <xsl:variable name="start" select="(@when, @from, @notBefore)[1]"/>
    <xsl:variable name="dt" select="h:html-datetime($start)"/>
    <xsl:variable name="value" select="tp:date-value(.)"/>
    <xsl:element name="{if (exists($dt)) then 'time' else 'span'}">
      <xsl:call-template name="h:attrs"><xsl:with-param name="class" select="('date', local-name())"/></xsl:call-template>
      <xsl:if test="exists($dt)"><xsl:attribute name="datetime" select="$dt"/></xsl:if>
      <xsl:if test="$value and $value ne string($dt)"><xsl:attribute name="data-range" select="$value"/></xsl:if>
      <xsl:apply-templates mode="h:body"/>
    </xsl:element>
  </xsl:template>

  <xsl:template match="tei:num | tei:measure" mode="h:body">
    <xsl:variable name="v" select="normalize-space((@value, @quantity)[1])"/>
    <xsl:element name="{if ($v) then 'data' else 'span'}">
      <xsl:call-template name="h:attrs"><xsl:with-param name="class" select="local-name()"/></xsl:call-template>
      <xsl:if test="$v"><xsl:attribute name="value" select="$v"/></xsl:if>
      <xsl:if test="normalize-space(@unit)"><xsl:attribute name="data-unit" select="normalize-space(@unit)"/></xsl:if>
      <xsl:apply-templates mode="h:body"/>
    </xsl:element>
  </xsl:template>

  <!-- ================================================================== -->
  <!-- Highlighting, languages, titles                                     -->
  <!-- ================================================================== -->

  <xsl:template match="tei:foreign" mode="h:body">
    <i><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'foreign'"/></xsl:call-template><xsl:apply-templates mode="h:body"/></i>
  </xsl:template>

  <xsl:template match="tei:emph" mode="h:body">
    <em><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'emph'"/></xsl:call-template><xsl:apply-templates mode="h:body"/></em>
  </xsl:template>

  <xsl:template match="tei:hi" mode="h:body">
    <xsl:variable name="r" select="tokenize(lower-case(normalize-space(@rend)), '[\s;]+')"/>
    <xsl:element name="{if ($r = ('sup', 'superscript')) then 'sup'
                        else if ($r = ('sub', 'subscript')) then 'sub'
                        else if ($r = ('bold', 'b', 'strong')) then 'b'
                        else if ($r = ('underline', 'u')) then 'u'
                        else if ($r = ('strikethrough', 'strike')) then 's'
                        else if ($r = ('italic', 'italics', 'i', 'it')) then 'i'
                        else 'span'}">
      <xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'hi'"/></xsl:call-template>
      <xsl:apply-templates mode="h:body"/>
    </xsl:element>
  </xsl:template>

  <xsl:template match="tei:title" mode="h:body">
    <cite>
      <xsl:call-template name="h:attrs">
        <xsl:with-param name="class" select="('title', normalize-space(@level)[.] ! ('title-' || replace(lower-case(.), '[^a-z]', '')))"/>
      </xsl:call-template>
      <xsl:apply-templates mode="h:body"/>
    </cite>
  </xsl:template>

  <xsl:template match="tei:mentioned | tei:soCalled | tei:gloss | tei:distinct" mode="h:body">
    <span><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="local-name()"/></xsl:call-template><xsl:apply-templates mode="h:body"/></span>
  </xsl:template>

  <!-- ================================================================== -->
  <!-- Editorial interventions                                             -->
  <!-- ================================================================== -->

  <!-- Supplied text in brackets, with the reason spoken (visually hidden) and on hover. -->
  <xsl:template match="tei:supplied" mode="h:body">
    <xsl:variable name="why" select="h:supplied-explanation(.)"/>
    <span title="{$why}">
      <xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'supplied'"/></xsl:call-template>
      <span class="bracket"><xsl:value-of select="$tp:supplied-open"/></span>
      <xsl:apply-templates mode="h:body"/>
      <span class="bracket"><xsl:value-of select="$tp:supplied-close"/></span>
      <span class="visually-hidden"><xsl:value-of select="' (' || $why || ')'"/></span>
    </span>
  </xsl:template>

  <xsl:template match="tei:gap" mode="h:body">
    <xsl:variable name="why" select="string-join(('omitted' || (normalize-space(@reason)[.] ! (': ' || replace(., '[-_]', ' '))),
                                                 normalize-space(string-join(tei:desc, ' '))[.]), ', ')"/>
    <span title="{$why}">
      <xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'gap'"/></xsl:call-template>
      <span aria-hidden="true"><xsl:value-of select="$tp:gap-sign"/></span>
      <span class="visually-hidden"><xsl:value-of select="' (' || $why || ')'"/></span>
    </span>
  </xsl:template>

  <xsl:template match="tei:unclear" mode="h:body">
    <span title="unclear reading">
      <xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'unclear'"/></xsl:call-template>
      <xsl:apply-templates mode="h:body"/>
      <span class="visually-hidden"> (unclear reading)</span>
    </span>
  </xsl:template>

  <!-- A standalone sic keeps the text and marks it; a standalone corr is bracketed like supplied. -->
  <xsl:template match="tei:sic" mode="h:body">
    <span><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'sic'"/></xsl:call-template><xsl:apply-templates mode="h:body"/><span class="sic-mark"> [sic]</span></span>
  </xsl:template>
  <xsl:template match="tei:corr" mode="h:body">
    <span title="corrected by the editor"><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'corr'"/></xsl:call-template><span class="bracket"><xsl:value-of select="$tp:supplied-open"/></span><xsl:apply-templates mode="h:body"/><span class="bracket"><xsl:value-of select="$tp:supplied-close"/></span><span class="visually-hidden"> (corrected by the editor)</span></span>
  </xsl:template>

  <!-- choice: the edited reading (corr/reg/expan) in the text, the other one kept beside it. -->
  <xsl:template match="tei:choice" mode="h:body">
    <xsl:variable name="main" select="(tei:corr, tei:reg, tei:expan, *)[1]"/>
    <span class="choice">
      <span class="reading {local-name($main)}"><xsl:apply-templates select="$main/node()" mode="h:body"/></span>
      <xsl:for-each select="* except $main">
        <span class="alt {local-name()}">
          <xsl:value-of select="' [' || (if (self::tei:sic) then 'sic: ' else if (self::tei:orig) then 'orig.: ' else if (self::tei:abbr) then 'abbr.: ' else '')"/>
          <xsl:apply-templates mode="h:body"/>
          <xsl:text>]</xsl:text>
        </span>
      </xsl:for-each>
    </span>
  </xsl:template>

  <xsl:template match="tei:del" mode="h:body">
    <del><xsl:call-template name="h:attrs"/><xsl:apply-templates mode="h:body"/></del>
  </xsl:template>
  <xsl:template match="tei:add" mode="h:body">
    <ins><xsl:call-template name="h:attrs"/><xsl:apply-templates mode="h:body"/></ins>
  </xsl:template>

  <!-- ================================================================== -->
  <!-- Breaks, notes, links                                                -->
  <!-- ================================================================== -->

  <xsl:template match="tei:lb" mode="h:body">
    <xsl:if test="@break = 'no'"><span class="lb-hyphen" aria-hidden="true"></span></xsl:if>
    <br/>
  </xsl:template>
  <xsl:template match="tei:pb" mode="h:body">
    <xsl:call-template name="h:page-break"><xsl:with-param name="pb" select="."/></xsl:call-template>
  </xsl:template>
  <xsl:template match="tei:cb | tei:milestone | tei:anchor | tei:fw" mode="h:body">
    <xsl:if test="h:id(.)"><span id="{h:id(.)}" class="{local-name()}"></span></xsl:if>
  </xsl:template>

  <xsl:template match="tei:note" mode="h:body">
    <xsl:choose>
      <xsl:when test="tp:is-footnote(.)">
        <xsl:call-template name="h:note-marker"><xsl:with-param name="note" select="."/></xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
        <xsl:call-template name="h:note-inline"><xsl:with-param name="note" select="."/></xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- ref: a register entity (bibl:…), an in-page #id, or a safe URL becomes a link;
       anything else (javascript:, data:, …) is shown as plain text. -->
  <xsl:template match="tei:ref" mode="h:body">
    <xsl:variable name="t" select="h:ref-target(.)"/>
    <xsl:choose>
      <xsl:when test="$t instance of element(r:entity) and not(h:in-link(.))">
        <xsl:call-template name="h:entity-link">
          <xsl:with-param name="el" select="."/>
          <xsl:with-param name="entity" select="$t"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:when test="$t instance of xs:string and not(h:in-link(.))">
        <a href="{$t}"><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'ref'"/></xsl:call-template><xsl:apply-templates mode="h:body"/></a>
      </xsl:when>
      <xsl:otherwise>
        <span><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="'ref'"/></xsl:call-template><xsl:apply-templates mode="h:body"/></span>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="tei:ptr" mode="h:body">
    <xsl:variable name="t" select="h:ref-target(.)"/>
    <xsl:variable name="raw" select="normalize-space((@target, @corresp)[1])"/>
    <xsl:choose>
      <xsl:when test="$t instance of element(r:entity) and not(h:in-link(.))">
        <a class="ptr entity entity-{$t/@kind}" href="{h:entity-href($t)}"><xsl:value-of select="tp:entity-label($t)"/></a>
      </xsl:when>
      <xsl:when test="$t instance of xs:string and not(h:in-link(.))">
        <a class="ptr" href="{$t}"><xsl:value-of select="$raw"/></a>
      </xsl:when>
      <xsl:otherwise><span class="ptr"><xsl:value-of select="$raw"/></span></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- Header-only or metadata containers met inside a body: keep their text. -->
  <xsl:template match="tei:desc | tei:seg | tei:w | tei:c | tei:pc | tei:orig | tei:reg | tei:abbr | tei:expan
                       | tei:idno | tei:publisher | tei:pubPlace | tei:biblScope | tei:editor | tei:author
                       | tei:imprint | tei:monogr | tei:analytic | tei:series | tei:surname | tei:forename" mode="h:body">
    <span><xsl:call-template name="h:attrs"><xsl:with-param name="class" select="local-name()"/></xsl:call-template><xsl:apply-templates mode="h:body"/></span>
    <xsl:if test="(self::tei:editor or self::tei:author or self::tei:imprint or self::tei:monogr or self::tei:analytic)
                  and following-sibling::*"><xsl:text> </xsl:text></xsl:if>
  </xsl:template>

  <!-- Any other element: a span (phrase context) or div (block context) with class tei-NAME. -->
  <xsl:template match="*" mode="h:body" priority="-1">
    <xsl:element name="{if (h:phrasal(.)) then 'span' else 'div'}">
      <xsl:call-template name="h:attrs">
        <xsl:with-param name="class" select="'tei-' || replace(local-name(), '[^A-Za-z0-9_-]', '-')"/>
      </xsl:call-template>
      <xsl:apply-templates mode="h:body"/>
    </xsl:element>
  </xsl:template>

</xsl:stylesheet>
