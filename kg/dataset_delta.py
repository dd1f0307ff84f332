"""What a build changed in the dataset, graph by graph, and the bytes it need not make again.

build/dataset.nq is written one named graph after another (kg/ntriples.py nquads_chunks), so each
graph is one block of bytes. Beside it, build/dataset.graphs.json records, for the dataset whose
digest it names, each graph's block (offset, length) and the digest of its lines
(article_stage.graph_sha256), plus the digest of the context the dataset was derived and checked
in (kg's code, the libraries, the shapes, the ontology, the reasoner).

The next build, if the previous dataset is intact and the context is the same, knows without
reading anything which asserted graphs are unchanged; it copies their blocks instead of sorting
and encoding their lines again, and reads the old block of a changed graph (and of the inferred
graph, which has no digest) to tell which lines went and came. That delta is what lets the on-disk
query store be updated rather than loaded again (kg/query_store_update.py) and the shape checks be
limited to what an edit touched.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import mmap
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from . import vocabulary as V
from .project import Project
from .store import Manifest, dataset_intact, dataset_path, write_atomically

INDEX_FILE = "dataset.graphs.json"
INFERRED = str(V.INFERRED_GRAPH)
_INDEX_FORMAT = 1


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
    """The previous build's dataset file, held open (a build renames its new dataset over the path, and
    the open file stays readable), with its index. Use as a context manager."""

    def __init__(self, descriptor: int, blocks: dict[str, tuple[int, int, str | None]], context_sha256: str, line_count: int) -> None:
        self._descriptor = descriptor
        self._mapped: mmap.mmap | None = None
        self.blocks = blocks  # graph -> (offset, length, digest hex or None)
        self.context_sha256 = context_sha256
        self.line_count = line_count

    def mapped(self) -> mmap.mmap:
        """The old file mapped into memory: its blocks are hashed and written from there, with no copy
        made in Python (about a second of a write at 10,000 articles)."""
        if self._mapped is None:
            self._mapped = mmap.mmap(self._descriptor, 0, access=mmap.ACCESS_READ)
        return self._mapped

    def __enter__(self) -> PreviousDataset:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._mapped is not None:
            with contextlib.suppress(BufferError):  # a view still held: the mapping goes with it
                self._mapped.close()
            self._mapped = None
        if self._descriptor >= 0:
            os.close(self._descriptor)
            self._descriptor = -1

    def block(self, name: str) -> bytes:
        offset, length, _ = self.blocks[name]
        data = os.pread(self._descriptor, length, offset)
        if len(data) != length:
            raise OSError(f"the previous dataset is shorter than its index says ({name})")
        return data

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
    """The previous build's dataset and index, if both are there, agree and the dataset is intact."""
    if manifest is None:
        return None
    try:
        index = json.loads((project.build / INDEX_FILE).read_text(encoding="utf-8"))
        if index.get("format") != _INDEX_FORMAT or index.get("dataset_sha256") != manifest.dataset_sha256:
            return None
        blocks = {name: (int(offset), int(length), digest) for name, (offset, length, digest) in index["graphs"].items()}
        context, line_count = str(index["context_sha256"]), int(index["lines"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        descriptor = os.open(dataset_path(project), os.O_RDONLY)
    except OSError:
        return None
    previous = PreviousDataset(descriptor, blocks, context, line_count)
    # the file opened must be the one the manifest describes: hashed, or known by its identity
    if not dataset_intact(project, manifest) or os.fstat(descriptor).st_ino != os.stat(dataset_path(project)).st_ino:
        previous.close()
        return None
    return previous


class IndexedChunks:
    """The dataset's N-Quads, a graph at a time, recording each graph's block for the index. An asserted
    graph unchanged since `previous` is copied from its old block rather than made again; given
    `inferred_patch`, the inferred graph is its old block with the patch's lines taken out and put in.
    `names`: every graph, if `lines` does not hold them all (the unchanged ones are then copied)."""

    def __init__(self, lines: dict[str, set[str]], digests: dict[str, bytes], previous: PreviousDataset | None = None,
                 same_context: bool = False, names: list[str] | None = None, inferred_patch: GraphDelta | None = None) -> None:
        self.lines = lines
        self.digests = digests
        self.previous = previous if same_context else None
        self.names = sorted(lines if names is None else names)
        self.inferred_patch = inferred_patch if self.previous is not None else None
        self.blocks: dict[str, tuple[int, int, str | None]] = {}

    def __iter__(self) -> Iterator[bytes | memoryview]:
        offset = 0
        for name in self.names:
            digest = self.digests.get(name)
            if self.previous is not None and self.previous.unchanged(name, digest):
                start, length, _ = self.previous.blocks[name]
                pieces = [memoryview(self.previous.mapped())[start:start + length]]
            elif name == INFERRED and self.inferred_patch is not None:
                pieces = self._patched(name)
            else:
                suffix = f" <{name}> .\n"
                pieces = ["".join(sorted(line + suffix for line in self.lines[name])).encode("utf-8")]
            length = sum(len(piece) for piece in pieces)
            self.blocks[name] = (offset, length, digest.hex() if digest is not None else None)
            offset += length
            yield from pieces

    def _patched(self, name: str) -> list[bytes | memoryview]:
        if name not in self.previous.blocks:
            return [patched_block(b"", name, self.inferred_patch)]
        start, length, _ = self.previous.blocks[name]
        pieces = patched_pieces(self.previous.mapped(), start, start + length, name, self.inferred_patch)
        if pieces is None:  # kg/incremental_build.py checked that it fits before planning the write
            raise ValueError(f"the delta of {name} does not fit the previous dataset")
        return pieces

    def save_index(self, project: Project, dataset_sha256: str, context_sha256: str, line_count: int) -> None:
        index = {"format": _INDEX_FORMAT, "dataset_sha256": dataset_sha256, "context_sha256": context_sha256, "lines": line_count,
                 "graphs": {name: list(block) for name, block in sorted(self.blocks.items())}}
        write_atomically(project.build / INDEX_FILE, json.dumps(index, separators=(",", ":")).encode())


def patched_block(old_block: bytes, name: str, delta: GraphDelta) -> bytes:
    """A graph's block of N-Quads with the delta's lines taken out and put in, sorted as a full write sorts them."""
    suffix = f" <{name}> .".encode()
    removed = {line.encode("utf-8") + suffix for line in delta.removed}
    kept = [line for line in old_block.split(b"\n")[:-1] if line not in removed] if removed else old_block.split(b"\n")[:-1]
    # bytes of UTF-8 sort as their code points do, as the full write's str lines sort
    lines = sorted(kept + [line.encode("utf-8") + suffix for line in delta.added])
    return b"\n".join(lines) + b"\n" if lines else b""


def patched_pieces(data, start: int, end: int, name: str, delta: GraphDelta) -> list[bytes | memoryview] | None:
    """patched_block of the block data[start:end] (bytes or an mmap of sorted lines), as the pieces to
    write in order: views of the old lines between the edits, and the added lines. Each edit is placed
    by a binary search over the lines, so the work grows with the delta, not the block; None if a
    removed line is not in the block or an added one already is."""
    suffix = f" <{name}> .\n".encode()
    edits = [(_line_at_or_after(data, start, end, line), 0, line) for line in sorted(text.encode("utf-8") + suffix for text in delta.added)]
    edits += [(_line_at_or_after(data, start, end, line), 1, line) for line in (text.encode("utf-8") + suffix for text in delta.removed)]
    for position, removal, line in edits:
        if (data[position:position + len(line)] == line) != bool(removal):
            return None  # a removed line the block does not hold, or an added one it does
    # at one position, the added lines (which sort before the line there) go first, in order
    edits.sort()
    view = memoryview(data)
    pieces: list[bytes | memoryview] = []
    cursor = start
    for position, removal, line in edits:
        if position > cursor:
            pieces.append(view[cursor:position])
        if removal:
            cursor = position + len(line)
        else:
            pieces.append(line)
            cursor = position
    if end > cursor:
        pieces.append(view[cursor:end])
    return pieces


def _line_at_or_after(data, start: int, end: int, line: bytes) -> int:
    """The offset in data[start:end] (sorted lines, each ending in a newline) of the first line not less
    than `line`, or `end`. Lines compare as the full write sorts them: bytes of UTF-8 sort as code points do."""
    low, high = start, end  # every line before low is less; the line at high, if any, is not
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


def remove_index(project: Project) -> None:
    """Before a new dataset is written: an index must never describe a dataset it was not made for."""
    with contextlib.suppress(FileNotFoundError):
        (project.build / INDEX_FILE).unlink()

