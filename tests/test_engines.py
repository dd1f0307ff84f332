"""Every saved query gives the same answers on rdflib and on pyoxigraph (no server needed)."""
import collections

import pytest

from kg.project import open_project
from kg.querying import execute, load_dataset, saved_queries

from conftest import built_dataset


def test_rdflib_and_pyoxigraph_agree_on_every_saved_query(seeds_project):
    pytest.importorskip("pyoxigraph")
    from kg import oxigraph_engine

    project = open_project(seeds_project)
    dataset = load_dataset(built_dataset(project))
    store = oxigraph_engine.load_store(built_dataset(project))
    for query in saved_queries(project):
        expected = collections.Counter(execute(dataset, query, {}).rows)
        assert expected, query.name
        assert collections.Counter(oxigraph_engine.execute(store, query, {}).rows) == expected, query.name


def test_parameters_agree_too(seeds_project):
    pytest.importorskip("pyoxigraph")
    from kg import oxigraph_engine
    from kg.querying import find_query

    project = open_project(seeds_project)
    dataset = load_dataset(built_dataset(project))
    store = oxigraph_engine.load_store(built_dataset(project))
    for name, params in (("statements-by", {"speaker": "carol-rose"}), ("mentions-of", {"entity": "ice"}),
                         ("article-evidence", {"document": "afsc-2011-06-07"})):
        query = find_query(project, name)
        expected = collections.Counter(execute(dataset, query, params).rows)
        assert expected and collections.Counter(oxigraph_engine.execute(store, query, params).rows) == expected, name
