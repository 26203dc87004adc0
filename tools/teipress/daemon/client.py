"""``teipress build``'s side of the daemon: hand the build over, or say to build here.

Runs before anything of the build is imported. When the project has no daemon (no
socket, or one nobody listens on: a daemon that was killed), the answer comes from
one ``stat`` or one refused connection, and the command builds in its own process
as it always did. When the daemon cannot serve this build (its code changed on
disk, it runs another installation of teipress, or another value of an
environment variable builds read) or stops in the middle, the command says so and
builds itself: a build through a daemon is never the only way to get one.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from teipress.config import DAEMON_MODES, find_root
from teipress.daemon import protocol

if TYPE_CHECKING:
    from teipress.commands.build import BuildParams

#: A build of at least this many documents starts the project's daemon (mode "auto"):
#: below it, a command-line rebuild after an edit is quick without one.
AUTO_MIN_DOCUMENTS = 100
#: Minutes without a build after which a daemon stops by itself (``--idle-timeout``).
IDLE_MINUTES = 180.0


def forward(params: BuildParams) -> int | None:
    """Run the build *params* describe in the project's daemon, which writes to this
    process's standard output and error as the command would; its exit status, or
    None when this process should build itself (a note on standard error says why
    if a daemon was there; one that died mid-build may have written part of its
    output before)."""
    try:
        fds = [sys.stdout.fileno(), sys.stderr.fileno()]
    except (AttributeError, OSError, ValueError):  # streams without a descriptor (a test's capture)
        return None
    sock = connect(project_root(params.config_file))
    if sock is None:
        return None
    with sock:
        request = request_for(params)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        try:
            protocol.send_with_fds(sock, protocol.BUILD, json.dumps(request).encode(), fds)
        except OSError:
            return None  # it stopped between accepting and reading
        return _wait(sock.makefile("rb"))


def project_root(config_file: Path | None) -> Path:
    """The folder of the project a command works on: its configuration file's, or the
    one found upward from the working directory (what ``load_config`` takes)."""
    return config_file.resolve().parent if config_file is not None else find_root()[0]


def connect(root: Path) -> socket.socket | None:
    """A connection to the daemon of the project at *root*, or None when none listens."""
    try:
        path = protocol.socket_path(root)
    except protocol.DaemonUnavailable:
        return None
    if not os.path.exists(path):
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(os.fspath(path))
        # a socket another user put there (a shared project folder) gets no descriptors
        uid = protocol.other_user(sock)
        if uid is not None:
            print(f"teipress: {path} is served by another user (uid {uid}); not using it", file=sys.stderr)
            sock.close()
            return None
    except OSError:  # refused: a daemon that was killed left its socket
        sock.close()
        return None
    return sock


def _wait(stream: BinaryIO) -> int | None:
    """The build's exit status, once the daemon has written everything it prints."""
    message = protocol.receive(stream)
    if message is not None and message[0] == protocol.EXIT:
        return int(json.loads(message[1]))
    if message is not None and message[0] == protocol.REFUSED:
        reason = json.loads(message[1]).get("reason", "")
        print(f"teipress: the build daemon cannot build this ({reason}); building in this process",
              file=sys.stderr)
        return None
    print("teipress: the build daemon stopped before the build ended; building in this process",
          file=sys.stderr)
    return None


def request_for(params: BuildParams) -> dict[str, object]:
    """The build request for *params* as this process would send it."""
    return {
        "code": protocol.code_key(),
        "environment": protocol.build_environment(),
        "display": {name: os.environ.get(name) for name in protocol.DISPLAY_ENVIRONMENT},
        "cwd": os.getcwd(),
        "params": params.to_json(),
    }


def spawn(root: Path, idle_minutes: float, warm_up: dict[str, object] | None = None) -> subprocess.Popen[bytes]:
    """Start the daemon of the project at *root* in the background, detached from this
    process (its own session; output to the log in its folder); *warm_up*: a build
    request it runs first, quietly, so that the next build finds its workers and what
    the caches hold ready. Raises :class:`~teipress.daemon.protocol.DaemonUnavailable`
    where no daemon can serve the project."""
    folder = protocol.socket_path(root).parent
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    cmd = [sys.executable, "-m", "teipress", "daemon", "run", "--root", os.fspath(root),
           "--idle-timeout", str(idle_minutes)]
    if warm_up is not None:
        cmd += ["--warm-up", json.dumps(warm_up)]
    with open(folder / "log", "ab") as sink:
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink,
                                start_new_session=True, close_fds=True)


def autostart_mode(config_mode: str, environ: Mapping[str, str]) -> str:
    """The daemon mode in force: TEIPRESS_DAEMON when it is set to a mode, else the
    configuration's ``daemon``."""
    value = environ.get("TEIPRESS_DAEMON", "").strip().lower()
    return value if value in DAEMON_MODES else config_mode


def should_autostart(mode: str, documents: int, environ: Mapping[str, str]) -> bool:
    """Whether a command-line build of *documents* documents starts the project's daemon:
    "always"; never with "never"; with "auto", for a corpus of at least
    AUTO_MIN_DOCUMENTS documents, and not in continuous integration (``CI`` set, as
    every CI service sets it: each job starts from a clean machine and builds once)."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    in_ci = environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    return documents >= AUTO_MIN_DOCUMENTS and not in_ci


def autostart(root: Path, params: BuildParams, mode: str, documents: int) -> int | None:
    """After a command-line build of *documents* documents: start the project's daemon
    when :func:`should_autostart` says so and none runs, with that build as its warm-up;
    the new daemon's process id, or None."""
    if not should_autostart(mode, documents, os.environ):
        return None
    sock = connect(root)
    if sock is not None:  # one runs already (started since, or refused this build)
        sock.close()
        return None
    # the same kind of summary (discarded): a JSON one leaves the findings' JSON in the
    # session for the next JSON build, which then encodes the edited files' findings only
    # (the Escher letters: 90,000 findings, 0.2-0.3 s for the first edit after a text warm-up)
    warm = request_for(params.canonical()._replace(clean=False, quiet=True))
    try:
        return spawn(root, IDLE_MINUTES, warm).pid
    except (protocol.DaemonUnavailable, OSError):
        return None
