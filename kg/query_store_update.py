"""Bring the on-disk query store of the previous build up to the new one by its delta.

The first query after a build loads the whole dataset into a new on-disk pyoxigraph store
(kg/oxigraph_engine.py): 90 s at 10,000 articles. When a build changed a few graphs and a store of
the previous dataset exists, the build instead moves that store aside, removes and adds the lines
that changed (kg/dataset_delta.py), and renames it to the new dataset's store: a few seconds at most.

The store's layout is kept exactly: each named graph's triples, and in the default graph the RDF
merge of all of them. A line added to a graph is added to the default graph too; a line removed
from a graph leaves the default graph only if no named graph holds it any more. Blank nodes would
need their labels kept across loads, so a delta with one (an ontology edit) is not applied: the
old store is dropped and the next query makes a new one, as it would have anyway.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .dataset_delta import DatasetDelta
from .project import Project
from .store import Manifest, oxigraph_store_path

# Above this share of the dataset's lines, loading everything again is about as quick as the delta.
_LARGEST_SHARE = 0.1


def update_query_store(project: Project, old: Manifest | None, new: Manifest, delta: DatasetDelta | None, dataset_lines: int) -> bool:
    """Turn the previous build's store into the new build's (call holding the build lock, after the new
    dataset and manifest are saved); True if the new store is ready. Any store the delta cannot
    bring up to date is removed, so a stale one never lingers."""
    if old is None or old.dataset_sha256 == new.dataset_sha256:
        return False
    source = oxigraph_store_path(project, old)
    target = oxigraph_store_path(project, new)
    if not source.is_dir() or target.exists():
        return False
    if delta is None or delta.line_count() > _LARGEST_SHARE * max(dataset_lines, 1) or _has_blank_node(delta):
        shutil.rmtree(source, ignore_errors=True)
        return False
    # Moved aside first: a build killed meanwhile leaves a ".partial" directory, which the next
    # store to be made removes (oxigraph_engine._create_store), never a store under a wrong name.
    working = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=project.build))
    os.rmdir(working)
    os.rename(source, working)
    try:
        _apply(working, delta)
        os.rename(working, target)
    except (OSError, SyntaxError, ValueError):
        # the store is only a cache of the dataset: the next query makes a new one
        shutil.rmtree(working, ignore_errors=True)
        return False
    except BaseException:
        shutil.rmtree(working, ignore_errors=True)
        raise
    return True


def _has_blank_node(delta: DatasetDelta) -> bool:
    return any("_:" in line for graph in delta.graphs.values() for lines in (graph.removed, graph.added) for line in lines)


def _apply(path: Path, delta: DatasetDelta) -> None:
    import pyoxigraph as ox

    store = ox.Store(str(path))
    default = ox.DefaultGraph()
    removed: set = set()
    for name, graph in sorted(delta.graphs.items()):
        named = ox.NamedNode(name)
        for triple in _triples(graph.removed):
            store.remove(ox.Quad(triple.subject, triple.predicate, triple.object, named))
            removed.add(triple)
    for name, graph in sorted(delta.graphs.items()):
        if graph.added:
            added = _document(graph.added)
            store.load(added, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(name))
            store.load(added, format=ox.RdfFormat.N_TRIPLES)  # the merge: a triple already there stays once
    for triple in removed:
        if not any(quad.graph_name != default for quad in store.quads_for_pattern(triple.subject, triple.predicate, triple.object)):
            store.remove(ox.Quad(triple.subject, triple.predicate, triple.object, default))
    store.flush()
    del store  # closes it


def _document(lines) -> bytes:
    return "".join(line + " .\n" for line in sorted(lines)).encode("utf-8")


def _triples(lines):
    import pyoxigraph as ox

    if not lines:
        return []
    return list(ox.parse(_document(lines), format=ox.RdfFormat.N_TRIPLES))
