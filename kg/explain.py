"""`kg query NAME --explain`: the words behind every answer, and how reasoning got there.

For every answer row: the statements that support it, each with its quote highlighted in
its paragraph, the article's title, publisher and date, and the character offsets. For a fact
of the row that only reasoning produced (it is in the inferred graph), the axiom that produced
it — inverse, property chain, transitive or sub-property, subclass or someValuesFrom
restriction — and the asserted facts it came from, with their quotes where they have one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from . import vocabulary as V
from .querying import QueryResult
from .results import short

KG, OA = V.KG, V.OA
MAX_STATEMENTS = 6


@dataclass
class Evidence:
    statement: URIRef
    speaker: str
    quote: str
    start: int
    end: int
    document: URIRef
    title: str
    publisher: str
    date: str
    paragraph: str
    paragraph_start: int


@dataclass
class Derivation:
    fact: tuple
    axiom: str
    premises: list[tuple] = field(default_factory=list)  # (fact, how: "asserted" or a nested Derivation)


@dataclass
class RowExplanation:
    row: dict
    evidence: list[Evidence]
    derivations: list[Derivation]


class Explainer:
    def __init__(self, dataset: Dataset, project_root: Path):
        self.dataset = dataset
        self.root = project_root
        self.inferred = dataset.graph(V.INFERRED_GRAPH)
        self.asserted = Graph()
        for context in dataset.graphs():
            if context.identifier != V.INFERRED_GRAPH:
                for triple in context:
                    self.asserted.add(triple)
        self.everything = self.asserted + self.inferred
        self._texts: dict[str, str] = {}

    # ------------------------------------------------------------------ evidence

    def _text(self, relative: str) -> str:
        if relative not in self._texts:
            try:
                self._texts[relative] = (self.root / relative).read_text(encoding="utf-8")
            except OSError:
                self._texts[relative] = ""
        return self._texts[relative]

    def evidence(self, statement: URIRef) -> Evidence | None:
        g = self.everything
        quote = g.value(statement, KG.hasQuote)
        anchor = g.value(quote, KG.anchoredAt) if quote else None
        document = g.value(statement, KG.reportedIn)
        if anchor is None or document is None:
            return None
        start = end = None
        for selector in g.objects(anchor, OA.hasSelector):
            if (selector, RDF.type, OA.TextPositionSelector) in g:
                start, end = int(g.value(selector, OA.start)), int(g.value(selector, OA.end))
        if start is None:
            return None
        text = self._text(str(g.value(document, KG.textFile) or ""))
        paragraph_start, paragraph_end = _context(text, start, end)
        paragraph = text[paragraph_start:paragraph_end]
        speaker = g.value(statement, KG.statedBy)
        publisher = g.value(document, KG.publisher)
        return Evidence(
            statement=statement,
            speaker=str(g.value(speaker, RDFS.label) or short(speaker)),
            quote=str(g.value(quote, KG.exactText) or ""),
            start=start,
            end=end,
            document=document,
            title=str(g.value(document, RDFS.label) or short(document)),
            publisher=str(g.value(publisher, RDFS.label) or "") if publisher else "",
            date=str(g.value(document, KG.publishedOn) or ""),
            paragraph=paragraph,
            paragraph_start=paragraph_start,
        )

    def supporting_statements(self, values: list[URIRef]) -> list[URIRef]:
        g = self.everything
        direct = [v for v in values if (v, RDF.type, KG.Statement) in g]
        if direct:
            return sorted(set(direct))[:MAX_STATEMENTS]
        scores: dict[URIRef, int] = {}
        for value in set(values):
            for prop in (KG.statedBy, KG.cites, KG.about, KG.reportedIn, KG.addressee):
                for statement in g.subjects(prop, value):
                    if (statement, RDF.type, KG.Statement) in g:
                        scores[statement] = scores.get(statement, 0) + 1
        best = max(scores.values(), default=0)
        return sorted(s for s, n in scores.items() if n == best)[:MAX_STATEMENTS]

    # ------------------------------------------------------------------ derivations

    def derive(self, fact: tuple, depth: int = 3, seen: frozenset = frozenset()) -> Derivation | None:
        """One way `fact` follows from the ontology's axioms, if it is an inferred fact.

        Rules whose premises are asserted are preferred; `seen` keeps a derivation from
        going round in circles (cites -> citedBy -> cites).
        """
        if fact not in self.inferred or fact in self.asserted:
            return None
        seen = seen | {fact}
        s, p, o = fact
        g = self.everything
        if p == RDF.type:
            return self._derive_type(s, o, depth, seen)
        candidates: list[tuple[str, list[tuple]]] = []
        for inverse in sorted(set(g.objects(p, OWL.inverseOf)) | set(g.subjects(OWL.inverseOf, p)), key=str):
            if (o, inverse, s) in g:
                candidates.append((f"inverse property: {short(p)} owl:inverseOf {short(inverse)}", [(o, inverse, s)]))
        for sub in sorted(g.subjects(RDFS.subPropertyOf, p), key=str):
            if sub != p and (s, sub, o) in g:
                candidates.append((f"sub-property: {short(sub)} rdfs:subPropertyOf {short(p)}", [(s, sub, o)]))
        for chain in g.objects(p, OWL.propertyChainAxiom):
            steps = list(Collection(g, chain))
            path = self._path(s, steps, o)
            if path:
                names = " ".join(short(step) for step in steps)
                candidates.append((f"property chain: {short(p)} owl:propertyChainAxiom ({names})", path))
        if (p, RDF.type, OWL.TransitiveProperty) in g:
            for middle in sorted(g.objects(s, p), key=str):
                if middle not in (s, o) and (middle, p, o) in g:
                    candidates.append((f"transitive property: {short(p)}", [(s, p, middle), (middle, p, o)]))
        candidates = [(axiom, premises) for axiom, premises in candidates if not any(f in seen for f in premises)]
        # the inverse of an inferred fact only restates it: use it when nothing else explains the fact
        substantive = [c for c in candidates if not (c[0].startswith("inverse") and c[1][0] not in self.asserted)]
        candidates = substantive or candidates
        if not candidates:
            return Derivation(fact, "OWL 2 RL (no single axiom found)", [])
        # fewest inferred premises first: the explanation closest to the annotations
        axiom, premises = min(candidates, key=lambda c: sum(f not in self.asserted for f in c[1]))
        return Derivation(fact, axiom, [self._premise(f, depth, seen) for f in premises])

    def _derive_type(self, s, cls, depth: int, seen: frozenset) -> Derivation:
        g = self.everything
        for restriction in g.objects(cls, OWL.equivalentClass):
            prop, filler = g.value(restriction, OWL.onProperty), g.value(restriction, OWL.someValuesFrom)
            if prop is None or filler is None:
                continue
            for value in g.objects(s, prop):
                if (value, RDF.type, filler) in g:
                    return Derivation((s, RDF.type, cls), f"someValuesFrom restriction: {short(cls)} ≡ {short(prop)} some {short(filler)}",
                                      [self._premise((s, prop, value), depth, seen), self._premise((value, RDF.type, filler), depth, seen)])
        for sub in g.subjects(RDFS.subClassOf, cls):
            if sub != cls and (s, RDF.type, sub) in self.asserted:
                return Derivation((s, RDF.type, cls), f"subclass: {short(sub)} rdfs:subClassOf {short(cls)}", [self._premise((s, RDF.type, sub), depth, seen)])
        for prop in g.subjects(RDFS.domain, cls):
            for value in self.asserted.objects(s, prop):
                return Derivation((s, RDF.type, cls), f"domain: {short(prop)} rdfs:domain {short(cls)}", [self._premise((s, prop, value), depth, seen)])
        for prop in g.subjects(RDFS.range, cls):
            for subject in self.asserted.subjects(prop, s):
                return Derivation((s, RDF.type, cls), f"range: {short(prop)} rdfs:range {short(cls)}", [self._premise((subject, prop, s), depth, seen)])
        for sub in g.subjects(RDFS.subClassOf, cls):
            if sub != cls and (s, RDF.type, sub) in g:
                return Derivation((s, RDF.type, cls), f"subclass: {short(sub)} rdfs:subClassOf {short(cls)}", [self._premise((s, RDF.type, sub), depth, seen)])
        return Derivation((s, RDF.type, cls), "OWL 2 RL (no single axiom found)", [])

    def _premise(self, fact: tuple, depth: int, seen: frozenset):
        if fact in self.asserted or depth <= 0:
            return (fact, "asserted" if fact in self.asserted else "inferred")
        return (fact, self.derive(fact, depth - 1, seen) or "asserted")

    def _path(self, start, steps: list, end) -> list[tuple] | None:
        if not steps:
            return [] if start == end else None
        for middle in sorted(self.everything.objects(start, steps[0]), key=str):
            rest = self._path(middle, steps[1:], end)
            if rest is not None:
                return [(start, steps[0], middle)] + rest
        return None

    # ------------------------------------------------------------------ rows

    def explain(self, result: QueryResult, query_text: str) -> list[RowExplanation]:
        # only the facts the query itself asks about: its kg: classes and properties
        words = set(re.findall(r"\bkg:([A-Za-z]+)", query_text))
        classes = {KG[w] for w in words if w[0].isupper()}
        properties = {KG[w] for w in words if w[0].islower()}
        explanations = []
        for row in result.rows:
            values = [v for v in row if isinstance(v, URIRef)]
            evidence = [e for e in (self.evidence(s) for s in self.supporting_statements(values)) if e]
            derivations: list[Derivation] = []
            values = sorted(set(values), key=str)
            for a in values:
                for cls in sorted(classes, key=str):
                    derivation = self.derive((a, RDF.type, cls))
                    if derivation:
                        derivations.append(derivation)
                for b in values:
                    if a == b:
                        continue
                    for p in sorted(set(self.inferred.predicates(a, b)), key=str):
                        if p in properties:
                            derivation = self.derive((a, p, b))
                            if derivation:
                                derivations.append(derivation)
            explanations.append(RowExplanation(dict(zip(result.variables, row)), evidence, derivations))
        return explanations


# ---------------------------------------------------------------------- text


def _context(text: str, start: int, end: int, reach: int = 240) -> tuple[int, int]:
    """The paragraph around [start, end), trimmed to whole sentences within `reach` characters."""
    if not text:
        return 0, 0
    begin = max(text.rfind("\n", 0, start) + 1, 0)
    finish = text.find("\n", end)
    finish = len(text) if finish == -1 else finish
    if start - begin > reach:
        cut = text.rfind(". ", start - reach, start)
        begin = cut + 2 if cut != -1 else start
    if finish - end > reach:
        cut = text.find(". ", end, end + reach)
        finish = cut + 1 if cut != -1 else end
    return begin, finish


def render(explanations: list[RowExplanation], explainer: Explainer, color: bool = False) -> str:
    import click

    def highlight(text: str) -> str:
        return click.style(text, reverse=True, bold=True) if color else f"[[{text}]]"

    lines = []
    for number, item in enumerate(explanations, 1):
        cells = ", ".join(f"{k}={_clip(short(v))}" for k, v in item.row.items() if v is not None)
        lines.append(f"Row {number}: {cells}")
        for evidence in item.evidence:
            meta = ", ".join(filter(None, [evidence.publisher, evidence.date]))
            lines.append(f"  {evidence.speaker} in \"{evidence.title}\"" + (f" ({meta})" if meta else "")
                         + f", characters {evidence.start}-{evidence.end}  [{short(evidence.statement)}]")
            if evidence.paragraph:
                offset = evidence.start - evidence.paragraph_start
                length = evidence.end - evidence.start
                paragraph = evidence.paragraph
                marked = paragraph[:offset] + highlight(paragraph[offset:offset + length]) + paragraph[offset + length:]
                lines.append("    " + " ".join(marked.split()))
            else:
                lines.append(f"    \"{evidence.quote}\"")
        for derivation in item.derivations:
            _render_derivation(derivation, explainer, lines, "  ")
        lines.append("")
    return "\n".join(lines)


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fact(fact: tuple) -> str:
    return " ".join("a" if term == RDF.type else short(term) for term in fact)


def _render_derivation(derivation: Derivation, explainer: Explainer, lines: list[str], indent: str) -> None:
    lines.append(f"{indent}inferred: {_fact(derivation.fact)}")
    lines.append(f"{indent}  by {derivation.axiom}, from:")
    for fact, how in derivation.premises:
        if isinstance(how, Derivation):
            _render_derivation(how, explainer, lines, indent + "    ")
            continue
        lines.append(f"{indent}    {_fact(fact)}  ({how})")
        subject = fact[0]
        if how == "asserted" and (subject, RDF.type, KG.Statement) in explainer.everything:
            evidence = explainer.evidence(subject)
            if evidence:
                lines.append(f"{indent}      quote: \"{' '.join(evidence.quote.split())}\" ({evidence.title}, characters {evidence.start}-{evidence.end})")
