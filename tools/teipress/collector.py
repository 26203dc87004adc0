"""How teipress uses Python's cyclic garbage collector, and gives freed memory back.

A build's processes hold hundreds of thousands of small objects at once: the
check results and extracts of every file, the corpus model, the findings (the
Escher letters: 85,000), the manifests' records, the register's index. CPython
collects reference cycles whenever enough objects were allocated, and each full
collection walks every object the process holds, so the collections grow with the
corpus. teipress makes almost no cycles (a full Escher build in one process with
the collector off left 6,158 objects of cyclic garbage), so:

* a command's process scans the whole heap rarely (:func:`tune_collector`,
  from ``cli.main``);
* the resolve process, a new interpreter holding the corpus model, runs with the
  collector paused (:func:`paused`): its CPU time for the Escher letters fell
  from 2.8-2.9 to 1.84 s (unpickling the extracts alone 0.70 -> 0.24 s), with the
  same peak memory and no cyclic garbage left. Made for the resolve alone, it runs
  without the collector from its start to its end (:func:`off`): resumed after the
  register was written, the collector's first young collection walked every object
  of the model, all allocated during the pause (the Escher letters: 0.15 s, while the
  build waited for the register).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

#: Young-generation collections between two full ones; Python's default is 10.
GC_FULL_THRESHOLD = 1000


def tune_collector() -> None:
    """Let the cyclic garbage collector scan the whole heap less often.

    In an Escher rebuild after an edit the command's process spent 0.37 s in the
    collector, 0.28 s of it in four full collections; with this, 0.05 s and none.
    What is loaded at start-up (the modules) is moved out of the collector's sight.
    Young objects are still collected as often as by default.
    """
    gc.freeze()
    young, older, _ = gc.get_threshold()
    gc.set_threshold(young, older, GC_FULL_THRESHOLD)


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No automatic cyclic collection inside the block (reference counting still
    frees everything else at once); the collector runs again after it, as before."""
    if not gc.isenabled():  # already paused, or turned off by the host program
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def off() -> None:
    """No automatic cyclic collection for the rest of this process: the initializer of a
    process made for one job over a large heap, which ends with it (the resolve
    process). :func:`paused` blocks inside it then leave the collector off."""
    gc.disable()


def give_back_memory() -> None:
    """Return the heap the check and resolve phases freed to the system.

    glibc keeps freed memory for reuse; the extracts' pickles (thousands of blocks of
    tens of KB) would otherwise stay counted to this process through the render phase.
    What was freed was freed by reference counting: a build makes almost no cycles
    (see above), and the full collection this made first freed nothing
    while walking the whole heap (a name tagged in an Escher letter, through the
    daemon: 0.10-0.21 s per call in the daemon, two calls a build, and 0.18 s in the
    resolve process; 0 objects freed each time).
    """
    from teipress.staging import libc

    trim = getattr(libc(), "malloc_trim", None)  # None: no C library, or not glibc
    if trim is not None:
        trim(0)
