"""What the build daemon and ``teipress build`` agree on: the socket, the messages,
and the key of what a daemon's builds depend on besides the project.

Imported by every ``teipress build`` before it knows whether a daemon runs, so it
imports nothing heavy: the point of a daemon is a command that does not pay the
build's start-up.

A message is one byte of kind, four bytes of length (big-endian) and the payload.
The client sends one request (a build, a status query or a stop). A build request
carries the client's standard output and standard error as file descriptors
(``SCM_RIGHTS``): the daemon's build writes to them as the command's own would (a
terminal stays a terminal, a 44 MB JSON summary goes straight into the file it is
redirected to), then sends the exit status.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import struct
import sys
from pathlib import Path
from typing import Any, BinaryIO

from teipress.paths import cache_dir

# client -> daemon
BUILD = b"B"  #: a build: JSON {"code", "environment", "display", "cwd", "params"}, with two descriptors
STATUS = b"S"  #: what the daemon is doing (JSON answer, kind INFO)
STOP = b"Q"  #: stop once the build in progress (if any) is done

# daemon -> client
EXIT = b"X"  #: the build's exit status (JSON int); the last message of a build
REFUSED = b"R"  #: the daemon will not build this (JSON {"reason"}): the client builds itself
INFO = b"I"  #: a status or stop answer (JSON object)

#: Environment variables a build reads (the register's ``built`` stamp): a daemon
#: builds only for clients whose values are its own.
BUILD_ENVIRONMENT = ("SOURCE_DATE_EPOCH",)
#: Environment variables that change only how the output looks; the client's are
#: applied to each build it asks for.
DISPLAY_ENVIRONMENT = ("NO_COLOR", "FORCE_COLOR")

#: Longest socket path the platforms take (``sun_path`` is 108 bytes on Linux, 104 on
#: macOS and the BSDs, both with the terminating NUL).
MAX_SOCKET_PATH = 103

_HEADER = struct.Struct(">cI")


class DaemonUnavailable(Exception):
    """No daemon can serve this project here: its socket's path would be too long, or the
    system has no Unix sockets that pass descriptors."""


def daemon_folder(root: Path) -> Path:
    """The daemon's folder in the project's cache (socket, log). ``teipress build
    --clean`` empties the cache but this folder: the daemon that runs the clean
    build keeps its socket."""
    return cache_dir(root) / "daemon"


#: Unix sockets that carry file descriptors (not on Windows)
SUPPORTED = hasattr(socket, "AF_UNIX") and hasattr(socket, "send_fds") and hasattr(os, "getuid")


def socket_path(root: Path) -> Path:
    """The socket of the daemon for the project at *root* (absolute).

    Raises :class:`DaemonUnavailable` when the path is longer than a Unix socket's
    name can be (a project that deep builds in process), or on a system without
    Unix sockets that carry file descriptors.
    """
    if not SUPPORTED:
        raise DaemonUnavailable("this system has no Unix sockets that pass file descriptors")
    path = daemon_folder(root.absolute()) / "socket"
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        raise DaemonUnavailable(f"{path}: too long for a Unix socket ({MAX_SOCKET_PATH} bytes at most)")
    return path


def code_key() -> str:
    """What a daemon cannot outlive: the teipress code it runs and the interpreter.

    The version and each source file's size and modification time: an upgrade, or an
    edit of an editable install, makes a running daemon stale. Stat signatures, not
    contents (``teipress.paths.code_version``, which the caches use): this runs at
    every ``teipress build``, and a file rewritten with the same size within the
    clock's resolution is not an upgrade.
    """
    from teipress import __version__

    h = hashlib.sha256(f"{__version__}\0{os.path.realpath(sys.executable)}".encode())
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for folder, subfolders, names in os.walk(package):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py"):
                st = os.stat(os.path.join(folder, name))
                h.update(f"\0{folder}/{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


def build_environment() -> dict[str, str | None]:
    """This process's values of :data:`BUILD_ENVIRONMENT`."""
    return {name: os.environ.get(name) for name in BUILD_ENVIRONMENT}


def frame(kind: bytes, payload: bytes = b"") -> bytes:
    """One message's bytes."""
    return _HEADER.pack(kind, len(payload)) + payload


def send(sock: socket.socket, kind: bytes, payload: bytes = b"") -> None:
    """Send one message."""
    sock.sendall(frame(kind, payload))


def send_with_fds(sock: socket.socket, kind: bytes, payload: bytes, fds: list[int]) -> None:
    """Send one message with file descriptors (duplicated into the receiving process)."""
    data = frame(kind, payload)
    sent = socket.send_fds(sock, [data], fds)
    if sent < len(data):
        sock.sendall(data[sent:])


def receive_with_fds(sock: socket.socket, max_fds: int = 2) -> tuple[bytes, bytes, list[int]] | None:
    """The next message from *sock* and the descriptors sent with it (kind, payload,
    fds), or None when the peer closed the connection. The receiver owns the fds."""
    data, fds, _flags, _addr = socket.recv_fds(sock, 1 << 16, max_fds)
    while len(data) < _HEADER.size or len(data) < _HEADER.size + _HEADER.unpack(data[:_HEADER.size])[1]:
        more = sock.recv(1 << 16)
        if not more:
            for fd in fds:
                os.close(fd)
            return None
        data += more
    kind, size = _HEADER.unpack(data[:_HEADER.size])
    return kind, data[_HEADER.size:_HEADER.size + size], fds


def send_json(sock: socket.socket, kind: bytes, value: Any) -> None:
    """Send one message whose payload is *value* as JSON."""
    send(sock, kind, json.dumps(value).encode())


def receive(stream: BinaryIO) -> tuple[bytes, bytes] | None:
    """The next message (kind, payload) from *stream*, or None when the peer closed
    the connection (between messages or in the middle of one)."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    kind, size = _HEADER.unpack(header)
    payload = stream.read(size) if size else b""
    if len(payload) < size:
        return None
    return kind, payload


def peer_uid(sock: socket.socket) -> int | None:
    """The user id of the process at the other end of *sock* (Linux), else None."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    creds = sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


def other_user(sock: socket.socket) -> int | None:
    """The user id at the other end of *sock* if it is not ours (the daemon answers no
    such client; a client sends its descriptors to no such daemon), else None."""
    uid = peer_uid(sock)
    return uid if uid is not None and uid != os.getuid() else None
