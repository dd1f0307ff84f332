"""Write query results as a text table, CSV, TSV or SPARQL 1.1 Query Results JSON."""
from __future__ import annotations

import csv
import io
import json

from rdflib import BNode, Literal, URIRef

from . import vocabulary as V
from .querying import QueryResult

FORMATS = ("table", "csv", "tsv", "json")
TABLE_CELL_LIMIT = 70


def short(term) -> str:
    """A readable form for a table cell: prefixed names for known namespaces, plain literal text."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        text = str(term)
        for prefix, namespace in sorted(V.PREFIXES.items(), key=lambda item: -len(str(item[1]))):
            if text.startswith(str(namespace)):
                return f"{prefix}:{text[len(str(namespace)):]}"
        return f"<{text}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    return " ".join(str(term).split())


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
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def as_csv(result: QueryResult) -> str:
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
    text = term.n3()
    return text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _json_term(term) -> dict:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, Literal)
    value: dict = {"type": "literal", "value": str(term)}
    if term.language:
        value["xml:lang"] = term.language
    elif term.datatype:
        value["datatype"] = str(term.datatype)
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
    return {"table": as_table, "csv": as_csv, "tsv": as_tsv, "json": as_json}[form](result)
