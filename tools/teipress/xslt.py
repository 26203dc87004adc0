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


#: Saxon's name of the unnamed mode: the initial mode again after a named one
_UNNAMED_MODE = "{http://www.w3.org/1999/XSL/Transform}unnamed"


class XsltNode:
    """XML handed to an engine's stylesheets (:meth:`XsltEngine.parse`).

    A Saxon node belongs to the processor that parsed it, and an engine may hold two
    processors (see :class:`XsltEngine`): the text is kept and parsed into a
    processor the first time one of its stylesheets reads it.
    """

    __slots__ = ("_nodes", "_xml")

    def __init__(self, xml: bytes | str) -> None:
        self._xml = xml
        self._nodes: dict[int, Any] = {}


class _Group:
    """Stylesheets compiled together in one saxonche processor, which is then locked."""

    def __init__(self, stylesheets: Mapping[str, Path]) -> None:
        self.paths = dict(stylesheets)
        self.proc: Any = None
        self.sheets: dict[str, Any] = {}
        #: stylesheets whose initial mode was last set to a named one
        self.moded: dict[str, bool] = {}

    def compile(self, lock: bool) -> None:
        self.proc = PySaxonProcessor(license=False)
        compiler = self.proc.new_xslt30_processor()
        for name, path in self.paths.items():
            abs_path = str(Path(path).resolve())
            with _captured_stderr() as err:
                try:
                    self.sheets[name] = compiler.compile_stylesheet(stylesheet_file=abs_path)
                except PySaxonApiError as exc:
                    failure: Exception | None = exc
                else:
                    failure = None
            if failure is not None:
                raise _located(failure, "".join(err), f"cannot compile {abs_path}")
        if lock:
            self.proc.set_configuration_property(_ALLOWED_PROTOCOLS, "")

    def parse(self, xml: bytes | str) -> Any:
        """*xml* (already securely loaded) as a node of this group's processor."""
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
                return self.proc.parse_xml(xml_text=text)
            except PySaxonApiError as exc:
                failure: Exception = exc
        raise _located(failure, "".join(err), "cannot parse XML for XSLT")


class XsltEngine:
    """A fixed set of compiled stylesheets on saxonche, locked once compiled.

    Create one per process (or per worker) and reuse it for every document:
    compiling is the expensive part. Stylesheets given as *later* are compiled the
    first time one of them is used, in a processor of their own (a processor cannot
    compile once it is locked): rendering one edited document needs only the
    per-document stylesheets (0.14 s to compile), not the edition pages' (0.45 s more
    for the three formats).
    """

    def __init__(self, stylesheets: Mapping[str, Path], *, lock: bool = True,
                 later: Mapping[str, Path] | None = None) -> None:
        self._lock = lock
        self._compiling = threading.Lock()
        first = _Group(stylesheets)
        first.compile(lock)
        self._groups = [first]
        self._group_of = {name: first for name in stylesheets}
        if later:
            second = _Group({k: v for k, v in later.items() if k not in self._group_of})
            self._groups.append(second)
            self._group_of.update({name: second for name in second.paths})

    def _group(self, name: str) -> _Group:
        try:
            group = self._group_of[name]
        except KeyError:
            raise XsltError(f"no stylesheet named {name!r} in this engine") from None
        if group.proc is None:
            with self._compiling:
                if group.proc is None:
                    group.compile(self._lock)
        return group

    def parse(self, xml: bytes | str) -> XsltNode:
        """XML (already securely loaded) for the stylesheets: parsed by Saxon when a
        stylesheet first reads it (a parse error is raised then)."""
        return XsltNode(xml)

    def _node(self, group: _Group, value: XsltNode) -> Any:
        node = value._nodes.get(id(group))
        if node is None:
            node = value._nodes[id(group)] = group.parse(value._xml)
            if len(value._nodes) == len(self._groups):  # parsed wherever it can be read
                value._xml = b""
        return node

    def _value(self, group: _Group, value: ParamValue) -> Any:
        proc = group.proc
        if isinstance(value, XsltNode):
            return self._node(group, value)
        if isinstance(value, bool):
            return proc.make_boolean_value(value)
        if isinstance(value, int):
            return proc.make_integer_value(value)
        if isinstance(value, float):
            return proc.make_double_value(value)
        if isinstance(value, str):
            return proc.make_string_value(value)
        return value

    def _prepare(self, name: str, params: Mapping[str, ParamValue] | None) -> tuple[_Group, Any]:
        group = self._group(name)
        sheet = group.sheets[name]
        sheet.clear_parameters()
        for key, value in (params or {}).items():
            sheet.set_parameter(key, self._value(group, value))
        sheet.set_save_xsl_message(True, None)
        return group, sheet

    def transform(self, name: str, node: XsltNode, params: Mapping[str, ParamValue] | None = None,
                  mode: str | None = None) -> str:
        """Apply stylesheet *name* to *node* (from :meth:`parse`) and return the serialised result."""
        group, sheet = self._prepare(name, params)
        item = self._node(group, node)
        with _captured_stderr() as err:
            try:
                # a compiled stylesheet keeps the initial mode it was given last
                if mode or group.moded.get(name):
                    sheet.set_initial_mode(mode or _UNNAMED_MODE)
                    group.moded[name] = bool(mode)
                sheet.set_global_context_item(xdm_item=item)
                result = sheet.apply_templates_returning_string(xdm_value=item)
            except PySaxonApiError as exc:
                failure: Exception = exc
            else:
                return str(result) if result is not None else ""
        raise _located(failure, "".join(err), f"stylesheet {name!r} failed")

    def call(self, name: str, template: str, params: Mapping[str, ParamValue] | None = None,
             context: XsltNode | None = None) -> str:
        """Call named template *template* of stylesheet *name* and return the serialised result."""
        group, sheet = self._prepare(name, params)
        item = self._node(group, context) if context is not None else None
        with _captured_stderr() as err:
            try:
                if item is not None:
                    sheet.set_global_context_item(xdm_item=item)
                result = sheet.call_template_returning_string(template)
            except PySaxonApiError as exc:
                failure: Exception = exc
            else:
                return str(result) if result is not None else ""
        raise _located(failure, "".join(err), f"stylesheet {name!r} failed")

    def messages(self, name: str) -> list[str]:
        """The ``xsl:message`` texts of the last run of stylesheet *name*."""
        value = self._group(name).sheets[name].get_xsl_messages()
        if value is None:
            return []
        return [str(item) for item in value]
