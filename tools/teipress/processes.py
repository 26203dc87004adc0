"""How many worker processes a build runs, and the fork server they start from.

The build's render pool and its resolve process use multiprocessing's ``forkserver``
start method, so that a worker does not inherit the build's heap (see
:func:`teipress.build.workers.start_render_pool`). Left to itself, multiprocessing starts that
server when the first of them starts, with nothing imported but the command's
``__main__``: the first worker then waits for the server's interpreter to start, and
every worker imports the build, the formats and saxonche on its own (about 0.1 s)
before it compiles a stylesheet. After an editor's save the build's one render worker
starts on that path, and the edited letter waits for it.

:func:`start_fork_server` starts the server with those modules imported once in it
(:data:`PRELOAD`), so a worker forked from it begins with them imported; every pool
of the build gets its context from :func:`fork_server_context`, which starts it so if
it is not running. The build starts it as soon as it knows the corpus is large enough
for a pool (:func:`teipress.build.build`), so the imports run on the core the build's
own process is not using while it reads its caches. Not earlier: the server holds the
command's standard output and error, and a small build's caller reading them through
a pipe would wait for the server's imports to end. Nothing imported there starts a
thread or a Saxon processor (saxonche's module loads its library; each worker makes
its own processor), so forking the server stays safe.
"""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing import forkserver

#: modules a render worker or the resolve process imports first (the server skips one
#: that fails to import: the worker then reports the error itself)
PRELOAD = (
    "teipress.build",
    "teipress.render.html",
    "teipress.render.print_",
    "teipress.render.text",
    "saxonche",
)


def default_jobs() -> int:
    """Worker processes when ``--jobs`` is not given: the cores this process may run on."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def fork_server_context() -> multiprocessing.context.ForkServerContext:
    """multiprocessing's ``forkserver`` context, its server started with :data:`PRELOAD`
    (if no build started it earlier): what the build's pools start their workers with."""
    start_fork_server()
    return multiprocessing.get_context("forkserver")


def start_fork_server() -> None:
    """Start the fork server now with :data:`PRELOAD` imported in it. A server already
    running (a daemon's, or one an earlier build of this process started) is left as it is."""
    multiprocessing.get_context("forkserver")  # raises where the start method is missing
    forkserver.set_forkserver_preload(["__main__", *PRELOAD])
    forkserver.ensure_running()
