<?xml version="1.0" encoding="UTF-8"?>
<!--
  teipress Schematron compiler: ISO Schematron (annotated by teipress.check.schematron
  with the source line/column of every element) in, XSLT 3.0 out.

  Three stages, one module each:
    expand.xsl    sch:pattern[@is-a] instances and sch:extends are replaced by what they
                  stand for (abstract patterns with $param substituted in XPath attributes,
                  abstract rules inlined); abstract definitions are dropped.
    check.xsl     every construct the generator relies on is verified; problems become
                  tpc:error elements with the source position, a message and a fix.
    generate.xsl  one mode per pattern, one template per rule (descending priorities give
                  ISO's first-matching-rule semantics), findings in the tpr: namespace.

  Output: the generated stylesheet, or <tpc:errors> when the schema is unusable, so that
  the Python side can report every problem at once with file:line:col.
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:sch="http://purl.oclc.org/dsdl/schematron"
    xmlns:tpc="https://teipress.dev/ns/schematron/compiler"
    exclude-result-prefixes="#all">

  <xsl:include href="common.xsl"/>
  <xsl:include href="expand.xsl"/>
  <xsl:include href="check.xsl"/>
  <xsl:include href="generate.xsl"/>

  <xsl:output method="xml" indent="yes" encoding="UTF-8"/>

  <xsl:template match="/">
    <xsl:variable name="expanded" as="document-node()">
      <xsl:document>
        <xsl:apply-templates select="node()" mode="expand"/>
      </xsl:document>
    </xsl:variable>
    <xsl:variable name="errors" as="element(tpc:error)*">
      <xsl:sequence select="$expanded//tpc:error"/>
      <xsl:apply-templates select="$expanded/sch:schema" mode="check"/>
    </xsl:variable>
    <xsl:choose>
      <xsl:when test="exists($errors)">
        <tpc:errors>
          <xsl:sequence select="$errors"/>
        </tpc:errors>
      </xsl:when>
      <xsl:otherwise>
        <xsl:apply-templates select="$expanded/sch:schema" mode="generate"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

</xsl:stylesheet>
