"""A binary file made of chunks produced on demand, for pyoxigraph's loaders.

pyoxigraph reads from any object with `read`; fed from this, it loads a large dataset without the
whole of it in memory as one string or bytes object. Imports nothing heavy: the query path uses it.
"""
from __future__ import annotations

import io
from collections.abc import Iterable


class ChunkStream(io.RawIOBase):
    """The concatenation of `chunks` (str, encoded as UTF-8, or bytes), read as they are needed."""

    def __init__(self, chunks: Iterable[str | bytes]) -> None:
        super().__init__()
        self._chunks = iter(chunks)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
        size = min(len(target), len(self._pending))
        target[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
