"""The previous dataset as a base for the next build: unchanged graphs copied, changed ones diffed."""
from __future__ import annotations

import json

from conftest import copy_project

from kg import vocabulary as V
from kg.build import build
from kg.dataset_delta import INDEX_FILE, open_previous
from kg.project import open_project
from kg.store import dataset_path, read_manifest

ARTICLE = "seeds/000_7212ea618852743f.yaml"
ARTICLE_GRAPH = str(V.article_graph("aclu-ma-2011-06-07"))  # the id that file declares


def _reword(root) -> None:
    path = root / ARTICLE
    text = path.read_text(encoding="utf-8")
    edited = text.replace("claim: ", "claim: (reworded) ", 1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")


def _graph_lines(data: bytes) -> dict[str, set[str]]:
    graphs: dict[str, set[str]] = {}
    for line in data.decode("utf-8").split("\n")[:-1]:
        head, graph = line[:-2].rsplit(" ", 1)
        graphs.setdefault(graph[1:-1], set()).add(head)
    return graphs


def test_the_index_names_each_graphs_block_of_the_dataset(seeds_project):
    project = open_project(seeds_project)
    index = json.loads((project.build / INDEX_FILE).read_text(encoding="utf-8"))
    data = dataset_path(project).read_bytes()
    assert index["dataset_sha256"] == read_manifest(project).dataset_sha256
    assert sum(length for _, length, _ in index["graphs"].values()) == len(data)
    for name, (offset, length, digest) in index["graphs"].items():
        block = data[offset:offset + length].decode("utf-8")
        assert block and all(line.endswith(f" <{name}> .") for line in block.split("\n")[:-1])
        assert (digest is None) == (name == str(V.INFERRED_GRAPH))


def test_a_claim_edit_copies_the_unchanged_graphs_and_writes_what_a_fresh_build_writes(tmp_path, monkeypatch):
    from kg import dataset_delta

    root = copy_project(tmp_path / "edited")
    project = open_project(root)
    build(project)
    old = _graph_lines(dataset_path(project).read_bytes())
    _reword(root)
    copied = []
    real_block = dataset_delta.PreviousDataset.block
    monkeypatch.setattr(dataset_delta.PreviousDataset, "block", lambda self, name: copied.append(name) or real_block(self, name))
    result = build(project)
    assert result.rebuilt and "compare with the last build" in result.stages
    new = _graph_lines(dataset_path(project).read_bytes())
    changed = {name for name in set(old) | set(new) if old.get(name) != new.get(name)}
    assert changed == {ARTICLE_GRAPH, str(V.INFERRED_GRAPH)}
    # the changed graphs' old blocks are read to diff them; every other graph's is copied as it was
    assert sorted(copied) == sorted([*changed, *(set(new) - changed)])
    fresh = copy_project(tmp_path / "fresh", root / "seeds")
    build(open_project(fresh))
    assert dataset_path(project).read_bytes() == dataset_path(open_project(fresh)).read_bytes()
    assert (root / "build" / INDEX_FILE).read_bytes() == (fresh / "build" / INDEX_FILE).read_bytes()


def test_the_delta_holds_exactly_the_lines_that_went_and_came(tmp_path):
    from kg.build import read_project, reason_lines

    root = copy_project(tmp_path / "project")
    project = open_project(root)
    build(project)
    old = _graph_lines(dataset_path(project).read_bytes())
    _reword(root)
    _corpus, lines, origins = read_project(project)
    lines[str(V.INFERRED_GRAPH)], _ = reason_lines(project, lines, origins)
    from kg.build import read_inputs

    digests = read_inputs(project).graph_digests()
    with open_previous(project, read_manifest(project)) as previous:
        delta = previous.delta(lines, digests)
    assert set(delta.graphs) == {name for name in set(old) | set(lines) if old.get(name, set()) != lines.get(name, set())}
    for name, graph in delta.graphs.items():
        assert graph.removed == old[name] - lines[name] and graph.added == lines[name] - old[name]
    assert delta.changed_triples() == {line for g in delta.graphs.values() for line in g.removed | g.added}


def test_a_previous_dataset_that_does_not_match_its_index_is_not_used(tmp_path):
    root = copy_project(tmp_path / "project")
    project = open_project(root)
    build(project)
    manifest = read_manifest(project)
    with open_previous(project, manifest) as previous:
        assert previous is not None
    index = project.build / INDEX_FILE
    good = index.read_text(encoding="utf-8")
    index.write_text(good.replace(manifest.dataset_sha256, "0" * 64), encoding="utf-8")
    assert open_previous(project, manifest) is None
    index.write_text("{not json", encoding="utf-8")
    assert open_previous(project, manifest) is None
    index.write_text(good, encoding="utf-8")
    data = dataset_path(project).read_bytes()
    dataset_path(project).write_bytes(data.replace(b"Patrick", b"Potrick", 1))  # damaged: its digest no longer matches
    assert open_previous(project, manifest) is None
    # and the next build, with a damaged dataset, still writes what a fresh build writes
    dataset_path(project).write_bytes(data)
    _reword(root)
    dataset_path(project).write_bytes(data.replace(b"Patrick", b"Potrick", 1))
    build(project)
    fresh = copy_project(tmp_path / "fresh", root / "seeds")
    build(open_project(fresh))
    assert dataset_path(project).read_bytes() == dataset_path(open_project(fresh)).read_bytes()
