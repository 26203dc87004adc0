<?xml version="1.0" encoding="UTF-8"?>
<!-- Shared by the compiler stages: source locations, error records, $param substitution. -->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:map="http://www.w3.org/2005/xpath-functions/map"
    xmlns:fn="http://www.w3.org/2005/xpath-functions"
    xmlns:sch="http://purl.oclc.org/dsdl/schematron"
    xmlns:tpl="https://teipress.dev/ns/schematron/location"
    xmlns:tpc="https://teipress.dev/ns/schematron/compiler"
    exclude-result-prefixes="#all">

  <!-- Source line of an element of the .sch (added by the Python pre-pass; 0 if unknown). -->
  <xsl:function name="tpc:line" as="xs:string">
    <xsl:param name="e" as="element()?"/>
    <xsl:sequence select="string(($e/@tpl:l, 0)[1])"/>
  </xsl:function>

  <xsl:function name="tpc:col" as="xs:string">
    <xsl:param name="e" as="element()?"/>
    <xsl:sequence select="string(($e/@tpl:c, 0)[1])"/>
  </xsl:function>

  <!-- The file an element came from: set on the root of every sch:include'd fragment. -->
  <xsl:function name="tpc:file" as="xs:string">
    <xsl:param name="e" as="element()?"/>
    <xsl:sequence select="string(($e/ancestor-or-self::*[@tpl:f][1]/@tpl:f, '')[1])"/>
  </xsl:function>

  <!-- One problem with the schema: where, what, and how to fix it. -->
  <xsl:function name="tpc:error" as="element(tpc:error)">
    <xsl:param name="at" as="element()?"/>
    <xsl:param name="message" as="xs:string"/>
    <xsl:param name="fix" as="xs:string"/>
    <tpc:error line="{tpc:line($at)}" col="{tpc:col($at)}" file="{tpc:file($at)}"
               message="{$message}" fix="{$fix}"/>
  </xsl:function>

  <!-- A short description of an element for messages: <sch:rule context="…">. -->
  <xsl:function name="tpc:describe" as="xs:string">
    <xsl:param name="e" as="element()"/>
    <xsl:sequence select="'&lt;' || name($e) || string-join(
        for $a in $e/(@id, @context, @is-a, @rule)[1] return ' ' || name($a) || '=&quot;' || $a || '&quot;', '')
        || '&gt;'"/>
  </xsl:function>

  <!-- ISO abstract patterns: replace every $name whose name is a parameter by its value.
       Variable names are matched whole (\i\c* is XML's name production), so $pre does not
       eat into $prefix; references to other variables are left alone. -->
  <xsl:function name="tpc:subst" as="xs:string">
    <xsl:param name="text" as="xs:string"/>
    <xsl:param name="params" as="map(xs:string, xs:string)"/>
    <xsl:sequence select="if (map:size($params) = 0 or not(contains($text, '$'))) then $text
        else string-join(
          for $part in analyze-string($text, '\$(\i\c*)')/*
          return
            if ($part/self::fn:match and map:contains($params, string($part/fn:group[@nr = 1])))
            then $params(string($part/fn:group[@nr = 1]))
            else string($part), '')"/>
  </xsl:function>

</xsl:stylesheet>
