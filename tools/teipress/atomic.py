"""Write a file whole or not at all: a temporary file in the same folder, then a rename.

A reader (another build, a browser, a PDF viewer) sees the old file or the new one,
never half of one, and a write killed midway leaves the old file in place.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Replace *path* with *data* atomically; with *sync*, on disk before the rename.

    A cache file (``sync=False``) need not survive a power cut: one that cannot be
    read is a miss, and a rebuild writes some every time.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
