"""Fast OWL 2 RL reasoning: the ontology's rules as SPARQL updates, run to a fixpoint in pyoxigraph.

owlrl computes the full OWL 2 RL closure in Python, re-checking every rule on every triple on
every pass; on a corpus of thousands of articles that takes minutes. Here the work is split:

1. The schema (the ontology graph alone, a few hundred triples) is closed by owlrl itself, so
   every schema-level conclusion (subclass and subproperty closure, equivalences, axiomatic
   declarations) is owlrl's own.
2. The instance-level rules of OWL 2 RL that the closed schema can trigger (cax-sco, prp-dom,
   prp-rng, prp-spo1, prp-inv1/2, prp-symp, prp-trp, prp-spo2, cls-svf1/2, cls-hv1/2) run as
   SPARQL INSERTs in pyoxigraph until nothing new appears; the consistency rules (cax-dw,
   cls-nothing2) run as SELECTs and produce owlrl's own error messages.

If the ontology uses an axiom these rules do not cover (functional properties, keys, sameAs,
cardinalities, unions, ...), `unsupported_axioms()` says which, and the build falls back to owlrl so the
answer is never different. tests/test_rules.py proves the two agree on a generated corpus;
the benchmark does the same at 1,000 articles.

Where the time goes, and why the code is shaped this way:

- Most derived triples can trigger no rule at all (`x rdf:type owl:Thing`, `x schema:text "..."`):
  no rule or check pattern can match their property or class. Only the other, "live" heads are
  written to the store (and to the round's delta) while the rounds run to a fixpoint; the "dead"
  ones are found in one pass at the end (see `_liveness_updates`): those of one-pattern rules in
  Python from the triples' text (kg/dead_heads.py), the others by a CONSTRUCT on the closed store.
- Terms cross between rdflib and pyoxigraph as N-Triples text both ways: creating a Python object
  per pyoxigraph term costs more than all the reasoning; parsing text once per distinct term does not.
- `infer_lines` takes and gives the build's N-Triples text, so no rdflib graph of the data is built;
  `closure_lines` also hands the store over, with the dead heads added and the noise removed, to the
  shape checks, which then need not load every triple again.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF

from . import vocabulary as V
from .errors import InconsistencyError
from .ntriples import documents, parse_term, term
from .streams import ChunkStream
from .reasoning import closure as owlrl_closure
from .reasoning import TRIVIAL_CLASS_TEXTS, error_messages, inconsistency_problems, is_noise, is_noise_text

if TYPE_CHECKING:
    from .schema_cache import SchemaCache

_TBOX = "urn:kg:reasoning:schema-closure"
_DELTA = "urn:kg:reasoning:delta:"  # + the round that derived it
_LIVE = "urn:kg:reasoning:live"
_LIVE_PROPERTY = "urn:kg:reasoning:LiveProperty"  # every triple with this predicate can trigger a rule
_LIVE_CLASS = "urn:kg:reasoning:LiveClass"  # every rdf:type triple with this class can

# Axioms that make OWL 2 RL derive instance facts this module has no rule for.
_UNSUPPORTED_TYPES = {
    OWL.FunctionalProperty, OWL.InverseFunctionalProperty, OWL.AsymmetricProperty, OWL.IrreflexiveProperty,
    OWL.AllDifferent, OWL.AllDisjointClasses, OWL.AllDisjointProperties, OWL.NegativePropertyAssertion,
}
_UNSUPPORTED_PREDICATES = {
    OWL.sameAs, OWL.differentFrom, OWL.hasKey, OWL.allValuesFrom, OWL.intersectionOf, OWL.unionOf,
    OWL.complementOf, OWL.oneOf, OWL.maxCardinality, OWL.maxQualifiedCardinality, OWL.cardinality,
    OWL.qualifiedCardinality, OWL.propertyDisjointWith,
}

_UNSUPPORTED_QUERY = (
    f"ASK {{ {{ ?s a ?type VALUES ?type {{ {' '.join(f'<{t}>' for t in sorted(_UNSUPPORTED_TYPES))} }} }}"
    f" UNION {{ ?s ?predicate ?o VALUES ?predicate {{ {' '.join(f'<{p}>' for p in sorted(_UNSUPPORTED_PREDICATES))} }} }} }}")

_PREFIXES = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""


@dataclass(frozen=True)
class Rule:
    """`head` holds wherever the schema patterns and the data patterns match (and `filters` pass).

    Every pattern is one triple pattern, "subject predicate object .", with no spaces inside a term;
    `schema` may hold FILTERs on the schema's variables too. The head's predicate (and, for an
    rdf:type head, its class) must be a constant or bound by the schema patterns: that is what lets
    a schema match alone decide whether a head is live.
    """

    head: str
    schema: tuple[str, ...]
    data: tuple[str, ...]
    filters: str = ""
    # In later rounds, match the other data patterns whole and join them with the delta's by hash, rather
    # than look each delta triple's neighbours up: the store finds a subject's triples with one predicate
    # by reading all of that subject's, and the objects of a transitive property (the sources a figure
    # is derived from) are hubs. prp-trp's variant that looks the next link up from the delta triple's
    # object: 3.3 s a round at 10,000 articles, 0.04 s so.
    whole_joins: bool = False

    def bodies(self, round_: int, deltas: tuple[str, ...] | None = None) -> list[str]:
        """Semi-naive evaluation: in round 0 the data patterns match everything; later, one variant
        per data pattern, that pattern matched against only new live triples: those of one of the
        graphs `deltas` (by default the previous round's delta graph), a variant per graph (pyoxigraph
        plans a UNION of graphs as the first operand far worse: prp-trp's round took 9 s instead of 0.3 s)."""
        if round_ == 0:
            return [" ".join(self.data)]
        deltas = (f"{_DELTA}{round_ - 1}",) if deltas is None else deltas
        if not self.whole_joins:
            return [body for delta in deltas for body in delta_variants(self.data, delta)]
        schema = " ".join(_triple_patterns(self.schema))
        return [" ".join(f"GRAPH <{delta}> {{ {pattern} }}" if number == first else f"{{ SELECT * WHERE {{ {schema} {pattern} }} }}"
                         for number, pattern in enumerate(self.data))
                for delta in deltas for first in range(len(self.data))]

    def insert_live(self, body: str, delta: str, everything_live: bool = False) -> str:
        """The new live heads, into the working graph (where patterns match) and the round's delta."""
        condition = "true" if everything_live else _triggers(self.head)
        return f"{_PREFIXES}INSERT {{ {self.head} GRAPH <{delta}> {{ {self.head} }} }}\nWHERE {{ {self._where(body, condition)} }}"

    def construct_dead(self, only_blank: str | None = None) -> str:
        """The new heads that no pattern can match, read off the closed store: never written to it.
        `only_blank`: a variable; only where it is a blank node."""
        _, predicate, _ = _terms_of(self.head)
        # Over the whole store, heads with a constant predicate are ruled out faster by one anti-join
        # with that predicate's triples than by a lookup per solution; with a variable predicate the
        # anti-join would read every triple.
        blank = f" && isBlank({only_blank})" if only_blank else ""
        where = self._where(self.bodies(0)[0], f"!{_triggers(self.head)}{_not_noise(self.head)}{blank}", anti_join=not predicate.startswith("?"))
        return f"{_PREFIXES}CONSTRUCT {{ {self.head} }}\nWHERE {{ {where} }}"

    def dead_schema(self) -> str:
        """Whether the schema lets the rule derive any dead head at all (an anti-join costs even when not)."""
        return f"{_PREFIXES}ASK {{ {' '.join(self.schema)} FILTER(!{_triggers(self.head)}) }}"

    def dead_schema_matches(self) -> str:
        """The schema's matches that make dead heads, not always noise (for kg/dead_heads.py)."""
        variables = sorted({t for pattern in _triple_patterns(self.schema) for t in _terms_of(pattern) if t.startswith("?")})
        return (f"{_PREFIXES}SELECT {' '.join(variables) or '*'} WHERE {{ {' '.join(self.schema)} "
                f"FILTER(!{_triggers(self.head)}{_not_noise(self.head)}) }}")

    def _where(self, body: str, condition: str, anti_join: bool = False) -> str:
        # One flat group, so the optimizer applies the condition as soon as the schema binds its variables.
        new = f"MINUS {{ {self.head} }}" if anti_join else f"FILTER NOT EXISTS {{ {self.head} }}"
        return f"{' '.join(self.schema)} {body} FILTER({condition}) {self.filters} {new}"


def delta_variants(data: tuple[str, ...], delta: str) -> list[str]:
    """Semi-naive bodies: one per data pattern, that pattern matched in the graph `delta`, the others
    wherever the WHERE block matches them.

    The delta's pattern comes first and each other pattern after one it shares a variable with:
    pyoxigraph joins in the written order here, and a chain's first two links over the whole store
    (kg:mentionedIn's, at 10,000 articles) take seconds where starting from the delta takes a
    millisecond; so do a transitive property's triples (kg:derivedFrom's: 2.8 s a round)."""
    bodies = []
    for i, first in enumerate(data):
        ordered, rest = [first], [p for j, p in enumerate(data) if j != i]
        bound = set(_variables(first))
        while rest:
            following = next((p for p in rest if bound & set(_variables(p))), rest[0])
            rest.remove(following)
            ordered.append(following)
            bound |= set(_variables(following))
        bodies.append(" ".join(f"GRAPH <{delta}> {{ {p} }}" if p is first else p for p in ordered))
    return bodies


def _variables(pattern: str) -> list[str]:
    return [t for t in _terms_of(pattern) if t.startswith("?")]


# The instance rules of OWL 2 RL (W3C OWL 2 Profiles, section 4.3, tables 4-6); the schema is
# already closed, so one join per rule suffices and the rounds handle the rest.
GENERIC_RULES = {
    "cax-sco": Rule("?x a ?d .", ("?c rdfs:subClassOf ?d .", "FILTER(?c != ?d)"), ("?x a ?c .",)),
    "prp-dom": Rule("?x a ?c .", ("?p rdfs:domain ?c .",), ("?x ?p ?y .",)),
    "prp-rng": Rule("?y a ?c .", ("?p rdfs:range ?c .",), ("?x ?p ?y .",), "FILTER(!isLiteral(?y))"),
    "prp-spo1": Rule("?x ?q ?y .", ("?p rdfs:subPropertyOf ?q .", "FILTER(?p != ?q)"), ("?x ?p ?y .",)),
    "prp-inv1": Rule("?y ?q ?x .", ("?p owl:inverseOf ?q .",), ("?x ?p ?y .",), "FILTER(!isLiteral(?y))"),
    "prp-inv2": Rule("?y ?p ?x .", ("?p owl:inverseOf ?q .",), ("?x ?q ?y .",), "FILTER(!isLiteral(?y))"),
    "prp-symp": Rule("?y ?p ?x .", ("?p a owl:SymmetricProperty .",), ("?x ?p ?y .",), "FILTER(!isLiteral(?y))"),
    "prp-trp": Rule("?x ?p ?z .", ("?p a owl:TransitiveProperty .",), ("?x ?p ?y .", "?y ?p ?z ."), whole_joins=True),
    "cls-svf1": Rule("?u a ?r .", ("?r owl:someValuesFrom ?c .", "?r owl:onProperty ?p ."), ("?u ?p ?v .", "?v a ?c .")),
    "cls-svf2": Rule("?u a ?r .", ("?r owl:someValuesFrom owl:Thing .", "?r owl:onProperty ?p ."), ("?u ?p ?v .",)),
    "cls-hv1": Rule("?u ?p ?v .", ("?r owl:hasValue ?v .", "?r owl:onProperty ?p ."), ("?u a ?r .",)),
    "cls-hv2": Rule("?u a ?r .", ("?r owl:hasValue ?v .", "?r owl:onProperty ?p ."), ("?u ?p ?v .",)),
}


@dataclass(frozen=True)
class Check:
    """A consistency rule: wherever its patterns match, the ontology and the data contradict each other."""

    schema: tuple[str, ...]
    data: tuple[str, ...]
    message: str  # owlrl's own wording, so the problems read the same whichever reasoner found them

    def query(self) -> str:
        return f"{_PREFIXES}SELECT * WHERE {{ {' '.join(self.schema + self.data)} }}"


CONSISTENCY_CHECKS = {
    "cax-dw": Check(("?c1 owl:disjointWith ?c2 .",), ("?x a ?c1 .", "?x a ?c2 ."),
                    "Disjoint classes {c1} and {c2} have a common individual {x}"),
    "cls-nothing2": Check((), ("?x a owl:Nothing .",), "'Nothing' class instance found: {x}"),
}


def unsupported_axioms(ontology: Graph) -> list[str]:
    """The axioms in `ontology` that the fast rules do not cover (empty: the fast path is exact)."""
    found = {f"rdf:type owl:{_local_name(t)}" for t in _UNSUPPORTED_TYPES if (None, RDF.type, t) in ontology}
    found |= {f"owl:{_local_name(p)}" for p in _UNSUPPORTED_PREDICATES if (None, p, None) in ontology}
    return sorted(found)


def _local_name(iri: URIRef) -> str:
    return str(iri).rsplit("#", 1)[1]


def chain_rules(schema: Graph) -> dict[str, Rule]:
    """prp-spo2: one INSERT per owl:propertyChainAxiom, joining the chain's properties in order."""
    rules = {}
    for number, (prop, head) in enumerate(sorted(schema.subject_objects(OWL.propertyChainAxiom), key=lambda pair: str(pair[0]))):
        links = list(schema.items(head))
        if not links or not all(isinstance(link, URIRef) for link in links):
            continue
        steps = tuple(f"?v{i} <{link}> ?v{i + 1} ." for i, link in enumerate(links))
        rules[f"prp-spo2 {number} <{prop}>"] = Rule(f"?v0 <{prop}> ?v{len(links)} .", (), steps)
    return rules


def tbox_inferences(ontology: Graph) -> Graph:
    """owlrl's closure of the ontology alone: the schema-level conclusions, owlrl's own."""
    return owlrl_closure(ontology)


def infer_fast(asserted: Graph | Iterable[Graph], ontology: Graph, tbox: Graph | None = None) -> tuple[Graph, list[str]]:
    """The filtered inferred graph and owlrl-style error messages, computed by the SPARQL rules.

    `asserted` is every asserted triple (ontology included), as one graph or several (no need to
    merge them first); `tbox` may be given when the caller has cached `tbox_inferences(ontology)`.
    """
    parts = [asserted] if isinstance(asserted, Graph) else list(asserted)
    tbox = tbox_inferences(ontology) if tbox is None else tbox
    lines = [f"{term(s)} {term(p)} {term(o)}" for part in parts for s, p, o in part]
    closure = _reason(lambda: lines, ontology, tbox)
    inferred = Graph()
    terms = _Terms()
    for line in chain(closure.found, closure.dead):
        subject, predicate, obj = line.split(" ", 2)
        triple = (terms[subject], terms[predicate], terms[obj])
        if not is_noise(triple):
            inferred.add(triple)
    return inferred, closure.messages


def infer_lines(lines: dict[str, set[str]], origins: dict | None = None) -> set[str]:
    """`infer` for graphs given as N-Triples lines ("S P O", as kg/ntriples.py writes them) keyed by
    graph IRI: the inferred triples as such lines, without building an rdflib graph of the data."""
    return closure_lines(lines, origins, keep_store=False)[0]


def closure_lines(lines: dict[str, set[str]], origins: dict | None = None, keep_store: bool = True,
                  schema_cache: SchemaCache | None = None, stored: Callable[[str], bool] | None = None) -> tuple[set[str], object | None]:
    """infer_lines, and (if `keep_store`) the pyoxigraph store the rules ran in, made to hold exactly the
    asserted and the inferred triples in its default graph: the shape checks read that store rather
    than load every triple again (a third of their time at 10,000 articles). The store is None when
    owlrl did the reasoning (an axiom the rules do not cover). The schema's closure comes from
    `schema_cache` if one is given (kg/schema_cache.py). `stored`: if given, the store holds only the
    dead heads (inferred triples no rule reads) it accepts, the triples the checks can read (kg/check_reads.py)."""
    from .schema_cache import schema_closure

    def asserted():
        return (line for graph in lines.values() for line in graph)

    ontology_lines = lines[str(V.ONTOLOGY_GRAPH)]
    ontology = _graph(" .\n".join(ontology_lines) + " .\n")
    schema = schema_cache.closure(ontology, ontology_lines) if schema_cache else schema_closure(ontology)
    closure = _reason(asserted, ontology, schema, unless_unsupported=True)
    if closure is None:
        inferred = infer([_graph("".join(documents(asserted())))], ontology, origins)
        return {" ".join(term(node) for node in triple) for triple in inferred}, None
    if closure.messages:
        raise InconsistencyError(inconsistency_problems(closure.messages, origins or {}))
    inferred, noise = set(), set()
    for line in closure.found:
        (noise if is_noise_text(*line.split(" ", 2)) else inferred).add(line)
    inferred |= closure.dead
    return inferred, (closure.data_store(noise, stored) if keep_store else None)


@dataclass
class _Closure:
    store: object  # the asserted triples, the schema's closure and the live heads (default graph); working graphs
    found: set[str]  # the triples the closure wrote to the store ("S P O", as kg/ntriples.py writes them), noise too
    dead: set[str]  # the dead heads, read off the closed store and never written to it, noise left out
    messages: list[str]  # owlrl-style inconsistency messages

    def data_store(self, noise: set[str], stored: Callable[[str], bool] | None = None):
        """The store with the working graphs dropped, the `noise` it holds removed and the dead heads
        (those `stored` accepts, if given) added: the asserted and inferred triples, nothing else."""
        import pyoxigraph as ox

        for graph in list(self.store.named_graphs()):
            self.store.remove_graph(graph)
        # derived, so never asserted: removing them keeps every asserted triple
        for triple in ox.parse("".join(f"{line} .\n" for line in sorted(noise)).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES):
            self.store.remove(ox.Quad(triple.subject, triple.predicate, triple.object))
        # lenient: kg wrote these terms and checked their IRIs, or pyoxigraph did (a third quicker than checking again)
        dead = self.dead if stored is None else filter(stored, self.dead)
        self.store.load(ChunkStream(documents(dead)), format=ox.RdfFormat.N_TRIPLES, lenient=True)
        return self.store


def _reason(asserted: Callable[[], Iterable[str]], ontology: Graph, tbox: Graph, unless_unsupported: bool = False) -> _Closure | None:
    """The closure: its new triples, the store and owlrl-style error messages; None if
    `unless_unsupported` and the triples hold an axiom the rules do not cover.

    `asserted()` gives the asserted triples as "S P O" lines (kg/ntriples.py), afresh at each call; the
    schema's closure joins them in the same load, so a blank node shared by the ontology and its closure stays one node."""
    rules = dict(GENERIC_RULES)
    rules.update(chain_rules(ontology + tbox))
    # owlrl's closure holds literal subjects, which N-Quads (and any store) rejects; they are noise anyway
    schema = "".join(_ntriples(t, _TBOX) for t in tbox if not isinstance(t[0], Literal) and isinstance(t[1], URIRef))
    store = _loaded(chain(documents(asserted()), [schema]))
    if unless_unsupported and store.query(_UNSUPPORTED_QUERY):
        return None
    texts = _RdflibText(_Terms())
    found = _saturate(store, rules, texts, everything_live=False)
    if _liveness_grew(store, rules):
        store = _loaded(chain(documents(asserted()), [schema]))
        found = _saturate(store, rules, texts, everything_live=True)
        dead: set[str] = set()
    else:
        dead = _dead_heads(store, rules, texts, lambda: chain(asserted(), found))
    messages = sorted(set(_consistency_messages(store)) | set(error_messages(tbox)))
    return _Closure(store, found, dead, messages)


def _loaded(documents: Iterable[str]):
    import pyoxigraph as ox

    store = ox.Store()
    # lenient (no IRI re-validation, a third of the load's time): kg wrote every term and checked its
    # IRIs (kg/ntriples.py), as the query store's load trusts them (kg/oxigraph_engine.py)
    store.load(ChunkStream(documents), format=ox.RdfFormat.N_QUADS, lenient=True)
    return store


def _saturate(store, rules: dict[str, Rule], texts: _RdflibText, everything_live: bool) -> set[str]:
    """Close the store under `rules` for the live heads (every head if `everything_live`) and return
    every triple the closure and the schema's closure wrote to it, as "S P O" lines (`_text`)."""
    import pyoxigraph as ox

    inferred = _lines(store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{_TBOX}> {{ ?s ?p ?o }} FILTER NOT EXISTS {{ ?s ?p ?o }} }}"))
    store.update(f"ADD GRAPH <{_TBOX}> TO DEFAULT")
    for update in _liveness_updates(rules, _LIVE):
        store.update(update)
    # Round 0 matches every rule against the whole store, and a rule sees what the rules before it in
    # the round inserted. So round 0 keeps a delta graph per rule, and in round 1 a rule reads only those
    # of itself and of the rules after it: the rest it has joined already. At 10,000 articles the
    # property chains (after every generic rule) would otherwise join all of round 0's kg:made,
    # kg:reports and kg:mentionedBy triples again, for nothing new (5 s).
    by_rule = [f"{_DELTA}0:{number}" for number in range(len(rules))]
    for graph, rule in zip(by_rule, rules.values()):
        for body in rule.bodies(0):
            store.update(rule.insert_live(body, graph, everything_live))
    found = [_lines(store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))) for graph in by_rule]
    new = set().union(*found)
    inferred |= new
    round_ = 1
    while new:
        delta = f"{_DELTA}{round_}"
        for number, rule in enumerate(rules.values()):
            deltas = tuple(graph for graph, lines in zip(by_rule[number:], found[number:]) if lines) if round_ == 1 else None
            for body in rule.bodies(round_, deltas):
                store.update(rule.insert_live(body, delta, everything_live))
        for graph in by_rule if round_ == 1 else [f"{_DELTA}{round_ - 1}"]:
            store.update(f"DROP SILENT GRAPH <{graph}>")
        new = _lines(store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(delta)))
        inferred |= new
        round_ += 1
    store.update(f"DROP SILENT GRAPH <{_DELTA}{round_ - 1}>")
    return {_text(line, texts) for line in inferred}


def _dead_heads(store, rules: dict[str, Rule], texts: _RdflibText, triples: Callable[[], Iterable[str]]) -> set[str]:
    """The heads that no rule reads, off the closed store, noise left out: those of one-pattern rules in
    Python from `triples()`, the store's triples as "S P O" (kg/dead_heads.py), the others by CONSTRUCT."""
    from .dead_heads import dead_heads, one_pattern_rule

    def constructed(query: str) -> set[str]:
        return {line for line in (_text(line, texts) for line in _lines(store.query(query))) if not is_noise_text(*line.split(" ", 2))}

    in_python, dead = [], set()
    for rule in rules.values():
        if not store.query(rule.dead_schema()):
            continue
        shape = one_pattern_rule(rule.head, rule.data, rule.filters)
        if shape is None:
            dead |= constructed(rule.construct_dead())
            continue
        matches = store.query(rule.dead_schema_matches())
        names = [variable.value for variable in matches.variables]
        rows = [{f"?{name}": str(solution[name]) for name in names} for solution in matches]
        # pyoxigraph labels the blank nodes it loads anew: a blank class (a restriction) the schema
        # matched is not written as in the triples' text, so the store matches it with the data
        matched_object = shape.data[2]
        if any(row.get(matched_object, "").startswith("_:") for row in rows):
            dead |= constructed(rule.construct_dead(only_blank=matched_object))
            rows = [row for row in rows if not row.get(matched_object, "").startswith("_:")]
        in_python.append((shape, rows))
    return dead | dead_heads(in_python, triples, lambda value: value if value.startswith("<") else texts[value])


def _text(line: str, texts: _RdflibText) -> str:
    """pyoxigraph's N-Triples line ("S P O .") as kg/ntriples.py writes the triple ("S P O"): IRIs and
    blank nodes are written alike by both; a literal may not be ("1"^^xsd:integer, escapes)."""
    subject, predicate, obj = line[:-2].split(" ", 2)
    return f"{subject} {predicate} {obj if obj.startswith('<') else texts[obj]}"


def _lines(triples) -> set[str]:
    """N-Triples lines (each ending " .") of a CONSTRUCT's triples or of a dump."""
    import pyoxigraph as ox

    if not isinstance(triples, bytes):
        triples = triples.serialize(format=ox.RdfFormat.N_TRIPLES)
    # "\n" only: a literal may hold U+2028, which splitlines() would split on
    return set(triples.decode("utf-8").split("\n")[:-1])


def _liveness_updates(rules: dict[str, Rule], graph: str,
                      schema_where: Callable[[tuple[str, ...]], str] = " ".join) -> Iterator[str]:
    """INSERTs that mark, in `graph`, which properties and classes a triple needs to possibly match a
    pattern of a rule or a consistency check: a triple that cannot is never read again, so it need not
    be written where patterns look. `schema_where` writes the schema patterns as the WHERE block
    matches them (kg/incremental_rules.py matches them in a working graph)."""
    for rule in [*rules.values(), *CONSISTENCY_CHECKS.values()]:
        for pattern in rule.data:
            yield _mark_live(pattern, rule.schema, graph, schema_where)
        for pattern in _triple_patterns(rule.schema):
            yield _mark_live(pattern, (), graph, schema_where)


def _mark_live(pattern: str, schema: tuple[str, ...], graph: str, schema_where: Callable[[tuple[str, ...]], str]) -> str:
    _, predicate, obj = _terms_of(pattern)
    bound = {term for p in _triple_patterns(schema) for term in _terms_of(p) if term.startswith("?")}
    if predicate == "rdf:type" and (obj in bound or not obj.startswith("?")):
        target = f"{obj} a <{_LIVE_CLASS}>"
    elif predicate in bound or not predicate.startswith("?"):
        target = f"{predicate} a <{_LIVE_PROPERTY}>"
    else:
        raise ValueError(f"{pattern}: a rule's predicates must be constants or bound by its schema patterns")
    return f"{_PREFIXES}INSERT {{ GRAPH <{graph}> {{ {target} }} }} WHERE {{ {schema_where(schema)} }}"


def _triggers(head: str) -> str:
    """A SPARQL condition: the head, once the schema patterns are matched, is a live triple."""
    _, predicate, obj = _terms_of(head)
    live_property = f"EXISTS {{ GRAPH <{_LIVE}> {{ {predicate} a <{_LIVE_PROPERTY}> }} }}"
    if predicate == "rdf:type":
        return f"({live_property} || EXISTS {{ GRAPH <{_LIVE}> {{ {obj} a <{_LIVE_CLASS}> }} }})"
    if predicate.startswith("?"):
        return f"({live_property} || {predicate} = rdf:type)"  # its class may not be bound yet: count it live
    return live_property


def _not_noise(head: str) -> str:
    """A SPARQL condition ("&& ...", or nothing) that leaves out heads that are always noise: `x rdf:type
    owl:Thing` and the like, a sixth of the dead heads, are not worth reading off the store only to be
    filtered out (kg/reasoning.py is_noise_text)."""
    _, predicate, obj = _terms_of(head)
    if predicate != "rdf:type" or not obj.startswith("?"):
        return ""
    return f" && {obj} NOT IN ({', '.join(TRIVIAL_CLASS_TEXTS)})"


def _triple_patterns(patterns: tuple[str, ...]) -> list[str]:
    return [pattern for pattern in patterns if not pattern.startswith("FILTER")]


def _terms_of(pattern: str) -> tuple[str, str, str]:
    subject, predicate, obj, _ = pattern.split()
    return subject, "rdf:type" if predicate == "a" else predicate, obj


def _liveness_grew(store, rules: dict[str, Rule]) -> bool:
    """Whether the rules derived schema axioms that make more triples live (never for a real
    ontology): the triples judged dead before then may have been missed, so the caller starts over."""
    check = f"{_LIVE}:after"
    for update in _liveness_updates(rules, check):
        store.update(update)
    return bool(store.query(f"ASK {{ GRAPH <{check}> {{ ?s ?p ?o }} FILTER NOT EXISTS {{ GRAPH <{_LIVE}> {{ ?s ?p ?o }} }} }}"))


def _consistency_messages(store) -> Iterator[str]:
    for check in CONSISTENCY_CHECKS.values():
        results = store.query(check.query())
        names = [variable.value for variable in results.variables]
        for solution in results:
            yield check.message.format(**{name: str(parse_term(str(solution[name]))) for name in names})


def _ntriples(triple, graph: str | None = None) -> str:
    subject, predicate, obj = triple
    line = f"{term(subject)} {term(predicate)} {term(obj)}"
    return f"{line} <{graph}> .\n" if graph else f"{line} .\n"


class _Terms(dict):
    """N-Triples term text -> rdflib term, parsed once per distinct term."""

    def __missing__(self, text: str):
        term = self[text] = parse_term(text)
        return term


class _RdflibText(dict):
    """pyoxigraph's N-Triples term text -> the text rdflib writes for the same term."""

    def __init__(self, terms: _Terms) -> None:
        super().__init__()
        self.terms = terms

    def __missing__(self, text: str) -> str:
        written = self[text] = term(self.terms[text])
        return written


def _graph(ntriples: str) -> Graph:
    """An rdflib graph of N-Triples text, keeping its blank node labels."""
    import pyoxigraph as ox

    graph = Graph()
    terms = _Terms()
    for triple in ox.parse(ntriples.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES):
        graph.add((terms[str(triple.subject)], terms[str(triple.predicate)], terms[str(triple.object)]))
    return graph


def infer(asserted: Graph | Iterable[Graph], ontology: Graph, origins: dict | None = None) -> Graph:
    """Like reasoning.infer (owlrl), through the fast rules when they cover every axiom in the graphs
    (the ontology's, and any a user's data brings, e.g. with `kg validate --data`)."""
    from .reasoning import infer as infer_with_owlrl

    parts = [asserted] if isinstance(asserted, Graph) else list(asserted)
    if any(unsupported_axioms(part) for part in parts):
        merged = Graph()
        for part in parts:
            merged += part
        return infer_with_owlrl(merged, origins)
    inferred, messages = infer_fast(parts, ontology)
    if messages:
        raise InconsistencyError(inconsistency_problems(messages, origins or {}))
    return inferred
