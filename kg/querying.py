"""Run saved queries on the built dataset with rdflib (`kg query --engine rdflib`, and --explain).

The default engine of `kg query` is pyoxigraph (kg/oxigraph_engine.py); both give the same answers.
"""
from __future__ import annotations

from pathlib import Path

from rdflib import Dataset, Variable

from . import vocabulary as V
from .build import ensure_built
from .deadline import within
from .errors import KgError, NetworkBlocked, Problem, QueryError
from .network import offline, refused
from .project import Project
from .queries import SavedQuery, bindings, find_query, saved_queries  # noqa: F401  (saved queries are found there)
from .results import QueryResult
from .store import dataset_bytes


def load_dataset(source: bytes | Path) -> Dataset:
    """An rdflib dataset of N-Quads: the built dataset's bytes (store.dataset_bytes) or a file."""
    dataset = Dataset(default_union=True)
    for prefix, namespace in V.PREFIXES.items():
        dataset.bind(prefix, namespace)
    if isinstance(source, bytes):
        dataset.parse(data=source, format="nquads")
    else:
        dataset.parse(source, format="nquads")
    return dataset


def execute(dataset: Dataset, query: SavedQuery, given: dict[str, str], timeout: float | None = None, allow_network: bool = False) -> QueryResult:
    """Run a saved query with its parameters pre-bound; offline unless allowed; within `timeout` seconds."""
    initial = bindings(query, given)

    def work() -> QueryResult:
        with offline(allow_network):
            return _evaluate(dataset, query, initial)

    return within(timeout, work, query.display, query.name)


def _evaluate(dataset: Dataset, query: SavedQuery, initial: dict) -> QueryResult:
    try:
        result = dataset.query(query.text, initBindings={Variable(k): v for k, v in initial.items()})
        rows = tuple(tuple(row) for row in result) if result.type == "SELECT" else ()
    except Exception as error:  # pyparsing's ParseException and rdflib's evaluation errors
        if refused():  # rdflib may wrap the refusal in its own error: say what really happened
            raise NetworkBlocked(Problem(query.display, None, None, f"network access refused ({refused()[0]})",
                                         "kg works offline: remove SERVICE or remote FROM, or pass --allow-network", "network")) from None
        if isinstance(error, KgError):
            raise
        line = getattr(error, "lineno", None)
        column = getattr(error, "col", None)
        message = getattr(error, "msg", None) or str(error)
        raise QueryError(Problem(query.display, line, column, f"SPARQL: {message}", "fix the query", "query")) from None
    if result.type != "SELECT":
        raise QueryError(Problem(query.display, None, None, f"saved queries must be SELECT queries, not {result.type}", "rewrite it as SELECT", "query"))
    variables = tuple(str(v) for v in result.vars)
    return QueryResult(variables, rows)


def run_saved_query(project: Project, name: str, given: dict[str, str], on_build=None, timeout: float | None = None,
                    allow_network: bool = False) -> QueryResult:
    query = find_query(project, name)
    bindings(query, given)  # check parameters before paying for a build
    ensure_built(project, on_build, allow_network)
    return execute(load_dataset(dataset_bytes(project)), query, given, timeout, allow_network)
