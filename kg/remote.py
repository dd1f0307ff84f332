"""Saved queries against a remote store over the SPARQL 1.1 Protocol.

Over the protocol the only way to hand a store a value for a variable is inside the query,
so parameters travel as a VALUES block built from the RDF terms themselves (serialised by
rdflib, with IRIs already checked and literals escaped): a value can never become syntax.
"""
from __future__ import annotations

import json
import urllib.parse

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from .errors import Problem, QueryError
from .http import StoreClient
from .queries import SavedQuery, bindings
from .querying import QueryResult

#: Longer queries go as a form POST: some servers cut long URLs. (A POST of
#: application/sparql-query hangs Virtuoso; form POST is the portable choice.)
MAX_GET_URL = 2000


def with_values(text: str, values: dict) -> str:
    """The query with `VALUES (?a ?b) { (term term) }` as the first thing in its WHERE block."""
    if not values:
        return text
    position = _first_open_brace(text)
    if position is None:
        raise QueryError(Problem("query", None, None, "cannot find the WHERE block to bind parameters", "write the query as SELECT ... WHERE { ... }", "query"))
    names = " ".join(f"?{name}" for name in values)
    terms = " ".join(term.n3() for term in values.values())
    block = f"\n  VALUES ({names}) {{ ({terms}) }}\n"
    return text[: position + 1] + block + text[position + 1:]


def _first_open_brace(text: str) -> int | None:
    """Index of the first '{' outside comments, strings and IRIs."""
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char == "#":
            newline = text.find("\n", index)
            index = length if newline == -1 else newline
        elif char in "\"'":
            index += 1
            while index < length and text[index] != char:
                index += 2 if text[index] == "\\" else 1
        elif char == "<":
            close = text.find(">", index)
            index = length if close == -1 else close
        elif char == "{":
            return index
        index += 1
    return None


def select(client: StoreClient, endpoint: str, text: str, graphs: tuple[str, ...] = (), what: str = "") -> QueryResult:
    fields = [("query", text)] + [("default-graph-uri", g) for g in graphs]
    encoded = urllib.parse.urlencode(fields)
    headers = {"Accept": "application/sparql-results+json"}
    separator = "&" if "?" in endpoint else "?"
    if len(endpoint) + len(encoded) + 1 <= MAX_GET_URL:
        response = client.request("GET", f"{endpoint}{separator}{encoded}", None, headers, what or endpoint)
    else:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = client.request("POST", endpoint, encoded.encode(), headers, what or endpoint)
    try:
        return parse_json_results(response.body)
    except (ValueError, KeyError, TypeError) as error:
        raise QueryError(Problem(what or endpoint, None, None, f"the store's answer is not SPARQL JSON results: {error}", "check the endpoint URL", "query")) from None


def parse_json_results(body: bytes) -> QueryResult:
    document = json.loads(body.decode("utf-8"))
    variables = tuple(document["head"]["vars"])
    rows = []
    for binding in document["results"]["bindings"]:
        rows.append(tuple(_term(binding[v]) if v in binding else None for v in variables))
    return QueryResult(variables, tuple(rows))


def _term(value: dict):
    kind = value["type"]
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    if kind in ("literal", "typed-literal"):  # "typed-literal": Virtuoso's pre-1.1 spelling
        if "xml:lang" in value:
            return Literal(value["value"], lang=value["xml:lang"])
        datatype = value.get("datatype")
        if datatype and datatype != str(XSD.string):
            return Literal(value["value"], datatype=URIRef(datatype))
        return Literal(value["value"])
    raise ValueError(f"unknown term type {kind!r}")


def run_remote(client: StoreClient, endpoint: str, query: SavedQuery, given: dict[str, str], graphs: tuple[str, ...] = ()) -> QueryResult:
    text = with_values(query.text, bindings(query, given))
    return select(client, endpoint, text, graphs, what=query.display)
