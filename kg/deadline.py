"""Run a query within a deadline. Neither rdflib nor pyoxigraph can be interrupted, so the work runs
in a daemon thread that is left behind (and dies with the process) when it overruns.

Imports nothing heavy: the cold `kg query` path uses it.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from .errors import Problem, QueryTimeout

T = TypeVar("T")

DEFAULT_QUERY_TIMEOUT = 60.0  # seconds: `kg query --timeout`'s default


def within(timeout: float | None, work: Callable[[], T], display: str, name: str) -> T:
    """`work()`, or QueryTimeout (about the query file `display`) once `timeout` seconds have passed."""
    if timeout is None:
        return work()
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except BaseException as error:  # handed to the calling thread
            outcome["error"] = error

    worker = threading.Thread(target=run, name=f"kg-query-{name}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise QueryTimeout(Problem(display, None, None, f"the query ran longer than {timeout:g} s",
                                   "raise --timeout or narrow the query with parameters", "timeout"))
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
