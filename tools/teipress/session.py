"""What one long-running process keeps between builds (``teipress serve --watch``).

A command-line build starts from nothing: a pool of render workers that each
compile the stylesheets, a Saxon processor for the rules of the documents it
checks, and it reads back what the caches hold of the whole corpus. An editor's
server rebuilds after every save, and those costs are most of a rebuild after one
edit (Escher letters: 1.2-1.4 s a build without a session, 0.4-0.5 s with one). A
:class:`BuildSession` keeps them while they still fit: each is held under a key
of everything it was made from (stylesheets, configuration, rules, build date,
output folder), and a build whose key differs closes the old one and makes its
own. Of what the caches on disk hold, it keeps what the last build read of them
that can never go stale: check results and resolve findings are stored under
the hash of the content they are about, and the stat signatures of the sources
are compared with the files as they are now. The caches on disk stay the
record, so a build in a session produces exactly the files a command-line build
does.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BuildSession", "CheckMemory", "exit_on_signals"]


@dataclass
class CheckMemory:
    """What the last build read of one check cache (see teipress.check.cache.CheckCache)."""

    #: source path -> (stat signature, content hash)
    stats: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: content hash -> the file's cached results (a CachedFile)
    files: dict[str, Any] = field(default_factory=dict)


class BuildSession:
    """Render pool, document checker and cache reads kept from one build to the next
    (see the module doc)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._pool_key: Hashable = None
        self._checker: Any = None
        self._checker_key: Hashable = None
        self._check_memory: tuple[Hashable, CheckMemory] | None = None
        #: resolve findings buckets by name (a bucket is named by its content: teipress.resolve.memo)
        self.memo_buckets: dict[str, Any] = {}
        #: the findings made of them (teipress.resolve.memo.MadeFindings)
        self.memo_findings: dict[Any, Any] = {}
        #: the JSON of the findings of the last JSON summary (teipress.report.json_report.FindingsJson)
        self.findings_json: Any = None
        #: the manifests the session's builds wrote, by file signature (teipress.build.manifest.Manifest.write)
        self.manifests: dict[Any, Any] = {}
        #: builds that found their render pool (or checker) ready: for tests and the benchmark
        self.pools_reused = 0
        self.checkers_reused = 0

    def render_pool(self, key: Hashable, start: Callable[[], ProcessPoolExecutor]) -> ProcessPoolExecutor:
        """The pool made by *start* for *key*: the one kept if it was made for the same key."""
        if self._pool is not None and self._pool_key == key:
            self.pools_reused += 1
            return self._pool
        self.discard_pool()
        self._pool, self._pool_key = start(), key
        return self._pool

    def discard_pool(self) -> None:
        """Stop the kept pool: a build that failed in it (a worker died, a task was
        cancelled) leaves it in a state the next build should not inherit."""
        pool, self._pool, self._pool_key = self._pool, None, None
        if pool is not None:
            pool.shutdown(cancel_futures=True)

    def checker(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The checker *make* builds for *key* (schema, rules, options): the one kept if the same."""
        if self._checker is not None and self._checker_key == key:
            self.checkers_reused += 1
            return self._checker
        self._checker, self._checker_key = make(), key
        return self._checker

    def check_memory(self, key: Hashable) -> CheckMemory:
        """What the last build read of the check cache *key* (its file): nothing if another."""
        if self._check_memory is None or self._check_memory[0] != key:
            self._check_memory = (key, CheckMemory())
        return self._check_memory[1]

    def close(self) -> None:
        """Stop the render pool's workers and drop the checker."""
        self.discard_pool()
        self._checker = self._checker_key = None
        self._check_memory = None
        self.memo_buckets.clear()
        self.memo_findings.clear()
        self.findings_json = None
        self.manifests.clear()

    def __enter__(self) -> BuildSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def exit_on_signals(*signals: signal.Signals) -> Iterator[None]:
    """Within the block, *signals* raise SystemExit (status 128 + the signal's number).

    A long-running process that keeps a session (``serve --watch``, the build daemon),
    stopped by a service manager or a closing terminal, then leaves through its
    clean-up, which stops the session's render workers (they outlived a terminated
    server before). Handlers can only be set in the main thread; elsewhere (a daemon
    run in a thread by a test) nothing is set. The previous handlers come back after.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _exit) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _exit(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)
