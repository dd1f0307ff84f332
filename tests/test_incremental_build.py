"""A build after a small edit reasons about, checks and writes only the change, and writes what a full build writes.

The oracle is a full build of the same edited annotations in a fresh copy of the project: the dataset,
the manifest and the index of graphs must be byte-identical, and the updated query store must hold
exactly the quads of the dataset laid out as `kg query` reads it.
"""
from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from conftest import built_dataset, load_generator
from test_incremental_rules import EDITS, _assert_same_store, _edit_and_build

from kg import block_digest, incremental_build, segments
from kg.build import build
from kg.dataset_delta import INFERRED as INFERRED_GRAPH
from kg.errors import InconsistencyError
from kg.oxigraph_engine import open_store
from kg.project import open_project
from kg.segments import read_layout
from kg.store import oxigraph_store_path, read_manifest

INCREMENTAL = "reason (rules, incremental)"
FULL = "reason (rules)"


@pytest.fixture(autouse=True)
def any_size(monkeypatch):
    """These corpora are small enough that a build would reason about them whole: not in these tests."""
    monkeypatch.setattr(incremental_build, "FEWEST_LINES", 0)


@pytest.fixture(scope="module")
def small_chunks():
    """The inferred graph's block, chunked (kg/block_digest.py) in chunks of a few lines, so that the
    patched block's digest is made from the old chunks and the new as at 10,000 articles."""
    with pytest.MonkeyPatch.context() as patch:
        for module in (block_digest, segments):
            patch.setattr(module, "SMALLEST_CHUNKED", 4096)
        patch.setattr(block_digest, "_CUT_MASK", 15)
        yield


@pytest.fixture(scope="module")
def built(tmp_path_factory, small_chunks) -> Path:
    """A generated corpus of 30 articles, built once with its query store made; tests copy it."""
    root = load_generator().generate(30, tmp_path_factory.mktemp("incremental-build") / "corpus", seed=5)
    project = open_project(root)
    build(project)
    open_store(project)
    return root


def _copy(built: Path, tmp_path: Path, name: str = "project") -> Path:
    root = tmp_path / name
    shutil.copytree(built, root)
    return root


def _files(root: Path) -> tuple:
    """The dataset's bytes, the manifest, and what the layout says of the dataset (not where its bytes lie)."""
    build_dir = root / "build"
    layout = read_layout(build_dir)
    return (built_dataset(root), (build_dir / "manifest.json").read_bytes(),
            (layout.dataset_sha256, layout.graphs, layout.context_sha256, layout.lines))


def _full_build_of(root: Path, target: Path) -> Path:
    fresh = target
    fresh.mkdir()
    for part in ("seeds", "ontology", "queries"):
        shutil.copytree(root / part, fresh / part)
    build(open_project(fresh))
    return fresh


def _edit(root: Path, rng: random.Random, edit) -> None:
    """Apply `edit`; one the annotation checks refuse (kg validate says so) is undone and drawn again."""
    from kg.build import validate_project

    _edit_and_build(root, rng, edit, then=validate_project)


@pytest.mark.parametrize("edit", EDITS, ids=[edit.__name__.strip("_") for edit in EDITS])
def test_an_edit_is_built_incrementally_into_what_a_full_build_writes(built, tmp_path, edit):
    root = _copy(built, tmp_path)
    project = open_project(root)
    old = read_manifest(project)
    rng = random.Random(edit.__name__)
    for _ in range(5):  # an edit that changes no triple (a link set to the one it had) is drawn again
        _edit(root, rng, edit)
        result = build(project)
        if len(result.stages) > 1:
            break
    assert INCREMENTAL in result.stages and FULL not in result.stages
    assert _files(root) == _files(_full_build_of(root, tmp_path / "fresh"))
    store_path = oxigraph_store_path(project, result.manifest)
    assert store_path.is_dir() and not oxigraph_store_path(project, old).exists()
    import pyoxigraph as ox

    _assert_same_store(ox.Store.read_only(str(store_path)), built_dataset(root))
    assert not list(project.build.glob(".*partial"))


def test_edits_in_sequence_stay_incremental_and_exact(built, tmp_path):
    root = _copy(built, tmp_path)
    project = open_project(root)
    rng = random.Random(7)
    for step in range(4):
        _edit(root, rng, rng.choice(EDITS))
        assert INCREMENTAL in build(project).stages
    assert _files(root) == _files(_full_build_of(root, tmp_path / "fresh"))  # the chunks of each block too
    assert len(read_layout(root / "build").graphs[INFERRED_GRAPH].chunks) > 10


def test_a_moved_quote_is_checked_without_reading_every_line(built, tmp_path, monkeypatch):
    """Shortening a statement's quote makes a new anchor and selectors (named by the offsets), and the
    article's document may become the focus node of checks again: their values come from the edit and
    from the article's own graph, not from reading the whole dataset (10,000 articles: 13 s)."""
    import re

    from kg import shapes

    root = _copy(built, tmp_path)
    project = open_project(root)
    article = sorted((root / "seeds").glob("article-*.yaml"))[0]
    text = (root / "seeds" / article.name.replace(".yaml", ".txt")).read_text(encoding="utf-8")
    original = article.read_text(encoding="utf-8")
    quote = next(q for q in re.findall(r'^    quote: "([^"\\]+)"$', original, re.M) if text.count(q[:q.rfind(" ")]) == 1)
    article.write_text(original.replace(f'quote: "{quote}"', f'quote: "{quote[:quote.rfind(" ")]}"', 1), encoding="utf-8")

    read, real = [], shapes.check_triple_lines

    def watched(lines, *arguments, **options):
        def counted():
            for line in lines:
                read.append(1)
                yield line
        return real(counted(), *arguments, **options)

    monkeypatch.setattr(shapes, "check_triple_lines", watched)
    result = build(project)
    assert INCREMENTAL in result.stages and FULL not in result.stages
    assert read == []
    assert _files(root) == _files(_full_build_of(root, tmp_path / "fresh"))


def test_without_a_query_store_the_build_is_full(built, tmp_path):
    root = _copy(built, tmp_path)
    project = open_project(root)
    shutil.rmtree(oxigraph_store_path(project, read_manifest(project)))
    _edit(root, random.Random(1), EDITS[0])
    assert FULL in build(project).stages


@pytest.mark.parametrize("failure", ["contradiction", "shape problem", "not exact", "a delta that does not fit"])
def test_whatever_the_update_cannot_settle_goes_to_the_full_build(built, tmp_path, monkeypatch, failure):
    root = _copy(built, tmp_path)
    project = open_project(root)
    old = read_manifest(project)
    _edit(root, random.Random(2), EDITS[0])
    if failure == "contradiction":
        from kg import incremental_rules

        def contradiction(*args, **kwargs):
            raise InconsistencyError([])

        monkeypatch.setattr(incremental_rules, "update_closure", contradiction)
    elif failure == "shape problem":
        monkeypatch.setattr(incremental_build, "_shape_problems", lambda *args: True)
    elif failure == "not exact":
        from kg import incremental_rules

        monkeypatch.setattr(incremental_rules, "update_closure", lambda *args, **kwargs: None)
    else:
        from kg import incremental_rules

        real = incremental_rules.update_closure

        def wrong(*args, **kwargs):  # removes a line the inferred graph never had
            delta = real(*args, **kwargs)
            delta.removed.add("<urn:kg:test:nowhere> <urn:kg:test:p> <urn:kg:test:o>")
            return delta

        monkeypatch.setattr(incremental_rules, "update_closure", wrong)
    result = build(project)
    assert FULL in result.stages and INCREMENTAL in result.stages  # tried, then built in full
    assert _files(root) == _files(_full_build_of(root, tmp_path / "fresh"))
    assert not list(project.build.glob(".*partial"))
    assert oxigraph_store_path(project, old).exists() is False


def test_a_damaged_query_store_means_a_full_build_not_a_traceback(built, tmp_path):
    root = _copy(built, tmp_path)
    project = open_project(root)
    store = oxigraph_store_path(project, read_manifest(project))
    for path in store.iterdir():  # its files gone: RocksDB cannot open it
        if path.is_file():
            path.unlink()
    _edit(root, random.Random(3), EDITS[0])
    result = build(project)
    assert FULL in result.stages
    assert _files(root) == _files(_full_build_of(root, tmp_path / "fresh"))
    assert not list(project.build.glob(".*partial"))


def test_a_small_corpus_is_reasoned_about_whole(built, tmp_path, monkeypatch):
    monkeypatch.setattr(incremental_build, "FEWEST_LINES", 10 ** 9)
    root = _copy(built, tmp_path)
    project = open_project(root)
    _edit(root, random.Random(4), EDITS[0])
    result = build(project)
    assert FULL in result.stages and INCREMENTAL not in result.stages
    assert oxigraph_store_path(project, result.manifest).is_dir()  # updated by the delta all the same


def test_the_shapes_reach_is_worked_out_at_the_first_incremental_build_only(built, tmp_path, monkeypatch):
    from kg import shape_reach

    runs, real = [], shape_reach.shape_reach
    monkeypatch.setattr(shape_reach, "shape_reach", lambda shapes: runs.append(1) or real(shapes))
    root = _copy(built, tmp_path)
    project = open_project(root)
    rng = random.Random(8)
    for _ in range(3):
        _edit(root, rng, EDITS[0])
        assert INCREMENTAL in build(project).stages
    assert len(runs) == 1 and len(list((project.build / shape_reach.REACH_CACHE_DIR).glob("*.json"))) == 1
    assert _files(root) == _files(_full_build_of(root, tmp_path / "fresh"))


def test_a_full_build_keeps_the_shapes_reach_for_the_first_edit(built, tmp_path, monkeypatch):
    from kg import shape_reach

    runs, real = [], shape_reach.shape_reach
    monkeypatch.setattr(shape_reach, "shape_reach", lambda shapes: runs.append(1) or real(shapes))
    root = _copy(built, tmp_path)
    project = open_project(root)
    shutil.rmtree(project.build / shape_reach.REACH_CACHE_DIR, ignore_errors=True)
    build(project, force=True)
    assert len(runs) == 1 and len(list((project.build / shape_reach.REACH_CACHE_DIR).glob("*.json"))) == 1
    _edit(root, random.Random(9), EDITS[0])
    assert INCREMENTAL in build(project).stages
    assert len(runs) == 1


def test_a_corpus_too_small_for_incremental_builds_keeps_no_reach(built, tmp_path, monkeypatch):
    from kg import shape_reach

    monkeypatch.setattr(incremental_build, "FEWEST_LINES", 10 ** 9)
    root = _copy(built, tmp_path)
    project = open_project(root)
    shutil.rmtree(project.build / shape_reach.REACH_CACHE_DIR, ignore_errors=True)
    build(project, force=True)
    assert not (project.build / shape_reach.REACH_CACHE_DIR).exists()


def test_the_inferred_graphs_patch_is_worked_out_once(built, tmp_path, monkeypatch):
    # the build checks that the delta fits the old block, then writes it: one search, not two
    from kg import dataset_delta

    calls, real = [], dataset_delta.patched_parts
    monkeypatch.setattr(dataset_delta, "patched_parts", lambda *args: calls.append(args[3]) or real(*args))
    root = _copy(built, tmp_path)
    project = open_project(root)
    _edit(root, random.Random(10), EDITS[0])
    assert INCREMENTAL in build(project).stages
    assert calls == [INFERRED_GRAPH]
