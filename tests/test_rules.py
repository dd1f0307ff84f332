"""The fast OWL 2 RL rules (kg/rules.py) derive exactly what owlrl derives, after the noise filter.

owlrl is the reference: each test builds the same asserted graphs and compares the two
inferred graphs triple for triple.
"""
from __future__ import annotations


import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS
from rdflib.plugins.serializers.nt import _nt_row

from kg import vocabulary as V
from kg.annotations import read_corpus
from kg.build import assemble, build, reason
from kg.errors import InconsistencyError
from kg.project import open_project
from kg.ntriples import parse_term
from kg.rules import closure_lines, infer, infer_fast, infer_lines, unsupported_axioms

from conftest import REPO, built_dataset, load_generator


def _graphs(root):
    project = open_project(root)
    graphs, origins = assemble(project, read_corpus(project.seeds, project.root))
    return graphs, origins


def _assert_same(graphs):
    fast = set(reason(graphs, reasoner="rules"))
    reference = set(reason(graphs, reasoner="owlrl"))
    assert fast, "the fast rules inferred nothing"
    missing, extra = reference - fast, fast - reference
    assert not missing and not extra, f"missing {sorted(missing)[:5]}, extra {sorted(extra)[:5]}"


def test_same_inferences_as_owlrl_on_the_seeds(seeds_project):
    _assert_same(_graphs(seeds_project)[0])


def test_same_inferences_as_owlrl_on_a_generated_corpus_of_100_articles(tmp_path):
    root = load_generator().generate(100, tmp_path / "corpus", seed=7)
    graphs, origins = _graphs(root)
    assert len(graphs) > 100
    _assert_same(graphs)
    _assert_same_lines(graphs, origins)


def _lines(graphs):
    """The graphs as the build's N-Triples text: "S P O" lines keyed by graph IRI."""
    return {str(name): {_nt_row(triple)[:-3] for triple in graph} for name, graph in graphs.items()}


def _assert_same_lines(graphs, origins, by_owlrl=False):
    inferred = reason(graphs, origins, reasoner="rules")
    assert infer_lines(_lines(graphs), origins.lines) == {_nt_row(triple)[:-3] for triple in inferred}
    _assert_store_holds_the_dataset(graphs, origins, by_owlrl)


def _assert_store_holds_the_dataset(graphs, origins, by_owlrl):
    """The store the rules hand to the shape checks holds the asserted and inferred triples, nothing else:
    no working graph, no noise, no dead head missing. When owlrl reasoned (the fallback) there is none."""
    lines = _lines(graphs)
    inferred, store = closure_lines(lines, origins.lines)
    if by_owlrl:
        assert store is None
        return
    text = "".join(line + " .\n" for graph in [*lines.values(), inferred] for line in graph)
    reference = ox.Store()  # a store of its own, as the shapes loaded it before: literals are stored alike
    reference.load(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    assert list(store.named_graphs()) == []
    assert _named_triples(store) == _named_triples(reference)


def _named_triples(store) -> tuple[set, int]:
    """The store's triples without a blank node, and the number of those with one (each load names them anew)."""
    triples = [quad.triple for quad in store]
    named = {t for t in triples if not any(isinstance(n, ox.BlankNode) for n in (t.subject, t.object))}
    return named, len(triples) - len(named)


def test_infer_lines_gives_the_same_text_as_rdflib_on_the_seeds(seeds_project):
    _assert_same_lines(*_graphs(seeds_project))


def test_infer_lines_falls_back_to_owlrl_and_reports_inconsistencies(mini_copy):
    (mini_copy / "ontology" / "zz-functional.ttl").write_text(
        "<https://w3id.org/kg/ontology#statedBy> a <http://www.w3.org/2002/07/owl#FunctionalProperty> .\n", encoding="utf-8")
    _assert_same_lines(*_graphs(mini_copy), by_owlrl=True)
    (mini_copy / "ontology" / "zz-contradiction.ttl").write_text(
        "<https://w3id.org/kg/id/ana-ruiz> a <https://w3id.org/kg/ontology#Organization> .\n", encoding="utf-8")
    graphs, origins = _graphs(mini_copy)
    with pytest.raises(InconsistencyError, match="Disjoint classes"):
        infer_lines(_lines(graphs), origins.lines)


XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.mark.parametrize("node", [
    URIRef("https://w3id.org/kg/id/a"), Literal("plain"), Literal("tab\tcontrol\x01\x7f quote \" backslash \\ newline\n\r"),
    Literal("line\u2028separator and \u00e9 \U0001f600"), Literal("hello", lang="en-GB"), Literal("x", datatype=URIRef(XSD + "string")),
    Literal("01", datatype=URIRef(XSD + "integer")), Literal("1.50", datatype=URIRef(XSD + "decimal")), Literal("1e3", datatype=URIRef(XSD + "double")),
    Literal("true", datatype=URIRef(XSD + "boolean")), Literal("2024-02", datatype=URIRef(XSD + "gYearMonth")), Literal("odd", datatype=URIRef("urn:x:type")),
])
def test_terms_read_back_from_the_store_as_rdflib_would_make_them(node):
    # pyoxigraph's N-Triples text must give the term its Python objects would: value, language, datatype
    store = ox.Store()
    store.load(_nt_row((URIRef("urn:s"), URIRef("urn:p"), node)).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    text = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).decode("utf-8")
    term = next(iter(store)).object
    if isinstance(term, ox.NamedNode):
        expected = URIRef(term.value)
    elif term.language:
        expected = Literal(term.value, lang=term.language)
    elif term.datatype.value == XSD + "string":
        expected = Literal(term.value)
    else:
        expected = Literal(term.value, datatype=URIRef(term.datatype.value))
    parsed = parse_term(text[len("<urn:s> <urn:p> "):-len(" .\n")])
    assert (type(parsed), parsed, getattr(parsed, "datatype", None), getattr(parsed, "language", None)) == \
        (type(expected), expected, getattr(expected, "datatype", None), getattr(expected, "language", None))


def test_a_triple_found_dead_is_reconsidered_once_derived_axioms_make_it_live():
    # x a A is derived (prp-dom) while A is no subclass of anything, so no rule could use it; then
    # A rdfs:subClassOf B is derived (prp-spo1) from the data: x a B must follow all the same.
    ex = "http://example.org/"
    ontology = Graph().parse(data=f"""
        <{ex}p> <{RDFS.domain}> <{ex}A> .
        <{ex}narrower> <{RDFS.subPropertyOf}> <{RDFS.subClassOf}> .
        """, format="nt")
    data = Graph().parse(data=f"<{ex}x> <{ex}p> <{ex}y> .\n<{ex}A> <{ex}narrower> <{ex}B> .\n", format="nt")
    inferred = infer([ontology, data], ontology)
    assert (URIRef(f"{ex}x"), RDF.type, URIRef(f"{ex}A")) in inferred
    assert (URIRef(f"{ex}x"), RDF.type, URIRef(f"{ex}B")) in inferred


def test_rules_cover_the_projects_ontology():
    graphs, _ = _graphs(REPO)
    assert unsupported_axioms(graphs[V.ONTOLOGY_GRAPH]) == []


def test_an_axiom_the_rules_do_not_cover_falls_back_to_owlrl(mini_copy):
    # A functional property makes OWL 2 RL derive owl:sameAs, which the rules do not do.
    (mini_copy / "ontology" / "zz-functional.ttl").write_text(
        "<https://w3id.org/kg/ontology#statedBy> a <http://www.w3.org/2002/07/owl#FunctionalProperty> .\n", encoding="utf-8")
    graphs, _ = _graphs(mini_copy)
    assert unsupported_axioms(graphs[V.ONTOLOGY_GRAPH]) == ["rdf:type owl:FunctionalProperty"]
    _assert_same(graphs)


def test_each_rule_kind_fires(mini_project):
    graphs, _ = _graphs(mini_project)
    union = Graph()
    for graph in graphs.values():
        union += graph
    inferred, messages = infer_fast(union, graphs[V.ONTOLOGY_GRAPH])
    assert messages == []
    predicates = {p for _, p, _ in inferred}
    kg = V.KG
    assert RDF.type in predicates                      # cax-sco, prp-dom/rng, cls-svf1
    assert kg.citedBy in predicates                    # prp-inv
    assert kg.mentionedIn in predicates                # prp-spo2, a chain of three
    assert (None, RDF.type, kg.Governor) in inferred   # cls-svf1 through owl:equivalentClass


def test_disjoint_classes_are_reported_by_the_rules_with_owlrls_words(mini_copy):
    (mini_copy / "ontology" / "zz-contradiction.ttl").write_text(
        "<https://w3id.org/kg/id/ana-ruiz> a <https://w3id.org/kg/ontology#Organization> .\n", encoding="utf-8")
    project = open_project(mini_copy)
    with pytest.raises(InconsistencyError) as raised:
        build(project, reasoner="rules")
    message = str(raised.value)
    assert "Disjoint classes" in message and "ana-ruiz" in message and "seeds/registry.yaml:" in message


def test_owlrl_reasoner_builds_the_same_dataset(mini_copy, tmp_path):
    project = open_project(mini_copy)
    fast = build(project, force=True, reasoner="rules")
    fast_bytes = built_dataset(project)
    reference = build(project, force=True, reasoner="owlrl")
    assert built_dataset(project) == fast_bytes
    # the same dataset, graphs and inputs (the derivation digest names the reasoner, so it differs)
    assert (fast.manifest.dataset_sha256, fast.manifest.graphs, fast.manifest.inputs_sha256) == \
        (reference.manifest.dataset_sha256, reference.manifest.graphs, reference.manifest.inputs_sha256)


def test_data_that_brings_an_uncovered_axiom_falls_back_to_owlrl(mini_project):
    # owl:sameAs in the data (as `kg validate --data` may hand in) needs owlrl's equality rules.
    graphs, _ = _graphs(mini_project)
    graphs[URIRef("urn:test:user-data")] = Graph().parse(data=(
        "<https://w3id.org/kg/id/ana-ruiz> <http://www.w3.org/2002/07/owl#sameAs> <urn:test:someone-else> ."), format="nt")
    inferred = reason(graphs, reasoner="rules")
    assert (URIRef("urn:test:someone-else"), RDF.type, V.KG.Person) in inferred
    _assert_same(graphs)


def test_noise_is_judged_the_same_on_text_as_on_terms(seeds_project):
    """infer_lines filters the rules' output as text (kg.reasoning.is_noise_text): it must keep and drop
    exactly what is_noise does on rdflib terms, here on owlrl's raw closure of the ontology (axiomatic,
    reflexive, blank-node and literal-subject triples) and on a hand-picked few."""
    from rdflib.namespace import OWL, XSD

    from kg.build import load_ontology
    from kg.ntriples import term
    from kg.reasoning import closure, is_noise, is_noise_text

    thing, prop = URIRef("https://example.org/x"), URIRef("https://example.org/p")
    picked = [(Literal("1", datatype=XSD.integer), RDF.type, XSD.integer), (thing, RDFS.subClassOf, thing),
              (thing, RDFS.subClassOf, URIRef("https://example.org/y")), (thing, RDF.type, OWL.Thing),
              (thing, RDF.type, V.KG.Agent), (thing, prop, BNode()), (BNode(), prop, thing), (thing, BNode(), thing),
              (thing, RDFS.subPropertyOf, OWL.topObjectProperty), (thing, prop, Literal("a \"quoted\" text")),
              (RDFS.label, RDF.type, OWL.AnnotationProperty), (thing, OWL.sameAs, thing), (thing, OWL.sameAs, prop)]
    triples = [*closure(load_ontology(open_project(seeds_project))), *picked]
    verdicts = {triple: (is_noise(triple), is_noise_text(*(term(node) for node in triple))) for triple in triples}
    assert [triple for triple, (on_terms, on_text) in verdicts.items() if on_terms != on_text] == []
    assert {on_terms for on_terms, _ in verdicts.values()} == {True, False}


def test_each_semi_naive_variant_starts_from_the_delta_and_joins_outward():
    # pyoxigraph joins in the written order: a variant that reads a chain's other links over the whole
    # store before the delta took seconds a round at 10,000 articles
    from kg.rules import GENERIC_RULES, Rule, delta_variants

    chain = ("?v0 <urn:a> ?v1 .", "?v1 <urn:b> ?v2 .", "?v2 <urn:c> ?v3 .")
    assert delta_variants(chain, "urn:d") == [
        "GRAPH <urn:d> { ?v0 <urn:a> ?v1 . } ?v1 <urn:b> ?v2 . ?v2 <urn:c> ?v3 .",
        "GRAPH <urn:d> { ?v1 <urn:b> ?v2 . } ?v0 <urn:a> ?v1 . ?v2 <urn:c> ?v3 .",
        "GRAPH <urn:d> { ?v2 <urn:c> ?v3 . } ?v1 <urn:b> ?v2 . ?v0 <urn:a> ?v1 .",
    ]
    assert Rule("?v0 <urn:h> ?v3 .", (), chain).bodies(0) == [" ".join(chain)]  # round 0: everything, as written
    # a transitive property's other link is matched whole, with the schema, and joined by hash (whole_joins)
    assert GENERIC_RULES["prp-trp"].bodies(2) == [
        "GRAPH <urn:kg:reasoning:delta:1> { ?x ?p ?y . } { SELECT * WHERE { ?p a owl:TransitiveProperty . ?y ?p ?z . } }",
        "{ SELECT * WHERE { ?p a owl:TransitiveProperty . ?x ?p ?y . } } GRAPH <urn:kg:reasoning:delta:1> { ?y ?p ?z . }",
    ]


def test_a_transitive_chain_is_closed_as_owlrl_closes_it():
    # five links, derived over several rounds from both ends of each new triple
    ex = "http://example.org/"
    ontology = Graph().parse(data=f"<{ex}from> a <http://www.w3.org/2002/07/owl#TransitiveProperty> .\n", format="turtle")
    data = Graph().parse(data="".join(f"<{ex}n{i}> <{ex}from> <{ex}n{i + 1}> .\n" for i in range(5)), format="nt")
    fast = set(infer([ontology, data], ontology))
    assert {(URIRef(f"{ex}n{i}"), URIRef(f"{ex}from"), URIRef(f"{ex}n{j}")) for i in range(6) for j in range(i + 2, 6)} <= fast
    from kg.reasoning import infer as infer_with_owlrl

    assert fast == set(infer_with_owlrl(ontology + data))


def test_round_one_reads_only_what_a_rule_has_not_joined_yet(monkeypatch):
    # Round 0 runs each rule over the whole store, after the rules before it: the chain (last) sees the
    # inverse triples prp-inv2 derived, so in round 1 it must not join them again. The chain's own new
    # triples, derived after the rules before it ran, are read by those in round 1: prp-dom types their
    # subject, and cax-sco (the first rule) that type's superclass in round 2.
    import re

    import kg.rules as rules
    from kg.reasoning import infer as infer_with_owlrl

    ex = "http://example.org/"
    owl = "http://www.w3.org/2002/07/owl#"
    ontology = Graph().parse(data=f"""
        @prefix rdfs: <{RDFS}> .
        <{ex}made> <{owl}inverseOf> <{ex}madeBy> .
        <{ex}says> <{owl}propertyChainAxiom> ( <{ex}made> <{ex}cites> ) ; rdfs:domain <{ex}Speaker> .
        <{ex}Speaker> rdfs:subClassOf <{ex}Agent> .
        """, format="turtle")
    data = Graph().parse(data=f"<{ex}s> <{ex}madeBy> <{ex}alice> .\n<{ex}s> <{ex}cites> <{ex}figure> .\n", format="nt")
    updates = []

    class Recording:
        def __init__(self, store):
            self.store = store

        def update(self, text):
            updates.append(text)
            self.store.update(text)

        def __getattr__(self, name):
            return getattr(self.store, name)

    loaded = rules._loaded
    monkeypatch.setattr(rules, "_loaded", lambda documents: Recording(loaded(documents)))
    fast = set(infer([ontology, data], ontology))

    assert (URIRef(f"{ex}alice"), URIRef(f"{ex}says"), URIRef(f"{ex}figure")) in fast
    assert (URIRef(f"{ex}alice"), RDF.type, URIRef(f"{ex}Agent")) in fast
    assert fast == set(infer_with_owlrl(ontology + data))
    # (head, body, the round-0 delta graphs the body reads) of each update; the chain's rule number is
    # len(GENERIC_RULES), as chain rules come after the generic ones
    inserts = [text.split("WHERE", 1) for text in updates if text.startswith(rules._PREFIXES + "INSERT")]
    reads = [(head, body, {int(number) for number in re.findall(r"GRAPH <urn:kg:reasoning:delta:0:(\d+)>", body)}) for head, body in inserts]
    chain = len(rules.GENERIC_RULES)
    assert set().union(*(graphs for head, _, graphs in reads if f"<{ex}says>" in head)) == {chain}  # not prp-inv2's
    assert chain in set().union(*(graphs for _, body, graphs in reads if "rdfs:domain" in body))
