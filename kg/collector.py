"""Python's cyclic garbage collector, paused while kg holds millions of objects that are not garbage."""
from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off inside, back as it was after (a caller that paused it finds it paused).

    Its full collections walk every container object alive. Loading thousands of cache entries, or a
    whole build at 10,000 articles (the triples' pairs and tuples, the workers' results), makes millions,
    none of them garbage: the collector re-walked them a third of the cache's loading time, and 6 to 8 s
    of the build, mostly in the checks. A build leaves little cyclic garbage (37,723 objects at 1,000
    articles), collected once the collector runs again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
