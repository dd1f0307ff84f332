"""The digest of a named graph's block of N-Quads, kept as its chunks' digests so that an edit hashes
again only the chunks it touched.

A block shorter than SMALLEST_CHUNKED bytes has the SHA-256 of its bytes as its digest. A longer one
is cut into chunks after every line whose CRC-32 has its low _CUT_BITS bits zero (about one line in
1,024) and at its end, and its digest is the SHA-256 of the chunks' lengths and digests
(chunks_digest). At 10,000 articles the inferred graph's block is 360 MB: hashing it whole took
0.3-0.4 s of every one-file rebuild, which changes a handful of its lines.

Whether a line ends a chunk depends on that line alone (content-defined chunking), so the lines an
edit puts in or takes out change only the chunks that hold them; every other chunk is the same run of
bytes as before, wherever in the block it lies now, and its digest is taken from the previous layout
without reading it. Either way the digest is a function of the block's bytes alone: a block patched
line by line and the same block written whole have the same digest.
"""
from __future__ import annotations

import bisect
import hashlib
import zlib
from collections.abc import Iterable, Iterator
from typing import NamedTuple

SMALLEST_CHUNKED = 1 << 20
_CUT_BITS = 10
_CUT_MASK = (1 << _CUT_BITS) - 1
_WINDOW = 1 << 23  # bytes scanned for cuts at a time: the lines of a whole block as objects would double its memory


class Chunk(NamedTuple):
    length: int
    sha256: str


class Previous(NamedTuple):
    """What the previous layout knows of a block: its chunks (none if it was not chunked), its length,
    and whether its last line ends a chunk (if not, its last chunk ended at the block's end only)."""

    chunks: tuple[Chunk, ...]
    length: int
    last_line_cuts: bool


class Kept(NamedTuple):
    """The bytes [start, start + length) of the previous block, as views (of its segments), in order.
    They begin and end between lines."""

    start: int
    views: list

    @property
    def length(self) -> int:
        return sum(len(view) for view in self.views)


def is_cut(line: bytes) -> bool:
    """Whether a line (without its newline) ends a chunk."""
    return zlib.crc32(line) & _CUT_MASK == 0


def chunks_digest(chunks: Iterable[Chunk]) -> str:
    digest = hashlib.sha256(b"kg-chunks-1\n")
    for chunk in chunks:
        digest.update(f"{chunk.length} {chunk.sha256}\n".encode())
    return digest.hexdigest()


def block_digest(parts: list, previous: Previous | None = None) -> tuple[str, tuple[Chunk, ...]]:
    """The digest and chunks (none for a short block) of the bytes `parts` hold in order: bytes or
    memoryviews of new bytes, and Kept ranges of the previous block, whose chunks `previous` gives."""
    length = sum(part.length if isinstance(part, Kept) else len(part) for part in parts)
    if length < SMALLEST_CHUNKED:
        digest = hashlib.sha256()
        for view in _views(parts):
            digest.update(view)
        return digest.hexdigest(), ()
    chunker = _Chunker(previous)
    for part in parts:
        if isinstance(part, Kept):
            chunker.add_kept(part)
        else:
            chunker.add_new(part)
    chunks = chunker.finish()
    return chunks_digest(chunks), chunks


def _views(parts: list) -> Iterator:
    for part in parts:
        if isinstance(part, Kept):
            yield from part.views
        else:
            yield part


class _Chunker:
    """The chunks of a block fed in order. A chunk is open from its first byte until a cut line or the
    block's end closes it."""

    def __init__(self, previous: Previous | None) -> None:
        self.previous = previous if previous is not None and previous.chunks else None
        if self.previous is not None:
            self.ends = []
            position = 0
            for chunk in self.previous.chunks:
                position += chunk.length
                self.ends.append(position)
        self.chunks: list[Chunk] = []
        self.open: hashlib._Hash | None = None
        self.open_length = 0
        self.mid_line = False  # whether the bytes fed so far end inside a line
        self.line_crc = 0  # of that line's part fed so far

    def finish(self) -> tuple[Chunk, ...]:
        if self.open is not None:
            self._close()
        return tuple(self.chunks)

    def _update(self, view) -> None:
        if len(view):
            if self.open is None:
                self.open = hashlib.sha256()
            self.open.update(view)
            self.open_length += len(view)

    def _close(self) -> None:
        self.chunks.append(Chunk(self.open_length, self.open.hexdigest()))
        self.open, self.open_length = None, 0

    def add_new(self, data) -> None:
        """New bytes: each line is looked at."""
        view = memoryview(data)
        for begin in range(0, len(view), _WINDOW):
            window = view[begin:begin + _WINDOW]
            lines = window.tobytes().split(b"\n")
            position = 0
            done = 0
            for line in lines[:-1]:
                position += len(line) + 1
                if zlib.crc32(line, self.line_crc) & _CUT_MASK == 0:
                    self._update(window[done:position])
                    self._close()
                    done = position
                self.line_crc = 0
            if len(lines) > 1:
                self.mid_line = False
            if lines[-1]:
                self.line_crc = zlib.crc32(lines[-1], self.line_crc)
                self.mid_line = True
            self._update(window[done:])

    def add_kept(self, kept: Kept) -> None:
        """A range of the previous block: its cut lines are where its chunks ended, and a chunk of it that
        begins where a new chunk begins is that chunk again, its digest known."""
        if self.previous is None or self.mid_line:
            for view in kept.views:
                self.add_new(view)
            return
        start, end = kept.start, kept.start + kept.length
        last = len(self.ends) - 1
        cursor = start
        index = bisect.bisect_right(self.ends, start)
        while index <= last and self.ends[index] <= end:
            chunk_end = self.ends[index]
            cuts = index < last or self.previous.last_line_cuts
            if cuts and self.open is None and cursor == chunk_end - self.previous.chunks[index].length:
                self.chunks.append(self.previous.chunks[index])
            else:
                for view in _slices(kept, cursor, chunk_end):
                    self._update(view)
                if cuts:
                    self._close()
            cursor = chunk_end
            index += 1
        for view in _slices(kept, cursor, end):
            self._update(view)


def _slices(kept: Kept, start: int, end: int) -> Iterator:
    """The views of the previous block's bytes [start, end), which lie within `kept`."""
    position = kept.start
    for view in kept.views:
        view_end = position + len(view)
        if view_end > start and position < end:
            yield view[max(start - position, 0):min(end, view_end) - position]
        position = view_end
