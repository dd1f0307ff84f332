"""The schema's OWL 2 RL closure (owlrl's, of the ontology alone), kept in build/cache/schema/.

The fast rules (kg/rules.py) start from owlrl's closure of the ontology: a few hundred triples, but
about a second of owlrl, and its import, on every build, most of the reasoning of a small corpus.
That closure depends only on the ontology's triples, on owlrl (its version) and on kg's reasoning
code, so it is kept under a digest of exactly those: a build whose ontology did not change reads it
back, and an edited ontology or an upgraded owlrl has a new digest and is closed again.

An entry starts with the SHA-256 of its name (its key) and the rest, as the article cache's do
(kg/store.py with_checksum), so a damaged entry, or one under another key's name, is never read: the
closure is computed again and the entry rewritten.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from .ntriples import parse_term, term

CACHE_DIR = Path("cache") / "schema"
_FORMAT = b"kg-schema-closure-1"
# The modules whose code decides the closure and how it is kept.
_CODE = ("rules.py", "reasoning.py", "schema_cache.py", "ntriples.py")


class SchemaCache:
    """build/cache/schema/ of one build directory: read only if `readable` (`kg build --force` is not),
    written only if `writable` (`kg validate` writes nothing)."""

    def __init__(self, build_dir: Path, readable: bool = True, writable: bool = True) -> None:
        self.directory = build_dir / CACHE_DIR
        self.readable, self.writable = readable, writable

    def closure(self, ontology: Graph | Callable[[], Graph], ontology_lines: Iterable[str]) -> Graph:
        """schema_closure(ontology), from the cache if it is there; `ontology_lines`, its N-Triples
        lines, key the entry. `ontology` may be given as a function that makes it: only a closure that
        is missing from the cache needs the graph (parsing it costs every incremental build 20 ms)."""
        path = self.directory / f"{_key(ontology_lines)}.nt"
        cached = _read(path) if self.readable else None
        if cached is not None:
            return cached
        closure = schema_closure(ontology if isinstance(ontology, Graph) else ontology())
        if self.writable:
            _write(path, closure)
        return closure


def schema_closure(ontology: Graph) -> Graph:
    """owlrl's closure of `ontology`, the triples a store can hold (no literal subject, an IRI
    predicate): the rules load it into pyoxigraph and read nothing else of it."""
    from .rules import tbox_inferences

    return _storable(tbox_inferences(ontology))


def _storable(closure: Graph) -> Graph:
    kept = Graph()
    for triple in closure:
        if not isinstance(triple[0], Literal) and isinstance(triple[1], URIRef):
            kept.add(triple)
    return kept


def _key(ontology_lines: Iterable[str]) -> str:
    from .article_stage import code_digest

    digest = hashlib.sha256(code_digest(_FORMAT, _CODE))
    digest.update("\n".join(sorted(ontology_lines)).encode("utf-8"))
    return digest.hexdigest()


def _write(path: Path, closure: Graph) -> None:
    from .store import keep_entry

    # "\n" only between lines: term() escapes line breaks inside a literal
    keep_entry(path, "\n".join(sorted(f"{term(s)} {term(p)} {term(o)}" for s, p, o in closure)).encode("utf-8"))


def _read(path: Path) -> Graph | None:
    from .store import read_entry

    body = read_entry(path)
    if body is None:
        return None
    closure = Graph()
    terms: dict[str, object] = {}
    for line in body.decode("utf-8").split("\n") if body else ():
        closure.add(tuple(terms[text] if text in terms else terms.setdefault(text, parse_term(text))
                          for text in line.split(" ", 2)))
    return closure
