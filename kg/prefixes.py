"""The namespace prefixes of kg as plain strings, for code that must not import rdflib.

The cold `kg query` path (options, saved query, parameters, pyoxigraph, output) imports no
rdflib; it reads prefixes from here, and `kg.vocabulary` makes its rdflib namespaces from this table.
"""
from __future__ import annotations

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
KGR = "https://w3id.org/kg/id/"

PREFIXES: dict[str, str] = {
    "kg": "https://w3id.org/kg/ontology#",
    "kgr": KGR,
    "kgg": "https://w3id.org/kg/graph/",
    "oa": "http://www.w3.org/ns/oa#",
    "prov": "http://www.w3.org/ns/prov#",
    "schema": "https://schema.org/",
    "cito": "http://purl.org/spar/cito/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
}
