<?xml version="1.0" encoding="UTF-8"?>
<!--
  Stage 1, mode "expand": resolve ISO Schematron's two reuse mechanisms.

  * <sch:pattern is-a="A"> with <sch:param name="n" value="v"/> becomes a copy of the
    abstract pattern A, with $n replaced textually by v in every XPath-bearing attribute
    (context, test, select, path, value, subject): this is ISO's "macro" semantics, the
    substitution happens before any XPath is parsed.
  * <sch:extends rule="R"> becomes the content of the abstract rule R (its lets, asserts,
    reports, and in turn its own extends).
  * Abstract patterns and abstract rules are dropped: they only exist to be instantiated.

  Unresolvable references leave a tpc:error in the output for the check stage to collect.
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:map="http://www.w3.org/2005/xpath-functions/map"
    xmlns:sch="http://purl.oclc.org/dsdl/schematron"
    xmlns:tpl="https://teipress.dev/ns/schematron/location"
    xmlns:tpc="https://teipress.dev/ns/schematron/compiler"
    exclude-result-prefixes="#all">

  <xsl:key name="abstract-pattern" match="sch:pattern[@abstract = 'true']" use="string(@id)"/>
  <xsl:key name="abstract-rule" match="sch:rule[@abstract = 'true']" use="string(@id)"/>

  <xsl:template match="@* | node()" mode="expand">
    <xsl:copy>
      <xsl:apply-templates select="@* | node()" mode="expand"/>
    </xsl:copy>
  </xsl:template>

  <!-- XPath-bearing attributes of Schematron elements: substitute abstract-pattern params. -->
  <xsl:template match="sch:*/@context | sch:*/@test | sch:*/@select | sch:*/@path
                       | sch:let/@value | sch:*/@subject" mode="expand">
    <xsl:param name="params" as="map(xs:string, xs:string)" tunnel="yes" select="map{}"/>
    <xsl:attribute name="{name()}" select="tpc:subst(string(.), $params)"/>
  </xsl:template>

  <xsl:template match="sch:pattern[@abstract = 'true'] | sch:rule[@abstract = 'true']" mode="expand"/>

  <xsl:template match="sch:pattern[@is-a]" mode="expand">
    <xsl:variable name="instance" select="."/>
    <xsl:variable name="abstract" select="key('abstract-pattern', string(@is-a))"/>
    <xsl:choose>
      <xsl:when test="empty($abstract)">
        <xsl:sequence select="tpc:error(., 'pattern is-a=&quot;' || @is-a
            || '&quot; refers to no abstract pattern' || (if (//sch:pattern[not(@abstract = 'true')][@id = current()/@is-a])
              then ' (a pattern with that id exists, but it is not abstract=&quot;true&quot;)' else ''),
            'declare &lt;sch:pattern abstract=&quot;true&quot; id=&quot;' || @is-a
            || '&quot;&gt; in this schema, or correct the is-a value; abstract patterns: '
            || (string-join(//sch:pattern[@abstract = 'true']/@id, ', ')[.], '(none)')[1])"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:for-each select="sch:param[not(@name) or not(@value)]">
          <xsl:sequence select="tpc:error(., 'sch:param needs both @name and @value',
              'write &lt;sch:param name=&quot;element&quot; value=&quot;tei:p&quot;/&gt;')"/>
        </xsl:for-each>
        <xsl:variable name="params" as="map(xs:string, xs:string)"
            select="map:merge(sch:param[@name][@value] ! map{ string(@name): string(@value) },
                              map{ 'duplicates': 'use-last' })"/>
        <xsl:for-each select="$abstract[1]">
          <sch:pattern>
            <xsl:copy-of select="$instance/(@id, @role, @tpl:*), @* except (@id, @abstract, @role, @tpl:*)"/>
            <xsl:attribute name="tpc:instance-of" select="@id"/>
            <xsl:apply-templates select="node()" mode="expand">
              <xsl:with-param name="params" tunnel="yes" select="$params"/>
            </xsl:apply-templates>
          </sch:pattern>
        </xsl:for-each>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="sch:extends" mode="expand">
    <xsl:param name="seen" as="xs:string*" tunnel="yes" select="()"/>
    <xsl:variable name="target" select="key('abstract-rule', string(@rule))"/>
    <xsl:choose>
      <xsl:when test="@href">
        <xsl:sequence select="tpc:error(., 'sch:extends href=&quot;' || @href || '&quot; (an external rule) is not supported',
            'copy the rule into this schema as &lt;sch:rule abstract=&quot;true&quot; id=&quot;…&quot;&gt; and use extends rule=&quot;…&quot;')"/>
      </xsl:when>
      <xsl:when test="not(@rule)">
        <xsl:sequence select="tpc:error(., 'sch:extends has no @rule',
            'name the abstract rule to inline: &lt;sch:extends rule=&quot;id-of-abstract-rule&quot;/&gt;')"/>
      </xsl:when>
      <xsl:when test="empty($target)">
        <xsl:sequence select="tpc:error(., 'extends rule=&quot;' || @rule || '&quot; refers to no abstract rule'
            || (if (//sch:rule[not(@abstract = 'true')][@id = current()/@rule])
                then ' (a rule with that id exists, but it is not abstract=&quot;true&quot;)' else ''),
            'declare &lt;sch:rule abstract=&quot;true&quot; id=&quot;' || @rule
            || '&quot;&gt; in this schema, or correct the rule value; abstract rules: '
            || (string-join(//sch:rule[@abstract = 'true']/@id, ', ')[.], '(none)')[1])"/>
      </xsl:when>
      <xsl:when test="string(@rule) = $seen">
        <xsl:sequence select="tpc:error(., 'abstract rule &quot;' || @rule || '&quot; extends itself (through '
            || string-join($seen, ' → ') || ')', 'remove the circular sch:extends')"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:apply-templates select="$target[1]/(sch:let | sch:assert | sch:report | sch:extends)" mode="expand">
          <xsl:with-param name="seen" tunnel="yes" select="($seen, string(@rule))"/>
        </xsl:apply-templates>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

</xsl:stylesheet>
