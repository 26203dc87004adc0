<?xml version="1.0" encoding="UTF-8"?>
<!--
  teipress plain-text edition: one document -> output/text/<document>.txt

  Layout: the title (underlined ===), a header block (date, participants, archival and
  printed source, translator, abstract), the text (front, body, back; section heads
  underlined -), and the footnotes under "Notes". Everything the header shows is read
  from generic TEI header paths, each optional, so any TEI document renders.
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

  <!-- Column at which header values start. -->
  <xsl:variable name="text:header-col" as="xs:integer" select="16"/>

  <!-- The document applied to: the accumulator of tp:note-ordinal applies. -->
  <xsl:mode use-accumulators="#all"/>

  <xsl:template match="/">
    <xsl:apply-templates select="*" mode="text:document"/>
  </xsl:template>

  <xsl:mode name="text:document" on-no-match="shallow-skip"/>

  <xsl:template match="tei:TEI" mode="text:document">
    <xsl:value-of select="text:finish(text:document(.))"/>
  </xsl:template>

  <xsl:template match="tei:teiCorpus" mode="text:document">
    <xsl:value-of select="text:finish(for $t in .//tei:TEI return text:document($t))"/>
  </xsl:template>

  <!-- Not TEI at all: its text, as blocks. -->
  <xsl:template match="*[not(self::tei:TEI or self::tei:teiCorpus)]" mode="text:document">
    <xsl:value-of select="text:finish(text:blocks(., ''))"/>
  </xsl:template>

  <!-- The blocks of one TEI document. -->
  <xsl:function name="text:document" as="xs:string*">
    <xsl:param name="tei" as="element(tei:TEI)"/>
    <xsl:variable name="title" select="if ($tei/tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:title) then tp:title($tei)
                                       else string(text:current-document()/r:title)"/>
    <xsl:sequence select="text:heading(if ($title) then $title else 'Untitled document', '=', '')"/>
    <xsl:for-each select="$tei/tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:title[@type = 'sub']">
      <xsl:sequence select="text:wrap(tp:plain(.), $width, '', '')"/>
    </xsl:for-each>
    <xsl:sequence select="string-join(text:header($tei), $text:nl)"/>
    <xsl:sequence select="text:blocks($tei/tei:text, '')"/>
    <xsl:sequence select="text:notes($tei/tei:text)"/>
  </xsl:function>

  <!-- ================================================================== -->
  <!-- Header block                                                        -->
  <!-- ================================================================== -->

  <xsl:function name="text:header" as="xs:string*">
    <xsl:param name="tei" as="element(tei:TEI)"/>
    <xsl:variable name="h" select="$tei/tei:teiHeader"/>
    <xsl:variable name="pd" select="$h/tei:profileDesc"/>
    <xsl:variable name="sd" select="$h/tei:fileDesc/tei:sourceDesc"/>
    <xsl:variable name="reg" select="text:current-document()"/>
    <xsl:variable name="id" select="if ($doc-id) then $doc-id else string($tei/@xml:id)"/>
    <xsl:if test="$id">
      <xsl:sequence select="text:field('Document:', $id, $text:header-col)"/>
    </xsl:if>
    <!-- date: creation, setting, correspondence, any profile date; else the register's -->
    <xsl:variable name="date" select="($pd/tei:creation//tei:date, $pd/tei:settingDesc//tei:date,
                                       $pd/tei:correspDesc/tei:correspAction[@type = 'sent']//tei:date,
                                       $pd//tei:date)[1]"/>
    <xsl:variable name="date-text" select="if ($date) then text:date($date) else string($reg/r:date)"/>
    <xsl:if test="normalize-space($date-text)">
      <xsl:sequence select="text:field('Date:', $date-text, $text:header-col)"/>
    </xsl:if>
    <xsl:variable name="time" select="($pd/tei:creation//tei:time, $pd/tei:settingDesc//tei:time)[1]"/>
    <xsl:if test="$time">
      <xsl:sequence select="text:field('Time:', text:date($time), $text:header-col)"/>
    </xsl:if>
    <!-- participants -->
    <xsl:variable name="participants" as="xs:string*">
      <xsl:for-each select="$pd/tei:particDesc//tei:person | $pd/tei:particDesc//tei:personGrp">
        <xsl:variable name="e" select="(tp:entity(.), tp:entity-by-id(substring-after(@sameAs, '#')))[1]"/>
        <xsl:variable name="name" select="if ($e) then tp:entity-label($e)
                                          else if (tei:persName) then tp:plain(tei:persName[1])
                                          else if (normalize-space(.)) then tp:plain(.)
                                          else normalize-space(@sameAs)"/>
        <xsl:sequence select="$name || (if (@role) then ', ' || translate(normalize-space(@role), '-_', '  ') else '')"/>
      </xsl:for-each>
    </xsl:variable>
    <xsl:variable name="participants" select="if (exists($participants)) then $participants
                                              else for $p in $reg/r:participant return
                                                   (for $e in tp:entity-by-id($p/@ref) return tp:entity-label($e))"/>
    <xsl:if test="exists($participants)">
      <xsl:sequence select="text:field('Participants:', string-join($participants, '; '), $text:header-col)"/>
    </xsl:if>
    <!-- correspondence (letters) -->
    <xsl:variable name="corresp" as="xs:string*">
      <xsl:for-each select="$pd/tei:correspDesc/tei:correspAction/(tei:persName | tei:orgName | tei:name | tei:placeName)">
        <xsl:variable name="role" select="if (@type) then string(@type)
                                          else if (self::tei:placeName) then 'place'
                                          else if (../@type = 'sent') then 'sender'
                                          else if (../@type = 'received') then 'addressee'
                                          else string(../@type)"/>
        <xsl:sequence select="tp:plain(.) || (if ($role) then ' (' || $role || ')' else '')"/>
      </xsl:for-each>
    </xsl:variable>
    <xsl:if test="exists($corresp)">
      <xsl:sequence select="text:field('Correspondence:', string-join($corresp, '; '), $text:header-col)"/>
    </xsl:if>
    <!-- archival source -->
    <xsl:for-each select="$sd//tei:msDesc/tei:msIdentifier">
      <xsl:variable name="parts" select="for $c in * return
          if ($c/self::tei:idno and $c/@type) then $c/@type || ' ' || tp:plain($c) else tp:plain($c)"/>
      <xsl:if test="exists($parts[.])">
        <xsl:sequence select="text:field('Archive:', string-join($parts[.], ', '), $text:header-col)"/>
      </xsl:if>
    </xsl:for-each>
    <!-- printed sources, source statements -->
    <xsl:for-each select="$sd/tei:bibl | $sd/tei:listBibl/tei:bibl | $sd/tei:p">
      <xsl:sequence select="text:field(if (@type = ('printed', 'print', 'edition', 'reprint')) then 'Printed:' else 'Source:',
                                       tp:plain(.), $text:header-col)"/>
    </xsl:for-each>
    <xsl:for-each select="$sd/tei:biblStruct | $sd/tei:listBibl/tei:biblStruct">
      <xsl:sequence select="text:field('Printed:', text:bibl-struct(.), $text:header-col)"/>
    </xsl:for-each>
    <!-- translators -->
    <xsl:variable name="ts" select="$h/tei:fileDesc/tei:titleStmt"/>
    <xsl:variable name="translators" select="
        ($ts/tei:respStmt[matches(string-join(tei:resp, ' '), 'transl|übersetz|tradu', 'i')]
            /(tei:persName | tei:name | tei:orgName),
         $ts/tei:editor[@role = ('translator', 'trl')], $ts/tei:author[@role = ('translator', 'trl')])
        ! tp:plain(.)"/>
    <xsl:if test="exists($translators)">
      <xsl:sequence select="text:field(if (count($translators) gt 1) then 'Translators:' else 'Translator:',
                                       string-join($translators, '; '), $text:header-col)"/>
    </xsl:if>
    <!-- abstract -->
    <xsl:variable name="abstract" select="if ($pd/tei:abstract) then tp:plain($pd/tei:abstract) else string($reg/r:summary)"/>
    <xsl:if test="normalize-space($abstract)">
      <xsl:sequence select="text:field('Abstract:', $abstract, $text:header-col)"/>
    </xsl:if>
  </xsl:function>

  <!-- The register's record of this document. Like tp:current-document(), but tolerant of a
       corpus in which two files share an id (the Escher letters do): the first record wins
       instead of a type error. candidate for common.xsl (as a fix of tp:current-document) -->
  <xsl:function name="text:current-document" as="element(r:document)?">
    <xsl:sequence select="if (exists($register) and $doc-id) then key('tp:document', $doc-id, $register)[1] else ()"/>
  </xsl:function>

  <!-- A date or time as the document words it, else its normalised value. -->
  <xsl:function name="text:date" as="xs:string">
    <xsl:param name="d" as="element()"/>
    <xsl:sequence select="if (normalize-space($d)) then tp:plain($d) else tp:date-label($d)"/>
  </xsl:function>

  <!-- A biblStruct as one citation: "A and B (eds), Title, vol. 5 (Place: Publisher, 2005), pp. 1–2." -->
  <xsl:function name="text:bibl-struct" as="xs:string">
    <xsl:param name="b" as="element()"/>
    <xsl:variable name="m" select="$b/tei:monogr[1]"/>
    <xsl:variable name="a" select="$b/tei:analytic[1]"/>
    <xsl:variable name="people" select="function($els as element()*) as xs:string {
        let $n := $els ! tp:plain(.)[.]
        return if (count($n) le 1) then string($n[1])
               else string-join(subsequence($n, 1, count($n) - 1), ', ') || ' and ' || $n[last()]}"/>
    <xsl:variable name="editors" select="$people($m/tei:editor)"/>
    <xsl:variable name="mon-resp" select="if ($m/tei:author) then $people($m/tei:author)
        else if ($editors) then $editors || (if (count($m/tei:editor) gt 1) then ' (eds)' else ' (ed.)') else ''"/>
    <xsl:variable name="scope" select="for $s in $m/tei:biblScope return
        let $t := tp:plain($s) return
        if (matches($t, '^\p{L}')) then $t
        else if ($s/@unit = 'volume') then 'vol. ' || $t
        else if ($s/@unit = 'issue') then 'no. ' || $t
        else if ($s/@unit = 'page') then (if (matches($t, '[-–]')) then 'pp. ' else 'p. ') || $t
        else if ($s/@unit) then $s/@unit || ' ' || $t
        else $t"/>
    <xsl:variable name="pages" select="$scope[starts-with(., 'p')]"/>
    <xsl:variable name="imprint" select="string-join(($m/tei:imprint/tei:pubPlace ! tp:plain(.))[.], ', ')
        || (if ($m/tei:imprint/tei:publisher) then ': ' || string-join($m/tei:imprint/tei:publisher ! tp:plain(.), ', ') else '')
        || (if ($m/tei:imprint/tei:date) then ', ' || string-join($m/tei:imprint/tei:date ! text:date(.), ', ') else '')"/>
    <xsl:variable name="imprint" select="replace($imprint, '^[:,]\s*', '')"/>
    <xsl:variable name="before" select="
        (if ($a) then string-join(($people($a/tei:author), $a/tei:title ! tp:plain(.))[.], ', ') || ', in ' else '')
        || string-join(($mon-resp, $m/tei:title ! tp:plain(.), $scope[not(. = $pages)])[normalize-space()], ', ')"/>
    <xsl:variable name="main" select="if (empty($m)) then tp:plain($b)
        else string-join(($before || (if ($imprint) then ' (' || $imprint || ')' else ''), $pages)[normalize-space()], ', ')"/>
    <xsl:variable name="related" select="$b/tei:relatedItem ! tp:plain(.)"/>
    <xsl:sequence select="string-join(($main, $related)[.], '. ')
                          || (if (matches($main || $related[last()], '[.!?]$')) then '' else '.')"/>
  </xsl:function>

</xsl:stylesheet>
