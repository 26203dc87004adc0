<?xml version="1.0" encoding="UTF-8"?>
<!--
  teipress HTML edition: one page per document.

  Context: the TEI document (parsed for Saxon). Params: the common ones ($register,
  $doc-id, $build-date) plus $teipress-version. Output: a complete HTML5 page with the
  metadata panel, the text (mode h:body of tei-inline.xsl), the commentary, footnotes,
  "Cite this document", downloads and previous/next navigation.
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

  <!-- The document applied to: the accumulator of tp:note-ordinal applies. -->
  <xsl:mode use-accumulators="#all"/>

  <xsl:template match="/">
    <xsl:apply-templates select="(tei:TEI, *)[1]" mode="h:document"/>
  </xsl:template>

  <xsl:template match="*" mode="h:document">
    <xsl:variable name="rec" select="h:document($doc-id)"/>
    <xsl:variable name="title" select="(tp:title(.)[.], string($rec/r:title)[.], $doc-id)[1]"/>
    <xsl:call-template name="h:page">
      <xsl:with-param name="title" select="$title"/>
      <xsl:with-param name="page-type" select="'document'"/>
      <xsl:with-param name="source" select="."/>
      <xsl:with-param name="h:rec" select="$rec" tunnel="yes"/>
      <xsl:with-param name="h:title" select="$title" tunnel="yes"/>
    </xsl:call-template>
  </xsl:template>

  <!-- The document itself, inside the page shell. -->
  <xsl:template match="*" mode="h:page-content">
    <xsl:param name="h:rec" as="element(r:document)?" tunnel="yes"/>
    <xsl:param name="h:title" as="xs:string" tunnel="yes"/>
    <xsl:variable name="rec" select="$h:rec"/>
    <xsl:variable name="title" select="$h:title"/>
    <xsl:variable name="date" select="h:date-of($rec, tei:teiHeader)"/>
    <article class="document" aria-labelledby="doc-title">
      <xsl:variable name="lang" select="h:lang(.)"/>
      <xsl:if test="$lang"><xsl:attribute name="lang" select="$lang"/></xsl:if>
      <header class="doc-header">
        <!-- The date, not "Document 12 of 5019": a count or position on every page would
             make every page change when a document is added or removed (see
             build.RegisterSlices); the index lists the documents in order. -->
        <xsl:if test="exists($date[1])">
          <p class="doc-kicker"><xsl:value-of select="$date[1]"/></p>
        </xsl:if>
        <h1 id="doc-title"><xsl:value-of select="$title"/></h1>
        <xsl:for-each select="tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:title[@type = 'sub']">
          <p class="doc-subtitle"><xsl:apply-templates mode="h:body"/></p>
        </xsl:for-each>
      </header>
      <xsl:call-template name="h:metadata"><xsl:with-param name="rec" select="$rec"/></xsl:call-template>
      <section class="doc-text" aria-label="Text">
        <xsl:apply-templates select="tei:text/(tei:front, tei:body, tei:group)" mode="h:body"/>
      </section>
      <xsl:if test="tei:text/tei:back">
        <section class="back-matter" aria-label="Commentary">
          <xsl:apply-templates select="tei:text/tei:back" mode="h:body"/>
        </section>
      </xsl:if>
      <xsl:call-template name="h:footnotes">
        <xsl:with-param name="notes" select="tei:text//tei:note[tp:is-footnote(.)]"/>
      </xsl:call-template>
      <xsl:call-template name="h:cite"><xsl:with-param name="title" select="$title"/><xsl:with-param name="date" select="$date"/></xsl:call-template>
      <xsl:call-template name="h:downloads"/>
      <xsl:call-template name="h:prev-next"><xsl:with-param name="rec" select="$rec"/></xsl:call-template>
    </article>
  </xsl:template>

  <!-- ================================================================== -->
  <!-- Metadata panel                                                      -->
  <!-- ================================================================== -->

  <xsl:template name="h:metadata">
    <xsl:param name="rec" as="element(r:document)?"/>
    <xsl:variable name="hd" select="tei:teiHeader"/>
    <xsl:variable name="setting" select="$hd/tei:profileDesc/tei:settingDesc/tei:setting"/>
    <xsl:variable name="participants" select="$hd/tei:profileDesc/tei:particDesc//tei:person[@sameAs or @ref]
                                              | $hd/tei:profileDesc/tei:particDesc//tei:persName[@ref]"/>
    <xsl:variable name="ms" select="$hd/tei:fileDesc/tei:sourceDesc//tei:msIdentifier"/>
    <xsl:variable name="printed" select="($hd/tei:fileDesc/tei:sourceDesc/tei:bibl[@type = 'source-statement'],
                                          $hd/tei:fileDesc/tei:sourceDesc/(tei:bibl, tei:biblStruct, tei:biblFull, tei:p))[1]"/>
    <xsl:variable name="translators" select="$hd/tei:fileDesc/tei:titleStmt/tei:respStmt[matches(tei:resp, 'transl', 'i')]"/>
    <xsl:variable name="licence" select="$hd/tei:fileDesc/tei:publicationStmt/tei:availability"/>
    <section class="metadata" aria-labelledby="metadata-heading">
      <h2 id="metadata-heading">About this document</h2>
      <dl class="metadata-list">
        <xsl:if test="$rec/r:date or h:tei-date($hd)">
          <dt>Date</dt>
          <dd>
            <xsl:choose>
              <xsl:when test="h:tei-date($hd)"><xsl:apply-templates select="h:tei-date($hd)" mode="h:body"/></xsl:when>
              <xsl:otherwise><xsl:value-of select="h:doc-date($rec)"/></xsl:otherwise>
            </xsl:choose>
            <xsl:for-each select="$setting/tei:time[1]">, <xsl:apply-templates select="." mode="h:body"/></xsl:for-each>
            <xsl:for-each select="$setting/(tei:placeName, tei:name)[1]">, <xsl:apply-templates select="." mode="h:body"/></xsl:for-each>
          </dd>
        </xsl:if>
        <xsl:if test="exists($participants) or exists($rec/r:participant)">
          <dt>Participants</dt>
          <dd>
            <ul class="participants">
              <xsl:choose>
                <xsl:when test="exists($participants)">
                  <xsl:for-each select="$participants">
                    <xsl:variable name="e" select="tp:entity(.)"/>
                    <li>
                      <xsl:choose>
                        <xsl:when test="exists($e)">
                          <a href="{h:entity-href($e)}"><xsl:value-of select="tp:entity-label($e)"/></a>
                        </xsl:when>
                        <xsl:otherwise><xsl:value-of select="(normalize-space(.)[.], normalize-space(@sameAs), normalize-space(@ref))[1]"/></xsl:otherwise>
                      </xsl:choose>
                      <xsl:if test="normalize-space(@role)">
                        <span class="role"><xsl:value-of select="' (' || replace(normalize-space(@role), '-', ' ') || ')'"/></span>
                      </xsl:if>
                    </li>
                  </xsl:for-each>
                </xsl:when>
                <xsl:otherwise>
                  <xsl:for-each select="$rec/r:participant ! tp:entity-by-id(@ref)">
                    <li><a href="{h:entity-href(.)}"><xsl:value-of select="tp:entity-label(.)"/></a></li>
                  </xsl:for-each>
                </xsl:otherwise>
              </xsl:choose>
            </ul>
          </dd>
        </xsl:if>
        <xsl:if test="exists($ms)">
          <dt>Archival source</dt>
          <xsl:for-each select="$ms">
            <dd class="archival-source">
              <xsl:variable name="parts" as="item()*">
                <xsl:for-each select="tei:country | tei:region | tei:settlement | tei:institution | tei:repository | tei:collection">
                  <part><xsl:apply-templates mode="h:body"/></part>
                </xsl:for-each>
                <xsl:for-each select="tei:idno">
                  <part><xsl:value-of select="normalize-space(@type)[.] ! (. || ' ')"/><xsl:apply-templates mode="h:body"/></part>
                </xsl:for-each>
              </xsl:variable>
              <xsl:for-each select="$parts">
                <xsl:if test="position() gt 1">, </xsl:if>
                <xsl:sequence select="node()"/>
              </xsl:for-each>
            </dd>
          </xsl:for-each>
        </xsl:if>
        <xsl:if test="exists($printed)">
          <dt>Printed source</dt>
          <dd class="printed-source"><xsl:apply-templates select="$printed/node()" mode="h:body"/></dd>
        </xsl:if>
        <xsl:if test="exists($translators)">
          <dt>Translator</dt>
          <dd class="translator">
            <xsl:for-each select="$translators/(tei:persName, tei:name, tei:orgName)">
              <xsl:if test="position() gt 1">, </xsl:if>
              <xsl:apply-templates select="." mode="h:body"/>
            </xsl:for-each>
          </dd>
        </xsl:if>
        <xsl:if test="$licence">
          <dt>Licence</dt>
          <dd class="licence">
            <xsl:for-each select="$licence/tei:licence">
              <p>
                <xsl:variable name="u" select="tp:safe-url(@target)"/>
                <xsl:choose>
                  <xsl:when test="exists($u) and not(.//tei:ref)"><a href="{$u}" rel="license"><xsl:apply-templates mode="h:body"/></a></xsl:when>
                  <xsl:otherwise><xsl:apply-templates mode="h:body"/></xsl:otherwise>
                </xsl:choose>
              </p>
            </xsl:for-each>
            <xsl:apply-templates select="$licence/tei:p" mode="h:body"/>
          </dd>
        </xsl:if>
        <xsl:for-each select="$hd/tei:profileDesc/tei:abstract">
          <dt>Summary</dt>
          <dd class="abstract"><xsl:apply-templates mode="h:body"/></dd>
        </xsl:for-each>
      </dl>
    </section>
  </xsl:template>

  <!-- ================================================================== -->
  <!-- Cite, downloads, previous/next                                      -->
  <!-- ================================================================== -->

  <xsl:function name="h:bibtex-escape" as="xs:string">
    <xsl:param name="s" as="xs:string?"/>
    <xsl:sequence select="replace(replace(normalize-space($s), '[{}\\]', ''), '([&amp;%$#_])', '\\$1')"/>
  </xsl:function>

  <xsl:template name="h:cite">
    <xsl:param name="title" as="xs:string"/>
    <xsl:param name="date" as="xs:string*"/>
    <xsl:variable name="page" select="h:doc-page($doc-id)"/>
    <xsl:variable name="permalink" select="if ($h:base-url) then $h:base-url || $page else $page"/>
    <xsl:variable name="editors" select="$h:edition/r:editor ! normalize-space()"/>
    <xsl:variable name="subtitle" select="normalize-space($h:edition/@subtitle)"/>
    <section class="cite" aria-labelledby="cite-heading">
      <h2 id="cite-heading">Cite this document</h2>
      <p class="citation">
        <xsl:value-of select="'“' || $title || '”' || ($date[1][.] ! (', ' || .)) || '. In: '"/>
        <cite><xsl:value-of select="$h:edition-title || ($subtitle[.] ! (': ' || .))"/></cite>
        <xsl:value-of select="(if (exists($editors)) then ', edited by ' || string-join($editors, ', ') else '')
                              || ', version ' || $h:version || ' (built ' || $build-date || '). '"/>
        <a class="permalink" href="{$permalink}"><xsl:value-of select="$permalink"/></a>
        <xsl:text>.</xsl:text>
      </p>
      <details class="bibtex">
        <summary>BibTeX</summary>
        <pre><code><xsl:value-of select="string-join((
            '@misc{' || replace($doc-id, '[^A-Za-z0-9_:.-]', '') || ',',
            '  title = {' || h:bibtex-escape($title) || '},',
            (if (exists($editors)) then '  editor = {' || h:bibtex-escape(string-join($editors, ' and ')) || '},' else ()),
            '  booktitle = {' || h:bibtex-escape($h:edition-title || ($subtitle[.] ! (': ' || .))) || '},',
            ($date[2][matches(., '^\d{4}')] ! ('  date = {' || h:bibtex-escape(.) || '},')),
            ($date[2][matches(., '^\d{4}')] ! ('  year = {' || substring(., 1, 4) || '},')),
            (normalize-space($h:edition/@publisher)[.] ! ('  publisher = {' || h:bibtex-escape(.) || '},')),
            '  version = {' || h:bibtex-escape($h:version) || '},',
            '  url = {' || h:bibtex-escape($permalink) || '},',
            '  note = {Version ' || h:bibtex-escape($h:version) || ', built ' || h:bibtex-escape($build-date) || '}',
            '}'), '&#10;')"/></code></pre>
      </details>
    </section>
  </xsl:template>

  <xsl:template name="h:downloads">
    <section class="downloads" aria-labelledby="downloads-heading">
      <h2 id="downloads-heading">Downloads</h2>
      <ul>
        <li><a href="tei/{encode-for-uri($doc-id)}.xml" type="application/tei+xml">TEI XML source</a></li>
        <li><a href="../text/{encode-for-uri($doc-id)}.txt" type="text/plain">Plain-text edition</a></li>
        <li><a href="../print/edition.pdf" type="application/pdf">PDF of the whole edition</a></li>
      </ul>
    </section>
  </xsl:template>

  <xsl:template name="h:prev-next">
    <xsl:param name="rec" as="element(r:document)?"/>
    <xsl:variable name="prev" select="h:document($rec/@prev)"/>
    <xsl:variable name="next" select="h:document($rec/@next)"/>
    <xsl:if test="exists($prev) or exists($next)">
      <nav class="prev-next" aria-label="Previous and next document">
        <ul>
          <xsl:for-each select="$prev">
            <li class="prev"><a href="{h:doc-page(@id)}" rel="prev"><span class="dir">Previous: </span><xsl:value-of select="r:title"/></a></li>
          </xsl:for-each>
          <xsl:for-each select="$next">
            <li class="next"><a href="{h:doc-page(@id)}" rel="next"><span class="dir">Next: </span><xsl:value-of select="r:title"/></a></li>
          </xsl:for-each>
        </ul>
      </nav>
    </xsl:if>
  </xsl:template>

</xsl:stylesheet>
