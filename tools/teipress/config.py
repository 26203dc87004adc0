"""Project configuration: ``[tool.teipress]`` in pyproject.toml, or ``teipress.toml``.

The project root is the nearest folder upward from the working directory that
has a ``teipress.toml`` or a pyproject.toml with a ``[tool.teipress]`` table.
Command-line flags override what is read here; the CLI does that merge.
"""

from __future__ import annotations

import glob
import os
import re
import tomllib
from dataclasses import dataclass, field
from fnmatch import fnmatch, translate
from pathlib import Path
from typing import Any

#: Values of the ``daemon`` key (and of the TEIPRESS_DAEMON environment variable).
DAEMON_MODES = ("auto", "always", "never")


class ConfigError(Exception):
    """The configuration is unusable (exit code 2)."""


@dataclass
class EditionInfo:
    """Bibliographic facts about the edition as a whole (title page, imprint, citations)."""

    title: str = "Untitled edition"
    subtitle: str = ""
    editors: list[str] = field(default_factory=list)
    publisher: str = ""
    place: str = ""
    year: str = ""
    licence: str = ""
    licence_url: str = ""
    base_url: str = ""
    version: str = ""


@dataclass
class Config:
    """Everything a run needs to know about the project, with paths resolved."""

    root: Path
    sources: list[str] = field(default_factory=lambda: ["tei/*.xml"])
    authorities: list[str] = field(default_factory=list)
    schema: str = "project"
    schema_engine: str = "auto"
    rules: list[str] = field(default_factory=list)
    use_project_rules: bool = True
    ignore: dict[str, list[str]] = field(default_factory=dict)
    output: str = "output"
    id_scope: str = "corpus"
    #: whether ``teipress build`` starts the project's build daemon: "auto", "always", "never"
    #: (teipress.daemon.client.autostart)
    daemon: str = "auto"
    keys: dict[str, str] = field(default_factory=dict)
    edition: EditionInfo = field(default_factory=EditionInfo)
    source_file: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    def _glob(self, patterns: list[str]) -> list[Path]:
        """Files matching *patterns* (relative to the root or absolute), canonical, each once.

        Canonical paths are what every cache and manifest is keyed on; they are
        made with one ``realpath`` per folder (plus one per symlinked file), not
        one per file: a 5,000-letter corpus is listed on every (re)build.
        """
        found: dict[Path, None] = {}
        folders: dict[str, tuple[Path, dict[str, Path], dict[str, Path]]] = {}
        for pattern in patterns:
            full = pattern if os.path.isabs(pattern) else os.path.join(str(self.root), pattern)
            for m, is_link in _matches(full):
                if is_link:
                    found[Path(os.path.realpath(m))] = None
                    continue
                head, tail = os.path.split(m)
                folder = folders.get(head)
                if folder is None:
                    real = Path(os.path.realpath(head))
                    folder = folders[head] = (real, _LISTED.get(real, {}), {})
                real, before, now = folder
                path = before.get(tail)
                if path is None:  # a child of a made Path: half the cost of Path(folder, name)
                    path = real / tail
                now[tail] = path
                found[path] = None
        for real, _, now in folders.values():
            if len(_LISTED) >= 64:
                _LISTED.clear()
            _LISTED[real] = now
        return list(found)

    def authority_files(self) -> list[Path]:
        return self._glob(self.authorities)

    def source_files(self) -> list[Path]:
        """Document files (sources minus authority files), sorted, each once."""
        auth = set(self.authority_files())
        return [p for p in self._glob(self.sources) if p not in auth]

    def output_dir(self) -> Path:
        out = Path(self.output)
        return out if out.is_absolute() else (self.root / out)

    def ignored(self, display_path: str, code: str) -> bool:
        """True when *code* is ignored for *display_path* by a per-path ignore."""
        for pattern, codes in self.ignore.items():
            if fnmatch(display_path, pattern) and any(
                code == c or (c.endswith("*") and code.startswith(c[:-1])) for c in codes
            ):
                return True
        return False


#: The Path of every file a folder listed last time (folder -> name -> Path), given out
#: again by the next listing (``serve --watch`` lists the corpus on every save): a Path
#: object computes its hash on first use, and a build hashes each source's path tens of
#: times in dictionaries (0.02-0.04 s of each Escher rebuild for new objects).
_LISTED: dict[Path, dict[str, Path]] = {}


def _matches(pattern: str) -> list[tuple[str, bool]]:
    """The files *pattern* matches, sorted, each with whether it is a symlink.

    A pattern with wildcards in its last step only (``data/briefe/*.xml``, the common
    case) is matched against one folder's entries, whose types the folder listing
    gives: ``glob`` plus a test per match cost two system calls per file (a 5,000-letter
    corpus is listed on every rebuild). Anything else goes through ``glob``. Both skip
    hidden files unless the pattern names them.
    """
    head, tail = os.path.split(pattern)
    if not glob.has_magic(head) and "**" not in tail:
        if not glob.has_magic(tail):
            return [(pattern, os.path.islink(pattern))] if os.path.isfile(pattern) else []
        hidden = tail.startswith(".")
        matches = re.compile(translate(os.path.normcase(tail))).match  # fnmatch's test, compiled once
        try:
            with os.scandir(head or ".") as entries:
                return sorted((os.path.join(head, e.name), e.is_symlink()) for e in entries
                              if (hidden or not e.name.startswith(".")) and matches(os.path.normcase(e.name))
                              and e.is_file())
        except OSError:  # no such folder, or not readable
            return []
    return [(m, os.path.islink(m)) for m in sorted(glob.glob(pattern, recursive=True)) if os.path.isfile(m)]


def find_root(start: Path | None = None) -> tuple[Path, Path | None]:
    """Return ``(root, config_file)``; the start folder itself if no configuration is found."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        toml = folder / "teipress.toml"
        if toml.is_file():
            return folder, toml
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text("utf-8"))
            except (OSError, tomllib.TOMLDecodeError):
                continue
            if "teipress" in data.get("tool", {}):
                return folder, pyproject
    return here, None


def _str_list(table: dict[str, Any], key: str, where: str) -> list[str] | None:
    if key not in table:
        return None
    value = table[key]
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{where}: '{key}' must be a string or a list of strings")


def load_config(start: Path | None = None, config_file: Path | None = None) -> Config:
    """Read the project configuration (or defaults when there is none)."""
    if config_file is not None:
        config_file = config_file.resolve()
        root = config_file.parent
    else:
        root, config_file = find_root(start)
    table: dict[str, Any] = {}
    if config_file is not None:
        try:
            data = tomllib.loads(config_file.read_text("utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"configuration file not found: {config_file}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_file}: invalid TOML: {exc}") from exc
        table = data.get("tool", {}).get("teipress", {}) if config_file.name == "pyproject.toml" \
            else data.get("tool", {}).get("teipress", data)
    where = str(config_file or "defaults")
    cfg = Config(root=root, source_file=config_file, raw=table)
    for key in ("sources", "authorities", "rules"):
        value = _str_list(table, key, where)
        if value is not None:
            setattr(cfg, key, value)
    if "schema" in table:
        if not isinstance(table["schema"], str):
            raise ConfigError(f"{where}: 'schema' must be a string ('project', 'tei-all', 'none' or a path)")
        cfg.schema = table["schema"]
    if "schema-engine" in table:
        cfg.schema_engine = str(table["schema-engine"])
    if "project-rules" in table:
        cfg.use_project_rules = bool(table["project-rules"])
    if "output" in table:
        cfg.output = str(table["output"])
    if "id-scope" in table:
        if table["id-scope"] not in ("corpus", "document"):
            raise ConfigError(f"{where}: 'id-scope' must be \"corpus\" or \"document\"")
        cfg.id_scope = str(table["id-scope"])
    if "daemon" in table:
        if table["daemon"] not in DAEMON_MODES:
            raise ConfigError(f"{where}: 'daemon' must be one of {', '.join(map(repr, DAEMON_MODES))}")
        cfg.daemon = str(table["daemon"])
    ignore = table.get("ignore", {})
    if not isinstance(ignore, dict):
        raise ConfigError(f"{where}: 'ignore' must be a table of glob = [codes]")
    for pattern, codes in ignore.items():
        lst = _str_list({"c": codes}, "c", f"{where} ignore.{pattern}")
        cfg.ignore[pattern] = lst or []
    keys = table.get("keys", {})
    if not isinstance(keys, dict) or not all(isinstance(v, str) for v in keys.values()):
        raise ConfigError(f"{where}: 'keys' must be a table of element = \"authority attribute\"")
    cfg.keys = dict(keys)
    ed = table.get("edition", {})
    if not isinstance(ed, dict):
        raise ConfigError(f"{where}: 'edition' must be a table")
    info = EditionInfo()
    for k, v in ed.items():
        attr = k.replace("-", "_")
        if not hasattr(info, attr):
            raise ConfigError(f"{where}: unknown key edition.{k}")
        setattr(info, attr, list(v) if attr == "editors" else str(v))
    cfg.edition = info
    return cfg
