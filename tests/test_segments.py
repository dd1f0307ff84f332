"""kg/segments.py: the dataset as extents of segment files, written by what changed."""
from __future__ import annotations

import hashlib
import json
import os

import pytest

from kg import segments
from kg.segments import (LAYOUT_FILE, SEGMENT_DIR, Block, MappedDataset, dataset_bytes, read_layout, remove_unused,
                         segments_to_copy, write_dataset)


def _block(name: str, *lines: str) -> bytes:
    return "".join(f"{line} <{name}> .\n" for line in lines).encode()


GRAPHS = {"a": _block("a", "<x> <p> <y>", "<x> <p> <z>"), "b": _block("b", "<y> <q> \"1\""), "c": _block("c", "<z> <r> <x>", "<z> <r> <y>")}


def _write_fresh(build_dir, graphs=GRAPHS):
    return write_dataset(build_dir, [Block(name, [data], None) for name, data in graphs.items()], "context", 5)


def test_a_fresh_write_is_one_segment_whose_bytes_are_the_dataset(tmp_path):
    layout = _write_fresh(tmp_path)
    data = b"".join(GRAPHS.values())
    assert dataset_bytes(tmp_path) == data and len(layout.segments()) == 1 and len(layout.extents) == 1
    assert (tmp_path / SEGMENT_DIR / layout.segments()[0]).read_bytes() == data
    assert read_layout(tmp_path) == layout
    for name, block in layout.graphs.items():
        assert data[block.offset:block.offset + block.length] == GRAPHS[name]
        assert block.sha256 == hashlib.sha256(GRAPHS[name]).hexdigest()
    assert not [path for path in (tmp_path / SEGMENT_DIR).iterdir() if path.name.startswith(".")]


def test_the_digest_depends_on_the_bytes_not_on_where_they_lie(tmp_path):
    first = _write_fresh(tmp_path / "one")
    with MappedDataset(tmp_path / "one", first) as old:
        # b written anew, a and c referred to in the old segment
        second = write_dataset(tmp_path / "one", [Block("a", old.spans(0, len(GRAPHS["a"])), None, first.graphs["a"].sha256),
                                                  Block("b", [GRAPHS["b"]], None),
                                                  Block("c", old.spans(first.graphs["c"].offset, len(old)), None)], "context", 5)
    assert second.dataset_sha256 == first.dataset_sha256 and second.graphs == first.graphs
    assert len(second.segments()) == 2 and len(second.extents) == 3
    new_segment = next(name for name in second.segments() if name not in first.segments())
    assert (tmp_path / "one" / SEGMENT_DIR / new_segment).read_bytes() == GRAPHS["b"]
    assert dataset_bytes(tmp_path / "one", first.dataset_sha256) == b"".join(GRAPHS.values())


def test_contiguous_spans_of_one_segment_make_one_extent_and_copied_segments_are_written_again(tmp_path):
    first = _write_fresh(tmp_path)
    with MappedDataset(tmp_path, first) as old:
        blocks = [Block(name, old.spans(block.offset, block.offset + block.length), None, block.sha256) for name, block in first.graphs.items()]
        referred = write_dataset(tmp_path, blocks, "context", 5)
        assert referred.extents == first.extents  # nothing written: no new segment
        copied = write_dataset(tmp_path, blocks, "context", 5, copy=frozenset(first.segments()))
    assert copied.segments() != first.segments() and len(copied.extents) == 1
    assert dataset_bytes(tmp_path, first.dataset_sha256) == b"".join(GRAPHS.values())


def test_ranges_finds_and_slices_cross_extents_as_one_text(tmp_path):
    first = _write_fresh(tmp_path)
    data = b"".join(GRAPHS.values())
    with MappedDataset(tmp_path, first) as old:
        # the same bytes, as one extent per line across two segments
        lines = [i + 1 for i, byte in enumerate(data) if byte == ord("\n")]
        pieces, start = [], 0
        for number, end in enumerate(lines):
            pieces += old.spans(start, end) if number % 2 else [data[start:end]]
            start = end
        layout = write_dataset(tmp_path, [Block("all", pieces, None)], "context", 5)
    with MappedDataset(tmp_path, layout) as mapped:
        assert len(layout.extents) == len(lines) and mapped[0:len(mapped)] == data
        for start in range(len(data)):
            for end in range(start, len(data) + 1, 7):
                assert mapped[start:end] == data[start:end]
                assert mapped.find(b"\n", start, end) == data.find(b"\n", start, end)
                assert mapped.rfind(b"\n", start, end) == data.rfind(b"\n", start, end)
                assert b"".join(bytes(span.view) for span in mapped.spans(start, end)) == data[start:end]


def test_a_layout_that_does_not_add_up_is_no_layout(tmp_path):
    layout = _write_fresh(tmp_path)
    good = json.loads((tmp_path / LAYOUT_FILE).read_bytes())

    def written(change) -> None:
        data = json.loads(json.dumps(good))
        change(data)
        (tmp_path / LAYOUT_FILE).write_text(json.dumps(data), encoding="utf-8")

    for change in (lambda d: d.update(dataset_sha256="0" * 64),           # not the blocks' digest
                   lambda d: d["graphs"][1].__setitem__(1, 1),            # a gap between blocks
                   lambda d: d["extents"][0].__setitem__(2, 3),           # extents shorter than the blocks
                   lambda d: d["extents"][0].__setitem__(0, "../manifest.json"),  # not a segment
                   lambda d: d.update(format=0),
                   lambda d: d.pop("extents")):
        written(change)
        assert read_layout(tmp_path) is None
    written(lambda d: None)
    assert read_layout(tmp_path) == layout


def test_damaged_or_missing_segments_give_no_dataset(tmp_path):
    layout = _write_fresh(tmp_path)
    segment = tmp_path / SEGMENT_DIR / layout.segments()[0]
    data = segment.read_bytes()
    segment.write_bytes(data.replace(b"<y>", b"<w>", 1))
    assert dataset_bytes(tmp_path, layout.dataset_sha256) is None
    assert dataset_bytes(tmp_path) is not None  # unchecked: what is there
    segment.write_bytes(data[:-1])
    assert dataset_bytes(tmp_path) is None
    segment.unlink()
    assert dataset_bytes(tmp_path) is None


def test_a_write_that_fails_midway_leaves_the_old_layout_and_no_new_file(tmp_path):
    layout = _write_fresh(tmp_path)
    before = sorted(os.listdir(tmp_path / SEGMENT_DIR))

    def failing():
        yield Block("a", [GRAPHS["a"]], None)
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_dataset(tmp_path, failing(), "context", 5)
    assert read_layout(tmp_path) == layout and sorted(os.listdir(tmp_path / SEGMENT_DIR)) == before


def test_unused_segments_and_leftovers_are_removed(tmp_path):
    first = _write_fresh(tmp_path)
    (tmp_path / SEGMENT_DIR / ".abc.nq.tmp").write_bytes(b"half")
    second = _write_fresh(tmp_path)
    remove_unused(tmp_path, second)
    assert sorted(os.listdir(tmp_path / SEGMENT_DIR)) == second.segments() != first.segments()


def test_which_segments_the_next_write_copies(tmp_path, monkeypatch):
    first = _write_fresh(tmp_path)
    assert segments_to_copy(tmp_path, first) == frozenset()
    # garbage: the segment holds the dataset and as much again that no block uses
    segment = tmp_path / SEGMENT_DIR / first.segments()[0]
    with open(segment, "ab") as stream:
        stream.write(b"#" * (first.length + 1))
    assert segments_to_copy(tmp_path, first) == frozenset(first.segments())
    # too many segments: the smaller half is copied
    monkeypatch.setattr(segments, "_MOST_SEGMENTS", 2)
    second = _write_fresh(tmp_path)
    with MappedDataset(tmp_path, second) as old:
        third = write_dataset(tmp_path, [Block("a", old.spans(0, second.graphs["b"].offset), None, second.graphs["a"].sha256),
                                         Block("b", [GRAPHS["b"]], None),
                                         Block("c", old.spans(second.graphs["c"].offset, len(old)), None, second.graphs["c"].sha256)],
                              "context", 5)
    copied = segments_to_copy(tmp_path, third)
    assert len(third.segments()) == 2 and copied == {min(third.segments(), key=lambda name: (tmp_path / SEGMENT_DIR / name).stat().st_size)}
