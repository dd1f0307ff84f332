"""OWL 2 RL reasoning with owlrl: closure, noise filter, consistency check.

owlrl writes everything it derives into the graph, including triples that are not
useful data (or not even valid RDF for a store, such as literals as subjects) and, instead
of raising, `err:ErrorMessage` nodes when the graph is inconsistent. This module keeps only
the new facts worth storing and turns the error nodes into an InconsistencyError.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from .errors import InconsistencyError, Problem
from .ntriples import term

ERR = "http://www.daml.org/2002/03/agents/agent-ont#"
_VOCABULARY_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))
_TRIVIAL_OBJECTS = {OWL.Thing, RDFS.Resource, RDFS.Class, OWL.Class, RDF.Property, RDFS.Datatype}
_REFLEXIVE = {OWL.sameAs, RDFS.subClassOf, OWL.equivalentClass, RDFS.subPropertyOf, OWL.equivalentProperty}
_IRI = re.compile(r"https?://[^\s,'\"()<>]+")


def closure(asserted: Graph) -> Graph:
    """Everything owlrl's OWL 2 RL closure adds to `asserted`, before filtering."""
    import owlrl  # imported here: querying a built graph must not pay for it

    expanded = Graph()
    for triple in asserted:
        expanded.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(expanded)
    added = Graph()
    for triple in expanded:
        if triple not in asserted:
            added.add(triple)
    return added


def error_messages(derived: Graph) -> list[str]:
    messages = []
    for node in derived.subjects(RDF.type, URIRef(ERR + "ErrorMessage")):
        for message in derived.objects(node, URIRef(ERR + "error")):
            messages.append(str(message))
    return sorted(messages)


def is_noise(triple: tuple) -> bool:
    """A derived triple not worth storing (see is_noise_text), given as rdflib terms."""
    return is_noise_text(*(term(node) for node in triple))


# Compared as N-Triples text, the form the fast rules give (millions of lines at 10,000 articles):
# an IRI is written one way only, so comparing texts is comparing terms.
_VOCABULARY_TEXTS = tuple("<" + namespace for namespace in _VOCABULARY_NAMESPACES)
_TYPE_TEXT = f"<{RDF.type}>"
_REFLEXIVE_TEXTS = {f"<{iri}>" for iri in _REFLEXIVE}
TRIVIAL_CLASS_TEXTS = sorted(f"<{iri}>" for iri in _TRIVIAL_OBJECTS)  # `x rdf:type` one of them is always noise
_SUBCLASS_OR_SUBPROPERTY_TEXTS = {f"<{iri}>" for iri in (RDFS.subClassOf, RDFS.subPropertyOf)}
_TOP_TEXTS = {f"<{iri}>" for iri in (OWL.Thing, RDFS.Resource, OWL.topObjectProperty, OWL.topDataProperty)}


def is_noise_text(subject: str, predicate: str, obj: str) -> bool:
    """A derived triple not worth storing: invalid RDF, tautologies, or facts about RDF/OWL themselves;
    given as N-Triples terms ("<iri>", "_:label", '"literal"...')."""
    if not subject.startswith("<") or not predicate.startswith("<"):
        return True  # literal subjects (owlrl's datatype reasoning, not RDF a store accepts), blank nodes
    if obj.startswith("_:") or subject.startswith("_:"):
        return True  # restrictions, lists and error nodes: the ontology's structure, nameless, not data
    if subject.startswith(_VOCABULARY_TEXTS):
        return True  # axiomatic triples about rdf:, rdfs:, owl:, xsd: terms
    if predicate in _REFLEXIVE_TEXTS and subject == obj:
        return True
    if predicate == _TYPE_TEXT and obj in TRIVIAL_CLASS_TEXTS:
        return True
    return predicate in _SUBCLASS_OR_SUBPROPERTY_TEXTS and obj in _TOP_TEXTS


def infer(asserted: Graph, origins: dict[URIRef, tuple[str, int]] | None = None) -> Graph:
    """The inferred graph (filtered); raises InconsistencyError if OWL 2 RL finds a contradiction."""
    derived = closure(asserted)
    messages = error_messages(derived)
    if messages:
        raise InconsistencyError(inconsistency_problems(messages, origins or {}))
    inferred = Graph()
    for triple in derived:
        if not is_noise(triple):
            inferred.add(triple)
    return inferred


def inconsistency_problems(messages: Iterable[str], origins: dict[URIRef, tuple[str, int]]) -> list[Problem]:
    problems = []
    for message in messages:
        resources = [URIRef(iri.rstrip(".")) for iri in _IRI.findall(message)]
        located = [(origins[r], r) for r in resources if r in origins]
        if located:
            for (file, line), resource in located:
                problems.append(Problem(file, line, None, f"inconsistent: {message}", f"check the annotation of {resource}", "inconsistency"))
        else:
            problems.append(Problem("ontology", None, None, f"inconsistent: {message}", "check the ontology and annotations", "inconsistency"))
    return problems
