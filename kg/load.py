"""`kg load`: push the built dataset into an external store, graph by graph, then check the counts.

The SPARQL 1.1 Graph Store HTTP Protocol is the main path: one PUT per named graph replaces
that graph, so loading twice never duplicates anything. Stores without it get SPARQL 1.1
Update: DROP SILENT GRAPH, then INSERT DATA in batches small enough for every store.
"""
from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

from rdflib import BNode, Graph, URIRef
from rdflib.plugins.serializers.nt import _nt_row

from .build import ensure_built
from .errors import LoadError, Problem
from .export import selected_graphs
from .http import StoreClient
from .project import Project
from .querying import load_dataset
from .store import dataset_bytes
from .stores import Endpoints

METHODS = ("auto", "gsp", "update")
#: Virtuoso rejects INSERT DATA above about 1,000 triples per request.
BATCH_TRIPLES = 500


@dataclass(frozen=True)
class GraphLoad:
    graph: str
    local: int
    remote: int | None

    @property
    def ok(self) -> bool:
        return self.remote == self.local


@dataclass(frozen=True)
class PlannedRequest:
    graph: str
    method: str
    url: str
    content_type: str
    triples: int
    size: int


def ntriples(graph: Graph) -> bytes:
    return "".join(sorted(_nt_row(triple) for triple in graph)).encode("utf-8")


def batches(graph: Graph, size: int = BATCH_TRIPLES) -> list[list[tuple]]:
    """Triples in batches of about `size`, never splitting what shares a blank node.

    A blank node label only means the same node within one request, so a restriction or a
    list must travel whole.
    """
    parent: dict = {}

    def find(node):
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    triples = sorted(graph, key=lambda t: tuple(term.n3() for term in t))
    groups: dict = {}
    for triple in triples:
        blanks = [term for term in (triple[0], triple[2]) if isinstance(term, BNode)]
        for other in blanks[1:]:
            parent[find(other)] = find(blanks[0])
    for index, triple in enumerate(triples):
        blanks = [term for term in (triple[0], triple[2]) if isinstance(term, BNode)]
        key = ("b", str(find(blanks[0]))) if blanks else ("t", index)
        groups.setdefault(key, []).append(triple)
    result: list[list[tuple]] = [[]]
    for group in sorted(groups.values(), key=lambda g: tuple(t.n3() for t in g[0])):
        if result[-1] and len(result[-1]) + len(group) > size:
            result.append([])
        result[-1].extend(group)
    return [batch for batch in result if batch]


def _graph_url(graph_store: str, graph: str) -> str:
    separator = "&" if "?" in graph_store else "?"
    return f"{graph_store}{separator}{urllib.parse.urlencode({'graph': graph})}"


def plan(graphs: dict[URIRef, Graph], endpoints: Endpoints, method: str) -> list[PlannedRequest]:
    """What `kg load` would send, without sending anything (for --dry-run and for the load itself)."""
    chosen = _method(endpoints, method)
    requests = []
    for name in sorted(graphs, key=str):
        graph = graphs[name]
        if chosen == "gsp":
            body = ntriples(graph)
            requests.append(PlannedRequest(str(name), "PUT", _graph_url(endpoints.graph_store, str(name)), "text/turtle", len(graph), len(body)))
        else:
            requests.append(PlannedRequest(str(name), "POST", endpoints.update, "application/x-www-form-urlencoded", 0, 0))  # the DROP
            for batch in batches(graph):
                text = _insert_data(str(name), batch)
                requests.append(PlannedRequest(str(name), "POST", endpoints.update, "application/x-www-form-urlencoded", len(batch), len(text.encode())))
    return requests


def _method(endpoints: Endpoints, method: str) -> str:
    if method == "gsp" or (method == "auto" and endpoints.graph_store):
        if not endpoints.graph_store:
            raise LoadError(Problem("--method", None, None, "--method gsp needs a graph store endpoint", "give --gsp URL or --store-type", "usage"))
        return "gsp"
    if not endpoints.update:
        raise LoadError(Problem("--method", None, None, "--method update needs an update endpoint", "give --update URL or --store-type", "usage"))
    return "update"


def _insert_data(graph: str, triples: list[tuple]) -> str:
    body = "".join(_nt_row(t) for t in triples)
    if any(isinstance(term, BNode) for triple in triples for term in triple):
        # Standard SPARQL allows blank nodes in INSERT DATA but Virtuoso refuses them
        # ("not allowed in a constant clause"); a template with an empty WHERE means the same.
        return f"INSERT {{ GRAPH <{graph}> {{\n{body}}} }} WHERE {{}}"
    return f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}}} }}"


def graphs_to_load(project: Project) -> dict[URIRef, Graph]:
    ensure_built(project)
    return selected_graphs(load_dataset(dataset_bytes(project)), "all")


def load(graphs: dict[URIRef, Graph], endpoints: Endpoints, client: StoreClient, method: str = "auto",
         progress: Callable[[str, int], None] | None = None) -> list[GraphLoad]:
    """Replace each named graph in the store, then compare its triple count with ours."""
    chosen = _method(endpoints, method)
    for name in sorted(graphs, key=str):
        graph = graphs[name]
        what = f"graph <{name}>"
        if chosen == "gsp":
            client.request("PUT", _graph_url(endpoints.graph_store, str(name)), ntriples(graph), {"Content-Type": "text/turtle"}, what)
            if progress:
                progress(str(name), len(graph))
            continue
        _update(client, endpoints.update, f"DROP SILENT GRAPH <{name}>", what)
        for batch in batches(graph):
            _update(client, endpoints.update, _insert_data(str(name), batch), what)
            if progress:
                progress(str(name), len(batch))
    return [GraphLoad(str(name), len(graphs[name]), count_in_store(client, endpoints, str(name))) for name in sorted(graphs, key=str)]


def _update(client: StoreClient, url: str, text: str, what: str) -> None:
    data = urllib.parse.urlencode({"update": text}).encode()
    client.request("POST", url, data, {"Content-Type": "application/x-www-form-urlencoded"}, what)


def count_in_store(client: StoreClient, endpoints: Endpoints, graph: str) -> int | None:
    if not endpoints.query:
        return None
    from .remote import select

    result = select(client, endpoints.query, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", what=f"graph <{graph}>")
    return int(result.rows[0][0]) if result.rows and result.rows[0][0] is not None else 0


def summary(loads: list[GraphLoad]) -> str:
    width = max(len(item.graph) for item in loads) if loads else 5
    lines = [f"{'graph'.ljust(width)}  {'local':>7}  {'store':>7}  check", f"{'-' * width}  {'-' * 7}  {'-' * 7}  -----"]
    for item in loads:
        remote = "?" if item.remote is None else str(item.remote)
        check = "ok" if item.ok else ("not checked" if item.remote is None else "MISMATCH")
        lines.append(f"{item.graph.ljust(width)}  {item.local:>7}  {remote:>7}  {check}")
    return "\n".join(lines) + "\n"


def describe(requests: list[PlannedRequest]) -> str:
    lines = []
    for request in requests:
        detail = f"{request.triples} triples, {request.size} bytes" if request.size else "DROP SILENT GRAPH"
        lines.append(f"{request.method} {request.url}  [{request.content_type}]  <{request.graph}>  {detail}")
    return "\n".join(lines) + "\n"


def as_json(loads: list[GraphLoad]) -> str:
    return json.dumps([{"graph": l.graph, "local": l.local, "store": l.remote, "ok": l.ok} for l in loads], indent=2) + "\n"
