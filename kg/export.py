"""`kg export`: the built dataset in the W3C RDF syntaxes, byte-identical for the same inputs."""
from __future__ import annotations

import json
from pathlib import Path

from rdflib import BNode, Dataset, Graph, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.plugins.serializers.nt import _nt_row

from . import vocabulary as V
from .build import ensure_built, serialise_nquads
from .errors import ExportError, Problem
from .network import offline
from .project import Project
from .querying import load_dataset
from .store import dataset_bytes, write_atomically

FORMATS = {
    # name: (rdflib plugin, keeps named graphs)
    "turtle": ("turtle", False),
    "ntriples": ("nt", False),
    "nquads": ("nquads", True),
    "trig": ("trig", True),
    "jsonld": ("json-ld", True),
    "xml": ("xml", False),
}
SELECTIONS = ("all", "asserted", "inferred")


def selected_graphs(dataset: Dataset, selection: str) -> dict[URIRef, Graph]:
    graphs: dict[URIRef, Graph] = {}
    for context in dataset.graphs():
        name = context.identifier
        if not isinstance(name, URIRef) or not len(context):
            continue
        inferred = name == V.INFERRED_GRAPH
        if selection == "all" or (selection == "inferred") == inferred:
            graphs[name] = _canonical(context)
    return graphs


def _canonical(graph: Graph) -> Graph:
    """The same graph with blank nodes named from its structure, so labels never vary between runs."""
    source = to_canonical_graph(graph) if any(isinstance(t, BNode) for triple in graph for t in triple) else graph
    copy = Graph(identifier=graph.identifier)
    for triple in source:
        copy.add(triple)
    return copy


def _bind(target) -> None:
    for prefix, namespace in V.PREFIXES.items():
        target.bind(prefix, namespace, override=True)
    target.bind("owl", "http://www.w3.org/2002/07/owl#")
    target.bind("xsd", "http://www.w3.org/2001/XMLSchema#")


def serialise(graphs: dict[URIRef, Graph], form: str) -> bytes:
    plugin, named = FORMATS[form]
    if form == "nquads":
        return serialise_nquads(graphs)
    if form == "trig":
        return _trig(graphs)
    if form == "xml":
        return _rdf_xml(graphs)
    if form == "ntriples":
        return "".join(sorted({_nt_row(triple) for graph in graphs.values() for triple in graph})).encode("utf-8")
    if named:
        dataset = Dataset()
        _bind(dataset)
        for name in sorted(graphs, key=str):
            target = dataset.graph(name)
            for triple in _in_order(graphs[name]):
                target.add(triple)
        data = dataset.serialize(format=plugin)
    else:
        merged = Graph()
        _bind(merged)
        for name in sorted(graphs, key=str):
            for triple in _in_order(graphs[name]):
                merged.add(triple)
        data = merged.serialize(format=plugin)
    if form == "jsonld":
        data = _stable_jsonld(data)
    return data.encode("utf-8") if isinstance(data, str) else data


def _turtle(triples) -> str:
    graph = Graph()
    _bind(graph)
    for triple in triples:
        graph.add(triple)
    return graph.serialize(format="turtle")


def _trig(graphs: dict[URIRef, Graph]) -> bytes:
    """TriG as prefixes plus one deterministic Turtle block per graph (rdflib's TriG follows hash order)."""
    prefixes: set[str] = set()
    blocks = []
    for name in sorted(graphs, key=str):
        lines = _turtle(_in_order(graphs[name])).splitlines()
        prefixes.update(line for line in lines if line.startswith("@prefix"))
        body = [("    " + line) if line else "" for line in lines if not line.startswith("@prefix")]
        while body and not body[0]:
            body.pop(0)
        while body and not body[-1]:
            body.pop()
        blocks.append(f"<{name}> {{\n" + "\n".join(body) + "\n}\n")
    return ("\n".join(sorted(prefixes)) + "\n\n" + "\n".join(blocks)).encode("utf-8")


def _rdf_xml(graphs: dict[URIRef, Graph]) -> bytes:
    """Flat RDF/XML, subjects and properties sorted (rdflib's XML writer follows hash order)."""
    from xml.sax.saxutils import escape, quoteattr

    from rdflib import Literal
    from rdflib.namespace import RDF

    triples = sorted({t for graph in graphs.values() for t in graph}, key=lambda t: tuple(x.n3() for x in t))
    namespaces = {str(ns): prefix for prefix, ns in V.PREFIXES.items()}
    namespaces.update({str(RDF): "rdf", "http://www.w3.org/2000/01/rdf-schema#": "rdfs",
                       "http://www.w3.org/2002/07/owl#": "owl", "http://www.w3.org/2001/XMLSchema#": "xsd"})

    def qname(predicate: URIRef) -> str:
        text = str(predicate)
        for namespace in sorted(namespaces, key=len, reverse=True):
            local = text[len(namespace):]
            if text.startswith(namespace) and local.replace("-", "").replace("_", "").isalnum() and not local[0].isdigit():
                return f"{namespaces[namespace]}:{local}"
        raise ExportError(Problem("--format xml", None, None, f"property {text} has no XML name", "export as Turtle instead", "export"))

    def node(term, attribute: str) -> str:
        return f"rdf:nodeID={quoteattr('b' + str(term))}" if isinstance(term, BNode) else f"{attribute}={quoteattr(str(term))}"

    used = set()
    out, current = [], None
    for subject, predicate, obj in triples:
        if subject != current:
            if current is not None:
                out.append("  </rdf:Description>")
            out.append(f"  <rdf:Description {node(subject, 'rdf:about')}>")
            current = subject
        name = qname(predicate)
        used.add(name.split(":")[0])
        if isinstance(obj, Literal):
            attributes = f" xml:lang={quoteattr(obj.language)}" if obj.language else (f" rdf:datatype={quoteattr(str(obj.datatype))}" if obj.datatype else "")
            out.append(f"    <{name}{attributes}>{escape(str(obj))}</{name}>")
        else:
            out.append(f"    <{name} {node(obj, 'rdf:resource')}/>")
    if current is not None:
        out.append("  </rdf:Description>")
    declarations = "".join(f"\n    xmlns:{p}={quoteattr(ns)}" for ns, p in sorted(namespaces.items(), key=lambda item: item[1]) if p in used | {"rdf"})
    header = f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF{declarations}>'
    return (header + "\n" + "\n".join(out) + "\n</rdf:RDF>\n").encode("utf-8")


def _in_order(graph: Graph) -> list:
    """Serializers follow the store's insertion order; insert in one fixed order."""
    return sorted(graph, key=lambda triple: tuple(term.n3() for term in triple))


def _stable_jsonld(text: str) -> str:
    """rdflib's JSON-LD follows its store's iteration order; sort nodes, graphs and values instead."""
    document = json.loads(text)

    def order(value):
        if isinstance(value, list):
            items = [order(v) for v in value]
            return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
        if isinstance(value, dict):
            return {k: order(v) for k, v in value.items()}
        return value

    return json.dumps(order(document), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export(project: Project, form: str, selection: str = "all") -> bytes:
    if form not in FORMATS:
        raise ExportError(Problem("--format", None, None, f"unknown export format '{form}'", f"use one of: {', '.join(FORMATS)}", "usage"))
    ensure_built(project)
    with offline():
        dataset = load_dataset(dataset_bytes(project))
        return serialise(selected_graphs(dataset, selection), form)


def write_export(data: bytes, output: Path) -> None:
    try:
        write_atomically(output, data)
    except OSError as error:
        raise ExportError(Problem(str(output), None, None, f"cannot write the export: {error.strerror}", "check the directory exists and is writable", "export")) from None
