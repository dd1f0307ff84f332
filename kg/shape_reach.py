"""How far a changed triple reaches in the shape checks: the focus nodes whose results can depend on it.

A rebuild after editing one annotation file changes a few hundred triples of a dataset of millions.
When the previous data passed every check (same shapes, ontology and kg code), every problem of the
new data is about a node whose result reads a changed triple, so kg/shapes.py checks only those nodes.
This module works out which they are, from the shapes themselves.

What a focus node's checks read is a set of *paths* from it: sequences of steps, each a predicate
walked forward (subject to object) or backward. `kgsh:StatementShape` reads `rdf:type` (its target),
`kg:statedBy` (counts), `kg:statedBy` then `rdf:type` (sh:class of the speaker); the quote shape's
SPARQL constraint reads `kg:anchoredAt`/`oa:hasSelector`/`oa:exact`, three steps. A changed triple
(s, p, o) matching step i of a path (its predicate p, either direction) can change the result of the
nodes from which the path's first i steps lead to s (o for a backward step): those are found by walking
the first i steps back from s, in the new data. Walking the new data suffices, removed triples
included: on the old path to a removed triple, the first changed triple is one whose earlier steps
all still hold, and it is changed too.

Paths come from: targets (sh:targetClass is `rdf:type`, sh:targetSubjectsOf/ObjectsOf one step),
property paths (an IRI, sh:inversePath, a sequence, sh:alternativePath), sh:class on a value (one more
`rdf:type` step), sh:node, sh:or and sh:qualifiedValueShape (the nested shape's paths after the
outer one), sh:lessThan (one step from the focus) and sh:sparql SELECT constraints whose pattern is
triple patterns and filters (a BGP, with sequence, inverse and alternative paths, every pattern
joined to $this). rdfs:subClassOf (which sh:class and sh:targetClass follow) can change any node's
result: a changed rdfs:subClassOf triple asks for a full check.

Anything else (another constraint component, `*` or `+` paths, OPTIONAL, UNION, EXISTS, a variable
predicate, a pattern not joined to $this) is `Unbounded`: the caller then checks everything.

The analysis takes about 0.4 s, nearly all of it importing and running rdflib's SPARQL parser, and
depends only on the shapes: `kept_shape_reach` keeps it in build/cache/shape-reach/ between builds.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path as FilePath

from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS
from rdflib.term import Node

SH = "http://www.w3.org/ns/shacl#"

Step = tuple[str, bool]  # (predicate IRI, forward: walked from subject to object)
Path = tuple[Step, ...]

TYPE_STEP: Step = (str(RDF.type), True)


def sh(name: str) -> URIRef:
    return URIRef(SH + name)


class Unbounded(Exception):
    """The shapes read the data in a way whose reach this module cannot bound."""


@dataclass(frozen=True)
class Reach:
    """What the checks of some focus node read, as paths from it."""

    paths: frozenset[Path]  # every triple a focus node's checks read lies at the end of one of these
    target_paths: frozenset[Path]  # those that decide whether a node is a focus node at all
    global_predicates: frozenset[str]  # a changed triple with one of these predicates may change any result


# sh: terms of a shape that read nothing beyond the value node itself (or, for counts, its path's values)
_LOCAL = {sh(name) for name in ("message", "severity", "name", "description", "order", "group", "deactivated",
                                "datatype", "minLength", "maxLength", "pattern", "flags", "minCount", "maxCount",
                                "qualifiedMinCount", "qualifiedMaxCount", "targetClass", "targetNode",
                                "targetSubjectsOf", "targetObjectsOf", "path", "class", "node", "or",
                                "qualifiedValueShape", "lessThan", "property", "sparql")}
_MOST_ALTERNATIVES = 256  # alternative paths multiply; beyond this the shapes are not worth bounding


def shape_reach(shapes: Graph) -> Reach:
    """The paths of every node shape with a target in `shapes` (the same node shapes
    shape_queries.compile_shapes checks); raise Unbounded if a shape reads beyond them."""
    analysis = _Analysis(shapes)
    for node_shape in sorted({s for name in ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf")
                              for s in shapes.subjects(sh(name), None)}, key=str):
        analysis.node_shape(node_shape)
    return Reach(frozenset(analysis.paths - {()}), frozenset(analysis.target_paths), frozenset(analysis.global_predicates))


class _Analysis:
    def __init__(self, shapes: Graph):
        self.shapes = shapes
        self.paths: set[Path] = set()
        self.target_paths: set[Path] = set()
        self.global_predicates: set[str] = set()
        self.within: list[Node] = []  # the shapes being analysed, outermost first: sh:node may loop

    def node_shape(self, shape: Node) -> None:
        shapes = self.shapes
        if (shape, RDF.type, RDFS.Class) in shapes or (shape, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")) in shapes:
            raise Unbounded("implicit class targets")
        targets: set[Path] = set()
        if (shape, sh("targetClass"), None) in shapes:
            targets.add((TYPE_STEP,))
            self.global_predicates.add(str(RDFS.subClassOf))
        targets |= {((str(p), True),) for p in shapes.objects(shape, sh("targetSubjectsOf"))}
        targets |= {((str(p), False),) for p in shapes.objects(shape, sh("targetObjectsOf"))}
        self.target_paths |= targets
        self.paths |= targets
        self.shape(shape, ())

    def shape(self, shape: Node, prefix: Path) -> None:
        """The paths `shape` reads when its focus (or value) node lies at the end of `prefix`."""
        shapes = self.shapes
        if shape in self.within or len(self.within) > 20:
            raise Unbounded("shapes nested in a loop")
        for predicate in shapes.predicates(shape):
            if str(predicate).startswith(SH) and predicate not in _LOCAL:
                raise Unbounded(f"{predicate} is not bounded")
        self.within.append(shape)
        try:
            path = shapes.value(shape, sh("path"))
            values = [prefix + steps for steps in self.path(path)] if path is not None else [prefix]
            self.paths |= set(values)
            for other in shapes.objects(shape, sh("lessThan")):
                self.paths.add(prefix + ((str(other), True),))
            for value in values:
                for _cls in shapes.objects(shape, sh("class")):
                    self.paths.add(value + (TYPE_STEP,))
                    self.global_predicates.add(str(RDFS.subClassOf))
                for other in shapes.objects(shape, sh("node")):
                    self.shape(other, value)
                for members in shapes.objects(shape, sh("or")):
                    for member in Collection(shapes, members):
                        self.shape(member, value)
                for qualified in shapes.objects(shape, sh("qualifiedValueShape")):
                    self.shape(qualified, value)
            for property_shape in shapes.objects(shape, sh("property")):
                self.shape(property_shape, prefix)
            for constraint in shapes.objects(shape, sh("sparql")):
                self.paths |= {prefix + steps for steps in self.sparql(constraint)}
        finally:
            self.within.pop()

    def path(self, path: Node) -> list[Path]:
        """A SHACL property path as the step sequences it can take."""
        shapes = self.shapes
        if isinstance(path, URIRef):
            return [((str(path), True),)]
        if not isinstance(path, BNode):
            raise Unbounded(f"a property path {path!r}")
        if (path, RDF.first, None) in shapes:
            sequences: list[Path] = [()]
            for member in Collection(shapes, path):
                sequences = [head + tail for head in sequences for tail in self.path(member)]
                if len(sequences) > _MOST_ALTERNATIVES:
                    raise Unbounded("too many alternative paths")
            return sequences
        inverse = shapes.value(path, sh("inversePath"))
        if inverse is not None and len(set(shapes.predicates(path))) == 1:
            return [tuple((predicate, not forward) for predicate, forward in reversed(steps)) for steps in self.path(inverse)]
        alternatives = shapes.value(path, sh("alternativePath"))
        if alternatives is not None and len(set(shapes.predicates(path))) == 1:
            return [steps for member in Collection(shapes, alternatives) for steps in self.path(member)]
        raise Unbounded("sh:zeroOrMorePath, sh:oneOrMorePath, sh:zeroOrOnePath and other paths are not bounded")

    def sparql(self, constraint: Node) -> set[Path]:
        from .shape_queries import _Compiler

        select = self.shapes.value(constraint, sh("select"))
        if select is None:
            raise Unbounded("a SPARQL constraint without sh:select")
        return sparql_paths(str(select), _Compiler(self.shapes).prefixes(constraint))


# --------------------------------------------------------------------------- kept between builds

REACH_CACHE_DIR = FilePath("cache") / "shape-reach"
_REACH_FORMAT = b"kg-shape-reach-1"
# The modules whose code decides the reach of the same shapes files: the analysis, the SPARQL
# constraint's prefixes (shape_queries) and how the files become one graph (shapes)
_REACH_CODE = ("shape_reach.py", "shape_queries.py", "shapes.py")


def kept_shape_reach(shapes: Graph, shapes_digest: bytes, directory: FilePath) -> Reach:
    """shape_reach(shapes), read from `directory` if an earlier call kept it there, else worked out and
    kept. `shapes_digest` must name exactly the bytes `shapes` was parsed from (kg/shapes.py
    _load_shapes): with kg's code and the libraries' versions it is the entry's key. An Unbounded is
    kept too, and raised again. An entry that is damaged, or not this key's, is never read: the reach
    is worked out again and the entry rewritten (kg/store.py with_checksum)."""
    path = directory / f"{_reach_key(shapes_digest)}.json"
    found = _read_reach(path)
    if found is None:
        found = _reach_or_why_not(shapes)
        _keep_reach(path, found)
    if isinstance(found, str):
        raise Unbounded(found)
    return found


def _reach_or_why_not(shapes: Graph) -> Reach | str:
    try:
        return shape_reach(shapes)
    except Unbounded as why:
        return str(why)


def _reach_key(shapes_digest: bytes) -> str:
    from .article_stage import code_digest

    return hashlib.sha256(code_digest(_REACH_FORMAT, _REACH_CODE) + shapes_digest).hexdigest()


def _keep_reach(path: FilePath, found: Reach | str) -> None:
    from .store import keep_entry

    if isinstance(found, str):
        body = {"unbounded": found}
    else:
        body = {"paths": sorted(found.paths), "target_paths": sorted(found.target_paths),
                "global_predicates": sorted(found.global_predicates)}
    keep_entry(path, json.dumps(body, sort_keys=True).encode("utf-8"))


def _read_reach(path: FilePath) -> Reach | str | None:
    from .store import read_entry

    payload = read_entry(path)
    try:
        return None if payload is None else _decoded_reach(json.loads(payload))
    except (ValueError, TypeError, KeyError):
        return None


def _decoded_reach(body) -> Reach | str:
    """What _keep_reach wrote; ValueError (or TypeError, KeyError) for anything else."""
    if isinstance(body, dict) and set(body) == {"unbounded"} and isinstance(body["unbounded"], str):
        return body["unbounded"]

    def paths(key: str) -> frozenset[Path]:
        decoded = set()
        for path in body[key]:
            steps = tuple((predicate, forward) for predicate, forward in path)
            if not all(isinstance(predicate, str) and isinstance(forward, bool) for predicate, forward in steps):
                raise ValueError(f"not a path: {path!r}")
            decoded.add(steps)
        return frozenset(decoded)

    predicates = body["global_predicates"]
    if not all(isinstance(predicate, str) for predicate in predicates):
        raise ValueError("not predicates")
    return Reach(paths("paths"), paths("target_paths"), frozenset(predicates))


# --------------------------------------------------------------------------- SPARQL constraints

_IMPURE = {"Builtin_EXISTS", "Builtin_NOTEXISTS", "Builtin_NOW", "Builtin_RAND", "Builtin_UUID", "Builtin_STRUUID", "Builtin_BNODE"}


def sparql_paths(text: str, prefixes: Iterable[tuple[str, str]] = ()) -> set[Path]:
    """The paths from $this to every triple a SPARQL SELECT constraint can read; raise Unbounded unless
    it is triple patterns (IRI predicates; sequence, inverse, alternative paths) joined to $this, and
    filters without EXISTS."""
    from rdflib.plugins.sparql import prepareQuery

    try:
        algebra = prepareQuery(text, initNs=dict(prefixes)).algebra
    except Exception as error:  # the parser raises many types; none is bounded
        raise Unbounded(f"the SPARQL constraint does not parse: {error}") from error
    patterns = _patterns(algebra)
    this = Variable("this")
    edges: list[tuple[Node, Node, list[Path]]] = [(s, o, _path_steps(p)) for s, p, o in patterns]
    chains: dict[Node, set[Path]] = {this: {()}}
    found: set[Path] = set()
    pending = list(edges)
    while pending:  # grow the chains from $this until every pattern is joined (or none more can be)
        left = []
        for subject, obj, alternatives in pending:
            if subject in chains:
                near, far, steps = subject, obj, alternatives
            elif obj in chains:
                near, far, steps = obj, subject, [_inverse(path) for path in alternatives]
            else:
                left.append((subject, obj, alternatives))
                continue
            reached = {chain + path for chain in chains[near] for path in steps}
            found |= {chain + path[:i] for chain in chains[near] for path in steps for i in range(1, len(path) + 1)}
            if far not in chains:
                chains[far] = reached
            if len(found) > _MOST_ALTERNATIVES:
                raise Unbounded("too many alternative paths")
        if len(left) == len(pending):
            raise Unbounded("a SPARQL pattern not joined to $this")
        pending = left
    if len(chains) == 1:
        raise Unbounded("a SPARQL constraint whose patterns do not mention $this")
    return found


def _patterns(node) -> list[tuple]:
    name = getattr(node, "name", None)
    if name in ("SelectQuery", "Project", "Distinct", "Reduced"):
        return _patterns(node.p)
    if name == "Filter":
        _pure(node.expr)
        return _patterns(node.p)
    if name == "Join":
        return _patterns(node.p1) + _patterns(node.p2)
    if name == "BGP":
        return list(node.triples)
    raise Unbounded(f"SPARQL {name} is not bounded")


def _pure(expression) -> None:
    """Raise Unbounded if a filter expression reads the graph (EXISTS) or is not a function of its arguments."""
    if getattr(expression, "name", None) in _IMPURE:
        raise Unbounded(f"SPARQL {expression.name} in a filter")
    if isinstance(expression, dict):
        for value in expression.values():
            _pure(value)
    elif isinstance(expression, (list, tuple)):
        for value in expression:
            _pure(value)


def _path_steps(path) -> list[Path]:
    from rdflib.paths import AlternativePath, InvPath, SequencePath

    if isinstance(path, URIRef):
        return [((str(path), True),)]
    if isinstance(path, InvPath):
        return [_inverse(steps) for steps in _path_steps(path.arg)]
    if isinstance(path, SequencePath):
        sequences: list[Path] = [()]
        for member in path.args:
            sequences = [head + tail for head in sequences for tail in _path_steps(member)]
            if len(sequences) > _MOST_ALTERNATIVES:
                raise Unbounded("too many alternative paths")
        return sequences
    if isinstance(path, AlternativePath):
        return [steps for member in path.args for steps in _path_steps(member)]
    raise Unbounded(f"SPARQL predicate {path!r} is not bounded")


def _inverse(path: Path) -> Path:
    return tuple((predicate, not forward) for predicate, forward in reversed(path))


# --------------------------------------------------------------------------- the nodes a change reaches


def reached(store, changed: Iterable, paths: Iterable[Path]) -> set:
    """The nodes (pyoxigraph terms) from which some path in `paths` leads, in the store's default graph,
    to a triple of `changed` (pyoxigraph triples) at one of its steps."""
    import pyoxigraph as ox

    prefixes: dict[Step, set[Path]] = {}
    for path in paths:
        for number, step in enumerate(path):
            prefixes.setdefault(step, set()).add(path[:number])
    starts: dict[Path, set] = {}
    for triple in changed:
        predicate = triple.predicate.value
        for prefix in prefixes.get((predicate, True), ()):
            starts.setdefault(prefix, set()).add(triple.subject)
        for prefix in prefixes.get((predicate, False), ()):
            starts.setdefault(prefix, set()).add(triple.object)
    default, back = ox.DefaultGraph(), {}

    def walk_back(step: Step, node) -> set:
        if (step, node) not in back:
            predicate, forward = ox.NamedNode(step[0]), step[1]
            if forward:
                back[step, node] = {quad.subject for quad in store.quads_for_pattern(None, predicate, node, default)}
            elif isinstance(node, (ox.NamedNode, ox.BlankNode)):
                back[step, node] = {quad.object for quad in store.quads_for_pattern(node, predicate, None, default)}
            else:
                back[step, node] = set()  # a literal is the subject of nothing
        return back[step, node]

    found = set()
    for prefix, nodes in starts.items():
        for step in reversed(prefix):
            nodes = {previous for node in nodes for previous in walk_back(step, node)}
        found |= nodes
    return found
