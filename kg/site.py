"""`kg site`: a static evidence site built from the built graph.

Plain HTML and one stylesheet, readable from file:// with nothing fetched from anywhere:

- `articles/DOC.html`: the verbatim text with every mention, figure and statement quote highlighted
  (from the anchors' TextPositionSelector offsets); each highlight has an id and links to its page;
- `entities/ID.html`: what an entity said, which figures it cited, who said things about it or
  quoted it, where it is mentioned, its aliases and the graph's facts about it;
- `statements/DOC/ID.html` and `statistics/ID.html`: each links back to the highlight in its article;
- `queries/NAME.html`: every saved query run with its default parameters, each row linked to its
  evidence; `citations.html` (+ `citations.svg`): the citation network drawn by Graphviz;
- `index.html` linking everything.

The same build gives byte-identical files. The site is written into a temporary directory beside
the target and then swapped in; a non-empty directory without the `.kg-site` marker is never replaced.
"""
from __future__ import annotations

import html
import os
import posixpath
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote as url_quote

from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from . import vocabulary as V
from .build import ensure_built
from .errors import ExportError, ParameterError, Problem
from .explain import Explainer, _context
from .highlighting import Span, highlight
from .network import offline
from .project import Project
from .querying import execute, load_dataset, saved_queries
from .results import short
from .store import dataset_bytes, write_atomically

KG, OA, SKOS = V.KG, V.OA, V.SKOS
MARKER = ".kg-site"
MARKER_TEXT = "This directory was written by `kg site`; the next `kg site` run replaces all of it.\n"
QUERY_TIMEOUT = 120.0

#: (css kind, class, heading) in the order a thing's kind is decided
KINDS = (
    ("statistic", KG.Statistic, "Statistics"),
    ("person", KG.Person, "People"),
    ("organization", KG.Organization, "Organizations"),
    ("place", KG.Place, "Places"),
    ("program", KG.Program, "Programs"),
    ("campaign", KG.Campaign, "Campaigns"),
    ("decision", KG.Decision, "Decisions"),
    ("post", KG.Post, "Posts"),
    ("document", KG.Document, "Documents"),
    ("dataset", KG.Dataset, "Datasets"),
)
KIND_HEADINGS = {kind: heading for kind, _, heading in KINDS} | {"other": "Other"}
#: highlight kinds shown in an article's legend, in this order
LEGEND = ("statement", "statistic", "person", "organization", "place", "program", "campaign", "decision", "post",
          "document", "dataset", "other", "title", "date")
#: among highlights with the same extent, the higher rank nests deeper and gets the clicks
RANKS = {"title": 0, "date": 0, "statistic": 2, "statement": 3}


@dataclass(frozen=True)
class SiteResult:
    path: Path
    pages: int  # HTML pages
    files: int  # every file written, pages included


@dataclass
class Annotation:
    node: URIRef  # the mention or the statement
    kind: str  # "statement", "title", "date" or the kind of the thing a mention names
    target: URIRef  # what it stands for (a statement stands for itself)
    document: URIRef
    start: int
    end: int
    exact: str
    element_id: str


@dataclass
class Article:
    iri: URIRef
    text: str
    text_file: str
    annotations: list[Annotation] = field(default_factory=list)


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _local(iri: URIRef) -> str:
    return str(iri)[len(str(V.KGR)):] if str(iri).startswith(str(V.KGR)) else ""


def _safe(text: str) -> str:
    """A file or fragment name: the characters kg ids use, anything else as '_'."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text) or "_"


class Site:
    """Everything the pages show, read once from the built dataset."""

    def __init__(self, project: Project, dataset: Dataset):
        self.project = project
        self.dataset = dataset
        self.explainer = Explainer(dataset, project.root)
        self.g = self.explainer.everything
        self.asserted = self.explainer.asserted
        self.articles: dict[URIRef, Article] = {}
        self.statements: list[URIRef] = sorted(s for s in set(self.asserted.subjects(RDF.type, KG.Statement)) if isinstance(s, URIRef))
        self.statistics: list[URIRef] = sorted(s for s in set(self.asserted.subjects(RDF.type, KG.Statistic)) if isinstance(s, URIRef))
        self.statement_set = set(self.statements)
        registry = dataset.graph(V.REGISTRY_GRAPH)
        self._read_articles()
        self.entities: list[URIRef] = sorted(
            s for s in set(registry.subjects(RDF.type, None))
            if isinstance(s, URIRef) and _local(s) and "/" not in _local(s) and s not in self.articles and s not in set(self.statistics))
        self.paths: dict[URIRef, str] = {}
        for iri in self.articles:
            self.paths[iri] = f"articles/{_safe(_local(iri))}.html"
        for iri in self.entities:
            self.paths[iri] = f"entities/{_safe(_local(iri))}.html"
        for iri in self.statistics:
            self.paths[iri] = f"statistics/{_safe(_local(iri))}.html"
        for iri in self.statements:
            document = self.g.value(iri, KG.reportedIn)
            self.paths[iri] = f"statements/{_safe(_local(document) if document else 'unknown')}/{_safe(_local(iri).rsplit('/', 1)[-1])}.html"
        # mentions, quotes and anchors live at their highlight
        self.spots: dict[URIRef, tuple[str, str]] = {}
        for article in self.articles.values():
            page = self.paths[article.iri]
            for annotation in article.annotations:
                self.spots[annotation.node] = (page, annotation.element_id)
                quote = self.g.value(annotation.node, KG.hasQuote)
                if quote is not None:
                    self.spots.setdefault(quote, (page, annotation.element_id))
                anchor = self.g.value(quote if quote is not None else annotation.node, KG.anchoredAt)
                if anchor is not None:
                    self.spots.setdefault(anchor, (page, annotation.element_id))

    # ------------------------------------------------------------------ reading the graph

    def _read_articles(self) -> None:
        for document in sorted(set(self.asserted.subjects(KG.textFile, None))):
            relative = str(self.g.value(document, KG.textFile))
            try:
                text = (self.project.root / relative).read_bytes().decode("utf-8")  # bytes: offsets are into the file
            except (OSError, UnicodeDecodeError) as error:
                raise ExportError(Problem(relative, None, None, f"cannot read the article text: {error}", "run 'kg validate'", "export")) from None
            self.articles[document] = Article(document, text, relative)
        used: dict[URIRef, set[str]] = {d: {"text", "about", "annotations", "top"} for d in self.articles}
        nodes = [(m, "mention") for m in set(self.asserted.subjects(RDF.type, KG.Mention))]
        nodes += [(s, "statement") for s in set(self.asserted.subjects(RDF.type, KG.Statement))]
        for node, what in sorted(nodes):
            holder = self.g.value(node, KG.hasQuote) if what == "statement" else node
            anchor = self.g.value(holder, KG.anchoredAt) if holder is not None else None
            document = self.g.value(anchor, KG.inDocument) if anchor is not None else None
            position = self.position(anchor) if anchor is not None else None
            if document not in self.articles or position is None:
                continue
            local = _local(node)
            if what == "statement":
                kind, target, element_id = "statement", node, "st-" + local.rsplit("/", 1)[-1]
            else:
                target = self.g.value(node, KG.refersTo)
                parts = local.split("/")
                role = parts[-2] if len(parts) >= 5 else "mention"
                kind = role if role in ("title", "date") else self.kind(target)
                element_id = "m-" + "-".join(parts[2:]) if len(parts) > 2 else "m-" + local
            element_id = _safe(element_id)
            while element_id in used[document]:
                element_id += "_"
            used[document].add(element_id)
            text = self.articles[document].text
            self.articles[document].annotations.append(
                Annotation(node, kind, target, document, position[0], position[1], text[position[0]:position[1]], element_id))
        self.by_node: dict[URIRef, Annotation] = {}
        for article in self.articles.values():
            article.annotations.sort(key=lambda a: (a.start, -a.end, RANKS.get(a.kind, 1), a.element_id))
            for annotation in article.annotations:
                self.by_node.setdefault(annotation.node, annotation)

    def position(self, anchor) -> tuple[int, int] | None:
        for selector in sorted(self.g.objects(anchor, OA.hasSelector)):
            if (selector, RDF.type, OA.TextPositionSelector) in self.g:
                return int(self.g.value(selector, OA.start)), int(self.g.value(selector, OA.end))
        return None

    def kind(self, iri) -> str:
        types = set(self.g.objects(iri, RDF.type))
        for kind, cls, _ in KINDS:
            if cls in types:
                return kind
        return "other"

    def label(self, term) -> str:
        if term is None:
            return ""
        if isinstance(term, Literal):
            return " ".join(str(term).split())
        labels = sorted(self.g.objects(term, RDFS.label), key=lambda l: (l.language not in (None, "en"), str(l)))
        if labels:
            return " ".join(str(labels[0]).split())
        if term in self.statement_set:  # statements have no label: who, and the claim or the words
            quote = self.g.value(term, KG.hasQuote)
            words = self.g.value(term, KG.claim) or (self.g.value(quote, KG.exactText) if quote is not None else None)
            return f"{self.label(self.g.value(term, KG.statedBy))}: {_clip(' '.join(str(words or short(term)).split()))}"
        return short(term)

    def values(self, subject, prop) -> list:
        return sorted(set(self.g.objects(subject, prop)), key=lambda t: (self.label(t), str(t)))

    def subjects(self, prop, obj) -> list:
        return sorted(set(self.g.subjects(prop, obj)), key=str)

    def annotation(self, node) -> Annotation | None:
        return self.by_node.get(node)

    def statement_order(self, statement) -> tuple:
        document = self.g.value(statement, KG.reportedIn)
        annotation = self.annotation(statement)
        return (str(self.g.value(document, KG.publishedOn) or ""), str(document), annotation.start if annotation else 0, str(statement))

    # ------------------------------------------------------------------ links

    def href(self, page: str, iri) -> str | None:
        """The link from `page` to the page or highlight of `iri`, if it has one."""
        if iri in self.paths:
            target, fragment = self.paths[iri], ""
            if target == page:
                return None  # no link to the page itself
        elif iri in self.spots:
            target, fragment = self.spots[iri]
            fragment = "#" + fragment
        else:
            return None
        return relative(page, target) + fragment

    def spot_href(self, page: str, node) -> str | None:
        if node in self.spots:
            target, fragment = self.spots[node]
            return relative(page, target) + "#" + fragment
        return None

    def link(self, page: str, term, text: str | None = None) -> str:
        shown = _esc(text if text is not None else self.label(term))
        href = self.href(page, term) if isinstance(term, URIRef) else None
        if href is None:
            return f'<span title="{_esc(term)}">{shown}</span>' if isinstance(term, URIRef) else shown
        return f'<a href="{_esc(href)}">{shown}</a>'


def relative(page: str, target: str) -> str:
    """A relative URL from the page `page` to the file `target` (both relative to the site root)."""
    if page == target:
        return posixpath.basename(target)
    return url_quote(posixpath.relpath(target, posixpath.dirname(page) or "."), safe="/")


# ---------------------------------------------------------------------- pages


def _layout(page: str, title: str, body: str, wide: bool = False) -> bytes:
    root = lambda target: _esc(relative(page, target))  # noqa: E731
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_esc(title)} · kg evidence</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{root('site.css')}">
</head>
<body>
<header class="site"><a href="{root('index.html')}">kg evidence</a>
<nav><a href="{root('index.html')}#articles">Articles</a> <a href="{root('index.html')}#entities">Entities</a> <a href="{root('index.html')}#statistics">Statistics</a> <a href="{root('index.html')}#queries">Queries</a> <a href="{root('citations.html')}">Citation network</a></nav></header>
<main{' class="wide"' if wide else ""}>
{body}
</main>
<footer>Generated by <code>kg site</code> from the built graph. Every highlight and quote points to code-point offsets in the verbatim article text.</footer>
</body>
</html>
""".encode("utf-8")


def _kind_badge(kind: str) -> str:
    return f'<span class="badge k-{_esc(kind)}">{_esc(kind)}</span>'


def _quote_block(site: Site, page: str, statement) -> str:
    """A statement's quote, linked to its highlight, with speaker, article and claim."""
    quote = site.g.value(statement, KG.hasQuote)
    exact = site.label(site.g.value(quote, KG.exactText)) if quote is not None else ""
    speaker = site.g.value(statement, KG.statedBy)
    document = site.g.value(statement, KG.reportedIn)
    date = site.g.value(document, KG.publishedOn)
    claim = site.g.value(statement, KG.claim)
    spot = site.spot_href(page, statement)
    quoted = f'<a href="{_esc(spot)}">“{_esc(exact)}”</a>' if spot else f"“{_esc(exact)}”"
    parts = [f'<blockquote class="quote">{quoted}</blockquote>', '<p class="meta">']
    parts.append(f"{site.link(page, speaker)} in {site.link(page, document)}" + (f" ({_esc(date)})" if date else ""))
    parts.append(f' · {site.link(page, statement, "statement")}</p>')
    if claim:
        parts.append(f'<p class="claim">Claim: {_esc(claim)}</p>')
    return "".join(parts)


def _statement_list(site: Site, page: str, statements) -> str:
    items = sorted(set(statements), key=site.statement_order)
    if not items:
        return "<p class=\"none\">None.</p>"
    return '<ul class="statements">' + "".join(f"<li>{_quote_block(site, page, s)}</li>" for s in items) + "</ul>"


def _facts(site: Site, page: str, iri) -> str:
    """The graph's kg: facts about `iri` with other pages, marked where only reasoning adds them."""
    rows = []
    skip = {KG.made, KG.mentionedBy, KG.mentionedIn, KG.exactText, KG.textFile, KG.sha256, KG.originalFileName}
    for p, o in set(site.g.predicate_objects(iri)):
        if str(p).startswith(str(KG)) and p not in skip and (isinstance(o, Literal) or o in site.paths and o not in site.statement_set):
            rows.append((site.label(p), site.label(o), p, o, (iri, p, o) in site.asserted, False))
    for s, p in set(site.g.subject_predicates(iri)):
        if str(p).startswith(str(KG)) and p not in skip and s in site.paths and s not in site.statement_set and s != iri:
            rows.append((site.label(p), site.label(s), p, s, (s, p, iri) in site.asserted, True))
    if not rows:
        return ""
    out = ['<h2 id="facts">Facts in the graph</h2><table class="facts"><thead><tr><th>relation</th><th>value</th><th></th></tr></thead><tbody>']
    for prop_label, value_label, p, o, asserted, incoming in sorted(set(rows), key=lambda r: (r[5], r[0], r[1], str(r[3]))):
        relation = f"is {_esc(prop_label)} of" if incoming else _esc(prop_label)
        value = site.link(page, o) if isinstance(o, URIRef) else _esc(value_label)
        note = "" if asserted else '<span class="inferred" title="added by OWL 2 RL reasoning">inferred</span>'
        out.append(f'<tr><td title="{_esc(short(p))}">{relation}</td><td>{value}</td><td>{note}</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


def _mentions_section(site: Site, page: str, iri) -> str:
    by_article: dict[URIRef, list[Annotation]] = {}
    for article in site.articles.values():
        for annotation in article.annotations:
            if annotation.target == iri and annotation.kind not in ("statement", "title", "date"):
                by_article.setdefault(article.iri, []).append(annotation)
    if not by_article:
        return '<h2 id="mentioned-in">Mentioned in</h2><p class="none">No article mentions it.</p>'
    out = ['<h2 id="mentioned-in">Mentioned in</h2><ul>']
    for document in sorted(by_article, key=lambda d: (str(site.g.value(d, KG.publishedOn) or ""), str(d))):
        spots = ", ".join(f'<a href="{_esc(site.spot_href(page, a.node))}">“{_esc(" ".join(a.exact.split()))}”</a>' for a in by_article[document])
        out.append(f"<li>{site.link(page, document)}: {spots}</li>")
    out.append("</ul>")
    return "".join(out)


def _heading(site: Site, iri, kind: str) -> str:
    asserted = sorted({site.label(t) for t in site.asserted.objects(iri, RDF.type) if str(t).startswith(str(KG))})
    inferred = sorted({site.label(t) for t in site.g.objects(iri, RDF.type) if str(t).startswith(str(KG))} - set(asserted))
    types = ", ".join(_esc(t) for t in asserted) + "".join(f', <span class="inferred-type" title="added by OWL 2 RL reasoning">{_esc(t)} (inferred)</span>' for t in inferred)
    comment = site.g.value(iri, RDFS.comment)
    return (f'<h1>{_esc(site.label(iri))} {_kind_badge(kind)}</h1>'
            f'<p class="meta">{types} · <code>{_esc(short(iri))}</code></p>'
            + (f'<p class="description">{_esc(comment)}</p>' if comment else ""))


def entity_page(site: Site, iri) -> tuple[str, bytes]:
    page = site.paths[iri]
    kind = site.kind(iri)
    g = site.g
    body = [_heading(site, iri, kind)]
    aliases = sorted({str(a) for a in g.objects(iri, SKOS.altLabel)} - {site.label(iri)})
    body.append('<h2 id="aliases">Also called</h2>' + ('<ul class="aliases">' + "".join(f"<li>{_esc(a)}</li>" for a in aliases) + "</ul>"
                                                        if aliases else '<p class="none">No other names.</p>'))
    said = site.subjects(KG.statedBy, iri)
    if said or kind in ("person", "organization"):
        body.append(f'<h2 id="said">What they said ({len(said)})</h2>' + _statement_list(site, page, said))
    cited: dict[URIRef, set[URIRef]] = {}
    for statement in said:
        for statistic in g.objects(statement, KG.cites):
            cited.setdefault(statistic, set()).add(statement)
    for statistic in g.objects(iri, KG.cites):  # the property chain made ∘ cites, for agents
        cited.setdefault(statistic, set())
    if cited or said:
        body.append('<h2 id="cited">Figures they cited</h2>')
        if cited:
            body.append("<ul>")
            for statistic in sorted(cited, key=lambda s: (site.label(s), str(s))):
                via = ", ".join(site.link(page, s, site.label(g.value(s, KG.reportedIn)) + " statement") for s in sorted(cited[statistic], key=site.statement_order))
                body.append(f"<li>{site.link(page, statistic)} <span class=\"value\">{_esc(_figure_value(site, statistic))}</span>" + (f" — in {via}" if via else "") + "</li>")
            body.append("</ul>")
        else:
            body.append('<p class="none">None.</p>')
    # who cited or quoted them
    reporters: dict[URIRef, int] = {}
    for statement in said:
        document = g.value(statement, KG.reportedIn)
        reporters[document] = reporters.get(document, 0) + 1
    about = set(site.subjects(KG.about, iri)) | set(site.subjects(KG.addressee, iri)) | set(site.subjects(KG.namesSource, iri))
    quoting = set()
    for statement in said:
        quoting |= set(g.subjects(KG.quotes, statement)) | set(g.subjects(KG.derivedFrom, statement))
    derived = [s for s in site.subjects(KG.derivedFrom, iri) if s not in site.statement_set]
    body.append('<h2 id="cited-by">Who quoted, cited or addressed them</h2>')
    if reporters:
        body.append("<h3>Articles quoting them</h3><ul>" + "".join(
            f"<li>{site.link(page, d)}{_byline(site, page, d)}: {n} statement{'s' if n != 1 else ''}</li>"
            for d, n in sorted(reporters.items(), key=lambda item: (str(g.value(item[0], KG.publishedOn) or ""), str(item[0])))) + "</ul>")
    if quoting:
        body.append("<h3>Statements quoting or drawing on theirs</h3>" + _statement_list(site, page, quoting))
    statements_from_sources = set(site.subjects(KG.derivedFrom, iri)) & site.statement_set
    if statements_from_sources:
        body.append("<h3>Statements drawing on it</h3>" + _statement_list(site, page, statements_from_sources))
    if derived:
        body.append("<h3>Derived from it</h3><ul>" + "".join(f"<li>{site.link(page, d)}</li>" for d in derived) + "</ul>")
    sourced = [s for s in site.subjects(KG.originalSource, iri) if s in set(site.statistics)]
    for source in site.subjects(KG.producedBy, iri):
        sourced += [s for s in site.subjects(KG.originalSource, source) if s in set(site.statistics)]
    if sourced:
        body.append("<h3>Figures originating from it</h3><ul>" + "".join(
            f"<li>{site.link(page, s)} — cited by " + (", ".join(site.link(page, a) for a in _citers(site, s)) or "nobody") + "</li>"
            for s in sorted(set(sourced))) + "</ul>")
    others = sorted(about - set(said), key=site.statement_order)
    if others:
        body.append(f"<h3>Statements about, to or naming them ({len(others)})</h3>" + _statement_list(site, page, others))
    if not (reporters or quoting or statements_from_sources or derived or sourced or others):
        body.append('<p class="none">Nobody in the corpus quotes, cites or addresses them.</p>')
    body.append(_mentions_section(site, page, iri))
    body.append(_facts(site, page, iri))
    return page, _layout(page, site.label(iri), "\n".join(body))


def _byline(site: Site, page: str, document) -> str:
    publisher = site.g.value(document, KG.publisher)
    date = site.g.value(document, KG.publishedOn)
    parts = ([site.link(page, publisher)] if publisher else []) + ([_esc(date)] if date else [])
    return f" ({', '.join(parts)})" if parts else ""


def _citers(site: Site, statistic) -> list[URIRef]:
    agents = {site.g.value(s, KG.statedBy) for s in site.g.subjects(KG.cites, statistic) if s in site.statement_set}
    return sorted((a for a in agents if a is not None), key=lambda a: (site.label(a), str(a)))


def _figure_value(site: Site, statistic) -> str:
    g = site.g
    value, low, high = g.value(statistic, KG.value), g.value(statistic, KG.lowerBound), g.value(statistic, KG.upperBound)
    if value is not None:
        text = str(value)
    elif low is not None and high is not None:
        text = f"{low}–{high}"
    elif low is not None:
        text = f"at least {low}"
    elif high is not None:
        text = f"at most {high}"
    else:
        text = "?"
    unit = g.value(statistic, KG.unit)
    approximate = g.value(statistic, KG.approximate)
    prefix = "about " if approximate is not None and approximate.toPython() is True else ""
    return f"{prefix}{text}" + (f" {site.label(unit)}" if unit is not None else "")


def statistic_page(site: Site, iri) -> tuple[str, bytes]:
    page = site.paths[iri]
    g = site.g
    body = [_heading(site, iri, "statistic")]
    rows = [("value", _esc(_figure_value(site, iri)))]
    for prop, name in ((KG.measure, "measure"), (KG.population, "population"), (KG.place, "place"), (KG.periodStart, "from"),
                       (KG.periodEnd, "until"), (KG.concerns, "concerns"), (KG.originalSource, "original source")):
        for value in site.values(iri, prop):
            rows.append((name, site.link(page, value) if isinstance(value, URIRef) else _esc(value)))
    origins = [s for s in site.values(iri, KG.derivedFrom) if (iri, KG.originalSource, s) not in g]
    for source in origins:
        rows.append(("derived from", site.link(page, source)))
    body.append('<table class="facts"><tbody>' + "".join(f"<tr><th>{_esc(k)}</th><td>{v}</td></tr>" for k, v in rows) + "</tbody></table>")
    citing = [s for s in site.subjects(KG.cites, iri) if s in site.statement_set]
    body.append(f'<h2 id="cited-by">Cited by ({len(citing)} statement{"s" if len(citing) != 1 else ""})</h2>')
    citers = _citers(site, iri)
    if citers:
        body.append("<p>" + ", ".join(site.link(page, a) for a in citers) + "</p>")
    body.append(_statement_list(site, page, citing))
    reported: dict[URIRef, list[Annotation]] = {}
    for article in site.articles.values():
        for annotation in article.annotations:
            if annotation.target == iri:
                reported.setdefault(article.iri, []).append(annotation)
    body.append('<h2 id="reported-in">Where the figure appears</h2>')
    if reported:
        body.append("<ul>" + "".join(
            f"<li>{site.link(page, d)}: " + ", ".join(f'<a href="{_esc(site.spot_href(page, a.node))}">“{_esc(" ".join(a.exact.split()))}”</a>' for a in items) + "</li>"
            for d, items in sorted(reported.items(), key=lambda item: str(item[0]))) + "</ul>")
    else:
        body.append('<p class="none">No article gives the figure in words that are annotated.</p>')
    return page, _layout(page, site.label(iri), "\n".join(body))


def statement_page(site: Site, iri) -> tuple[str, bytes]:
    page = site.paths[iri]
    g = site.g
    annotation = site.annotation(iri)
    speaker = g.value(iri, KG.statedBy)
    document = g.value(iri, KG.reportedIn)
    claim = g.value(iri, KG.claim)
    title = f"{site.label(speaker)}: {claim or (annotation.exact if annotation else short(iri))}"
    body = [f'<h1>{_esc(title)} {_kind_badge("statement")}</h1>', f'<p class="meta"><code>{_esc(short(iri))}</code></p>']
    if annotation:
        article = site.articles[annotation.document]
        begin, finish = _context(article.text, annotation.start, annotation.end)
        spot = site.spot_href(page, iri)
        before, words, after = article.text[begin:annotation.start], article.text[annotation.start:annotation.end], article.text[annotation.end:finish]
        body.append(f'<h2 id="quote">The words, in context</h2><blockquote class="context">{_esc(before)}'
                    f'<a class="here" href="{_esc(spot)}"><mark>{_esc(words)}</mark></a>{_esc(after)}</blockquote>')
        body.append(f'<p><a class="back" id="back" href="{_esc(spot)}">See it in the article</a> — {site.link(page, document)}{_byline(site, page, document)}, '
                    f"characters {annotation.start}–{annotation.end} of <code>{_esc(article.text_file)}</code></p>")
    rows = [("speaker", site.link(page, speaker))]
    if claim:
        rows.append(("claim", _esc(claim)))
    for prop, name in ((KG.statementForm, "form"), (KG.medium, "medium"), (KG.addressee, "addressed to"), (KG.statedOn, "stated on"),
                       (KG.reportedEventDate, "event date"), (KG.about, "about"), (KG.cites, "cites"), (KG.namesSource, "names as source"),
                       (KG.quotes, "quotes"), (KG.derivedFrom, "derived from")):
        values = site.values(iri, prop)
        if prop == KG.derivedFrom:
            values = [v for v in values if (iri, KG.derivedFrom, v) in site.asserted]
        if values:
            rows.append((name, ", ".join(site.link(page, v) if isinstance(v, URIRef) else _esc(v) for v in values)))
    body.append('<h2 id="details">Details</h2><table class="facts"><tbody>' + "".join(f"<tr><th>{_esc(k)}</th><td>{v}</td></tr>" for k, v in rows) + "</tbody></table>")
    if annotation:
        inside = [a for a in site.articles[annotation.document].annotations
                  if a.node != iri and a.kind not in ("statement", "title", "date") and annotation.start <= a.start and a.end <= annotation.end]
        if inside:
            body.append('<h2 id="named">Named in the quote</h2><ul>' + "".join(
                f'<li><a href="{_esc(site.spot_href(page, a.node))}">“{_esc(" ".join(a.exact.split()))}”</a> → {site.link(page, a.target)} {_kind_badge(a.kind)}</li>'
                for a in inside) + "</ul>")
    quoting = set(g.subjects(KG.quotes, iri)) | {s for s in g.subjects(KG.derivedFrom, iri) if (s, KG.derivedFrom, iri) in site.asserted}
    if quoting:
        body.append('<h2 id="quoted-by">Quoted or drawn on by</h2>' + _statement_list(site, page, quoting))
    return page, _layout(page, title, "\n".join(body))


def article_page(site: Site, article: Article) -> tuple[str, bytes]:
    page = site.paths[article.iri]
    g = site.g
    spans = []
    for annotation in article.annotations:
        if annotation.kind in ("title", "date"):
            href, tip = "#about", f"{annotation.kind} of the article"
        else:
            href = site.href(page, annotation.target)
            if annotation.kind == "statement":
                claim = g.value(annotation.node, KG.claim)
                tip = f"statement by {site.label(g.value(annotation.node, KG.statedBy))}" + (f": {claim}" if claim else "")
            else:
                tip = f"{annotation.kind}: {site.label(annotation.target)}"
        spans.append(Span(annotation.start, annotation.end, annotation.element_id, f"k-{annotation.kind}", href, tip, RANKS.get(annotation.kind, 1)))
    kinds = {a.kind for a in article.annotations}
    legend = " ".join(f'<span class="hl k-{k}">{k}</span>' for k in LEGEND if k in kinds)
    about = [("kind", ", ".join(_esc(site.label(t)) for t in site.values(article.iri, RDF.type) if (article.iri, RDF.type, t) in site.asserted))]
    for prop, name in ((KG.publisher, "publisher"), (KG.author, "author"), (KG.publishedOn, "published"), (KG.derivedFrom, "derived from")):
        values = [v for v in site.values(article.iri, prop) if (article.iri, prop, v) in site.asserted]
        if values:
            about.append((name, ", ".join(site.link(page, v) if isinstance(v, URIRef) else _esc(v) for v in values)))
    about.append(("text", f"<code>{_esc(article.text_file)}</code> ({len(article.text)} characters, sha256 <code>{_esc(g.value(article.iri, KG.sha256) or '')}</code>)"))
    statements = [a for a in article.annotations if a.kind == "statement"]
    about.append(("annotations", f"{len(statements)} statements, {len(article.annotations) - len(statements)} mentions"))
    body = [f'<h1 id="top">{_esc(site.label(article.iri))}</h1>',
            '<section id="about"><table class="facts"><tbody>' + "".join(f"<tr><th>{_esc(k)}</th><td>{v}</td></tr>" for k, v in about) + "</tbody></table></section>",
            f'<p class="legend">Highlights: {legend}. Click a highlight for its page; statements nest around the names and figures they contain.</p>',
            f'<div id="text" class="text">{highlight(article.text, spans)}</div>']
    rows = []
    for annotation in article.annotations:
        target = site.link(page, annotation.target) if annotation.kind not in ("title", "date") else _esc(annotation.kind)
        rows.append(f'<tr><td class="num">{annotation.start}–{annotation.end}</td><td>{_kind_badge(annotation.kind)}</td>'
                    f'<td><a href="#{_esc(annotation.element_id)}">“{_esc(" ".join(annotation.exact.split()))}”</a></td><td>{target}</td></tr>')
    body.append('<h2 id="annotations">Annotations in reading order</h2><table class="annotations"><thead><tr><th>characters</th><th>kind</th>'
                '<th>words</th><th>stands for</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")
    return page, _layout(page, site.label(article.iri), "\n".join(body))


def query_page(site: Site, query, allow_network: bool) -> tuple[str, bytes]:
    page = f"queries/{_safe(query.name)}.html"
    body = [f"<h1>{_esc(query.name)}</h1>", f'<p class="summary">{_esc(query.summary)}</p>']
    if query.description:
        body.append(f"<p>{_esc(query.description)}</p>")
    if query.parameters:
        body.append("<h2>Parameters</h2><ul>" + "".join(
            f"<li><code>{_esc(p.name)}</code> ({_esc(p.type)}): " + (f"default <code>{_esc(p.default)}</code>" if p.default is not None else "no default")
            + (f" — {_esc(p.description)}" if p.description else "") + "</li>" for p in query.parameters) + "</ul>")
    command = f"kg query {query.name}"
    body.append(f"<p>Run it yourself: <code>{_esc(command)}</code>" + (f" · example: <code>{_esc(query.example)}</code>" if query.example else "") + "</p>")
    try:
        result = execute(site.dataset, query, {}, QUERY_TIMEOUT, allow_network)
    except ParameterError as error:
        result = None
        body.append(f'<p class="none">Not run: {_esc(error.summary())}</p>')
    if result is not None:
        body.append(f'<h2 id="results">Results with the default parameters ({len(result.rows)} row{"s" if len(result.rows) != 1 else ""})</h2>')
        head = "".join(f"<th>{_esc(v)}</th>" for v in result.variables) + "<th>evidence</th>"
        rows = []
        for number, row in enumerate(result.rows, 1):
            cells = []
            for term in row:
                if term is None:
                    cells.append("<td></td>")
                elif isinstance(term, URIRef):
                    label = site.label(term) if term in site.paths else short(term)
                    cells.append(f'<td>{site.link(page, term, label)}</td>' if site.href(page, term) else f"<td><code>{_esc(short(term))}</code></td>")
                else:
                    cells.append(f"<td>{_esc(short(term))}</td>")
            values = [v for v in row if isinstance(v, URIRef)]
            evidence = site.explainer.supporting_statements(values) if values else []
            links = "<br>".join(site.link(page, s, f"{site.label(site.g.value(s, KG.statedBy))}: “{_clip(site.label(site.g.value(site.g.value(s, KG.hasQuote), KG.exactText)))}”") for s in evidence
                                if s in site.paths)
            cells.append(f'<td class="evidence">{links}</td>')
            rows.append(f'<tr id="row-{number}">{"".join(cells)}</tr>')
        body.append(f'<div class="scroll"><table class="results"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')
    body.append(f"<details><summary>SPARQL (<code>{_esc(query.display)}</code>)</summary><pre>{_esc(query.text)}</pre></details>")
    return page, _layout(page, query.name, "\n".join(body), wide=True)


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def citation_pages(site: Site) -> dict[str, bytes]:
    from .citation_graph import citation_dot, render

    links = {str(iri): relative("citations.html", path) for iri, path in site.paths.items()}
    dot = citation_dot(site.dataset, links)
    files = {"citations.dot": dot.encode("utf-8")}
    if shutil.which("dot"):
        svg = render(dot, "svg").decode("utf-8")
        svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
        svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
        files["citations.svg"] = ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' + svg).encode("utf-8")
        picture = f'<div class="scroll graph">{svg}</div>'
    else:
        picture = ('<p class="none">Graphviz\'s <code>dot</code> program was not installed when this site was written, so there is no picture; '
                   'install the Debian package graphviz and run <code>kg site</code> again. The network as DOT: <a href="citations.dot">citations.dot</a>.</p>')
    body = ("<h1>Citation network</h1><p>Who cites which figure (blue: people and organizations), which articles report it (grey), "
            "and where each figure comes from (green: datasets and reports). Click a node for its page. "
            + ('<a href="citations.svg">The picture on its own</a> · ' if "citations.svg" in files else "")
            + '<a href="citations.dot">as Graphviz DOT</a>.</p>' + picture)
    files["citations.html"] = _layout("citations.html", "Citation network", body)
    return files


def index_page(site: Site, queries) -> bytes:
    page = "index.html"
    g = site.g
    body = ["<h1>Who said what, citing which figures</h1>",
            f"<p>{len(site.articles)} articles, {len(site.statements)} statements, {len(site.entities)} entities, {len(site.statistics)} statistics, "
            f"{len(queries)} saved queries. Every statement and figure links back to the exact words of its article.</p>",
            '<p><a href="citations.html">The citation network</a></p>', '<h2 id="articles">Articles</h2><ul>']
    for document in sorted(site.articles, key=lambda d: (str(g.value(d, KG.publishedOn) or ""), str(d))):
        count = sum(1 for a in site.articles[document].annotations if a.kind == "statement")
        body.append(f"<li>{site.link(page, document)}{_byline(site, page, document)} — {count} statements</li>")
    body.append("</ul>")
    body.append('<h2 id="entities">Entities</h2>')
    groups: dict[str, list[URIRef]] = {}
    for iri in site.entities:
        groups.setdefault(site.kind(iri), []).append(iri)
    for kind in [k for k, _, _ in KINDS] + ["other"]:
        if kind in groups:
            items = sorted(groups[kind], key=lambda i: (site.label(i).lower(), str(i)))
            body.append(f'<h3 id="kind-{kind}">{_esc(KIND_HEADINGS[kind])} ({len(items)})</h3><ul class="columns">'
                        + "".join(f"<li>{site.link(page, i)}</li>" for i in items) + "</ul>")
    body.append('<h2 id="statistics">Statistics</h2><ul>' + "".join(
        f'<li>{site.link(page, s)} <span class="value">{_esc(_figure_value(site, s))}</span></li>'
        for s in sorted(site.statistics, key=lambda s: (site.label(s).lower(), str(s)))) + "</ul>")
    body.append('<h2 id="queries">Saved queries</h2><ul>' + "".join(
        f'<li><a href="queries/{_esc(url_quote(_safe(q.name)))}.html">{_esc(q.name)}</a> — {_esc(q.summary)}</li>' for q in queries) + "</ul>")
    body.append('<h2 id="statements">Statements by article</h2>')
    for document in sorted(site.articles, key=lambda d: (str(g.value(d, KG.publishedOn) or ""), str(d))):
        statements = [a.node for a in site.articles[document].annotations if a.kind == "statement"]
        body.append(f"<h3>{site.link(page, document)}</h3><ol>" + "".join(
            f"<li>{site.link(page, g.value(s, KG.statedBy))}: {site.link(page, s, site.label(g.value(s, KG.claim)) or 'statement')}</li>" for s in statements) + "</ol>")
    return _layout(page, "Index", "\n".join(body))


def render_site(project: Project, dataset: Dataset, allow_network: bool = False) -> dict[str, bytes]:
    """Every file of the site, by path relative to the site root."""
    site = Site(project, dataset)
    queries = saved_queries(project)
    files: dict[str, bytes] = {MARKER: MARKER_TEXT.encode("utf-8"), "site.css": STYLESHEET.encode("utf-8")}
    for article in site.articles.values():
        path, data = article_page(site, article)
        files[path] = data
    for iri in site.entities:
        path, data = entity_page(site, iri)
        files[path] = data
    for iri in site.statistics:
        path, data = statistic_page(site, iri)
        files[path] = data
    for iri in site.statements:
        path, data = statement_page(site, iri)
        files[path] = data
    for query in queries:
        path, data = query_page(site, query, allow_network)
        files[path] = data
    files.update(citation_pages(site))
    files["index.html"] = index_page(site, queries)
    return files


# ---------------------------------------------------------------------- writing


def check_target(target: Path) -> None:
    """Refuse a file, or a non-empty directory that no earlier `kg site` wrote."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise ExportError(Problem(str(target), None, None, "the site's output path is a file or a symbolic link, not a directory",
                                  "choose a new or empty directory for -o", "usage"))
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise ExportError(Problem(str(target), None, None, f"the directory is not empty and was not written by 'kg site' (it has no {MARKER} file)",
                                  "choose a new or empty directory for -o; kg replaces only directories it wrote itself", "usage"))


def write_tree(target: Path, files: dict[str, bytes]) -> None:
    """Write `files` into a temporary directory beside `target`, then swap it in for `target`."""
    target = Path(os.path.abspath(target))
    check_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target)
    temporary = Path(tempfile.mkdtemp(prefix=_temporary_prefix(target), suffix=".site-tmp", dir=target.parent))
    old: Path | None = None
    try:
        for relative_path in sorted(files):
            path = temporary / relative_path
            write_atomically(path, files[relative_path])
            os.chmod(path, 0o644)
        for directory in sorted({p for p in temporary.rglob("*") if p.is_dir()} | {temporary}):
            os.chmod(directory, 0o755)
        if target.exists():
            check_target(target)  # again, just before replacing it
            old = Path(tempfile.mkdtemp(prefix=_temporary_prefix(target), suffix=".old-site-tmp", dir=target.parent))
            os.replace(target, old)  # onto the empty directory mkdtemp made
        os.replace(temporary, target)
    except BaseException:
        if old is not None and not target.exists():
            os.replace(old, target)
            old = None
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _temporary_prefix(target: Path) -> str:
    # the writer's process id in the name: a later `kg site` can tell a killed writer's leftovers
    # from the directories of one still running
    return f".{target.name}.{os.getpid()}."


def _remove_leftovers(target: Path) -> None:
    """The temporary directories a `kg site` that was killed left beside `target`."""
    pattern = re.compile(re.escape(f".{target.name}.") + r"(\d+)\.[a-z0-9_]{8}\.(?:old-)?site-tmp")  # as mkdtemp names them
    for leftover in target.parent.iterdir():
        match = pattern.fullmatch(leftover.name)
        if match and leftover.is_dir() and not leftover.is_symlink() and not _running(int(match[1])):
            shutil.rmtree(leftover, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process, or not a process id we can ask about: leave it
    return True


def write_site(project: Project, target: Path, allow_network: bool = False) -> SiteResult:
    """Build if needed, render every page from the built dataset, and write the site to `target`."""
    check_target(Path(os.path.abspath(target)))  # fail before paying for a build
    ensure_built(project, allow_network=allow_network)
    with offline(allow_network):
        files = render_site(project, load_dataset(dataset_bytes(project)), allow_network)
    write_tree(target, files)
    return SiteResult(Path(os.path.abspath(target)), sum(1 for name in files if name.endswith(".html")), len(files))


STYLESHEET = """\
/* kg evidence site: no web fonts, no external resources */
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9dee3; --paper: #ffffff; --accent: #1c5d99; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #f7f8fa; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header.site { display: flex; flex-wrap: wrap; gap: 1em; align-items: baseline; padding: .6em 1.5em; background: #12263a; }
header.site a { color: #fff; text-decoration: none; }
header.site > a { font-weight: 700; }
header.site nav a { margin-right: 1em; color: #c9d6e3; }
main { max-width: 64rem; margin: 0 auto; padding: 1em 1.5em 3em; background: var(--paper); }
main.wide { max-width: 110rem; }
footer { max-width: 64rem; margin: 0 auto; padding: 1em 1.5em; color: var(--muted); font-size: .85em; }
a { color: var(--accent); }
h1 { font-size: 1.6em; line-height: 1.25; }
h2 { margin-top: 1.8em; border-bottom: 1px solid var(--line); padding-bottom: .2em; font-size: 1.25em; }
h3 { font-size: 1.05em; }
code { font-size: .9em; background: #f1f3f5; padding: 0 .2em; border-radius: 3px; word-break: break-all; }
pre { overflow: auto; background: #f1f3f5; padding: 1em; font-size: .85em; }
.meta, .none, .legend { color: var(--muted); }
.claim { margin-top: 0; }
.value { color: var(--muted); font-variant-numeric: tabular-nums; }
.inferred, .inferred-type { color: #8a5a00; font-size: .85em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border-bottom: 1px solid var(--line); padding: .25em .6em .25em 0; text-align: left; vertical-align: top; }
table.facts th { font-weight: 600; white-space: nowrap; }
td.num { white-space: nowrap; font-variant-numeric: tabular-nums; color: var(--muted); }
.scroll { overflow: auto; max-width: 100%; }
table.results { font-size: .88em; }
td.evidence { min-width: 16em; }
table.results td { min-width: 7em; }
ul.columns { columns: 3 14em; }
ul.statements { list-style: none; padding-left: 0; }
ul.statements li { margin-bottom: 1em; }
blockquote { margin: .3em 0; padding: .3em 1em; border-left: 4px solid #f2c94c; background: #fffbea; }
blockquote a { color: inherit; text-decoration: none; }
blockquote.context { white-space: pre-wrap; }
mark { background: #ffe066; }
.badge { display: inline-block; font-size: .6em; vertical-align: middle; padding: .1em .5em; border-radius: 1em; background: #e9ecef; color: var(--ink); font-weight: 600; }
/* the article text: verbatim, white space and line breaks as in the file */
.text { white-space: pre-wrap; overflow-wrap: break-word; font-family: Georgia, "Times New Roman", serif; font-size: 1.05em; line-height: 1.7;
        padding: 1em 1.2em; border: 1px solid var(--line); background: #fffdf8; }
.text a { color: inherit; text-decoration: none; }
.hl { border-radius: 2px; scroll-margin-top: 5em; }
.hl.k-statement { background: #fff1b8; box-shadow: inset 0 -2px #e0b000; }
.hl.k-statistic { background: #ffd8a8; box-shadow: inset 0 -2px #e8590c; font-weight: 600; }
.hl.k-person { background: #d0ebff; box-shadow: inset 0 -2px #1c7ed6; }
.hl.k-organization { background: #e5dbff; box-shadow: inset 0 -2px #7048e8; }
.hl.k-place { background: #d3f9d8; box-shadow: inset 0 -2px #2f9e44; }
.hl.k-program { background: #ffdeeb; box-shadow: inset 0 -2px #d6336c; }
.hl.k-campaign { background: #c3fae8; box-shadow: inset 0 -2px #0ca678; }
.hl.k-decision { background: #ffe3e3; box-shadow: inset 0 -2px #e03131; }
.hl.k-post { background: #e3fafc; box-shadow: inset 0 -2px #1098ad; }
.hl.k-document, .hl.k-dataset { background: #f1f3f5; box-shadow: inset 0 -2px #868e96; }
.hl.k-other, .hl.k-title, .hl.k-date { box-shadow: inset 0 -2px #adb5bd; }
.legend .hl { padding: 0 .3em; }
.text .hl:hover { filter: brightness(.93); }
.hl:target, :target > mark { outline: 3px solid #d9480f; outline-offset: 1px; }
.graph svg { max-width: none; height: auto; }
"""
