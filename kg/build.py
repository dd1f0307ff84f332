"""`kg build`: annotations -> anchored RDF -> OWL 2 RL closure -> the build directory."""
from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.plugins.serializers.nquads import _nq_row

from . import vocabulary as V
from .annotations import Corpus, read_corpus
from .collector import collector_paused
from .errors import AnnotationError, ProjectError, Problem
from .graph import Origins, corpus_graphs, new_graph
from .dataset_delta import DatasetBlocks, DatasetDelta, PreviousDataset, context_digest, open_previous
from .project import Project
from .network import offline
from .incremental_build import IncrementalPlan, adopt_store, large_enough
from .query_store_update import update_query_store
from .segments import write_dataset
from .store import (Manifest, build_lock, dataset_intact, input_digests, inputs_digest, is_current, oxigraph_store_path, read_manifest,
                    remove_stale_temporaries, save, save_manifest)

if TYPE_CHECKING:
    from .article_stage import ArticleResult, ArticleStage
    from .background_write import BackgroundWrite


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


@dataclass
class ProjectReading:
    """What read_inputs read of a project: the corpus, and each asserted graph's digest before its
    lines, which are loaded (graph_lines) only if those digests say a triple changed."""

    corpus: Corpus
    shared_lines: dict[str, set[str]]  # the ontology's graph and the registry's
    origins: Origins  # of the registry's nodes; graph_lines adds the articles'
    articles: list[ArticleResult]  # in file order
    stage: ArticleStage  # that made them, to load their lines
    _graph_digests: dict[str, bytes] | None = None

    def graph_digests(self) -> dict[str, bytes]:
        """Computed once (a build asks three times; at 10,000 articles each is 0.07 s)."""
        from .article_stage import graph_sha256

        if self._graph_digests is None:
            digests = {name: graph_sha256(lines) for name, lines in self.shared_lines.items()}
            for result in self.articles:
                digests[V.article_graph_name(result.article.id)] = result.lines_sha256
            self._graph_digests = digests
        return dict(self._graph_digests)

    def lines_of(self, names: list[str]) -> dict[str, set[str]]:
        """The lines of the named graphs only (those that exist): what an incremental build loads."""
        wanted = set(names)
        lines = {name: graph for name, graph in self.shared_lines.items() if name in wanted}
        articles = [result for result in self.articles if V.article_graph_name(result.article.id) in wanted]
        self.stage.load_lines(articles)
        problems = [problem for result in articles for problem in result.problems]
        if problems:
            raise AnnotationError(problems)
        for result in articles:
            lines[V.article_graph_name(result.article.id)] = result.lines
        return lines

    def graph_lines(self) -> tuple[dict[str, set[str]], Origins]:
        self.stage.load_lines(self.articles)
        # an article made again (its entry was damaged) from a file edited since read_inputs
        problems = [problem for result in self.articles for problem in result.problems]
        if problems:
            raise AnnotationError(problems)
        lines = dict(self.shared_lines)
        for result in self.articles:
            lines[V.article_graph_name(result.article.id)] = result.lines
        # The first note of a node wins: the registry's, then the articles' in file order. Merged by
        # dict.update, last to first, rather than a setdefault per node (hundreds of thousands).
        merged: dict = {}
        for origins in [*(result.origins for result in reversed(self.articles)), self.origins.lines]:
            merged.update(origins)
        self.origins.lines.clear()
        self.origins.lines.update(merged)
        return lines, self.origins


def read_inputs(project: Project, use_cache: bool = True, writable_cache: bool = True,
                on_file: Callable[[int, int], None] | None = None, digests: dict[str, bytes] | None = None) -> ProjectReading:
    """Read, check and anchor every annotation file and emit its triples (kg/article_stage.py: cached
    by content, in parallel); raise on any problem. `digests`: store.input_digests(project), if taken."""
    from .annotations import REGISTRY_FILE, check_corpus, read_registry
    from .article_stage import ArticleCache, ArticleStage
    from .errors import ProblemCollector
    from .graph import registry_graph
    from .ntriples import TripleLines
    from .ontology_cache import ontology_lines
    from .store import input_digests

    digests = input_digests(project) if digests is None else digests
    problems = ProblemCollector()
    registry_path = project.seeds / REGISTRY_FILE
    registry = read_registry(registry_path, project.relative(registry_path), problems)
    cache = ArticleCache(project.root, project.build, f"seeds/{REGISTRY_FILE}", digests, readable=use_cache, writable=writable_cache)
    stage = ArticleStage(project.root, _annotation_names(project), registry, cache)
    results = stage.results(on_file)
    for result in results:
        problems.problems.extend(result.problems)
    articles = [result.article for result in results if result.article is not None]
    check_corpus(articles, registry, problems)
    problems.raise_if_any(AnnotationError)

    def made_ontology_lines() -> set[str]:
        ontology = TripleLines()
        for triple in load_ontology(project):
            ontology.add(triple)
        return ontology.lines

    origins = Origins()
    registry_lines = TripleLines()
    registry_graph(registry, origins, into=registry_lines)
    lines = {str(V.ONTOLOGY_GRAPH): ontology_lines(project, digests, made_ontology_lines, use_cache, writable_cache),
             str(V.REGISTRY_GRAPH): registry_lines.lines}
    return ProjectReading(Corpus(registry, articles), lines, origins, results, stage)


def _annotation_names(project: Project) -> list[str]:
    """Every annotation file but the registry by its name in the project (`seeds/a.yaml`), as
    glob("*.yaml") finds them (no hidden file), without a Path per file."""
    from .annotations import REGISTRY_FILE

    return [f"seeds/{name}" for name in sorted(os.listdir(project.seeds))
            if name.endswith(".yaml") and not name.startswith(".") and name != REGISTRY_FILE]


def read_project(project: Project, use_cache: bool = True, writable_cache: bool = True,
                 on_file: Callable[[int, int], None] | None = None) -> tuple[Corpus, dict[str, set[str]], Origins]:
    """read_inputs with every graph's lines: the corpus, each graph's N-Triples text and the origins."""
    reading = read_inputs(project, use_cache, writable_cache, on_file)
    lines, origins = reading.graph_lines()
    return reading.corpus, lines, origins


def union(graphs: dict[URIRef, Graph]) -> Graph:
    merged = new_graph()
    for graph in graphs.values():
        for triple in graph:
            merged.add(triple)
    return merged


REASONERS = ("rules", "owlrl")


def reason(graphs: dict[URIRef, Graph], origins: Origins | None = None, reasoner: str = "rules") -> Graph:
    """The inferred graph: OWL 2 RL by the fast rules (kg/rules.py) or by owlrl's full closure."""
    lines = origins.lines if origins else None
    if reasoner == "owlrl":
        from .reasoning import infer

        return infer(union(graphs), lines)
    from .rules import infer

    return infer(list(graphs.values()), graphs[V.ONTOLOGY_GRAPH], lines)


def reason_lines(project: Project, lines: dict[str, set[str]], origins: Origins, reasoner: str = "rules",
                 use_cache: bool = True, writable_cache: bool = True,
                 stored: Callable[[str], bool] | None = None) -> tuple[set[str], object | None]:
    """The inferred graph as N-Triples text, and the pyoxigraph store of the asserted and inferred triples
    if the rules made one (kg/rules.py closure_lines; else None; with `stored`, of the inferred triples
    no rule reads only those it accepts). The rules read the emitted text directly (and the schema's
    closure from the build's cache, kg/schema_cache.py); owlrl, the reference, gets the rdflib graphs it
    needs, made again from the annotations."""
    if reasoner == "owlrl":
        from .ntriples import term

        graphs, _ = assemble(project, read_corpus(project.seeds, project.root))
        return {f"{term(s)} {term(p)} {term(o)}" for s, p, o in reason(graphs, origins, "owlrl")}, None
    from .rules import closure_lines
    from .schema_cache import SchemaCache

    return closure_lines(lines, origins.lines, schema_cache=SchemaCache(project.build, use_cache, writable_cache), stored=stored)


@dataclass
class Derived:
    """What _derive made: the corpus, every graph as N-Triples text (None if the last build derived from
    the same), the derivation digest, each asserted graph's digest, and what changed since the previous dataset."""

    corpus: Corpus
    lines: dict[str, set[str]] | None
    derivation: str
    graph_digests: dict[str, bytes] = field(default_factory=dict)
    delta: DatasetDelta | None = None
    plan: IncrementalPlan | None = None  # instead of `lines`, when only the change was reasoned about
    writing: BackgroundWrite | None = None  # the dataset's first blocks, written while reasoning (with `lines`)


def _derive(project: Project, reasoner: str, clock: "_StageClock", report: Callable[[str, int, int], None],
            writable_cache: bool = True, use_cache: bool = True,
            unchanged: Callable[[str], bool] = lambda derivation: False,
            digests: dict[str, bytes] | None = None, previous: PreviousDataset | None = None,
            old: Manifest | None = None) -> Derived:
    """The corpus, every graph of the dataset (the inferred one included) as N-Triples text, and the
    digest of what they derive from; raise on any problem. If `unchanged(digest)` says the last build
    derived from the same, the graphs are None: reasoning and the checks would only repeat it. Given
    the `previous` dataset, the delta from it too (kg/dataset_delta.py); and with its manifest `old` too,
    only the change is reasoned about and checked where that is possible (kg/incremental_build.py)."""
    with clock("read, anchor and emit articles"):
        reading = read_inputs(project, use_cache, writable_cache,
                              on_file=lambda done, total: report("reading annotations", done, total), digests=digests)
        derivation = derivation_digest(project, reading.graph_digests(), reasoner)
    if unchanged(derivation):
        return Derived(reading.corpus, None, derivation)
    if previous is not None and old is not None:
        from .incremental_build import derive_incrementally

        graph_digests = reading.graph_digests()
        context = context_digest(project, reasoner, graph_digests.get(str(V.ONTOLOGY_GRAPH), b""))
        plan = derive_incrementally(project, reading, graph_digests, previous, old, reasoner, context, clock)
        if plan is not None:
            # of the lines read: an entry that was not what the index said was made again
            graph_digests = reading.graph_digests()
            return Derived(reading.corpus, None, derivation_digest(project, graph_digests, reasoner), graph_digests, plan=plan)
    with clock("read, anchor and emit articles"):
        lines, origins = reading.graph_lines()
        # of the lines read: an entry that was not what the index said was made again
        graph_digests = reading.graph_digests()
        derivation = derivation_digest(project, graph_digests, reasoner)
    context = context_digest(project, reasoner, graph_digests.get(str(V.ONTOLOGY_GRAPH), b""))
    same_context = previous is not None and previous.context_sha256 == context
    writing = _write_early(project, lines, graph_digests, previous, same_context, context) if writable_cache else None
    try:
        return _reason_and_check(project, reasoner, clock, report, reading.corpus, lines, origins, derivation, graph_digests,
                                 previous, old, same_context, use_cache, writable_cache, writing)
    except BaseException:
        if writing is not None:
            writing.cancel()
        raise


def _write_early(project: Project, lines: dict[str, set[str]], graph_digests: dict[str, bytes], previous: PreviousDataset | None,
                 same_context: bool, context: str) -> BackgroundWrite:
    """Start writing the dataset's blocks that come before the inferred graph's (kg/background_write.py)."""
    from .background_write import BackgroundWrite

    early = [name for name in lines if name < str(V.INFERRED_GRAPH)]
    blocks = DatasetBlocks(lines, graph_digests, previous, same_context, names=early)
    return BackgroundWrite(project.build, blocks, context, blocks.copy)


def _reason_and_check(project: Project, reasoner: str, clock: "_StageClock", report: Callable[[str, int, int], None], corpus: Corpus,
                      lines: dict[str, set[str]], origins: Origins, derivation: str, graph_digests: dict[str, bytes],
                      previous: PreviousDataset | None, old: Manifest | None, same_context: bool, use_cache: bool,
                      writable_cache: bool, writing: BackgroundWrite | None) -> Derived:
    from .check_reads import check_reads
    from .shapes import check_triple_lines

    stages = 4
    # a large build's store holds only the inferred triples the checks can read (kg/check_reads.py)
    asserted_reach_cache = _reach_cache(project, lines, writable_cache)
    reads = check_reads(project.root, project.shapes, asserted_reach_cache) if asserted_reach_cache is not None and reasoner == "rules" else None
    report(f"reasoning ({reasoner})", 1, stages)
    with clock(f"reason ({reasoner})"):
        lines[str(V.INFERRED_GRAPH)], store = reason_lines(project, lines, origins, reasoner, use_cache, writable_cache, stored=reads)
    delta, changed = None, None
    # the delta serves the shape checks (if the last dataset passed the same ones, only what changed can
    # fail) and the query store's update; neither use, and it is not worth its seconds at 10,000 articles
    if previous is not None and (same_context or (old is not None and oxigraph_store_path(project, old).is_dir())):
        with clock("compare with the last build"):
            delta = previous.delta(lines, graph_digests)
        if same_context and large_enough(previous):  # else checking everything is quicker
            changed = delta.changed_triples()
    report("checking shapes and anchors", 2, stages)
    with clock("check shapes and anchors"):
        reach_cache = _reach_cache(project, lines, writable_cache)

        def check() -> list[Problem]:
            return check_triple_lines((line for graph in lines.values() for line in graph), origins.lines, project.root, project.shapes, store,
                                      changed=changed, reach_cache=reach_cache)

        problems = check()
        if problems and reads is not None and store is not None:
            # a problem's annotation line is looked up through any triple that points at its node: with
            # every inferred triple in the store, the problems are the ones a full store gives
            _load_lines(store, (line for line in lines[str(V.INFERRED_GRAPH)] if not reads(line)))
            problems = check()
        del store  # its memory, before the dataset is written
        if problems:
            raise AnnotationError(problems)
    return Derived(corpus, lines, derivation, graph_digests, delta, writing=writing)


def _load_lines(store, lines: Iterable[str]) -> None:
    import pyoxigraph as ox

    from .ntriples import documents
    from .streams import ChunkStream

    store.load(ChunkStream(documents(lines)), format=ox.RdfFormat.N_TRIPLES, lenient=True)


def _reach_cache(project: Project, lines: dict[str, set[str]], writable_cache: bool) -> Path | None:
    """Where the check keeps the shapes' reach for the next build, if that build can be incremental."""
    from .incremental_build import FEWEST_LINES
    from .shape_reach import REACH_CACHE_DIR

    if not writable_cache or sum(len(graph) for graph in lines.values()) < FEWEST_LINES:
        return None
    return project.build / REACH_CACHE_DIR


def derivation_digest(project: Project, graph_digests: dict[str, bytes], reasoner: str) -> str:
    """A digest of everything the inferred graph and the checks depend on: every asserted triple (the
    ontology's, the registry's, each article's, with its text's checksum; by each graph's digest,
    article_stage.graph_sha256), and the context (dataset_delta.context_digest: the shapes, the reasoner,
    kg's own code and the libraries' versions). An edit that changes none of them (a comment, the layout
    of a YAML file) changes no triple of the dataset."""
    import hashlib

    context = context_digest(project, reasoner, graph_digests.get(str(V.ONTOLOGY_GRAPH), b""))
    digest = hashlib.sha256(f"kg-derivation-3\n{context}\n".encode())
    for name in sorted(graph_digests):
        digest.update(f"\0graph {name}\n".encode() + graph_digests[name])
    return digest.hexdigest()


def validate_project(project: Project, allow_network: bool = False) -> Corpus:
    """Everything `kg build` checks — annotations, OWL consistency, shapes, anchors — without writing anything."""
    with offline(allow_network), collector_paused():
        return _derive(project, "rules", _StageClock(), lambda stage, done, total: None, writable_cache=False).corpus


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
        raise AnnotationError(sorted({p._replace(file=display, line=None, column=None) for p in problems}, key=str))
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
    `progress(stage, done, total)` as the work goes on, for a progress bar. Unless `force`, the
    previous dataset is compared with (kg/dataset_delta.py): unchanged graphs are copied from it, and
    its query store, if a query made one, is brought up to date (kg/query_store_update.py).
    """
    report = progress or (lambda stage, done, total: None)
    with build_lock(project), offline(allow_network), collector_paused():
        remove_stale_temporaries(project)
        manifest = read_manifest(project)
        digests = input_digests(project, trust_seen=not force)  # the article stage keys its cache by these
        if not force and manifest and is_current(project, manifest, digests):
            return BuildResult(False, manifest, project.build)
        if on_start:
            on_start()
        clock = _StageClock()
        digest = inputs_digest(project, digests)
        stages = 4

        def unchanged(derivation: str) -> bool:
            # the same triples as the last build: its dataset stands (if it is still the file it wrote)
            return (not force and manifest is not None and manifest.derivation_sha256 == derivation
                    and dataset_intact(project, manifest))

        with contextlib.ExitStack() as stack:
            previous = None if force else open_previous(project, manifest)
            if previous is not None:
                stack.enter_context(previous)
            derived = _derive(project, reasoner, clock, report, use_cache=not force, unchanged=unchanged, digests=digests,
                              previous=previous, old=manifest)
            if derived.lines is None and derived.plan is None:
                manifest = manifest._replace(inputs_sha256=digest)
                save_manifest(project, manifest)
                report("done", stages, stages)
                return BuildResult(True, manifest, project.build, dict(clock.seconds))
            plan = derived.plan
            try:
                report("writing", 3, stages)
                with clock("write"):
                    context = context_digest(project, reasoner, derived.graph_digests.get(str(V.ONTOLOGY_GRAPH), b""))
                    if plan is None:
                        lines = derived.lines
                        graphs = {name: len(lines[name]) for name in sorted(lines)}
                        blocks = DatasetBlocks(lines, derived.graph_digests, previous, previous is not None and previous.context_sha256 == context,
                                               names=[name for name in graphs if name >= str(V.INFERRED_GRAPH)])
                        # the blocks before these were written while reasoning (kg/background_write.py)
                        write = lambda: derived.writing.finish(blocks, sum(graphs.values()))  # noqa: E731
                    else:
                        graphs = dict(sorted(plan.counts.items()))
                        blocks = DatasetBlocks(plan.lines, derived.graph_digests, previous, True, names=list(graphs), inferred_patch=plan.inferred)
                        write = lambda: write_dataset(project.build, blocks, context, sum(graphs.values()), blocks.copy)  # noqa: E731
                    new_manifest = save(project, write, lambda dataset_sha256: Manifest(digest, dataset_sha256, graphs, derived.derivation))
            except BaseException:
                if plan is not None:
                    plan.discard()
                if derived.writing is not None:
                    derived.writing.cancel()
                raise
        if plan is not None:
            adopt_store(project, plan, manifest, new_manifest)
        elif manifest is not None:
            with clock("update the query store"):
                update_query_store(project, manifest, new_manifest, derived.delta, sum(graphs.values()))
        report("done", stages, stages)
        return BuildResult(True, new_manifest, project.build, dict(clock.seconds))


def ensure_built(project: Project, on_start: Callable[[], None] | None = None, allow_network: bool = False) -> BuildResult:
    return build(project, force=False, on_start=on_start, allow_network=allow_network)
