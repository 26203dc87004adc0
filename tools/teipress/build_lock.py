"""One build of a project at a time.

Two builds of one project at once (a command-line build while ``teipress serve``
rebuilds after a save, a build the daemon runs while another ``teipress build``
runs with ``--no-daemon``, two terminals) would share its caches and the spare
editions a build starts its staging folders from, and each would publish over the
other. A build therefore holds an exclusive lock on a file in the project's cache
folder from its first step to its last; a second build says whose build it waits
for and waits, as ``cargo`` does for its build folder.

The lock is an ``flock`` on an open file: the kernel releases it when the holder's
process ends however it ends (SIGKILL included), so a killed build never leaves a
stale lock behind. Where there is no ``flock`` (Windows), builds are not serialised.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on the platforms teipress is tested on
    fcntl = None  # type: ignore[assignment]

#: The lock file's name in the project's cache folder.
LOCK_NAME = "build.lock"


@contextlib.contextmanager
def exclusive_build(cache_dir: Path, waiting: Callable[[str], None]) -> Iterator[None]:
    """Hold the project's build lock for the block; when another build holds it, call
    *waiting* with a sentence saying so (its process id), then wait for it."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(cache_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting(f"waiting for another build of this project ({_holder(fd)}) to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> str:
    """Who holds the lock, as the file says (the process id its holder wrote)."""
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return f"process {text}" if text.isdigit() else "another process"
