"""kg load and remote queries against real stores (Oxigraph server, Virtuoso 7) on 127.0.0.1.

For every store: load by Graph Store Protocol and by SPARQL Update, twice (no duplicates),
check the per-graph counts, and check that every saved query returns the same multiset of
rows as the embedded engine.
"""
from __future__ import annotations

import collections
import json

import pytest
from click.testing import CliRunner

import servers
from kg.cli import cli
from kg.errors import LoadError
from kg.http import StoreClient
from kg.load import graphs_to_load, load, plan
from kg.project import open_project
from kg.querying import execute, load_dataset, saved_queries
from kg.remote import run_remote

from kg.stores import endpoints
from conftest import built_dataset


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def store(request, tmp_path_factory):
    directory = tmp_path_factory.mktemp(request.param)
    with getattr(servers, request.param)(directory) as running:
        yield running


@pytest.fixture
def login(store, monkeypatch):
    if store.needs_login:
        monkeypatch.setenv("KG_STORE_USER", servers.VIRTUOSO_USER)
        monkeypatch.setenv("KG_STORE_PASSWORD", servers.VIRTUOSO_PASSWORD)


@pytest.mark.parametrize("method", ["gsp", "update", "gsp"])
def test_load_replaces_graphs_and_counts_match(seeds_project, store, login, method):
    graphs = graphs_to_load(open_project(seeds_project))
    results = load(graphs, endpoints(store.kind, store.base), StoreClient(timeout=30), method)
    assert len(results) == 8
    assert all(result.ok for result in results), results
    assert sum(r.remote for r in results) == sum(len(g) for g in graphs.values())


def test_every_saved_query_gives_the_same_answers(seeds_project, store, login):
    """Same multiset of rows of RDF terms on rdflib and on the store (after a load)."""
    project = open_project(seeds_project)
    load(graphs_to_load(project), endpoints(store.kind, store.base), StoreClient(timeout=30), "gsp")
    local = load_dataset(built_dataset(project))
    client = StoreClient(timeout=30)
    for query in saved_queries(project):
        expected = collections.Counter(execute(local, query, {}).rows)
        answered = collections.Counter(run_remote(client, store.query, query, {}).rows)
        assert answered == expected, query.name
        assert expected, query.name


def test_remote_query_with_parameter_via_cli(seeds_project, store, login):
    project = open_project(seeds_project)
    load(graphs_to_load(project), endpoints(store.kind, store.base), StoreClient(timeout=30), "gsp")
    runner = CliRunner()
    local = runner.invoke(cli, ["--project", str(seeds_project), "query", "statements-by", "--param", "speaker=carol-rose", "--format", "json"], obj={})
    remote = runner.invoke(cli, ["--project", str(seeds_project), "query", "statements-by", "--param", "speaker=carol-rose",
                                 "--format", "json", "--endpoint", store.query], obj={})
    assert remote.exit_code == 0, remote.output
    rows = lambda text: sorted(json.dumps(b, sort_keys=True) for b in json.loads(text)["results"]["bindings"])
    assert rows(remote.output) == rows(local.output) and rows(local.output)


def test_load_command_prints_summary_table(seeds_project, store, login):
    result = CliRunner().invoke(cli, ["--project", str(seeds_project), "load", "--store-type", store.kind, "--store", store.base], obj={})
    assert result.exit_code == 0, result.output
    assert "https://w3id.org/kg/graph/inferred" in result.output and "MISMATCH" not in result.output
    assert result.output.count(" ok") >= 8


def test_wrong_credentials_name_the_graph_and_status(seeds_project, store, monkeypatch):
    if not store.needs_login:
        pytest.skip("this store does not ask for a login")
    monkeypatch.setenv("KG_STORE_USER", "dba")
    monkeypatch.setenv("KG_STORE_PASSWORD", "not-the-password")
    result = CliRunner().invoke(cli, ["--project", str(seeds_project), "load", "--store-type", store.kind, "--store", store.base], obj={})
    assert result.exit_code == 1
    assert "graph <https://w3id.org/kg/graph/" in result.output and "HTTP 401" in result.output
    assert "not-the-password" not in result.output


def test_unreachable_store_is_a_clear_error(seeds_project):
    port = servers.free_port()
    client = StoreClient(timeout=2, retries=1, backoff=0.01)
    with pytest.raises(LoadError) as raised:
        load(graphs_to_load(open_project(seeds_project)), endpoints("oxigraph", f"http://127.0.0.1:{port}"), client)
    assert "cannot reach" in str(raised.value) and "tried 2 times" in str(raised.value)


def test_dry_run_sends_nothing(seeds_project):
    port = servers.free_port()  # nothing listens there: a request would fail
    result = CliRunner().invoke(cli, ["--project", str(seeds_project), "load", "--store-type", "virtuoso",
                                      "--store", f"http://127.0.0.1:{port}", "--dry-run"], obj={})
    assert result.exit_code == 0
    assert result.output.count("PUT ") == 8 and "sparql-graph-crud-auth?graph=" in result.output


def test_update_plan_batches_stay_under_virtuoso_limit(seeds_project):
    graphs = graphs_to_load(open_project(seeds_project))
    requests = plan(graphs, endpoints("oxigraph", "http://127.0.0.1:1"), "update")
    inserts = [r for r in requests if r.triples]
    assert inserts and max(r.triples for r in inserts) <= 1000
    assert sum(r.triples for r in inserts) == sum(len(g) for g in graphs.values())
