"""The dataset on disk: segment files, and the layout that strings their bytes together.

The dataset is one N-Quads text, a named graph after another (kg/ntriples.py, kg/dataset_delta.py).
It used to be one file, build/dataset.nq, written whole by every build: at 10,000 articles 900 MB,
about 3 s of writing and hashing after a one-line edit. Now its bytes are the concatenation of
extents — (segment, offset, length) — of the files in build/dataset/, and build/dataset.json (the
layout) lists them, with each named graph's block of the text (offset, length), the digest of the
graph's lines and the digest of the block's bytes: their SHA-256, or for a block of a megabyte or more
one made of its chunks' lengths and SHA-256s (kg/block_digest.py), so that an edit hashes again only
the chunks it touched. A build writes one new segment holding the bytes that are new and refers to the
old segments for the rest, so an edit writes what it changed.

The dataset's digest (the manifest's dataset_sha256) is made of the blocks' digests, in order, so it
is computed from what changed too, and it depends on the text alone: whatever segments hold it, the
same dataset has the same digest, and the same bytes (what `kg export` and the query store read).

Segments are never changed once written. The old ones that the new layout no longer refers to are
removed after the manifest is saved. So that reading the dataset stays a matter of a few large files
(segments_to_copy): once there are _MOST_SEGMENTS segments, a build copies the bytes it uses in the
smaller half into its new segment; once the segments hold more than twice the dataset's bytes, or the
dataset lies in more than _MOST_EXTENTS extents, it writes everything afresh.
"""
from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import mmap
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from .block_digest import SMALLEST_CHUNKED, Chunk, Kept, Previous, block_digest, chunks_digest, is_cut

SEGMENT_DIR = "dataset"
LAYOUT_FILE = "dataset.json"
_LAYOUT_FORMAT = 2  # 2: long blocks' chunks; a change here bumps kg/store.py FORMAT_VERSION, so an older build is made again
_MOST_SEGMENTS = 16
_MOST_GARBAGE = 1.0  # bytes in segments no block uses, per byte of the dataset
_MOST_EXTENTS = 20_000  # each edit of the inferred graph splits its extent around every line it changes


class GraphBlock(NamedTuple):
    offset: int
    length: int
    lines_sha256: str | None  # the digest of the graph's sorted lines (article_stage.graph_sha256), if known
    sha256: str  # of the block's bytes (kg/block_digest.py)
    chunks: tuple[Chunk, ...] = ()  # a long block's chunks, whose digests make its digest


class Extent(NamedTuple):
    segment: str
    offset: int
    length: int


class Layout(NamedTuple):  # not a dataclass: a small dataset's cold query reads its layout, and dataclasses costs an import
    dataset_sha256: str
    graphs: dict[str, GraphBlock]  # in the dataset's order
    extents: tuple[Extent, ...]
    context_sha256: str
    lines: int

    @property
    def length(self) -> int:
        return sum(extent.length for extent in self.extents)

    def segments(self) -> list[str]:
        return sorted({extent.segment for extent in self.extents})

    def to_json(self) -> bytes:
        return json.dumps({"format": _LAYOUT_FORMAT, "dataset_sha256": self.dataset_sha256, "context_sha256": self.context_sha256,
                           "lines": self.lines, "graphs": [_block_json(name, block) for name, block in self.graphs.items()],
                           "extents": [list(extent) for extent in self.extents]}, separators=(",", ":")).encode()


def _block_json(name: str, block: GraphBlock) -> list:
    fields = [name, block.offset, block.length, block.lines_sha256, block.sha256]
    return fields + [[list(chunk) for chunk in block.chunks]] if block.chunks else fields


def _block_from_json(fields: list) -> tuple[str, GraphBlock]:
    name, offset, length, lines, sha256, *rest = fields
    chunks = tuple(Chunk(int(chunk_length), str(chunk_sha256)) for chunk_length, chunk_sha256 in rest[0]) if rest else ()
    if len(rest) > 1:
        raise ValueError("a graph's block has too many fields")
    return str(name), GraphBlock(int(offset), int(length), None if lines is None else str(lines), str(sha256), chunks)


def dataset_digest(graphs: dict[str, GraphBlock]) -> str:
    """The dataset's digest from its blocks' (in order): a function of the dataset's bytes alone."""
    digest = hashlib.sha256(b"kg-dataset-2\n")
    for name, block in graphs.items():
        digest.update(f"{name}\0{block.length}\0{block.sha256}\n".encode())
    return digest.hexdigest()


def read_layout(build_dir: Path) -> Layout | None:
    """The layout, or None if there is none or it is not one this kg wrote (then there is no dataset)."""
    try:
        data = json.loads((build_dir / LAYOUT_FILE).read_bytes())
        if data.get("format") != _LAYOUT_FORMAT:
            return None
        graphs = dict(_block_from_json(fields) for fields in data["graphs"])
        extents = tuple(Extent(_segment_name(segment), int(offset), int(length)) for segment, offset, length in data["extents"])
        layout = Layout(str(data["dataset_sha256"]), graphs, extents, str(data["context_sha256"]), int(data["lines"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return layout if _consistent(layout) else None


def _segment_name(name: str) -> str:
    if not isinstance(name, str) or "/" in name or name.startswith(".") or not name.endswith(".nq"):
        raise ValueError(f"not a segment name: {name!r}")
    return name


def _consistent(layout: Layout) -> bool:
    """The blocks tile the extents' bytes, a long block's chunks tile it and make its digest, and the
    dataset's digest is the blocks' digest."""
    position = 0
    for block in layout.graphs.values():
        if block.offset != position or block.length < 0 or bool(block.chunks) != (block.length >= SMALLEST_CHUNKED):
            return False
        if block.chunks and (sum(chunk.length for chunk in block.chunks) != block.length or any(chunk.length <= 0 for chunk in block.chunks)
                             or chunks_digest(block.chunks) != block.sha256):
            return False
        position += block.length
    return position == layout.length and all(extent.length > 0 for extent in layout.extents) \
        and layout.dataset_sha256 == dataset_digest(layout.graphs)


class Span(NamedTuple):
    """Bytes of an old segment: referred to by the new layout rather than written again."""

    segment: str
    offset: int
    view: memoryview

    @property
    def length(self) -> int:
        return len(self.view)


Piece = bytes | Span


class Block(NamedTuple):
    """One named graph's N-Quads, for write_dataset: new bytes, spans of old segments, or Kept ranges of
    the graph's previous block (whose views are spans), in order. `sha256` and `chunks`: the block's
    digest and chunks if they are known (an unchanged graph's), else they are computed from the pieces,
    with `previous` (MappedDataset.previous_block) telling the chunks of the Kept ranges."""

    name: str
    pieces: list[Piece | Kept]
    lines_sha256: str | None
    sha256: str | None = None
    chunks: tuple[Chunk, ...] = ()
    previous: Previous | None = None


class MappedDataset:
    """A layout's dataset, its segments mapped read-only: the bytes of any range, as a copy or as spans.
    Extents begin and end between lines, so a line never crosses two of them. Use as a context manager."""

    def __init__(self, build_dir: Path, layout: Layout) -> None:
        self.layout = layout
        self._maps: dict[str, mmap.mmap] = {}
        self._starts: list[int] = []
        position = 0
        try:
            for segment in layout.segments():
                with open(build_dir / SEGMENT_DIR / segment, "rb") as stream:
                    size = os.fstat(stream.fileno()).st_size
                    if not size:  # the writer makes no empty segment
                        raise OSError(f"segment {segment} is empty")
                    self._maps[segment] = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
            for extent in layout.extents:
                if extent.offset + extent.length > len(self._maps[extent.segment]):
                    raise OSError(f"segment {extent.segment} is shorter than the layout says")
                self._starts.append(position)
                position += extent.length
        except BaseException:
            self.close()
            raise
        self._length = position  # asked at every slice of the binary search: not summed again each time

    def __len__(self) -> int:
        return self._length

    def __enter__(self) -> MappedDataset:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for mapped in self._maps.values():
            with contextlib.suppress(BufferError):  # a view still held: the mapping goes with it
                mapped.close()
        self._maps = {}

    def spans(self, start: int, end: int) -> list[Span]:
        """The bytes [start, end) as spans of the segments, in order."""
        return [Span(segment, first, memoryview(self._maps[segment])[first:last]) for segment, first, last, _ in self._pieces(start, end)]

    def _pieces(self, start: int, end: int, backwards: bool = False) -> Iterator[tuple[str, int, int, int]]:
        """(segment, first, last, offset in the dataset) of each extent's part in [start, end), lazily:
        a search that stops early never looks at the rest (an edited inferred graph has many extents)."""
        if start >= end:
            return
        first_index = max(bisect.bisect_right(self._starts, start) - 1, 0)
        last_index = bisect.bisect_left(self._starts, end) - 1
        indices = range(last_index, first_index - 1, -1) if backwards else range(first_index, last_index + 1)
        for index in indices:
            extent, position = self.layout.extents[index], self._starts[index]
            begin, finish = max(start - position, 0), min(end - position, extent.length)
            if finish > begin:
                yield extent.segment, extent.offset + begin, extent.offset + finish, position + begin

    def __getitem__(self, key: slice) -> bytes:
        start, end, _ = key.indices(len(self))
        return b"".join(self._maps[segment][first:last] for segment, first, last, _ in self._pieces(start, end))

    def find(self, sub: bytes, start: int, end: int) -> int:
        """The first offset of `sub` (which never crosses a line's end) in [start, end), or -1."""
        for segment, first, last, position in self._pieces(start, end):
            found = self._maps[segment].find(sub, first, last)
            if found >= 0:
                return position + found - first
        return -1

    def rfind(self, sub: bytes, start: int, end: int) -> int:
        """The last offset of `sub` (which never crosses a line's end) in [start, end), or -1."""
        for segment, first, last, position in self._pieces(start, end, backwards=True):
            found = self._maps[segment].rfind(sub, first, last)
            if found >= 0:
                return position + found - first
        return -1

    def intact(self) -> bool:
        """Whether every block's bytes have the digest the layout records (and so the dataset its digest):
        a long block's, chunk by chunk (read_layout checked that they make its digest)."""
        for block in self.layout.graphs.values():
            for start, length, sha256 in _hashed_ranges(block):
                digest = hashlib.sha256()
                for span in self.spans(start, start + length):
                    digest.update(span.view)
                if digest.hexdigest() != sha256:
                    return False
        return True

    def previous_block(self, name: str) -> Previous:
        """What a patch of graph `name`'s block needs to know of it to hash only what it changes."""
        block = self.layout.graphs[name]
        end = block.offset + block.length
        newline = self.rfind(b"\n", block.offset, end - 1) if block.length else -1
        last_line = self[(newline + 1 if newline >= 0 else block.offset):end - 1] if block.length else b""
        return Previous(block.chunks, block.length, bool(block.length) and is_cut(last_line))


def _hashed_ranges(block: GraphBlock) -> Iterator[tuple[int, int, str]]:
    """(offset, length, SHA-256) of each range of the dataset whose digest the block records."""
    if not block.chunks:
        yield block.offset, block.length, block.sha256
        return
    position = block.offset
    for chunk in block.chunks:
        yield position, chunk.length, chunk.sha256
        position += chunk.length


def write_dataset(build_dir: Path, blocks: Iterable[Block], context_sha256: str, lines: int | Callable[[], int],
                  copy: frozenset[str] = frozenset()) -> Layout:
    """Write the new bytes of `blocks` into a new segment (flushed to disk) and the layout of the whole
    dataset beside it; spans of the segments in `copy` are written again rather than referred to.
    `lines`: the dataset's line count, or what gives it once the blocks are written (kg/background_write.py)."""
    from .store import write_atomically

    import secrets  # here: the cold query path reads datasets, it writes none

    directory = build_dir / SEGMENT_DIR
    directory.mkdir(parents=True, exist_ok=True)
    segment = f"{secrets.token_hex(8)}.nq"
    writer = _SegmentWriter(directory / segment, segment, copy)
    try:
        graphs = {}
        position = 0
        for block in blocks:
            length = 0
            for piece in block.pieces:
                for written in (piece.views if isinstance(piece, Kept) else (piece,)):
                    length += writer.add(written)
            if block.sha256 is not None:
                sha256, chunks = block.sha256, block.chunks
            else:
                sha256, chunks = block_digest([_digest_part(piece) for piece in block.pieces], block.previous)
            graphs[block.name] = GraphBlock(position, length, block.lines_sha256, sha256, chunks)
            position += length
        extents = writer.finish()
        layout = Layout(dataset_digest(graphs), graphs, extents, context_sha256, lines if isinstance(lines, int) else lines())
        write_atomically(build_dir / LAYOUT_FILE, layout.to_json())
    except BaseException:
        writer.discard()
        raise
    return layout


def _digest_part(piece: Piece | Kept):
    if isinstance(piece, Kept):
        return Kept(piece.start, [span.view if isinstance(span, Span) else span for span in piece.views])
    return piece.view if isinstance(piece, Span) else piece


class _SegmentWriter:
    """The new segment, written to a temporary file renamed into place once flushed; and the extents."""

    def __init__(self, path: Path, name: str, copy: frozenset[str]) -> None:
        self.path = path
        self.name = name
        self.copy = copy
        self.temporary = path.with_name(f".{path.name}.tmp")
        self.stream = open(self.temporary, "wb")  # noqa: SIM115 - closed by finish or discard
        self.written = 0
        self.extents: list[Extent] = []

    def add(self, piece: Piece) -> int:
        if isinstance(piece, Span) and piece.segment not in self.copy:
            self._extend(Extent(piece.segment, piece.offset, piece.length))
            return piece.length
        data = piece.view if isinstance(piece, Span) else piece
        if len(data):
            self.stream.write(data)
            self._extend(Extent(self.name, self.written, len(data)))
            self.written += len(data)
        return len(data)

    def _extend(self, extent: Extent) -> None:
        if extent.length == 0:
            return
        last = self.extents[-1] if self.extents else None
        if last is not None and last.segment == extent.segment and last.offset + last.length == extent.offset:
            self.extents[-1] = last._replace(length=last.length + extent.length)
        else:
            self.extents.append(extent)

    def finish(self) -> tuple[Extent, ...]:
        self.stream.flush()
        os.fsync(self.stream.fileno())
        self.stream.close()
        if self.written:
            os.replace(self.temporary, self.path)
            _sync_directory(self.path.parent)
        else:
            os.unlink(self.temporary)
        return tuple(self.extents)

    def discard(self) -> None:
        self.stream.close()
        for path in (self.temporary, self.path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _sync_directory(directory: Path) -> None:
    """The new segment's name on disk before a layout names it."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def segments_to_copy(build_dir: Path, layout: Layout) -> frozenset[str]:
    """The old segments whose used bytes the next build should write again: all of them if the segments
    hold more than the dataset and _MOST_GARBAGE times as much again, or the dataset is in more than
    _MOST_EXTENTS pieces; else, once there are _MOST_SEGMENTS, the smaller ones (their bytes are few),
    so the count stays bounded."""
    used: dict[str, int] = {}
    for extent in layout.extents:
        used[extent.segment] = used.get(extent.segment, 0) + extent.length
    try:
        sizes = {segment: os.stat(build_dir / SEGMENT_DIR / segment).st_size for segment in used}
    except OSError:
        return frozenset(used)
    if sum(sizes.values()) > (1 + _MOST_GARBAGE) * layout.length or len(layout.extents) > _MOST_EXTENTS:
        return frozenset(used)
    if len(used) < _MOST_SEGMENTS:
        return frozenset()
    largest = sorted(used, key=lambda segment: (-used[segment], segment))
    return frozenset(largest[_MOST_SEGMENTS // 2:])


def remove_unused(build_dir: Path, layout: Layout | None) -> None:
    """Segments the layout does not use (older builds', a killed build's), once the manifest is saved."""
    keep = set(layout.segments()) if layout is not None else set()
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(build_dir / SEGMENT_DIR):
            if entry.name not in keep:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)


def dataset_bytes(build_dir: Path, dataset_sha256: str | None = None) -> bytes | None:
    """The dataset's bytes; None if there is no dataset, or (given `dataset_sha256`) not that one or
    not intact."""
    layout = read_layout(build_dir)
    if layout is None or (dataset_sha256 is not None and layout.dataset_sha256 != dataset_sha256):
        return None
    try:
        with MappedDataset(build_dir, layout) as mapped:
            if dataset_sha256 is not None and not mapped.intact():
                return None
            return mapped[0:len(mapped)]
    except OSError:
        return None
