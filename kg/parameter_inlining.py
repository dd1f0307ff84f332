"""A saved query's parameter written into the query as its value, where that provably gives the answers
of binding it with a VALUES block first in the WHERE block.

pyoxigraph does not carry a VALUES binding into UNION branches and later patterns, and plans a constant
far better (figure-citations at 1,000 articles: 120 ms with VALUES, 34 ms written in). The reader below
follows the query's structure just far enough to prove the two forms equal (see _ParameterReader) and
refuses everything else, in which case kg/oxigraph_engine.py keeps the VALUES block. The tokens come
from kg/sparql_text.py, so a `?name` inside a string, IRI or comment is never taken for the variable.
tests/test_parameter_binding.py compares both forms on every saved query and on each refusal.
"""
from __future__ import annotations

from typing import NamedTuple

from .sparql_text import tokens, unescape


class VariableUse(NamedTuple):
    """One occurrence of a parameter's variable in the query text and what a constant is written as there:
    a bare SELECT item keeps its column as `(term AS ?name)`, a bare ORDER BY key becomes `(term)`, any
    other occurrence is the term itself."""

    start: int
    end: int
    role: str  # "projected", "ordered" or "term"


class Inlining(NamedTuple):
    """Where ?name stands in the query, and why writing the parameter's value there instead of binding
    it with a VALUES block first in the WHERE block could change the answers (None: it cannot)."""

    name: str
    uses: tuple[VariableUse, ...]
    refusal: str | None


# Constructs whose answers depend on more than the value a variable ends up with, or which this reader
# does not follow: subqueries (a second SELECT), MINUS (its shared variables), VALUES, EXISTS, GRAPH,
# SERVICE, FROM, LATERAL. A bare word or prefix *containing* one counts, as in network_clauses.
_NOT_INLINED = ("SELECT", "MINUS", "VALUES", "EXISTS", "GRAPH", "SERVICE", "FROM", "LATERAL")
_GROUPING = ("GROUP", "HAVING", "COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE")
# Between triple patterns: punctuation, blank node and collection brackets, digits and signs of numbers.
# Everything else there (`* + ? / | ^ !` of property paths, `<<` of quoted triples) is refused: a
# zero-length path from a constant matches it even when the graph does not hold it.
_TRIPLE_PUNCTUATION = set(".;,[]()-0123456789")
_TRIPLE_WORDS = {"a", "true", "false"}


class _Refused(Exception):
    pass


def inlining(text: str, name: str) -> Inlining:
    """How `?name` (or `$name`) may be replaced by a constant: its uses, and a refusal when the constant
    would not give exactly the answers of `VALUES (?name) { (constant) }` first in the WHERE block."""
    plain, ends = unescape(text)
    if ends is not None:
        return Inlining(name, (), "the query holds \\u escapes")
    reader = _ParameterReader(plain, name)
    try:
        reader.read()
    except _Refused as refusal:
        return Inlining(name, reader.every_use(), str(refusal))
    return Inlining(name, tuple(reader.uses), None)


def inline(text: str, terms: dict[str, tuple[Inlining, str]]) -> str:
    """The text with each use of each variable replaced by its SPARQL term (see VariableUse)."""
    replacements = sorted(((use, name, term) for name, (found, term) in terms.items() for use in found.uses),
                          key=lambda item: item[0].start)
    out, position = [], 0
    for use, name, term in replacements:
        written = {"projected": f"({term} AS ?{name})", "ordered": f"({term})"}.get(use.role, term)
        out.append(text[position:use.start])
        out.append(f" {written} ")  # spaces: never glued to a neighbouring token
        position = use.end
    out.append(text[position:])
    return "".join(out)


class _ParameterReader:
    """Reads a SELECT query's structure just far enough to prove that `?name` equals one constant
    wherever it is read. The argument, with V the one-row VALUES binding and P[c] a pattern with the
    constant written in: in the WHERE block V is joined first, so everything after it sees ?name = c.
    A nested group, UNION branch or OPTIONAL group B is evaluated on its own (bottom-up) and then
    joined; Join(V, B) equals B[c] with the column added when ?name in B is read only
    * in triple patterns (a pattern with the constant finds exactly the matches whose value is c),
    * in a FILTER of B when a triple pattern of B itself binds ?name (so B's filter sees the value c
      or the row is dropped by the join anyway), or of an OPTIONAL whose left side binds it (an
      OPTIONAL's own filters are tested on the joined row),
    * in a BIND, or anywhere inside an OPTIONAL, only after a triple pattern of the same group bound
      it (an OPTIONAL that finds another value is not the same as one that finds none).
    Outside the WHERE block every row has ?name = c: a projected ?name becomes (c AS ?name), an
    ORDER BY key the constant. Grouping only sees ?name through the WHERE block, or is refused."""

    def __init__(self, text: str, name: str):
        self.name = name
        self.tokens = [match for match in tokens(text) if match.lastgroup not in ("space", "comment")]
        self.uses: list[VariableUse] = []
        self.position = 0

    # ------------------------------------------------------------------ tokens

    def _peek(self, offset: int = 0):
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def _next(self):
        token = self._peek()
        if token is None:
            raise _Refused("the query ends early")
        self.position += 1
        return token

    @staticmethod
    def _keyword(token) -> str:
        if token is None:
            return ""
        if token.lastgroup == "word":
            return token.group().upper()
        if token.lastgroup == "pname" and token.group("prefix"):
            return token.group("prefix").upper()
        return ""

    @staticmethod
    def _is(token, character: str) -> bool:
        return token is not None and token.lastgroup == "other" and token.group() == character

    def _is_parameter(self, token) -> bool:
        return token is not None and token.lastgroup == "variable" and token.group()[1:] == self.name

    def _use(self, token, role: str = "term") -> None:
        self.uses.append(VariableUse(token.start(), token.end(), role))

    # ------------------------------------------------------------------ the query

    def read(self) -> None:
        keywords = [self._keyword(token) for token in self.tokens]
        for refused in _NOT_INLINED:
            found = sum(refused in keyword for keyword in keywords)
            if found > (1 if refused == "SELECT" else 0):
                raise _Refused("the query holds a subquery" if refused == "SELECT" else f"the query holds {refused}")
        if not any("SELECT" in keyword for keyword in keywords):
            raise _Refused("not a SELECT query")
        grouped = any(word in keyword for keyword in keywords for word in _GROUPING)
        while not ("SELECT" in self._keyword(self._peek())):
            self._next()  # the prologue: PREFIX and BASE declarations, no variables
        self._next()
        outside = self._projection()
        if self._keyword(self._peek()) == "WHERE":
            self._next()
        if not self._is(self._peek(), "{"):
            raise _Refused("no WHERE block after the projection")
        self._group(bound=True, filters_see_outer=True)
        outside += self._modifiers()
        if outside and grouped:
            raise _Refused(f"?{self.name} is used outside the WHERE block of a query with grouping or aggregates")

    def every_use(self) -> tuple[VariableUse, ...]:
        """After a refusal: the uses read so far, and the rest of ?name's occurrences as plain terms
        (what the tests substitute to show that the refusal matters)."""
        read = {use.start: use for use in self.uses}
        return tuple(read.get(token.start(), VariableUse(token.start(), token.end(), "term"))
                     for token in self.tokens if self._is_parameter(token))

    def _projection(self) -> int:
        """The SELECT clause; how many uses of ?name it has."""
        found, depth, previous = 0, 0, None
        while True:
            token = self._peek()
            if token is None or (depth == 0 and (self._is(token, "{") or self._keyword(token) == "WHERE")):
                return found
            self._next()
            if self._is(token, "("):
                depth += 1
            elif self._is(token, ")"):
                depth -= 1
            elif self._is(token, "*") and depth == 0:
                raise _Refused("SELECT * would lose the parameter's column")
            elif self._is_parameter(token):
                if self._keyword(previous) == "AS":
                    raise _Refused(f"?{self.name} is assigned with AS")
                self._use(token, "projected" if depth == 0 else "term")
                found += 1
            previous = token

    def _modifiers(self) -> int:
        """GROUP BY, HAVING and ORDER BY after the WHERE block; how many uses of ?name they have."""
        found, depth, clause = 0, 0, ""
        while (token := self._peek()) is not None:
            self._next()
            keyword = self._keyword(token)
            if depth == 0 and keyword in ("LIMIT", "OFFSET"):
                # which rows are kept among rows ORDER BY ranks equal follows the plan, which the constant changes
                raise _Refused(f"the query has {keyword}")
            if depth == 0 and keyword in ("GROUP", "HAVING", "ORDER"):
                clause = keyword
            elif self._is(token, "("):
                depth += 1
            elif self._is(token, ")"):
                depth -= 1
            elif self._is(token, "{") or self._is(token, "}"):
                raise _Refused("something follows the WHERE block")
            elif self._is_parameter(token):
                if self._keyword(self.tokens[self.position - 2]) == "AS":
                    raise _Refused(f"?{self.name} is assigned with AS")
                self._use(token, "ordered" if clause == "ORDER" and depth == 0 else "term")
                found += 1
        return found

    # ------------------------------------------------------------------ the WHERE block

    def _group(self, bound: bool, filters_see_outer: bool) -> bool:
        """A `{ ... }` group pattern from its `{`: whether ?name occurs in it. `bound`: ?name has the
        constant's value from the group's start (the WHERE block, where V comes first);
        `filters_see_outer`: the group's own filters are tested on rows where it has (an OPTIONAL's)."""
        self._next()  # {
        mentioned = bound_by_triples = filtered = False
        while True:
            token = self._peek()
            keyword = self._keyword(token)
            if self._is(token, "}"):
                self._next()
                break
            if self._is(token, "{"):
                while True:
                    mentioned |= self._group(bound=False, filters_see_outer=False)
                    if self._keyword(self._peek()) != "UNION":
                        break
                    self._next()
                    if not self._is(self._peek(), "{"):
                        raise _Refused("UNION without a group")
            elif keyword == "OPTIONAL":
                self._next()
                if not self._is(self._peek(), "{"):
                    raise _Refused("OPTIONAL without a group")
                if self._group(bound=False, filters_see_outer=bound):
                    if not bound:
                        raise _Refused(f"?{self.name} is in an OPTIONAL before its group binds it")
                    mentioned = True
            elif keyword == "FILTER":
                self._next()
                if self._constraint():
                    mentioned = filtered = True
            elif keyword == "BIND":
                self._next()
                if self._bind():
                    if not bound:
                        raise _Refused(f"?{self.name} is read by a BIND before its group binds it")
                    mentioned = True
            elif keyword == "UNION":
                raise _Refused("UNION without a group")
            elif self._triple_token():
                mentioned = bound = bound_by_triples = True
        if filtered and not (bound_by_triples or filters_see_outer):
            raise _Refused(f"?{self.name} is read by a FILTER of a group that does not bind it")
        return mentioned

    def _triple_token(self) -> bool:
        """One token of triple patterns (a typed literal with its datatype); whether it is ?name."""
        token = self._next()
        kind = token.lastgroup
        if self._is_parameter(token):
            self._use(token)
            return True
        if kind == "string":
            if self._is(self._peek(), "^") and self._is(self._peek(1), "^"):
                self._next()
                self._next()
                if self._peek() is None or self._peek().lastgroup not in ("iri", "pname"):
                    raise _Refused("a datatype that is no IRI")
                self._next()
            return False
        if kind in ("iri", "pname", "variable", "bnode", "language"):
            return False
        if kind == "word" and token.group() in _TRIPLE_WORDS:
            return False
        if kind == "other" and token.group() in _TRIPLE_PUNCTUATION:
            return False
        raise _Refused(f"{token.group()!r} in the triple patterns (a property path or a construct this reader does not follow)")

    def _constraint(self) -> bool:
        """A FILTER's constraint: `( expression )` or a function call; whether ?name occurs in it."""
        token = self._peek()
        if token is not None and token.lastgroup in ("word", "pname", "iri") and self._is(self._peek(1), "("):
            self._next()
        if not self._is(self._peek(), "("):
            raise _Refused("a FILTER that is not bracketed")
        return self._expression()

    def _bind(self) -> bool:
        if not self._is(self._peek(), "("):
            raise _Refused("a BIND that is not bracketed")
        return self._expression()

    def _expression(self) -> bool:
        """Balanced brackets from `(`; whether ?name occurs in them (never as BOUND's or AS's variable)."""
        depth, mentioned = 0, False
        while True:
            token = self._next()
            if self._is(token, "("):
                depth += 1
            elif self._is(token, ")"):
                depth -= 1
                if depth == 0:
                    return mentioned
            elif self._is(token, "{") or self._is(token, "}"):
                raise _Refused("a group inside an expression")
            elif self._is_parameter(token):
                before = self._keyword(self.tokens[self.position - 2])
                if before == "AS":
                    raise _Refused(f"?{self.name} is assigned with AS")
                if self._is(self.tokens[self.position - 2], "(") and "BOUND" in self._keyword(self.tokens[self.position - 3]):
                    raise _Refused(f"BOUND(?{self.name}) takes a variable")
                self._use(token)
                mentioned = True
