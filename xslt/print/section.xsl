<?xml version="1.0" encoding="UTF-8"?>
<!--
  teipress print edition: one document's section serialised as the book holds it.

  Called (named template tpp:section) once per document with $parts, the section made by
  document.xsl and prepared by the Python side (<parts><section class="document" …/></parts>).
  The output declaration is the book's (edition.xsl): the sections are joined into the
  book's frame as strings, so each must be serialised exactly as the book would be.
  A stylesheet of its own, not a template of edition.xsl: rendering a document then
  needs only the per-document stylesheets compiled (see teipress.xslt.XsltEngine). The
  build serialises sections with libxml2, which writes the same HTML in a tenth of the
  time; this stylesheet serialises those with links libxml2 would write otherwise, and
  is what tests/test_print_sections.py compares libxml2's output with.
-->
<xsl:stylesheet version="3.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:tpp="https://teipress.dev/ns/print"
    exclude-result-prefixes="#all">

  <xsl:output method="html" html-version="5" encoding="UTF-8" indent="no"/>

  <xsl:param name="parts" as="document-node()?" select="()"/>

  <xsl:template name="tpp:section">
    <xsl:copy-of select="$parts/parts/node()"/>
  </xsl:template>

</xsl:stylesheet>
