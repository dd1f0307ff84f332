"""kg/block_digest.py: a long block's digest from its chunks, and a patch that hashes only what it touched."""
from __future__ import annotations

import hashlib
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg import block_digest as chunking
from kg import segments
from kg.block_digest import Kept, Previous, block_digest, chunks_digest, is_cut
from kg.dataset_delta import GraphDelta, patched_block, patched_parts
from kg.segments import LAYOUT_FILE, Block, MappedDataset, read_layout, write_dataset

NAME = "http://example.org/g"


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    """Chunks of a few lines, in blocks of a few hundred bytes: the same code as at 300 MB."""
    for module in (chunking, segments):
        monkeypatch.setattr(module, "SMALLEST_CHUNKED", 256)
    monkeypatch.setattr(chunking, "_CUT_MASK", 3)


def _lines(count: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return sorted({f'<http://example.org/s{rng.randrange(10 ** 6)}> <http://example.org/p> "{rng.randrange(10 ** 6)}"' for _ in range(count)})


def _block(lines) -> bytes:
    return "".join(f"{line} <{NAME}> .\n" for line in sorted(lines)).encode()


def _previous(data: bytes) -> Previous:
    _, chunks = block_digest([data])
    last_line = data[:-1].rsplit(b"\n", 1)[-1]
    return Previous(chunks, len(data), is_cut(last_line))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 300), st.integers(0, 10 ** 6), st.integers(0, 12), st.integers(0, 12))
def test_a_patched_block_has_the_digest_and_chunks_of_the_same_block_written_whole(count, seed, removals, additions):
    old = _lines(count, seed)
    rng = random.Random(seed)
    removed = frozenset(rng.sample(old, min(removals, len(old))))
    added = frozenset(_lines(additions, seed + 1)) - set(old)
    delta = GraphDelta(removed, added)
    old_data = _block(old)
    new_data = patched_block(old_data, NAME, delta)
    assert new_data == _block((set(old) - removed) | added)
    parts = patched_parts(old_data, 0, len(old_data), NAME, delta)
    assert block_digest(parts, _previous(old_data)) == block_digest([new_data])
    assert block_digest(parts, None) == block_digest([new_data])  # without the old chunks: every line is looked at


def test_a_block_is_cut_after_each_cut_line_and_its_digest_is_its_chunks():
    data = _block(_lines(400))
    digest, chunks = block_digest([data])
    lines = data.split(b"\n")[:-1]
    ends, position = [], 0
    for line in lines:
        position += len(line) + 1
        if is_cut(line):
            ends.append(position)
    if ends[-1] != len(data):
        ends.append(len(data))
    assert [sum(chunk.length for chunk in chunks[:index + 1]) for index in range(len(chunks))] == ends
    assert 20 < len(chunks) < 200  # about one line in four, with this test's mask
    position = 0
    for chunk in chunks:
        assert chunk.sha256 == hashlib.sha256(data[position:position + chunk.length]).hexdigest()
        position += chunk.length
    assert digest == chunks_digest(chunks)
    # fed in pieces that end inside lines, the same
    pieces = [data[index:index + 37] for index in range(0, len(data), 37)]
    assert block_digest(pieces) == (digest, chunks)


def test_a_short_block_has_the_sha256_of_its_bytes():
    data = _block(_lines(2))
    assert len(data) < 256
    assert block_digest([data]) == (hashlib.sha256(data).hexdigest(), ())


def test_a_patch_reads_only_the_chunk_it_falls_in():
    old_data = bytearray(_block(_lines(400)))
    previous = _previous(bytes(old_data))
    old_lines = bytes(old_data).split(b"\n")[:-1]
    middle = old_lines[200].decode()[:-len(f" <{NAME}> .")]
    delta = GraphDelta(frozenset(), frozenset({middle + " "}))  # sorts just after the 201st line
    expected = block_digest([patched_block(bytes(old_data), NAME, delta)])
    parts = patched_parts(old_data, 0, len(old_data), NAME, delta)
    # every byte of every old chunk but the one the new line falls in is garbled under the views
    position, inside = 0, None
    at = sum(len(line) + 1 for line in old_lines[:201])
    for chunk in previous.chunks:
        if position < at <= position + chunk.length:
            inside = (position, position + chunk.length)
        else:
            old_data[position:position + chunk.length] = b"#" * chunk.length
        position += chunk.length
    assert inside is not None
    assert block_digest(parts, previous) == expected
    # the check can fail: garbling the chunk the line falls in changes the digest
    old_data[inside[0]] ^= 1
    assert block_digest(parts, previous) != expected


def test_a_kept_range_of_a_block_that_was_not_chunked_is_read_line_by_line():
    data = _block(_lines(400))
    middle = data.index(b"\n", len(data) // 2) + 1
    parts = [Kept(0, [memoryview(data)[:middle]]), b"", Kept(middle, [memoryview(data)[middle:]])]
    assert block_digest(parts, Previous((), len(data), False)) == block_digest([data])


def test_the_layout_keeps_a_long_blocks_chunks_and_checks_them(tmp_path):
    short, long = _block(_lines(1, 3)), _block(_lines(300, 4))
    layout = write_dataset(tmp_path, [Block("short", [short], None), Block(NAME, [long], None)], "context", 301)
    assert layout.graphs["short"].chunks == () and len(layout.graphs[NAME].chunks) > 10
    assert layout.graphs[NAME].sha256 == block_digest([long])[0]
    assert read_layout(tmp_path) == layout
    with MappedDataset(tmp_path, layout) as mapped:
        assert mapped.intact()
        assert mapped.previous_block(NAME) == _previous(long)
    # a chunk's length or digest that does not add up to the block's: not a layout of this kg
    data = json.loads((tmp_path / LAYOUT_FILE).read_bytes())
    for damage in ("length", "digest", "missing"):
        damaged = json.loads(json.dumps(data))
        chunks = damaged["graphs"][1][5]
        if damage == "length":
            chunks[0][0] += 1
            chunks[1][0] -= 1
        elif damage == "digest":
            chunks[0][1] = "0" * 64
        else:
            del damaged["graphs"][1][5]
        (tmp_path / LAYOUT_FILE).write_text(json.dumps(damaged))
        assert read_layout(tmp_path) is None, damage
    # a byte changed on disk is caught in its chunk
    (tmp_path / LAYOUT_FILE).write_text(json.dumps(data))
    segment = tmp_path / segments.SEGMENT_DIR / layout.segments()[0]
    raw = bytearray(segment.read_bytes())
    raw[len(short) + len(long) // 2] ^= 1
    segment.write_bytes(bytes(raw))
    with MappedDataset(tmp_path, read_layout(tmp_path)) as mapped:
        assert not mapped.intact()


def test_kept_bytes_after_new_bytes_that_end_inside_a_line_are_read_line_by_line():
    # the kept range's first line then continues that line, so its old chunks do not hold
    data = _block(_lines(400, 5))
    for prefix in (b"<http://example.org/a> <http://example.org/p> ", b"x" * 1000):
        assert block_digest([prefix, Kept(0, [memoryview(data)])], _previous(data)) == block_digest([prefix + data])
