"""teipress: a TEI-XML scholarly edition toolchain.

The pipeline runs in phases, one module each: ``load`` (secure parse, hashes) ->
``check`` (schema, Schematron) -> ``resolve`` (corpus register, note labels) ->
``render`` (XSLT 3.0 per format) -> ``report`` (diagnostics for humans and CI).
See ARCHITECTURE.md at the repository root.
"""

#: The package version (pyproject.toml reads it from here). A literal, not
#: ``importlib.metadata``: importing that and scanning the installed distributions cost
#: every command 40-50 ms of start-up.
__version__ = "0.1.0"

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
TP_NS = "https://teipress.dev/ns"
REGISTER_NS = "https://teipress.dev/ns/register"

__all__ = ["REGISTER_NS", "TEI_NS", "TP_NS", "XML_NS", "__version__"]
