"""Run saved queries in pyoxigraph, a second embedded SPARQL engine.

Used to show that every saved query gives the same answers on another engine. Parameters
go in as a VALUES block, exactly as they do to a remote store (pyoxigraph's `substitutions`
would need every parameter in the SELECT projection).
"""
from __future__ import annotations

from pathlib import Path

from rdflib import BNode, Literal, URIRef

from .queries import SavedQuery, bindings
from .querying import QueryResult
from .remote import with_values


def load_store(path: Path):
    import pyoxigraph

    store = pyoxigraph.Store()
    with open(path, "rb") as stream:
        store.bulk_load(stream, format=pyoxigraph.RdfFormat.N_QUADS)
    return store


def _to_rdflib(term):
    import pyoxigraph

    if term is None:
        return None
    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    if datatype == "http://www.w3.org/2001/XMLSchema#string":
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(datatype))


def execute(store, query: SavedQuery, given: dict[str, str]) -> QueryResult:
    text = with_values(query.text, bindings(query, given))
    solutions = store.query(text, use_default_graph_as_union=True)
    variables = tuple(v.value for v in solutions.variables)
    rows = tuple(tuple(_to_rdflib(solution[v]) for v in variables) for solution in solutions)
    return QueryResult(variables, rows)
