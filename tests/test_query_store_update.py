"""A build brings the previous build's on-disk query store up to date instead of leaving it to be made again."""
from __future__ import annotations

import pyoxigraph as ox
import pytest
from conftest import built_dataset, copy_project

from kg import query_store_update
from kg.build import build
from kg.dataset_delta import DatasetDelta, GraphDelta
from kg.oxigraph_engine import _fill, load_store, open_store
from kg.project import open_project
from kg.queries import find_query
from kg.oxigraph_engine import select
from kg.store import Manifest, oxigraph_store_path, read_manifest

ARTICLE = "seeds/000_7212ea618852743f.yaml"


def _quads(store) -> tuple[set[str], list[str]]:
    """The store's quads; those with a blank node (the ontology's) apart, with their labels, which each
    load makes anew, blotted out."""
    import re

    named = {str(quad) for quad in store if "_:" not in str(quad)}
    blank = sorted(re.sub(r"_:[0-9a-z]+", "_:b", str(quad)) for quad in store if "_:" in str(quad))
    return named, blank


def _reword(root) -> None:
    path = root / ARTICLE
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("claim: ", "claim: (reworded) ", 1), encoding="utf-8")


def _built_with_store(root):
    project = open_project(root)
    build(project)
    open_store(project)  # the first query makes the on-disk store (the seeds are over the in-memory limit)
    old = read_manifest(project)
    assert oxigraph_store_path(project, old).is_dir()
    return project, old


def test_a_claim_edit_updates_the_store_to_exactly_the_new_datasets(tmp_path, monkeypatch):
    from kg import incremental_build

    project, old = _built_with_store(copy_project(tmp_path / "project"))
    _reword(project.root)
    # as when the edit is too large to reason about alone (kg/incremental_build.py): the full build then updates the store
    monkeypatch.setattr(incremental_build, "derive_incrementally", lambda *args: None)
    result = build(project)
    assert "update the query store" in result.stages
    new_path = oxigraph_store_path(project, result.manifest)
    assert new_path.is_dir() and not oxigraph_store_path(project, old).exists()
    updated = ox.Store.read_only(str(new_path))
    assert _quads(updated) == _quads(load_store(built_dataset(project)))
    # and queries answer from it without making another
    query = find_query(project, "who-cited-boston-pilot-figures")
    assert select(open_store(project), query, {}).rows == select(load_store(built_dataset(project)), query, {}).rows
    assert [p.name for p in project.build.glob("*oxigraph*")] == [new_path.name]


def test_without_a_store_to_update_the_build_makes_none(tmp_path):
    root = copy_project(tmp_path / "project")
    project = open_project(root)
    build(project)
    _reword(root)
    result = build(project)
    assert not list(project.build.glob("*oxigraph*"))
    assert result.rebuilt


def test_a_forced_build_drops_the_old_store_rather_than_trust_it(tmp_path):
    project, old = _built_with_store(copy_project(tmp_path / "project"))
    _reword(project.root)
    build(project, force=True)
    assert not list(project.build.glob("*oxigraph*"))
    open_store(project)  # made again from the dataset
    assert oxigraph_store_path(project, read_manifest(project)).is_dir()


def test_a_store_that_fails_to_update_is_removed_and_made_again_by_the_next_query(tmp_path, monkeypatch):
    project, old = _built_with_store(copy_project(tmp_path / "project"))
    _reword(project.root)

    def broken(path, delta):
        raise OSError("disk full")

    from kg import incremental_build

    monkeypatch.setattr(incremental_build, "derive_incrementally", lambda *args: None)
    monkeypatch.setattr(query_store_update, "_apply", broken)
    result = build(project)
    assert result.rebuilt and not list(project.build.glob("*oxigraph*"))
    monkeypatch.undo()
    store = open_store(project)
    assert _quads(store) == _quads(load_store(built_dataset(project)))


def _on_disk(path, nquads: str):
    store = ox.Store(str(path))
    _fill(store, nquads.encode())
    store.flush()
    del store


A, B = "urn:test:graph:a", "urn:test:graph:b"
SHARED = "<urn:x> <urn:p> \"shared\""
ONLY_A = "<urn:x> <urn:p> <urn:only-a>"


def test_a_triple_leaves_the_default_graph_only_when_no_named_graph_holds_it(tmp_path):
    path = tmp_path / "store"
    _on_disk(path, f"{SHARED} <{A}> .\n{SHARED} <{B}> .\n{ONLY_A} <{A}> .\n")
    query_store_update._apply(path, DatasetDelta({A: GraphDelta(frozenset({SHARED, ONLY_A}), frozenset())}))
    expected = ox.Store()
    _fill(expected, f"{SHARED} <{B}> .\n".encode())
    assert _quads(ox.Store.read_only(str(path))) == _quads(expected)
    query_store_update._apply(path, DatasetDelta({B: GraphDelta(frozenset({SHARED}), frozenset({ONLY_A})),
                                                  A: GraphDelta(frozenset(), frozenset({SHARED}))}))
    expected = ox.Store()
    _fill(expected, f"{SHARED} <{A}> .\n{ONLY_A} <{B}> .\n".encode())
    assert _quads(ox.Store.read_only(str(path))) == _quads(expected)


@pytest.mark.parametrize("delta", [
    None,  # no delta known (a forced build, no index)
    DatasetDelta({A: GraphDelta(frozenset({"_:b0 <urn:p> <urn:o>"}), frozenset())}),  # labels of blank nodes are not kept
    DatasetDelta({A: GraphDelta(frozenset(), frozenset(f"<urn:s{i}> <urn:p> <urn:o>" for i in range(20)))}),  # most of the dataset
])
def test_a_delta_the_store_cannot_take_removes_the_old_store(tmp_path, delta):
    from kg.project import Project

    project = open_project(copy_project(tmp_path / "project"))
    old, new = Manifest("i", "1" * 64, {}), Manifest("i", "2" * 64, {})
    source = oxigraph_store_path(project, old)
    source.parent.mkdir(parents=True)
    _on_disk(source, f"{ONLY_A} <{A}> .\n")
    assert isinstance(project, Project)
    assert query_store_update.update_query_store(project, old, new, delta, dataset_lines=100) is False
    assert not source.exists() and not oxigraph_store_path(project, new).exists()
    assert not list(project.build.glob(".*partial"))


def test_a_store_left_half_updated_by_a_killed_build_is_removed_by_the_next_build(tmp_path):
    project, old = _built_with_store(copy_project(tmp_path / "project"))
    leftover = project.build / f".{oxigraph_store_path(project, old).name}.abc123.partial"
    oxigraph_store_path(project, old).rename(leftover)
    _reword(project.root)
    build(project)
    assert not leftover.exists() and not list(project.build.glob("*oxigraph*"))
