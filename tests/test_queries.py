"""Saved queries: headers, parameter binding as terms, and their answers on the real seeds."""
from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import Dataset, Literal

from kg import vocabulary as V
from kg.errors import ParameterError, QueryError
from kg.project import open_project
from kg.queries import bindings, read_query
from kg.querying import execute, find_query, load_dataset, saved_queries

from conftest import REPO, built_dataset

KGR = V.KGR


@pytest.fixture(scope="module")
def datasets(seeds_project):
    """The built dataset, and the same without the inferred graph (what reasoning adds is visible)."""
    data = built_dataset(open_project(seeds_project))
    full = load_dataset(data)
    asserted = load_dataset(data)
    asserted.remove_graph(asserted.graph(V.INFERRED_GRAPH))
    return full, asserted


def run(datasets, name, **params):
    full, _ = datasets
    query = find_query(open_project(REPO), name)
    return execute(full, query, {k: str(v) for k, v in params.items()})


def column(result, variable):
    index = result.variables.index(variable)
    return [row[index] for row in result.rows]


def test_at_least_ten_saved_queries_with_headers():
    queries = saved_queries(open_project(REPO))
    assert len(queries) >= 10
    for query in queries:
        assert query.summary and query.example.startswith("kg query " + query.name)


def test_who_cited_boston_pilot_figures(datasets):
    result = run(datasets, "who-cited-boston-pilot-figures")
    citers = set(column(result, "citer"))
    assert {KGR["mary-beth-heffernan"], KGR["new-york-times"], KGR["carol-rose"], KGR["clara-long"]} <= citers
    documents = set(column(result, "document"))
    assert KGR["change-org-petition-patrick"] in documents  # the petition
    for quote in column(result, "quote"):
        assert len(str(quote)) > 20
    assert len(result.variables) == 8


def test_statements_by_parameter(datasets):
    default = run(datasets, "statements-by")
    assert default.rows and {r[1] for r in default.rows} >= {KGR["wgbh-2011-06-06"], KGR["afsc-2011-06-07"]}
    rose = run(datasets, "statements-by", speaker="carol-rose")
    assert rose.rows and {r[1] for r in rose.rows} == {KGR["aclu-ma-2011-06-07"]}


def test_governors_who_declined(datasets):
    result = run(datasets, "governors-who-declined")
    kinds = {(row[0], str(row[2])) for row in result.rows}
    assert (KGR["deval-patrick"], "declined") in kinds
    assert (KGR["pat-quinn"], "withdrew") in kinds and (KGR["andrew-cuomo"], "withdrew") in kinds


def test_campaigns_by_state(datasets):
    result = run(datasets, "campaigns-by-state")
    pairs = {(str(r[0]), str(r[1])) for r in result.rows}
    assert ("Massachusetts", "Centro Presente") in pairs
    assert ("Illinois", "Illinois Coalition for Immigrant and Refugee Rights") in pairs
    assert ("New York", "Make the Road New York") in pairs


def test_figures_with_values_and_sources(datasets):
    result = run(datasets, "figures")
    by_figure = {row[0]: dict(zip(result.variables, row)) for row in result.rows}
    serious = by_figure[KGR["boston-pilot-serious-crime-share"]]
    assert float(serious["value"]) == pytest.approx(0.25) and serious["approximate"].toPython() is True
    assert by_figure[KGR["boston-pilot-no-conviction-share"]]["value"].toPython() == Decimal("0.54")
    majority = by_figure[KGR["boston-pilot-noncriminal-majority"]]
    assert majority["value"] is None and float(majority["lowerBound"]) == 0.5
    assert str(serious["source"]).startswith("Official figures")


def test_figure_citations_include_statements_and_articles(datasets):
    result = run(datasets, "figure-citations")
    kinds = {str(k) for k in column(result, "kind")}
    assert kinds == {"statement", "article"}
    assert {KGR["afsc-2011-06-07"], KGR["wgbh-2011-06-06"], KGR["blog-2011-06-opt-out"]} <= set(column(result, "document"))


def test_figure_provenance_follows_the_chain(datasets):
    result = run(datasets, "figure-provenance")
    pairs = {(row[0], row[3]) for row in result.rows}
    # the blog quotes the New York Times, which reports the official Boston figures
    assert (KGR["boston-pilot-figures"], KGR["blog-2011-06-opt-out"]) in pairs


def test_where_sources_disagree(datasets):
    result = run(datasets, "where-sources-disagree")
    assert [str(v) for v in result.variables] == ["subject", "aspect", "value", "document"]
    values = {}
    for _subject, aspect, value, document in result.rows:
        values.setdefault(str(aspect), {}).setdefault(str(value), set()).add(document)
    # each disputed value with every article that gives it
    assert values == {
        "date of the event": {"2011-06-03": {KGR["wgbh-2011-06-06"]},
                              "2011-06-07": {KGR["aclu-ma-2011-06-07"], KGR["afsc-2011-06-07"]}},
        "addressee of the letter": {"Department of Homeland Security": {KGR["afsc-2011-06-07"]},
                                    "U.S. Immigration and Customs Enforcement": {KGR["wgbh-2011-06-06"]}},
    }


def test_mentions_aliases_statements_about_decisions_evidence(datasets):
    mentions = run(datasets, "mentions-of", entity="mary-beth-heffernan")
    assert {str(t) for t in column(mentions, "text")} >= {"Mary Heffernan", "Mary Beth Heffernan"}
    aliases = run(datasets, "aliases")
    assert any(str(r[2]) == "Mary Heffernan" and r[0] == KGR["mary-beth-heffernan"] for r in aliases.rows)
    assert run(datasets, "statements-about", topic="patrick-declines-secure-communities").rows
    assert any(r[0] == KGR["patrick-declines-secure-communities"] for r in run(datasets, "decisions").rows)
    evidence = run(datasets, "article-evidence", document="wgbh-2011-06-06")
    starts = [int(s) for s in column(evidence, "start")]
    assert starts == sorted(starts) and len(starts) >= 10


@pytest.mark.parametrize("name", ["who-cited-boston-pilot-figures", "governors-who-declined", "campaigns-by-state", "figure-provenance", "figure-citations"])
def test_answers_that_depend_on_reasoning(datasets, name):
    full, asserted = datasets
    query = find_query(open_project(REPO), name)
    with_reasoning = execute(full, query, {})
    without = execute(asserted, query, {})
    assert len(without.rows) < len(with_reasoning.rows)


def test_every_saved_query_answers(datasets):
    full, _ = datasets
    for query in saved_queries(open_project(REPO)):
        assert execute(full, query, {}).rows, query.name


def test_parameters_are_bound_as_terms_not_text(datasets):
    full, _ = datasets
    query = find_query(open_project(REPO), "statements-about")
    hostile = 'x> } UNION { ?statement ?p ?o } #'
    with pytest.raises(ParameterError):
        execute(full, query, {"topic": hostile})  # not an IRI at all
    string_query = find_query(open_project(REPO), "statements-by")
    bound = bindings(string_query, {"speaker": "kgr:carol-rose"})
    assert bound["speaker"] == KGR["carol-rose"]


def test_parameter_types(tmp_path):
    path = tmp_path / "typed.rq"
    path.write_text(
        "#+ name: typed\n#+ summary: s\n#+ params:\n"
        "#+   - {name: n, type: integer, default: 3}\n#+   - {name: d, type: date, default: 2011-06-07}\n"
        "#+   - {name: x, type: decimal, default: '0.5'}\n#+   - {name: s, type: string, default: 'a \"b\" }'}\n"
        "#+ example: kg query typed\nSELECT ?n ?d ?x ?s WHERE {}\n", encoding="utf-8")
    query = read_query(path, "typed.rq")
    bound = bindings(query, {})
    assert bound["n"] == Literal(3) and bound["s"] == Literal('a "b" }')
    assert str(bound["d"].datatype).endswith("#date") and str(bound["x"].datatype).endswith("#decimal")
    for name, value in (("n", "three"), ("d", "June"), ("x", "1/2")):
        with pytest.raises(ParameterError):
            bindings(query, {name: value})
    with pytest.raises(ParameterError):
        bindings(query, {"nope": "1"})
    full_result = execute(Dataset(), query, {"s": "} DROP ALL"})
    assert str(full_result.rows[0][3]) == "} DROP ALL"


def test_malformed_query_names_file_and_line(tmp_path):
    path = tmp_path / "broken.rq"
    path.write_text("#+ name: broken\n#+ summary: s\n#+ example: kg query broken\nSELECT ?x WHERE {\n  ?x ?y \n}\n", encoding="utf-8")
    query = read_query(path, "queries/broken.rq")
    with pytest.raises(QueryError) as raised:
        execute(Dataset(), query, {})
    assert str(raised.value).startswith("queries/broken.rq:")


def test_header_problems(tmp_path):
    path = tmp_path / "other.rq"
    path.write_text("#+ name: wrong-name\n#+ summary: s\nSELECT * WHERE {}\n", encoding="utf-8")
    with pytest.raises(QueryError) as raised:
        read_query(path, "queries/other.rq")
    assert "differs from the file name" in str(raised.value)
