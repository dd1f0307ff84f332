"""`kg graph`: the citation network — who cites which figure, reported where, originating where.

The picture is written as Graphviz DOT (deterministic text) and rendered to SVG or PNG by the
`dot` program when it is installed (Debian package `graphviz`).
"""
from __future__ import annotations

import shutil
import subprocess

from rdflib import Dataset

from .build import ensure_built
from .errors import ExportError, Problem
from .network import offline
from .project import Project
from .querying import load_dataset
from .store import dataset_bytes

FORMATS = ("svg", "png", "dot")
_PREFIXES = "PREFIX kg: <https://w3id.org/kg/ontology#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
# (query, edge label); every query yields ?a ?aName ?aKind ?b ?bName ?bKind
_EDGES = (
    ("""SELECT DISTINCT ?a ?aName ("agent" AS ?aKind) ?b ?bName ("figure" AS ?bKind) WHERE {
          ?a a kg:Agent ; kg:cites ?b ; rdfs:label ?aName . ?b a kg:Statistic ; rdfs:label ?bName . }""", "cites"),
    ("""SELECT DISTINCT ?a ?aName ("document" AS ?aKind) ?b ?bName ("figure" AS ?bKind) WHERE {
          ?b a kg:Statistic ; kg:mentionedIn ?a ; rdfs:label ?bName . ?a rdfs:label ?aName . }""", "reports"),
    ("""SELECT DISTINCT ?a ?aName ("figure" AS ?aKind) ?b ?bName ("source" AS ?bKind) WHERE {
          ?a a kg:Statistic ; kg:originalSource ?b ; rdfs:label ?aName . ?b rdfs:label ?bName . }""", "from"),
    ("""SELECT DISTINCT ?a ?aName ("source" AS ?aKind) ?b ?bName ("agent" AS ?bKind) WHERE {
          ?s a kg:Statistic ; kg:originalSource ?a . ?a kg:producedBy ?b ; rdfs:label ?aName . ?b rdfs:label ?bName . }""", "produced by"),
    ("""SELECT DISTINCT ?a ?aName ("document" AS ?aKind) ?b ?bName ("source" AS ?bKind) WHERE {
          GRAPH ?g { ?a kg:derivedFrom ?b . } FILTER (?g != <https://w3id.org/kg/graph/inferred>)
          ?a a kg:Document ; rdfs:label ?aName . ?b rdfs:label ?bName . }""", "derived from"),
)
_STYLE = {
    "agent": 'shape=ellipse, style=filled, fillcolor="#dbeafe"',
    "figure": 'shape=box, style="rounded,filled", fillcolor="#fef3c7"',
    "document": 'shape=note, style=filled, fillcolor="#f3f4f6"',
    "source": 'shape=cylinder, style=filled, fillcolor="#dcfce7"',
}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _short_label(text: str, limit: int = 48) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def citation_dot(dataset: Dataset, links: dict[str, str] | None = None) -> str:
    """The network as DOT; `links` (node IRI -> URL) makes those nodes clickable in SVG output."""
    nodes: dict[str, tuple[str, str]] = {}
    edges: set[tuple[str, str, str]] = set()
    for query, label in _EDGES:
        # rows sorted: a node met in two roles (a report that is derived from a source and is itself one)
        # must get the same kind in every run, whatever order the engine returns the rows in
        for a, a_name, a_kind, b, b_name, b_kind in sorted(dataset.query(_PREFIXES + query), key=lambda row: tuple(map(str, row))):
            nodes.setdefault(str(a), (str(a_kind), str(a_name)))
            nodes.setdefault(str(b), (str(b_kind), str(b_name)))
            edges.add((str(a), str(b), label))
    lines = ["digraph citations {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9, color="#6b7280"];']
    for iri in sorted(nodes):
        kind, name = nodes[iri]
        link = f", href={_quote(links[iri])}, target=\"_top\"" if links and iri in links else ""
        lines.append(f"  {_quote(iri)} [label={_quote(_short_label(name))}, tooltip={_quote(name)}, {_STYLE[kind]}{link}];")
    for a, b, label in sorted(edges):
        lines.append(f"  {_quote(a)} -> {_quote(b)} [label={_quote(label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot: str, form: str) -> bytes:
    if form == "dot":
        return dot.encode("utf-8")
    program = shutil.which("dot")
    if not program:
        raise ExportError(Problem("--format", None, None, f"rendering {form} needs Graphviz's 'dot' program",
                                  "install the Debian package graphviz, or use --format dot", "usage"))
    completed = subprocess.run([program, f"-T{form}"], input=dot.encode("utf-8"), capture_output=True, timeout=120)
    if completed.returncode != 0:
        raise ExportError(Problem("dot", None, None, f"Graphviz failed: {completed.stderr.decode(errors='replace').strip()}", "report this as a kg bug", "export"))
    return completed.stdout


def citation_graph(project: Project, form: str) -> bytes:
    ensure_built(project)
    with offline():
        dot = citation_dot(load_dataset(dataset_bytes(project)))
    return render(dot, form)
