"""Query results, and writing them as a text table, CSV, TSV or SPARQL 1.1 Query Results JSON.

A result's terms are rdflib terms (the rdflib engine, remote stores) or pyoxigraph terms (the
default engine); both are written byte for byte alike. This module is on the cold `kg query`
path and imports neither library: a term is looked at through `parts`.
"""
from __future__ import annotations

import io
import json
import math
import sys
from typing import Any, NamedTuple

from .prefixes import PREFIXES, RDF_LANG_STRING, XSD, XSD_STRING

FORMATS = ("table", "csv", "tsv", "json")
TABLE_CELL_LIMIT = 70
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))
_INF_NAN_TYPES = (XSD + "float", XSD + "double", XSD + "decimal")


class QueryResult(NamedTuple):
    variables: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]  # rdflib or pyoxigraph terms; None where a variable is unbound


class Parts(NamedTuple):
    """What any RDF term is made of. kind: 'uri', 'bnode' or 'literal'; datatype None for plain strings."""

    kind: str
    value: str
    datatype: str | None = None
    language: str | None = None


def parts(term) -> Parts:
    oxigraph = sys.modules.get("pyoxigraph")
    if oxigraph is not None:
        if isinstance(term, oxigraph.NamedNode):
            return Parts("uri", term.value)
        if isinstance(term, oxigraph.BlankNode):
            return Parts("bnode", term.value)
        if isinstance(term, oxigraph.Literal):
            datatype = term.datatype.value
            if term.language:
                return Parts("literal", term.value, None, term.language)
            return Parts("literal", term.value, None if datatype == XSD_STRING else datatype)
    from rdflib import BNode, URIRef  # a term from rdflib, which is therefore loaded already

    if isinstance(term, URIRef):
        return Parts("uri", str(term))
    if isinstance(term, BNode):
        return Parts("bnode", str(term))
    language = getattr(term, "language", None)
    datatype = getattr(term, "datatype", None)
    return Parts("literal", str(term), None if language or datatype is None or str(datatype) == RDF_LANG_STRING else str(datatype),
                 language or None)


def short(term) -> str:
    """A readable form for a table cell: prefixed names for known namespaces, plain literal text."""
    if term is None:
        return ""
    term = parts(term)
    if term.kind == "uri":
        for prefix, namespace in _BY_LENGTH:
            if term.value.startswith(namespace):
                return f"{prefix}:{term.value[len(namespace):]}"
        return f"<{term.value}>"
    if term.kind == "bnode":
        return f"_:{term.value}"
    return " ".join(term.value.split())


def as_table(result: QueryResult) -> str:
    header = list(result.variables)
    rows = [[_clip(short(term)) for term in row] for row in result.rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(row) for row in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def _clip(text: str) -> str:
    return text if len(text) <= TABLE_CELL_LIMIT else text[: TABLE_CELL_LIMIT - 1] + "…"


def _plain(term) -> str:
    """SPARQL 1.1 CSV: IRIs and literal lexical forms, nothing else."""
    if term is None:
        return ""
    term = parts(term)
    return f"_:{term.value}" if term.kind == "bnode" else term.value


def as_csv(result: QueryResult) -> str:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([_plain(term) for term in row])
    return buffer.getvalue()


def as_tsv(result: QueryResult) -> str:
    """SPARQL 1.1 TSV: terms in Turtle/N-Triples syntax."""
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    for row in result.rows:
        lines.append("\t".join("" if term is None else _tsv_term(term) for term in row))
    return "\n".join(lines) + "\n"


def _tsv_term(term) -> str:
    text = n3(parts(term))
    return text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def n3(term: Parts) -> str:
    """The term in N-Triples/Turtle syntax, character for character as rdflib's `n3()` writes it."""
    if term.kind == "uri":
        return f"<{term.value}>"
    if term.kind == "bnode":
        return f"_:{term.value}"
    value = term.value
    if "\n" in value:  # rdflib's long-string form
        encoded = value.replace("\\", "\\\\")
        if '"""' in value:
            encoded = encoded.replace('"""', '\\"\\"\\"')
        if encoded[-1] == '"' and encoded[-2] != "\\":
            encoded = encoded[:-1] + "\\" + '"'
        encoded = '"""%s"""' % encoded.replace("\r", "\\r")
    else:
        encoded = '"%s"' % value.replace("\n", "\\n").replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r")
    if term.datatype in _INF_NAN_TYPES:
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            if math.isinf(number):
                encoded = encoded.replace("inf", "INF").replace("Infinity", "INF")
            if math.isnan(number):
                encoded = encoded.replace("nan", "NaN")
    if term.language:
        return f"{encoded}@{term.language}"
    if term.datatype:
        return f"{encoded}^^<{term.datatype}>"
    return encoded


def _json_term(term) -> dict:
    term = parts(term)
    value: dict = {"type": term.kind, "value": term.value}
    if term.language:
        value["xml:lang"] = term.language
    elif term.datatype:
        value["datatype"] = term.datatype
    return value


def as_json(result: QueryResult) -> str:
    document = {
        "head": {"vars": list(result.variables)},
        "results": {
            "bindings": [
                {var: _json_term(term) for var, term in zip(result.variables, row) if term is not None}
                for row in result.rows
            ]
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render(result: QueryResult, form: str) -> str:
    """The answers in one of FORMATS."""
    return {"table": as_table, "csv": as_csv, "tsv": as_tsv, "json": as_json}[form](result)
