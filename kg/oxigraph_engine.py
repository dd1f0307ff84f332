"""Run saved queries on pyoxigraph: the default engine of `kg query`.

pyoxigraph is an embedded SPARQL store in Rust. The first query after a build loads
build/dataset.nq into an on-disk store beside it, build/oxigraph-<digest>/ (named by the
manifest's dataset_sha256, so a store of an older build is never used; built in a temporary
directory and renamed, under the build lock). Later queries open that store read-only, which
is what keeps a cold `kg query` fast: this module, like the rest of the cold path, imports
neither rdflib nor yaml.

As with rdflib, the default graph is the union of the named graphs. Parameters are checked
into RDF terms (kg/queries.py) and bound with a VALUES block at the start of the WHERE block,
written from those terms (IRIs checked, literals escaped), never from the raw value:
pyoxigraph's `substitutions` only accepts variables of the SELECT projection.

pyoxigraph makes SERVICE calls itself, in Rust, where kg's audit hook (kg/network.py) cannot
see them; so a query holding SERVICE or FROM is refused before it runs (kg/sparql_text.py)
unless the network is allowed. pyoxigraph never fetches FROM graphs: with --allow-network a
FROM query is an error here, to be run with --engine rdflib.
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from .deadline import within
from .errors import NetworkBlocked, ParameterError, Problem, QueryError
from .project import Project
from .queries import SavedQuery, Value, find_query, parameter_values
from .results import QueryResult
from .sparql_text import network_clauses, where_block_start
from .store import build_lock, dataset_path, is_current, oxigraph_store_path, read_manifest

_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|\\^`]')
_SYNTAX_ERROR = re.compile(r"error at (\d+):(\d+): (.*)", re.S)


def run_saved_query(project: Project, name: str, given: dict[str, str], on_build=None, timeout: float | None = None,
                    allow_network: bool = False) -> QueryResult:
    """`kg query NAME`: check the query and its parameters, build if needed, answer from the store."""
    query = find_query(project, name, cache=True)
    values = parameter_values(query, given)  # before paying for a build
    check_network(query, allow_network)
    return select(open_store(project, on_build, allow_network), query, values, timeout)


def open_store(project: Project, on_build=None, allow_network: bool = False):
    """The read-only store of the current build: building first and creating the store if needed."""
    import pyoxigraph

    for _ in range(3):  # a build finishing meanwhile changes the dataset: look again
        manifest = read_manifest(project)
        if manifest is None or not is_current(project, manifest):
            from .build import ensure_built  # rdflib, owlrl, pyshacl: only when something must be built

            ensure_built(project, on_build, allow_network)
            continue
        path = oxigraph_store_path(project, manifest)
        if path.is_dir() or _create_store(project, manifest.dataset_sha256, path):
            try:
                return pyoxigraph.Store.read_only(str(path))
            except OSError:
                continue  # removed by a newer build's first query between our look and our open
    raise QueryError(Problem(project.relative(project.build), None, None, "the build keeps changing while the query starts",
                             "run the query again when 'kg build' has finished", "query"))


def _create_store(project: Project, dataset_sha256: str, path: Path) -> bool:
    """Load the dataset into a new on-disk store at `path`; False if the dataset is not that build's any more."""
    import shutil
    import tempfile

    import pyoxigraph

    with build_lock(project):
        if path.is_dir():
            return True
        data = dataset_path(project).read_bytes()
        if hashlib.sha256(data).hexdigest() != dataset_sha256:
            return False
        for old in list(project.build.glob("oxigraph-*")) + list(project.build.glob(".oxigraph-*.partial")):
            shutil.rmtree(old, ignore_errors=True)  # stores of older builds, and ones a killed query left
        temporary = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".partial", dir=project.build))
        try:
            store = pyoxigraph.Store(str(temporary))
            store.bulk_load(data, format=pyoxigraph.RdfFormat.N_QUADS)
            store.optimize()
            store.flush()
            del store  # closes it
            os.rename(temporary, path)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
    return True


def load_store(path: Path):
    """An in-memory store of an N-Quads file (for tests and one-off comparisons)."""
    import pyoxigraph

    store = pyoxigraph.Store()
    with open(path, "rb") as stream:
        store.bulk_load(stream, format=pyoxigraph.RdfFormat.N_QUADS)
    return store


def check_network(query: SavedQuery, allow_network: bool) -> None:
    """Refuse SERVICE and FROM before the query runs: pyoxigraph would make the calls in Rust."""
    clauses = network_clauses(query.text)
    if not clauses:
        return
    first = clauses[0]
    if not allow_network:
        raise NetworkBlocked(Problem(query.display, first.line, first.column, f"network access refused ({first.keyword} in the query)",
                                     "kg works offline: remove SERVICE or remote FROM, or pass --allow-network", "network"))
    if any(clause.keyword == "FROM" for clause in clauses):
        keyword = next(clause for clause in clauses if clause.keyword == "FROM")
        raise QueryError(Problem(query.display, keyword.line, keyword.column, "the oxigraph engine does not fetch the graphs FROM names",
                                 "run it with 'kg query --engine rdflib'", "query"))


def sparql_term(name: str, value: Value) -> str:
    """A checked parameter value in SPARQL syntax: an IRI in <>, or an escaped, typed string literal."""
    if value.iri:
        import pyoxigraph

        try:
            pyoxigraph.NamedNode(value.text)  # pyoxigraph's own IRI check, stricter than kg's (e.g. '%' needs two hex digits)
        except ValueError as error:
            raise ParameterError(Problem("--param", None, None, f"{name}={value.text!r} is not a valid IRI ({error})",
                                         f"give {name} as an IRI, a prefixed name or a registry id", "parameter")) from None
        if _IRI_FORBIDDEN.search(value.text):
            raise ParameterError(Problem("--param", None, None, f"{name}={value.text!r} is not a valid IRI", "give a valid IRI", "parameter"))
        return f"<{value.text}>"
    text = value.text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{text}"' + (f"^^<{value.datatype}>" if value.datatype else "")


def with_values(query: SavedQuery, values: dict[str, Value]) -> tuple[str, int | None, int | None, int]:
    """The query text with `VALUES (?a ?b) { (term term) }` first in its WHERE block, on the same line
    (so error lines stay right), and the line, column and length of what was inserted."""
    if not values:
        return query.text, None, None, 0
    position = where_block_start(query.text)
    if position is None:
        raise QueryError(Problem(query.display, None, None, "cannot find the WHERE block to bind the parameters",
                                 "write the query as SELECT ... WHERE { ... }", "query"))
    block = f" VALUES ({' '.join('?' + name for name in values)}) {{ ({' '.join(sparql_term(n, v) for n, v in values.items())}) }} "
    line = query.text.count("\n", 0, position) + 1
    column = position - (query.text.rfind("\n", 0, position) + 1) + 1
    return query.text[:position] + block + query.text[position:], line, column, len(block)


def select(store, query: SavedQuery, values: dict[str, Value], timeout: float | None = None) -> QueryResult:
    """Run a saved query with its parameter values bound; within `timeout` seconds. Call check_network first."""
    text, line, column, inserted = with_values(query, values)
    return within(timeout, lambda: _evaluate(store, query, text, (line, column, inserted)), query.display, query.name)


def _evaluate(store, query: SavedQuery, text: str, insertion: tuple) -> QueryResult:
    import pyoxigraph

    try:
        solutions = store.query(text, use_default_graph_as_union=True)
        if not isinstance(solutions, pyoxigraph.QuerySolutions):
            kind = "ASK" if isinstance(solutions, pyoxigraph.QueryBoolean) else "CONSTRUCT or DESCRIBE"
            raise QueryError(Problem(query.display, None, None, f"saved queries must be SELECT queries, not {kind}", "rewrite it as SELECT", "query"))
        variables = tuple(variable.value for variable in solutions.variables)
        rows = tuple(tuple(solution) for solution in solutions)
    except SyntaxError as error:
        raise QueryError(_syntax_problem(query, str(error), insertion)) from None
    except QueryError:
        raise
    except Exception as error:  # pyoxigraph's evaluation errors (OSError, RuntimeError, ...)
        raise QueryError(Problem(query.display, None, None, f"SPARQL: {error}", "fix the query", "query")) from None
    return QueryResult(variables, rows)


def _syntax_problem(query: SavedQuery, message: str, insertion: tuple) -> Problem:
    """pyoxigraph says 'error at LINE:COLUMN: ...'; columns after the VALUES block move back by its length."""
    match = _SYNTAX_ERROR.match(message)
    if not match:
        return Problem(query.display, None, None, f"SPARQL: {message}", "fix the query", "query")
    line, column = int(match.group(1)), int(match.group(2))
    at_line, at_column, length = insertion
    if line == at_line and at_column is not None and column >= at_column + length:
        column -= length
    return Problem(query.display, line, column, f"SPARQL: {match.group(3)}", "fix the query", "query")


# --------------------------------------------------------------------------- comparing engines

def execute(store, query: SavedQuery, given: dict[str, str]) -> QueryResult:
    """The answers with rdflib terms, to compare them with the rdflib engine's (tests/test_engines.py)."""
    values = parameter_values(query, given)
    check_network(query, allow_network=False)
    result = select(store, query, values)
    return QueryResult(result.variables, tuple(tuple(_to_rdflib(term) for term in row) for row in result.rows))


def _to_rdflib(term):
    from rdflib import BNode, Literal, URIRef

    from .results import parts

    if term is None:
        return None
    term = parts(term)
    if term.kind == "uri":
        return URIRef(term.value)
    if term.kind == "bnode":
        return BNode(term.value)
    return Literal(term.value, lang=term.language, datatype=URIRef(term.datatype) if term.datatype else None)
