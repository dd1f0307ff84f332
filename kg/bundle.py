"""`kg export --bundle DIR`: everything a bulk loader needs, with a manifest to check it against.

    DIR/dataset.nq          all named graphs, N-Quads
    DIR/dataset.trig        the same, TriG
    DIR/graphs/NAME.nt      one N-Triples file per named graph (for loaders that take a graph per file)
    DIR/graphs/NAME.nt.graph  the graph IRI for that file (Virtuoso's ld_dir convention)
    DIR/manifest.json       graph IRI -> file, triple count, sha256
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from rdflib import Graph, URIRef

from . import vocabulary as V
from .build import ensure_built, serialise_nquads
from .export import selected_graphs, serialise
from .project import Project
from .querying import load_dataset
from .store import dataset_bytes, write_atomically


def file_stem(graph: URIRef) -> str:
    """ontology, registry, inferred, article-DOCUMENT-ID."""
    text = str(graph)
    if text.startswith(str(V.GRAPH)):
        text = text[len(str(V.GRAPH)):]
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")


def write_bundle(project: Project, directory: Path) -> dict:
    ensure_built(project)
    graphs = selected_graphs(load_dataset(dataset_bytes(project)), "all")
    files: dict[str, bytes] = {
        "dataset.nq": serialise_nquads(graphs),
        "dataset.trig": serialise(graphs, "trig"),
    }
    entries = []
    for name in sorted(graphs, key=str):
        relative = f"graphs/{file_stem(name)}.nt"
        data = serialise({name: graphs[name]}, "ntriples")
        files[relative] = data
        files[relative + ".graph"] = f"{name}\n".encode()
        entries.append({"graph": str(name), "file": relative, "triples": len(graphs[name]), "sha256": hashlib.sha256(data).hexdigest()})
    manifest = {
        "graphs": entries,
        "dataset": {name: {"sha256": hashlib.sha256(files[name]).hexdigest(), "quads": sum(e["triples"] for e in entries)}
                    for name in ("dataset.nq", "dataset.trig")},
    }
    files["manifest.json"] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    for relative, data in files.items():
        write_atomically(directory / relative, data)
    return manifest


def verify_bundle(directory: Path) -> list[str]:
    """Problems found comparing the files with the manifest (empty when the bundle is intact)."""
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    problems = []
    for entry in manifest["graphs"]:
        data = (directory / entry["file"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            problems.append(f"{entry['file']}: sha256 differs from the manifest")
        if len(Graph().parse(data=data, format="nt")) != entry["triples"]:
            problems.append(f"{entry['file']}: triple count differs from the manifest")
    return problems
