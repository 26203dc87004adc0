"""The build's render processes (:class:`RenderPool`): started on first need, or early
when work is ahead; one light worker after an edit, all of them when the register is
made again; kept by a session from one build to the next. Documents go to them in
batches, a bounded window ahead (:func:`streamed`)."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Protocol, TypeVar

from teipress.build.workers import Rendered, RenderTask, render_in_worker
from teipress.session import BuildSession

#: Rendering in a pool pays a compile per worker; below this many documents one process is faster.
POOL_THRESHOLD = 12

#: The most documents a render worker gets in one task (see :func:`batch_size`)
MAX_BATCH = 16

#: Tasks a worker gets at least, so that the last ones end close together
BATCHES_PER_WORKER = 8


def batch_size(documents: int, jobs: int) -> int:
    """How many documents go to a render worker in one task.

    A task is a round trip between processes: its pickles, two queues, a future, a
    result thread's wake-up; about 0.16 ms of this process's time for a document's
    task here, 0.8 s for the Escher letters, on a core the workers need. Batches of up
    to :data:`MAX_BATCH` documents pay it once per batch, while each worker still gets
    :data:`BATCHES_PER_WORKER` tasks or more, so that no worker is left with a long last
    batch while the others wait.
    """
    return max(1, min(MAX_BATCH, documents // (max(jobs, 1) * BATCHES_PER_WORKER)))


def streamed(pool: Submitter, tasks: Iterator[RenderTask], window: int, batch: int = 1
             ) -> Iterator[Rendered]:
    """Results of *tasks* in order, in batches of *batch* documents, keeping at most
    *window* batches submitted: the parent makes each task's register slice while the
    workers render the ones before it."""
    pending: deque[Future[list[Rendered]]] = deque()
    tasks = iter(tasks)
    while chunk := list(itertools.islice(tasks, batch)):
        pending.append(pool.submit(render_in_worker, chunk))
        if len(pending) >= window:
            yield from pending.popleft().result()
    while pending:
        yield from pending.popleft().result()


T = TypeVar("T")


class Submitter(Protocol):
    """What render tasks are submitted to: a process pool, or the build's pools (:class:`_Executors`)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]: ...


class _Executors:
    """The build's process pools as one: each task goes to the pool with the fewest
    tasks waiting per worker (see :meth:`RenderPool.get_light`)."""

    def __init__(self) -> None:
        self.pools: list[tuple[ProcessPoolExecutor, int]] = []
        self._waiting: list[int] = []
        self._lock = threading.Lock()

    def add(self, pool: ProcessPoolExecutor, workers: int) -> None:
        self.pools.append((pool, workers))
        self._waiting.append(0)

    @property
    def workers(self) -> int:
        """The workers of all the pools."""
        return sum(workers for _, workers in self.pools)

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        # counted with one pool too: tasks a light pool has waiting when it is widened
        # still weigh on it
        with self._lock:
            i = min(range(len(self.pools)), key=lambda n: self._waiting[n] / self.pools[n][1])
            self._waiting[i] += 1
        future = self.pools[i][0].submit(fn, *args, **kwargs)
        future.add_done_callback(lambda _: self._done(i))
        return future

    def _done(self, i: int) -> None:
        with self._lock:
            self._waiting[i] -= 1


def _warm(pool: ProcessPoolExecutor, workers: int) -> None:
    """Start *workers* of *pool* now. In a thread of its own: a submit that starts a
    worker waits for the forkserver to start (the first time) and fork it, 0.04-0.05 s
    the build's process would otherwise spend waiting after an edit."""
    try:
        for _ in range(workers):
            pool.submit(int)
    except RuntimeError:  # the build ended first (a failure): its pool was shut down
        pass


class RenderPool:
    """The build's render pool, started on first need (or early, see :func:`teipress.build.build`);
    with a session, the one it kept if made for the same *key* (see :mod:`teipress.session`)."""

    def __init__(self, start: Callable[[int], ProcessPoolExecutor], jobs: int, session: BuildSession | None = None,
                 key: Callable[[], Hashable] | None = None) -> None:
        self._start = start
        self.jobs = jobs
        self.session = session
        self._key = key
        self._executors: _Executors | None = None

    @property
    def pool(self) -> Submitter | None:
        """Where tasks go, once a pool is started."""
        return self._executors

    @property
    def workers(self) -> int:
        """Workers started so far (fewer than *jobs* after :meth:`get_light`)."""
        return self._executors.workers if self._executors is not None else 0

    def _add(self, workers: int, warm: int) -> None:
        def start() -> ProcessPoolExecutor:
            pool = self._start(workers)
            if warm:
                threading.Thread(target=_warm, args=(pool, warm), name="teipress-warm-up", daemon=True).start()
            return pool

        if self._executors is None:
            self._executors = _Executors()
        if self.session is not None and self._key is not None:
            self._executors.add(self.session.render_pool(self._key(), start), workers)
        else:
            self._executors.add(start(), workers)

    def get(self, warm: int = 0) -> Submitter:
        """The pool of *jobs* workers; with *warm*, that many workers are started now if it is
        new (a pool starts its workers as tasks arrive, and a worker compiles its
        stylesheets as it starts; a session's kept pool has them running). A light pool
        (:meth:`get_light`) gets its other workers now, started at once."""
        if self._executors is None:
            self._add(self.jobs, min(warm, self.jobs))
        elif self.workers < self.jobs:
            self._add(self.jobs - self.workers, self.jobs - self.workers)
        assert self._executors is not None
        return self._executors

    def get_light(self) -> Submitter:
        """A pool of one worker, started now, for an edit of a few files without a session.

        Two workers starting beside the build's own process took CPU from it on a
        machine of two cores (each imports teipress and compiles its stylesheets: about
        0.4 s of CPU), while a one-letter edit leaves one letter and a few joined files
        to make (Escher, without a daemon, six pairs: JSON summary 1.21 -> 1.13 s, text
        summary 1.02 -> 0.96 s). An edit that turns out to need more (the register made
        again, many documents to render) gets the other workers by :meth:`get`.
        """
        if self._executors is None:
            self._add(1, 1)
        assert self._executors is not None
        return self._executors

    def widen(self) -> None:
        """A light pool's other workers, started now: the work ahead turned out heavier
        (the register is made again, and with it edition pages that read all of it)."""
        if self._executors is not None:
            self.get()

    def shutdown(self, failed: bool = False) -> None:
        """Stop the workers, unless a session keeps them for its next build (a failed
        build's pool is not kept: a worker may have died, tasks may still be queued)."""
        if self._executors is None:
            return
        if self.session is not None:
            if failed:
                self.session.discard_pool()
        else:
            for pool, _ in self._executors.pools:
                pool.shutdown(cancel_futures=True)
