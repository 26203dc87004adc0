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
import sys
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from teipress.config import find_root
from teipress.daemon import protocol

if TYPE_CHECKING:
    from teipress.commands.build import BuildParams


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
        request = {
            "code": protocol.code_key(),
            "environment": protocol.build_environment(),
            "display": {name: os.environ.get(name) for name in protocol.DISPLAY_ENVIRONMENT},
            "cwd": os.getcwd(),
            "params": params.to_json(),
        }
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
