<?xml version="1.0" encoding="UTF-8"?>
<!--
  teipress plain-text edition: the shared machinery of xslt/text/document.xsl and
  xslt/text/edition.xsl.

  Rendering happens in two steps, so that line breaking is decided in exactly one place:
    1. mode text:inline turns the inline content of a paragraph into ONE string
       (editorial signs applied, footnote markers inserted, whitespace collapsed);
    2. text:wrap($s, $width, $first, $rest) breaks that string into lines of at most
       $width characters, only at spaces: a word, URL or number is never broken, and a
       token longer than the line stays whole on a line of its own.
  Mode text:block turns block-level TEI (div, p, list, cit, lg, table, …) into a sequence
  of already-wrapped blocks; the caller joins blocks with one blank line.

  No text is ever dropped: every element this module does not know falls through to its
  text, in block context as a paragraph, in inline context as running text.
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:map="http://www.w3.org/2005/xpath-functions/map"
    xmlns:tei="http://www.tei-c.org/ns/1.0"
    xmlns:tp="https://teipress.dev/ns"
    xmlns:r="https://teipress.dev/ns/register"
    xmlns:text="https://teipress.dev/ns/text"
    exclude-result-prefixes="#all">

  <xsl:import href="../common.xsl"/>

  <!-- Line width in characters (config: [tool.teipress.text] width). -->
  <xsl:param name="width" as="xs:integer" select="72"/>

  <xsl:variable name="text:nl" as="xs:string" select="'&#10;'"/>
  <!-- Joins a footnote marker to the word before it ("Gang[1]", not "Gang [1]").
       U+FDD0 is a Unicode noncharacter: it never occurs in interchanged text, and any
       occurrence in the source is removed before it could be mistaken for the glue. -->
  <xsl:variable name="text:glue" as="xs:string" select="'&#xFDD0;'"/>
  <!-- Quotation marks by nesting level. -->
  <xsl:variable name="text:quotes" as="xs:string+" select="('“', '”', '‘', '’')"/>
  <!-- The marks of foreign words, deleted text and editorial alternatives. -->
  <xsl:variable name="text:foreign-mark" as="xs:string" select="'_'"/>
  <xsl:variable name="text:del-open" as="xs:string" select="'⟦'"/>
  <xsl:variable name="text:del-close" as="xs:string" select="'⟧'"/>
  <xsl:variable name="text:alt-open" as="xs:string" select="'{'"/>
  <xsl:variable name="text:alt-close" as="xs:string" select="'}'"/>
  <!-- Indentation of block quotations. -->
  <xsl:variable name="text:quote-indent" as="xs:string" select="'    '"/>

  <!-- Elements that always start a block of their own. -->
  <xsl:variable name="text:block-names" as="xs:string+" select="
      ('p', 'ab', 'div', 'div1', 'div2', 'div3', 'div4', 'div5', 'div6', 'div7', 'head',
       'list', 'listBibl', 'lg', 'table', 'cit', 'opener', 'closer', 'trailer', 'postscript',
       'byline', 'docTitle', 'titlePage', 'titlePart', 'docImprint', 'docAuthor', 'docDate',
       'figure', 'floatingText', 'sp', 'spGrp', 'epigraph', 'argument', 'castList',
       'front', 'body', 'back', 'group', 'text', 'listPerson', 'listPlace', 'listOrg',
       'listEvent', 'div', 'lg', 'u', 'entry', 'superEntry')"/>
  <!-- Elements that are blocks only when their parent is a container (a quote directly in a
       div is a block quotation; inside a paragraph it is an inline quotation). -->
  <xsl:variable name="text:weak-block-names" as="xs:string+" select="
      ('quote', 'q', 'bibl', 'biblStruct', 'salute', 'signed', 'dateline', 'address', 'label',
       'stage', 'speaker', 'l', 'item', 'row', 'person', 'place', 'org', 'event', 'ab', 'seg',
       'said', 'figDesc', 'graphic')"/>
  <xsl:variable name="text:container-names" as="xs:string+" select="
      ('div', 'div1', 'div2', 'div3', 'div4', 'div5', 'div6', 'div7', 'body', 'front', 'back',
       'text', 'group', 'opener', 'closer', 'cit', 'lg', 'sp', 'spGrp', 'postscript',
       'floatingText', 'argument', 'epigraph', 'figure', 'listBibl', 'titlePage', 'list',
       'table', 'note', 'listPerson', 'listPlace', 'listOrg', 'listEvent', 'castList')"/>

  <!-- The three lists as maps: text:is-block runs for every node of every block, and a map
       lookup costs one hash probe where "= $list" compares with every name. -->
  <xsl:variable name="text:block-map" as="map(xs:string, xs:boolean)"
      select="map:merge($text:block-names ! map:entry(., true()), map{'duplicates': 'use-first'})"/>
  <xsl:variable name="text:weak-block-map" as="map(xs:string, xs:boolean)"
      select="map:merge($text:weak-block-names ! map:entry(., true()), map{'duplicates': 'use-first'})"/>
  <xsl:variable name="text:container-map" as="map(xs:string, xs:boolean)"
      select="map:merge($text:container-names ! map:entry(., true()), map{'duplicates': 'use-first'})"/>

  <!-- ================================================================== -->
  <!-- Wrapping                                                            -->
  <!-- ================================================================== -->

  <!-- $s broken into lines of at most $width characters (prefix included): the first line
       starts with $first, every further line with $rest. Breaks only at spaces; a token
       longer than the room left stays whole on its own line. One step per line, not per
       word: the line is the longest run of whole words that fits, found from the last
       space of the next room+1 characters (a word-by-word xsl:iterate cost Saxon 40 % of
       the text edition's time). -->
  <xsl:function name="text:wrap" as="xs:string">
    <xsl:param name="s" as="xs:string"/>
    <xsl:param name="width" as="xs:integer"/>
    <xsl:param name="first" as="xs:string"/>
    <xsl:param name="rest" as="xs:string"/>
    <xsl:variable name="lines" as="xs:string*">
      <xsl:iterate select="1 to string-length($s)">
        <xsl:param name="left" as="xs:string" select="normalize-space($s)"/>
        <xsl:param name="prefix" as="xs:string" select="$first"/>
        <xsl:variable name="room" select="$width - string-length($prefix)"/>
        <xsl:choose>
          <xsl:when test="$left = ''">
            <xsl:break/>
          </xsl:when>
          <xsl:when test="string-length($left) le $room">
            <xsl:sequence select="$prefix || $left"/>
            <xsl:break/>
          </xsl:when>
          <xsl:otherwise>
            <xsl:variable name="chunk" select="substring($left, 1, max(($room, 0)) + 1)"/>
            <xsl:variable name="words" select="tokenize($chunk, ' ')"/>
            <xsl:variable name="line" select="
                if (count($words) le 1) then substring-before($left || ' ', ' ')
                else substring($chunk, 1, string-length($chunk) - string-length($words[last()]) - 1)"/>
            <xsl:sequence select="$prefix || $line"/>
            <xsl:next-iteration>
              <xsl:with-param name="left" select="substring($left, string-length($line) + 2)"/>
              <xsl:with-param name="prefix" select="$rest"/>
            </xsl:next-iteration>
          </xsl:otherwise>
        </xsl:choose>
      </xsl:iterate>
    </xsl:variable>
    <xsl:sequence select="string-join($lines, $text:nl)"/>
  </xsl:function>

  <!-- $n spaces. -->
  <xsl:function name="text:spaces" as="xs:string">
    <xsl:param name="n" as="xs:integer"/>
    <xsl:sequence select="string-join(for $i in 1 to $n return ' ')"/>
  </xsl:function>

  <!-- $n copies of $c (underlines). -->
  <xsl:function name="text:rule" as="xs:string">
    <xsl:param name="c" as="xs:string"/>
    <xsl:param name="n" as="xs:integer"/>
    <xsl:sequence select="string-join(for $i in 1 to $n return $c)"/>
  </xsl:function>

  <!-- A heading: wrapped, then underlined with $c as long as its longest line. -->
  <xsl:function name="text:heading" as="xs:string">
    <xsl:param name="s" as="xs:string"/>
    <xsl:param name="c" as="xs:string"/>
    <xsl:param name="indent" as="xs:string"/>
    <xsl:variable name="w" select="text:wrap($s, $width, $indent, $indent)"/>
    <xsl:variable name="len" select="max((for $l in tokenize($w, $text:nl) return string-length($l) - string-length($indent), 1))"/>
    <xsl:sequence select="if (normalize-space($s)) then $w || $text:nl || $indent || text:rule($c, $len) else ''"/>
  </xsl:function>

  <!-- "Label:      value", the value wrapped with a hanging indent of $col columns. -->
  <xsl:function name="text:field" as="xs:string">
    <xsl:param name="label" as="xs:string"/>
    <xsl:param name="value" as="xs:string"/>
    <xsl:param name="col" as="xs:integer"/>
    <xsl:variable name="head" select="$label || text:spaces(max(($col - string-length($label), 1)))"/>
    <xsl:variable name="w" select="text:wrap($value, $width, text:spaces(string-length($head)), text:spaces($col))"/>
    <xsl:sequence select="$head || substring($w, string-length($head) + 1)"/>
  </xsl:function>

  <!-- Blocks rendered with a hanging indent of $h columns beyond $indent, the first line of the
       first block starting with $label (padded to $h) instead of the indentation. -->
  <xsl:function name="text:hang" as="xs:string*">
    <xsl:param name="blocks" as="xs:string*"/>
    <xsl:param name="indent" as="xs:string"/>
    <xsl:param name="label" as="xs:string"/>
    <xsl:param name="h" as="xs:integer"/>
    <xsl:variable name="lead" select="if ($label) then $indent || $label || text:spaces($h - string-length($label))
                                      else $indent"/>
    <xsl:sequence select="
        if (empty($blocks)) then (if ($label) then replace($lead, '\s+$', '') else ())
        else ($lead || substring($blocks[1], string-length($indent) + $h + 1), subsequence($blocks, 2))"/>
  </xsl:function>

  <!-- ================================================================== -->
  <!-- Block structure                                                     -->
  <!-- ================================================================== -->

  <xsl:function name="text:is-block" as="xs:boolean">
    <xsl:param name="n" as="node()"/>
    <xsl:sequence select="
        $n instance of element()
        and (map:contains($text:block-map, local-name($n))
             or (map:contains($text:weak-block-map, local-name($n))
                 and map:contains($text:container-map, local-name($n/..))))"/>
  </xsl:function>

  <!-- Render a node sequence as blocks: each run of inline nodes becomes one wrapped paragraph
       (indented by $indent); each block element is rendered by mode text:block. -->
  <xsl:function name="text:blocks" as="xs:string*">
    <xsl:param name="nodes" as="node()*"/>
    <xsl:param name="indent" as="xs:string"/>
    <xsl:for-each-group select="$nodes" group-adjacent="text:is-block(.)">
      <xsl:choose>
        <xsl:when test="current-grouping-key()">
          <xsl:apply-templates select="current-group()" mode="text:block">
            <xsl:with-param name="indent" select="$indent" tunnel="yes"/>
          </xsl:apply-templates>
        </xsl:when>
        <xsl:otherwise>
          <xsl:variable name="s" select="text:inline(current-group())"/>
          <xsl:if test="$s">
            <xsl:sequence select="text:wrap($s, $width, $indent, $indent)"/>
          </xsl:if>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:for-each-group>
  </xsl:function>

  <!-- Unknown block-level element: its content as blocks. -->
  <xsl:template match="*" mode="text:block">
    <xsl:param name="indent" as="xs:string" tunnel="yes"/>
    <xsl:sequence select="text:blocks(node(), $indent)"/>
  </xsl:template>

  <!-- Section heads. -->
  <xsl:template match="tei:head" mode="text:block">
    <xsl:param name="indent" as="xs:string" tunnel="yes"/>
    <xsl:variable name="s" select="text:inline(node())"/>
    <xsl:choose>
      <xsl:when test="not(parent::*[starts-with(local-name(), 'div') or self::tei:body
                          or self::tei:back or self::tei:front or self::tei:group])">
        <xsl:sequence select="if ($s) then text:wrap($s, $width, $indent, $indent) else ()"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:sequence select="if ($s) then text:heading($s, '-', $indent) else ()"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- Commentary sections always carry a title. -->
  <xsl:template match="tei:div[@type = 'commentary'][not(tei:head)]" mode="text:block">
    <xsl:param name="indent" as="xs:string" tunnel="yes"/>
    <xsl:sequence select="text:heading('Commentary', '-', $indent), text:blocks(node(), $indent)"/>
  </xsl:template>

  <!-- Numbered points (p/@n, ab/@n): the number is kept, with a hanging indent. -->
  <xsl:template match="tei:p[@n] | tei:ab[@n]" mode="text:block">
    <xsl:param name="indent" as="xs:string" tunnel="yes"/>
    <xsl:sequence select="text:numbered(., normalize-space(@n), $indent)"/>
  </xsl:template>

  <!-- List items: "- item", "1. item" or the item's own number, hanging indent. -->
  <xsl:template match="tei:item" mode="text:block">
    <xsl:param name="indent" as="xs:string" tunnel="yes"/>
    <xsl:variable name="ordered" select="../@type = ('ordered', 'numbered')
                                         or matches(../@rend, 'numbered|ordered|decimal')"/>
    <xsl:variable name="n" select="if (@n) then normalize-space(@n)
                                   else if ($ordered) then string(count(preceding-sibling::tei:item) + 1)
                                   else ''"/>
    <xsl:choose>
      <xsl:when test="$n">
        <xsl:sequence select="text:numbered(., $n, $indent)"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:sequence select="text:hang(text:blocks(node(), $indent || '  '), $indent, '-', 2)"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- An element numbered $n: if its text already starts with the number ("1. About …",
       "7 Cde. …"), the number is kept as written; otherwise "n. " is put in front. Either way
       continuation lines hang under the text after the number. -->
  <xsl:function name="text:numbered" as="xs:string*">
    <xsl:param name="el" as="element()"/>
    <xsl:param name="n" as="xs:string"/>
    <xsl:param name="indent" as="xs:string"/>
    <xsl:variable name="first-block" select="$el/node()[text:is-block(.)][1]"/>
    <xsl:variable name="first-inline" select="text:inline($el/node()[empty($first-block) or . &lt;&lt; $first-block])"/>
    <xsl:variable name="token" select="tokenize($first-inline, ' ')[1]"/>
    <xsl:variable name="written" select="$n != '' and starts-with($first-inline, $n)
                                         and string-length($token) le string-length($n) + 1
                                         and string-length($token) lt 8"/>
    <xsl:variable name="label" select="if ($written) then '' else
                                       $n || (if (matches($n, '[.):]$')) then '' else '.')"/>
    <xsl:variable name="h" select="if ($written) then string-length($token) + 1 else string-length($label) + 1"/>
    <xsl:sequence select="text:hang(text:blocks($el/node(), $indent || text:spaces($h)), $indent, $label, $h)"/>
  </xsl:function>

  <!-- Block quotations: indented. -->
  <xsl:template match="tei:quote | tei:q | tei:said" mode="text:block">
    <xsl:param name="indent" as="xs:string" tunnel="yes"/>
    <xsl:sequence select="text:blocks(node(), $indent || $text:quote-indent)"/>
  </xsl:template>

  <!-- cit: the quotation indented, then "— <bibl>" under it. -->
  <xsl:template match="tei:cit" mode="text:block">
    <xsl:param name="indent" as="xs:string" tunnel="yes"/>
    <xsl:variable name="in" select="$indent || $text:quote-indent"/>
    <xsl:for-each-group select="node()" group-adjacent="boolean(self::tei:bibl | self::tei:biblStruct
                                                                | self::tei:ref | self::tei:ptr)">
      <xsl:choose>
        <xsl:when test="current-grouping-key()">
          <xsl:variable name="s" select="text:inline(current-group())"/>
          <xsl:if test="$s">
            <xsl:sequence select="text:wrap('— ' || $s, $width, $in, $in || '  ')"/>
          </xsl:if>
        </xsl:when>
        <xsl:otherwise>
          <!-- quote/q inside cit are containers here: their content, indented -->
          <xsl:for-each-group select="current-group()" group-adjacent="boolean(self::tei:quote | self::tei:q)">
            <xsl:sequence select="if (current-grouping-key())
                                  then (for $q in current-group() return text:blocks($q/node(), $in))
                                  else text:blocks(current-group(), $in)"/>
          </xsl:for-each-group>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:for-each-group>
  </xsl:template>

  <!-- Verse: one line per l, long lines hanging by two. -->
  <xsl:template match="tei:lg[not(tei:lg)]" mode="text:block">
    <xsl:param name="indent" as="xs:string" tunnel="yes"/>
    <xsl:variable name="lines" as="xs:string*">
      <xsl:for-each-group select="node()" group-adjacent="boolean(self::tei:l)">
        <xsl:choose>
          <xsl:when test="current-grouping-key()">
            <xsl:for-each select="current-group()">
              <xsl:variable name="s" select="text:inline(node())"/>
              <xsl:sequence select="text:wrap($s, $width, $indent, $indent || '  ')"/>
            </xsl:for-each>
          </xsl:when>
          <xsl:otherwise>
            <xsl:sequence select="text:blocks(current-group(), $indent)"/>
          </xsl:otherwise>
        </xsl:choose>
      </xsl:for-each-group>
    </xsl:variable>
    <xsl:sequence select="string-join($lines[. != ''], $text:nl)"/>
  </xsl:template>

  <!-- Tables: one line per row, cells separated by " | ". -->
  <xsl:template match="tei:table" mode="text:block">
    <xsl:param name="indent" as="xs:string" tunnel="yes"/>
    <xsl:variable name="lines" as="xs:string*">
      <xsl:for-each-group select="node()" group-adjacent="boolean(self::tei:row)">
        <xsl:choose>
          <xsl:when test="current-grouping-key()">
            <xsl:for-each select="current-group()">
              <xsl:variable name="cells" select="for $c in node()[not(self::text()[not(normalize-space())])]
                                                 return text:inline($c)"/>
              <xsl:variable name="s" select="string-join($cells, ' | ')"/>
              <xsl:sequence select="if (normalize-space($s)) then text:wrap($s, $width, $indent, $indent || '  ') else ()"/>
            </xsl:for-each>
          </xsl:when>
          <xsl:otherwise>
            <xsl:sequence select="text:blocks(current-group(), $indent)"/>
          </xsl:otherwise>
        </xsl:choose>
      </xsl:for-each-group>
    </xsl:variable>
    <xsl:sequence select="string-join($lines[. != ''], $text:nl)"/>
  </xsl:template>

  <!-- ================================================================== -->
  <!-- Inline content: one string                                          -->
  <!-- ================================================================== -->

  <!-- The inline rendering of $nodes as one normalised string (no line breaks).
       The pieces are joined as a sequence of text nodes rather than built into a temporary
       document first: same string, one tree fewer per paragraph. -->
  <xsl:function name="text:inline" as="xs:string">
    <xsl:param name="nodes" as="node()*"/>
    <xsl:variable name="v" as="item()*">
      <xsl:apply-templates select="$nodes" mode="text:inline"/>
    </xsl:variable>
    <xsl:sequence select="text:clean(string-join($v))"/>
  </xsl:function>

  <!-- Collapse whitespace (also NEL, LINE/PARAGRAPH SEPARATOR) and glue footnote markers.
       Whitespace is collapsed first, so the space before a marker is one literal space: a
       literal replace ('q'), translate and a second normalize-space (for a marker that opens
       the string) give what the regex '\s*&#xFDD0;' gave, at a fraction of its cost on
       Saxon (the regex was a third of the text edition's transform time). -->
  <xsl:function name="text:clean" as="xs:string">
    <xsl:param name="s" as="xs:string"/>
    <xsl:variable name="t" select="normalize-space(translate($s, '&#x85;&#x2028;&#x2029;', '   '))"/>
    <xsl:sequence select="if (contains($t, $text:glue)) then normalize-space(translate(replace($t, ' &#xFDD0;', '', 'q'), $text:glue, '')) else $t"/>
  </xsl:function>

  <!-- $c between $open and $close, keeping the whitespace at its edges outside the marks. -->
  <xsl:function name="text:mark" as="xs:string">
    <xsl:param name="c" as="xs:string"/>
    <xsl:param name="open" as="xs:string"/>
    <xsl:param name="close" as="xs:string"/>
    <xsl:variable name="core" select="normalize-space($c)"/>
    <xsl:sequence select="
        if (not($core) and not(contains($c, $text:glue))) then $c
        else (if (matches($c, '^\s')) then ' ' else '') || $open || $core || $close
             || (if (matches($c, '\s$')) then ' ' else '')"/>
  </xsl:function>

  <xsl:function name="text:inner" as="xs:string">
    <xsl:param name="el" as="element()"/>
    <xsl:variable name="v" as="item()*">
      <xsl:apply-templates select="$el/node()" mode="text:inline"/>
    </xsl:variable>
    <xsl:sequence select="string-join($v)"/>
  </xsl:function>

  <xsl:mode name="text:inline" on-no-match="text-only-copy"/>

  <xsl:template match="text()" mode="text:inline">
    <xsl:value-of select="translate(., $text:glue, '')"/>
  </xsl:template>

  <xsl:template match="comment() | processing-instruction()" mode="text:inline"/>

  <!-- A block-level element met inside running text: keep it apart from its neighbours. -->
  <xsl:template match="tei:p | tei:ab | tei:head | tei:l | tei:item | tei:div | tei:lg | tei:list
                       | tei:row | tei:cell | tei:table | tei:cit | tei:closer | tei:opener" mode="text:inline">
    <xsl:text> </xsl:text>
    <xsl:apply-templates mode="text:inline"/>
    <xsl:text> </xsl:text>
  </xsl:template>

  <!-- Supplied text: [text]. -->
  <xsl:template match="tei:supplied" mode="text:inline">
    <xsl:value-of select="text:mark(text:inner(.), $tp:supplied-open, $tp:supplied-close)"/>
  </xsl:template>

  <!-- Gaps: […], or [description] when the encoder described what is missing. -->
  <xsl:template match="tei:gap" mode="text:inline">
    <xsl:variable name="desc" select="normalize-space(string-join(tei:desc//text(), ' '))"/>
    <xsl:value-of select="if ($desc) then $tp:supplied-open || $desc || $tp:supplied-close else $tp:gap-sign"/>
  </xsl:template>

  <!-- Foreign words: _priem_. -->
  <xsl:template match="tei:foreign" mode="text:inline">
    <xsl:value-of select="text:mark(text:inner(.), $text:foreign-mark, $text:foreign-mark)"/>
  </xsl:template>

  <!-- Deleted text: ⟦text⟧. -->
  <xsl:template match="tei:del" mode="text:inline">
    <xsl:value-of select="text:mark(text:inner(.), $text:del-open, $text:del-close)"/>
  </xsl:template>

  <!-- Alternatives: what the source writes, then the editor's alternative in braces:
       "z. B. {zum Beispiel}", "Verlurst {Verlust}". -->
  <xsl:template match="tei:choice" mode="text:inline">
    <xsl:variable name="primary" select="(tei:sic, tei:orig, tei:abbr, *)[1]"/>
    <xsl:apply-templates select="$primary" mode="text:inline"/>
    <xsl:for-each select="* except $primary">
      <xsl:value-of select="' ' || text:mark(text:inner(.), $text:alt-open, $text:alt-close)"/>
    </xsl:for-each>
  </xsl:template>

  <!-- Forme work (running heads, catchwords): kept, but braced off from the text. -->
  <xsl:template match="tei:fw" mode="text:inline">
    <xsl:value-of select="' ' || text:mark(text:inner(.), $text:alt-open, $text:alt-close) || ' '"/>
  </xsl:template>

  <!-- Quotations and direct speech: “…” (‘…’ when nested), unless the source text already
       puts quotation marks around them. Reported speech (said direct="false") stays plain. -->
  <xsl:function name="text:is-quoting" as="xs:boolean">
    <xsl:param name="el" as="element()"/>
    <xsl:sequence select="($el/self::tei:q or $el/self::tei:quote or $el/self::tei:soCalled
                           or $el/self::tei:said[not(@direct = 'false')])
                          and not(text:is-block($el))"/>
  </xsl:function>

  <xsl:function name="text:already-quoted" as="xs:boolean">
    <xsl:param name="el" as="element()"/>
    <xsl:variable name="before" select="$el/preceding-sibling::node()[1][self::text()]"/>
    <xsl:variable name="after" select="$el/following-sibling::node()[1][self::text()]"/>
    <xsl:variable name="own" select="normalize-space($el)"/>
    <xsl:sequence select="(matches(string($before), '[&quot;“„«‘‚]\s*$') and matches(string($after), '^\s*[&quot;”“»’‘]'))
                          or matches($own, '^[&quot;“„«‘‚].*[&quot;”“»’]$')"/>
  </xsl:function>

  <xsl:template match="tei:q | tei:quote | tei:said | tei:soCalled" mode="text:inline">
    <xsl:choose>
      <xsl:when test="text:is-quoting(.) and not(text:already-quoted(.))">
        <xsl:variable name="level" select="count(ancestor::*[text:is-quoting(.)]) mod 2"/>
        <xsl:value-of select="text:mark(text:inner(.), $text:quotes[2 * $level + 1], $text:quotes[2 * $level + 2])"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:apply-templates mode="text:inline"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- Notes: footnotes become markers [1] glued to the preceding word; other notes
       (margin glosses, inline notes) stay in place, braced: {margin: …}. -->
  <xsl:template match="tei:note" mode="text:inline">
    <xsl:choose>
      <xsl:when test="tp:is-footnote(.)">
        <xsl:value-of select="$text:glue || '[' || text:note-label(.) || ']'"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:variable name="what" select="(@place, @type, 'note')[1]"/>
        <xsl:value-of select="' ' || text:mark(text:inner(.), $text:alt-open || $what || ': ', $text:alt-close) || ' '"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- The label of a note: the register's, else its ordinal. -->
  <xsl:function name="text:note-label" as="xs:string">
    <xsl:param name="note" as="element(tei:note)"/>
    <xsl:variable name="l" select="tp:note-label($note)"/>
    <xsl:sequence select="if ($l) then $l else string(tp:note-ordinal($note))"/>
  </xsl:function>

  <!-- Line, column and page beginnings: a space unless they fall inside a word. -->
  <xsl:template match="tei:lb | tei:cb | tei:pb | tei:milestone" mode="text:inline">
    <xsl:if test="not(@break = ('no', 'false'))">
      <xsl:text> </xsl:text>
    </xsl:if>
  </xsl:template>
  <xsl:template match="tei:space" mode="text:inline">
    <xsl:text> </xsl:text>
  </xsl:template>

  <!-- Empty dates and times show their normalised value. -->
  <xsl:template match="tei:date[not(normalize-space())] | tei:time[not(normalize-space())]" mode="text:inline">
    <xsl:value-of select="tp:date-label(.)"/>
  </xsl:template>

  <!-- ================================================================== -->
  <!-- Notes section                                                       -->
  <!-- ================================================================== -->

  <!-- "Notes" heading and every footnote of $scope: "[1] text", hanging indent. -->
  <xsl:function name="text:notes" as="xs:string*">
    <xsl:param name="scope" as="element()*"/>
    <xsl:variable name="notes" select="$scope//tei:note[tp:is-footnote(.)]"/>
    <xsl:if test="exists($notes)">
      <xsl:sequence select="text:heading('Notes', '-', '')"/>
      <xsl:for-each select="$notes">
        <xsl:variable name="label" select="'[' || text:note-label(.) || ']'"/>
        <xsl:variable name="h" select="string-length($label) + 1"/>
        <xsl:sequence select="text:hang(text:blocks(node(), text:spaces($h)), '', $label, $h)"/>
      </xsl:for-each>
    </xsl:if>
  </xsl:function>

  <!-- Blocks joined by blank lines, NFC, with exactly one final newline. -->
  <xsl:function name="text:finish" as="xs:string">
    <xsl:param name="blocks" as="xs:string*"/>
    <xsl:sequence select="normalize-unicode(string-join($blocks[normalize-space()], $text:nl || $text:nl), 'NFC') || $text:nl"/>
  </xsl:function>

</xsl:stylesheet>
