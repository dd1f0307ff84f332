"""The previous dataset as a base for the next build: unchanged graphs copied, changed ones diffed."""
from __future__ import annotations

import hashlib
import json

from conftest import built_dataset, copy_project, dataset_files, rewrite_dataset

from kg import vocabulary as V
from kg.build import build
from kg.dataset_delta import open_previous
from kg.project import open_project
from kg.segments import LAYOUT_FILE, SEGMENT_DIR, read_layout
from kg.store import read_manifest

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


def test_the_layout_names_each_graphs_block_of_the_dataset(seeds_project):
    project = open_project(seeds_project)
    layout = read_layout(project.build)
    data = built_dataset(project)
    assert layout.dataset_sha256 == read_manifest(project).dataset_sha256
    assert sum(block.length for block in layout.graphs.values()) == len(data) == layout.length
    for name, block in layout.graphs.items():
        text = data[block.offset:block.offset + block.length]
        assert text and all(line.endswith(f" <{name}> .") for line in text.decode("utf-8").split("\n")[:-1])
        assert block.sha256 == hashlib.sha256(text).hexdigest()
        assert (block.lines_sha256 is None) == (name == str(V.INFERRED_GRAPH))


def _content(layout) -> tuple:
    """What a layout says of the dataset itself (its extents say where the bytes lie, which depends on history)."""
    return layout.dataset_sha256, layout.graphs, layout.context_sha256, layout.lines


def test_a_claim_edit_copies_the_unchanged_graphs_and_writes_what_a_fresh_build_writes(tmp_path, monkeypatch):
    from kg import dataset_delta

    root = copy_project(tmp_path / "edited")
    project = open_project(root)
    build(project)
    old = _graph_lines(built_dataset(project))
    old_segments = {path.name for path in dataset_files(project)[1:]}
    _reword(root)
    copied = set()
    real_unchanged = dataset_delta.PreviousDataset.unchanged

    def unchanged(self, name, digest):
        if real_unchanged(self, name, digest):
            copied.add(name)
            return True
        return False

    monkeypatch.setattr(dataset_delta.PreviousDataset, "unchanged", unchanged)
    result = build(project)
    assert result.rebuilt and "compare with the last build" in result.stages
    new = _graph_lines(built_dataset(project))
    changed = {name for name in set(old) | set(new) if old.get(name) != new.get(name)}
    assert changed == {ARTICLE_GRAPH, str(V.INFERRED_GRAPH)}
    # every graph but the changed ones is known unchanged by its digest alone, and copied as it was
    assert copied == set(new) - changed
    # and only the changed graphs' blocks were written: the rest is referred to in the old segment
    layout = read_layout(project.build)
    written = [path for path in dataset_files(project)[1:] if path.name not in old_segments]
    assert len(written) == 1 and written[0].stat().st_size == sum(layout.graphs[name].length for name in changed)
    fresh = copy_project(tmp_path / "fresh", root / "seeds")
    build(open_project(fresh))
    assert built_dataset(project) == built_dataset(open_project(fresh))
    assert _content(layout) == _content(read_layout(fresh / "build"))
    assert sorted(path.name for path in (project.build / SEGMENT_DIR).iterdir()) == sorted(path.name for path in dataset_files(project)[1:])


def test_the_delta_holds_exactly_the_lines_that_went_and_came(tmp_path):
    from kg.build import read_project, reason_lines

    root = copy_project(tmp_path / "project")
    project = open_project(root)
    build(project)
    old = _graph_lines(built_dataset(project))
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


def test_a_previous_dataset_that_does_not_match_its_layout_is_not_used(tmp_path):
    root = copy_project(tmp_path / "project")
    project = open_project(root)
    build(project)
    manifest = read_manifest(project)
    with open_previous(project, manifest) as previous:
        assert previous is not None
    layout_file = project.build / LAYOUT_FILE
    good = layout_file.read_text(encoding="utf-8")
    layout_file.write_text(good.replace(manifest.dataset_sha256, "0" * 64), encoding="utf-8")
    assert open_previous(project, manifest) is None
    layout_file.write_text("{not json", encoding="utf-8")
    assert open_previous(project, manifest) is None
    layout_file.write_text(good, encoding="utf-8")
    data = built_dataset(project)
    rewrite_dataset(project, lambda old: old.replace(b"Patrick", b"Potrick", 1))  # damaged: a block's digest no longer matches
    assert open_previous(project, manifest) is None
    # and the next build, with a damaged dataset, still writes what a fresh build writes
    rewrite_dataset(project, lambda old: data)
    _reword(root)
    rewrite_dataset(project, lambda old: old.replace(b"Patrick", b"Potrick", 1))
    build(project)
    fresh = copy_project(tmp_path / "fresh", root / "seeds")
    build(open_project(fresh))
    assert built_dataset(project) == built_dataset(open_project(fresh))


def test_a_block_is_patched_by_binary_search_exactly_as_a_whole_merge_sorts_it():
    import mmap
    import random

    from kg.dataset_delta import GraphDelta, patched_block, patched_pieces

    name = "https://w3id.org/kg/graph/inferred"
    rng = random.Random(3)
    alphabet = ["a", "b", "z", " ", '"', "é", "\u00a0", "\u2019", "𝔘", "<", ">", "\\"]
    for case in range(300):
        universe = sorted({"".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 6))) for _ in range(rng.randrange(1, 40))})
        old = set(rng.sample(universe, rng.randrange(0, len(universe) + 1)))
        removed = set(rng.sample(sorted(old), rng.randrange(0, len(old) + 1)))
        added = set(rng.sample(sorted(set(universe) - old), rng.randrange(0, len(set(universe) - old) + 1)))
        suffix = f" <{name}> .\n"
        block = "".join(sorted(line + suffix for line in old)).encode("utf-8")
        expected = "".join(sorted(line + suffix for line in (old - removed) | added)).encode("utf-8")
        delta = GraphDelta(frozenset(removed), frozenset(added))
        assert patched_block(block, name, delta) == expected
        padded = b"x" * case + block + b"tail"  # the block inside a larger file, as in the dataset
        assert b"".join(patched_pieces(padded, case, case + len(block), name, delta)) == expected
        # with some of the lines' starts known (a chunked block's), the same
        line_starts = [case + index + 1 for index, byte in enumerate(block[:-1]) if byte == ord("\n")]
        known = sorted(rng.sample(line_starts, rng.randrange(0, len(line_starts) + 1)))
        assert b"".join(patched_pieces(padded, case, case + len(block), name, delta, known)) == expected
    # a delta that does not fit the block is refused rather than written wrong
    block = f"a <{name}> .\nc <{name}> .\n".encode()
    assert patched_pieces(block, 0, len(block), name, GraphDelta(frozenset({"b"}), frozenset())) is None
    assert patched_pieces(block, 0, len(block), name, GraphDelta(frozenset(), frozenset({"c"}))) is None
    with open(__file__, "rb") as stream:  # an mmap answers as bytes do
        mapped = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
        assert patched_pieces(mapped, 0, 0, name, GraphDelta(frozenset(), frozenset({"q"}))) == [f"q <{name}> .\n".encode()]
        mapped.close()
