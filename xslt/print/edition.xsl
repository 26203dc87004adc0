<?xml version="1.0" encoding="UTF-8"?>
<!--
  teipress print edition, pass "book": the whole book as one paged HTML file.

  Called (named template tpp:book) once per build with $doc-id = '' and
    $parts        the document sections made by document.xsl, in reading order
                  (<parts><section class="document" …/>…</parts>), or, with
                  $documents-marker, only what the front and back matter read of them:
                  per section its @id, header/h1, header/p[@class = 'doc-date'] and
                  every index anchor (*[@data-entity]) — see teipress.render.print_;
    $index-pages  pass 2 only: the pages each index entry is mentioned on, computed by
                  the Python side from WeasyPrint's layout of pass 1
                  (<pages><entity id="…"><range from="3" to="5" anchor="ix-…"/>…</entity></pages>);
                  absent in pass 1, when entries carry target-counter() links instead;
    $bibliography the bibliography authority file (TEI), if the project has one;
    $page-size    a CSS page size ("A4", "letter", "A5", "6in 9in");
    $documents-marker  if not empty, the documents are not copied: a comment with this text
                  stands in their place, and the Python side puts in the sections it keeps
                  already serialised (print_.section_html, once per document), so a
                  one-document change does not copy every other section through XSLT again;
    $index-entities  if given, the ids (space-separated) of the entities anchored in the
                  sections, which $parts then need not hold: with $index-mode 'marker',
                  each index entry's pages are a comment 'tpp:pages <entity id>' the Python
                  side replaces with the entity's links (teipress.render.book_frame), so
                  the anchors of a whole corpus are never one tree.
  The book: half-title, title page, imprint, contents (target-counter), editorial
  principles, the documents, bibliography, index of persons, places and organisations.
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:map="http://www.w3.org/2005/xpath-functions/map"
    xmlns:tei="http://www.tei-c.org/ns/1.0"
    xmlns:tp="https://teipress.dev/ns"
    xmlns:tpp="https://teipress.dev/ns/print"
    xmlns:r="https://teipress.dev/ns/register"
    xmlns:h="https://teipress.dev/ns/html"
    exclude-result-prefixes="#all">

  <xsl:import href="inline.xsl"/>

  <xsl:output method="html" html-version="5" encoding="UTF-8" indent="no"/>

  <xsl:param name="parts" as="document-node()?" select="()"/>
  <xsl:param name="index-pages" as="document-node()?" select="()"/>
  <xsl:param name="bibliography" as="document-node()?" select="()"/>
  <xsl:param name="page-size" as="xs:string" select="'A4'"/>
  <!-- Without $index-pages: 'target-counter' (one counter link per mention, for paged-media
       engines that render edition.html themselves) or 'none' (pass 1 of the two-pass
       WeasyPrint render: no page numbers yet; WeasyPrint lays out hundreds of
       target-counter links very slowly, and the index comes after every mention anyway), or
       'marker' (with $index-entities: a comment per entry that the Python side replaces
       with that entry's target-counter links). -->
  <xsl:param name="index-mode" as="xs:string" select="'target-counter'"/>
  <xsl:param name="stylesheet-href" as="xs:string" select="'print.css'"/>
  <xsl:param name="documents-marker" as="xs:string" select="''"/>
  <xsl:param name="index-entities" as="xs:string?" select="()"/>

  <xsl:variable name="edition" select="$register/r:register/r:edition"/>
  <xsl:variable name="anchors" select="$parts//*[@data-entity]"/>
  <!-- the ids of the entities the index lists: mentioned (anchored) somewhere in the book -->
  <xsl:variable name="tpp:anchored" as="map(xs:string, xs:boolean)"
      select="map:merge((if (exists($index-entities)) then tokenize($index-entities)
                         else distinct-values($anchors/@data-entity)) ! map{string(.): true()})"/>
  <!-- per kind, the entities of the index in their order (sorted once, read several times) -->
  <xsl:variable name="tpp:index-by-kind" as="map(xs:string, element(r:entity)*)"
      select="map:merge(for $kind in ('person', 'place', 'org') return map{$kind: tpp:sorted-entities($kind)})"/>
  <xsl:key name="tpp:anchors" match="*[@data-entity]" use="@data-entity"/>
  <xsl:key name="tpp:pages" match="entity" use="@id"/>

  <xsl:template name="tpp:book">
    <xsl:variable name="title" select="string(($edition/@title, 'Untitled edition')[1])"/>
    <html lang="en">
      <head>
        <meta charset="utf-8"/>
        <title><xsl:value-of select="$title"/></title>
        <meta name="author" content="{string-join($edition/r:editor, ', ')}"/>
        <meta name="description" content="{$edition/@subtitle}"/>
        <meta name="dcterms.created" content="{$build-date}"/>
        <meta name="generator" content="teipress"/>
        <link rel="stylesheet" href="{$stylesheet-href}"/>
        <style>@page { size: <xsl:value-of select="$page-size"/>; }</style>
      </head>
      <body>
        <xsl:call-template name="tpp:front-matter"/>
        <main class="documents">
          <xsl:choose>
            <xsl:when test="$documents-marker"><xsl:comment select="$documents-marker"/></xsl:when>
            <xsl:otherwise><xsl:copy-of select="$parts/parts/node()"/></xsl:otherwise>
          </xsl:choose>
        </main>
        <xsl:call-template name="tpp:bibliography"/>
        <xsl:call-template name="tpp:index"/>
      </body>
    </html>
  </xsl:template>

  <!-- ================================================================== -->
  <!-- Front matter                                                        -->
  <!-- ================================================================== -->

  <xsl:template name="tpp:front-matter">
    <xsl:variable name="title" select="string(($edition/@title, 'Untitled edition')[1])"/>
    <section class="half-title front" aria-label="Half-title">
      <p class="book-title" role="heading" aria-level="1"><xsl:value-of select="$title"/></p>
    </section>
    <section class="title-page front" aria-label="Title page">
      <h1 class="book-title"><xsl:value-of select="$title"/></h1>
      <xsl:if test="normalize-space($edition/@subtitle)">
        <p class="book-subtitle"><xsl:value-of select="$edition/@subtitle"/></p>
      </xsl:if>
      <xsl:if test="$edition/r:editor">
        <p class="book-editors">Edited by <xsl:value-of select="tpp:and-list($edition/r:editor)"/></p>
      </xsl:if>
      <p class="book-publisher">
        <span class="publisher"><xsl:value-of select="$edition/@publisher"/></span>
        <span class="place-year"><xsl:value-of
            select="string-join(($edition/@place, $edition/@year)[normalize-space()], ' · ')"/></span>
      </p>
    </section>
    <section class="imprint front" aria-label="Imprint">
      <p><xsl:value-of select="$title"/>
        <xsl:if test="normalize-space($edition/@subtitle)">: <xsl:value-of select="$edition/@subtitle"/></xsl:if>.</p>
      <xsl:if test="$edition/r:editor">
        <p>Edited by <xsl:value-of select="tpp:and-list($edition/r:editor)"/>.</p>
      </xsl:if>
      <p><xsl:value-of select="string-join(($edition/@publisher, $edition/@place, $edition/@year)[normalize-space()], ', ')"/>.</p>
      <xsl:if test="normalize-space($edition/@licence)">
        <p class="licence">Licence: <xsl:value-of select="$edition/@licence"/>
          <xsl:variable name="url" select="tp:safe-url($edition/@licence-url)"/>
          <xsl:if test="$url"> (<a href="{$url}"><xsl:value-of select="$url"/></a>)</xsl:if>.</p>
      </xsl:if>
      <xsl:if test="normalize-space($edition/@base-url)">
        <p>Online edition: <xsl:value-of select="$edition/@base-url"/></p>
      </xsl:if>
      <p class="version">
        <xsl:if test="normalize-space($edition/@version)">Version <xsl:value-of select="$edition/@version"/>. </xsl:if>
        <xsl:if test="normalize-space($build-date)">Built <xsl:value-of select="tp:format-iso($build-date)"/>.</xsl:if>
      </p>
      <p>Typeset from TEI P5 sources with teipress.</p>
    </section>
    <nav class="toc front" aria-label="Contents">
      <h2 class="front-head">Contents</h2>
      <ol>
        <li class="toc-principles"><a href="#principles">Editorial principles</a></li>
        <xsl:for-each select="$parts/parts/section">
          <li class="toc-doc">
            <a href="#{@id}">
              <span class="toc-title"><xsl:value-of select="normalize-space(header/h1)"/></span>
              <xsl:if test="header/p[@class = 'doc-date']">
                <span class="toc-date"><xsl:value-of select="', ' || normalize-space(header/p[@class = 'doc-date'])"/></span>
              </xsl:if>
            </a>
          </li>
        </xsl:for-each>
        <xsl:if test="tpp:bibliography-entries()">
          <li class="toc-back"><a href="#bibliography">Bibliography</a></li>
        </xsl:if>
        <xsl:for-each select="tpp:index-kinds()">
          <li class="toc-back"><a href="#index-{.}"><xsl:value-of select="tpp:index-title(.)"/></a></li>
        </xsl:for-each>
      </ol>
    </nav>
    <section class="principles front" id="principles">
      <h2 class="front-head">Editorial principles</h2>
      <p>The documents are given in the English translation named in each source line, every
        sentence as it stands in the source, including its oddities. Each document begins on a
        new right-hand page with its title, date, participants, source and a summary.</p>
      <dl class="signs">
        <dt><xsl:value-of select="$tp:supplied-open || ' ' || $tp:supplied-close"/></dt>
        <dd>Square brackets enclose words supplied by the translator or editor: completed
          names, words needed by the grammar, clarifications, and original-language wording.</dd>
        <dt><i>italics</i></dt>
        <dd>Italics mark words of the original language, transliterated (Russian, Chinese
          pinyin), and titles of books and journals.</dd>
        <dt><xsl:value-of select="$tp:gap-sign"/></dt>
        <dd>An omission: a signature, an illegible or left-out passage of the source.</dd>
        <dt><span class="sign-note">1</span></dt>
        <dd>A superior figure calls a note, printed at the foot of the same page. Note numbers
          are those of the source where it has them, so they are the same in the print, HTML
          and text editions. A superior mark with an asterisk (such as 56*) repeats a note
          sign of a quoted book whose note is not given.</dd>
        <dt>Remarks</dt>
        <dd>Editorial commentary and quoted secondary literature follow each document, set in
          smaller type below a rule.</dd>
      </dl>
      <p>The index lists persons (with their life dates where known), places and organisations
        under their normalised names, with every page on which they are mentioned, in whatever
        form; consecutive pages are joined into ranges.</p>
    </section>
  </xsl:template>

  <xsl:function name="tpp:and-list" as="xs:string">
    <xsl:param name="items" as="item()*"/>
    <xsl:variable name="s" select="for $i in $items return normalize-space(string($i))"/>
    <xsl:sequence select="if (count($s) le 1) then string($s[1])
                          else string-join($s[position() lt last()], ', ') || ' and ' || $s[last()]"/>
  </xsl:function>

  <!-- ================================================================== -->
  <!-- Bibliography                                                        -->
  <!-- ================================================================== -->

  <xsl:function name="tpp:bibliography-entries" as="element()*">
    <xsl:sequence select="$bibliography//tei:listBibl/(tei:bibl | tei:biblStruct)[@xml:id]"/>
  </xsl:function>

  <xsl:template name="tpp:bibliography">
    <xsl:variable name="entries" select="tpp:bibliography-entries()"/>
    <xsl:if test="$entries">
      <section class="bibliography back" id="bibliography">
        <h2 class="back-head">Bibliography</h2>
        <ul class="bibl-list">
          <xsl:for-each select="$entries">
            <xsl:sort select="lower-case(tpp:bibl-sort(.))"/>
            <li id="{@xml:id}"><xsl:apply-templates select="." mode="tpp:bibl"/></li>
          </xsl:for-each>
        </ul>
      </section>
    </xsl:if>
  </xsl:template>

  <xsl:function name="tpp:bibl-sort" as="xs:string">
    <xsl:param name="b" as="element()"/>
    <xsl:variable name="who" select="($b//tei:author, $b//tei:editor)[1]"/>
    <xsl:variable name="e" select="if ($who//@ref) then tp:entity-by-id(replace(($who//@ref)[1], '^pers:', 'pers-')) else ()"/>
    <xsl:sequence select="if ($e) then string($e/@sort)
                          else if ($who) then tp:plain($who)
                          else tp:plain(($b//tei:title)[1])"/>
  </xsl:function>

  <!-- biblStruct: Authors/Editors (eds.), Title. Volume title. Place: Publisher, Date. -->
  <xsl:template match="tei:biblStruct" mode="tpp:bibl">
    <xsl:variable name="m" select="tei:monogr[1]"/>
    <xsl:variable name="a" select="tei:analytic"/>
    <xsl:variable name="authors" select="($a/tei:author, $m/tei:author)"/>
    <xsl:variable name="editors" select="$m/tei:editor"/>
    <xsl:choose>
      <xsl:when test="$authors">
        <xsl:value-of select="tpp:and-list(for $x in $authors return tp:plain($x))"/>
        <xsl:text>, </xsl:text>
      </xsl:when>
      <xsl:when test="$editors">
        <xsl:value-of select="tpp:and-list(for $x in $editors return tp:plain($x))"/>
        <xsl:value-of select="if (count($editors) gt 1) then ' (eds.), ' else ' (ed.), '"/>
      </xsl:when>
    </xsl:choose>
    <xsl:if test="$a/tei:title">
      <xsl:text>“</xsl:text><xsl:value-of select="tp:plain($a/tei:title[1])"/><xsl:text>”, in </xsl:text>
    </xsl:if>
    <i><xsl:value-of select="tp:plain($m/tei:title[not(@type = 'volume')][1])"/></i>
    <xsl:for-each select="$m/tei:biblScope[@unit = ('volume', 'issue')]">
      <xsl:value-of select="(if (@unit = 'volume') then ', vol. ' else ', no. ') || normalize-space(.)"/>
    </xsl:for-each>
    <xsl:for-each select="$m/tei:title[@type = 'volume']">
      <xsl:value-of select="': ' || tp:plain(.)"/>
    </xsl:for-each>
    <xsl:variable name="imprint" select="string-join((
        string-join(($m/tei:imprint/tei:pubPlace ! tp:plain(.), $m/tei:imprint/tei:publisher ! tp:plain(.)), ': '),
        $m/tei:imprint/tei:date ! tp:plain(.))[normalize-space()], ', ')"/>
    <xsl:if test="$imprint"><xsl:value-of select="' (' || $imprint || ')'"/></xsl:if>
    <xsl:text>.</xsl:text>
  </xsl:template>

  <xsl:template match="tei:bibl" mode="tpp:bibl">
    <xsl:apply-templates mode="h:body"/>
  </xsl:template>

  <!-- ================================================================== -->
  <!-- Index of persons, places, organisations                             -->
  <!-- ================================================================== -->

  <xsl:function name="tpp:index-kinds" as="xs:string*">
    <xsl:sequence select="('person', 'place', 'org')[tpp:index-entities(.)]"/>
  </xsl:function>

  <xsl:function name="tpp:index-title" as="xs:string">
    <xsl:param name="kind" as="xs:string"/>
    <xsl:sequence select="map{'person': 'Index of persons', 'place': 'Index of places',
                              'org': 'Index of organisations'}($kind)"/>
  </xsl:function>

  <!-- Entities of $kind mentioned (anchored) somewhere in the book, by sort key. -->
  <xsl:function name="tpp:index-entities" as="element(r:entity)*">
    <xsl:param name="kind" as="xs:string"/>
    <xsl:sequence select="$tpp:index-by-kind($kind)"/>
  </xsl:function>

  <xsl:function name="tpp:sorted-entities" as="element(r:entity)*">
    <xsl:param name="kind" as="xs:string"/>
    <xsl:perform-sort select="$register/r:register/r:entities/r:entity[@kind = $kind][map:contains($tpp:anchored, string(@id))]">
      <xsl:sort select="string((@sort, lower-case(r:name))[1])" lang="en"/>
      <xsl:sort select="string(@id)"/>
    </xsl:perform-sort>
  </xsl:function>

  <!-- Pass 1 ($index-mode 'none', no $index-pages) gives only the headings of the index: it
       comes after every mention, so it cannot move one, and its balanced two-column layout
       is the slowest part of a WeasyPrint layout. The headings stay so that the contents
       (target-counter) point at existing anchors. -->
  <xsl:template name="tpp:index">
    <xsl:variable name="entries" select="exists($index-pages) or $index-mode ne 'none'"/>
    <xsl:for-each select="tpp:index-kinds()">
      <xsl:variable name="kind" select="."/>
      <section class="index back" id="index-{$kind}" data-kind="{$kind}">
        <h2 class="back-head"><xsl:value-of select="tpp:index-title($kind)"/></h2>
        <xsl:for-each-group select="tpp:index-entities($kind)[$entries]"
            group-by="upper-case(substring(string((@sort, r:name)[1]), 1, 1))">
          <div class="index-group">
            <h3 class="index-letter"><xsl:value-of select="current-grouping-key()"/></h3>
            <ul class="index-list">
              <xsl:for-each select="current-group()">
                <xsl:call-template name="tpp:index-entry"/>
              </xsl:for-each>
            </ul>
          </div>
        </xsl:for-each-group>
      </section>
    </xsl:for-each>
  </xsl:template>

  <xsl:template name="tpp:index-entry">
    <xsl:variable name="id" select="string(@id)"/>
    <xsl:variable name="dates" select="if (@kind = 'person') then tp:life-dates(.) else ''"/>
    <li class="index-entry" data-entity="{$id}">
      <span class="index-name"><xsl:value-of select="r:name"/></span>
      <xsl:if test="$dates"><span class="index-dates"><xsl:value-of select="' (' || $dates || ')'"/></span></xsl:if>
      <xsl:text> </xsl:text>
      <span class="index-pages">
        <xsl:variable name="ranges" select="if (exists($index-pages)) then key('tpp:pages', $id, $index-pages)/range else ()"/>
        <xsl:choose>
          <xsl:when test="exists($index-pages)">
            <!-- pass 2: collapsed ranges as text, each linking to its first mention -->
            <xsl:for-each select="$ranges">
              <xsl:if test="position() gt 1">, </xsl:if>
              <a href="#{@anchor}" class="ix-range">
                <xsl:value-of select="if (@from = @to) then @from else @from || '–' || @to"/>
              </a>
            </xsl:for-each>
          </xsl:when>
          <xsl:when test="$index-mode = 'none'"/>
          <xsl:when test="$index-mode = 'marker'">
            <xsl:comment select="'tpp:pages ' || replace(encode-for-uri($id), '-', '%2D')"/>
          </xsl:when>
          <xsl:otherwise>
            <!-- engines other than WeasyPrint: one target-counter per mention -->
            <xsl:for-each select="key('tpp:anchors', $id, $parts)">
              <xsl:if test="position() gt 1">, </xsl:if>
              <a href="#{@id}" class="ix-ref"/>
            </xsl:for-each>
          </xsl:otherwise>
        </xsl:choose>
      </span>
    </li>
  </xsl:template>

</xsl:stylesheet>
