"""Saved SPARQL queries: their `#+` headers, typed parameters bound as RDF terms, and running them.

A saved query is a standard SPARQL 1.1 file. Its first comment lines, each starting with `#+`,
hold a small YAML header in the spirit of grlc's decorators:

    #+ name: statements-by
    #+ summary: Every statement made by one agent, with its quote and article.
    #+ params:
    #+   - name: speaker
    #+     type: iri
    #+     default: kgr:mary-beth-heffernan
    #+     description: the person or organization
    #+ example: kg query statements-by --param speaker=carol-rose

Parameters appear in the query as variables (`?speaker`) and are bound to RDF terms before
evaluation, never pasted into the query text, so a value cannot change the query.

This module is on the cold `kg query` path, which must not import rdflib or yaml: the header is
parsed with yaml once per version of a query file and kept in build/query-headers.json
(`find_query`), and parameter values are checked into `Value`s that each engine turns into
its own RDF terms (`to_term` gives rdflib's; rdflib is imported only then).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .errors import ParameterError, Problem, QueryError
from .prefixes import KGR, PREFIXES, XSD

if TYPE_CHECKING:
    from rdflib import Literal, URIRef

    from .project import Project
    from .yamlfile import Mapping

PARAMETER_TYPES = ("iri", "string", "integer", "decimal", "date")
_HEADER_KEYS = {"name", "summary", "description", "params", "example", "reasoning", "tags"}
_PARAM_KEYS = {"name", "type", "default", "description", "required"}
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Parameter(NamedTuple):
    name: str
    type: str
    default: str | None
    description: str
    required: bool


class SavedQuery(NamedTuple):
    name: str
    path: Path
    display: str
    summary: str
    description: str
    example: str
    reasoning: str
    parameters: tuple[Parameter, ...]
    text: str


def query_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.rq")) if directory.is_dir() else []


def read_query(path: Path, display: str) -> SavedQuery:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise QueryError(Problem(display, None, None, f"cannot read the query: {error}", "check the file", "query")) from None
    header_lines = []
    for line in text.splitlines():
        if line.startswith("#+"):
            header_lines.append(line[3:] if line.startswith("#+ ") else line[2:])
        elif line.strip() and not line.startswith("#"):
            break
    from .yamlfile import Mapping, load_yaml_text

    if not header_lines:
        raise QueryError(Problem(display, 1, 1, "the query has no '#+' header", "start the file with '#+ name: ...' and '#+ summary: ...'", "query"))
    try:
        header = load_yaml_text("\n".join(header_lines), display)
    except Exception as error:
        problem = error.problems[0] if hasattr(error, "problems") else Problem(display, 1, None, str(error))
        raise QueryError(Problem(display, problem.line, problem.column, f"bad '#+' header: {problem.message}", "the lines after '#+ ' must be YAML", "query")) from None
    if not isinstance(header, Mapping):
        raise QueryError(Problem(display, 1, 1, "the '#+' header must be 'key: value' lines", "see queries/README", "query"))
    problems = []
    for key in header:
        if key not in _HEADER_KEYS:
            problems.append(Problem(display, header.key_line(key), None, f"unknown header key '{key}'", f"allowed: {', '.join(sorted(_HEADER_KEYS))}", "query"))
    name = str(header.get("name") or "")
    if not _NAME.match(name):
        problems.append(Problem(display, header.line_of("name"), None, "the header needs 'name:' with lower-case words joined by hyphens", "e.g. '#+ name: statements-by'", "query"))
    elif name != path.stem:
        problems.append(Problem(display, header.line_of("name"), None, f"the header name '{name}' differs from the file name '{path.stem}'", f"rename the file to {name}.rq or fix the name", "query"))
    if not header.get("summary"):
        problems.append(Problem(display, header.line, None, "the header needs a 'summary:'", "say in one line what question it answers", "query"))
    parameters = _read_parameters(header, display, problems)
    if problems:
        raise QueryError(problems)
    for parameter in parameters:
        if not re.search(r"[?$]" + re.escape(parameter.name) + r"\b", _strip_comments(text)):
            problems.append(Problem(display, header.line_of("params"), None, f"parameter '{parameter.name}' is not used as ?{parameter.name} in the query", "use the variable or drop the parameter", "query"))
    if problems:
        raise QueryError(problems)
    return SavedQuery(
        name=name,
        path=path,
        display=display,
        summary=str(header.get("summary")).strip(),
        description=str(header.get("description") or "").strip(),
        example=str(header.get("example") or "").strip(),
        reasoning=str(header.get("reasoning") or "").strip(),
        parameters=tuple(parameters),
        text=text,
    )


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def _read_parameters(header: Mapping, display: str, problems: list[Problem]) -> list[Parameter]:
    from .yamlfile import Mapping, Sequence

    raw = header.get("params") or Sequence()
    if not isinstance(raw, Sequence):
        problems.append(Problem(display, header.line_of("params"), None, "'params' must be a list", "write '#+   - name: ...'", "query"))
        return []
    parameters = []
    for index, item in enumerate(raw):
        line = raw.line_of(index)
        if not isinstance(item, Mapping):
            problems.append(Problem(display, line, None, "each parameter must be a block with name and type", "write '- name: speaker' and 'type: iri'", "query"))
            continue
        for key in item:
            if key not in _PARAM_KEYS:
                problems.append(Problem(display, item.key_line(key), None, f"unknown parameter key '{key}'", f"allowed: {', '.join(sorted(_PARAM_KEYS))}", "query"))
        name, kind = str(item.get("name") or ""), str(item.get("type") or "")
        if not _VARIABLE.match(name):
            problems.append(Problem(display, line, None, f"parameter name '{name}' is not a SPARQL variable name", "use letters, digits and _", "query"))
            continue
        if kind not in PARAMETER_TYPES:
            problems.append(Problem(display, item.line_of("type"), None, f"parameter '{name}' has type '{kind}'", f"use one of: {', '.join(PARAMETER_TYPES)}", "query"))
            continue
        default = item.get("default")
        if isinstance(default, dt.date):
            default = default.isoformat()
        parameter = Parameter(name, kind, None if default is None else str(default), str(item.get("description") or ""), bool(item.get("required", default is None)))
        if parameter.default is not None:
            try:
                check_value(parameter, parameter.default)
            except ParameterError as error:
                problems.append(Problem(display, item.line_of("default"), None, f"default of '{name}': {error.problems[0].message}", "fix the default", "query"))
        parameters.append(parameter)
    return parameters


class Value(NamedTuple):
    """A parameter value checked against its type: an IRI, or a literal's lexical form and datatype
    (None for a plain string). Each engine makes its own RDF term of it."""

    text: str
    datatype: str | None = None
    iri: bool = False


def check_value(parameter: Parameter, value: str) -> Value:
    """Check a command-line value against the parameter's type (ParameterError if it does not fit)."""

    def bad(expected: str) -> ParameterError:
        return ParameterError(Problem("--param", None, None, f"{parameter.name}={value!r} is not {expected}", f"give {parameter.name} as {expected}", "parameter"))

    if parameter.type == "iri":
        return Value(expand_iri(value, bad), iri=True)
    if parameter.type == "string":
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise bad("text (it holds bytes that are not UTF-8)") from None
        return Value(value)
    if parameter.type == "integer":
        text = value.strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,4000}", text):
            raise bad("an integer (at most 4,000 digits)")
        return Value(str(int(text)), XSD + "integer")
    if parameter.type == "decimal":
        from decimal import Decimal, InvalidOperation

        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise bad("a decimal number") from None
        if not number.is_finite() or not -4000 < number.adjusted() < 4000:
            raise bad("a finite decimal number of reasonable size")
        return Value(format(number, "f"), XSD + "decimal")  # the canonical form rdflib also gives it
    if parameter.type == "date":
        try:
            return Value(dt.date.fromisoformat(value.strip()).isoformat(), XSD + "date")
        except ValueError:
            raise bad("a date (YYYY-MM-DD)") from None
    raise bad(parameter.type)


def to_term(parameter: Parameter, value: str) -> URIRef | Literal:
    """Turn a command-line value into the rdflib term the parameter's type asks for."""
    return rdflib_term(check_value(parameter, value))


def rdflib_term(value: Value) -> URIRef | Literal:
    from rdflib import Literal, URIRef

    if value.iri:
        return URIRef(value.text)
    return Literal(value.text, datatype=URIRef(value.datatype) if value.datatype else None)


_IRI_FORBIDDEN = re.compile(r'[\x00-\x20\s<>"{}|\\^`]')


def expand_iri(value: str, bad) -> str:
    """A full IRI, <IRI>, a prefixed name (kgr:carol-rose) or a bare registry id (carol-rose)."""
    text = value.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    prefix, colon, local = text.partition(":")
    if colon and prefix in PREFIXES and not local.startswith("//"):
        text = PREFIXES[prefix] + local
    elif not colon and re.fullmatch(r"[a-z0-9][a-z0-9-]*(/[A-Za-z0-9_./-]+)?", text):
        text = KGR + text
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", text) or _IRI_FORBIDDEN.search(text):
        raise bad("an IRI, a prefixed name such as kgr:carol-rose, or a registry id such as carol-rose")
    return text


def parameter_values(query: SavedQuery, given: dict[str, str]) -> dict[str, Value]:
    """The checked value of every parameter: given, or its default (ParameterError if unknown or missing)."""
    known = {p.name: p for p in query.parameters}
    for name in given:
        if name not in known:
            hint = f"this query takes: {', '.join(known)}" if known else "this query takes no parameters"
            raise ParameterError(Problem("--param", None, None, f"unknown parameter '{name}' for query '{query.name}'", hint, "parameter"))
    result = {}
    for parameter in query.parameters:
        if parameter.name in given:
            result[parameter.name] = check_value(parameter, given[parameter.name])
        elif parameter.default is not None:
            result[parameter.name] = check_value(parameter, parameter.default)
        elif parameter.required:
            raise ParameterError(Problem("--param", None, None, f"query '{query.name}' needs --param {parameter.name}=...", parameter.description or f"a {parameter.type}", "parameter"))
    return result


def bindings(query: SavedQuery, given: dict[str, str]) -> dict[str, URIRef | Literal]:
    """The parameters as rdflib terms (see `parameter_values`)."""
    return {name: rdflib_term(value) for name, value in parameter_values(query, given).items()}


# --------------------------------------------------------------------------- finding saved queries

HEADER_CACHE_FILE = "query-headers.json"
_HEADER_CACHE_FORMAT = "1"  # bump when read_query's checks or SavedQuery's fields change


def saved_queries(project: Project) -> list[SavedQuery]:
    return [read_query(path, project.relative(path)) for path in query_files(project.queries)]


def find_query(project: Project, name: str, cache: bool = False) -> SavedQuery:
    """The saved query NAME. With `cache`, its header is parsed once per version of the file and
    kept in the build directory (the cold `kg query` path: no yaml import when nothing changed)."""
    path = project.queries / f"{name}.rq"
    if not path.is_file():
        known = [p.stem for p in query_files(project.queries)]
        import difflib

        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "run 'kg queries' to list them"
        raise QueryError(Problem(project.relative(project.queries), None, None, f"no saved query named '{name}'", hint, "usage"))
    display = project.relative(path)
    if not cache:
        return read_query(path, display)
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return read_query(path, display)  # which reports the problem
    digest = hashlib.sha256(data).hexdigest()
    cache_path = project.build / HEADER_CACHE_FILE
    cache = _read_header_cache(cache_path)
    entry = cache.get(path.name)
    if isinstance(entry, dict) and entry.get("sha256") == digest:
        try:
            return SavedQuery(name=entry["name"], path=path, display=display, summary=entry["summary"], description=entry["description"],
                              example=entry["example"], reasoning=entry["reasoning"],
                              parameters=tuple(Parameter(*item) for item in entry["parameters"]), text=text)
        except (KeyError, TypeError):
            pass
    query = read_query(path, display)
    if query.text == text:
        cache[path.name] = {"sha256": digest, "name": query.name, "summary": query.summary, "description": query.description,
                            "example": query.example, "reasoning": query.reasoning,
                            "parameters": [[p.name, p.type, p.default, p.description, p.required] for p in query.parameters]}
        _write_header_cache(cache_path, cache)
    return query


def _read_header_cache(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != _HEADER_CACHE_FORMAT or not isinstance(data.get("queries"), dict):
        return {}
    return data["queries"]


def _write_header_cache(path: Path, queries: dict) -> None:
    """Best effort: a read-only build directory only means parsing the header again next time."""
    from .store import write_atomically

    try:
        write_atomically(path, (json.dumps({"format": _HEADER_CACHE_FORMAT, "queries": queries}, indent=1, sort_keys=True) + "\n").encode())
    except OSError:
        pass


def parse_param_options(options: tuple[str, ...]) -> dict[str, str]:
    given: dict[str, str] = {}
    for option in options:
        name, equals, value = option.partition("=")
        if not equals or not name.strip():
            raise ParameterError(Problem("--param", None, None, f"'{option}' is not key=value", "write --param speaker=carol-rose", "parameter"))
        given[name.strip()] = value
    return given
