"""ORDER BY in Python (kg/result_order.py) gives pyoxigraph's order, or steps aside."""
from __future__ import annotations

import collections
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.project import open_project
from kg.queries import SavedQuery, parameter_values, saved_queries
from kg.result_order import OrderKey, ordered_rows, trailing_order

pyoxigraph = pytest.importorskip("pyoxigraph")
from kg import oxigraph_engine  # noqa: E402  (after the importorskip)
from conftest import built_dataset

XSD = "http://www.w3.org/2001/XMLSchema#"


def keys_of(variables, rows, keys: list[str]) -> list[tuple]:
    columns = [variables.index(key) for key in keys]
    return [tuple(None if row[c] is None else str(row[c]) for c in columns) for row in rows]


def as_written(store, text: str):
    """pyoxigraph's own answers, ORDER BY included."""
    solutions = store.query(text)
    return tuple(variable.value for variable in solutions.variables), [tuple(solution) for solution in solutions]


def handwritten(text: str) -> SavedQuery:
    return SavedQuery("handwritten", Path("handwritten.rq"), "queries/handwritten.rq", "", "", "", "", (), text)


@pytest.fixture(scope="module")
def seeds(seeds_project):
    project = open_project(seeds_project)
    return project, oxigraph_engine.load_store(built_dataset(project))


def test_every_saved_query_with_an_order_is_sorted_in_python_as_pyoxigraph_sorts_it(seeds):
    project, store = seeds
    sorted_here = 0
    for query in saved_queries(project):
        values = parameter_values(query, {})
        text = oxigraph_engine.bound_text(query, values)
        order = trailing_order(text)
        result = oxigraph_engine.select(store, query, values)
        variables, expected = as_written(store, text)
        assert result.variables == variables, query.name
        assert collections.Counter(result.rows) == collections.Counter(expected), query.name
        if order is not None:
            sorted_here += 1
            keys = [key.variable for key in order.keys]
            assert keys_of(variables, result.rows, keys) == keys_of(variables, expected, keys), query.name
            assert ordered_rows(order, *oxigraph_engine._answers(store, query, order.unordered_text, values)) is not None, query.name
    assert sorted_here >= 12  # all but the one without ORDER BY


def test_the_order_is_found_only_where_it_can_be_cut_off():
    found = trailing_order("SELECT ?a ?b WHERE { ?a ?p ?b } # ORDER BY ?z\nORDER BY DESC(?b) ?a LIMIT 10 OFFSET 5")
    assert found.keys == (OrderKey("b", True), OrderKey("a", False)) and (found.offset, found.limit) == (5, 10)
    assert found.unordered_text == "SELECT ?a ?b WHERE { ?a ?p ?b } # ORDER BY ?z\n"
    assert trailing_order("SELECT ?a WHERE { ?a ?p ?b }") is None
    assert trailing_order('SELECT ?a WHERE { ?a ?p "ORDER BY ?a" }') is None  # in a string
    assert trailing_order("SELECT ?a WHERE { { SELECT ?a WHERE { ?a ?p ?b } ORDER BY ?a LIMIT 1 } }") is None  # a subquery's
    assert trailing_order("SELECT ?a WHERE { ?a ?p ?b } ORDER BY ?b") is None  # not a column
    assert trailing_order("SELECT ?a WHERE { ?a ?p ?b } ORDER BY STR(?a)") is None  # an expression
    assert trailing_order("SELECT ?a WHERE { ?a ?p ?b } ORDER BY ?a VALUES ?a { <x:y> }") is None
    assert trailing_order("SELECT ?a WHERE { ?a ?p ?b } ORDER BY \\u003Fa") is None  # escapes: not read here
    assert trailing_order("SELECT (STR(?a) AS ?s) WHERE { ?a ?p ?b } ORDER BY ?s").keys == (OrderKey("s", False),)
    assert trailing_order("SELECT * WHERE { ?a ?p ?b } ORDER BY ?b").keys == (OrderKey("b", False),)


def test_limit_and_offset_apply_after_the_sort(seeds):
    _, store = seeds
    text = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            "SELECT ?thing ?label WHERE { ?thing rdfs:label ?label } ORDER BY DESC(?label) ?thing LIMIT 7 OFFSET 3")
    result = oxigraph_engine.select(store, handwritten(text), {})
    variables, expected = as_written(store, text)
    assert len(result.rows) == 7 and keys_of(variables, result.rows, ["label", "thing"]) == keys_of(variables, expected, ["label", "thing"])


def test_rows_with_equal_keys_come_in_one_order_whatever_order_they_arrive_in():
    rows = [(pyoxigraph.Literal("same"), pyoxigraph.NamedNode(f"https://example.org/{n}")) for n in range(20)]
    order = trailing_order("SELECT ?k ?v WHERE { ?v ?p ?k } ORDER BY ?k")
    first = ordered_rows(order, ("k", "v"), tuple(rows))
    random.Random(7).shuffle(rows)
    assert ordered_rows(order, ("k", "v"), tuple(rows)) == first
    assert [row[1].value for row in first] == sorted(row[1].value for row in rows)


@pytest.mark.parametrize("values, expected", [
    ('"b" "chat"@fr "a" "cat"@en', ["a", "b", "cat", "chat"]),  # strings, then language-tagged ones by text
    ('"2011"^^xsd:gYear 2012 "x" "2011-06-07"^^xsd:date', ["x", "2012", "2011-06-07", "2011"]),
    ('"true"^^xsd:boolean "NaN"^^xsd:double "false"^^xsd:boolean 1', ["1", "NaN", "false", "true"]),
    ('"2011-06-07T00:00:00Z"^^xsd:dateTime "2011-06-06"^^xsd:date "2011-06-07+05:00"^^xsd:date',
     ["2011-06-06", "2011-06-07+05:00", "2011-06-07T00:00:00Z"]),
])
def test_where_pyoxigraph_cannot_compare_the_order_is_still_one_order(values, expected):
    """pyoxigraph's own result here depends on its sorting algorithm; kg's is the one the module documents."""
    store = pyoxigraph.Store()
    text = f"PREFIX xsd: <{XSD}>\nSELECT ?v WHERE {{ VALUES ?v {{ {values} }} }} ORDER BY ?v"
    result = oxigraph_engine.select(store, handwritten(text), {})
    assert [term.value for (term,) in result.rows] == expected
    assert collections.Counter(result.rows) == collections.Counter(as_written(store, text)[1])
    descending = oxigraph_engine.select(store, handwritten(text.replace("ORDER BY ?v", "ORDER BY DESC(?v)")), {})
    assert [term.value for (term,) in descending.rows] == expected[::-1]


TERMS = st.one_of(
    st.none(),
    st.sampled_from(["<https://example.org/a>", "<https://example.org/b>", "<https://example.org/%C3%A9>", "<urn:x:\u00e9>"]),
)
STRINGS = st.text(alphabet="aAbZ \u00e9\u00a0\u201c\U0001F600", max_size=3).map(lambda text: '"' + text + '"')
NUMBERS = st.one_of(st.integers(-300, 300).map(str), st.decimals(-50, 50, places=2, allow_nan=False, allow_infinity=False).map(lambda d: f'"{d}"^^xsd:decimal'),
                    st.sampled_from(["1.5e0", "-2E1", "0.0e0", "1e3"]), st.sampled_from(["INF", "-INF"]).map(lambda d: f'"{d}"^^xsd:double'))
DATES = st.dates().map(lambda d: f'"{d.isoformat()}"^^xsd:date')
ZONES = st.sampled_from(["Z", "+05:00", "-14:00", "+14:00", "-02:30"])
DATE_TIMES_IN_ZONES = st.tuples(st.datetimes(), ZONES).map(lambda moment: f'"{moment[0].isoformat()}{moment[1]}"^^xsd:dateTime')


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from([STRINGS, NUMBERS, DATES, DATE_TIMES_IN_ZONES]), data=st.data(), descending=st.booleans())
def test_any_rows_of_the_kinds_it_sorts_come_out_as_pyoxigraph_orders_them(kind, data, descending):
    """Random rows of two columns of IRIs, unbound values and literals of one kind (VALUES cannot hold blank nodes)."""
    rows = data.draw(st.lists(st.tuples(st.one_of(TERMS, kind), st.one_of(TERMS, kind)), min_size=1, max_size=12))
    written = " ".join("(" + " ".join("UNDEF" if term is None else term for term in row) + ")" for row in rows)
    key = "DESC(?a)" if descending else "?a"
    text = f"PREFIX xsd: <{XSD}>\nSELECT ?a ?b WHERE {{ VALUES (?a ?b) {{ {written} }} }} ORDER BY {key} ?b"
    store = pyoxigraph.Store()
    result = oxigraph_engine.select(store, handwritten(text), {})
    variables, expected = as_written(store, text)
    assert collections.Counter(result.rows) == collections.Counter(expected)
    assert keys_of(variables, result.rows, ["a", "b"]) == keys_of(variables, expected, ["a", "b"])


def test_blank_nodes_are_equal_to_each_other_as_in_pyoxigraph(seeds):
    """pyoxigraph ranks every blank node equal, so a later key decides between them."""
    _, store = seeds
    text = ('SELECT ?b ?n WHERE { VALUES ?n { "z" "y" "x" } BIND(BNODE(?n) AS ?b) } ORDER BY ?b ?n')
    result = oxigraph_engine.select(store, handwritten(text), {})
    assert [row[1].value for row in result.rows] == ["x", "y", "z"] == [row[1].value for row in as_written(store, text)[1]]


def test_the_sort_is_the_plain_one_tie_break_first_then_each_key_from_the_last():
    """ordered_rows takes short cuts (one flat key when every key ascends, ties found among neighbours):
    on random rows it must give what the plain stable sorts give."""
    from kg.result_order import _row_key, term_key

    rng = random.Random(20261201)
    integer = pyoxigraph.NamedNode(XSD + "integer")
    pool = [None, pyoxigraph.NamedNode("http://e/a"), pyoxigraph.NamedNode("http://e/b"), pyoxigraph.Literal("x"), pyoxigraph.Literal("y"),
            pyoxigraph.Literal("1", datatype=integer), pyoxigraph.Literal("01", datatype=integer), pyoxigraph.BlankNode("q"),
            pyoxigraph.BlankNode("r"), pyoxigraph.Literal("z", language="en")]
    for _ in range(500):
        rows = tuple(tuple(rng.choice(pool) for _ in range(3)) for _ in range(rng.randrange(12)))
        for keys in ("?a ?b", "?b", "DESC(?a) ?c", "?c DESC(?b)", "?a ?b ?c LIMIT 3 OFFSET 1"):
            order = trailing_order(f"SELECT ?a ?b ?c WHERE {{ }} ORDER BY {keys}")
            plain = sorted(rows, key=_row_key)
            for key in reversed(order.keys):
                plain.sort(key=lambda row: term_key(row["abc".index(key.variable)]), reverse=key.descending)
            end = None if order.limit is None else order.offset + order.limit
            assert ordered_rows(order, ("a", "b", "c"), rows) == tuple(plain[order.offset:end]), (keys, rows)
