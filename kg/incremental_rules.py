"""Incremental OWL 2 RL: bring a built query store up to date with a few changed asserted graphs.

A full closure (kg/rules.py `closure_lines`) re-derives every triple of the corpus even when one article
changed: about 80 s at 10,000 articles. `update_closure` instead changes, in place, a store laid out as
`kg query` reads a build (kg/oxigraph_engine.py `_fill`: each asserted named graph, the inferred graph
`kg:graph/inferred`, and in the default graph the merge of them all) into exactly the store the full
build of the new inputs would give, and returns the inferred graph's delta. The rules are rules.py's own
(GENERIC_RULES, chain_rules, CONSISTENCY_CHECKS), evaluated here with a changed shape:

Terms. B = the asserted triples (ontology included) plus the schema's closure T (owlrl's, of the ontology
alone); C = the closure of B under the rules; N = noise (kg/reasoning.py is_noise_text). The store's default
graph holds S = B_asserted + (C - N). The rules run in the default graph, W, which during the update holds
S plus L, the live noise: the noise triples of C that a rule or check pattern can match (their property or
class is marked live, rules.py `_liveness_updates`). For kg's ontology L is `x rdf:type _:r`, the blank
restriction Governor is equivalent to: `x holds a GovernorPost` gives `x a _:r` (cls-svf1), which gives
`x a kg:Governor` (cax-sco). Dead noise is never a premise, so leaving it out changes no other conclusion.

The schema patterns are matched in a working graph holding the ontology's lines and T, loaded together:
pyoxigraph names a blank node anew at every load, so the store's own copy of the ontology cannot be joined
with T's blank nodes (`_:r rdfs:subClassOf kg:Governor`). That is exact as long as no triple outside the
ontology and T matches a schema pattern, which is checked before and after (`_schema_in_data`).

The update (delete/rederive, Gupta, Mumick and Subrahmanian 1993, plus semi-naive insertion):

0. L is rebuilt: a fixpoint of the rules whose head is `?x a ?c` with the class bound by the schema to a
   blank node (the only live noise kind the guards let through), over S: cheap, the schema picks the few
   restrictions first. By induction over derivations, this is exactly the live noise of C.
1. The asserted named graphs get their removed and added lines. Del = removed triples no graph asserts
   any more and T does not hold; Ins = added triples W does not hold.
2. Over-delete, against the old W: D = Del, then every head of a rule instance with a premise in the last
   round's new part of D and the other premises in W (semi-naive: one body variant per data pattern), that
   is in W, not asserted and not in T, until no new head. A triple still asserted is never over-deleted:
   this stops the cascade at asserted hubs (`x a kg:Person` of a registry entry).
3. D leaves W; Ins enters W.
4. Rederive, one step per over-deleted triple: a triple of D whose rule body matches in W (now without D)
   goes back. Each query starts from D's triples, so the work is proportional to |D|, not to the store.
5. Semi-naive insertion from Ins and the rederived triples to a fixpoint.

Why exact: every triple of C left in W after step 3 is still in C' (its derivation in C uses no triple of
D, by induction on derivation depth; the base case is a triple of B not in Del, so in B'). After step 4,
every rule instance whose premises all lie in W_old - D has its head in W (the head was in W_old: either
not in D, or rederived). So every instance over the new W with a premise outside W_old - D has a premise in
the seeds of step 5, and semi-naive evaluation from those seeds reaches the least fixpoint, C' (plus its
live noise). Soundness: every seed is in C'.

6. Consistency: a contradiction in the new closure must involve a triple new to W (the old store was
   consistent: the last build succeeded), so the checks run with one pattern in the added triples and give
   owlrl's messages, as the full path does. On a contradiction, or if a guard fails after the fact, the store
   is put back as it was.
7. Noise added to W (L, dead heads) leaves the default graph unless asserted; the inferred graph changes
   for exactly the triples that moved (over-deleted, added, or whose asserted status changed): inferred iff
   in W, not noise and not asserted. Working graphs are dropped.

`update_closure` returns None, having changed nothing, when it cannot be exact: the ontology changed; an
axiom the rules do not cover (rules.unsupported_axioms, rules._UNSUPPORTED_QUERY); a trivial class
(owl:Thing, ...) or rdf:type itself live, which would make noise of every node a premise; a blank node, a
schema triple, or an rdf:/rdfs:/owl:/xsd: term in a data position among the changed lines; a schema triple
in the data (before or after). The caller then builds in full.

Assumption (as kg emits its data, README "Data uses no blank nodes"): the stored data triples hold no blank
node and no rdf:/rdfs:/owl:/xsd: IRI as subject or object (other than an rdf:type class): such a triple
could give live noise of another kind than the one L is rebuilt for. The changed lines are checked for it.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.graph import ReadOnlyGraphAggregate

from . import vocabulary as V
from .errors import InconsistencyError
from .reasoning import TRIVIAL_CLASS_TEXTS, error_messages, inconsistency_problems, is_noise_text
from .rules import (_LIVE, _LIVE_CLASS, _LIVE_PROPERTY, _PREFIXES, _UNSUPPORTED_QUERY, CONSISTENCY_CHECKS, GENERIC_RULES, Rule, _RdflibText,
                    _Terms, _graph, _liveness_updates, _terms_of, _triggers, _triple_patterns, chain_rules, delta_variants)
from .ntriples import parse_term, term

_W = "urn:kg:incremental:"  # every working graph's IRI starts so (and rules.py's live marks, urn:kg:reasoning:live)
_SCHEMA = _W + "schema"  # the ontology's lines and the schema's closure, loaded together
_NOISE = _W + "live-noise"  # L, the live noise rebuilt in step 0
_NOISE_DELTA = _W + "live-noise-delta:"
_REMOVED = _W + "removed"  # every removed line, of any graph
_ADDED_LINES = _W + "asserted"  # every added line, of any graph
_OVERDELETED = _W + "overdeleted"  # D
_OVERDELETE_DELTA = _W + "overdelete-delta:"
_ADDED = _W + "added"  # every triple put into the default graph during the update
_DELTA = _W + "delta:"

_INFERRED = str(V.INFERRED_GRAPH)
_ONTOLOGY = str(V.ONTOLOGY_GRAPH)
_VOCABULARY = ("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/2000/01/rdf-schema#",
               "http://www.w3.org/2002/07/owl#", "http://www.w3.org/2001/XMLSchema#")
_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@dataclass
class InferredDelta:
    """How the inferred graph changed, as kg's N-Triples lines ("S P O", rdflib's text)."""

    removed: set[str]
    added: set[str]
    stats: dict[str, float] = field(default_factory=dict)  # seconds per step and sizes, for measuring


def update_closure(store, changes: dict[str, tuple[set[str], set[str]]], ontology_lines: Iterable[str], schema: Graph,
                   origins: dict | None = None) -> InferredDelta | None:
    """Update `store` (laid out as kg/oxigraph_engine.py `_fill` makes it, holding the last build) in place
    to the store of the build whose asserted graphs are the old ones with `changes` applied, and return the
    inferred graph's delta; None (the store untouched) when that cannot be done exactly (see the module
    docstring): the caller builds in full.

    `changes`: asserted graph IRI -> (removed lines, added lines), kg's "S P O" text, each line really
    removed from / added to that graph (a new graph: all its lines added; a dropped one: all removed).
    `ontology_lines`: the ontology graph's lines (unchanged); `schema`: its closure (kg/schema_cache.py
    schema_closure, or SchemaCache.closure), whose blank nodes are labelled as in those lines. `origins`:
    node IRI -> (file, line), for the problems of an InconsistencyError, which is raised, with the store put
    back as it was, whenever the full build would raise it."""
    import pyoxigraph as ox

    started = time.perf_counter()
    stats: dict[str, float] = {}
    changes = {graph: (set(removed), set(added)) for graph, (removed, added) in changes.items() if removed or added}
    if _INFERRED in changes or any(graph.startswith("urn:kg:") for graph in changes):
        raise ValueError("changes are to asserted graphs only")
    if _ONTOLOGY in changes or not _plain_data(changes):
        return None
    ontology_lines = list(ontology_lines)
    ontology = _graph(" .\n".join(ontology_lines) + " .\n")
    # as closure_lines asks it: of the asserted and (here) inferred triples, not of the schema's closure,
    # which owlrl fills with reflexive owl:sameAs
    if error_messages(schema) or store.query(_UNSUPPORTED_QUERY):
        return None
    rules = dict(GENERIC_RULES)
    rules.update(chain_rules(ReadOnlyGraphAggregate([ontology, schema])))  # not ontology + schema: a copy of both
    session = _Session(store, rules, stats)
    try:
        session.load_schema(ontology_lines, schema)
        if not session.liveness_is_simple() or session.schema_in_data():
            return None
        session.rebuild_live_noise()
        session.apply(changes)
        session.overdelete()
        session.rederive_and_insert()
        messages = session.contradictions()
        if messages:
            session.roll_back()
            raise InconsistencyError(inconsistency_problems(messages, origins or {}))
        if session.schema_in_data() or store.query(_UNSUPPORTED_QUERY):
            session.roll_back()
            return None
        removed, added = session.finish()
        session.committed = True
    finally:
        if not session.committed and not session.rolled_back:
            session.roll_back()  # nothing to undo if it had not started; else every step so far
        session.drop_working_graphs()
    stats["total"] = time.perf_counter() - started
    texts = _RdflibText(_Terms())
    return InferredDelta({_kg_text(line, texts) for line in removed}, {_kg_text(line, texts) for line in added}, stats)


def _plain_data(changes: dict[str, tuple[set[str], set[str]]]) -> bool:
    """Whether every changed line is data of the kind the update handles: no blank node, no schema
    property, no rdf:/rdfs:/owl:/xsd: term but a predicate (rdfs:label, rdf:type, ...) or the class
    of an rdf:type triple outside those namespaces."""
    for removed, added in changes.values():
        for line in (*removed, *added):
            subject, predicate, obj = line.split(" ", 2)
            if "_:" in (subject[:2], predicate[:2], obj[:2]):
                return False
            if subject.startswith("<") and subject[1:].startswith(_VOCABULARY):
                return False
            if obj.startswith("<") and obj[1:].startswith(_VOCABULARY):
                return False  # as a class too: x a owl:Class, owl:Thing, owl:TransitiveProperty...
            if predicate[1:-1] in _SCHEMA_PREDICATES:
                return False
    return True


def _schema_patterns() -> list[str]:
    patterns = []
    for rule in [*GENERIC_RULES.values(), *CONSISTENCY_CHECKS.values()]:
        patterns.extend(p for p in _triple_patterns(rule.schema) if p not in patterns)
    return patterns


def _expand(name: str) -> str:
    prefix, local = name.split(":", 1)
    return {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
            "owl": "http://www.w3.org/2002/07/owl#"}[prefix] + local


_SCHEMA_PATTERNS = _schema_patterns()
_SCHEMA_PREDICATES = {_expand(_terms_of(p)[1]) for p in _SCHEMA_PATTERNS if _terms_of(p)[1] != "rdf:type"} | {
    "http://www.w3.org/2002/07/owl#equivalentClass", "http://www.w3.org/2002/07/owl#equivalentProperty",
    "http://www.w3.org/2002/07/owl#propertyChainAxiom", "http://www.w3.org/1999/02/22-rdf-syntax-ns#first",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest"}


def _in_schema(patterns: Iterable[str]) -> str:
    """Schema patterns matched in the working schema graph; FILTERs stay as they are."""
    return " ".join(p if p.startswith("FILTER") else f"GRAPH <{_SCHEMA}> {{ {p} }}" for p in patterns)


def _asserted(triple: str) -> str:
    """A SPARQL condition: some asserted named graph holds `triple` ("s p o ." pattern)."""
    return f'EXISTS {{ GRAPH ?asserting {{ {triple} }} FILTER(?asserting != <{_INFERRED}> && !STRSTARTS(STR(?asserting), "urn:kg:")) }}'


def _variants(rule: Rule, delta: str) -> list[str]:
    """Semi-naive bodies: one per data pattern, that pattern matched in `delta`, the others in W
    (kg/rules.py delta_variants: the delta's pattern first)."""
    return delta_variants(rule.data, delta)


class _Session:
    def __init__(self, store, rules: dict[str, Rule], stats: dict[str, float]) -> None:
        self.store, self.rules, self.stats = store, rules, stats
        self.applied: list = []  # (quads removed, quads added) of the named graphs, to roll back
        self.committed = self.rolled_back = False
        # every working graph this session may have written, so that dropping them need not list the store's
        # graphs: a name read off RocksDB costs a random read, and at 10,000 articles there are 20,000 names
        self.working = {_SCHEMA, _LIVE, _NOISE, _REMOVED, _ADDED_LINES, _OVERDELETED, _ADDED}
        self.clock = time.perf_counter()

    def _lap(self, step: str) -> None:
        now = time.perf_counter()
        self.stats[step] = self.stats.get(step, 0.0) + now - self.clock
        self.clock = now

    def _update(self, text: str) -> None:
        self.store.update(_PREFIXES + text)

    def _working(self, graph: str) -> str:
        """`graph`, a working graph about to be written, remembered to be dropped."""
        self.working.add(graph)
        return graph

    def _drop(self, graph: str) -> None:
        self._update(f"DROP SILENT GRAPH <{graph}>")
        self.working.discard(graph)

    def _any(self, graph: str) -> bool:
        return bool(self.store.query(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"))

    def _count(self, graph: str) -> int:
        import pyoxigraph as ox

        return sum(1 for _ in self.store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))

    def _rounds(self, delta_prefix: str, insert) -> int:
        """Semi-naive rounds from the graph `delta_prefix`0 until one derives nothing: for each rule and
        each body variant joined with the last round's delta, the update `insert(head, body, schema
        patterns, filters, next delta graph)`; the deltas are dropped. Returns the number of rounds."""
        delta, round_ = self._working(f"{delta_prefix}0"), 0
        while self._any(delta):
            following = self._working(f"{delta_prefix}{round_ + 1}")
            for rule in self.rules.values():
                for body in _variants(rule, delta):
                    self._update(insert(rule.head, body, _in_schema(rule.schema), rule.filters, following))
            self._drop(delta)
            delta, round_ = following, round_ + 1
        self._drop(delta)
        return round_

    # ----------------------------------------------------------------- the schema and its liveness

    def load_schema(self, ontology_lines: list[str], schema: Graph) -> None:
        import pyoxigraph as ox

        suffix = f" <{_SCHEMA}> .\n"
        text = "".join(line + suffix for line in ontology_lines)
        text += "".join(f"{term(s)} {term(p)} {term(o)}{suffix}" for s, p, o in schema
                        if not isinstance(s, Literal) and isinstance(p, URIRef))
        self.store.load(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS)  # one load: one set of blank nodes
        for update in _liveness_updates(self.rules, _LIVE, schema_where=_in_schema):
            self.store.update(update)
        self._lap("schema and liveness")

    def liveness_is_simple(self) -> bool:
        """Whether the only live noise the schema allows is `x a _:b`: rdf:type is no live property (every
        `x a owl:Thing` would be live) and no trivial class is live."""
        live = f"<{_LIVE}>"
        return not self.store.query(
            f"ASK {{ GRAPH {live} {{ {{ <{_TYPE}> a <{_LIVE_PROPERTY}> }} UNION {{ ?c a <{_LIVE_CLASS}> VALUES ?c {{ {' '.join(TRIVIAL_CLASS_TEXTS)} }} }} }} }}")

    def schema_in_data(self) -> bool:
        """Whether a triple outside the ontology and the schema's closure matches a schema pattern (one the
        data asserts, or the rules derived from it): then the schema graph is not all the schema."""
        for pattern in _SCHEMA_PATTERNS:
            if self.store.query(f"{_PREFIXES}ASK {{ GRAPH ?g {{ {pattern} }} FILTER(?g != <{_ONTOLOGY}> && !STRSTARTS(STR(?g), \"urn:kg:\")) "
                                f"FILTER NOT EXISTS {{ GRAPH <{_SCHEMA}> {{ {pattern} }} }} }}"):
                return True
            if self.store.query(f"{_PREFIXES}ASK {{ GRAPH <{_ADDED}> {{ {pattern} }} FILTER NOT EXISTS {{ GRAPH <{_SCHEMA}> {{ {pattern} }} }} }}"):
                return True
        return False

    # ----------------------------------------------------------------- step 0: the live noise

    def _noise_rules(self) -> list[Rule]:
        """The rules whose head is `?x a ?c` with ?c bound by the schema: those that can derive `x a _:b`."""
        found = []
        for rule in self.rules.values():
            _, predicate, obj = _terms_of(rule.head)
            bound = {t for p in _triple_patterns(rule.schema) for t in _terms_of(p)}
            if predicate == "rdf:type" and obj.startswith("?") and obj in bound:
                found.append(rule)
        return found

    def rebuild_live_noise(self) -> None:
        rules = self._noise_rules()
        round_, bodies = 0, {id(rule): [" ".join(rule.data)] for rule in rules}
        while True:
            delta = self._working(f"{_NOISE_DELTA}{round_}")
            for rule in rules:
                obj = _terms_of(rule.head)[2]
                for body in bodies[id(rule)]:
                    self._update(f"INSERT {{ {rule.head} GRAPH <{_NOISE}> {{ {rule.head} }} GRAPH <{delta}> {{ {rule.head} }} }}\n"
                                 f"WHERE {{ {_in_schema(rule.schema)} FILTER(isBlank({obj}) && {_triggers(rule.head)}) {body} {rule.filters} "
                                 f"FILTER NOT EXISTS {{ {rule.head} }} }}")
            if round_:
                self._drop(f"{_NOISE_DELTA}{round_ - 1}")
            if not self._any(delta):
                self._drop(delta)
                break
            bodies = {id(rule): _variants(rule, delta) for rule in rules}
            round_ += 1
        self.stats["live noise triples"] = self._count(_NOISE)
        self._lap("0 rebuild live noise")

    # ----------------------------------------------------------------- step 1: the asserted graphs

    def apply(self, changes: dict[str, tuple[set[str], set[str]]]) -> None:
        import pyoxigraph as ox

        for graph, (removed, added) in sorted(changes.items()):
            removed_quads = _quads(removed, graph)
            added_quads = _quads(added, graph)
            self.applied.append((removed_quads, added_quads))
            for quad in removed_quads:
                self.store.remove(quad)
            for quad in added_quads:
                self.store.add(quad)
        text = "".join(f"{line} <{_REMOVED}> .\n" for removed, _ in changes.values() for line in removed)
        text += "".join(f"{line} <{_ADDED_LINES}> .\n" for _, added in changes.values() for line in added)
        self.store.load(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS)
        self._lap("1 apply changes")

    # ----------------------------------------------------------------- step 2: over-delete

    def overdelete(self) -> None:
        delta = self._working(f"{_OVERDELETE_DELTA}0")
        self._update(f"INSERT {{ GRAPH <{_OVERDELETED}> {{ ?s ?p ?o }} GRAPH <{delta}> {{ ?s ?p ?o }} }}\n"
                     f"WHERE {{ GRAPH <{_REMOVED}> {{ ?s ?p ?o }} FILTER EXISTS {{ ?s ?p ?o }} FILTER(!{_asserted('?s ?p ?o')}) "
                     f"FILTER NOT EXISTS {{ GRAPH <{_SCHEMA}> {{ ?s ?p ?o }} }} }}")
        round_ = self._rounds(_OVERDELETE_DELTA, lambda head, body, schema, filters, following: (
            f"INSERT {{ GRAPH <{_OVERDELETED}> {{ {head} }} GRAPH <{following}> {{ {head} }} }}\n"
            f"WHERE {{ {body} {schema} {filters} FILTER EXISTS {{ {head} }} "
            f"FILTER NOT EXISTS {{ GRAPH <{_OVERDELETED}> {{ {head} }} }} FILTER(!{_asserted(head)}) "
            f"FILTER NOT EXISTS {{ GRAPH <{_SCHEMA}> {{ {head} }} }} }}"))
        self.stats["over-deleted"] = self._count(_OVERDELETED)
        self.stats["over-delete rounds"] = round_
        self._lap("2 over-delete")

    # ----------------------------------------------------------------- steps 3-5

    def rederive_and_insert(self) -> None:
        delta = self._working(f"{_DELTA}0")
        self._update(f"DELETE {{ ?s ?p ?o }} WHERE {{ GRAPH <{_OVERDELETED}> {{ ?s ?p ?o }} }}")
        self._update(f"INSERT {{ ?s ?p ?o GRAPH <{_ADDED}> {{ ?s ?p ?o }} GRAPH <{delta}> {{ ?s ?p ?o }} }}\n"
                     f"WHERE {{ GRAPH <{_ADDED_LINES}> {{ ?s ?p ?o }} FILTER NOT EXISTS {{ ?s ?p ?o }} }}")
        self._lap("3 delete and add")
        for rule in self.rules.values():
            head = rule.head
            self._update(f"INSERT {{ {head} GRAPH <{_ADDED}> {{ {head} }} GRAPH <{delta}> {{ {head} }} }}\n"
                         f"WHERE {{ GRAPH <{_OVERDELETED}> {{ {head} }} {_in_schema(rule.schema)} {' '.join(rule.data)} {rule.filters} "
                         f"FILTER NOT EXISTS {{ {head} }} }}")
        self.stats["rederived"] = self._count(delta)
        self._lap("4 rederive")
        round_ = self._rounds(_DELTA, lambda head, body, schema, filters, following: (
            f"INSERT {{ {head} GRAPH <{_ADDED}> {{ {head} }} GRAPH <{following}> {{ {head} }} }}\n"
            f"WHERE {{ {body} {schema} {filters} FILTER NOT EXISTS {{ {head} }} }}"))
        self.stats["added to W"] = self._count(_ADDED)
        self.stats["insert rounds"] = round_
        self._lap("5 insert")

    # ----------------------------------------------------------------- step 6: consistency

    def contradictions(self) -> list[str]:
        messages = set()
        for check in CONSISTENCY_CHECKS.values():
            for body in _variants(Rule("", (), check.data), _ADDED):
                results = self.store.query(f"{_PREFIXES}SELECT DISTINCT * WHERE {{ {_in_schema(check.schema)} {body} }}")
                names = [variable.value for variable in results.variables]
                for solution in results:
                    messages.add(check.message.format(**{name: str(parse_term(str(solution[name]))) for name in names}))
        self._lap("6 consistency")
        return sorted(messages)

    def roll_back(self) -> None:
        """The default graph and the asserted graphs as they were before the update."""
        self._update(f"DELETE {{ ?s ?p ?o }} WHERE {{ GRAPH <{_ADDED}> {{ ?s ?p ?o }} }}")
        self._update(f"INSERT {{ ?s ?p ?o }} WHERE {{ GRAPH <{_OVERDELETED}> {{ ?s ?p ?o }} }}")
        self._update(f"DELETE {{ ?s ?p ?o }} WHERE {{ GRAPH <{_NOISE}> {{ ?s ?p ?o }} }}")
        for removed_quads, added_quads in reversed(self.applied):
            for quad in added_quads:
                self.store.remove(quad)
            for quad in removed_quads:
                self.store.add(quad)
        self.applied = []
        self.rolled_back = True

    # ----------------------------------------------------------------- step 7

    def finish(self) -> tuple[set[str], set[str]]:
        """Noise out of the default graph, the inferred graph brought up to date; its delta as pyoxigraph's lines."""
        import pyoxigraph as ox

        store = self.store
        default = ox.DefaultGraph()
        for graph in (_ADDED, _NOISE):
            for quad in list(store.quads_for_pattern(None, None, None, ox.NamedNode(graph))):
                s, p, o = quad.subject, quad.predicate, quad.object
                if is_noise_text(str(s), str(p), str(o)) and not self._is_asserted(s, p, o):
                    store.remove(ox.Quad(s, p, o, default))
        inferred = ox.NamedNode(_INFERRED)
        candidates = {}
        for graph in (_OVERDELETED, _ADDED, _REMOVED, _ADDED_LINES):
            for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
                candidates[(quad.subject, quad.predicate, quad.object)] = None
        removed, added = set(), set()
        for s, p, o in candidates:
            line = f"{s} {p} {o}"
            if is_noise_text(str(s), str(p), str(o)):
                continue
            was = ox.Quad(s, p, o, inferred) in store
            now = ox.Quad(s, p, o, default) in store and not self._is_asserted(s, p, o)
            if was and not now:
                store.remove(ox.Quad(s, p, o, inferred))
                removed.add(line)
            elif now and not was:
                store.add(ox.Quad(s, p, o, inferred))
                added.add(line)
        self._lap("7 finish")
        return removed, added

    def _is_asserted(self, s, p, o) -> bool:
        for quad in self.store.quads_for_pattern(s, p, o, None):
            name = quad.graph_name
            if hasattr(name, "value") and name.value != _INFERRED and not name.value.startswith("urn:kg:"):
                return True
        return False

    def drop_working_graphs(self) -> None:
        import pyoxigraph as ox

        for graph in sorted(self.working):
            self.store.remove_graph(ox.NamedNode(graph))  # a graph never written is no error


def _quads(lines: Iterable[str], graph: str) -> list:
    import pyoxigraph as ox

    text = "".join(f"{line} <{graph}> .\n" for line in lines)
    return list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS)) if text else []


def _kg_text(line: str, texts: _RdflibText) -> str:
    subject, predicate, obj = line.split(" ", 2)
    return f"{subject} {predicate} {obj if obj.startswith('<') else texts[obj]}"
