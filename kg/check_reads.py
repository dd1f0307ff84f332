"""Which derived triples the build's checks can read: the reasoner's store, which they query, need hold no others.

The shape and anchor checks (kg/shapes.py) run in the reasoner's pyoxigraph store. At 10,000 articles,
1.5 million of the 1.9 million inferred triples are dead heads (kg/rules.py): types and properties of
the vocabularies the ontology aligns with (PROV-O, schema.org, ...) that no rule reads, and no check
either. Loading them into the store took 5.9 s of the build; they are written to the dataset all the same.

A check reads a triple only through a predicate on one of its shapes' paths (kg/shape_reach.py, which
the incremental check already relies on for the same reason) or, for rdf:type, through a class that the
shapes name: a target class, an sh:class (a class is reached through its subclasses too, but a dead
class has no superclass, or cax-sco would read it). The anchors' check reads seven predicates. When the
shapes' reach cannot be bounded, or a SPARQL constraint may read a type, every such triple is loaded.
A problem's annotation line is looked up through any triple that points at its node, so a build that
finds a problem loads the rest and checks again (kg/build.py), and reports what a full store gives.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import URIRef
from rdflib.namespace import RDF

from . import vocabulary as V

_TYPE = f"<{RDF.type}>"
_SH_SELECT = URIRef("http://www.w3.org/ns/shacl#select")
# a SPARQL constraint that may name a type (`a`, rdf:type): its classes are in its text, not in the shapes' graph
_MAY_READ_TYPES = re.compile(r"\ba\b|\brdf:type\b|22-rdf-syntax-ns#type")


@dataclass(frozen=True)
class CheckReads:
    """The predicates (N-Triples text, "<iri>") whose triples the checks can read, and the classes whose
    rdf:type triples they can (None: any class)."""

    predicates: frozenset[str]
    classes: frozenset[str] | None

    def __call__(self, line: str) -> bool:
        """Whether the checks can read this triple ("S P O", as kg/ntriples.py writes it)."""
        _, predicate, obj = line.split(" ", 2)
        if predicate == _TYPE:
            return self.classes is None or obj in self.classes
        return predicate in self.predicates


def check_reads(project_root: Path, shapes_dir: Path, reach_cache: Path | None) -> CheckReads | None:
    """What the checks of the project's shapes can read, or None if that cannot be bounded. The shapes'
    reach is kept in `reach_cache` (it takes rdflib's SPARQL parser, a quarter of a second, to work out)."""
    from .shape_reach import Unbounded
    from .shapes import _ANCHOR_PATHS, _load_shapes, _reach_of

    shapes, _, problems, digest = _load_shapes(Path(shapes_dir), Path(project_root))
    if problems:
        return None  # the check reports them; nothing is skipped
    try:
        reach = _reach_of(shapes, digest, reach_cache)()
    except Unbounded:
        return None
    steps = {step for path in reach.paths | reach.target_paths | _ANCHOR_PATHS for step in path}
    predicates = {f"<{predicate}>" for predicate, _ in steps} | {f"<{predicate}>" for predicate in reach.global_predicates}
    classes = None
    if not any(_MAY_READ_TYPES.search(str(select)) for select in shapes.objects(None, _SH_SELECT)):
        classes = frozenset({f"<{node}>" for node in shapes.all_nodes() if isinstance(node, URIRef)} | {f"<{V.KG.Anchor}>"})
    return CheckReads(frozenset(predicates), classes)
