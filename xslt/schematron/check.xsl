<?xml version="1.0" encoding="UTF-8"?>
<!--
  Stage 2, mode "check": refuse what the generator cannot compile faithfully.

  Runs on the expanded schema and returns tpc:error elements (never terminates), so a
  broken schema is reported in full, each problem with its file:line:col and a fix.
  XPath syntax is not checked here: Saxon compiles the generated stylesheet and the
  Python side maps its error line back to the .sch through the tpc:src markers.
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:sch="http://purl.oclc.org/dsdl/schematron"
    xmlns:tpc="https://teipress.dev/ns/schematron/compiler"
    exclude-result-prefixes="#all">

  <xsl:variable name="tpc:xslt-bindings" as="xs:string*" select="('xslt', 'xslt2', 'xslt3')"/>
  <xsl:variable name="tpc:bindings" as="xs:string*"
      select="($tpc:xslt-bindings, 'xpath2', 'xpath3', 'xpath31')"/>
  <xsl:variable name="tpc:reserved-prefixes" as="xs:string*" select="('tpr', 'tpc', 'xsl')"/>

  <xsl:template match="sch:schema" mode="check">
    <xsl:variable name="binding" select="lower-case(normalize-space((@queryBinding, 'xslt')[1]))"/>
    <xsl:if test="not($binding = $tpc:bindings)">
      <xsl:sequence select="tpc:error(., 'unsupported queryBinding=&quot;' || @queryBinding || '&quot;',
          'teipress runs Schematron with XPath 3.1 on Saxon: use queryBinding=&quot;xslt3&quot; '
          || '(also accepted: ' || string-join($tpc:bindings, ', ') || '; absent means xslt)')"/>
    </xsl:if>
    <xsl:variable name="phase-ids" select="sch:phase/@id/string()"/>
    <xsl:if test="@defaultPhase and not(@defaultPhase = ($phase-ids, '#ALL'))">
      <xsl:sequence select="tpc:error(., 'defaultPhase=&quot;' || @defaultPhase || '&quot; names no phase',
          'use one of: ' || string-join(('#ALL', $phase-ids), ', '))"/>
    </xsl:if>
    <xsl:for-each select="xsl:*">
      <xsl:choose>
        <xsl:when test="not(self::xsl:function or self::xsl:key)">
          <xsl:sequence select="tpc:error(., 'foreign element ' || name() || ' is not supported in a schema',
              'only xsl:function and xsl:key may be embedded; move other XSLT into a function')"/>
        </xsl:when>
        <xsl:when test="not($binding = $tpc:xslt-bindings)">
          <xsl:sequence select="tpc:error(., name() || ' needs an XSLT query binding, not ' || $binding,
              'set queryBinding=&quot;xslt3&quot; on sch:schema')"/>
        </xsl:when>
      </xsl:choose>
    </xsl:for-each>
    <xsl:for-each-group select="sch:ns" group-by="string(@prefix)">
      <xsl:if test="count(distinct-values(current-group()/@uri)) gt 1">
        <xsl:sequence select="tpc:error(current-group()[2], 'prefix &quot;' || current-grouping-key()
            || '&quot; is declared twice with different URIs', 'keep one sch:ns per prefix')"/>
      </xsl:if>
    </xsl:for-each-group>
    <xsl:for-each select="sch:ns">
      <xsl:if test="not(@prefix) or not(@uri)">
        <xsl:sequence select="tpc:error(., 'sch:ns needs @prefix and @uri',
            'write &lt;sch:ns prefix=&quot;tei&quot; uri=&quot;http://www.tei-c.org/ns/1.0&quot;/&gt;')"/>
      </xsl:if>
      <xsl:if test="@prefix = $tpc:reserved-prefixes">
        <xsl:sequence select="tpc:error(., 'prefix &quot;' || @prefix || '&quot; is reserved by the teipress compiler',
            'choose another prefix')"/>
      </xsl:if>
      <xsl:if test="@prefix = 'xs' and @uri != 'http://www.w3.org/2001/XMLSchema'">
        <xsl:sequence select="tpc:error(., 'prefix &quot;xs&quot; must be bound to XML Schema',
            'bind xs to http://www.w3.org/2001/XMLSchema or choose another prefix')"/>
      </xsl:if>
    </xsl:for-each>
    <xsl:for-each select="sch:phase">
      <xsl:if test="not(@id)">
        <xsl:sequence select="tpc:error(., 'sch:phase has no @id', 'give the phase an id so it can be selected')"/>
      </xsl:if>
      <xsl:for-each select="sch:let">
        <xsl:sequence select="tpc:error(., 'sch:let inside sch:phase is not supported',
            'move the variable to the schema or to the patterns that use it')"/>
      </xsl:for-each>
      <xsl:for-each select="sch:active">
        <xsl:if test="not(@pattern = ../../sch:pattern/@id)">
          <xsl:sequence select="tpc:error(., 'sch:active pattern=&quot;' || @pattern || '&quot; names no pattern',
              'use the @id of a (non-abstract) pattern: '
              || (string-join(../../sch:pattern/@id, ', ')[.], 'no pattern has an @id')[1])"/>
        </xsl:if>
      </xsl:for-each>
    </xsl:for-each>
    <xsl:apply-templates select="sch:let | sch:pattern | sch:diagnostics | sch:include" mode="check"/>
  </xsl:template>

  <xsl:template match="sch:include" mode="check">
    <xsl:sequence select="tpc:error(., 'sch:include was not resolved',
        'teipress resolves includes before compiling; compile the schema with compile_schematron()')"/>
  </xsl:template>

  <xsl:template match="sch:pattern" mode="check">
    <xsl:if test="@documents">
      <xsl:sequence select="tpc:error(., 'pattern/@documents (checking other documents) is not supported',
          'remove @documents; cross-document checks belong to teipress xref')"/>
    </xsl:if>
    <xsl:apply-templates select="sch:let | sch:rule | sch:include" mode="check"/>
  </xsl:template>

  <xsl:template match="sch:rule" mode="check">
    <xsl:if test="not(normalize-space(@context))">
      <xsl:sequence select="tpc:error(., 'sch:rule has no @context',
          'add the nodes the rule applies to as an XSLT pattern, e.g. context=&quot;tei:persName&quot; '
          || '(or make it abstract=&quot;true&quot; with an @id and use it through sch:extends)')"/>
    </xsl:if>
    <xsl:if test="not(sch:assert | sch:report)">
      <xsl:sequence select="tpc:error(., 'sch:rule has no sch:assert or sch:report',
          'add at least one assert or report, or remove the rule')"/>
    </xsl:if>
    <xsl:apply-templates select="sch:let | sch:assert | sch:report | sch:include" mode="check"/>
  </xsl:template>

  <xsl:template match="sch:let" mode="check">
    <xsl:if test="not(@name)">
      <xsl:sequence select="tpc:error(., 'sch:let has no @name', 'write &lt;sch:let name=&quot;x&quot; value=&quot;…&quot;/&gt;')"/>
    </xsl:if>
    <xsl:choose>
      <xsl:when test="not(@value) and not(node()[not(self::comment() or self::processing-instruction())])">
        <xsl:sequence select="tpc:error(., 'sch:let name=&quot;' || @name || '&quot; has neither @value nor content',
            'give it an XPath value: &lt;sch:let name=&quot;' || @name || '&quot; value=&quot;…&quot;/&gt;')"/>
      </xsl:when>
      <xsl:when test="@value and *">
        <xsl:sequence select="tpc:error(., 'sch:let name=&quot;' || @name || '&quot; has both @value and content',
            'keep one: @value for an XPath expression, content for a literal XML value')"/>
      </xsl:when>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="sch:assert | sch:report" mode="check">
    <xsl:if test="not(normalize-space(@test))">
      <xsl:sequence select="tpc:error(., local-name() || ' has no @test',
          'add the XPath condition: &lt;sch:' || local-name() || ' test=&quot;…&quot;&gt;')"/>
    </xsl:if>
    <xsl:variable name="known" select="ancestor::sch:schema/sch:diagnostics/sch:diagnostic/@id/string()"/>
    <xsl:variable name="here" select="."/>
    <xsl:for-each select="tokenize(normalize-space(@diagnostics))[not(. = $known)]">
      <xsl:sequence select="tpc:error($here, 'diagnostics=&quot;' || . || '&quot; refers to no sch:diagnostic',
          'add &lt;sch:diagnostic id=&quot;' || . || '&quot;&gt; inside sch:diagnostics, or correct the reference')"/>
    </xsl:for-each>
    <xsl:apply-templates select=".//sch:value-of | .//sch:name" mode="check"/>
  </xsl:template>

  <xsl:template match="sch:diagnostics" mode="check">
    <xsl:for-each select="sch:diagnostic[not(@id)]">
      <xsl:sequence select="tpc:error(., 'sch:diagnostic has no @id', 'give it an @id and refer to it from @diagnostics')"/>
    </xsl:for-each>
    <xsl:apply-templates select=".//sch:value-of | .//sch:name" mode="check"/>
  </xsl:template>

  <xsl:template match="sch:value-of" mode="check">
    <xsl:if test="not(normalize-space(@select))">
      <xsl:sequence select="tpc:error(., 'sch:value-of has no @select', 'write &lt;sch:value-of select=&quot;@ref&quot;/&gt;')"/>
    </xsl:if>
  </xsl:template>

  <xsl:template match="sch:name" mode="check"/>

</xsl:stylesheet>
