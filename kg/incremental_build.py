"""A build after a small edit: only the changed graphs are reasoned about, checked and written anew.

A full build reasons over, checks and writes every triple of the corpus: 126 s for a reworded claim at
10,000 articles. When the previous build left what an update needs — its dataset with the index of its
graphs in the same context (kg/dataset_delta.py) and its on-disk query store (made by a query, kept up
to date by later builds) — and only a few asserted graphs changed, the build instead:

1. loads the lines of the changed graphs only, and diffs them with their blocks in the old dataset;
2. copies the old query store (a RocksDB checkpoint: hard links, milliseconds) and brings the copy's
   closure up to date with delete/rederive (kg/incremental_rules.py), which gives the inferred graph's delta;
3. checks the shapes and anchors that the changed triples can reach, in that copy (kg/shapes.py `changed`);
4. writes the dataset from the old blocks of unchanged graphs, the changed graphs' lines and the old
   inferred block patched with its delta, and renames the copy into the new dataset's store.

Each step falls back to the full build whenever it cannot be exact (incremental_rules returns None), and
whenever something is wrong (a contradiction, a shape violation): the full build then reports it, with
every annotation line at hand. The result is byte for byte the dataset a full build writes
(tests/test_incremental_build.py compares them after every kind of edit).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import vocabulary as V
from .dataset_delta import INFERRED, GraphDelta, PreviousDataset
from .errors import AnnotationError, InconsistencyError
from .store import Manifest, oxigraph_store_path

if TYPE_CHECKING:
    from .build import ProjectReading, _StageClock
    from .project import Project

# More changed graphs than this share of them and the full build is about as quick, and surely exact.
_MOST_CHANGED_SHARE = 0.02
# A dataset of fewer lines is reasoned about and checked whole faster than the update's own fixed costs
# (loading the schema into the store, working out the shapes' reach): on the seeds a claim edit takes
# 0.5 s in full, 0.7 s through the update; the build then checks every shape too.
FEWEST_LINES = 20_000


@dataclass
class IncrementalPlan:
    """What the write needs: the new lines of the changed asserted graphs (absent: removed), the inferred
    graph's delta, each graph's triple count, and the updated copy of the query store."""

    lines: dict[str, set[str]]
    inferred: GraphDelta
    counts: dict[str, int]
    store_path: Path

    def discard(self) -> None:
        shutil.rmtree(self.store_path, ignore_errors=True)


def derive_incrementally(project: Project, reading: ProjectReading, graph_digests: dict[str, bytes], previous: PreviousDataset,
                         old: Manifest, reasoner: str, context: str, clock: _StageClock) -> IncrementalPlan | None:
    """The plan of an incremental build, or None: then the full build runs (see the module docstring)."""
    source = oxigraph_store_path(project, old)
    if reasoner != "rules" or previous.context_sha256 != context or not large_enough(previous) or not source.is_dir():
        return None
    changed = sorted(name for name, digest in graph_digests.items() if not previous.unchanged(name, digest))
    gone = sorted(name for name in previous.blocks if name not in graph_digests and name != INFERRED)
    if str(V.ONTOLOGY_GRAPH) in changed or len(changed) + len(gone) > max(1, _MOST_CHANGED_SHARE * len(graph_digests)):
        return None
    with clock("read, anchor and emit articles"):
        try:
            lines = reading.lines_of(changed)
        except AnnotationError:
            return None  # an entry made again from a file edited meanwhile: the full build says what is wrong
        changes = {}
        for name in [*changed, *gone]:
            old_lines, new_lines = set(previous.old_lines(name)), lines.get(name, set())
            changes[name] = (old_lines - new_lines, new_lines - old_lines)
    working = Path(tempfile.mkdtemp(prefix=f".{source.name}.", suffix=".partial", dir=project.build))
    try:
        with clock("reason (rules, incremental)"):
            _checkpoint(source, working)
        inferred = _updated_and_checked(project, reading, previous, lines, changes, working, clock)
        if inferred is None:
            shutil.rmtree(working, ignore_errors=True)
            return None
    except OSError:
        # the old store is only a cache (damaged, removed meanwhile, a full disk): build in full
        shutil.rmtree(working, ignore_errors=True)
        return None
    except BaseException:
        shutil.rmtree(working, ignore_errors=True)
        raise
    counts = {name: old.graphs.get(name, 0) for name in graph_digests}
    counts.update({name: len(graph_lines) for name, graph_lines in lines.items()})
    counts[INFERRED] = old.graphs.get(INFERRED, 0) - len(inferred.removed) + len(inferred.added)
    return IncrementalPlan(lines, inferred, counts, working)


def _updated_and_checked(project: Project, reading: ProjectReading, previous: PreviousDataset, lines: dict[str, set[str]], changes,
                         working: Path, clock: _StageClock) -> GraphDelta | None:
    """The inferred graph's delta, with the store at `working` brought up to date; None if that cannot be
    exact or the checks find a problem (the store is then half done: the caller removes it)."""
    import pyoxigraph as ox

    store = ox.Store(str(working))  # one handle for the update and the checks: opening it again costs 20-60 ms at 1,000 articles
    try:
        with clock("reason (rules, incremental)"):
            inferred = _update_closure(project, reading, store, changes)
        if inferred is None or not _fits(previous, inferred):
            return None
        with clock("check shapes and anchors"):
            return None if _shape_problems(project, previous, lines, changes, inferred, store) else inferred
    finally:
        with clock("reason (rules, incremental)"):
            store.flush()
            del store  # closes it: the plan's store is renamed into place after the dataset is written


def _fits(previous: PreviousDataset, inferred: GraphDelta) -> bool:
    """Whether the inferred graph's delta removes only lines the old inferred graph has and adds only
    lines it lacks, as an exact update's delta does: anything else is built in full, never written."""
    if INFERRED not in previous.blocks:
        return not inferred.removed
    return previous.patched(INFERRED, inferred) is not None


def large_enough(previous: PreviousDataset) -> bool:
    """Whether the previous dataset is large enough for an update to be quicker than doing it all again."""
    return previous.line_count >= FEWEST_LINES


def _checkpoint(source: Path, working: Path) -> None:
    """A copy of the previous store to update: the old one stays as it is until the new dataset is saved."""
    import pyoxigraph as ox

    os.rmdir(working)  # backup() makes it
    ox.Store.read_only(str(source)).backup(str(working))


def _update_closure(project: Project, reading: ProjectReading, store, changes) -> GraphDelta | None:
    from .incremental_rules import update_closure
    from .rules import _graph
    from .schema_cache import SchemaCache

    ontology_lines = reading.shared_lines[str(V.ONTOLOGY_GRAPH)]
    schema = SchemaCache(project.build, True, True).closure(lambda: _graph(" .\n".join(ontology_lines) + " .\n"), ontology_lines)
    try:
        delta = update_closure(store, changes, ontology_lines, schema)
    except InconsistencyError:
        return None  # the full build reports it, with the annotation lines of every article at hand
    return None if delta is None else GraphDelta(frozenset(delta.removed), frozenset(delta.added))


def _shape_problems(project: Project, previous: PreviousDataset, lines: dict[str, set[str]], changes, inferred: GraphDelta,
                    store) -> bool:
    from .shape_reach import REACH_CACHE_DIR
    from .shapes import check_triple_lines

    changed = set(inferred.removed) | set(inferred.added)
    for removed, added in changes.values():
        changed |= removed | added

    def graph_lines(name: str):  # one graph's lines now; None for the inferred graph (most of them) or one gone
        if name in lines:
            return lines[name]
        if name == INFERRED or name in changes or name not in previous.blocks:
            return None
        return previous.old_lines(name)

    def every_line():  # read only if a check needs values the change did not bring (kg/shapes.py)
        for name in sorted(previous.blocks):
            if name == INFERRED:
                yield from (set(previous.old_lines(name)) - inferred.removed) | inferred.added
            else:
                yield from graph_lines(name) or ()
        yield from (line for name, graph in lines.items() if name not in previous.blocks for line in graph)

    return bool(check_triple_lines(every_line(), {}, project.root, project.shapes, store, changed=changed,
                                   reach_cache=project.build / REACH_CACHE_DIR, graph_lines=graph_lines))


def adopt_store(project: Project, plan: IncrementalPlan, old: Manifest, new: Manifest) -> None:
    """After the new dataset is saved: the updated copy becomes its store, and the old store goes."""
    target = oxigraph_store_path(project, new)
    try:
        if target.exists():
            plan.discard()
        else:
            os.rename(plan.store_path, target)
    except OSError:
        plan.discard()  # only a cache of the dataset: the next query makes it
    if old.dataset_sha256 != new.dataset_sha256:
        shutil.rmtree(oxigraph_store_path(project, old), ignore_errors=True)
