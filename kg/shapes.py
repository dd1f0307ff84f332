"""SHACL shapes (ontology/shapes/*.ttl) checked with pySHACL on the built graph, plus the anchor checks
SHACL cannot do because they need the article's text file.

Every violation becomes a Problem at the annotation file and line that produced the node it is
about (the build's Origins), in the same `file:line: what is wrong (what to do)` form as the
annotation checks. The shapes' sh:message reads "WHAT IS WRONG: WHAT TO DO"; it is split at the
first ": " into the problem's message and hint.

After an edit of data that passed, `check_triple_lines(..., changed=...)` checks only the focus nodes and
anchors whose result a changed triple can reach (kg/shape_reach.py), with the same problems as a full check.
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import chain
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from . import vocabulary as V
from .errors import Problem

KG, OA = V.KG, V.OA
SH = "http://www.w3.org/ns/shacl#"


def sh(name: str) -> URIRef:
    return URIRef(SH + name)


_DEFAULT_HINT = "fix the annotation that produced this node, then rebuild"
_REANCHOR = "re-anchor: the article text changed or the offsets are wrong"


ENGINES = ("auto", "sparql", "pyshacl")


def check_shapes(data: Graph, origins: dict[URIRef, tuple[str, int]], project_root: Path, shapes_dir: Path,
                 engine: str = "auto") -> list[Problem]:
    """Every SHACL violation of `data` (asserted + inferred graph) and every anchor that does not fit
    its article's text, as Problems sorted by file, line, message.

    `engine`: "sparql" runs the shapes compiled to SPARQL in pyoxigraph (kg/shape_queries.py),
    "pyshacl" runs pySHACL, "auto" the first when it covers every shape, else pySHACL."""
    project_root = Path(project_root)
    shapes, shape_files, problems, _digest = _load_shapes(Path(shapes_dir), project_root)
    if len(shapes) and not problems:
        fallback_file = _relative(Path(shapes_dir), project_root)
        results = None
        if engine != "pyshacl":
            from .shape_queries import Unsupported

            try:
                results = _sparql_results(data, shapes)
            except Unsupported:
                if engine == "sparql":
                    raise
        if results is None:
            results = _pyshacl_results(data, shapes)
        problems.update(_problem(result, shape_files, origins, fallback_file, data) for result in results)
    problems.update(_anchor_problems(_anchor_records(data), origins, project_root, data))
    return sorted(problems, key=_order)


def _order(problem: Problem) -> tuple:
    return (problem.file, problem.line or 0, problem.column or 0, problem.message, problem.hint)


# --------------------------------------------------------------------------- SHACL


def _load_shapes(shapes_dir: Path, project_root: Path) -> tuple[Graph, dict[Node, str], set[Problem], bytes]:
    """All shapes files in one graph, which file (relative to the project) each shape comes from, a
    problem for each file that does not parse, and a digest of the bytes parsed (and of where each file is:
    relative IRIs resolve against it) that names the graph for kg/shape_reach.py kept_shape_reach."""
    import hashlib
    import io

    shapes = Graph()
    shape_files: dict[Node, str] = {}
    problems: set[Problem] = set()
    digest = hashlib.sha256(b"kg-shapes-1\0")
    for path in sorted(shapes_dir.glob("*.ttl")):
        name = _relative(path, project_root)
        graph = Graph()
        try:
            # parsed from the bytes digested, so that a file edited meanwhile cannot be kept under a key it does not have
            data, location = path.read_bytes(), path.absolute().as_uri()
            digest.update(location.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
            graph.parse(source=io.BytesIO(data), format="turtle", publicID=location)
        except Exception as error:  # rdflib raises many parser types; all mean the same to a user
            line = getattr(error, "lines", None)
            problems.add(Problem(name, line if isinstance(line, int) else None, None,
                                 f"cannot parse the SHACL shapes: {error}", "fix the Turtle syntax", "shape"))
            continue
        for triple in graph:
            shapes.add(triple)
            # Blank nodes keep their identity when copied, so property shapes map to their file too.
            shape_files.setdefault(triple[0], name)
        for prefix, namespace in graph.namespaces():
            shapes.bind(prefix, namespace, override=False)
    return shapes, shape_files, problems, digest.digest()


def check_triple_lines(lines: Iterable[str], origins: dict[URIRef, tuple[str, int]], project_root: Path, shapes_dir: Path,
                      store=None, changed: Iterable[str] | None = None, reach_cache: Path | None = None,
                      graph_lines: Callable[[str], Iterable[str] | None] | None = None) -> list[Problem]:
    """`check_shapes` for the build: the data is N-Triples text (kg/ntriples.py, without " ."), loaded once
    into pyoxigraph for the compiled shapes and the anchor checks (or given already loaded as `store`,
    whose default graph holds those triples, or at least every one of them the checks can read,
    kg/check_reads.py); no rdflib Graph of it is made unless the shapes need pySHACL.

    `changed`: None checks everything. Otherwise the lines (in the same form) of every triple added to or
    removed from the data since a previous check that found no problem with the same shapes, ontology
    and kg code: only the focus nodes and anchors whose result can depend on one of them are checked
    (kg/shape_reach.py works out which from the shapes), giving the same problems as checking
    everything. Where the shapes' reach cannot be bounded, or the change holds a blank node or an
    rdfs:subClassOf triple, everything is checked. With `store` given, the lines are then not read at all
    unless a node that may have become a focus node of a sh:datatype check has values for it that neither
    the changed lines nor (see `graph_lines`) the named graphs holding them give. `reach_cache`: a
    directory where the shapes' reach is kept between calls (kg/shape_reach.py kept_shape_reach).
    `graph_lines`: with a `store` that holds the named graphs too, the lines of one of them by name (None
    if reading it costs about as much as reading everything): a new focus node's unchanged values are then
    read from the graphs that hold them instead of from every line. With `changed` None and a
    `reach_cache`, the reach is worked out and kept there if it is not yet, for the next build's edit."""
    from .shape_queries import Unsupported, compile_shapes, run_checks

    project_root, shapes_dir = Path(project_root), Path(shapes_dir)
    shapes, shape_files, problems, shapes_digest = _load_shapes(shapes_dir, project_root)
    try:
        checks = compile_shapes(shapes) if len(shapes) and not problems else []
    except Unsupported:
        data = Graph().parse(data="".join(line + " .\n" for line in lines), format="nt")
        return check_shapes(data, origins, project_root, shapes_dir, engine="pyshacl")
    scope = _Scope.of(_reach_of(shapes, shapes_digest, reach_cache), changed) if changed is not None and not problems else None
    if changed is None and reach_cache is not None and not problems:
        _keep_reach(shapes, shapes_digest, reach_cache)
    view = _StoreData(lines, {check.datatype[1] for check in checks if check.datatype}, store, graph_lines)
    focus = anchors = None
    if scope is not None and scope.bound(view):
        focus, anchors = scope.focus, scope.anchors
    fallback_file = _relative(shapes_dir, project_root)
    # beside the checks: the anchors' query runs while this thread reads the literals the checks need
    with ThreadPoolExecutor(1) as beside:
        anchor_problems = beside.submit(_checked_anchors, view, anchors, origins, project_root)
        problems.update(_problem(result, shape_files, origins, fallback_file, view)
                        for result in run_checks(checks, view.store, view.failing_values, focus))
        problems.update(anchor_problems.result())
    return sorted(problems, key=_order)


def _checked_anchors(view: "_StoreData", anchors: set | None, origins: dict[URIRef, tuple[str, int]], project_root: Path) -> list[Problem]:
    """_anchor_problems of the `anchors` (pyoxigraph terms; None: every anchor)."""
    return _anchor_problems(view.anchor_records(anchors), origins, project_root, view)


# What the anchor checks read of an anchor, as kg/shape_reach.py paths: its type, its document, the document's
# text file and the SHA-256 of the text's bytes (so an edited text is a changed triple), its selectors and their
# offsets and exact text (StoreData.anchor_records). A missing text is reported once, at the first of its anchors:
# that one is among those checked, as every anchor of a document whose text went missing is (its kg:textFile or
# kg:sha256 changed; an anchor checked before read the text, so only a changed one can meet it missing).
_ANCHOR_PATHS = frozenset({
    ((str(RDF.type), True),), ((str(KG.inDocument), True),),
    ((str(KG.inDocument), True), (str(KG.textFile), True)), ((str(KG.inDocument), True), (str(KG.sha256), True)),
    ((str(OA.hasSelector), True),), ((str(OA.hasSelector), True), (str(OA.start), True)),
    ((str(OA.hasSelector), True), (str(OA.end), True)), ((str(OA.hasSelector), True), (str(OA.exact), True)),
})

# More focus nodes than this and the restricted queries (a VALUES block of them each) gain nothing.
_MOST_FOCUS = 50_000


def _reach_of(shapes: Graph, shapes_digest: bytes, reach_cache: Path | None):
    """A function giving the shapes' Reach: kept in `reach_cache` if there is one."""
    from .shape_reach import kept_shape_reach, shape_reach

    if reach_cache is None:
        return lambda: shape_reach(shapes)
    return lambda: kept_shape_reach(shapes, shapes_digest, reach_cache)


def _keep_reach(shapes: Graph, shapes_digest: bytes, reach_cache: Path) -> None:
    """The reach kept in `reach_cache` (a quarter of a second, with rdflib's SPARQL parser to import), so
    that the first edit after a full build does not work it out."""
    from .shape_reach import Unbounded

    with contextlib.suppress(Unbounded):
        _reach_of(shapes, shapes_digest, reach_cache)()


class _Scope:
    """The part of the data a change can affect: `focus`, the nodes whose shape checks can find something
    new, and `anchors`, the anchors whose text check can (pyoxigraph terms), once `bound`."""

    def __init__(self, reach, changed_lines: list[str], triples: list):
        self.reach, self.changed_lines, self.triples = reach, changed_lines, triples
        self.focus: set | None = None
        self.anchors: set | None = None

    @classmethod
    def of(cls, reach_of, changed: Iterable[str]) -> "_Scope | None":
        """The scope of the `changed` lines, or None if everything must be checked; `reach_of()` gives
        the shapes' Reach (or raises Unbounded)."""
        import pyoxigraph as ox

        from .shape_reach import Unbounded

        try:
            reach = reach_of()
        except Unbounded:
            return None
        changed_lines = list(changed)
        text = "".join(line + " .\n" for line in changed_lines).encode("utf-8")
        triples = list(ox.parse(text, format=ox.RdfFormat.N_TRIPLES))
        if any(isinstance(node, ox.BlankNode) for triple in triples for node in (triple.subject, triple.object)):
            return None  # the store names blank nodes its own way: a changed one cannot be found there
        if any(triple.predicate.value in reach.global_predicates for triple in triples):
            return None
        return cls(reach, changed_lines, triples)

    def bound(self, view: "_StoreData") -> bool:
        """Find the focus nodes and anchors in the view's store (and tell the view which values of a
        sh:datatype check can be new); False if everything must be checked."""
        import pyoxigraph as ox

        from .shape_reach import reached

        focus = reached(view.store, self.triples, self.reach.paths)
        anchors = reached(view.store, self.triples, _ANCHOR_PATHS)
        retargeted = reached(view.store, self.triples, self.reach.target_paths)
        if any(isinstance(node, ox.BlankNode) for node in focus | anchors) or len(focus) + len(anchors) > _MOST_FOCUS:
            return False
        self.focus, self.anchors = focus, anchors
        view.restrict(self.changed_lines, self.triples, retargeted)
        return True


# N-Triples texts that surely have the datatype, as pySHACL judges it; anything else is judged exactly.
_OBVIOUSLY_FINE = {
    XSD.string: re.compile(r'^"(?:[^"\\]|\\.)*"$'),
    XSD.nonNegativeInteger: re.compile(rf'^"[0-9]+"\^\^<{re.escape(str(XSD.nonNegativeInteger))}>$'),
    XSD.integer: re.compile(rf'^"-?[0-9]+"\^\^<{re.escape(str(XSD.integer))}>$'),
    XSD.decimal: re.compile(rf'^"-?[0-9]+(\.[0-9]+)?"\^\^<{re.escape(str(XSD.decimal))}>$'),
}


class _StoreData:
    """The built graph in a pyoxigraph store, with what the shapes need of it answered there."""

    def __init__(self, lines: Iterable[str], watched: set[URIRef], store=None, graph_lines: Callable[[str], Iterable[str] | None] | None = None):
        import pyoxigraph as ox

        from .ntriples import documents, parse_term, term
        from .streams import ChunkStream

        # Literals as written, for sh:datatype: pyoxigraph would give xsd:nonNegativeInteger back as xsd:integer.
        self.watched: dict[str, list[tuple[str, str]]] = {predicate: [] for predicate in map(term, watched)}

        self.unscanned: Iterable[str] = ()
        if store is None:
            self.store = ox.Store()
            # streamed: a large build never holds its whole dataset as one text
            self.store.bulk_load(ChunkStream(documents(self._watch(lines))), format=ox.RdfFormat.N_TRIPLES)
        else:  # the triples are there already: only the literals are wanted, when the checks run
            self.store = store
            self.unscanned = iter(lines)  # read once, by the first failing_values (an iterator: never falsy)
        self.parse_term = parse_term
        self.graph_lines = graph_lines

    def restrict(self, changed_lines: list[str], changed_triples: list, retargeted: set) -> None:
        """Take the values of a sh:datatype check from the `changed_lines` (`changed_triples`: the same,
        parsed by pyoxigraph) that the data still holds. The other values were judged by the previous check,
        which found no problem: an unchanged triple's value passes again (the caller of run_checks keeps
        only the focus nodes it checks). A node of `retargeted` (pyoxigraph terms: those that may have
        become focus nodes) was maybe never judged: its values come with the changed lines (a new anchor's
        offsets after a quote moved), or from the lines of the named graphs that hold them (graph_lines),
        else every line is read."""
        import pyoxigraph as ox

        if not self.unscanned:
            return  # every line was read while loading the store: the values are at hand
        if any(isinstance(node, ox.Literal) for node in retargeted):
            return  # its text in the lines may not be pyoxigraph's
        default = ox.DefaultGraph()
        quads = (ox.Quad(triple.subject, triple.predicate, triple.object, default) for triple in changed_triples)
        held = [(line, quad) for line, quad in zip(changed_lines, quads, strict=True)
                if f"<{quad.predicate.value}>" in self.watched and quad in self.store]
        brought = ox.Store()  # compared in a store: pyoxigraph hands xsd:nonNegativeInteger back as xsd:integer
        brought.extend(quad for _, quad in held)
        unchanged = [quad for predicate in (ox.NamedNode(text[1:-1]) for text in self.watched) for node in retargeted
                     for quad in chain(self.store.quads_for_pattern(node, predicate, None, default),
                                       self.store.quads_for_pattern(None, predicate, node, default))
                     if quad not in brought]
        values = self._values_in_graphs(unchanged, retargeted)
        if values is None:
            return
        self.unscanned = ()
        rows = dict.fromkeys([tuple(line.split(" ", 2)) for line, _ in held] + values)  # each once, in order
        for subject, predicate_text, obj in rows:
            self.watched[predicate_text].append((subject, obj))

    def _values_in_graphs(self, quads: list, nodes: set) -> list[tuple[str, str, str]] | None:
        """The lines, split, of the named graphs holding `quads` (default-graph quads of `nodes`) that give
        a watched value of one of `nodes`; None unless they give every one of `quads`."""
        import pyoxigraph as ox

        if not quads:
            return []
        if self.graph_lines is None:
            return None
        graphs = {held.graph_name.value for quad in quads
                  for held in self.store.quads_for_pattern(quad.subject, quad.predicate, quad.object, None)
                  if isinstance(held.graph_name, ox.NamedNode)}
        texts = {str(node) for node in nodes}
        found = []
        for name in sorted(graphs):
            lines = self.graph_lines(name)
            if lines is None:
                return None
            for line in lines:
                subject, predicate_text, obj = line.split(" ", 2)
                if predicate_text in self.watched and (subject in texts or obj in texts):
                    found.append((subject, predicate_text, obj))
        given = ox.Store()
        given.bulk_load("".join(" ".join(row) + " .\n" for row in found).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
        return found if all(quad in given for quad in quads) else None

    def _watch(self, lines: Iterable[str]) -> Iterator[str]:
        """Each line ("S P O"), once its subject and object are noted if its predicate is a watched one.
        The subject and the predicate hold no space. A line at a time: a search of the joined text for
        each predicate's name also met it inside a literal (a claim quoting one) and then failed; this is
        no slower (2.1 s for the 2.8 million asserted lines at 10,000 articles, against 2.3 s)."""
        watched = self.watched
        for line in lines:
            first = line.find(" ")
            second = line.find(" ", first + 1)
            values = watched.get(line[first + 1:second])
            if values is not None:
                values.append((line[:first], line[second + 1:]))
            yield line

    def failing_values(self, datatype: URIRef, predicate: URIRef, inverse: bool) -> dict[str, list[Node]]:
        from .shape_queries import has_datatype

        for _ in self._watch(self.unscanned):
            pass
        self.unscanned = ()
        failing: dict[str, list[Node]] = {}
        obviously_fine = _OBVIOUSLY_FINE.get(datatype)
        for subject, obj in self.watched[f"<{predicate}>"]:
            focus, text = (obj, subject) if inverse else (subject, obj)
            if obviously_fine and obviously_fine.match(text):
                continue
            value = self.parse_term(text)
            if not has_datatype(value, datatype):
                failing.setdefault(focus, []).append(value)
        return failing

    def subjects(self, _predicate: None, node: Node) -> Iterator[Node]:
        from .ntriples import term
        from .oxigraph_terms import to_rdflib

        for solution in self.store.query(f"SELECT DISTINCT ?s WHERE {{ ?s ?p {term(node)} }}"):
            yield to_rdflib(solution["s"])

    def anchor_records(self, anchors: set | None = None) -> list[tuple]:
        """As _anchor_records, with offsets as ints (None if not integers) and texts as strings, for the
        anchors with one text file, start, end and exact text: the others are the shapes' to report. One
        row per such anchor (an anchor with more rows has more than one of something) and nothing else:
        a Python object per term of every anchor's every selector costs more than the check itself.
        `anchors`: only these (pyoxigraph terms, no blank node); None: every anchor."""
        if anchors is not None and not anchors:
            return []
        values = "VALUES ?anchor { " + " ".join(sorted(map(str, anchors))) + " } " if anchors is not None else ""
        query = f"""SELECT ?anchor ?document ?file ?start ?end ?exact WHERE {{ {values}?anchor a <{KG.Anchor}> ;
            <{KG.inDocument}> ?document . ?document <{KG.textFile}> ?file .
            ?anchor <{OA.hasSelector}> ?startSelector . ?startSelector <{OA.start}> ?start .
            ?anchor <{OA.hasSelector}> ?endSelector . ?endSelector <{OA.end}> ?end .
            ?anchor <{OA.hasSelector}> ?exactSelector . ?exactSelector <{OA.exact}> ?exact }}"""
        records: dict = {}
        for anchor, document, file, start, end, exact in self.store.query(query):
            records[anchor.value] = None if anchor.value in records else (
                URIRef(anchor.value), [URIRef(document.value)], [file.value], [_whole(start)], [_whole(end)], [exact.value])
        return [record for record in records.values() if record]


def _whole(value) -> int | None:
    """A pyoxigraph literal's integer, or None: pyoxigraph gives every integer type as xsd:integer (and
    keeps a lexical form that is no integer, "ten"^^xsd:integer, which the shapes report)."""
    whole = getattr(value, "datatype", None) is not None and value.datatype.value == "http://www.w3.org/2001/XMLSchema#integer"
    try:
        return int(value.value) if whole else None
    except ValueError:
        return None


def _pyshacl_results(data: Graph, shapes: Graph) -> list[tuple]:
    """(focus, value, source shape, messages, severity) of every pySHACL validation result."""
    import pyshacl  # imported here: querying a built graph must not pay for it

    _conforms, report, _text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        inference="none",
        allow_warnings=True,
        advanced=True,
    )
    results = []
    for result in report.subjects(RDF.type, sh("ValidationResult")):
        messages = tuple(sorted(str(m) for m in report.objects(result, sh("resultMessage"))))
        results.append((report.value(result, sh("focusNode")), report.value(result, sh("value")),
                        report.value(result, sh("sourceShape")), messages, report.value(result, sh("resultSeverity"))))
    return results


def _sparql_results(data: Graph, shapes: Graph) -> list[tuple]:
    """The same results from the shapes compiled to SPARQL and run in pyoxigraph (raises Unsupported)."""
    import pyoxigraph as ox
    from rdflib.plugins.serializers.nt import _nt_row

    from .shape_queries import compile_shapes, run_checks

    checks = compile_shapes(shapes)
    store = ox.Store()
    store.bulk_load("".join(_nt_row(triple) for triple in data).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)

    from .ntriples import term
    from .shape_queries import has_datatype

    def failing_values(datatype: URIRef, predicate: URIRef, inverse: bool) -> dict[str, list[Node]]:
        failing: dict[str, list[Node]] = {}
        for subject, value in data.subject_objects(predicate):
            focus, value = (value, subject) if inverse else (subject, value)
            if not has_datatype(value, datatype):
                failing.setdefault(term(focus), []).append(value)
        return failing

    return run_checks(checks, store, failing_values)


def _problem(result: tuple, shape_files: dict[Node, str], origins: dict[URIRef, tuple[str, int]], fallback_file: str, data: Graph) -> Problem:
    focus, value, source_shape, messages, severity = result
    text = messages[0] if messages else "does not conform to its shape"
    what, hint = _split_message(text)
    message = f"{_short(focus)}: {what}"
    if severity is not None and severity != sh("Violation"):
        message = f"{severity[len(SH):].lower()}: {message}"
    if value is not None and value != focus and not isinstance(value, BNode):
        message += f", found {_short(value)}"
    origin = _origin_of(focus, origins, data)
    if origin:
        file, line = origin
    else:
        file, line = shape_files.get(source_shape, fallback_file), None
    return Problem(file, line, None, message, hint, "shape")


def _split_message(text: str) -> tuple[str, str]:
    what, separator, hint = text.partition(": ")
    if not separator or not hint.strip():
        return text, _DEFAULT_HINT
    return what, hint


def _short(node: Node | None) -> str:
    if node is None:
        return "?"
    if isinstance(node, Literal):
        text = str(node)
        if node.datatype not in (None, XSD.string):
            return text  # a number or date reads best as it is
        return repr(text) if len(text) <= 60 else repr(text[:57] + "...")
    if isinstance(node, URIRef):
        for prefix, namespace in (("kgr", V.KGR), ("kg", V.KG), ("oa", V.OA)):
            if str(node).startswith(str(namespace)):
                return f"{prefix}:{str(node)[len(str(namespace)):]}"
        return f"<{node}>"
    return str(node.n3())


def _origin_of(node: Node | None, origins: dict[URIRef, tuple[str, int]], data) -> tuple[str, int] | None:
    """The annotation line that produced `node`, or of the nearest node that has one: the node itself,
    then its IRI's parents (…/anchor/1-5/quote-selector -> …/anchor/1-5), then a node linking to it."""
    if node is None:
        return None
    if node in origins:
        return origins[node]
    if isinstance(node, URIRef):
        iri = str(node)
        while "/" in iri.rstrip("/"):
            iri = iri.rstrip("/").rsplit("/", 1)[0]
            if not iri.startswith(str(V.KGR)):
                break
            if URIRef(iri) in origins:
                return origins[URIRef(iri)]
    linked = sorted(origins[s] for s in set(data.subjects(None, node)) if s in origins)  # a Graph or a _StoreData
    return linked[0] if linked else None


# --------------------------------------------------------------------------- anchors vs the text


def _anchor_records(data: Graph) -> Iterator[tuple]:
    """(anchor, documents, text files, starts, ends, exacts) of every anchor in an rdflib graph."""
    for anchor in set(data.subjects(RDF.type, KG.Anchor)):
        documents = list(data.objects(anchor, KG.inDocument))
        files = [f for d in documents for f in data.objects(d, KG.textFile)]
        starts, ends, exacts = [], [], []
        for selector in data.objects(anchor, OA.hasSelector):
            starts += list(data.objects(selector, OA.start))
            ends += list(data.objects(selector, OA.end))
            exacts += list(data.objects(selector, OA.exact))
        yield anchor, documents, files, starts, ends, exacts


def _anchor_problems(records: Iterable[tuple], origins: dict[URIRef, tuple[str, int]], project_root: Path, data) -> list[Problem]:
    """Offsets inside the article, characters equal to oa:exact: SHACL cannot read the text file."""
    problems: list[Problem] = []
    texts: dict[str, str | None] = {}
    missing_reported: set[str] = set()
    for anchor, documents, files, starts, ends, exacts in sorted(records, key=lambda record: str(record[0])):
        if len(files) != 1 or len(starts) != 1 or len(ends) != 1 or len(exacts) != 1:
            continue  # missing or repeated: the shapes report it
        relative = str(files[0])
        if relative not in texts:
            texts[relative] = _read_text(project_root / relative)
        text = texts[relative]
        if text is None and relative in missing_reported:
            continue
        if text is None:
            missing_reported.add(relative)
            document_origin = _origin_of(documents[0], origins, data) or _anchor_origin(anchor, origins, data)
            problems.append(Problem(document_origin[0], document_origin[1], None,
                                    f"{_short(documents[0])}: the article text {relative} does not exist or is not UTF-8",
                                    f"put the verbatim article at {relative}, or fix 'text:' in the 'document:' block", "shape"))
            continue
        mismatch = _anchor_mismatch(text, relative, _integer(starts[0]), _integer(ends[0]), str(exacts[0]))
        if mismatch:  # the origin only then: looking it up for every anchor of a large corpus costs seconds
            file, line = _anchor_origin(anchor, origins, data)
            problems.append(Problem(file, line, None, f"{_short(anchor)}: {mismatch}", _REANCHOR, "shape"))
    return problems


def _anchor_origin(anchor: Node, origins: dict[URIRef, tuple[str, int]], data) -> tuple[str, int | None]:
    return _origin_of(anchor, origins, data) or ("", None)


def _anchor_mismatch(text: str, relative: str, start: int | None, end: int | None, exact: str) -> str | None:
    """What is wrong with an anchor's offsets and exact text in its article's `text`, if anything."""
    if start is None or end is None:
        return None  # not an integer: the shapes report it
    if not 0 <= start < end <= len(text):
        return f"offsets {start}-{end} do not lie inside {relative} ({len(text)} characters)"
    found = text[start:end]
    if found != exact:
        return f"the text at {start}-{end} of {relative} is {_short(Literal(found))}, not the anchor's exact text {_short(Literal(exact))}"
    return None


def _read_text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")  # bytes, so no newline translation: offsets are into the file
    except (OSError, UnicodeDecodeError):
        return None


def _integer(value: Node | int | None) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, Literal) and value.datatype in (XSD.nonNegativeInteger, XSD.integer, XSD.positiveInteger, XSD.int, XSD.long):
        number = value.toPython()
        if isinstance(number, int) and not isinstance(number, bool):
            return number
    return None


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)
