"""What one long-running process keeps between builds (``teipress serve --watch``).

A command-line build starts from nothing: a pool of render workers that each
compile the stylesheets, a Saxon processor for the rules of the documents it
checks. An editor's server rebuilds after every save, and those start-up costs
are most of a rebuild after one edit (Escher letters: about a third of it). A
:class:`BuildSession` keeps them while they still fit: each is held under a key
of everything it was made from (stylesheets, configuration, rules, build date,
output folder), and a build whose key differs closes the old one and makes its
own. Nothing a build reads from the sources is kept here: the caches on disk
stay the only record of what was checked and rendered, so a build in a session
produces exactly the files a command-line build does.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

__all__ = ["BuildSession"]


class BuildSession:
    """Render pool and document checker kept from one build to the next (see the module doc)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._pool_key: Hashable = None
        self._checker: Any = None
        self._checker_key: Hashable = None
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

    def close(self) -> None:
        """Stop the render pool's workers and drop the checker."""
        self.discard_pool()
        self._checker = self._checker_key = None

    def __enter__(self) -> BuildSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
