"""kg/background_write.py: the dataset's first blocks written while the build reasons."""
from __future__ import annotations

import threading

import pytest

from kg.background_write import BackgroundWrite
from kg.build import build
from kg.errors import InconsistencyError
from kg.project import open_project
from kg.segments import LAYOUT_FILE, SEGMENT_DIR, Block, dataset_bytes, read_layout, write_dataset

from conftest import built_dataset

GRAPHS = {"a": b"<x> <p> <y> <a> .\n", "b": b"<y> <q> \"1\" <b> .\n", "c": b"<z> <r> <x> <c> .\n<z> <r> <y> <c> .\n"}


def _blocks(*names: str) -> list[Block]:
    return [Block(name, [GRAPHS[name]], None) for name in names]


def _early(blocks: list[Block], written: threading.Event):
    yield from blocks
    written.set()  # the thread asked for the next block: the ones before are in the segment's file


def _files(build_dir) -> list[str]:
    directory = build_dir / SEGMENT_DIR
    return sorted(path.name for path in directory.iterdir()) if directory.is_dir() else []


def test_the_early_blocks_are_written_before_the_rest_is_given_and_the_dataset_is_the_same(tmp_path):
    written = threading.Event()
    writing = BackgroundWrite(tmp_path / "early", _early(_blocks("a", "b"), written), "context")
    assert written.wait(30)
    [temporary] = _files(tmp_path / "early")
    assert temporary.startswith(".")  # the segment, unfinished: it is renamed into place once complete
    assert not (tmp_path / "early" / LAYOUT_FILE).exists()  # no layout before the last block
    layout = writing.finish(_blocks("c"), 5)
    whole = write_dataset(tmp_path / "whole", _blocks("a", "b", "c"), "context", 5)
    assert layout == read_layout(tmp_path / "early") and layout.graphs == whole.graphs and layout.dataset_sha256 == whole.dataset_sha256
    assert dataset_bytes(tmp_path / "early") == b"".join(GRAPHS.values()) and layout.lines == 5
    assert not [name for name in _files(tmp_path / "early") if name.startswith(".")]


def test_a_cancelled_write_leaves_nothing(tmp_path):
    written = threading.Event()
    writing = BackgroundWrite(tmp_path, _early(_blocks("a", "b"), written), "context")
    assert written.wait(30)
    writing.cancel()
    assert _files(tmp_path) == [] and not (tmp_path / LAYOUT_FILE).exists()
    assert not writing._thread.is_alive()


def test_an_error_while_writing_reaches_the_build_and_leaves_nothing(tmp_path):
    def failing():
        yield from _blocks("a")
        raise OSError("No space left on device")

    writing = BackgroundWrite(tmp_path, failing(), "context")
    with pytest.raises(OSError, match="No space left"):
        writing.finish(_blocks("c"), 3)
    assert _files(tmp_path) == [] and not (tmp_path / LAYOUT_FILE).exists()


def test_a_build_that_fails_after_its_articles_were_written_leaves_the_last_dataset_alone(mini_copy):
    project = open_project(mini_copy)
    build(project)
    good, segments = built_dataset(project), _files(project.build)
    writers = {thread for thread in threading.enumerate() if thread.name == "kg-write"}
    # an inconsistency is found by the reasoning, after the article graphs' blocks were handed to the writer
    (mini_copy / "ontology" / "zz-contradiction.ttl").write_text(
        "<https://w3id.org/kg/id/ana-ruiz> a <https://w3id.org/kg/ontology#Organization> .\n", encoding="utf-8")
    with pytest.raises(InconsistencyError):
        build(project, force=True)
    assert built_dataset(project) == good and _files(project.build) == segments
    assert {thread for thread in threading.enumerate() if thread.name == "kg-write"} == writers  # stopped before the build returned
