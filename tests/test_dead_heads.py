"""kg/dead_heads.py: the one-pattern rules' dead heads, made in Python, are exactly the CONSTRUCT's, and owlrl's."""
from __future__ import annotations

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from kg import dead_heads as module
from kg.dead_heads import dead_heads, one_pattern_rule
from kg.reasoning import infer as infer_with_owlrl
from kg.rules import GENERIC_RULES, chain_rules, closure_lines, infer

from test_rules import _graphs, _lines

TYPE = f"<{RDF.type}>"
EX = "http://example.org/"


def _shape(name):
    rule = GENERIC_RULES[name]
    return one_pattern_rule(rule.head, rule.data, rule.filters)


def test_the_one_pattern_rules_are_read_and_the_joins_left_to_the_construct(seeds_project):
    read = {name for name in GENERIC_RULES if _shape(name) is not None}
    assert read == {"cax-sco", "prp-dom", "prp-rng", "prp-spo1", "prp-inv1", "prp-inv2", "prp-symp", "cls-svf2", "cls-hv1", "cls-hv2"}
    assert _shape("prp-rng").object_not_literal and not _shape("prp-dom").object_not_literal
    graphs, _ = _graphs(seeds_project)
    chains = chain_rules(next(g for name, g in graphs.items() if "ontology" in str(name)))
    assert chains and all(one_pattern_rule(rule.head, rule.data, rule.filters) is None for rule in chains.values())
    assert one_pattern_rule("?x a ?c .", ("?x ?p ?x .",), "") is None  # a variable twice
    assert one_pattern_rule("?x a ?c .", ("?x ?p ?y .",), "FILTER(isIRI(?y))") is None  # a filter it cannot read


def test_heads_from_the_schemas_matches():
    triples = [
        f"<{EX}x> <{EX}p> <{EX}y>",
        f"<{EX}x> <{EX}p> \"a literal\"",
        f"<{EX}x> {TYPE} <{EX}C>",
        f"<{EX}y> {TYPE} <{EX}F>",  # asserted: not a new head
        f"<{EX}z> <{EX}has> <{EX}red>",
        f"<{EX}z> <{EX}has> <{EX}blue>",
        f"_:b {TYPE} <{EX}C>",  # a blank subject: its heads are noise
    ]
    rules = [
        (_shape("prp-rng"), [{"?p": f"<{EX}p>", "?c": f"<{EX}F>"}, {"?p": f"<{EX}p>", "?c": f"<{EX}G>"}]),
        (_shape("prp-spo1"), [{"?p": f"<{EX}p>", "?q": f"<{EX}q>"}]),
        (_shape("cax-sco"), [{"?c": f"<{EX}C>", "?d": f"<{EX}D>"}]),
        (_shape("cls-hv2"), [{"?r": f"<{EX}Red>", "?p": f"<{EX}has>", "?v": f"<{EX}red>"}]),
    ]
    assert dead_heads(rules, lambda: triples, str) == {
        f"<{EX}y> {TYPE} <{EX}G>",  # prp-rng; not for the literal
        f"<{EX}x> <{EX}q> <{EX}y>", f"<{EX}x> <{EX}q> \"a literal\"",  # prp-spo1
        f"<{EX}x> {TYPE} <{EX}D>",  # cax-sco
        f"<{EX}z> {TYPE} <{EX}Red>",  # cls-hv2, for the value only
    }


def test_schema_terms_are_written_as_the_triples_are():
    # pyoxigraph writes xsd:string literals without their datatype; to_text gives the build's form
    rows = [{"?r": f"<{EX}R>", "?p": f"<{EX}label>", "?v": '"red"'}]
    made = dead_heads([(_shape("cls-hv1"), rows)], lambda: [f"<{EX}u> {TYPE} <{EX}R>"], lambda term: term.upper() if term.startswith('"') else term)
    assert made == {f'<{EX}u> <{EX}label> "RED"'}


def test_the_same_dataset_as_by_construct_on_the_seeds(seeds_project, monkeypatch):
    lines = _lines(_graphs(seeds_project)[0])
    python_inferred, python_store = closure_lines(lines)
    monkeypatch.setattr(module, "one_pattern_rule", lambda head, data, filters: None)
    construct_inferred, construct_store = closure_lines(lines)
    assert python_inferred == construct_inferred and len(python_inferred) > 1000
    assert _dump(python_store) == _dump(construct_store)


def _dump(store) -> tuple[set[bytes], int]:
    """The store's triples; those with a blank node only counted, as pyoxigraph labels them anew in each store."""
    lines = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).split(b"\n")
    return {line for line in lines if b"_:" not in line}, len(lines)


ONTOLOGY = f"""
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix ex: <{EX}> .
ex:Cat rdfs:subClassOf ex:Animal .
ex:Animal rdfs:subClassOf ex:Thing .
ex:owns rdfs:domain ex:Owner ; rdfs:range ex:Possession ; rdfs:subPropertyOf ex:hasRelationTo .
ex:named rdfs:subPropertyOf ex:label ; rdfs:range ex:Named .
[ a owl:Restriction ; owl:onProperty ex:owns ; owl:someValuesFrom ex:Cat ] rdfs:subClassOf ex:CatOwner .
ex:Owner rdfs:subClassOf [ a owl:Restriction ; owl:onProperty ex:owns ; owl:someValuesFrom owl:Thing ] .
ex:RedThing owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:colour ; owl:hasValue ex:red ] .
ex:friendOf a owl:SymmetricProperty .
ex:parentOf owl:inverseOf ex:childOf .
"""
DATA = f"""
@prefix ex: <{EX}> .
ex:tom a ex:Cat ; ex:named "Tom" ; ex:colour ex:red ; ex:friendOf ex:jerry .
ex:ann ex:owns ex:tom ; ex:parentOf ex:bob .
ex:bob a ex:Possession , ex:RedThing .
"""


def test_the_same_inferences_as_owlrl_for_every_one_pattern_rule():
    # dead classes (ex:Thing, ex:Owner, ex:Possession) and properties (ex:hasRelationTo, ex:label),
    # a range on a literal, a head already asserted, a restriction's blank node, a restriction's dead
    # superclass (its blank node as the store writes it): all as owlrl has them
    ontology = Graph().parse(data=ONTOLOGY, format="turtle")
    data = Graph().parse(data=DATA, format="turtle")
    fast = set(infer([ontology, data], ontology))
    reference = set(infer_with_owlrl(ontology + data))
    assert fast == reference
    ex = lambda name: URIRef(EX + name)  # noqa: E731
    for triple in [(ex("tom"), RDF.type, ex("Thing")), (ex("ann"), ex("hasRelationTo"), ex("tom")), (ex("ann"), RDF.type, ex("Owner")),
                   (ex("ann"), RDF.type, ex("CatOwner")),
                   (ex("bob"), ex("colour"), ex("red")), (ex("jerry"), ex("friendOf"), ex("tom")), (ex("bob"), ex("childOf"), ex("ann"))]:
        assert triple in fast
