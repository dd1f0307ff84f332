"""Run saved queries on pyoxigraph: the default engine of `kg query`.

pyoxigraph is an embedded SPARQL store in Rust. A tiny dataset (up to 256 KiB) is loaded into memory
for each query: that is faster than an on-disk store opens. The first query after a build of a
larger one (the five seeds: 2.5 MB) loads the built dataset (kg/segments.py) into an on-disk store beside it,
build/oxigraph-v2-<digest>/ (named by the manifest's dataset_sha256, so a store of an older build is never used; built in a
temporary directory and renamed, under the build lock); later queries open that store read-only.
Either way the cold path, this module included, imports neither rdflib nor yaml.

As with rdflib, the default graph is the union of the named graphs: their RDF merge, each triple
once, held as the store's default graph (not pyoxigraph's union view, which repeats a triple once
per graph that holds it). Parameters are checked into RDF terms (kg/queries.py) and written from
those terms (IRIs checked, literals escaped), never from the raw value. A parameter's term replaces its
variable where kg/parameter_inlining.py proves that this gives the answers of binding it with a VALUES
block first in the WHERE block, which pyoxigraph plans far worse; every other parameter is bound with
that VALUES block (pyoxigraph's `substitutions` only accepts variables of the SELECT projection). A
query that does not parse is parsed again in its VALUES form, whose error positions map back to the file.

pyoxigraph makes SERVICE calls itself, in Rust, where kg's audit hook (kg/network.py) cannot
see them; so a query holding SERVICE or FROM is refused before it runs (kg/sparql_text.py)
unless the network is allowed. pyoxigraph never fetches FROM graphs: with --allow-network a
FROM query is an error here, to be run with --engine rdflib.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from .deadline import within
from .errors import NetworkBlocked, ParameterError, Problem, QueryError
from .project import Project
from .queries import SavedQuery, Value, find_query, parameter_values
from .results import QueryResult
from .sparql_text import network_clauses, where_block_start
from .streams import ChunkStream
from .store import build_lock, is_current, oxigraph_store_path, read_manifest

_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|\\^`]')
_SYNTAX_ERROR = re.compile(r"error at (\d+):(\d+): (.*)", re.S)


def run_saved_query(project: Project, name: str, given: dict[str, str], on_build=None, timeout: float | None = None,
                    allow_network: bool = False) -> QueryResult:
    """`kg query NAME`: check the query and its parameters, build if needed, answer from the store."""
    query = find_query(project, name, cache=True)
    values = parameter_values(query, given)  # before paying for a build
    check_network(query, allow_network)
    return select(open_store(project, on_build, allow_network), query, values, timeout)


# Bytes of N-Quads that load (and merge, see _fill) into memory faster than an on-disk store opens
# (about 60 ms, whatever its size). Measured: the seeds' 2.5 MB take longer in memory (cold query median
# 258 ms against 172 ms from disk), a test fixture's few kilobytes much less.
IN_MEMORY_UP_TO = 256 * 1024


def open_store(project: Project, on_build=None, allow_network: bool = False):
    """The store of the current build, to read: building first if needed; a small dataset loaded into
    memory, a larger one opened read-only from the on-disk store beside it (created on first use)."""
    import pyoxigraph

    for _ in range(3):  # a build finishing meanwhile changes the dataset: look again
        manifest = read_manifest(project)
        if manifest is None or not is_current(project, manifest):
            from .build import ensure_built  # rdflib, owlrl, pyshacl: only when something must be built

            ensure_built(project, on_build, allow_network)
            continue
        small = _in_memory(project, manifest)
        if small is not None:
            return small
        path = oxigraph_store_path(project, manifest)
        if path.is_dir() or _create_store(project, manifest.dataset_sha256, path):
            try:
                return pyoxigraph.Store.read_only(str(path))
            except OSError:
                continue  # removed by a newer build's first query between our look and our open
    raise QueryError(Problem(project.relative(project.build), None, None, "the build keeps changing while the query starts",
                             "run the query again when 'kg build' has finished", "query"))


def _in_memory(project: Project, manifest):
    """An in-memory store of the dataset if it is small and still the one the manifest describes, else None."""
    if manifest.dataset_length > IN_MEMORY_UP_TO:
        return None
    import pyoxigraph

    from .segments import dataset_bytes

    data = dataset_bytes(project.build, manifest.dataset_sha256)  # None if a build changed it meanwhile
    if data is None:
        return None
    store = pyoxigraph.Store()
    # lenient (no IRI re-validation): kg wrote and checked every term, and the digest says this is that file
    _fill(store, data, lenient=True)
    return store


def load_store(source: bytes | Path):
    """An in-memory store of N-Quads (bytes or a file), laid out as `kg query` reads it (for tests and comparisons)."""
    import pyoxigraph

    store = pyoxigraph.Store()
    _fill(store, source if isinstance(source, bytes) else Path(source).read_bytes())
    return store


# The default graph the queries read: every triple of every named graph, once (the RDF merge, as rdflib
# has it). pyoxigraph's union default graph repeats a triple once per graph holding it: an entity's
# aliases restated by every article that mentions it multiply every join through them.
_GRAPH_NAME = re.compile(rb" <[^<>\s]*> \.\n")


def _fill(store, data: bytes, lenient: bool = False) -> None:
    """The dataset's quads into their named graphs, then the same lines with the graph names cut off
    into the default graph, where a triple held by several graphs is stored once."""
    import pyoxigraph

    store.bulk_load(data, format=pyoxigraph.RdfFormat.N_QUADS, lenient=lenient)
    store.bulk_load(ChunkStream(_without_graph_names(data)), format=pyoxigraph.RdfFormat.N_TRIPLES, lenient=lenient)


def _without_graph_names(data: bytes, chunk_size: int = 1 << 24) -> Iterator[bytes]:
    """The N-Quads lines of `data` as N-Triples, a chunk of whole lines at a time."""
    start = 0
    while start < len(data):
        end = data.rfind(b"\n", start, start + chunk_size) + 1 or len(data)  # whole lines only
        yield _GRAPH_NAME.sub(b" .\n", data[start:end])
        start = end


def _create_store(project: Project, dataset_sha256: str, path: Path) -> bool:
    """Load the dataset into a new on-disk store at `path`; False if the dataset is not that build's any more."""
    import shutil
    import tempfile

    import pyoxigraph

    with build_lock(project):
        if path.is_dir():
            return True
        from .segments import dataset_bytes

        data = dataset_bytes(project.build, dataset_sha256)
        if data is None:
            return False
        for old in list(project.build.glob("oxigraph-*")) + list(project.build.glob(".oxigraph-*.partial")):
            shutil.rmtree(old, ignore_errors=True)  # stores of older builds, and ones a killed query left
        temporary = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".partial", dir=project.build))
        try:
            store = pyoxigraph.Store(str(temporary))
            _fill(store, data, lenient=True)  # lenient: the digest above says kg wrote and checked every term
            del data
            store.optimize()
            store.flush()
            del store  # closes it
            os.rename(temporary, path)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
    return True


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
    return _values_first(query, query.text, values)


def _values_first(query: SavedQuery, text: str, values: dict[str, Value]) -> tuple[str, int | None, int | None, int]:
    if not values:
        return text, None, None, 0
    position = where_block_start(text)
    if position is None:
        raise QueryError(Problem(query.display, None, None, "cannot find the WHERE block to bind the parameters",
                                 "write the query as SELECT ... WHERE { ... }", "query"))
    block = f" VALUES ({' '.join('?' + name for name in values)}) {{ ({' '.join(sparql_term(n, v) for n, v in values.items())}) }} "
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return text[:position] + block + text[position:], line, column, len(block)


def bound_text(query: SavedQuery, values: dict[str, Value]) -> str:
    """The query text with each parameter's term written where its variable stands, when that provably
    gives the answers of the VALUES block (kg/sparql_text.py `inlining`), and the other parameters in
    a VALUES block first in the WHERE block."""
    if not values:
        return query.text
    from .parameter_inlining import inline, inlining

    inlined, rest = {}, {}
    for name, value in values.items():
        found = inlining(query.text, name)
        if found.refusal is None:
            inlined[name] = (found, sparql_term(name, value))
        else:
            rest[name] = value
    return _values_first(query, inline(query.text, inlined), rest)[0]


def select(store, query: SavedQuery, values: dict[str, Value], timeout: float | None = None) -> QueryResult:
    """Run a saved query with its parameter values bound; within `timeout` seconds. Call check_network first."""
    text = bound_text(query, values)
    return within(timeout, lambda: _evaluate(store, query, text, values), query.display, query.name)


def _evaluate(store, query: SavedQuery, text: str, values: dict[str, Value]) -> QueryResult:
    from .result_order import ordered_rows, trailing_order

    order = trailing_order(text)
    if order is not None:  # sorted here rather than by pyoxigraph, where that gives its order (kg/result_order.py)
        try:
            variables, rows = _answers(store, query, order.unordered_text, values)
        except QueryError:
            pass  # reported as the query is written, below
        else:
            ordered = ordered_rows(order, variables, rows)
            if ordered is not None:
                return QueryResult(variables, ordered)
    return QueryResult(*_answers(store, query, text, values))


def _answers(store, query: SavedQuery, text: str, values: dict[str, Value]) -> tuple[tuple[str, ...], tuple[tuple, ...]]:
    import pyoxigraph

    try:
        solutions = _parsed(store, query, text, values)  # the default graph: the merge of the named graphs (see _fill)
        if not isinstance(solutions, pyoxigraph.QuerySolutions):
            kind = "ASK" if isinstance(solutions, pyoxigraph.QueryBoolean) else "CONSTRUCT or DESCRIBE"
            raise QueryError(Problem(query.display, None, None, f"saved queries must be SELECT queries, not {kind}", "rewrite it as SELECT", "query"))
        variables = tuple(variable.value for variable in solutions.variables)
        rows = tuple(tuple(solution) for solution in solutions)
    except QueryError:
        raise
    except Exception as error:  # pyoxigraph's evaluation errors (OSError, RuntimeError, ...)
        raise QueryError(Problem(query.display, None, None, f"SPARQL: {error}", "fix the query", "query")) from None
    return variables, rows


def _parsed(store, query: SavedQuery, text: str, values: dict[str, Value]):
    """store.query(text); on a syntax error the VALUES form is parsed instead: its error positions map
    back to the file, and where the parser refused a constant that a variable may stand for (a literal
    as a predicate) it answers as kg always did."""
    try:
        return store.query(text)
    except SyntaxError as error:
        values_text, *insertion = with_values(query, values)
        if values_text == text:
            raise QueryError(_syntax_problem(query, str(error), insertion)) from None
    try:
        return store.query(values_text)
    except SyntaxError as error:
        raise QueryError(_syntax_problem(query, str(error), insertion)) from None


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
