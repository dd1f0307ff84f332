"""Where a kind of triple store keeps its SPARQL endpoints, from one base URL."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import LoadError, Problem

STORE_TYPES = ("oxigraph", "virtuoso", "fuseki", "graphdb", "generic")

# base URL -> (graph store, update, query) paths; examples of base URLs in the README.
_PATHS = {
    "oxigraph": ("/store", "/update", "/query"),  # http://127.0.0.1:7878
    "virtuoso": ("/sparql-graph-crud-auth", "/sparql-auth", "/sparql"),  # http://127.0.0.1:8890 (digest auth)
    "fuseki": ("/data", "/update", "/query"),  # http://127.0.0.1:3030/DATASET
    "graphdb": ("/rdf-graphs/service", "/statements", ""),  # http://127.0.0.1:7200/repositories/REPO
}


@dataclass(frozen=True)
class Endpoints:
    graph_store: str | None
    update: str | None
    query: str | None


def endpoints(store_type: str, base: str | None, graph_store: str | None = None, update: str | None = None, query: str | None = None) -> Endpoints:
    """Endpoints from a store type and base URL; explicit URLs win."""
    derived = (None, None, None)
    if store_type != "generic":
        if not base:
            raise LoadError(Problem("--store", None, None, f"--store-type {store_type} needs the store's base URL", "e.g. --store http://127.0.0.1:7878", "usage"))
        root = base.rstrip("/")
        derived = tuple(root + path for path in _PATHS[store_type])
    result = Endpoints(graph_store or derived[0], update or derived[1], query or derived[2])
    if not (result.graph_store or result.update):
        raise LoadError(Problem("--store", None, None, "no graph store or update endpoint", "give --store-type and --store, or --gsp / --update URLs", "usage"))
    return result
