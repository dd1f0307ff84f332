"""`kg build`: annotations -> anchored RDF -> OWL 2 RL closure -> the build directory."""
from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.plugins.serializers.nquads import _nq_row

from . import vocabulary as V
from .annotations import Corpus, read_corpus
from .errors import AnnotationError, ProjectError, Problem
from .graph import Origins, corpus_graphs, new_graph
from .project import Project
from .network import offline
from .store import Manifest, build_lock, inputs_digest, is_current, read_manifest, remove_stale_temporaries, save


class _StageClock:
    """Wall time per build stage, for `kg build --timings` and the benchmark."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, stage: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - started


@dataclass(frozen=True)
class BuildResult:
    rebuilt: bool
    manifest: Manifest
    path: Path
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage, empty when nothing was rebuilt

    @property
    def asserted_count(self) -> int:
        return sum(n for g, n in self.manifest.graphs.items() if g != str(V.INFERRED_GRAPH))

    @property
    def inferred_count(self) -> int:
        return self.manifest.graphs.get(str(V.INFERRED_GRAPH), 0)


def load_ontology(project: Project) -> Graph:
    if not project.ontology_files():
        raise ProjectError(f"{project.ontology} holds no .ttl ontology file: copy ontology/ from the kg repository")
    graph = new_graph()
    for path in project.ontology_files():
        try:
            graph.parse(path, format="turtle")
        except Exception as error:  # rdflib raises many parser types; all mean the same to a user
            raise ProjectError(Problem(project.relative(path), _line_of(error), None, f"cannot parse the ontology: {error}", "fix the Turtle syntax", "ontology")) from None
    # Stable blank node labels, so the same ontology always writes the same bytes.
    canonical = new_graph()
    for triple in to_canonical_graph(graph):
        canonical.add(triple)
    return canonical


def _line_of(error: Exception) -> int | None:
    for attribute in ("lines", "line"):
        value = getattr(error, attribute, None)
        if isinstance(value, int):
            return value
    return None


def assemble(project: Project, corpus: Corpus) -> tuple[dict[URIRef, Graph], Origins]:
    """All asserted named graphs: the ontology, the registry and one per article."""
    origins = Origins()
    graphs = {V.ONTOLOGY_GRAPH: load_ontology(project)}
    graphs.update(corpus_graphs(corpus, origins))
    return graphs, origins


def union(graphs: dict[URIRef, Graph]) -> Graph:
    merged = new_graph()
    for graph in graphs.values():
        for triple in graph:
            merged.add(triple)
    return merged


def check_built_graphs(project: Project, graphs: dict[URIRef, Graph], origins: Origins) -> None:
    """SHACL shapes (ontology/shapes/) and anchor offsets against the verbatim files; raise on any violation."""
    from .shapes import check_shapes

    problems = check_shapes(union(graphs), origins.lines, project.root, project.shapes)
    if problems:
        raise AnnotationError(problems)


REASONERS = ("rules", "owlrl")


def reason(graphs: dict[URIRef, Graph], origins: Origins | None = None, reasoner: str = "rules") -> Graph:
    """The inferred graph: OWL 2 RL by the fast rules (kg/rules.py) or by owlrl's full closure."""
    lines = origins.lines if origins else None
    if reasoner == "owlrl":
        from .reasoning import infer

        return infer(union(graphs), lines)
    from .rules import infer

    return infer(list(graphs.values()), graphs[V.ONTOLOGY_GRAPH], lines)


def validate_project(project: Project, allow_network: bool = False) -> Corpus:
    """Everything `kg build` checks — annotations, OWL consistency, shapes, anchors — without writing anything."""
    with offline(allow_network):
        corpus = read_corpus(project.seeds, project.root)
        graphs, origins = assemble(project, corpus)
        graphs[V.INFERRED_GRAPH] = reason(graphs, origins)
        check_built_graphs(project, graphs, origins)
    return corpus


def validate_data(project: Project, path: Path) -> int:
    """Check RDF a user hands in against the ontology (OWL 2 RL consistency) and the shapes; return its triple count."""
    from .userdata import read_user_rdf

    dataset = read_user_rdf(path, project.relative(path))
    data = new_graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        data.add((s, p, o))
    with offline():
        ontology = load_ontology(project)
        inferred = reason({V.ONTOLOGY_GRAPH: ontology, V.REGISTRY_GRAPH: data})
        from .shapes import check_shapes

        problems = check_shapes(data + ontology + inferred, {}, project.root, project.shapes)
    if problems:
        display = project.relative(path)
        # user data has no annotation lines to point at: every problem is about the data file
        raise AnnotationError(sorted({replace(p, file=display, line=None, column=None) for p in problems}, key=str))
    return len(data)


def serialise_nquads(graphs: dict[URIRef, Graph]) -> bytes:
    """N-Quads, one graph after another in IRI order, lines sorted: byte-identical for equal graphs."""
    lines: list[str] = []
    for name in sorted(graphs, key=str):
        graph_lines = sorted(_nq_row(triple, name) for triple in graphs[name])
        lines.extend(graph_lines)
    return "".join(lines).encode("utf-8")


def build(project: Project, force: bool = False, on_start: Callable[[], None] | None = None, allow_network: bool = False,
          reasoner: str = "rules", progress: Callable[[str, int, int], None] | None = None) -> BuildResult:
    """Build the dataset unless the build directory is already current for these inputs.

    `on_start` is called only when work is about to be done, so a caller can say so;
    `progress(stage, done, total)` as the work goes on, for a progress bar.
    """
    report = progress or (lambda stage, done, total: None)
    with build_lock(project), offline(allow_network):
        remove_stale_temporaries(project)
        manifest = read_manifest(project)
        if not force and manifest and is_current(project, manifest):
            return BuildResult(False, manifest, project.build)
        if on_start:
            on_start()
        clock = _StageClock()
        digest = inputs_digest(project)
        stages = 5
        with clock("read and anchor annotations"):
            corpus = read_corpus(project.seeds, project.root, lambda done, total: report("reading annotations", done, total))
        report("emitting triples", 1, stages)
        with clock("emit triples"):
            graphs, origins = assemble(project, corpus)
        report(f"reasoning ({reasoner})", 2, stages)
        with clock(f"reason ({reasoner})"):
            graphs[V.INFERRED_GRAPH] = reason(graphs, origins, reasoner)
        report("checking shapes and anchors", 3, stages)
        with clock("check shapes and anchors"):
            check_built_graphs(project, graphs, origins)
        report("writing", 4, stages)
        with clock("write"):
            data = serialise_nquads(graphs)
            manifest = Manifest(
                inputs_sha256=digest,
                dataset_sha256=hashlib.sha256(data).hexdigest(),
                graphs={str(name): len(graph) for name, graph in sorted(graphs.items(), key=lambda item: str(item[0]))},
            )
            save(project, data, manifest)
        report("done", stages, stages)
        return BuildResult(True, manifest, project.build, dict(clock.seconds))


def ensure_built(project: Project, on_start: Callable[[], None] | None = None, allow_network: bool = False) -> BuildResult:
    return build(project, force=False, on_start=on_start, allow_network=allow_network)
