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
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF

from .errors import InconsistencyError
from .reasoning import closure as owlrl_closure
from .reasoning import error_messages, inconsistency_problems, is_noise

_INFERRED = "urn:kg:reasoning:inferred"
_TBOX = "urn:kg:reasoning:schema-closure"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

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

_PREFIXES = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""


_DELTA = "urn:kg:reasoning:delta"
_NEXT = "urn:kg:reasoning:next"


@dataclass(frozen=True)
class Rule:
    """`head` holds wherever the schema patterns and the data patterns match (and `filters` pass)."""

    head: str
    schema: str
    data: tuple[str, ...]
    filters: str = ""

    def updates(self, first_round: bool) -> list[str]:
        """Semi-naive evaluation: after the first round, one variant per data pattern, matched
        against only the triples that are new since the previous round."""
        if first_round:
            return [self._insert(" ".join(self.data))]
        variants = []
        for i, pattern in enumerate(self.data):
            others = " ".join(p for j, p in enumerate(self.data) if j != i)
            variants.append(self._insert(f"GRAPH <{_DELTA}> {{ {pattern} }} {others}"))
        return variants

    def _insert(self, data: str) -> str:
        # The head goes into the working graph, the inferred graph and the next round's delta.
        return (f"{_PREFIXES}INSERT {{ {self.head} GRAPH <{_INFERRED}> {{ {self.head} }} GRAPH <{_NEXT}> {{ {self.head} }} }}\n"
                f"WHERE {{ {self.schema} {data} {self.filters} FILTER NOT EXISTS {{ {self.head} }} }}")


# The instance rules of OWL 2 RL (W3C OWL 2 Profiles, section 4.3, tables 4-6); the schema is
# already closed, so one join per rule suffices and the rounds handle the rest.
GENERIC_RULES = {
    "cax-sco": Rule("?x a ?d .", "?c rdfs:subClassOf ?d . FILTER(?c != ?d)", ("?x a ?c .",)),
    "prp-dom": Rule("?x a ?c .", "?p rdfs:domain ?c .", ("?x ?p ?y .",)),
    "prp-rng": Rule("?y a ?c .", "?p rdfs:range ?c .", ("?x ?p ?y .",), "FILTER(!isLiteral(?y))"),
    "prp-spo1": Rule("?x ?q ?y .", "?p rdfs:subPropertyOf ?q . FILTER(?p != ?q)", ("?x ?p ?y .",)),
    "prp-inv1": Rule("?y ?q ?x .", "?p owl:inverseOf ?q .", ("?x ?p ?y .",), "FILTER(!isLiteral(?y))"),
    "prp-inv2": Rule("?y ?p ?x .", "?p owl:inverseOf ?q .", ("?x ?q ?y .",), "FILTER(!isLiteral(?y))"),
    "prp-symp": Rule("?y ?p ?x .", "?p a owl:SymmetricProperty .", ("?x ?p ?y .",), "FILTER(!isLiteral(?y))"),
    "prp-trp": Rule("?x ?p ?z .", "?p a owl:TransitiveProperty .", ("?x ?p ?y .", "?y ?p ?z .")),
    "cls-svf1": Rule("?u a ?r .", "?r owl:someValuesFrom ?c ; owl:onProperty ?p .", ("?u ?p ?v .", "?v a ?c .")),
    "cls-svf2": Rule("?u a ?r .", "?r owl:someValuesFrom owl:Thing ; owl:onProperty ?p .", ("?u ?p ?v .",)),
    "cls-hv1": Rule("?u ?p ?v .", "?r owl:hasValue ?v ; owl:onProperty ?p .", ("?u a ?r .",)),
    "cls-hv2": Rule("?u a ?r .", "?r owl:hasValue ?v ; owl:onProperty ?p .", ("?u ?p ?v .",)),
}

# owlrl's own wording, so the problems read the same whichever reasoner found them.
CONSISTENCY_CHECKS = {
    "cax-dw": (_PREFIXES + "SELECT ?x ?c1 ?c2 WHERE { ?c1 owl:disjointWith ?c2 . ?x a ?c1 , ?c2 . }",
               "Disjoint classes {c1} and {c2} have a common individual {x}"),
    "cls-nothing2": (_PREFIXES + "SELECT ?x WHERE { ?x a owl:Nothing . }",
                     "'Nothing' class instance found: {x}"),
}


def unsupported_axioms(ontology: Graph) -> list[str]:
    """The axioms in `ontology` that the fast rules do not cover (empty: the fast path is exact)."""
    found = {f"rdf:type owl:{str(o).rsplit('#', 1)[1]}" for o in ontology.objects(None, RDF.type) if o in _UNSUPPORTED_TYPES}
    found |= {f"owl:{str(p).rsplit('#', 1)[1]}" for p in ontology.predicates() if p in _UNSUPPORTED_PREDICATES}
    return sorted(found)


def chain_rules(schema: Graph) -> dict[str, Rule]:
    """prp-spo2: one INSERT per owl:propertyChainAxiom, joining the chain's properties in order."""
    rules = {}
    for number, (prop, head) in enumerate(sorted(schema.subject_objects(OWL.propertyChainAxiom), key=lambda pair: str(pair[0]))):
        links = list(schema.items(head))
        if not links or not all(isinstance(link, URIRef) for link in links):
            continue
        steps = tuple(f"?v{i} <{link}> ?v{i + 1} ." for i, link in enumerate(links))
        rules[f"prp-spo2 {number} <{prop}>"] = Rule(f"?v0 <{prop}> ?v{len(links)} .", "", steps)
    return rules


def tbox_inferences(ontology: Graph) -> Graph:
    """owlrl's closure of the ontology alone: the schema-level conclusions, owlrl's own."""
    return owlrl_closure(ontology)


def _nquads(asserted: Iterable[Graph], tbox: Graph) -> bytes:
    """The asserted triples in the default graph and the schema's closure in its own graph, as one
    document, so a blank node shared by the ontology and its closure stays one node."""
    from rdflib.plugins.serializers.nt import _nt_row
    from rdflib.plugins.serializers.nquads import _nq_row

    lines = [_nt_row(triple) for graph in asserted for triple in graph]
    # owlrl's closure holds literal subjects, which N-Quads (and any store) rejects; they are noise anyway
    lines += [_nq_row(t, URIRef(_TBOX)) for t in tbox if not isinstance(t[0], Literal) and isinstance(t[1], URIRef)]
    return "".join(lines).encode("utf-8")


def infer_fast(asserted: Graph | Iterable[Graph], ontology: Graph, tbox: Graph | None = None) -> tuple[Graph, list[str]]:
    """The filtered inferred graph and owlrl-style error messages, computed by the SPARQL rules.

    `asserted` is every asserted triple (ontology included), as one graph or several (no need to
    merge them first); `tbox` may be given when the caller has cached `tbox_inferences(ontology)`.
    """
    import pyoxigraph as ox

    parts = [asserted] if isinstance(asserted, Graph) else list(asserted)

    tbox = tbox_inferences(ontology) if tbox is None else tbox
    schema = ontology + tbox
    store = ox.Store()
    store.load(_nquads(parts, tbox), format=ox.RdfFormat.N_QUADS)
    store.update(f"INSERT {{ GRAPH <{_INFERRED}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{_TBOX}> {{ ?s ?p ?o }} FILTER NOT EXISTS {{ ?s ?p ?o }} }} ;"
                 f" ADD GRAPH <{_TBOX}> TO DEFAULT")
    rules = dict(GENERIC_RULES)
    rules.update(chain_rules(schema))
    inferred_graph = ox.NamedNode(_INFERRED)
    first_round = True
    while True:
        for rule in rules.values():
            for update in rule.updates(first_round):
                store.update(update)
        first_round = False
        store.update(f"DROP SILENT GRAPH <{_DELTA}> ; MOVE SILENT GRAPH <{_NEXT}> TO GRAPH <{_DELTA}>")
        if not _any(store, ox.NamedNode(_DELTA)):
            break
    messages = sorted(set(_consistency_messages(store)) | set(error_messages(tbox)))
    inferred = Graph()
    for quad in store.quads_for_pattern(None, None, None, inferred_graph):
        triple = (_rdflib(quad.subject), _rdflib(quad.predicate), _rdflib(quad.object))
        if not is_noise(triple):
            inferred.add(triple)
    return inferred, messages


def _any(store, graph) -> bool:
    return next(iter(store.quads_for_pattern(None, None, None, graph)), None) is not None


def _consistency_messages(store) -> Iterator[str]:
    for query, template in CONSISTENCY_CHECKS.values():
        results = store.query(query)
        names = [variable.value for variable in results.variables]
        for solution in results:
            yield template.format(**{name: str(_rdflib(solution[name])) for name in names})


def _rdflib(term):
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == _XSD_STRING:
        return Literal(term.value)  # rdflib writes plain strings without a datatype; RDF 1.1 says they are the same
    return Literal(term.value, datatype=URIRef(term.datatype.value))


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
