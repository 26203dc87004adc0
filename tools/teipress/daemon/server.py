"""The build daemon's loop: builds for ``teipress build`` in one kept session.

One daemon per project, listening on the socket in the project's cache folder
(:func:`teipress.daemon.protocol.socket_path`). Each connection is one request,
answered in a thread of its own; builds run one at a time (a second client waits
for the first, as two command-line builds of one output would), each in the
client's working directory with the client's display settings, writing to the
client's standard output and error (descriptors it sent with the request). The
session (:class:`~teipress.session.BuildSession`) keeps the render workers, the
checker and what the caches gave between builds.

The daemon ends when asked (``teipress daemon stop``: after the build in
progress), on SIGTERM or SIGINT, when it finds its own code changed on disk (an
upgrade, or an edit of an editable install: it is stale), or after *idle* seconds
without a request. A client of another installation of teipress builds in its own
process. A client that goes away mid-build does not stop the build: it finishes
and publishes (or not) as it would have; the edition is replaced atomically
either way.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from teipress.daemon import protocol
from teipress.session import BuildSession, exit_on_signals


class DaemonRunning(Exception):
    """Another daemon listens on the project's socket already."""


class _ClientFile(io.FileIO):
    """One of the client's standard streams. Once the client has gone (its pipe is
    broken), what the build writes is dropped: the build goes on and publishes as it
    would have (see the module doc), instead of stopping at its next progress line."""

    gone = False

    def write(self, data: Any) -> int:
        size = len(memoryview(data))
        if not self.gone:
            try:
                written = super().write(data)
                return size if written is None else written
            except OSError:
                self.gone = True
        return size


def client_stream(fd: int) -> TextIO:
    """A text stream writing to the client's descriptor *fd* (closed with the stream),
    line-buffered on a terminal, as Python opens its own standard streams."""
    raw = _ClientFile(fd, "w", closefd=True)
    return io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8", errors="backslashreplace",
                            line_buffering=raw.isatty())


@contextlib.contextmanager
def _as_client(request: dict[str, Any]) -> Iterator[None]:
    """The client's working directory and display variables for the time of its build."""
    before = {name: os.environ.get(name) for name in protocol.DISPLAY_ENVIRONMENT}
    cwd = os.getcwd()
    os.chdir(request["cwd"])
    _set_environment(request.get("display", {}))
    try:
        yield
    finally:
        os.chdir(cwd)
        _set_environment(before)


def _set_environment(values: dict[str, str | None]) -> None:
    for name in protocol.DISPLAY_ENVIRONMENT:
        value = values.get(name)
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


class Daemon:
    """The daemon of the project at *root* (see the module doc)."""

    def __init__(self, root: Path, idle: float | None = None) -> None:
        self.root = root.resolve()
        self.path = protocol.socket_path(self.root)
        self.idle = idle
        self.session = BuildSession()
        self.code = protocol.code_key()
        self.environment = protocol.build_environment()
        self.started = time.time()
        self.builds = 0
        self.building = False
        self.warming_up = False
        self.last = time.monotonic()
        self.stopping = threading.Event()
        self._build_lock = threading.Lock()
        self._sock: socket.socket | None = None

    # -- the socket ----------------------------------------------------------

    def bind(self) -> None:
        """Listen on the project's socket: readable and writable by this user only.

        A socket file nobody listens on (a daemon that was killed) is replaced; one a
        daemon answers on raises :class:`DaemonRunning`.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(self.path.parent, 0o700)
        if os.path.lexists(self.path):
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(os.fspath(self.path))
            except OSError:
                os.unlink(self.path)
            else:
                raise DaemonRunning(f"a build daemon already listens on {self.path}")
            finally:
                probe.close()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        mask = os.umask(0o177)
        try:
            sock.bind(os.fspath(self.path))
        finally:
            os.umask(mask)
        sock.listen(16)
        sock.settimeout(0.5)  # the loop looks at the clock and the stop flag between connections
        self._sock = sock
        self._inode = os.stat(self.path).st_ino
        _start_helpers()

    def serve(self, warm_up: dict[str, Any] | None = None) -> None:
        """Answer requests until stopped (see the module doc); then free everything.

        *warm_up*: a build request to run first (in a thread, while requests are
        accepted and wait for it), writing to the daemon's log: ``teipress build``
        starting a daemon after its own build hands it that build, so the daemon's
        first build for a client finds the workers started and the caches read, as
        later ones do.
        """
        assert self._sock is not None, "bind() first"
        if warm_up is not None:
            self.warming_up = True
            threading.Thread(target=self._warm_up, args=(warm_up,), daemon=True).start()
        try:
            with exit_on_signals(signal.SIGTERM, signal.SIGINT):
                self._accept()
        except SystemExit:
            _log("signalled; stopping")
        finally:
            self.close()

    def _accept(self) -> None:
        """Answer each connection in a thread until stopped or idle; then wait for the
        build in progress."""
        assert self._sock is not None
        while not self.stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                if self._idle_too_long():
                    _log("idle; stopping")
                    break
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()
        with self._build_lock:  # a stop request waits for the build in progress
            pass

    def close(self) -> None:
        """Stop listening, remove the socket (if it is still this daemon's), stop the workers."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            with contextlib.suppress(OSError):
                if os.stat(self.path).st_ino == self._inode:
                    os.unlink(self.path)
        self.session.close()

    def _idle_too_long(self) -> bool:
        return (self.idle is not None and not self.building
                and time.monotonic() - self.last > self.idle)

    # -- requests ------------------------------------------------------------

    def _answer(self, conn: socket.socket) -> None:
        fds: list[int] = []
        with conn:
            try:
                if protocol.other_user(conn) is not None:
                    return
                message = protocol.receive_with_fds(conn)
                if message is None:
                    return
                kind, payload, fds = message
                if kind == protocol.BUILD and len(fds) == 2:
                    self._build(conn, json.loads(payload), fds)
                    fds = []  # the build's streams own them now
                elif kind == protocol.STATUS:
                    protocol.send_json(conn, protocol.INFO, self.status())
                elif kind == protocol.STOP:
                    self.stopping.set()
                    protocol.send_json(conn, protocol.INFO, {"stopping": True, "pid": os.getpid()})
            except OSError:
                pass  # the client went away
            finally:
                for fd in fds:
                    os.close(fd)

    def status(self) -> dict[str, Any]:
        """What ``teipress daemon status`` shows."""
        return {"pid": os.getpid(), "root": os.fspath(self.root), "socket": os.fspath(self.path),
                "since": self.started, "builds": self.builds, "building": self.building, "warming_up": self.warming_up,
                "idle_seconds": round(time.monotonic() - self.last, 1), "idle_limit": self.idle,
                "rss_mib": _rss_mib()}

    def _build(self, conn: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
        """Build for *request*, writing to the client's standard output and error (*fds*,
        closed here), and send the exit status."""
        out, err = client_stream(fds[0]), client_stream(fds[1])
        try:
            self._build_into(conn, request, out, err)
        finally:
            for stream in (out, err):
                with contextlib.suppress(OSError, ValueError):  # a client gone: its pipe is broken
                    stream.close()

    def _build_into(self, conn: socket.socket, request: dict[str, Any], out: TextIO, err: TextIO) -> None:
        if protocol.code_key() != self.code:  # upgraded or edited since it started: stale
            protocol.send_json(conn, protocol.REFUSED,
                               {"reason": "its teipress code changed since it started; it stops"})
            self.stopping.set()
            return
        if request.get("code") != self.code:  # another installation's client
            protocol.send_json(conn, protocol.REFUSED, {"reason": "it runs another installation of teipress"})
            return
        if request.get("environment") != self.environment:
            differ = sorted(k for k, v in self.environment.items() if request["environment"].get(k) != v)
            protocol.send_json(conn, protocol.REFUSED,
                               {"reason": f"it was started with other values of {', '.join(differ)}"})
            return
        started = time.perf_counter()
        code = self._one_build(request, out, err)
        if code is None:
            protocol.send_json(conn, protocol.REFUSED, {"reason": "it is stopping"})
            return
        self.builds += 1
        _log(f"build {self.builds}: exit {code} in {time.perf_counter() - started:.2f} s")
        protocol.send_json(conn, protocol.EXIT, code)

    def _warm_up(self, request: dict[str, Any]) -> None:
        """Run the build that started the daemon again, its output discarded: the summary
        of a corpus's findings (a JSON summary of the Escher letters: 44 MB) is no log
        line, and the session keeps what the next build of the same kind reuses (the
        findings' JSON with a JSON summary)."""
        try:
            if self._accepts(request):
                started = time.perf_counter()
                with open(os.devnull, "w", encoding="utf-8") as sink:
                    code = self._one_build(request, sink, sink)
                _log(f"warm-up build: exit {code} in {time.perf_counter() - started:.2f} s")
        finally:
            self.warming_up = False

    def _one_build(self, request: dict[str, Any], out: TextIO, err: TextIO) -> int | None:
        """*request*'s build, once the one in progress is done: its exit status, or None
        when the daemon is stopping."""
        with self._build_lock:
            if self.stopping.is_set():
                return None
            self.building = True
            try:
                return self._run(request, out, err)
            finally:
                self.building = False
                self.last = time.monotonic()

    def _accepts(self, request: dict[str, Any]) -> bool:
        """Whether *request* is for this daemon's code and build environment."""
        return request.get("code") == self.code and request.get("environment") == self.environment

    def _run(self, request: dict[str, Any], out: TextIO, err: TextIO) -> int:
        from teipress.commands.build import BuildParams, run_build

        try:
            with _as_client(request), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    return run_build(BuildParams.from_json(request["params"]), self.session, daemon=True)
                except Exception:  # a bug: the client sees the traceback, the next build a fresh pool
                    self.session.discard_pool()
                    with contextlib.suppress(OSError, ValueError):
                        traceback.print_exc()
                    return 1
        finally:
            for stream in (out, err):
                with contextlib.suppress(OSError, ValueError):
                    stream.flush()


def _log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} teipress daemon {os.getpid()}: {message}",
          file=sys.__stderr__, flush=True)


def _rss_mib() -> float:
    """This process's resident memory (Linux), 0 elsewhere."""
    try:
        with open("/proc/self/statm") as f:
            return round(int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    except (OSError, ValueError, IndexError):
        return 0.0


def _start_helpers() -> None:
    """Start multiprocessing's fork server and resource tracker now, with the daemon's own
    standard error: started by a build, they would keep the client's (the resource
    tracker is handed ``sys.stderr``'s descriptor), and a client reading its output
    through a pipe would wait for that pipe's end for ever."""
    from multiprocessing import resource_tracker

    from teipress.processes import start_fork_server

    resource_tracker.ensure_running()
    start_fork_server()
