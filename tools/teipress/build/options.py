"""What ``teipress build`` is asked to do (:class:`BuildOptions`), and the errors that stop
a build with a message for the user instead of a traceback (:data:`STOPPING_ERRORS`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from teipress.check.runner import CheckOptions
from teipress.check.schema import SchemaError
from teipress.check.schematron import SchematronError
from teipress.config import ConfigError
from teipress.staging import StagingError


class BuildError(Exception):
    """The build could not be completed; nothing was published."""


#: What stops a build with a message for the user (the configuration, a schema or rule
#: file that cannot be used, the output folder, the build itself) rather than a
#: traceback: every command that builds catches these
STOPPING_ERRORS: tuple[type[Exception], ...] = (ConfigError, SchemaError, SchematronError, BuildError, StagingError)


@dataclass
class BuildOptions:
    """What ``teipress build`` was asked to do."""

    formats: list[str]
    out: Path
    jobs: int = 0
    force: bool = False
    clean: bool = False
    check: CheckOptions = field(default_factory=CheckOptions)
    #: resolve in a process of its own (None: for RESOLVE_APART documents or more, with jobs > 1)
    resolve_apart: bool | None = None
    #: the most findings per rule code the build's report will show (0: it lists every
    #: finding). With at most ``memo.HEAD``, a rebuild that reuses the resolve memo does
    #: not read the cross-reference findings of the files an edit left alone: it counts
    #: them and shows their first ones from the memo's summaries (RunResult.deferred).
    report_per_code: int = 0
    #: the report is the JSON summary (:meth:`BuildResult.to_json`): those findings are
    #: deferred too, their JSON joined from what the memo kept of it
    report_json: bool = False
