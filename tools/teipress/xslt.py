"""A locked-down XSLT 3.0 engine on saxonche, shared by every phase that transforms.

Three saxonche traps are handled here once, so no caller has to remember them:

* saxonche resolves only absolute paths: every path is resolved before use.
* A compiled stylesheet can read any file or URL (``doc()``, ``unparsed-text()``,
  ``collection()``) unless Saxon's ``allowedProtocols`` is restricted, and that
  restriction also blocks compiling (``xsl:import`` is a file read). So an
  engine compiles its whole, fixed set of stylesheets first and then locks its
  processor for good. Documents are handed to Saxon as text parsed by our
  secure loader, never by URI.
* Runtime errors raised inside a transform reach Python without their
  stylesheet line numbers; Saxon writes the located message to the native
  stderr. We capture file descriptor 2 around each call and attach what Saxon
  said to the exception.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from saxonche import PySaxonApiError, PySaxonProcessor

_ALLOWED_PROTOCOLS = "http://saxon.sf.net/feature/allowedProtocols"
_LOCATION = re.compile(r"on line (\d+)(?: column (\d+))? of ([^\s:]+)")
_fd_lock = threading.Lock()

ParamValue = Any  # a PyXdmValue or a Python str/int/bool/float


class XsltError(Exception):
    """A stylesheet failed to compile or run. ``details`` holds what Saxon reported."""

    def __init__(self, message: str, details: str = "", stylesheet: str | None = None,
                 line: int | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.details = details.strip()
        self.stylesheet = stylesheet
        self.line = line
        self.col = col

    def __str__(self) -> str:
        where = ""
        if self.stylesheet:
            where = f" ({self.stylesheet}" + (f":{self.line}" if self.line else "") + ")"
        text = super().__str__() + where
        if self.details and self.details not in text:
            text += "\n" + self.details
        return text


_capture: tuple[int, IO[bytes]] | None = None


def _capture_file() -> IO[bytes]:
    """This process's file for captured stderr: one per process (a forked child must not
    share its offset with the parent), reused for every call (a parse or transform per
    call, a dozen per document: a new temporary file each time cost 0.5 ms a document)."""
    global _capture
    if _capture is None or _capture[0] != os.getpid():
        _capture = (os.getpid(), tempfile.TemporaryFile(mode="w+b"))  # noqa: SIM115 (kept for the process)
    return _capture[1]


@contextlib.contextmanager
def _captured_stderr() -> Iterator[list[str]]:
    """Capture native writes to fd 2 (Saxon's located error messages)."""
    sink: list[str] = []
    with _fd_lock:
        tmp = _capture_file()
        tmp.seek(0)
        tmp.truncate()
        saved = os.dup(2)
        try:
            os.dup2(tmp.fileno(), 2)
            yield sink
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            sink.append(tmp.read().decode("utf-8", "replace"))


def _located(exc: Exception, captured: str, what: str) -> XsltError:
    text = (captured or "").strip()
    m = _LOCATION.search(text) or _LOCATION.search(str(exc))
    line = int(m.group(1)) if m else None
    col = int(m.group(2)) if m and m.group(2) else None
    sheet = m.group(3) if m else None
    message = str(exc).strip() or "XSLT error"
    return XsltError(f"{what}: {message}", text, sheet, line, col)


class XsltEngine:
    """One saxonche processor, a fixed set of compiled stylesheets, then locked.

    Create one per process (or per worker) and reuse it for every document:
    compiling is the expensive part.
    """

    def __init__(self, stylesheets: Mapping[str, Path], *, lock: bool = True) -> None:
        self._proc = PySaxonProcessor(license=False)
        compiler = self._proc.new_xslt30_processor()
        self._sheets: dict[str, Any] = {}
        for name, path in stylesheets.items():
            abs_path = str(Path(path).resolve())
            with _captured_stderr() as err:
                try:
                    self._sheets[name] = compiler.compile_stylesheet(stylesheet_file=abs_path)
                except PySaxonApiError as exc:
                    failure: Exception | None = exc
                else:
                    failure = None
            if failure is not None:
                raise _located(failure, "".join(err), f"cannot compile {abs_path}")
        if lock:
            self._proc.set_configuration_property(_ALLOWED_PROTOCOLS, "")

    @property
    def processor(self) -> PySaxonProcessor:
        return self._proc

    def parse(self, xml: bytes | str) -> Any:
        """Parse (already securely loaded) XML text into a Saxon node."""
        if isinstance(xml, bytes):
            try:
                text = xml.decode("utf-8-sig")
            except UnicodeDecodeError:  # another declared encoding (Latin-1, UTF-16, ...)
                from lxml import etree

                from teipress.load import secure_parser

                text = etree.tostring(etree.fromstring(xml, secure_parser()), encoding="unicode")
        else:
            text = xml
        text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1)
        with _captured_stderr() as err:
            try:
                return self._proc.parse_xml(xml_text=text)
            except PySaxonApiError as exc:
                failure: Exception = exc
        raise _located(failure, "".join(err), "cannot parse XML for XSLT")

    def _value(self, value: ParamValue) -> Any:
        if isinstance(value, bool):
            return self._proc.make_boolean_value(value)
        if isinstance(value, int):
            return self._proc.make_integer_value(value)
        if isinstance(value, float):
            return self._proc.make_double_value(value)
        if isinstance(value, str):
            return self._proc.make_string_value(value)
        return value

    def _prepare(self, name: str, params: Mapping[str, ParamValue] | None) -> Any:
        try:
            sheet = self._sheets[name]
        except KeyError:
            raise XsltError(f"no stylesheet named {name!r} in this engine") from None
        sheet.clear_parameters()
        for key, value in (params or {}).items():
            sheet.set_parameter(key, self._value(value))
        sheet.set_save_xsl_message(True, None)
        return sheet

    def transform(self, name: str, node: Any, params: Mapping[str, ParamValue] | None = None,
                  mode: str | None = None) -> str:
        """Apply stylesheet *name* to *node* (from :meth:`parse`) and return the serialised result."""
        sheet = self._prepare(name, params)
        with _captured_stderr() as err:
            try:
                if mode:
                    sheet.set_initial_mode(mode)
                sheet.set_global_context_item(xdm_item=node)
                result = sheet.apply_templates_returning_string(xdm_value=node)
            except PySaxonApiError as exc:
                failure: Exception = exc
            else:
                return str(result) if result is not None else ""
        raise _located(failure, "".join(err), f"stylesheet {name!r} failed")

    def call(self, name: str, template: str, params: Mapping[str, ParamValue] | None = None,
             context: Any = None) -> str:
        """Call named template *template* of stylesheet *name* and return the serialised result."""
        sheet = self._prepare(name, params)
        with _captured_stderr() as err:
            try:
                if context is not None:
                    sheet.set_global_context_item(xdm_item=context)
                result = sheet.call_template_returning_string(template)
            except PySaxonApiError as exc:
                failure: Exception = exc
            else:
                return str(result) if result is not None else ""
        raise _located(failure, "".join(err), f"stylesheet {name!r} failed")

    def messages(self, name: str) -> list[str]:
        """The ``xsl:message`` texts of the last run of stylesheet *name*."""
        value = self._sheets[name].get_xsl_messages()
        if value is None:
            return []
        return [str(item) for item in value]
