"""The cold `kg query` path (issue 5): pyoxigraph by default, nothing heavy imported, same bytes as rdflib.

Speed itself is measured by bench/cold_query.py, never by a timed test; these tests check the
structure that makes it fast and that nothing was given up for it.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg import vocabulary as V
from kg.cli import cli
from kg.prefixes import PREFIXES
from kg.project import open_project
from kg.queries import find_query, saved_queries
from kg.querying import execute, load_dataset
from kg.results import render
from kg.sparql_text import network_clauses, unescape, where_block_start
from kg.store import oxigraph_store_path, read_manifest
from conftest import built_dataset, rewrite_dataset

HEAVY = ("rdflib", "owlrl", "pyshacl", "yaml")
FORMATS = ("table", "csv", "tsv", "json")
PARAMETER_CASES = [("statements-by", ("speaker=carol-rose",)), ("mentions-of", ("entity=ice",)),
                   ("article-evidence", ("document=afsc-2011-06-07",)), ("statements-by", ("speaker=kgr:nobody-at-all",))]


def kg(project: Path, *args: str):
    return CliRunner().invoke(cli, ["--project", str(project), *args], obj={})


@pytest.fixture(scope="module")
def seeds_copy(seeds_project, tmp_path_factory) -> Path:
    """A copy of the built seeds project: queries here create the oxigraph store and header cache."""
    target = tmp_path_factory.mktemp("cold") / "project"
    shutil.copytree(seeds_project, target, ignore=shutil.ignore_patterns("oxigraph-*", "query-headers.json"))
    return target


def imported_modules(project: Path, *args: str) -> tuple[set[str], subprocess.CompletedProcess]:
    """Run the kg console entry point in a fresh interpreter with -X importtime; the names of every module it imported."""
    command = [sys.executable, "-X", "importtime", "-c", "import sys; from kg.entry import main; sys.argv[0] = 'kg'; main()",
               "--project", str(project), *args]
    process = subprocess.run(command, capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    names = {match.group(1).strip() for match in re.finditer(r"^import time:\s*\d+ \|\s*\d+ \|(.*)$", process.stderr, re.M)}
    return names, process


def heavy_among(names: set[str], heavy=HEAVY) -> list[str]:
    return sorted(name for name in names if any(name == h or name.startswith(h + ".") for h in heavy))


def test_prefix_tables_agree():
    assert PREFIXES == {prefix: str(namespace) for prefix, namespace in V.PREFIXES.items()}


def test_cold_query_imports_no_rdflib_owlrl_pyshacl_or_yaml(seeds_copy):
    # The first query after a build makes the oxigraph store and reads the query's header with yaml ...
    names, first = imported_modules(seeds_copy, "query", "who-cited-boston-pilot-figures")
    assert first.returncode == 0, first.stderr[-2000:]
    assert "pyoxigraph" in names and heavy_among(names, ("rdflib", "owlrl", "pyshacl")) == []
    # ... every later one needs neither.
    names, second = imported_modules(seeds_copy, "query", "who-cited-boston-pilot-figures", "--format", "csv")
    assert second.returncode == 0, second.stderr[-2000:]
    assert "pyoxigraph" in names and "kg.oxigraph_engine" in names
    assert heavy_among(names) == [], heavy_among(names)
    assert not any(name in names for name in ("kg.build", "kg.querying", "kg.vocabulary", "kg.yamlfile", "kg.remote", "click", "kg.cli", "dataclasses"))
    # sorted in Python (kg/result_order.py): IRIs and strings do not need decimal
    assert "kg.result_order" in names and "decimal" not in names
    assert second.stdout.startswith("citer,citerName,figure,") and second.stdout.count("\n") > 5


def test_rdflib_engine_stays_selectable(seeds_copy):
    names, process = imported_modules(seeds_copy, "query", "governors-who-declined", "--engine", "rdflib")
    assert process.returncode == 0 and "rdflib" in names and "kg.oxigraph_engine" not in names


def test_every_saved_query_has_an_order_by():
    """Both engines must print rows in the same order: every saved query fixes its order."""
    for query in saved_queries(open_project(Path(__file__).resolve().parents[1])):
        assert re.search(r"^\s*ORDER\s+BY\b", query.text, re.M | re.I), query.name


def test_both_engines_print_the_same_bytes_for_every_query_and_format(seeds_copy):
    project = open_project(seeds_copy)
    dataset = load_dataset(built_dataset(project))  # what `--engine rdflib` runs on, loaded once
    cases = [(query.name, ()) for query in saved_queries(project)] + PARAMETER_CASES
    for name, params in cases:
        expected = execute(dataset, find_query(project, name), dict(p.split("=", 1) for p in params))
        assert expected.rows or name == "statements-by", name
        for form in FORMATS:
            result = kg(seeds_copy, "query", name, *(f"--param={p}" for p in params), "--format", form)
            assert result.exit_code == 0, result.output
            assert result.stdout_bytes == render(expected, form).encode(), (name, params, form)


@pytest.mark.parametrize("name, form", [("who-cited-boston-pilot-figures", "tsv"), ("figures", "json"), ("governors-who-declined", "table")])
def test_both_engines_through_the_cli(seeds_copy, name, form):
    oxigraph = kg(seeds_copy, "query", name, "--format", form)
    rdflib = kg(seeds_copy, "query", name, "--format", form, "--engine", "rdflib")
    assert oxigraph.exit_code == rdflib.exit_code == 0
    assert oxigraph.stdout_bytes == rdflib.stdout_bytes


# --------------------------------------------------------------------------- the store beside the build

@pytest.fixture
def on_disk(monkeypatch):
    """Every dataset counts as large: queries go through the on-disk store."""
    monkeypatch.setattr("kg.oxigraph_engine.IN_MEMORY_UP_TO", 0)


@pytest.fixture
def in_memory(monkeypatch):
    """Every dataset counts as small: queries load it into memory."""
    monkeypatch.setattr("kg.oxigraph_engine.IN_MEMORY_UP_TO", 1 << 30)


def test_a_small_dataset_is_queried_from_memory_without_a_store_on_disk(mini_copy, in_memory):
    result = kg(mini_copy, "query", "statements-by", "--param", "speaker=lee-park", "--format", "csv")
    assert result.exit_code == 0 and result.stdout.count("\n") == 3, result.output
    assert not list((mini_copy / "build").glob("*oxigraph-*"))


def test_a_small_dataset_changed_in_place_is_rebuilt_not_queried(mini_copy, in_memory):
    assert kg(mini_copy, "build").exit_code == 0
    data = built_dataset(mini_copy)
    rewrite_dataset(mini_copy, lambda old: old.replace(b"Lee Park", b"Lee Pork"))
    result = kg(mini_copy, "query", "aliases", "--format", "csv")
    assert result.exit_code == 0 and "Lee Park" in result.output and "Lee Pork" not in result.output
    assert built_dataset(mini_copy) == data


def test_store_is_named_by_the_dataset_and_replaced_after_a_rebuild(mini_copy, on_disk):
    first = kg(mini_copy, "query", "statements-by", "--param", "speaker=lee-park", "--format", "csv")
    assert first.exit_code == 0, first.output
    project = open_project(mini_copy)
    old = oxigraph_store_path(project, read_manifest(project))
    assert old.is_dir() and read_manifest(project).dataset_sha256.startswith(old.name.removeprefix("oxigraph-v2-"))
    registry = mini_copy / "seeds" / "registry.yaml"
    registry.write_text(registry.read_text(encoding="utf-8").replace("name: Ana Ruiz", "name: Ana Ruiz-Soto"), encoding="utf-8")
    second = kg(mini_copy, "query", "mentions-of", "--param", "entity=ana-ruiz", "--format", "csv")
    assert second.exit_code == 0, second.output
    new = oxigraph_store_path(project, read_manifest(project))
    assert new != old and new.is_dir() and not old.exists()
    assert "Ana Ruiz-Soto" in kg(mini_copy, "query", "aliases", "--format", "csv").output
    assert not list((mini_copy / "build").glob(".oxigraph-*"))  # no temporary directory left


def test_stores_of_other_builds_and_killed_creations_are_cleared(mini_copy, on_disk):
    assert kg(mini_copy, "build").exit_code == 0
    stale, partial = mini_copy / "build" / ("oxigraph-" + "0" * 32), mini_copy / "build" / ".oxigraph-x.abc.partial"
    for directory in (stale, partial):
        directory.mkdir()
        (directory / "CURRENT").write_text("garbage\n")
    result = kg(mini_copy, "query", "statements-by", "--param", "speaker=lee-park", "--format", "csv")
    assert result.exit_code == 0 and result.output.count("\n") == 3, result.output
    assert not stale.exists() and not partial.exists()
    project = open_project(mini_copy)
    assert [p.name for p in (mini_copy / "build").glob("*oxigraph-*")] == [oxigraph_store_path(project, read_manifest(project)).name]


def test_header_cache_follows_the_file(mini_copy):
    project = open_project(mini_copy)
    path = mini_copy / "queries" / "statements-by.rq"
    first = find_query(project, "statements-by", cache=True)
    assert (mini_copy / "build" / "query-headers.json").is_file()
    assert find_query(project, "statements-by", cache=True) == first
    path.write_text(path.read_text(encoding="utf-8").replace("#+ summary:", "#+ summary: CHANGED"), encoding="utf-8")
    changed = find_query(project, "statements-by", cache=True)
    assert changed.summary.startswith("CHANGED") and changed == find_query(project, "statements-by")


# --------------------------------------------------------------------------- safety on the default engine

# Each of these makes pyoxigraph call the SERVICE (test_pyoxigraph_does_call_these): kg must see it too.
SERVICE_IN_DISGUISE = [
    "SELECT * WHERE { service <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p true SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p trueSERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:a\\# ?o SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "PREFIX : <http://127.0.0.1:9/> SELECT * WHERE { SERVICE:x { ?s ?p ?o } }",
    'SELECT * WHERE { ?s ?p "#"SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }',
    "SELECT * WHERE { ?s ?p <http://e/#>.SERVICE<http://127.0.0.1:9/>{ ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o FILTER(?o<?s&&?s>?o||true) SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o # a comment\nSERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
]
# SPARQL replaces codepoint escapes before parsing (pyoxigraph 0.5 does not, and calls these syntax
# errors): kg reads them as the standard says, in case a later version does.
ESCAPED = [
    "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p true\\U00000053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
]
HARMLESS = [
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://127.0.0.1:9/> { }",
    'SELECT * WHERE { ?s ?p "SERVICE <http://127.0.0.1:9/> { }" }',
    "SELECT * WHERE { ?s ?p \'\'\'from\nSERVICE\'\'\' }",
    "SELECT * WHERE { ?s <http://e/SERVICE#from> ?service }",
    "PREFIX ex: <http://e/> SELECT ?from WHERE { ?s ex:service ?from ; ex:from \"x\"@en-service }",
    "SELECT * WHERE { ?s ?p \"\\\\u0053ERVICE <http://127.0.0.1:9/> { }\" }",
]


@pytest.fixture
def small_store():
    pyoxigraph = pytest.importorskip("pyoxigraph")
    store = pyoxigraph.Store()
    subject, p = pyoxigraph.NamedNode("http://e/a"), pyoxigraph.NamedNode("http://e/p")
    for predicate, obj in ((pyoxigraph.NamedNode("http://e/a#"), pyoxigraph.Literal("#")), (p, pyoxigraph.NamedNode("http://e/#")),
                           (p, pyoxigraph.Literal("true", datatype=pyoxigraph.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")))):
        store.add(pyoxigraph.Quad(subject, predicate, obj))
    return store


@pytest.mark.parametrize("text", SERVICE_IN_DISGUISE)
def test_service_is_found_however_it_is_written(text):
    assert [c.keyword for c in network_clauses(text)][:1] == ["SERVICE"], text


@pytest.mark.parametrize("text", SERVICE_IN_DISGUISE)
def test_pyoxigraph_does_call_these(small_store, text):
    with pytest.raises(OSError, match="port 9"):  # it tried to call the service (pyoxigraph itself refuses port 9)
        list(small_store.query(text))


@pytest.mark.parametrize("text", ESCAPED)
def test_escaped_service_is_found(text):
    assert [c.keyword for c in network_clauses(text)] == ["SERVICE"], text


@pytest.mark.parametrize("text", HARMLESS)
def test_service_in_comments_strings_iris_and_names_is_no_keyword(small_store, text):
    assert network_clauses(text) == []
    list(small_store.query(text))  # a valid query, and it runs


def test_from_is_found():
    assert [c.keyword for c in network_clauses("SELECT * FROM <http://192.0.2.1/x> WHERE { ?s ?p ?o }")] == ["FROM"]
    assert [c.keyword for c in network_clauses("SELECT * from named <http://192.0.2.1/x> WHERE { ?s ?p ?o }")] == ["FROM"]


def test_codepoint_escapes_are_read_like_oxigraph():
    assert unescape("a\\u0041\\\\u0041\\U0001F600\\uZZZZ")[0] == "aA\\\\u0041\U0001F600\\uZZZZ"
    text = 'SELECT * WHERE # {\n\\u007B ?s ?p "{" }'
    position = where_block_start(text)
    assert text[:position].endswith("\\u007B")


def test_service_is_refused_with_its_line_before_anything_runs(mini_project, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(mini_project, project)
    (project / "queries" / "sneaky.rq").write_text(
        "#+ name: sneaky\n#+ summary: s\nSELECT * WHERE {\n  ?s ?p ?o .\n  \\u0053ERVICE <http://192.0.2.1/sparql> { ?s ?p ?o }\n}\n", encoding="utf-8")
    result = kg(project, "query", "sneaky")
    assert result.exit_code == 1 and "queries/sneaky.rq:5:3: network access refused (SERVICE" in result.output
    allowed = CliRunner().invoke(cli, ["--project", str(project), "--allow-network", "query", "sneaky"], obj={})
    assert "network access refused" not in allowed.output  # it did try (and failed to connect)


def test_remote_from_is_refused_and_not_silently_emptied(mini_project, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(mini_project, project)
    (project / "queries" / "remote-from.rq").write_text(
        "#+ name: remote-from\n#+ summary: s\nSELECT ?s FROM <http://192.0.2.1/data.ttl> WHERE { ?s ?p ?o }\n", encoding="utf-8")
    refused = kg(project, "query", "remote-from")
    assert refused.exit_code == 1 and "network access refused (FROM" in refused.output
    allowed = CliRunner().invoke(cli, ["--project", str(project), "--allow-network", "query", "remote-from"], obj={})
    assert allowed.exit_code == 1 and "--engine rdflib" in allowed.output


def test_malformed_query_names_file_line_and_column_on_oxigraph(mini_project, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(mini_project, project)
    (project / "queries" / "broken.rq").write_text(
        "#+ name: broken\n#+ summary: s\n#+ params:\n#+   - {name: who, type: iri, default: lee-park}\n"
        "SELECT ?x WHERE { ?x ?y ?who .\n  ?x ?y \n}\n", encoding="utf-8")
    result = kg(project, "query", "broken")
    assert result.exit_code == 1 and re.search(r"^Error: queries/broken\.rq:7:\d+: SPARQL: ", result.output), result.output
    # An error after the VALUES block, on its line: the column is the one in the file, as without parameters.
    header = "#+ name: broken\n#+ summary: s\n#+ params:\n#+   - {name: who, type: iri, default: lee-park}\n"
    sparql = "SELECT ?x WHERE { ?x ?y ?who . ?x ?y }\n"
    (project / "queries" / "broken.rq").write_text(header + sparql, encoding="utf-8")
    with pytest.raises(SyntaxError) as raised:
        __import__("pyoxigraph").Store().query(header + sparql)
    line, column = re.match(r"error at (\d+):(\d+)", str(raised.value)).groups()
    result = kg(project, "query", "broken")
    assert result.exit_code == 1 and f"Error: queries/broken.rq:{line}:{column}: SPARQL: " in result.output, result.output


def test_injection_crafted_values_are_bound_as_one_term(mini_project, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(mini_project, project)
    (project / "queries" / "echo.rq").write_text(
        "#+ name: echo\n#+ summary: s\n#+ params:\n#+   - {name: text, type: string, default: x}\n"
        "SELECT ?text (STRLEN(?text) AS ?n) WHERE { }\n", encoding="utf-8")
    for value in ('"} ; DROP ALL', '\\u0022 } UNION { ?s ?p ?o } #', '""" \\', "a\\\\u0022b\nc\r", "} VALUES ?text { 1 } {"):
        result = kg(project, "query", "echo", f"--param=text={value}", "--format", "json")
        assert result.exit_code == 0, result.output
        rows = __import__("json").loads(result.output)["results"]["bindings"]
        assert rows == [{"text": {"type": "literal", "value": value},
                         "n": {"type": "literal", "value": str(len(value)), "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]


@pytest.mark.parametrize("storage", ["memory", "disk"])
def test_each_triple_counts_once_however_many_graphs_hold_it(mini_copy, monkeypatch, storage):
    """The default graph is the RDF merge of the named graphs, as rdflib has it: a triple that several
    graphs hold (the ontology's and the inferred graph's class declarations, an entity's aliases restated
    by each article) is one solution, on the in-memory store and on the on-disk one alike."""
    monkeypatch.setattr("kg.oxigraph_engine.IN_MEMORY_UP_TO", 0 if storage == "disk" else 1 << 30)
    (mini_copy / "queries" / "every-triple.rq").write_text(
        "#+ name: every-triple\n#+ summary: Every triple of the default graph, repeats included.\n\n"
        "SELECT ?s ?p ?o WHERE { ?s ?p ?o }\n", encoding="utf-8")
    assert kg(mini_copy, "build").exit_code == 0
    quads = built_dataset(open_project(mini_copy)).decode("utf-8").split(" .\n")[:-1]
    triples = {quad.rsplit(" ", 1)[0] for quad in quads}
    assert len(triples) < len(quads)  # some triple is held by more than one graph
    rows = {}
    for engine in ("oxigraph", "rdflib"):
        result = kg(mini_copy, "query", "every-triple", "--format", "tsv", "--engine", engine)
        assert result.exit_code == 0, result.output
        rows[engine] = result.stdout.splitlines()[1:]
    assert len(rows["oxigraph"]) == len(rows["rdflib"]) == len(triples)
    # pyoxigraph writes every integer type as xsd:integer (the saved queries do not select such literals)
    # and each engine names blank nodes its own way
    def comparable(row: str) -> str:
        return re.sub(r"_:\S+", "_:b", row.replace("XMLSchema#nonNegativeInteger>", "XMLSchema#integer>"))

    assert sorted(map(comparable, rows["oxigraph"])) == sorted(map(comparable, rows["rdflib"]))
    assert list((mini_copy / "build").glob("oxigraph-v2-*")) if storage == "disk" else not list((mini_copy / "build").glob("*oxigraph-*"))


def test_the_default_graph_is_cut_from_the_quads_a_chunk_of_whole_lines_at_a_time(seeds_project):
    from kg.oxigraph_engine import _without_graph_names

    data = built_dataset(open_project(seeds_project))
    whole = b"".join(line.rsplit(b" ", 2)[0] + b" .\n" for line in data.splitlines())
    for chunk_size in (97, 4096, 1 << 24):
        chunks = list(_without_graph_names(data, chunk_size))
        assert b"".join(chunks) == whole
        assert all(chunk.endswith(b" .\n") for chunk in chunks)
