"""SHACL shapes as SPARQL queries run in pyoxigraph: the fast path of kg/shapes.py.

pySHACL checks one focus node at a time in Python, milliseconds each; on a corpus of a thousand
articles that is minutes. Every constraint kg's shapes use is a graph pattern, so each one is
compiled here into a single SPARQL SELECT that returns all its violations at once.

pySHACL stays the reference: `compile_shapes` raises `Unsupported` for anything outside the
subset below (another constraint component, a complex path, a shape without sh:message, whose
text pySHACL would make up), and kg/shapes.py then runs pySHACL. tests/test_shapes.py checks
that both report the same problems on the seeds and on every kind of broken graph.

Supported: targets sh:targetClass/targetNode/targetSubjectsOf/targetObjectsOf; paths that are an
IRI or sh:inversePath of one; sh:class, sh:datatype (the datatypes kg writes), sh:minLength,
sh:maxLength, sh:pattern, sh:lessThan, sh:minCount, sh:maxCount, sh:qualifiedValueShape with
sh:qualifiedMinCount/MaxCount, sh:node, sh:or, and sh:sparql SELECT constraints on node shapes.

`run_checks` can check some focus nodes only (an incremental build: kg/shape_reach.py finds which): each
query's target, and a SPARQL constraint's own WHERE group, start with FOCUS_MARK, which a VALUES block
of those nodes then replaces.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, XSD
from rdflib.term import Node

SH = "http://www.w3.org/ns/shacl#"


def sh(name: str) -> URIRef:
    return URIRef(SH + name)


class Unsupported(Exception):
    """The shapes use SHACL this module does not compile; pySHACL must check them."""


# sh:datatype is judged in Python on the rdflib graph, as pySHACL judges it: pyoxigraph stores
# integer-derived literals (xsd:nonNegativeInteger, ...) as xsd:integer, so SPARQL's datatype() would differ.
_PYTHON_TYPES = {XSD.string: str, XSD.integer: int, XSD.nonNegativeInteger: int, XSD.decimal: Decimal, XSD.boolean: bool,
                 XSD.date: date, XSD.gYear: None, XSD.gYearMonth: None, XSD.anyURI: None}


def has_datatype(value: Node, datatype: URIRef) -> bool:
    """pySHACL's sh:datatype test for the datatypes kg writes."""
    if not isinstance(value, Literal):
        return False
    if value.datatype is None and value.language is None:
        return datatype == XSD.string
    if value.datatype != datatype or getattr(value, "ill_typed", None) is True:
        return False
    expected = _PYTHON_TYPES[datatype]
    return expected is None or isinstance(value.value, expected)


_NON_CONSTRAINT = {RDF.type, RDFS.label, RDFS.comment, sh("message"), sh("severity"), sh("name"), sh("description"),
                   sh("order"), sh("group"), sh("path"), sh("property"), sh("targetClass"), sh("targetNode"),
                   sh("targetSubjectsOf"), sh("targetObjectsOf"), sh("flags"), sh("qualifiedValueShape"),
                   sh("qualifiedMinCount"), sh("qualifiedMaxCount"), sh("sparql"), sh("deactivated")}
_VALUE_CONSTRAINTS = {sh(name) for name in ("class", "datatype", "minLength", "maxLength", "pattern", "node", "or", "lessThan")}
_COUNT_CONSTRAINTS = {sh("minCount"), sh("maxCount")}
_OTHER_SH = {sh(name) for name in ("declare", "prefix", "namespace", "prefixes", "select", "inversePath")}


@dataclass(frozen=True)
class Check:
    """One SELECT ?this ?value returning every violation of one constraint of `shape`."""

    query: str
    shape: Node
    messages: tuple[str, ...]
    severity: URIRef
    reports_value: bool
    datatype: tuple[URIRef, URIRef, bool] | None = None  # (datatype, predicate, inverse): ?this are the focus nodes to test in Python
    bound: tuple[str, int] | None = None  # a count check's own condition, ("<" or ">", n): its query may return others' too
    counted: tuple[str, str] | None = None  # a count check's target and the pattern of its values (in ?value), see _shared_counts
    count: str = "count"  # the variable of the query's solutions that holds this check's count


class _Compiler:
    def __init__(self, shapes: Graph):
        self.shapes = shapes
        self.fresh = 0

    # ------------------------------------------------------------------ helpers

    def var(self, stem: str) -> str:
        self.fresh += 1
        return f"?{stem}{self.fresh}"

    def one(self, node: Node, predicate: URIRef) -> Node | None:
        values = list(self.shapes.objects(node, predicate))
        if len(values) > 1:
            raise Unsupported(f"{predicate} given more than once")
        return values[0] if values else None

    def integer(self, node: Node, predicate: URIRef) -> int | None:
        value = self.one(node, predicate)
        if value is None:
            return None
        if not isinstance(value, Literal) or not isinstance(value.toPython(), int):
            raise Unsupported(f"{predicate} is not an integer")
        return int(value.toPython())

    def path(self, shape: Node) -> tuple[str, bool]:
        """The path as SPARQL, and whether it is inverse."""
        path = self.one(shape, sh("path"))
        if isinstance(path, URIRef):
            return f"<{path}>", False
        if isinstance(path, BNode):
            inverse = self.one(path, sh("inversePath"))
            if isinstance(inverse, URIRef) and set(self.shapes.predicates(path)) == {sh("inversePath")}:
                return f"^<{inverse}>", True
        raise Unsupported("only IRI and sh:inversePath paths are compiled")

    def check_vocabulary(self, shape: Node) -> None:
        for predicate in self.shapes.predicates(shape):
            if str(predicate).startswith(SH) and predicate not in _NON_CONSTRAINT | _VALUE_CONSTRAINTS | _COUNT_CONSTRAINTS:
                raise Unsupported(f"{predicate} is not compiled")
        if (shape, sh("deactivated"), None) in self.shapes:
            raise Unsupported("sh:deactivated is not compiled")

    # ------------------------------------------------------------------ conformance (nested shapes)

    def value_violation(self, shape: Node, value: str, focus: str | None = None) -> list[str]:
        """FILTER expressions, each true when `value` breaks one value constraint of `shape`."""
        shapes = self.shapes
        expressions = []
        for cls in shapes.objects(shape, sh("class")):
            expressions.append(f"NOT EXISTS {{ {value} rdf:type/rdfs:subClassOf* <{cls}> }}")
        if (shape, sh("datatype"), None) in shapes and focus != "?this":
            raise Unsupported("sh:datatype is compiled only in a property shape of a node shape")
        for length in shapes.objects(shape, sh("minLength")):
            expressions.append(f"isBlank({value}) || STRLEN(STR({value})) < {self.integer(shape, sh('minLength'))}")
        for length in shapes.objects(shape, sh("maxLength")):
            expressions.append(f"isBlank({value}) || STRLEN(STR({value})) > {self.integer(shape, sh('maxLength'))}")
        for pattern in shapes.objects(shape, sh("pattern")):
            flags = self.one(shape, sh("flags"))
            arguments = _string(str(pattern)) + (f", {_string(str(flags))}" if flags is not None else "")
            expressions.append(f"isBlank({value}) || !REGEX(STR({value}), {arguments})")
        for other in shapes.objects(shape, sh("node")):
            expressions.append(f"!({self.conforms(other, value)})")
        for members in shapes.objects(shape, sh("or")):
            options = [self.conforms(member, value) for member in Collection(shapes, members)]
            if not options:
                raise Unsupported("empty sh:or")
            expressions.append("!(" + " || ".join(f"({option})" for option in options) + ")")
        if focus is not None:
            for other in shapes.objects(shape, sh("lessThan")):
                bound = self.var("bound")
                expressions.append(f"EXISTS {{ {focus} <{other}> {bound} FILTER(COALESCE(!({value} < {bound}), true)) }}")
        return expressions

    def conforms(self, shape: Node, node: str) -> str:
        """A SPARQL expression true when `node` conforms to the (nested) `shape`."""
        self.check_vocabulary(shape)
        if (shape, sh("sparql"), None) in self.shapes or (shape, sh("property"), None) in self.shapes:
            raise Unsupported("nested shapes with sh:sparql or sh:property are not compiled")
        failures = []
        if (shape, sh("path"), None) in self.shapes:
            path, _ = self.path(shape)
            value = self.var("v")
            for expression in self.value_violation(shape, value, node):
                failures.append(f"EXISTS {{ {node} {path} {value} FILTER({expression}) }}")
            minimum, maximum = self.integer(shape, sh("minCount")), self.integer(shape, sh("maxCount"))
            if minimum not in (None, 0, 1) or maximum is not None:
                raise Unsupported("nested counts other than sh:minCount 1 are not compiled")
            if minimum == 1:
                failures.append(f"NOT EXISTS {{ {node} {path} {self.var('v')} }}")
            qualified = self.one(shape, sh("qualifiedValueShape"))
            if qualified is not None:
                qmin, qmax = self.integer(shape, sh("qualifiedMinCount")), self.integer(shape, sh("qualifiedMaxCount"))
                if qmin != 1 or qmax is not None:
                    raise Unsupported("nested qualified counts other than sh:qualifiedMinCount 1 are not compiled")
                value = self.var("q")
                failures.append(f"NOT EXISTS {{ {node} {path} {value} FILTER({self.conforms(qualified, value)}) }}")
        else:
            failures += self.value_violation(shape, node)
            if any(True for p in (sh("minCount"), sh("maxCount"), sh("qualifiedValueShape"), sh("lessThan")) if (shape, p, None) in self.shapes):
                raise Unsupported("counts on a node shape")
        return "!(" + " || ".join(f"({failure})" for failure in failures) + ")" if failures else "true"

    # ------------------------------------------------------------------ top-level checks

    def target(self, shape: Node) -> str:
        shapes, parts = self.shapes, []
        if (shape, RDF.type, RDFS.Class) in shapes or (shape, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")) in shapes:
            raise Unsupported("implicit class targets are not compiled")
        for cls in shapes.objects(shape, sh("targetClass")):
            parts.append(f"{{ ?this rdf:type/rdfs:subClassOf* <{cls}> }}")
        for node in shapes.objects(shape, sh("targetNode")):
            if not isinstance(node, URIRef):
                raise Unsupported("literal sh:targetNode")
            parts.append(f"{{ VALUES ?this {{ <{node}> }} }}")
        for prop in shapes.objects(shape, sh("targetSubjectsOf")):
            parts.append(f"{{ ?this <{prop}> [] }}")
        for prop in shapes.objects(shape, sh("targetObjectsOf")):
            parts.append(f"{{ [] <{prop}> ?this }}")
        return "{ SELECT DISTINCT ?this WHERE { " + FOCUS_MARK + " UNION ".join(parts) + " } }" if parts else ""

    def checks_of(self, node_shape: Node) -> list[Check]:
        target = self.target(node_shape)
        if not target:
            return []
        self.check_vocabulary(node_shape)
        checks = [self.check(node_shape, target, "?this", expression, reports_value=False)
                  for expression in self.value_violation(node_shape, "?this")]
        if any((node_shape, p, None) in self.shapes for p in (sh("path"), sh("minCount"), sh("maxCount"), sh("qualifiedValueShape"), sh("lessThan"))):
            raise Unsupported("a node shape with a path or counts")
        for property_shape in self.shapes.objects(node_shape, sh("property")):
            checks += self.property_checks(property_shape, target)
        for constraint in self.shapes.objects(node_shape, sh("sparql")):
            checks.append(self.sparql_check(node_shape, constraint, target))
        return checks

    def property_checks(self, shape: Node, target: str) -> list[Check]:
        self.check_vocabulary(shape)
        if (shape, sh("property"), None) in self.shapes or (shape, sh("sparql"), None) in self.shapes:
            raise Unsupported("nested property shapes are not compiled")
        path, inverse = self.path(shape)
        checks = []
        for datatype in self.shapes.objects(shape, sh("datatype")):
            if datatype not in _PYTHON_TYPES:
                raise Unsupported(f"sh:datatype {datatype} is not compiled")
            predicate = self.one(self.one(shape, sh("path")), sh("inversePath")) if inverse else self.one(shape, sh("path"))
            query = _PREFIXES + f"SELECT DISTINCT ?this WHERE {{ {target} ?this {path} ?value }}"
            checks.append(Check(query, shape, self.messages(shape), self.severity(shape), True, (datatype, predicate, inverse)))
        for expression in self.value_violation(shape, "?value", "?this"):
            pattern = f"{target} ?this {path} ?value . FILTER({expression})"
            checks.append(Check(_select(pattern), shape, self.messages(shape), self.severity(shape), True))
        minimum, maximum = self.integer(shape, sh("minCount")), self.integer(shape, sh("maxCount"))
        if minimum:
            checks.append(self.count_check(shape, target, f"?this {path} ?value", ("<", minimum)))
        if maximum is not None:
            checks.append(self.count_check(shape, target, f"?this {path} ?value", (">", maximum)))
        qualified = self.one(shape, sh("qualifiedValueShape"))
        if qualified is not None:
            if (shape, sh("qualifiedValueShapesDisjoint"), None) in self.shapes:
                raise Unsupported("sh:qualifiedValueShapesDisjoint is not compiled")
            within = f"?this {path} ?value FILTER({self.conforms(qualified, '?value')})"
            qmin, qmax = self.integer(shape, sh("qualifiedMinCount")), self.integer(shape, sh("qualifiedMaxCount"))
            if qmin:
                checks.append(self.count_check(shape, target, within, ("<", qmin)))
            if qmax is not None:
                checks.append(self.count_check(shape, target, within, (">", qmax)))
        return checks

    def check(self, shape: Node, target: str, value: str, expression: str, reports_value: bool) -> Check:
        return Check(_select(f"{target} FILTER({expression})"), shape, self.messages(shape), self.severity(shape), reports_value)

    def count_check(self, shape: Node, target: str, values: str, bound: tuple[str, int]) -> Check:
        """`values`: a group pattern binding ?value to each value counted for ?this."""
        counted = (target, values)
        return Check(_count_query(target, [(values, [bound])]), shape, self.messages(shape), self.severity(shape), False, bound=bound, counted=counted)

    def sparql_check(self, node_shape: Node, constraint: Node, target: str) -> Check:
        select = self.one(constraint, sh("select"))
        if select is None or set(str(p) for p in self.shapes.predicates(constraint)) - {str(RDF.type), str(RDFS.comment), str(RDFS.label), SH + "select", SH + "message", SH + "prefixes"}:
            raise Unsupported("only sh:select SPARQL constraints with sh:message and sh:prefixes are compiled")
        text = str(select)
        projection = text[: text.upper().find("WHERE")] if "WHERE" in text.upper() else ""
        if not re.search(r"[$?]this\b", projection) or re.search(r"\$(?!this\b)\w", text):
            raise Unsupported("a SPARQL constraint must project $this and use no other pre-bound variable")
        reports_value = bool(re.search(r"[$?]value\b", projection))
        declarations = "".join(f"PREFIX {prefix}: <{namespace}>\n" for prefix, namespace in self.prefixes(constraint))
        if FOCUS_MARK.strip() in text:
            raise Unsupported(f"a SPARQL constraint holding {FOCUS_MARK.strip()!r}")
        body = _focus_marked(text.replace("$this", "?this"))
        columns = "?this ?value" if reports_value else "?this"
        query = declarations + _PREFIXES + f"SELECT {columns} WHERE {{ {target} {{ {body} }} }}"
        messages = self.messages(constraint, required=False) or self.messages(node_shape)
        if any(re.search(r"\{[?$]", message) for message in messages):
            raise Unsupported("message templates are not compiled")
        return Check(query, node_shape, messages, self.severity(node_shape), reports_value)

    def prefixes(self, constraint: Node) -> list[tuple[str, str]]:
        found = []
        for source in self.shapes.objects(constraint, sh("prefixes")):
            for declaration in self.shapes.objects(source, sh("declare")):
                prefix, namespace = self.one(declaration, sh("prefix")), self.one(declaration, sh("namespace"))
                if prefix is None or namespace is None:
                    raise Unsupported("incomplete sh:declare")
                found.append((str(prefix), str(namespace)))
        return sorted(found)

    def messages(self, shape: Node, required: bool = True) -> tuple[str, ...]:
        messages = tuple(sorted(str(message) for message in self.shapes.objects(shape, sh("message"))))
        if required and not messages:
            raise Unsupported("a shape without sh:message (pySHACL writes its own)")
        return messages

    def severity(self, shape: Node) -> URIRef:
        severity = self.one(shape, sh("severity"))
        return severity if isinstance(severity, URIRef) else sh("Violation")


# Where the focus nodes can be restricted (run_checks' `focus`): a comment at the start of each target's
# group and of a SPARQL constraint's, replaced there by a VALUES block. pyoxigraph evaluates a SPARQL
# constraint's sub-select before joining it with the target: restricting the target alone leaves it as
# slow as checking everything.
FOCUS_MARK = "# kg:focus\n"


def _focus_marked(select: str) -> str:
    """A SPARQL constraint's SELECT with FOCUS_MARK at the start of its WHERE group, where ?this is in
    scope in every solution (the constraint projects it); unmarked if its WHERE is not where expected."""
    where = select.upper().find("WHERE")
    if where < 0:
        return select
    after = select[where + len("WHERE"):]
    start = len(select) - len(after.lstrip())
    if not select.startswith("{", start):
        return select
    return select[:start + 1] + " " + FOCUS_MARK + select[start + 1:]


_PREFIXES = "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"


def _select(pattern: str) -> str:
    return _PREFIXES + f"SELECT ?this ?value WHERE {{ {pattern} }}" if "?value" in pattern else _PREFIXES + f"SELECT ?this WHERE {{ {pattern} }}"


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def compile_shapes(shapes: Graph) -> list[Check]:
    """Every constraint of every shape with a target, as a SPARQL check; Unsupported if any is beyond this module."""
    known = _NON_CONSTRAINT | _VALUE_CONSTRAINTS | _COUNT_CONSTRAINTS | _OTHER_SH
    for predicate in set(shapes.predicates()):
        if str(predicate).startswith(SH) and predicate not in known:
            raise Unsupported(f"{predicate} is not compiled")
    for node_type in set(shapes.objects(None, RDF.type)):
        if str(node_type).startswith(SH) and node_type not in (sh("NodeShape"), sh("PropertyShape"), sh("SPARQLConstraint")):
            raise Unsupported(f"{node_type} is not compiled")
    compiler = _Compiler(shapes)
    node_shapes = {s for p in (sh("targetClass"), sh("targetNode"), sh("targetSubjectsOf"), sh("targetObjectsOf")) for s in shapes.subjects(p, None)}
    if any((s, sh("path"), None) in shapes for s in node_shapes):
        raise Unsupported("property shapes with their own targets are not compiled")
    checks = []
    for shape in sorted(node_shapes, key=str):
        checks += compiler.checks_of(shape)
    return _shared_counts(checks)


def _count_query(target: str, counts: list[tuple[str, list[tuple[str, int]]]]) -> str:
    """The focus nodes of `target` that break a bound, with each count: ?count0, ?count1, ... for the
    value patterns of `counts` (each with the bounds on its count), in one pass over the focus nodes. The
    patterns are branches of one UNION, so a focus node gives a row per value, not per combination."""
    if len(counts) == 1:
        (values, bounds), = counts
        failing = " || ".join(f"?count {operator} {number}" for operator, number in bounds)
        return _PREFIXES + (f"SELECT ?this ?count WHERE {{ {{ SELECT ?this (COUNT(DISTINCT ?value) AS ?count) WHERE {{ {target} "
                            f"OPTIONAL {{ {values} }} }} GROUP BY ?this }} FILTER({failing}) }}")
    renamed = [_renamed_value(values, f"?value{number}") for number, (values, _) in enumerate(counts)]
    columns = " ".join(f"(COUNT(DISTINCT ?value{number}) AS ?count{number})" for number in range(len(counts)))
    branches = " UNION ".join(f"{{ {values} }}" for values in renamed)
    failing = " || ".join(f"?count{number} {operator} {bound}" for number, (_, bounds) in enumerate(counts) for operator, bound in bounds)
    return _PREFIXES + (f"SELECT ?this {' '.join(f'?count{number}' for number in range(len(counts)))} WHERE {{ {{ SELECT ?this {columns} "
                        f"WHERE {{ {target} OPTIONAL {{ {branches} }} }} GROUP BY ?this }} FILTER({failing}) }}")


def _renamed_value(pattern: str, name: str) -> str:
    """The pattern with its variable ?value renamed (the variable only: not text in an IRI or a string)."""
    from .sparql_text import tokens

    return "".join(name if token.lastgroup == "variable" and token.group() == "?value" else token.group() for token in tokens(pattern))


def _shared_counts(checks: list[Check]) -> list[Check]:
    """The checks, the count checks of one target sharing one query that returns the focus nodes that
    break any of their bounds, with every count. Working out the focus nodes and grouping the values by
    them is most of a count check's time (at 10,000 articles, the three counts of each of 155,000
    anchors: 4.7 s as three queries, 2.4 s as one); sh:minCount and sh:maxCount of one path count once."""
    patterns: dict[str, dict[str, list[tuple[str, int]]]] = {}
    for check in checks:
        if check.counted:
            target, values = check.counted
            patterns.setdefault(target, {}).setdefault(values, []).append(check.bound)
    shared = []
    for check in checks:
        if check.counted:
            target, values = check.counted
            counts = list(patterns[target].items())
            column = "count" if len(counts) == 1 else f"count{list(patterns[target]).index(values)}"
            check = replace(check, query=_count_query(target, counts), count=column)
        shared.append(check)
    return shared


# The compiler writes class membership as one path pattern alone in its group. Evaluated per value
# that path walks rdfs:subClassOf again each time; the classes it reaches are the same every time.
_CLASS_PATH = re.compile(r"\{ (\?\w+) rdf:type/rdfs:subClassOf\* <([^<>\s]+)> \}")


class _ClassSets:
    """Each class's subclasses in the store (the class itself included), to write class membership
    as `{ ?x rdf:type <A> } UNION { ?x rdf:type <B> } ...`: the same solutions as the path, its
    subclasses found once per class. A UNION of constant patterns is a lookup per class whether ?x is
    bound or not; pyoxigraph joins a VALUES block (or the path) inside NOT EXISTS against every
    instance of every class, per outer solution (62 s for one sh:class check at 10,000 articles, 0.1 s as a UNION)."""

    def __init__(self, store):
        self.store = store
        self.members: dict[str, list[str]] = {}

    def expand(self, text: str) -> str:
        return _CLASS_PATH.sub(self._membership, text)

    def _membership(self, match: re.Match) -> str:
        node, cls = match.group(1), match.group(2)
        if cls not in self.members:
            found = [row["t"] for row in self.store.query(_PREFIXES + f"SELECT DISTINCT ?t WHERE {{ ?t rdfs:subClassOf* <{cls}> }}")]
            # a blank node (a restriction class) cannot be written in the query: such a class keeps its path
            named = None if any(str(node).startswith("_:") for node in found) else {cls} | {node.value for node in found}
            self.members[cls] = sorted(named) if named else []
        if not self.members[cls]:
            return match.group(0)
        return "{ " + " UNION ".join(f"{{ {node} rdf:type <{iri}> }}" for iri in self.members[cls]) + " }"


def run_checks(checks: list[Check], store, failing_values, focus: Iterable | None = None) -> list[tuple]:
    """(focus, value, source shape, messages, severity) of every violation, as rdflib terms, in the order of
    `checks`; if `focus` is given (pyoxigraph terms, no blank node), only those of these focus nodes. The queries run on the store's default graph, which holds the data; sh:datatype asks
    `failing_values(datatype, predicate, inverse)` for the values (rdflib terms) without the datatype, by
    the N-Triples text of the node they are values of, and queries which of those nodes are focus nodes
    only if there are any: the values are judged in Python, and most often all of them pass.

    The checks only read the store, and pyoxigraph lets go of the GIL while it evaluates a query, so
    they run on a thread per core, each query once however many checks share it, and the values are
    judged in this thread meanwhile: `failing_values` may take as long as the queries. Each query works
    out its own focus nodes: with class membership written as a UNION, that costs less than filling a
    graph of every node shape's focus nodes first, which only one thread could do."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    if focus is not None:
        values = sorted(map(str, focus))  # str() of a pyoxigraph term is its N-Triples text, which SPARQL reads
        if not values:
            return []
        if any(value.startswith("_:") for value in values):
            raise ValueError("a blank node cannot be named in a query")
        block = "VALUES ?this { " + " ".join(values) + " }\n"
        checks = [replace(check, query=check.query.replace(FOCUS_MARK, block)) for check in checks]
    classes = _ClassSets(store)
    queries = [classes.expand(check.query) for check in checks]
    with ThreadPoolExecutor(min(len(os.sched_getaffinity(0)), 8)) as pool:
        answers = {}
        for check, query in zip(checks, queries):
            if not check.datatype and query not in answers:
                answers[query] = pool.submit(_solutions, store, query)
        failing = {}
        for number, (check, query) in enumerate(zip(checks, queries)):
            if check.datatype:
                failing[number] = failing_values(*check.datatype)
                if failing[number] and query not in answers:
                    answers[query] = pool.submit(_solutions, store, query)
        return [violation for number, (check, query) in enumerate(zip(checks, queries)) if query in answers
                for violation in _violations(check, answers[query].result(), failing.get(number))]


def _solutions(store, query: str) -> list:
    return list(store.query(query))


def _violations(check: Check, solutions: list, failing: dict[str, list[Node]] | None) -> list[tuple]:
    """The violations of one check among its query's solutions: for sh:datatype, those of the `failing`
    values whose node is a focus node; for a count, those that break the check's own bound."""
    from .oxigraph_terms import to_rdflib

    found = []
    for solution in solutions:
        if failing is not None:
            # str() of a pyoxigraph term is its N-Triples text (blank nodes, renamed by pyoxigraph, never match)
            failures = failing.get(str(solution["this"]), ())
            focus = to_rdflib(solution["this"]) if failures else None
            found += [(focus, value, check.shape, check.messages, check.severity) for value in failures]
        elif not check.bound or _breaks(check.bound, int(solution[check.count].value)):
            value = to_rdflib(solution["value"]) if check.reports_value else None
            found.append((to_rdflib(solution["this"]), value, check.shape, check.messages, check.severity))
    return found


def _breaks(bound: tuple[str, int], count: int) -> bool:
    operator, number = bound
    return count < number if operator == "<" else count > number
