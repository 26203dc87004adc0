<?xml version="1.0" encoding="UTF-8"?>
<!--
  teipress plain-text edition: the edition-wide parts of output/text/edition.txt.

  edition.txt = front matter (title, imprint, contents, editorial conventions — the
  conventions are explained here once) + every document as rendered by document.xsl, in
  the register's reading order + the index of persons. This stylesheet renders the front
  matter (named template text-front) and the index (text-index), both from the register
  alone; the Python side (teipress.render.text) puts the pieces together, so no document
  is transformed twice.
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:tei="http://www.tei-c.org/ns/1.0"
    xmlns:tp="https://teipress.dev/ns"
    xmlns:r="https://teipress.dev/ns/register"
    xmlns:text="https://teipress.dev/ns/text"
    exclude-result-prefixes="#all">

  <xsl:import href="text.xsl"/>

  <xsl:output method="text" encoding="UTF-8"/>

  <xsl:key name="text:participant-of" match="r:document" use="r:participant/@ref"/>

  <xsl:variable name="text:edition" as="element(r:edition)?" select="$register/r:register/r:edition"/>
  <xsl:variable name="text:documents" as="element(r:document)*"
      select="$register/r:register/r:documents/r:document"/>

  <!-- Title, imprint, contents, conventions. -->
  <xsl:template name="text-front">
    <xsl:variable name="e" select="$text:edition"/>
    <xsl:variable name="editors" select="$e/r:editor ! normalize-space(.)"/>
    <xsl:variable name="blocks" as="xs:string*">
      <xsl:sequence select="text:heading(if (normalize-space($e/@title)) then $e/@title else 'Edition', '=', '')"/>
      <xsl:variable name="imprint" as="xs:string*">
        <xsl:if test="normalize-space($e/@subtitle)">
          <xsl:sequence select="text:wrap($e/@subtitle, $width, '', '')"/>
        </xsl:if>
        <xsl:if test="exists($editors)">
          <xsl:sequence select="text:wrap('Edited by ' || string-join($editors, ', '), $width, '', '')"/>
        </xsl:if>
        <xsl:variable name="pub" select="string-join(($e/@publisher, $e/@place, $e/@year)[normalize-space()], ', ')"/>
        <xsl:if test="$pub">
          <xsl:sequence select="text:wrap($pub, $width, '', '')"/>
        </xsl:if>
        <xsl:if test="normalize-space($e/@version)">
          <xsl:sequence select="'Version ' || normalize-space($e/@version)"/>
        </xsl:if>
        <xsl:if test="normalize-space($e/@licence)">
          <xsl:sequence select="text:wrap('Licence: ' || $e/@licence
                                          || (if (normalize-space($e/@licence-url)) then ' ' || normalize-space($e/@licence-url) else ''),
                                          $width, '', '  ')"/>
        </xsl:if>
        <xsl:if test="normalize-space($e/@base-url)">
          <xsl:sequence select="text:wrap('Online: ' || normalize-space($e/@base-url), $width, '', '  ')"/>
        </xsl:if>
      </xsl:variable>
      <xsl:sequence select="string-join($imprint, $text:nl)"/>
      <xsl:if test="exists($text:documents)">
        <xsl:sequence select="text:heading('Contents', '-', '')"/>
        <xsl:variable name="n" select="string-length(string(count($text:documents))) + 2"/>
        <xsl:sequence select="string-join(
            for $i in 1 to count($text:documents)
            return let $d := $text:documents[$i] return text:hang(text:wrap(string-join((normalize-space($d/r:title), normalize-space($d/r:date),
                                                    string($d/@id))[.], ' — '),
                                       $width, text:spaces($n), text:spaces($n)),
                             '', $i || '.', $n), $text:nl)"/>
      </xsl:if>
      <xsl:sequence select="text:heading('Editorial conventions', '-', '')"/>
      <xsl:sequence select="string-join(text:conventions(), $text:nl)"/>
    </xsl:variable>
    <xsl:value-of select="text:finish($blocks)"/>
  </xsl:template>

  <!-- The conventions, each rendered with the very variables the renderer uses. -->
  <xsl:function name="text:conventions" as="xs:string*">
    <xsl:variable name="col" select="12"/>
    <xsl:sequence select="
      text:field($tp:supplied-open || 'text' || $tp:supplied-close,
                 'text supplied by the editor or the translator, not in the source', $col),
      text:field($tp:gap-sign, 'a gap: something in the source is missing or left out; where the '
                 || 'encoder described it, the description stands in the brackets, e.g. '
                 || $tp:supplied-open || 'signature' || $tp:supplied-close, $col),
      text:field($text:foreign-mark || 'word' || $text:foreign-mark,
                 'a word in another language than the text, e.g. a transliterated original', $col),
      text:field($text:quotes[1] || '…' || $text:quotes[2],
                 'a quotation or direct speech (' || $text:quotes[3] || '…' || $text:quotes[4]
                 || ' inside a quotation); quotation marks the source itself prints are kept as printed', $col),
      text:field($text:del-open || 'text' || $text:del-close, 'text deleted in the source', $col),
      text:field($text:alt-open || 'text' || $text:alt-close,
                 'what the editor gives beside the source''s wording: an expansion, correction or '
                 || 'regularisation after the word it explains, a marginal note ' || $text:alt-open
                 || 'margin: …' || $text:alt-close || ', a running head', $col),
      text:field('[1]', 'a footnote marker; the notes follow each document under “Notes”', $col),
      text:field('— source', 'under an indented quotation: where it is quoted from', $col)"/>
  </xsl:function>

  <!-- Index of persons: normalised name, life dates, the documents that mention them. -->
  <xsl:template name="text-index">
    <xsl:variable name="persons" select="$register/r:register/r:entities/r:entity[@kind = 'person']"/>
    <xsl:variable name="lines" as="xs:string*">
      <xsl:for-each select="$persons">
        <xsl:variable name="id" select="string(@id)"/>
        <!-- By key, in document (= reading) order: a scan of every document per person
             made this quadratic (26 s for the 5,019 Escher letters). -->
        <xsl:variable name="docs" select="(key('tp:document', distinct-values(r:mention/@doc), $register)
                                           | key('text:participant-of', $id, $register))"/>
        <xsl:if test="exists($docs)">
          <xsl:sequence select="text:wrap(tp:entity-label(.) || ': ' || string-join($docs/@id, ', '),
                                          $width, '', '    ')"/>
        </xsl:if>
      </xsl:for-each>
    </xsl:variable>
    <xsl:if test="exists($lines)">
      <xsl:value-of select="text:finish((text:heading('Index of persons', '-', ''), string-join($lines, $text:nl)))"/>
    </xsl:if>
  </xsl:template>

</xsl:stylesheet>
