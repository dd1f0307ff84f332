"""check_triple_lines(..., changed=delta) against the full check, its oracle: on a generated corpus that
passes every check, many random edits that break things (or do not) must give exactly the problems
checking everything gives, with the reasoner's store handed over or not."""
from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib.namespace import RDF, RDFS

from conftest import load_generator
from kg import vocabulary as V
from kg.build import read_project, reason_lines
from kg.project import open_project
from kg.shapes import check_triple_lines

KG, OA = V.KG, V.OA
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
SUBCLASS = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"
XSD = "http://www.w3.org/2001/XMLSchema#"


def t(node) -> str:
    return f"<{node}>"


def union(lines: dict[str, set[str]]) -> set[str]:
    return {line for graph in lines.values() for line in graph}


def stored(lines: set[str]):
    store = ox.Store()
    store.bulk_load("".join(line + " .\n" for line in lines).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return store


class Data:
    """The passing base lines and what the edits pick from."""

    def __init__(self, root: Path, lines: set[str], origins: dict):
        self.root, self.lines, self.origins = root, lines, origins
        self.rows = sorted(line.split(" ", 2) for line in lines)

    def typed(self, cls) -> list[str]:
        return sorted({s for s, p, o in self.rows if p == TYPE and o == t(cls)})

    def with_predicate(self, predicate) -> list[str]:
        return sorted(" ".join(row) for row in self.rows if row[1] == t(predicate))

    def about(self, node: str, predicate) -> list[str]:
        return sorted(" ".join(row) for row in self.rows if row[0] == node and row[1] == t(predicate))


# Nodes of the base data that are no focus node of anything, with values that would break the shapes if they
# were: making one a focus node is an edit whose new problems come from triples the edit did not touch.
DORMANT = [f"<{V.KGR}dormant-selector> <{OA.start}> \"-1\"^^<{XSD}integer>",
           f"<{V.KGR}dormant-selector> <{OA.end}> \"x\"^^<{XSD}nonNegativeInteger>",
           f"<{V.KGR}dormant-anchor> <{OA.hasSelector}> <{V.KGR}dormant-selector>"]


# --------------------------------------------------------------------------- edits: each gives (removed, added, files)


def remove_required(rng, data):
    predicate = rng.choice([KG.statedBy, KG.hasQuote, KG.reportedIn, KG.exactText, KG.anchoredAt, KG.inDocument, OA.hasSelector,
                            OA.start, OA.end, OA.exact, KG.textFile, KG.sha256, KG.unit, KG.value, KG.originalSource])
    return [rng.choice(data.with_predicate(predicate))], [], {}


def retype(rng, data):
    """A node of one class made a node of another: a speaker a place, a selector of the other kind, ..."""
    kind = rng.choice([KG.Person, KG.Anchor, KG.Quote, KG.Statement, OA.TextPositionSelector, OA.TextQuoteSelector,
                       KG.Statistic, KG.Unit, KG.NewsArticle])
    node = rng.choice(data.typed(kind))
    other = rng.choice([KG.Place, OA.TextQuoteSelector, OA.TextPositionSelector, KG.Quote, KG.Anchor, KG.Statistic])
    return data.about(node, RDF.type), [f"{node} {TYPE} {t(other)}"], {}


def drop_type(rng, data):
    kind = rng.choice([KG.Person, KG.Organization, KG.NewsArticle, KG.Quote, KG.Anchor, OA.TextQuoteSelector, KG.Unit, KG.Statement])
    node = rng.choice(data.typed(kind))
    return [line for line in data.about(node, RDF.type) if rng.random() < 0.7], [], {}


def offsets(rng, data):
    line = rng.choice(data.with_predicate(rng.choice([OA.start, OA.end])))
    subject, predicate, obj = line.split(" ", 2)
    value = int(obj.split('"')[1]) + rng.choice([-40, -3, -1, 1, 2, 5000])
    return [line], [f'{subject} {predicate} "{value}"^^<{XSD}nonNegativeInteger>'], {}


def exact_text(rng, data):
    """A selector's oa:exact (the anchor check, and the quote's SPARQL constraint three steps away) or a quote's text."""
    line = rng.choice(data.with_predicate(rng.choice([OA.exact, OA.exact, KG.exactText])))
    subject, predicate, obj = line.split(" ", 2)
    return [line], [f'{subject} {predicate} "{rng.choice(["edited", "", "Edited words"])}"'], {}


def text_file(rng, data):
    """The article text itself edited: its document's kg:sha256 changes with it."""
    line = rng.choice(data.with_predicate(KG.textFile))
    document, _, name = line.split(" ", 2)
    path = data.root / name.strip('"')
    raw = path.read_bytes()
    position = rng.randrange(len(raw) // 2)
    edited = raw[:position] + rng.choice([b"X", b"", b"  "]) + raw[position + rng.choice([0, 1, 3]):]
    old = data.about(document, KG.sha256)
    return old, [f'{document} {t(KG.sha256)} "{hashlib.sha256(edited).hexdigest()}"'], {path: edited}


def missing_text(rng, data):
    line = rng.choice(data.with_predicate(KG.textFile))
    return [line], [f'{line.split(" ")[0]} {t(KG.textFile)} "seeds/gone.txt"'], {}


def second_value(rng, data):
    predicate = rng.choice([KG.statedBy, KG.unit, OA.start, KG.inDocument, KG.exactText, KG.sha256, KG.hasQuote, KG.anchoredAt,
                            OA.hasSelector, KG.reportedIn])
    line = rng.choice(data.with_predicate(predicate))
    subject, _, obj = line.split(" ", 2)
    others = sorted({row[2] for row in data.rows if row[1] == t(predicate) and row[2] != obj})
    return [], [f"{subject} {t(predicate)} {rng.choice(others)}"], {}


def bad_datatype(rng, data):
    predicate = rng.choice([OA.start, OA.end, KG.value, KG.sha256, KG.textFile])
    line = rng.choice(data.with_predicate(predicate))
    value = rng.choice([f'"5"^^<{XSD}integer>', f'"abc"^^<{XSD}nonNegativeInteger>', '"0.5"', f'"-2"^^<{XSD}nonNegativeInteger>', '""'])
    return [line], [f"{line.split(' ')[0]} {t(predicate)} {value}"], {}


def uncite(rng, data):
    """A statistic no statement cites any more (nor its inferred inverse): its origin is gone unless it has a source."""
    statistic = rng.choice(data.typed(KG.Statistic))
    return [line for line in data.lines if line.endswith(f"{t(KG.cites)} {statistic}") or line.startswith(f"{statistic} {t(KG.citedBy)}")], [], {}


def wake_dormant(rng, data):
    return [], [rng.choice([f"<{V.KGR}dormant-selector> {TYPE} {t(OA.TextPositionSelector)}",
                            f"<{V.KGR}dormant-anchor> {TYPE} {t(KG.Anchor)}",
                            f"{rng.choice(data.typed(KG.Quote))} {t(KG.anchoredAt)} <{V.KGR}dormant-anchor>"])], {}


def moved_quote(rng, data):
    """A quote moved in its text: its anchor's selector is a new node (the offsets are in its name), whose values,
    right or wrong, come only with the edit."""
    anchor, _, selector = rng.choice(data.with_predicate(OA.hasSelector)).split(" ", 2)
    old = [line for line in data.lines if line.startswith(f"{selector} ") or line.endswith(f" {selector}")]
    moved = f"<{V.KGR}moved-selector-{rng.randrange(10 ** 6)}>"
    new = [line.replace(selector, moved) for line in old]
    if rng.random() < 0.5:
        new = [re.sub(r'"[0-9]+"(\^\^<[^>]*>)$', lambda m: rng.choice(['"-4"', '"x"', '"3"']) + m.group(1), line) for line in new]
    return old, new, {}


def harmless(rng, data):
    """Nothing any check reads."""
    predicate = rng.choice([KG.claim, RDFS.label, V.SCHEMA.description])
    line = rng.choice(data.with_predicate(predicate))
    return [line], [f'{line.split(" ")[0]} {t(predicate)} "reworded {rng.randrange(1000)}"', f'<{V.KGR}unrelated> <{V.KGR}says> "hello"'], {}


def subclass(rng, data):
    """The class hierarchy: every sh:class and sh:targetClass may change (everything is checked)."""
    return [rng.choice(sorted(line for line in data.lines if f" {SUBCLASS} " in line and line.startswith(f"<{KG}")))], [], {}


EDITS = [remove_required, retype, drop_type, offsets, exact_text, exact_text, text_file, missing_text, second_value,
         bad_datatype, uncite, wake_dormant, wake_dormant, moved_quote, moved_quote, harmless, harmless, subclass]


# --------------------------------------------------------------------------- the oracle


def check(data: Data, lines: set[str], store=None, changed=None):
    return check_triple_lines(iter(sorted(lines)), data.origins, data.root, data.root / "ontology" / "shapes", store, changed=changed)


def built(root: Path) -> tuple[set[str], dict, object]:
    """The union of the dataset's graphs, asserted and inferred, as the build makes them, and the reasoner's store."""
    project = open_project(root)
    _corpus, lines, origins = read_project(project)
    lines[str(V.INFERRED_GRAPH)], store = reason_lines(project, lines, origins)
    return union(lines), origins.lines, store


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Data:
    root = load_generator().generate(12, tmp_path_factory.mktemp("incremental") / "corpus", seed=11)
    lines, origins, _store = built(root)
    data = Data(root, lines | set(DORMANT), origins)
    assert check(data, data.lines) == []  # the precondition: the previous data passed
    return data


def test_random_edits_give_the_problems_of_checking_everything(corpus, monkeypatch):
    from kg import shapes

    bounded = []  # whether each restricted check checked only part of the data: else this test proves nothing
    original = shapes._Scope.bound
    monkeypatch.setattr(shapes._Scope, "bound", lambda self, view: bounded.append(original(self, view)) or bounded[-1])
    rng = random.Random(20261201)
    broken = valid = 0
    for number in range(70):
        edits = rng.sample(EDITS, rng.choice([1, 1, 2, 3]))
        removed, added, files = set(), set(), {}
        for edit in edits:
            gone, new_lines, new_files = edit(rng, corpus)
            removed |= set(gone)
            added |= set(new_lines)
            files.update(new_files)
        new = (corpus.lines - removed) | added
        delta = corpus.lines ^ new
        saved = {path: path.read_bytes() for path in files}
        try:
            for path, raw in files.items():
                path.write_bytes(raw)
            store = stored(new)
            everything = check(corpus, new, store)
            assert check(corpus, new, store, changed=delta) == everything, (number, [edit.__name__ for edit in edits], sorted(delta))
            if number % 5 == 0:  # without the store: every line is loaded and read
                assert check(corpus, new, changed=sorted(delta)) == everything, (number, [edit.__name__ for edit in edits])
        finally:
            for path, raw in saved.items():
                path.write_bytes(raw)
        broken += bool(everything)
        valid += not everything
    assert broken > 40 and valid > 5, (broken, valid)
    assert bounded.count(True) > 50, bounded


def test_annotation_edits_built_again_give_the_problems_of_checking_everything(corpus):
    """Edits of an annotation file through the build's own reading and reasoning, the reasoner's store handed over."""
    root = corpus.root
    base = {line for line in corpus.lines if line not in DORMANT}
    article = root / "seeds" / "article-00003.yaml"
    registry = root / "seeds" / "registry.yaml"
    text = article.read_text(encoding="utf-8")
    edits = {
        "claim reworded": (article, text.replace('claim: "', 'claim: "Reworded: ', 1)),
        "quote shortened": (article, re.sub(r'(    quote: "[^"]*?), a count covering[^"]*"', r'\1"', text, count=1)),
        "cites dropped": (article, re.sub(r"    cites: .*\n", "", text, count=1)),
        "statement dropped": (article, re.sub(r"  - id: letter\n(    .*\n)*", "", text, count=1)),
        # cited by no statement: without its source it has no origin
        "statistic unsourced": (registry, re.sub(r"(  - id: oakhaven-pilot-deportations\n(    .*\n)*?)    source: .*\n", r"\1",
                                                 registry.read_text(encoding="utf-8"), count=1)),
    }
    outcomes = {}
    for name, (path, edited) in edits.items():
        original = path.read_text(encoding="utf-8")
        assert edited != original, name
        try:
            path.write_text(edited, encoding="utf-8")
            new, origins, store = built(root)
        finally:
            path.write_text(original, encoding="utf-8")
        delta = base ^ new
        assert delta, name
        arguments = (iter(sorted(new)), origins, root, root / "ontology" / "shapes")
        everything = check_triple_lines(*arguments, store)
        assert check_triple_lines(iter(sorted(new)), origins, root, root / "ontology" / "shapes", store, changed=delta) == everything, name
        outcomes[name] = len(everything)
    assert outcomes == {"claim reworded": 0, "quote shortened": 0, "cites dropped": 0, "statement dropped": 0, "statistic unsourced": 1}


class Unread:
    """Lines that fail the test if anything reads them."""

    def __init__(self, lines):
        self.lines = lines

    def __iter__(self):
        return self

    def __next__(self):
        raise AssertionError("every line was read")


def test_a_moved_quotes_new_offsets_are_judged_from_the_edit_alone(corpus):
    """A new selector's values all come with the edit: its datatype checks need no other line, right or wrong."""
    anchor, _, selector = corpus.with_predicate(OA.hasSelector)[0].split(" ", 2)
    old = {line for line in corpus.lines if line.startswith(f"{selector} ") or line.endswith(f" {selector}")}
    moved = f"<{V.KGR}moved-selector>"
    for bad in (None, '"-4"', '"x"'):
        new = {line.replace(selector, moved) for line in old}
        if bad:
            new = {re.sub(r'"[0-9]+"(\^\^<[^>]*>)$', lambda m: bad + m.group(1), line) for line in new}
        after = (corpus.lines - old) | new
        everything = check(corpus, after)
        assert bool(everything) == bool(bad), bad
        assert check_triple_lines(Unread(after), corpus.origins, corpus.root, corpus.root / "ontology" / "shapes", stored(after),
                                  changed=old | new) == everything, bad


def test_a_retargeted_node_with_values_from_unchanged_lines_reads_every_line(corpus):
    """A dormant selector made a focus node: its bad offsets are in lines the edit did not touch."""
    woken = f"<{V.KGR}dormant-selector> {TYPE} {t(OA.TextPositionSelector)}"
    after = corpus.lines | {woken}
    everything = check(corpus, after)
    assert everything
    with pytest.raises(AssertionError, match="every line was read"):
        check_triple_lines(Unread(after), corpus.origins, corpus.root, corpus.root / "ontology" / "shapes", stored(after), changed=[woken])
    assert check(corpus, after, stored(after), changed=[woken]) == everything


def test_a_retargeted_nodes_unchanged_values_are_read_from_the_graphs_holding_them(corpus):
    """With the named graphs in the store (as the build's query store has them), a woken node's values are
    read from its own graph's lines only; a graph too costly to read (None) means every line."""
    woken = f"<{V.KGR}dormant-selector> {TYPE} {t(OA.TextPositionSelector)}"
    after = corpus.lines | {woken}
    store = stored(after)
    dormant, rest = ox.NamedNode("urn:kg:test:dormant"), ox.NamedNode("urn:kg:test:rest")
    for line, graph in [(line, dormant if line in DORMANT else rest) for line in after]:
        triple = next(iter(ox.parse((line + " .\n").encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)))
        store.add(ox.Quad(triple.subject, triple.predicate, triple.object, graph))
    everything = check(corpus, after)
    assert everything
    requested = []

    def graph_lines(name):
        requested.append(name)
        return DORMANT if name == dormant.value else None

    shapes_dir = corpus.root / "ontology" / "shapes"
    assert check_triple_lines(Unread(after), corpus.origins, corpus.root, shapes_dir, store, changed=[woken],
                              graph_lines=graph_lines) == everything
    assert requested == [dormant.value]
    with pytest.raises(AssertionError, match="every line was read"):
        check_triple_lines(Unread(after), corpus.origins, corpus.root, shapes_dir, store, changed=[woken], graph_lines=lambda name: None)


def test_what_cannot_be_bounded_is_checked_in_full(corpus, tmp_path):
    """The data keeps a problem of its own (against the precondition, on purpose): whether it is found tells
    whether everything was checked."""
    statement = corpus.typed(KG.Statement)[0]
    before = {line for line in corpus.lines if not line.startswith(f"{statement} {t(KG.statedBy)} ")}
    assert any("has no speaker" in problem.message for problem in check(corpus, before))
    unrelated = f'<{V.KGR}unrelated> <{V.KGR}says> "hello"'
    assert check(corpus, before | {unrelated}, changed=[unrelated]) == []  # bounded: the statement is not checked
    assert check(corpus, before | {unrelated}, changed=[]) == []

    for line in (f"<{V.KGR}Spokesperson> {SUBCLASS} <{KG.Person}>",  # sh:class and sh:targetClass may change anywhere
                 '_:someone <https://w3id.org/kg/id/says> "hello"'):  # a blank node cannot be found in the store
        after = before | {line}
        assert check(corpus, after, stored(after), changed=[line]) == check(corpus, after) != []

    # a SPARQL constraint the compiled checks run but whose reach is not bounded (OPTIONAL)
    shapes = tmp_path / "shapes"
    shapes.mkdir()
    (shapes / "kg-shapes.ttl").write_bytes((corpus.root / "ontology" / "shapes" / "kg-shapes.ttl").read_bytes())
    (shapes / "more.ttl").write_text(f"""@prefix sh: <http://www.w3.org/ns/shacl#> .
<https://example.org/ClaimShape> a sh:NodeShape ; sh:targetClass <{KG.Statement}> ;
    sh:sparql [ sh:message "claim is odd: fix it" ;
        sh:select "SELECT $this WHERE {{ $this <{KG.claim}> ?claim OPTIONAL {{ ?claim <urn:x> ?y }} FILTER (false) }}" ] .
""", encoding="utf-8")
    after = before | {unrelated}
    everything = check_triple_lines(iter(sorted(after)), corpus.origins, corpus.root, shapes)
    assert any("has no speaker" in problem.message for problem in everything)
    assert check_triple_lines(iter(sorted(after)), corpus.origins, corpus.root, shapes, stored(after), changed=[unrelated]) == everything


def test_a_reach_kept_between_checks_is_worked_out_once_and_gives_the_same_problems(corpus, tmp_path, monkeypatch):
    from kg import shape_reach

    runs, real = [], shape_reach.shape_reach
    monkeypatch.setattr(shape_reach, "shape_reach", lambda shapes: runs.append(1) or real(shapes))
    statement = corpus.typed(KG.Statement)[0]
    speaker = next(line for line in sorted(corpus.lines) if line.startswith(f"{statement} {t(KG.statedBy)} "))
    after = corpus.lines - {speaker}
    everything = check(corpus, after)
    assert any("has no speaker" in problem.message for problem in everything)
    shapes = corpus.root / "ontology" / "shapes"
    for _ in range(3):
        assert check_triple_lines(iter(sorted(after)), corpus.origins, corpus.root, shapes, stored(after), changed=[speaker],
                                  reach_cache=tmp_path / "reach") == everything
    assert len(runs) == 1 and len(list((tmp_path / "reach").glob("*.json"))) == 1
