"""teipress: a TEI-XML scholarly edition toolchain.

The pipeline runs in phases, one module each: ``load`` (secure parse, hashes) ->
``check`` (schema, Schematron) -> ``resolve`` (corpus register, note labels) ->
``render`` (XSLT 3.0 per format) -> ``report`` (diagnostics for humans and CI).
See ARCHITECTURE.md at the repository root.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("teipress")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
TP_NS = "https://teipress.dev/ns"
REGISTER_NS = "https://teipress.dev/ns/register"

__all__ = ["REGISTER_NS", "TEI_NS", "TP_NS", "XML_NS", "__version__"]
