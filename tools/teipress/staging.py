"""Staging folders and their atomic publication, for ``teipress build``.

A build assembles each format in a staging folder inside the output folder (same
filesystem) and swaps it in with one atomic directory exchange (Linux
``renameat2(RENAME_EXCHANGE)``; elsewhere two renames, and :func:`recover` at the
next start puts back what a kill interrupted). Killing a build at any moment leaves
``output/<format>`` as it was or as it is after, never half-written.

After the exchange the staging folder holds the previous edition. Rather than
removing it (tens of thousands of files), the build keeps it in the cache as the
format's *spare* (:func:`keep_spare`), and the next build starts its staging folder
from it (:func:`take_spare`): the files of documents that did not change since
are already there, and only the others are linked, written or swept away
(:func:`sweep`). A staging folder holds hard links to published files, so a file
is never written through (:func:`write_new` unlinks first).

What a build no longer needs (a staging folder of a killed build, a spare of another
edition, what ``--clean`` clears) is moved into the cache's trash (:func:`discard`)
and removed once the build has finished (:func:`empty_trash`), never while it writes:
removing tens of thousands of files beside a build that creates as many slowed it by
a tenth or more (see :func:`discard`).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import shutil
import subprocess
import time
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

from teipress.render import OutputFile, unsafe_relpath
from teipress.splice import Previous, Spans, join_into, signature

STAGING_PREFIX = ".teipress-staging-"



class StagingError(Exception):
    """A file could not be written where the build asked (a build error)."""


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@functools.cache
def libc() -> ctypes.CDLL | None:
    """The C library, loaded once (finding it runs ``ldconfig``); None where there is none."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name, use_errno=True)
    except OSError:
        return None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directories (Linux renameat2); False if unsupported."""
    fn = getattr(libc(), "renameat2", None)  # None: no C library, or no renameat2 in it
    if fn is None:
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc != 0:
        err = ctypes.get_errno()
        if err in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: filesystem can't exchange
            return False
        raise OSError(err, os.strerror(err), str(a))
    return True


def publish(staged: Path, target: Path) -> bool:
    """Make *staged* the new *target*, atomically where the OS allows; True if *staged*
    now holds the previous edition (exchanged), for :func:`keep_spare`."""
    if target.exists():
        if _exchange(staged, target):
            return True
        old = target.with_name(target.name + ".teipress-old")
        shutil.rmtree(old, ignore_errors=True)
        os.rename(target, old)
        os.rename(staged, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(staged, target)
    return False


def keep_spare(previous: Path, spare: Path, trash: Path) -> None:
    """Keep *previous* (an edition :func:`publish` swapped out) as the format's *spare*
    in the cache, for the next build's :func:`take_spare`; where it cannot be moved
    there (another filesystem), it is discarded."""
    try:
        spare.parent.mkdir(parents=True, exist_ok=True)
        os.rename(previous, spare)
    except OSError:
        discard(previous, trash)


def take_spare(spare: Path, staged: Path) -> set[str] | None:
    """Start the staging folder *staged* from the *spare* edition: the files it holds
    (relative paths), or None if there is no spare to take (*staged* is then not made).

    The spare holds an edition published before; what of it still belongs to the new
    one is the caller's to decide (see ``teipress.build``), and :func:`sweep` removes
    the rest. A build killed meanwhile leaves a staging folder, which the next one
    discards (:func:`recover`), never a spare of mixed editions.
    """
    try:
        os.rename(spare, staged)
    except OSError:  # none, or another filesystem
        return None
    return set(files_under(staged))


def files_under(folder: Path) -> Iterator[str]:
    """Relative paths (with ``/``) of the files below *folder*."""
    todo = [("", os.fspath(folder))]
    while todo:
        prefix, path = todo.pop()
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    todo.append((prefix + entry.name + "/", entry.path))
                else:
                    yield prefix + entry.name


def sweep(staged: Path, present: Collection[str], wanted: Collection[str]) -> int:
    """Remove the files of a spare (*present*) that are not part of the new edition
    (*wanted*): those of deleted documents, of pages no longer made, anything else
    found in the old folder. Returns how many were removed."""
    base = os.fspath(staged) + os.sep
    removed = 0
    for rel in present:
        if rel not in wanted:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(base + rel)
                removed += 1
    return removed


def _remove_now(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def discard(folder: Path, trash: Path) -> None:
    """Move *folder* (or a file) into *trash*, for :func:`empty_trash` to remove.

    Why not remove it here: it may be tens of thousands of files (a staging folder, a
    spare edition, what ``--clean`` clears; removing the Escher letters' edition took
    0.45 s), and removing files while the build creates as many slows the build down
    twice: the ``rm`` takes a share of the cores, and a file system without a journal
    (ext4 in ``nojournal`` mode, this project's CI machines) skips each inode freed in
    the last 5 s (305 s while its inode table block is dirty, which the build's new
    files make it) one by one when it allocates a new one, so every file the build
    wrote cost up to 0.5 ms instead of 0.02 ms. The Escher letters all rendered again
    (a stylesheet changed) took 36.8 s with the old spare removed meanwhile, 31.7 s
    with nothing to remove; ``--clean`` 43.7-57.1 s with the removal beside it, 39.6-44.1 s
    after (three runs each, interleaved). One rename (same file system); where that is
    impossible, *folder* is removed here.
    """
    if not _can_detach():
        _remove_now(folder)
        return
    try:
        trash.mkdir(parents=True, exist_ok=True)
        os.rename(folder, trash / f"{folder.name}-{time.time_ns()}")
    except OSError:  # another filesystem, or gone already
        _remove_now(folder)


def empty_trash(trash: Path) -> None:
    """Remove what is in the trash (see :func:`discard`) without waiting: a detached
    ``rm`` outlives the build. A build calls it once it has finished, whether it
    published or not; what a killed build left there goes with the next one's."""
    if trash.is_dir() and _can_detach():
        leftovers = list(trash.iterdir())
        if leftovers:
            _remove_detached(leftovers)


def _can_detach() -> bool:
    return os.name == "posix" and shutil.which("rm") is not None


def _remove_detached(paths: Sequence[Path]) -> None:
    # the shell exits at once; the rm it started is nobody's child to wait for
    subprocess.run(["sh", "-c", 'rm -rf -- "$@" >/dev/null 2>&1 &', "sh", *map(os.fspath, paths)],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def recover(out: Path, trash: Path) -> None:
    """Undo what an interrupted build left behind (staging folders, half-done swaps)."""
    if not out.is_dir():
        return
    for child in out.iterdir():
        if child.name.startswith(STAGING_PREFIX):
            discard(child, trash)
        elif child.name.endswith(".teipress-old"):
            live = child.with_name(child.name[: -len(".teipress-old")])
            if live.exists():
                shutil.rmtree(child, ignore_errors=True)
            else:  # killed between the two renames: put the previous edition back
                os.rename(child, live)


def write_new(path: Path | str, f: OutputFile | bytes, previous: Previous | None = None,
              folder: str = "") -> Spans | None:
    """Write a new file at *path*, never through an existing one.

    A staging folder holds hard links to the published files of unchanged documents:
    writing into one would change the published edition. The file is created with
    ``O_EXCL`` (which also refuses a symlink at the path); a file already there is
    unlinked first, a missing folder made. One system call in the common case: a
    build of a large edition writes tens of thousands of files.

    A joined file (:attr:`OutputFile.spans` set) is written by
    :func:`teipress.splice.join_into`, copying what it can from *previous*; its spans
    (parts relative to *folder*) are returned for the caller to keep beside it.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _attempt in range(3):
        try:
            fd = os.open(path, flags, 0o666)
            break
        except FileNotFoundError:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        except FileExistsError:
            os.unlink(path)
    else:
        raise StagingError(f"cannot create {path}")
    if isinstance(f, OutputFile) and f.spans:
        with open(fd, "wb") as out:
            parts = join_into(out, f.pieces(), folder, previous)
        return Spans(signature(os.stat(path)), parts)
    with open(fd, "wb") as out:
        for chunk in ((f,) if isinstance(f, bytes) else f.chunks()):
            out.write(chunk)
    return None


def safe_join(base: Path | str, relpath: str) -> str:
    """*relpath* inside *base*, checked on the names alone.

    Why no ``resolve()``: the folders written into are staging folders the build made
    itself, holding only folders it made and files it wrote or hard-linked (a link is
    a file, never a symlink), so there is no symlink to follow; resolving cost two
    ``realpath`` calls (a dozen ``lstat``) per file, 13 s of a 5,019-letter build.
    """
    base_s = os.path.normpath(os.fspath(base))
    target = os.path.normpath(os.path.join(base_s, relpath))
    if os.path.isabs(relpath) or not target.startswith(base_s + os.sep):
        raise StagingError(f"refusing to write outside the output folder: {relpath}")
    return target



def link_all(src_base: str, dst_base: str, rels: Sequence[str], linked: list[str]) -> bool:
    """Hard-link published files into staging (copy where links are impossible), adding
    each new path to *linked*; False, at the first file missing from the published
    folder (the caller removes what was linked and renders again).

    Plain ``os`` calls on strings, no separate existence check (the link says it), and
    a folder is created only when a link says it is missing: a no-op rebuild of a
    large edition links tens of thousands of files. The names come from the previous
    manifest, a file in the output folder: one that is absolute or climbs out (a
    manifest edited by hand) counts as missing, so nothing is linked from or to
    outside the two folders.
    """
    src_prefix, dst_prefix = src_base + os.sep, dst_base + os.sep
    for rel in rels:
        if unsafe_relpath(rel):
            return False
        src, dst = src_prefix + rel, dst_prefix + rel
        for _attempt in range(3):
            try:
                os.link(src, dst)
                break
            except FileNotFoundError:
                if not os.path.isfile(src):
                    return False
                os.makedirs(os.path.dirname(dst), exist_ok=True)
            except FileExistsError:
                os.unlink(dst)
            except OSError:  # no hard links here (another filesystem, FAT …)
                if not os.path.isfile(src):
                    return False
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copy2(src, dst)
                break
        linked.append(dst)
    return True
