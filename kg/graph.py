"""Turn a checked, anchored corpus into RDF: one graph for the registry, one per article.

Data never uses blank nodes: every node has an IRI derived from ids and offsets, so the
same annotations always give the same triples and exports can be compared by diff.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from . import vocabulary as V
from .anchoring import Span
from .annotations import Article, Corpus, Entity, Mention, Registry, Statement, Statistic

KG, KGR, OA, SKOS = V.KG, V.KGR, V.OA, V.SKOS


class NodeLines(dict):
    """Node IRI -> (file, line), looked up by an rdflib term or by the IRI string alike. Keys are kept
    as plain strings: a large build has hundreds of thousands of them, and strings are cheap to
    cache and load (kg/article_stage.py) where URIRefs are not."""

    def __contains__(self, node) -> bool:
        return super().__contains__(str(node))

    def __getitem__(self, node):
        return super().__getitem__(str(node))

    def get(self, node, default=None):
        return super().get(str(node), default)

    def setdefault(self, node, value):
        return super().setdefault(str(node), value)


@dataclass
class Origins:
    """Which annotation line produced each node, to point errors found later back at the source."""

    lines: NodeLines = field(default_factory=NodeLines)

    def note(self, node: URIRef, file: str, line: int) -> None:
        self.lines.setdefault(node, (file, line))


def entity_iri(identifier: str) -> URIRef:
    return KGR[identifier]


def statement_iri(document_id: str, statement_id: str) -> URIRef:
    return KGR[f"{document_id}/statement/{statement_id}"]


def date_literal(value: str) -> Literal:
    datatype = {4: XSD.gYear, 7: XSD.gYearMonth}.get(len(value), XSD.date)
    return Literal(value, datatype=datatype)


def decimal_literal(value: float) -> Literal:
    number = Decimal(str(value))
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    return Literal(str(number), datatype=XSD.decimal)


def new_graph() -> Graph:
    graph = Graph()
    for prefix, namespace in V.PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


# --------------------------------------------------------------------------- registry


def registry_graph(registry: Registry, origins: Origins, into=None) -> Graph:
    """The registry's triples, added to `into` (anything with an rdflib-like `add`, e.g. kg.ntriples.TripleLines)
    or to a new Graph."""
    graph = new_graph() if into is None else into
    for entity in registry.entities.values():
        _emit_entity(graph, entity)
        origins.note(entity_iri(entity.id), registry.path, entity.line)
    for statistic in registry.statistics.values():
        _emit_statistic(graph, statistic)
        origins.note(entity_iri(statistic.id), registry.path, statistic.line)
    return graph


def _emit_entity(graph: Graph, entity: Entity) -> None:
    node = entity_iri(entity.id)
    graph.add((node, RDF.type, KG[V.ENTITY_TYPES[entity.type]]))
    graph.add((node, RDFS.label, Literal(entity.name)))
    graph.add((node, SKOS.prefLabel, Literal(entity.name)))
    for alias in entity.aliases:
        if alias != entity.name:
            graph.add((node, SKOS.altLabel, Literal(alias)))
    if entity.description:
        graph.add((node, RDFS.comment, Literal(entity.description)))
    for key, items in entity.relations.items():
        prop = KG[V.RELATIONS[key][0]]
        for target, _line, _column in items:
            graph.add((node, prop, entity_iri(target)))
    if entity.scalars.get("post_kind") == "governor":
        graph.add((node, RDF.type, KG.GovernorPost))
    if "decision" in entity.scalars:
        graph.add((node, KG.decisionKind, KG[V.DECISION_KINDS[entity.scalars["decision"]]]))
    if "date" in entity.scalars:
        graph.add((node, KG.publishedOn, date_literal(entity.scalars["date"])))


def _emit_statistic(graph: Graph, statistic: Statistic) -> None:
    node = entity_iri(statistic.id)
    graph.add((node, RDF.type, KG.Statistic))
    label = statistic.measure + (f" ({statistic.population})" if statistic.population else "")
    graph.add((node, RDFS.label, Literal(label)))
    graph.add((node, KG.measure, Literal(statistic.measure)))
    graph.add((node, KG.unit, KG[V.UNITS[statistic.unit]]))
    graph.add((node, KG.approximate, Literal(statistic.approximate)))
    for prop, number in ((KG.value, statistic.value), (KG.lowerBound, statistic.lower_bound), (KG.upperBound, statistic.upper_bound)):
        if number is not None:
            graph.add((node, prop, decimal_literal(number)))
    if statistic.value is None:
        graph.add((node, KG.boundInclusive, Literal(statistic.bound_inclusive)))
    if statistic.population:
        graph.add((node, KG.population, Literal(statistic.population)))
    if statistic.place:
        graph.add((node, KG.place, entity_iri(statistic.place)))
    if statistic.period_start:
        graph.add((node, KG.periodStart, date_literal(statistic.period_start)))
    if statistic.period_end:
        graph.add((node, KG.periodEnd, date_literal(statistic.period_end)))
    for target in statistic.concerns:
        graph.add((node, KG.concerns, entity_iri(target)))
    if statistic.source:
        graph.add((node, KG.originalSource, entity_iri(statistic.source)))


# --------------------------------------------------------------------------- articles


class _ArticleEmitter:
    def __init__(self, article: Article, graph: Graph, origins: Origins, text_prefix: str):
        self.article = article
        self.graph = graph
        self.origins = origins
        self.document = entity_iri(article.id)
        self.text_prefix = text_prefix

    def anchor(self, span: Span, line: int) -> URIRef:
        node = KGR[f"{self.article.id}/anchor/{span.start}-{span.end}"]
        self.origins.note(node, self.article.annotation_path, line)
        quote_selector = URIRef(f"{node}/quote-selector")
        position_selector = URIRef(f"{node}/position-selector")
        add = self.graph.add
        add((node, RDF.type, KG.Anchor))
        add((node, KG.inDocument, self.document))
        add((node, OA.hasSelector, quote_selector))
        add((node, OA.hasSelector, position_selector))
        add((quote_selector, RDF.type, OA.TextQuoteSelector))
        add((quote_selector, OA.exact, Literal(span.exact)))
        add((quote_selector, OA.prefix, Literal(span.prefix)))
        add((quote_selector, OA.suffix, Literal(span.suffix)))
        add((position_selector, RDF.type, OA.TextPositionSelector))
        add((position_selector, OA.start, Literal(span.start, datatype=XSD.nonNegativeInteger)))
        add((position_selector, OA.end, Literal(span.end, datatype=XSD.nonNegativeInteger)))
        return node

    def mention(self, mention: Mention) -> None:
        span = mention.anchored.span
        target = self.document if mention.role in ("title", "date") else entity_iri(mention.target)
        node = KGR[f"{self.article.id}/mention/{span.start}-{span.end}/{mention.role}/{mention.target}"]
        self.graph.add((node, RDF.type, KG.Mention))
        self.graph.add((node, KG.refersTo, target))
        self.graph.add((node, KG.anchoredAt, self.anchor(span, mention.anchored.line)))
        self.graph.add((node, KG.exactText, Literal(span.exact)))
        self.origins.note(node, self.article.annotation_path, mention.anchored.line)
        surface = " ".join(span.exact.split())
        if mention.role in ("mention", "author", "publisher") and target != self.document:
            self.graph.add((target, SKOS.altLabel, Literal(surface)))

    def document_node(self) -> None:
        article, node, add = self.article, self.document, self.graph.add
        add((node, RDF.type, KG[V.ARTICLE_KINDS[article.kind]]))
        add((node, KG.textFile, Literal(f"{self.text_prefix}{article.text_name}")))
        add((node, KG.originalFileName, Literal(article.original_name)))
        add((node, KG.sha256, Literal(article.sha256)))
        if article.title and article.title.span:
            title = " ".join(article.title.span.exact.split())
            add((node, KG.title, Literal(title)))
            add((node, RDFS.label, Literal(title)))
            self.mention(Mention(article.id, article.title, "title"))
        else:
            add((node, RDFS.label, Literal(article.id)))
        for role, prop in (("publisher", KG.publisher), ("author", KG.author)):
            mention = getattr(article, role)
            if mention:
                add((node, prop, entity_iri(mention.target)))
                if mention.anchored and mention.anchored.span:
                    self.mention(mention)
        if article.date:
            add((node, KG.publishedOn, date_literal(article.date)))
            if article.date_anchor and article.date_anchor.span:
                self.mention(Mention(article.id, article.date_anchor, "date"))
        for source in article.derived_from:
            add((node, KG.derivedFrom, entity_iri(source)))
        self.origins.note(node, article.annotation_path, 1)

    def statement(self, statement: Statement) -> None:
        article, add = self.article, self.graph.add
        node = statement_iri(article.id, statement.id)
        quote = KGR[f"{article.id}/quote/{statement.id}"]
        span = statement.anchored.span
        add((node, RDF.type, KG.Statement))
        add((node, KG.statedBy, entity_iri(statement.speaker)))
        add((node, KG.hasQuote, quote))
        add((node, KG.reportedIn, self.document))
        add((quote, RDF.type, KG.Quote))
        add((quote, KG.exactText, Literal(span.exact)))
        add((quote, KG.anchoredAt, self.anchor(span, statement.anchored.line)))
        if statement.claim:
            add((node, KG.claim, Literal(statement.claim, lang="en")))
        if statement.form:
            add((node, KG.statementForm, KG[V.STATEMENT_FORMS[statement.form]]))
        if statement.medium:
            add((node, KG.medium, KG[V.MEDIA[statement.medium]]))
        if statement.addressee:
            add((node, KG.addressee, entity_iri(statement.addressee)))
        if statement.date:
            add((node, KG.statedOn, date_literal(statement.date)))
        if statement.event_date:
            add((node, KG.reportedEventDate, date_literal(statement.event_date)))
        for target in statement.about:
            add((node, KG.about, entity_iri(target)))
        for target in statement.cites:
            add((node, KG.cites, entity_iri(target)))
        for target in statement.names_source:
            add((node, KG.namesSource, entity_iri(target)))
        derivation = KG.quotes if statement.form == "direct" else KG.derivedFrom
        for target in statement.derived_from:
            if "#" in target:
                document, _, local = target.partition("#")
                add((node, derivation, statement_iri(document, local)))
            else:
                add((node, derivation, entity_iri(target)))
        self.origins.note(node, article.annotation_path, statement.line)
        self.origins.note(quote, article.annotation_path, statement.anchored.line)


def article_graph(article: Article, origins: Origins, text_prefix: str = "seeds/", into=None) -> Graph:
    graph = new_graph() if into is None else into
    emitter = _ArticleEmitter(article, graph, origins, text_prefix)
    emitter.document_node()
    for mention in article.mentions:
        emitter.mention(mention)
    for figure in article.figures:
        emitter.mention(figure)
    for statement in article.statements:
        emitter.statement(statement)
    return graph


def corpus_graphs(corpus: Corpus, origins: Origins) -> dict[URIRef, Graph]:
    """Named graph IRI -> graph, for the registry and every article."""
    graphs = {V.REGISTRY_GRAPH: registry_graph(corpus.registry, origins)}
    for article in corpus.articles:
        graphs[V.article_graph(article.id)] = article_graph(article, origins)
    return graphs
