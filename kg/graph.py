"""Turn a checked, anchored corpus into RDF: one graph for the registry, one per article.

Data never uses blank nodes: every node has an IRI derived from ids and offsets, so the
same annotations always give the same triples and exports can be compared by diff.

The triples are written as N-Triples lines ("S P O", kg/ntriples.py) from plain strings: making an
rdflib term for every node and literal was half the time an article took. An rdflib Graph is made
of those lines only when one is asked for (into=None: kg.build.assemble, the owlrl reasoner, tests).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from . import vocabulary as V
from .anchoring import Span
from .annotations import Article, Corpus, Entity, Mention, Registry, Statement, Statistic
from .ntriples import iri, lang_literal, parse_term, plain_literal, term, typed_literal

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

    def note(self, node: str, file: str, line: int) -> None:
        self.lines.setdefault(node, (file, line))


class _Written:
    """A namespace's terms as N-Triples text, each written once: _Written(KG).Anchor is "<...ontology#Anchor>"."""

    def __init__(self, namespace):
        self._namespace = namespace

    def __getattr__(self, name: str) -> str:
        text = term(self._namespace[name])
        setattr(self, name, text)  # found directly from now on
        return text

    def __getitem__(self, name: str) -> str:
        return getattr(self, name)


_kg, _oa, _rdf, _rdfs, _skos = _Written(KG), _Written(OA), _Written(RDF), _Written(RDFS), _Written(SKOS)
_KGR = str(KGR)
_GYEAR, _GYEARMONTH, _DATE = str(XSD.gYear), str(XSD.gYearMonth), str(XSD.date)
_DECIMAL, _BOOLEAN, _NON_NEGATIVE_INTEGER = str(XSD.decimal), str(XSD.boolean), str(XSD.nonNegativeInteger)


def entity_iri(identifier: str) -> str:
    return f"{_KGR}{identifier}"


def statement_iri(document_id: str, statement_id: str) -> str:
    return f"{_KGR}{document_id}/statement/{statement_id}"


def date_literal(value: str) -> str:
    return typed_literal(value, {4: _GYEAR, 7: _GYEARMONTH}.get(len(value), _DATE))


def decimal_literal(value: float) -> str:
    number = Decimal(str(value))
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    return typed_literal(str(number), _DECIMAL)


def new_graph() -> Graph:
    graph = Graph()
    for prefix, namespace in V.PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


class GraphLines:
    """Takes the lines the emitters write into an rdflib Graph, as the terms they stand for."""

    def __init__(self, graph: Graph):
        self.graph = graph

    def add_line(self, line: str) -> None:
        subject, predicate, obj = line.split(" ", 2)  # an IRI has no space
        self.graph.add((parse_term(subject), parse_term(predicate), parse_term(obj)))


# --------------------------------------------------------------------------- registry


def registry_graph(registry: Registry, origins: Origins, into=None):
    """The registry's triples, added to `into` (a kg.ntriples.TripleLines) or to a new Graph (returned)."""
    sink = GraphLines(new_graph()) if into is None else into
    for entity in registry.entities.values():
        _emit_entity(sink.add_line, entity)
        origins.note(entity_iri(entity.id), registry.path, entity.line)
    for statistic in registry.statistics.values():
        _emit_statistic(sink.add_line, statistic)
        origins.note(entity_iri(statistic.id), registry.path, statistic.line)
    return sink.graph if into is None else into


def _emit_entity(add, entity: Entity) -> None:
    node = iri(entity_iri(entity.id))
    add(f"{node} {_rdf.type} {_kg[V.ENTITY_TYPES[entity.type]]}")
    add(f"{node} {_rdfs.label} {plain_literal(entity.name)}")
    add(f"{node} {_skos.prefLabel} {plain_literal(entity.name)}")
    for alias in entity.aliases:
        if alias != entity.name:
            add(f"{node} {_skos.altLabel} {plain_literal(alias)}")
    if entity.description:
        add(f"{node} {_rdfs.comment} {plain_literal(entity.description)}")
    for key, items in entity.relations.items():
        prop = _kg[V.RELATIONS[key][0]]
        for target, _line, _column in items:
            add(f"{node} {prop} {iri(entity_iri(target))}")
    if entity.scalars.get("post_kind") == "governor":
        add(f"{node} {_rdf.type} {_kg.GovernorPost}")
    if "decision" in entity.scalars:
        add(f"{node} {_kg.decisionKind} {_kg[V.DECISION_KINDS[entity.scalars['decision']]]}")
    if "date" in entity.scalars:
        add(f"{node} {_kg.publishedOn} {date_literal(entity.scalars['date'])}")


def _emit_statistic(add, statistic: Statistic) -> None:
    node = iri(entity_iri(statistic.id))
    add(f"{node} {_rdf.type} {_kg.Statistic}")
    label = statistic.measure + (f" ({statistic.population})" if statistic.population else "")
    add(f"{node} {_rdfs.label} {plain_literal(label)}")
    add(f"{node} {_kg.measure} {plain_literal(statistic.measure)}")
    add(f"{node} {_kg.unit} {_kg[V.UNITS[statistic.unit]]}")
    add(f"{node} {_kg.approximate} {typed_literal(statistic.approximate, _BOOLEAN)}")
    for prop, number in ((_kg.value, statistic.value), (_kg.lowerBound, statistic.lower_bound), (_kg.upperBound, statistic.upper_bound)):
        if number is not None:
            add(f"{node} {prop} {decimal_literal(number)}")
    if statistic.value is None:
        add(f"{node} {_kg.boundInclusive} {typed_literal(statistic.bound_inclusive, _BOOLEAN)}")
    if statistic.population:
        add(f"{node} {_kg.population} {plain_literal(statistic.population)}")
    if statistic.place:
        add(f"{node} {_kg.place} {iri(entity_iri(statistic.place))}")
    if statistic.period_start:
        add(f"{node} {_kg.periodStart} {date_literal(statistic.period_start)}")
    if statistic.period_end:
        add(f"{node} {_kg.periodEnd} {date_literal(statistic.period_end)}")
    for target in statistic.concerns:
        add(f"{node} {_kg.concerns} {iri(entity_iri(target))}")
    if statistic.source:
        add(f"{node} {_kg.originalSource} {iri(entity_iri(statistic.source))}")


# --------------------------------------------------------------------------- articles


class _ArticleEmitter:
    def __init__(self, article: Article, add, origins: Origins, text_prefix: str):
        self.article = article
        self.add = add
        self.origins = origins
        self.base = entity_iri(article.id)  # the document's IRI, which its nodes' IRIs start with
        self.document = iri(self.base)
        self.text_prefix = text_prefix

    def anchor(self, span: Span, line: int) -> str:
        node = f"{self.base}/anchor/{span.start}-{span.end}"
        self.origins.note(node, self.article.annotation_path, line)
        anchor, quote_selector, position_selector = iri(node), iri(f"{node}/quote-selector"), iri(f"{node}/position-selector")
        add = self.add
        add(f"{anchor} {_rdf.type} {_kg.Anchor}")
        add(f"{anchor} {_kg.inDocument} {self.document}")
        add(f"{anchor} {_oa.hasSelector} {quote_selector}")
        add(f"{anchor} {_oa.hasSelector} {position_selector}")
        add(f"{quote_selector} {_rdf.type} {_oa.TextQuoteSelector}")
        add(f"{quote_selector} {_oa.exact} {plain_literal(span.exact)}")
        add(f"{quote_selector} {_oa.prefix} {plain_literal(span.prefix)}")
        add(f"{quote_selector} {_oa.suffix} {plain_literal(span.suffix)}")
        add(f"{position_selector} {_rdf.type} {_oa.TextPositionSelector}")
        add(f"{position_selector} {_oa.start} {typed_literal(span.start, _NON_NEGATIVE_INTEGER)}")
        add(f"{position_selector} {_oa.end} {typed_literal(span.end, _NON_NEGATIVE_INTEGER)}")
        return anchor

    def mention(self, mention: Mention) -> None:
        span, add = mention.anchored.span, self.add
        target = self.document if mention.role in ("title", "date") else iri(entity_iri(mention.target))
        node = f"{self.base}/mention/{span.start}-{span.end}/{mention.role}/{mention.target}"
        written = iri(node)
        add(f"{written} {_rdf.type} {_kg.Mention}")
        add(f"{written} {_kg.refersTo} {target}")
        add(f"{written} {_kg.anchoredAt} {self.anchor(span, mention.anchored.line)}")
        add(f"{written} {_kg.exactText} {plain_literal(span.exact)}")
        self.origins.note(node, self.article.annotation_path, mention.anchored.line)
        surface = " ".join(span.exact.split())
        if mention.role in ("mention", "author", "publisher") and target != self.document:
            add(f"{target} {_skos.altLabel} {plain_literal(surface)}")

    def document_node(self) -> None:
        article, node, add = self.article, self.document, self.add
        add(f"{node} {_rdf.type} {_kg[V.ARTICLE_KINDS[article.kind]]}")
        add(f"{node} {_kg.textFile} {plain_literal(self.text_prefix + article.text_name)}")
        add(f"{node} {_kg.originalFileName} {plain_literal(article.original_name)}")
        add(f"{node} {_kg.sha256} {plain_literal(article.sha256)}")
        if article.title and article.title.span:
            title = plain_literal(" ".join(article.title.span.exact.split()))
            add(f"{node} {_kg.title} {title}")
            add(f"{node} {_rdfs.label} {title}")
            self.mention(Mention(article.id, article.title, "title"))
        else:
            add(f"{node} {_rdfs.label} {plain_literal(article.id)}")
        for role, prop in (("publisher", _kg.publisher), ("author", _kg.author)):
            mention = getattr(article, role)
            if mention:
                add(f"{node} {prop} {iri(entity_iri(mention.target))}")
                if mention.anchored and mention.anchored.span:
                    self.mention(mention)
        if article.date:
            add(f"{node} {_kg.publishedOn} {date_literal(article.date)}")
            if article.date_anchor and article.date_anchor.span:
                self.mention(Mention(article.id, article.date_anchor, "date"))
        for source in article.derived_from:
            add(f"{node} {_kg.derivedFrom} {iri(entity_iri(source))}")
        self.origins.note(self.base, article.annotation_path, 1)

    def statement(self, statement: Statement) -> None:
        article, add = self.article, self.add
        bare = statement_iri(article.id, statement.id)
        node, quote = iri(bare), iri(f"{self.base}/quote/{statement.id}")
        span = statement.anchored.span
        add(f"{node} {_rdf.type} {_kg.Statement}")
        add(f"{node} {_kg.statedBy} {iri(entity_iri(statement.speaker))}")
        add(f"{node} {_kg.hasQuote} {quote}")
        add(f"{node} {_kg.reportedIn} {self.document}")
        add(f"{quote} {_rdf.type} {_kg.Quote}")
        add(f"{quote} {_kg.exactText} {plain_literal(span.exact)}")
        add(f"{quote} {_kg.anchoredAt} {self.anchor(span, statement.anchored.line)}")
        if statement.claim:
            add(f"{node} {_kg.claim} {lang_literal(statement.claim, 'en')}")
        if statement.form:
            add(f"{node} {_kg.statementForm} {_kg[V.STATEMENT_FORMS[statement.form]]}")
        if statement.medium:
            add(f"{node} {_kg.medium} {_kg[V.MEDIA[statement.medium]]}")
        if statement.addressee:
            add(f"{node} {_kg.addressee} {iri(entity_iri(statement.addressee))}")
        if statement.date:
            add(f"{node} {_kg.statedOn} {date_literal(statement.date)}")
        if statement.event_date:
            add(f"{node} {_kg.reportedEventDate} {date_literal(statement.event_date)}")
        for prop, targets in ((_kg.about, statement.about), (_kg.cites, statement.cites), (_kg.namesSource, statement.names_source)):
            for target in targets:
                add(f"{node} {prop} {iri(entity_iri(target))}")
        derivation = _kg.quotes if statement.form == "direct" else _kg.derivedFrom
        for target in statement.derived_from:
            if "#" in target:
                document, _, local = target.partition("#")
                add(f"{node} {derivation} {iri(statement_iri(document, local))}")
            else:
                add(f"{node} {derivation} {iri(entity_iri(target))}")
        self.origins.note(bare, article.annotation_path, statement.line)
        self.origins.note(f"{self.base}/quote/{statement.id}", article.annotation_path, statement.anchored.line)


def article_graph(article: Article, origins: Origins, text_prefix: str = "seeds/", into=None):
    """The article's triples, added to `into` (a kg.ntriples.TripleLines) or to a new Graph (returned)."""
    sink = GraphLines(new_graph()) if into is None else into
    emitter = _ArticleEmitter(article, sink.add_line, origins, text_prefix)
    emitter.document_node()
    for mention in article.mentions:
        emitter.mention(mention)
    for figure in article.figures:
        emitter.mention(figure)
    for statement in article.statements:
        emitter.statement(statement)
    return sink.graph if into is None else into


def corpus_graphs(corpus: Corpus, origins: Origins) -> dict[URIRef, Graph]:
    """Named graph IRI -> graph, for the registry and every article."""
    graphs = {V.REGISTRY_GRAPH: registry_graph(corpus.registry, origins)}
    for article in corpus.articles:
        graphs[V.article_graph(article.id)] = article_graph(article, origins)
    return graphs
