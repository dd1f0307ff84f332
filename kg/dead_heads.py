"""The closure's dead heads of one-pattern rules, derived in Python from the closed store's triples as text.

A dead head is a derived triple that no rule or check can read (kg/rules.py): it is found once, on
the closed store, and never written to it while the rounds run. Most rules that make them
(cax-sco, prp-dom, prp-rng, prp-spo1, ...) join a small schema with one data pattern. Asked of
pyoxigraph as a CONSTRUCT, that took 16 s at 10,000 articles (1.5 million heads, each checked
against the store and written as text); here the schema's matches are read once, and one pass over
the triples' text, which the build holds anyway, makes every head: a dictionary lookup per triple.

A rule this module cannot read (several data patterns, a filter other than `!isLiteral`) is left
to the CONSTRUCT (kg/rules.py `_dead_heads`), as is a schema match that is a blank node.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .reasoning import is_noise_text

_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_NOT_LITERAL = re.compile(r"FILTER\(!isLiteral\((\?\w+)\)\)")


@dataclass(frozen=True)
class OnePatternRule:
    """A rule's head and its one data pattern as (subject, predicate, object) terms, each a variable
    ("?x") or an IRI ("<...>"); and whether the data pattern's object must not be a literal."""

    head: tuple[str, str, str]
    data: tuple[str, str, str]
    object_not_literal: bool


def one_pattern_rule(head: str, data: tuple[str, ...], filters: str) -> OnePatternRule | None:
    """The rule in the form dead_heads reads, or None if it has another form."""
    if len(data) != 1:
        return None
    not_literal = set(_NOT_LITERAL.findall(filters))
    if _NOT_LITERAL.sub("", filters).strip():
        return None
    head_terms, data_terms = _terms(head), _terms(data[0])
    if head_terms is None or data_terms is None:
        return None
    subject, predicate, obj = data_terms
    if not subject.startswith("?") or len({subject, predicate, obj}) < 3:
        return None  # a constant subject, or a variable twice: not a shape the pass below matches
    if not_literal - {subject, obj}:
        return None
    # a subject is never a literal: only the object's filter can fail
    return OnePatternRule(head_terms, data_terms, obj in not_literal)


def _terms(pattern: str) -> tuple[str, str, str] | None:
    parts = pattern.split()
    if len(parts) != 4 or parts[3] != ".":
        return None
    subject, predicate, obj = (_TYPE if part == "a" else part for part in parts[:3])
    if not all(t.startswith(("?", "<")) for t in (subject, predicate, obj)):
        return None  # a prefixed name or a literal in a pattern: left to the CONSTRUCT
    return subject, predicate, obj


# A head to make from a data triple: its subject, predicate and object, "S" and "O" standing for the
# data triple's subject and object; and whether a literal object rules the triple out.
_Template = tuple[str, str, str, bool]


@dataclass
class _Producers:
    """The head templates of each data predicate, or of each (predicate, object) for a pattern whose
    object the schema binds (rdf:type's class, cls-hv2's value); the heads' predicates and classes."""

    by_predicate: dict[str, list[_Template]] = field(default_factory=dict)
    by_object: dict[tuple[str, str], list[_Template]] = field(default_factory=dict)
    object_predicates: set[str] = field(default_factory=set)
    head_predicates: set[str] = field(default_factory=set)
    head_classes: set[str] = field(default_factory=set)


def dead_heads(rules: Iterable[tuple[OnePatternRule, list[dict[str, str]]]], triples: Callable[[], Iterable[str]],
               to_text: Callable[[str], str]) -> set[str]:
    """Every head, not noise, of `rules` that is not among `triples`: each rule with its schema's matches
    (variable -> term, as pyoxigraph writes it; `to_text` turns such a term into the triples' form);
    `triples()` gives every triple of the closed store as "S P O", as kg/ntriples.py writes them."""
    producers = _Producers()
    for rule, rows in rules:
        for row in rows:
            _add_producer(producers, rule, {variable: to_text(value) for variable, value in row.items()})
    if not producers.by_predicate and not producers.by_object:
        return set()
    made: set[str] = set()
    existing: set[str] = set()  # the triples a head could be: only those need looking up
    make, keep = made.add, existing.add
    by_predicate, by_object, object_predicates = producers.by_predicate, producers.by_object, producers.object_predicates
    head_predicates, head_classes = producers.head_predicates, producers.head_classes
    for line in triples():
        subject, predicate, obj = line.split(" ", 2)
        if predicate in head_predicates or (predicate == _TYPE and obj in head_classes):
            keep(line)
        templates = by_predicate.get(predicate)
        if templates:
            _make(templates, subject, obj, make)
        if predicate in object_predicates:
            templates = by_object.get((predicate, obj))
            if templates:
                _make(templates, subject, obj, make)
    made -= existing
    return {line for line in made if not is_noise_text(*line.split(" ", 2))}


def _make(templates: list[_Template], subject: str, obj: str, make: Callable[[str], None]) -> None:
    for head_subject, head_predicate, head_object, object_not_literal in templates:
        if object_not_literal and obj.startswith('"'):
            continue
        s = subject if head_subject == "S" else obj if head_subject == "O" else head_subject
        o = subject if head_object == "S" else obj if head_object == "O" else head_object
        make(f"{s} {head_predicate} {o}")


def _add_producer(producers: _Producers, rule: OnePatternRule, row: dict[str, str]) -> None:
    """The template that one match of the schema gives the rule."""
    data_subject, data_predicate, data_object = rule.data

    def bound(term: str) -> str:
        if not term.startswith("?"):
            return term
        if term not in row:
            raise ValueError(f"{rule}: {term} is bound by neither the schema nor the data pattern")
        return row[term]

    head_subject, head_predicate, head_object = ("S" if term == data_subject else "O" if term == data_object else bound(term)
                                                 for term in rule.head)
    if "S" == head_predicate or "O" == head_predicate:
        raise ValueError(f"{rule}: the head's predicate must be bound by the schema")
    template = (head_subject, head_predicate, head_object, rule.object_not_literal)
    if head_predicate == _TYPE and head_object not in ("S", "O"):
        producers.head_classes.add(head_object)
    else:
        producers.head_predicates.add(head_predicate)
    predicate = bound(data_predicate)
    if data_object in row or not data_object.startswith("?"):
        producers.object_predicates.add(predicate)
        producers.by_object.setdefault((predicate, bound(data_object)), []).append(template)
    else:
        producers.by_predicate.setdefault(predicate, []).append(template)
