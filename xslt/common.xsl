<?xml version="1.0" encoding="UTF-8"?>
<!--
  teipress common module: everything the HTML, print and text editions share.

  Every format stylesheet imports this module. It owns
    * the global parameters every run passes ($register, $doc-id, $build-date),
    * lookups into the corpus register (entities, pointers, notes, documents),
    * the rules every edition must apply identically (note labels, safe URLs,
      date wording, editorial signs, plain-text extraction),
  so no format re-implements them and the editions cannot drift apart.

  Functions live in the project namespace https://teipress.dev/ns (prefix tp).
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:tei="http://www.tei-c.org/ns/1.0"
    xmlns:tp="https://teipress.dev/ns"
    xmlns:r="https://teipress.dev/ns/register"
    xmlns:err="http://www.w3.org/2005/xqt-errors"
    exclude-result-prefixes="#all">

  <!-- The corpus register (docs/register.md), parsed once per run by the caller. -->
  <xsl:param name="register" as="document-node()?" select="()"/>
  <!-- The id of the document being rendered (r:document/@id); empty for edition-level pages. -->
  <xsl:param name="doc-id" as="xs:string" select="''"/>
  <!-- ISO date of the build, shown on every page. -->
  <xsl:param name="build-date" as="xs:string" select="''"/>

  <xsl:key name="tp:entity" match="r:entity" use="@id"/>
  <xsl:key name="tp:pointer" match="r:pointer" use="@doc || ' ' || @value"/>
  <xsl:key name="tp:note" match="r:note" use="@doc || ' ' || @ordinal"/>
  <xsl:key name="tp:document" match="r:document" use="@id"/>
  <xsl:key name="tp:mentions" match="r:mention" use="@doc"/>

  <!-- Editorial signs: the one place their shape is decided. -->
  <xsl:variable name="tp:supplied-open" as="xs:string" select="'['"/>
  <xsl:variable name="tp:supplied-close" as="xs:string" select="']'"/>
  <xsl:variable name="tp:gap-sign" as="xs:string" select="'[…]'"/>

  <xsl:variable name="tp:months" as="xs:string+"
      select="('January', 'February', 'March', 'April', 'May', 'June', 'July',
               'August', 'September', 'October', 'November', 'December')"/>

  <!-- ================================================================== -->
  <!-- Register lookups                                                    -->
  <!-- ================================================================== -->

  <!-- The register's record of the current document. -->
  <xsl:function name="tp:current-document" as="element(r:document)?">
    <xsl:sequence select="if (exists($register)) then key('tp:document', $doc-id, $register)[1] else ()"/>
  </xsl:function>

  <!-- The register's record of document $id. -->
  <xsl:function name="tp:document" as="element(r:document)?">
    <xsl:param name="id" as="xs:string?"/>
    <xsl:sequence select="if (exists($register) and $id) then key('tp:document', $id, $register)[1] else ()"/>
  </xsl:function>

  <!-- Entity by authority id. -->
  <xsl:function name="tp:entity-by-id" as="element(r:entity)?">
    <xsl:param name="id" as="xs:string?"/>
    <xsl:sequence select="if (exists($register) and $id) then key('tp:entity', $id, $register)[1] else ()"/>
  </xsl:function>

  <!-- The entity a pointer value of the current document resolves to (via r:pointers). -->
  <xsl:function name="tp:resolve" as="element(r:entity)?">
    <xsl:param name="value" as="xs:string?"/>
    <xsl:variable name="p" as="element(r:pointer)?"
        select="if (exists($register) and $value)
                then key('tp:pointer', $doc-id || ' ' || normalize-space($value), $register)[1]
                else ()"/>
    <xsl:sequence select="tp:entity-by-id($p/@target)"/>
  </xsl:function>

  <!-- The entity a name-like element (persName, placeName, orgName, name, rs, …) points at:
       the first token of @ref, else @key, else @corresp, else @sameAs that resolves. -->
  <xsl:function name="tp:entity" as="element(r:entity)?">
    <xsl:param name="el" as="element()"/>
    <xsl:variable name="candidates" as="xs:string*"
        select="for $a in ($el/@ref, $el/@key, $el/@corresp, $el/@sameAs)
                return (if ($a is $el/@key) then normalize-space($a) else tokenize(normalize-space($a), ' '))"/>
    <xsl:sequence select="(for $c in $candidates return tp:resolve($c))[1]"/>
  </xsl:function>

  <!-- Entities a @who (or any multi-token pointer attribute) resolves to. -->
  <xsl:function name="tp:entities" as="element(r:entity)*">
    <xsl:param name="attr" as="attribute()?"/>
    <xsl:sequence select="for $t in tokenize(normalize-space($attr), ' ') return tp:resolve($t)"/>
  </xsl:function>

  <!-- An entity's display name, with life dates for persons: "Gao Gang (1905–1954)". -->
  <xsl:function name="tp:entity-label" as="xs:string">
    <xsl:param name="entity" as="element(r:entity)"/>
    <xsl:variable name="dates" select="tp:life-dates($entity)"/>
    <xsl:sequence select="string($entity/r:name) || (if ($dates) then ' (' || $dates || ')' else '')"/>
  </xsl:function>

  <!-- "1905–1954", "b. 1905", "d. 1954" or "". -->
  <xsl:function name="tp:life-dates" as="xs:string">
    <xsl:param name="entity" as="element(r:entity)"/>
    <xsl:variable name="b" select="tp:year($entity/r:birth/@when)"/>
    <xsl:variable name="d" select="tp:year($entity/r:death/@when)"/>
    <xsl:sequence select="
        if ($b and $d) then $b || '–' || $d
        else if ($b) then 'b. ' || $b
        else if ($d) then 'd. ' || $d
        else ''"/>
  </xsl:function>

  <xsl:function name="tp:year" as="xs:string">
    <xsl:param name="iso" as="xs:string?"/>
    <xsl:sequence select="if ($iso) then replace($iso, '^(-?\d{4}).*$', '$1') else ''"/>
  </xsl:function>

  <!-- ================================================================== -->
  <!-- Notes                                                               -->
  <!-- ================================================================== -->

  <!-- How many elements of one kind stand in $el's document up to $el (preceding or
       ancestor, $el itself if it is one): read from $accumulator, which counts them in one
       walk of the document; where it does not apply to the document, counted among the
       elements in $key (a key of the same elements, used with 'all').
       Why the accumulator: counting, for each element, those before it (on the axes, or in
       a key) is quadratic in their number; a book-length document with a thousand notes
       spent most of its HTML and text transforms there. The document stylesheets make the
       accumulators applicable to the document they are applied to (xsl:mode
       use-accumulators); Saxon makes them applicable to parameters and temporary trees.
       Any other document (a customisation's own initial mode, say) raises XTDE3362, hence
       the key. Names from modules that do not declare this one's prefixes are given as
       EQNames (Q{uri}local). $el must be in a tree with a document node. -->
  <xsl:function name="tp:so-far" as="xs:integer">
    <xsl:param name="el" as="element()"/>
    <xsl:param name="accumulator" as="xs:string"/>
    <xsl:param name="key" as="xs:string"/>
    <xsl:try select="$el/accumulator-before($accumulator)">
      <xsl:catch errors="err:XTDE3362" select="count(key($key, 'all', root($el))[not(. &gt;&gt; $el)])"/>
    </xsl:try>
  </xsl:function>

  <!-- Every note of a document, indexed once per document (tp:note-ordinal's fallback). -->
  <xsl:key name="tp:notes" match="tei:note" use="'all'"/>

  <!-- The notes met so far in document order, the note itself included (accumulator-before
       gives the value after a node's own start rule): a note's ordinal, for every note of a
       document from one walk of it. -->
  <xsl:accumulator name="tp:notes-so-far" as="xs:integer" initial-value="0">
    <xsl:accumulator-rule match="tei:note" select="$value + 1"/>
  </xsl:accumulator>

  <!-- Position of a note among all tei:note elements of its document (the register's key):
       the notes before it in document order (preceding or ancestor), plus one (tp:so-far).
       cache="yes" (a memo function, honoured by Saxon-HE for one transformation): a
       footnote asks up to four times (label, id, call, list). A note in a tree without a
       document node is counted on the axes. -->
  <xsl:function name="tp:note-ordinal" as="xs:integer" cache="yes">
    <xsl:param name="note" as="element(tei:note)"/>
    <xsl:sequence select="if (root($note) instance of document-node())
                          then tp:so-far($note, 'tp:notes-so-far', 'tp:notes')
                          else count($note/preceding::tei:note) + count($note/ancestor::tei:note) + 1"/>
  </xsl:function>

  <!-- The note's label as computed once by the resolve phase; falls back to @n, then the ordinal. -->
  <xsl:function name="tp:note-label" as="xs:string">
    <xsl:param name="note" as="element(tei:note)"/>
    <xsl:variable name="r" as="element(r:note)?"
        select="if (exists($register))
                then key('tp:note', $doc-id || ' ' || tp:note-ordinal($note), $register)[1]
                else ()"/>
    <xsl:sequence select="
        if (exists($r)) then string($r/@label)
        else if ($note/@n) then string($note/@n)
        else string(tp:note-ordinal($note))"/>
  </xsl:function>

  <!-- A stable, document-unique id for a note (its xml:id, else one from its ordinal). -->
  <xsl:function name="tp:note-id" as="xs:string">
    <xsl:param name="note" as="element(tei:note)"/>
    <xsl:sequence select="($note/@xml:id, 'note-' || tp:note-ordinal($note))[1]"/>
  </xsl:function>

  <!-- Notes shown as numbered footnotes/endnotes (not margin glosses or header notes). -->
  <xsl:function name="tp:is-footnote" as="xs:boolean">
    <xsl:param name="note" as="element(tei:note)"/>
    <xsl:sequence select="not($note/ancestor::tei:teiHeader)
                          and (not($note/@place) or $note/@place = ('foot', 'end', 'bottom'))
                          and not($note/@type = 'source-note')"/>
  </xsl:function>

  <!-- ================================================================== -->
  <!-- URLs: TEI is untrusted; only these schemes ever become links.       -->
  <!-- ================================================================== -->

  <!-- The URL if it is http(s), mailto or relative (no scheme); otherwise the empty sequence.
       Control characters and whitespace inside the scheme are stripped first, as browsers do,
       so "java&#9;script:" cannot slip through. -->
  <xsl:function name="tp:safe-url" as="xs:string?">
    <xsl:param name="url" as="xs:string?"/>
    <xsl:variable name="u" select="replace(normalize-space($url), '[\p{Cc}\s]', '')"/>
    <xsl:sequence select="
        if (not($u)) then ()
        else if (matches($u, '^(https?|mailto):', 'i')) then $u
        else if (matches($u, '^[A-Za-z][A-Za-z0-9+.\-]*:')) then ()
        else if (starts-with($u, '//')) then ()
        else $u"/>
  </xsl:function>

  <!-- ================================================================== -->
  <!-- Dates                                                               -->
  <!-- ================================================================== -->

  <!-- Human wording of an ISO 8601 value: "27 June 1949", "June 1949", "1949", "23:00". -->
  <xsl:function name="tp:format-iso" as="xs:string">
    <xsl:param name="iso" as="xs:string?"/>
    <xsl:variable name="s" select="normalize-space($iso)"/>
    <xsl:sequence select="
        if (matches($s, '^\d{4}-\d{2}-\d{2}'))
          then xs:integer(substring($s, 9, 2)) || ' ' || $tp:months[xs:integer(substring($s, 6, 2))]
               || ' ' || substring($s, 1, 4)
               || (if (matches($s, 'T\d{2}:\d{2}')) then ', ' || replace($s, '^.*T(\d{2}:\d{2}).*$', '$1') else '')
        else if (matches($s, '^\d{4}-\d{2}$'))
          then $tp:months[xs:integer(substring($s, 6, 2))] || ' ' || substring($s, 1, 4)
        else if (matches($s, '^--\d{2}-\d{2}$'))
          then xs:integer(substring($s, 6, 2)) || ' ' || $tp:months[xs:integer(substring($s, 3, 2))]
        else if (matches($s, '^\d{2}:\d{2}'))
          then substring($s, 1, 5)
        else $s"/>
  </xsl:function>

  <!-- The normalised value of a date/time element as one machine-readable string
       (@when, else @from/@to or @notBefore/@notAfter as an ISO interval "a/b"). -->
  <xsl:function name="tp:date-value" as="xs:string">
    <xsl:param name="d" as="element()"/>
    <xsl:sequence select="
        if (normalize-space($d/@when)) then normalize-space($d/@when)
        else if (normalize-space($d/@from) or normalize-space($d/@to))
          then normalize-space($d/@from) || '/' || normalize-space($d/@to)
        else if (normalize-space($d/@notBefore) or normalize-space($d/@notAfter))
          then normalize-space($d/@notBefore) || '/' || normalize-space($d/@notAfter)
        else ''"/>
  </xsl:function>

  <!-- Human wording of a date element's normalised value ("between 1 and 30 September 1949"). -->
  <xsl:function name="tp:date-label" as="xs:string">
    <xsl:param name="d" as="element()"/>
    <!-- Empty attributes (the register writes from="" etc.) count as absent. -->
    <xsl:variable name="when" select="normalize-space($d/@when)"/>
    <xsl:variable name="from" select="normalize-space($d/@from)"/>
    <xsl:variable name="to" select="normalize-space($d/@to)"/>
    <xsl:variable name="nb" select="normalize-space($d/@notBefore)"/>
    <xsl:variable name="na" select="normalize-space($d/@notAfter)"/>
    <xsl:sequence select="
        if ($when) then tp:format-iso($when)
        else if ($from and $to) then tp:format-iso($from) || ' – ' || tp:format-iso($to)
        else if ($from) then 'from ' || tp:format-iso($from)
        else if ($to) then 'until ' || tp:format-iso($to)
        else if ($nb and $na) then 'between ' || tp:format-iso($nb) || ' and ' || tp:format-iso($na)
        else if ($nb) then 'not before ' || tp:format-iso($nb)
        else if ($na) then 'not after ' || tp:format-iso($na)
        else normalize-space($d)"/>
  </xsl:function>

  <!-- ================================================================== -->
  <!-- Header facts every edition shows                                    -->
  <!-- ================================================================== -->

  <!-- The document's main title as plain text. -->
  <xsl:function name="tp:title" as="xs:string">
    <xsl:param name="tei" as="element()"/>
    <xsl:variable name="t" select="($tei/tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:title[@type = 'main'],
                                     $tei/tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:title)[1]"/>
    <xsl:sequence select="if ($t) then tp:plain($t) else string(tp:current-document()/r:title)"/>
  </xsl:function>

  <!-- Language of a node: the nearest xml:lang, or ''. -->
  <xsl:function name="tp:lang" as="xs:string">
    <xsl:param name="n" as="node()"/>
    <xsl:sequence select="string($n/ancestor-or-self::*[@xml:lang][1]/@xml:lang)"/>
  </xsl:function>

  <!-- ================================================================== -->
  <!-- Plain text: the reading text of any TEI fragment, in one line.      -->
  <!-- Used for titles, metadata, tooltips, search indexes, running heads. -->
  <!-- ================================================================== -->

  <xsl:function name="tp:plain" as="xs:string">
    <xsl:param name="nodes" as="node()*"/>
    <xsl:variable name="parts" as="xs:string*">
      <xsl:apply-templates select="$nodes" mode="tp:plain"/>
    </xsl:variable>
    <xsl:sequence select="normalize-space(string-join($parts))"/>
  </xsl:function>

  <xsl:mode name="tp:plain" on-no-match="text-only-copy"/>
  <xsl:template match="tei:note | tei:fw | tei:del | tei:orig[parent::tei:choice] | tei:sic[parent::tei:choice]
                       | tei:abbr[parent::tei:choice] | processing-instruction() | comment()" mode="tp:plain"/>
  <xsl:template match="tei:supplied" mode="tp:plain">
    <xsl:value-of select="$tp:supplied-open"/>
    <xsl:apply-templates mode="tp:plain"/>
    <xsl:value-of select="$tp:supplied-close"/>
  </xsl:template>
  <xsl:template match="tei:gap" mode="tp:plain">
    <xsl:value-of select="$tp:gap-sign"/>
  </xsl:template>
  <xsl:template match="tei:lb | tei:cb | tei:pb" mode="tp:plain">
    <xsl:if test="not(@break = 'no')"><xsl:text> </xsl:text></xsl:if>
  </xsl:template>

</xsl:stylesheet>
