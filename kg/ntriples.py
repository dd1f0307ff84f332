"""Triples as N-Triples text, written the way rdflib writes them, without building an rdflib Graph.

The build emits a few hundred triples per article; adding them to an rdflib Graph (three indexes
per triple) and serialising them again costs more than everything else it does with them. Here
each triple becomes its N-Triples text at once, in exactly the bytes rdflib's N-Quads serialiser
would write (tests/test_ntriples.py checks that on the seeds and a generated corpus), so a dataset
written from these lines is byte-identical to one written from the Graph.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import islice

from rdflib import BNode, Literal, URIRef
from rdflib.plugins.serializers.nt import _quoteLiteral
from rdflib.term import _is_valid_uri

_iris: dict[str, str] = {}  # IRI -> "<IRI>": the same few thousand IRIs recur in every article
_NOT_IN_IRI = re.compile(r'[<>" {}|\\^`]')  # rdflib.term._invalid_uri_chars, in one search


def term(node) -> str:
    """One term as rdflib's N-Triples/N-Quads serialiser writes it."""
    kind = type(node)
    if kind is URIRef:
        text = _iris.get(node)
        if text is None:
            if not _is_valid_uri(node):
                raise ValueError(f'"{node}" does not look like a valid URI')
            text = _iris[node] = f"<{node}>"
        return text
    if kind is Literal:
        return _quoteLiteral(node)
    if kind is BNode:
        return "_:" + node
    return node.n3()  # subclasses (e.g. rdflib's Namespace terms) write themselves


# The build writes an article's few hundred triples from plain strings with the functions below: as
# term() writes the URIRef or Literal they stand for, without making one (tests/test_ntriples.py).

def iri(text: str) -> str:
    """term(URIRef(text)), refused alike."""
    if _NOT_IN_IRI.search(text):
        raise ValueError(f'"{text}" does not look like a valid URI')
    return f"<{text}>"


def plain_literal(text: str) -> str:
    """term(Literal(text)): rdflib escapes these four characters and no other."""
    return '"' + text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"').replace("\r", "\\r") + '"'


def lang_literal(text: str, language: str) -> str:
    """term(Literal(text, lang=language))."""
    return f"{plain_literal(text)}@{language}"


_typed: dict[tuple[type, object, str], str] = {}  # the few thousand dates and offsets recur across articles


def typed_literal(value: object, datatype: str) -> str:
    """term(Literal(value, datatype=URIRef(datatype))), made by rdflib once per value: the lexical form
    of a boolean, a number or a date is rdflib's own."""
    key = (type(value), value, datatype)  # the type too: True == 1
    text = _typed.get(key)
    if text is None:
        text = _typed[key] = term(Literal(value, datatype=URIRef(datatype)))
    return text


class TripleLines:
    """A write-only stand-in for an rdflib Graph: keeps each triple as "S P O" text, once. `add` takes
    rdflib terms, `add_line` a line written with the functions above."""

    def __init__(self) -> None:
        self.lines: set[str] = set()
        self.add_line = self.lines.add

    def add(self, triple) -> None:
        subject, predicate, obj = triple
        self.lines.add(f"{term(subject)} {term(predicate)} {term(obj)}")

    def __len__(self) -> int:
        return len(self.lines)


def nquads(lines_by_graph: dict[str, set[str] | list[str]]) -> bytes:
    """N-Quads, graphs in IRI order, each graph's lines sorted: the bytes kg.build.serialise_nquads writes."""
    return b"".join(nquads_chunks(lines_by_graph))


def nquads_chunks(lines_by_graph: dict[str, set[str] | list[str]]) -> Iterator[bytes]:
    """`nquads` a piece of a graph at a time (graph_block_pieces), so a large dataset is written without all of its bytes in memory."""
    for name in sorted(lines_by_graph):
        yield from graph_block_pieces(lines_by_graph[name], name)


def graph_block(lines: Iterable[str], name: str) -> bytes:
    """A graph's N-Quads: its lines ("S P O") sorted, each followed by " <name> .", as UTF-8.

    The lines are sorted before the graph's name is added, which gives the same order as sorting the
    whole quads (a test checks it): where one line is the start of another, the longer one goes on with
    its last term's "@", "^^" or blank-node label, all above the space the suffix starts with. At
    10,000 articles that spares 1.9 million concatenated strings and half a second of sorting."""
    return b"".join(graph_block_pieces(lines, name))


_PIECE_LINES = 1 << 16


def graph_block_pieces(lines: Iterable[str], name: str, piece_lines: int = _PIECE_LINES) -> list[bytes]:
    """graph_block's bytes, in pieces of whole lines: a large graph (the inferred one, 360 MB at 10,000
    articles) is encoded a piece at a time, rather than held as one text and its bytes at once at the
    build's peak of memory."""
    ordered = sorted(lines)
    suffix = f" <{name}> .\n"
    return [(suffix.join(ordered[start:start + piece_lines]) + suffix).encode("utf-8") for start in range(0, len(ordered), piece_lines)]


_ESCAPE = re.compile(r'\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))')
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return _ESCAPE.sub(lambda m: chr(int(m[1] or m[2], 16)) if m[3] is None else _ECHAR[m[3]], text)


def parse_term(text: str):
    """One N-Triples term (as `term()` or pyoxigraph writes it) as rdflib would have made it; a plain
    string has no datatype, as rdflib writes it (RDF 1.1 says xsd:string is the same)."""
    if text.startswith("<"):
        return URIRef(text[1:-1])
    if text.startswith("_:"):
        return BNode(text[2:])
    close = text.rindex('"')
    value, suffix = _unescape(text[1:close]), text[close + 1:]
    if suffix.startswith("@"):
        return Literal(value, lang=suffix[1:])
    if suffix.startswith("^^"):
        return Literal(value, datatype=URIRef(suffix[3:-1]))
    return Literal(value)


def documents(lines: Iterable[str], batch: int = 20000) -> Iterator[str]:
    """The lines ("S P O") as N-Triples documents of at most `batch` lines each."""
    lines = iter(lines)
    while chunk := list(islice(lines, batch)):
        yield " .\n".join(chunk) + " .\n"

