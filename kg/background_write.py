"""The dataset's first blocks, written on a thread of their own while the build is still reasoning.

At 10,000 articles a build from scratch reasons for about a minute, nearly all of it inside pyoxigraph,
which lets go of Python's lock while it works: one core idled meanwhile. The article graphs come first
in the dataset (their names sort before the inferred graph's) and no reasoning changes them, so their
blocks — sorted, encoded, hashed and written into the new segment — are made then. Once the checks
have passed, the build hands over the rest (the inferred graph, the ontology, the registry) and the
segment and its layout are finished as kg/segments.py write_dataset always finishes them. If the build
fails instead, the thread stops at the next block and the unfinished segment (a temporary file) is
removed: a failed build leaves nothing it wrote. (Writing the inferred graph while the shapes are
checked was tried: the checks already keep both cores busy, and took as long again as the write saved.)
"""
from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from .segments import Block, Layout, write_dataset


class WriteCancelled(Exception):
    """Raised inside the writing thread when the build gave up: write_dataset then discards the segment."""


class BackgroundWrite:
    """write_dataset of `early` blocks and, once `finish` gives them, the late ones, on a thread started at once."""

    def __init__(self, build_dir: Path, early: Iterable[Block], context_sha256: str, copy: frozenset[str] = frozenset()) -> None:
        self._late: Iterable[Block] = ()
        self._lines = 0
        self._released = threading.Event()
        self._cancelled = False
        self._layout: Layout | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._write, args=(build_dir, early, context_sha256, copy), name="kg-write", daemon=True)
        self._thread.start()

    def _write(self, build_dir: Path, early: Iterable[Block], context_sha256: str, copy: frozenset[str]) -> None:
        try:
            self._layout = write_dataset(build_dir, self._blocks(early), context_sha256, lambda: self._lines, copy)
        except BaseException as error:  # handed to the build's thread, which raises it (or has given up)
            self._error = error

    def _blocks(self, early: Iterable[Block]) -> Iterator[Block]:
        for block in early:
            if self._cancelled:
                raise WriteCancelled
            yield block
        self._released.wait()
        if self._cancelled:
            raise WriteCancelled
        yield from self._late

    def finish(self, late: Iterable[Block], lines: int) -> Layout:
        """Write the `late` blocks after the early ones, then the layout (the dataset holds `lines` lines)."""
        self._late, self._lines = late, lines
        self._released.set()
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._layout is not None
        return self._layout

    def cancel(self) -> None:
        """Stop writing and remove what was written; return once the thread has."""
        self._cancelled = True
        self._released.set()
        self._thread.join()
