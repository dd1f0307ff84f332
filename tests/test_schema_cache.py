"""The schema's closure is kept in build/cache/schema/ (kg/schema_cache.py): read back exactly as owlrl
made it, never when damaged, made again for a new ontology, and not by `kg validate` or `--force`."""
from __future__ import annotations

import pytest

from kg import schema_cache
from kg import vocabulary as V
from kg.build import build, read_project, validate_project
from kg.project import open_project
from kg.schema_cache import CACHE_DIR, SchemaCache, schema_closure
from conftest import built_dataset


@pytest.fixture
def ontology(mini_copy):
    from rdflib import Graph

    from kg.ntriples import parse_term

    _corpus, lines, _origins = read_project(open_project(mini_copy), writable_cache=False)
    ontology_lines = lines[str(V.ONTOLOGY_GRAPH)]
    graph = Graph()
    for line in ontology_lines:
        graph.add(tuple(parse_term(text) for text in line.split(" ", 2)))
    return graph, ontology_lines


def _owlrl_refused(monkeypatch):
    def refuse(_ontology):
        raise AssertionError("owlrl closed the schema again")

    monkeypatch.setattr("kg.rules.tbox_inferences", refuse)


def test_an_entry_reads_back_the_same_triples_blank_node_labels_included(mini_copy, ontology, monkeypatch):
    graph, lines = ontology
    cache = SchemaCache(mini_copy / "build")
    made = cache.closure(graph, lines)
    assert set(made) == set(schema_closure(graph)) and len(made) > 100
    _owlrl_refused(monkeypatch)
    assert set(cache.closure(graph, lines)) == set(made)


def test_a_damaged_entry_is_made_again(mini_copy, ontology):
    graph, lines = ontology
    cache = SchemaCache(mini_copy / "build")
    made = set(cache.closure(graph, lines))
    [entry] = (mini_copy / "build" / CACHE_DIR).glob("*.nt")
    data = entry.read_bytes()
    entry.write_bytes(data[:-10] + b"<urn:x> .")  # still parses: only the checksum can tell
    assert set(cache.closure(graph, lines)) == made
    assert entry.read_bytes() == data


def test_another_ontology_has_its_own_entry_and_the_old_one_goes(mini_copy, ontology):
    graph, lines = ontology
    cache = SchemaCache(mini_copy / "build")
    cache.closure(graph, lines)
    [first] = (mini_copy / "build" / CACHE_DIR).glob("*.nt")
    cache.closure(graph, {*lines, "<urn:kg:test:a> <http://www.w3.org/2000/01/rdf-schema#label> \"a\""})
    [second] = (mini_copy / "build" / CACHE_DIR).glob("*.nt")
    assert second != first


def test_not_read_when_not_readable_and_not_written_when_not_writable(mini_copy, ontology, monkeypatch):
    graph, lines = ontology
    SchemaCache(mini_copy / "build", writable=False).closure(graph, lines)
    assert not (mini_copy / "build" / CACHE_DIR).exists()
    SchemaCache(mini_copy / "build").closure(graph, lines)
    calls = []
    monkeypatch.setattr("kg.rules.tbox_inferences", lambda ontology: calls.append(1) or schema_cache.Graph())
    SchemaCache(mini_copy / "build", readable=False).closure(graph, lines)
    assert calls == [1]


def test_a_build_fills_it_and_a_rebuild_reads_it_for_the_same_dataset(mini_copy, monkeypatch):
    project = open_project(mini_copy)
    build(project)
    dataset = built_dataset(project)
    assert list((project.build / CACHE_DIR).glob("*.nt"))
    _owlrl_refused(monkeypatch)
    build(project, force=False)  # nothing changed: not even read
    annotation = next(path for path in project.seeds.glob("*.yaml") if path.name != "registry.yaml")
    annotation.write_text(annotation.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    (project.build / "manifest.json").unlink()  # so the rules run again, on the cached schema closure
    build(project)
    assert built_dataset(project) == dataset


def test_validate_writes_no_entry(mini_copy):
    validate_project(open_project(mini_copy))
    assert not (mini_copy / "build" / CACHE_DIR).exists()


def test_the_ontology_graph_is_made_only_for_a_closure_not_kept(mini_copy, ontology):
    graph, lines = ontology
    cache = SchemaCache(mini_copy / "build")
    made = []

    def ontology_graph():
        made.append(1)
        return graph

    first = cache.closure(ontology_graph, lines)
    assert made == [1] and set(first) == set(schema_closure(graph))
    assert set(cache.closure(ontology_graph, lines)) == set(first) and made == [1]
