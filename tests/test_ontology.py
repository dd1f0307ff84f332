"""The ontology is a document people read: every term labelled and explained; axioms owlrl handles."""
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from conftest import REPO
from kg.vocabulary import KG


def load(name: str) -> Graph:
    graph = Graph()
    graph.parse(REPO / "ontology" / name, format="turtle")
    return graph


def test_every_kg_class_and_property_has_label_and_comment():
    graph = load("kg.ttl")
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    terms = {s for kind in kinds for s in graph.subjects(RDF.type, kind) if isinstance(s, URIRef)}
    assert len(terms) > 60
    for term in terms:
        assert str(term).startswith(str(KG)), term
        assert (term, RDFS.label, None) in graph, term
        assert (term, RDFS.comment, None) in graph, term


def test_required_classes_exist():
    graph = load("kg.ttl")
    for name in ("Governor", "Program", "Organization", "Statement", "Statistic", "Person", "Document", "Place", "Post", "Decision", "Quote", "Anchor"):
        assert (KG[name], RDF.type, OWL.Class) in graph, name


def test_axioms_that_do_work_under_owl_rl():
    graph = load("kg.ttl")
    assert (KG.citedBy, OWL.inverseOf, KG.cites) in graph
    assert (KG.cites, OWL.propertyChainAxiom, None) in graph
    assert (KG.derivedFrom, RDF.type, OWL.TransitiveProperty) in graph
    assert (KG.Person, OWL.disjointWith, KG.Organization) in graph


def test_no_constructs_owlrl_mishandles_or_alias_sameas():
    graph = load("kg.ttl") + load("alignment.ttl")
    assert not list(graph.triples((None, OWL.hasKey, None)))
    assert not list(graph.triples((None, RDF.type, OWL.AllDifferent)))
    assert not list(graph.triples((None, OWL.sameAs, None)))


def test_alignment_only_subclass_and_subproperty():
    graph = load("alignment.ttl")
    allowed = {RDFS.subClassOf, RDFS.subPropertyOf, RDF.type, RDFS.label, RDFS.comment}
    assert {p for _, p, _ in graph} <= allowed
    targets = {str(o) for o in graph.objects(None, RDFS.subClassOf)} | {str(o) for o in graph.objects(None, RDFS.subPropertyOf)}
    for namespace in ("https://schema.org/", "http://www.w3.org/ns/prov#", "http://www.w3.org/ns/oa#", "http://purl.org/spar/cito/", "http://purl.org/dc/terms/", "http://xmlns.com/foaf/0.1/"):
        assert any(t.startswith(namespace) for t in targets), namespace
    for name in ("Claim", "Person", "Organization", "GovernmentService", "Observation"):
        assert any(t == f"https://schema.org/{name}" for t in targets), name
