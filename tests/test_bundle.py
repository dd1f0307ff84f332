"""The bulk-load bundle: manifest matches the files, and real bulk loaders take it (README commands)."""
from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
import urllib.request

import pytest
from click.testing import CliRunner
from rdflib import Dataset

import servers
from kg.bundle import verify_bundle, write_bundle
from kg.cli import cli
from kg.project import open_project


def count(query_url: str, graph: str | None = None) -> int:
    pattern = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "GRAPH ?g { ?s ?p ?o }"
    url = query_url + "?" + urllib.parse.urlencode({"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return int(json.load(answer)["results"]["bindings"][0]["n"]["value"])


def test_bundle_files_match_manifest(mini_project, tmp_path):
    result = CliRunner().invoke(cli, ["--project", str(mini_project), "export", "--bundle", str(tmp_path / "b")], obj={})
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert {e["file"] for e in manifest["graphs"]} >= {"graphs/ontology.nt", "graphs/registry.nt", "graphs/inferred.nt", "graphs/article-town-note.nt"}
    assert verify_bundle(tmp_path / "b") == []
    quads = Dataset().parse(tmp_path / "b" / "dataset.nq", format="nquads")
    total = sum(e["triples"] for e in manifest["graphs"])
    assert sum(len(g) for g in quads.graphs()) == total
    trig = Dataset().parse(tmp_path / "b" / "dataset.trig", format="trig")
    assert sum(len(g) for g in trig.graphs()) == total
    (tmp_path / "b" / "graphs" / "registry.nt").write_text("", encoding="utf-8")
    assert verify_bundle(tmp_path / "b")


def test_oxigraph_bulk_load_of_the_bundle(mini_project, tmp_path):
    program = servers._oxigraph_program()
    if not program:
        pytest.skip("Oxigraph server not installed (pip install oxigraph)")
    manifest = write_bundle(open_project(mini_project), tmp_path / "bundle")
    subprocess.run([program, "load", "--location", str(tmp_path / "db"), "--file", str(tmp_path / "bundle" / "dataset.nq")],
                   check=True, capture_output=True, timeout=120)
    port = servers.free_port()
    command = [program, "serve-read-only", "--location", str(tmp_path / "db"), "--bind", f"127.0.0.1:{port}"]
    probe = f"http://127.0.0.1:{port}/query?" + urllib.parse.urlencode({"query": "ASK {}"})
    with servers._running(command, probe, tmp_path / "oxigraph.log"):
        for entry in manifest["graphs"]:
            assert count(f"http://127.0.0.1:{port}/query", entry["graph"]) == entry["triples"], entry["graph"]


def test_virtuoso_bulk_load_of_the_bundle(mini_project, tmp_path):
    if not shutil.which("isql-vt"):
        pytest.skip("Virtuoso not installed (Debian package virtuoso-opensource-7-bin)")
    with servers.virtuoso(tmp_path) as store:
        manifest = write_bundle(open_project(mini_project), store.home / "bundle")
        script = f"ld_dir('{store.home / 'bundle' / 'graphs'}', '*.nt', 'urn:unused'); rdf_loader_run(); checkpoint;"
        subprocess.run(["isql-vt", str(store.sql_port), servers.VIRTUOSO_USER, servers.VIRTUOSO_PASSWORD, f"exec={script}"],
                       check=True, capture_output=True, timeout=120)
        for entry in manifest["graphs"]:
            assert count(store.query, entry["graph"]) == entry["triples"], entry["graph"]
