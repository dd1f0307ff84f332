"""pyoxigraph terms as rdflib terms, the way rdflib itself would have made them."""
from __future__ import annotations

from rdflib import BNode, Literal, URIRef

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def to_rdflib(term):
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
