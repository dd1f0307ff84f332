"""What a build changed in the dataset, graph by graph, and the bytes it need not make again.

The dataset is written one named graph after another (kg/ntriples.py nquads_chunks), so each graph is
one block of bytes. Its layout (build/dataset.json, kg/segments.py) records, for the dataset whose
digest it names, each graph's block (offset, length), the digest of its lines
(article_stage.graph_sha256) and of its bytes, plus the digest of the context the dataset was derived
and checked in (kg's code, the libraries, the shapes, the ontology, the reasoner).

The next build, if the previous dataset is intact and the context is the same, knows without
reading anything which asserted graphs are unchanged; it refers to their blocks in the old segments
instead of sorting, encoding and writing their lines again, and reads the old block of a changed
graph (and of the inferred graph, which has no digest of its lines) to tell which lines went and
came. That delta is what lets the on-disk query store be updated rather than loaded again
(kg/query_store_update.py) and the shape checks be limited to what an edit touched.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from . import vocabulary as V
from .block_digest import Kept
from .ntriples import graph_block_pieces
from .project import Project
from .segments import Block, Layout, MappedDataset, read_layout, segments_to_copy
from .store import Manifest, dataset_intact

INFERRED = str(V.INFERRED_GRAPH)


@dataclass(frozen=True)
class GraphDelta:
    removed: frozenset[str]  # N-Triples lines ("S P O") the graph no longer holds
    added: frozenset[str]  # and the ones it holds now


@dataclass
class DatasetDelta:
    """Every graph whose lines changed, with the lines that went and came; graphs not named are unchanged."""

    graphs: dict[str, GraphDelta] = field(default_factory=dict)

    def changed_triples(self) -> set[str]:
        """Every line added to or removed from some graph: a superset of the triples that entered or
        left the dataset's union (a line can leave one graph and stay in another)."""
        changed: set[str] = set()
        for delta in self.graphs.values():
            changed |= delta.removed
            changed |= delta.added
        return changed

    def line_count(self) -> int:
        return sum(len(delta.removed) + len(delta.added) for delta in self.graphs.values())


class PreviousDataset:
    """The previous build's dataset, its segments mapped (a build removes segments only once its own
    are saved, and a mapping stays readable), with its layout. Use as a context manager."""

    def __init__(self, mapped: MappedDataset, layout: Layout, copy: frozenset[str] = frozenset()) -> None:
        self._mapped = mapped
        self.layout = layout
        self.blocks = {name: (block.offset, block.length, block.lines_sha256) for name, block in layout.graphs.items()}
        self.context_sha256 = layout.context_sha256
        self.line_count = layout.lines
        self.copy = copy  # the segments whose used bytes the next write copies (kg/segments.py segments_to_copy)
        self._patches: dict[tuple[str, GraphDelta], list | None] = {}

    def mapped(self) -> MappedDataset:
        return self._mapped

    def __enter__(self) -> PreviousDataset:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._patches.clear()  # their views of the mapping first
        self._mapped.close()

    def block(self, name: str) -> bytes:
        offset, length, _ = self.blocks[name]
        return self._mapped[offset:offset + length]

    def patched(self, name: str, delta: GraphDelta) -> list[bytes | Kept] | None:
        """patched_parts of graph `name`'s old block (which must exist), worked out once per delta: the
        build checks that the delta fits (kg/incremental_build.py) before the write uses the parts."""
        key = (name, delta)
        if key not in self._patches:
            start, length, _ = self.blocks[name]
            self._patches[key] = patched_parts(self._mapped, start, start + length, name, delta, self.line_starts(name))
        return self._patches[key]

    def line_starts(self, name: str) -> list[int]:
        """Offsets in the dataset where lines of graph `name`'s block are known to begin without reading
        it: its chunks' (kg/block_digest.py). A patch's binary search starts among them, so that it reads
        a few pages of a 360 MB block rather than twenty scattered ones per line, which the disk may have
        to give back."""
        block = self.layout.graphs[name]
        starts, position = [], block.offset
        for chunk in block.chunks[:-1]:
            position += chunk.length
            starts.append(position)
        return starts

    def unchanged(self, name: str, digest: bytes | None) -> bool:
        """Whether graph `name` has exactly the lines whose digest is `digest` in the previous dataset."""
        known = self.blocks.get(name)
        return digest is not None and known is not None and known[2] == digest.hex()

    def old_lines(self, name: str) -> list[str]:
        """The graph's lines in the previous dataset, sorted, without the graph name (" <g> .")."""
        if name not in self.blocks:
            return []
        suffix = f" <{name}> .\n"
        text = self.block(name).decode("utf-8")
        # "\n" only: a literal may hold U+2028, which splitlines() would split on
        return [line[:-len(suffix) + 1] for line in text.split("\n")[:-1]] if text else []

    def delta(self, lines: dict[str, set[str]], digests: dict[str, bytes]) -> DatasetDelta:
        """Which lines each graph lost and gained since the previous dataset. A graph with a digest
        equal to its old one is unchanged; the others (the inferred graph among them) are compared line by line."""
        delta = DatasetDelta()
        for name in sorted(set(lines) | set(self.blocks)):
            new = lines.get(name, set())
            if name in lines and self.unchanged(name, digests.get(name)):
                continue
            old = set(self.old_lines(name))
            if old != new:
                delta.graphs[name] = GraphDelta(frozenset(old - new), frozenset(new - old))
        return delta


def context_digest(project: Project, reasoner: str, ontology_digest: bytes) -> str:
    """A digest of everything but the annotations that the dataset and its checks depend on: kg's
    code, the libraries' versions, the shapes, the ontology's triples and the reasoner."""
    from pathlib import Path

    from .article_stage import library_versions

    digest = hashlib.sha256(f"kg-context-1 {reasoner}\n".encode() + library_versions())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    for path in sorted(project.shapes.glob("*.ttl")):
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    digest.update(b"\0ontology\n" + ontology_digest)
    return digest.hexdigest()


def open_previous(project: Project, manifest: Manifest | None) -> PreviousDataset | None:
    """The previous build's dataset and layout, if the layout is the manifest's and the dataset intact."""
    if manifest is None:
        return None
    layout = read_layout(project.build)
    if layout is None or layout.dataset_sha256 != manifest.dataset_sha256 or not dataset_intact(project, manifest):
        return None
    try:
        mapped = MappedDataset(project.build, layout)
    except OSError:
        return None
    return PreviousDataset(mapped, layout, segments_to_copy(project.build, layout))


class DatasetBlocks:
    """The dataset's N-Quads, a graph at a time, as kg/segments.py write_dataset takes them. An asserted
    graph unchanged since `previous` is referred to in the old segments rather than made again; given
    `inferred_patch`, the inferred graph is its old block with the patch's lines taken out and put in.
    `names`: every graph, if `lines` does not hold them all (the unchanged ones are then referred to)."""

    def __init__(self, lines: dict[str, set[str]], digests: dict[str, bytes], previous: PreviousDataset | None = None,
                 same_context: bool = False, names: list[str] | None = None, inferred_patch: GraphDelta | None = None) -> None:
        self.lines = lines
        self.digests = digests
        self.previous = previous if same_context else None
        self.names = sorted(lines if names is None else names)
        self.inferred_patch = inferred_patch if self.previous is not None else None

    @property
    def copy(self) -> frozenset[str]:
        return self.previous.copy if self.previous is not None else frozenset()

    def __iter__(self) -> Iterator[Block]:
        for name in self.names:
            digest = self.digests.get(name)
            lines_sha256 = digest.hex() if digest is not None else None
            if self.previous is not None and self.previous.unchanged(name, digest):
                start, length, _ = self.previous.blocks[name]
                old = self.previous.layout.graphs[name]
                yield Block(name, list(self.previous.mapped().spans(start, start + length)), lines_sha256, old.sha256, old.chunks)
            elif name == INFERRED and self.inferred_patch is not None:
                # the lines kept are named as ranges of the old block, so that only the chunks of it
                # that the patch touched are hashed again (kg/block_digest.py)
                previous = self.previous.mapped().previous_block(name) if name in self.previous.blocks else None
                yield Block(name, self._patched(name), lines_sha256, previous=previous)
            else:
                yield Block(name, graph_block_pieces(self.lines[name], name), lines_sha256)

    def _patched(self, name: str) -> list:
        if name not in self.previous.blocks:
            return [patched_block(b"", name, self.inferred_patch)]
        pieces = self.previous.patched(name, self.inferred_patch)
        if pieces is None:  # kg/incremental_build.py checked that it fits before planning the write
            raise ValueError(f"the delta of {name} does not fit the previous dataset")
        return pieces


def patched_block(old_block: bytes, name: str, delta: GraphDelta) -> bytes:
    """A graph's block of N-Quads with the delta's lines taken out and put in, sorted as a full write sorts them."""
    suffix = f" <{name}> .".encode()
    removed = {line.encode("utf-8") + suffix for line in delta.removed}
    kept = [line for line in old_block.split(b"\n")[:-1] if line not in removed] if removed else old_block.split(b"\n")[:-1]
    # bytes of UTF-8 sort as their code points do, as the full write's str lines sort
    lines = sorted(kept + [line.encode("utf-8") + suffix for line in delta.added])
    return b"\n".join(lines) + b"\n" if lines else b""


def patched_pieces(data, start: int, end: int, name: str, delta: GraphDelta, starts: list[int] = ()) -> list[bytes | memoryview] | None:
    """patched_block of the block data[start:end] (a MappedDataset, bytes or an mmap of sorted lines), as
    the pieces to write in order: the old lines between the edits (spans or views), and the added lines;
    None if a removed line is not in the block or an added one already is. `starts`: sorted offsets
    within the block where lines are known to begin (PreviousDataset.line_starts)."""
    parts = patched_parts(data, start, end, name, delta, starts)
    if parts is None:
        return None
    return [view for part in parts for view in (part.views if isinstance(part, Kept) else (part,))]


def patched_parts(data, start: int, end: int, name: str, delta: GraphDelta, starts: list[int] = ()) -> list[bytes | Kept] | None:
    """patched_pieces, with each run of old lines between the edits as a Kept range of the old block
    (its offsets counted from `start`). Each edit is placed by a binary search over the lines, so the
    work grows with the delta, not the block."""
    suffix = f" <{name}> .\n".encode()
    edits = [(_line_at_or_after(data, start, end, line, starts), 0, line) for line in sorted(text.encode("utf-8") + suffix for text in delta.added)]
    edits += [(_line_at_or_after(data, start, end, line, starts), 1, line) for line in (text.encode("utf-8") + suffix for text in delta.removed)]
    for position, removal, line in edits:
        if (data[position:position + len(line)] == line) != bool(removal):
            return None  # a removed line the block does not hold, or an added one it does
    # at one position, the added lines (which sort before the line there) go first, in order
    edits.sort()
    pieces: list = []
    cursor = start
    for position, removal, line in edits:
        if position > cursor:
            pieces.append(Kept(cursor - start, _views(data, cursor, position)))
        if removal:
            cursor = position + len(line)
        else:
            pieces.append(line)
            cursor = position
    if end > cursor:
        pieces.append(Kept(cursor - start, _views(data, cursor, end)))
    return pieces


def _views(data, start: int, end: int) -> list:
    """data[start:end] without a copy: spans of a MappedDataset's segments, or a view of bytes or an mmap."""
    return data.spans(start, end) if isinstance(data, MappedDataset) else [memoryview(data)[start:end]]


def _line_at_or_after(data, start: int, end: int, line: bytes, starts: list[int] = ()) -> int:
    """The offset in data[start:end] (sorted lines, each ending in a newline) of the first line not less
    than `line`, or `end`. Lines compare as the full write sorts them: bytes of UTF-8 sort as code points
    do. `starts`: offsets in the block where lines begin, searched first."""
    low, high = start, end  # every line before low is less; the line at high, if any, is not
    first, last = 0, len(starts)
    while first < last:
        middle = (first + last) // 2
        begin = starts[middle]
        finish = data.find(b"\n", begin, end) + 1
        if data[begin:finish] < line:
            low, first = finish, middle + 1
        else:
            high, last = begin, middle
    while low < high:
        middle = (low + high) // 2
        newline = data.rfind(b"\n", low, middle)
        begin = low if newline < 0 else newline + 1
        finish = data.find(b"\n", begin, end) + 1
        if data[begin:finish] < line:
            low = finish
        else:
            high = begin
    return low
