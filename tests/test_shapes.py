"""SHACL shapes (ontology/shapes/) on the built graph, and the anchor checks against the verbatim text:
the real seeds conform, and each kind of broken node is reported at the annotation line behind it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from conftest import FIXTURES, REPO, copy_project
from kg.annotations import read_corpus
from kg.build import assemble, union
from kg.errors import Problem
from kg.project import open_project
from kg.reasoning import infer
from kg.shape_queries import Unsupported, compile_shapes
from kg.ntriples import term
from kg.shapes import check_shapes, check_triple_lines
from kg.vocabulary import KG, KGR, OA

SH = "http://www.w3.org/ns/shacl#"
SHAPES_FILE = "ontology/shapes/kg-shapes.ttl"
OFFSET = URIRef("http://www.w3.org/2001/XMLSchema#nonNegativeInteger")  # the datatype of oa:start/oa:end


def built_data(root: Path) -> tuple[Graph, dict]:
    """The graph the shapes run on, made as kg.build makes it: asserted graphs plus the inferred graph."""
    project = open_project(root)
    corpus = read_corpus(project.seeds, project.root)
    graphs, origins = assemble(project, corpus)
    asserted = union(graphs)
    return asserted + infer(asserted), origins.lines


def check(root: Path, data: Graph, origins: dict) -> list[Problem]:
    """The problems found by the shapes compiled to SPARQL, which must be exactly pySHACL's."""
    shapes_dir = root / "ontology" / "shapes"
    compiled = check_shapes(data, origins, root, shapes_dir, engine="sparql")
    assert compiled == check_shapes(data, origins, root, shapes_dir, engine="pyshacl")
    lines = [f"{term(s)} {term(p)} {term(o)}" for s, p, o in data]  # as the build hands them over
    assert check_triple_lines(lines, origins, root, shapes_dir) == compiled
    # and with the reasoner's store, which the build hands over too: the literals are then read off the lines
    store = ox.Store()
    store.bulk_load("".join(line + " .\n" for line in lines).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    assert check_triple_lines(lines, origins, root, shapes_dir, store) == compiled
    return compiled


def clone(graph: Graph) -> Graph:
    copy = Graph()
    for triple in graph:
        copy.add(triple)
    return copy


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the only line of `path` containing `needle`."""
    lines = [n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in text]
    assert len(lines) == 1, (needle, lines)
    return lines[0]


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("shapes-seeds"))
    data, origins = built_data(root)
    return root, data, origins


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("shapes-mini"), FIXTURES / "mini" / "seeds")
    data, origins = built_data(root)
    return root, data, origins


STATEMENT = KGR["town-note/statement/park-praise"]
QUOTE = KGR["town-note/quote/park-praise"]
STATISTIC = KGR["pilot-resolved-share"]


def quote_anchor(data: Graph) -> tuple[URIRef, URIRef, URIRef]:
    """The anchor of park-praise's quote, its position selector and its quote selector."""
    anchor = data.value(QUOTE, KG.anchoredAt)
    selectors = set(data.objects(anchor, OA.hasSelector))
    position = next(s for s in selectors if (s, RDF.type, OA.TextPositionSelector) in data)
    exact = next(s for s in selectors if (s, RDF.type, OA.TextQuoteSelector) in data)
    return anchor, position, exact


# --------------------------------------------------------------------------- the shapes file


def test_shapes_file_parses_and_every_shape_is_documented():
    graph = Graph()
    graph.parse(REPO / SHAPES_FILE, format="turtle")
    node_shapes = set(graph.subjects(RDF.type, URIRef(SH + "NodeShape")))
    targets = {o for s in node_shapes for o in graph.objects(s, URIRef(SH + "targetClass"))}
    assert {KG.Statement, KG.Statistic, KG.Anchor, KG.Quote, OA.TextPositionSelector, OA.TextQuoteSelector} <= targets
    for shape in node_shapes:
        assert isinstance(shape, URIRef), shape
        assert (shape, RDFS.label, None) in graph and (shape, RDFS.comment, None) in graph, shape
    property_shapes = set(graph.objects(None, URIRef(SH + "property")))
    assert len(property_shapes) > 25
    for shape in property_shapes:
        messages = [str(m) for m in graph.objects(shape, URIRef(SH + "message"))]
        assert messages, f"property shape on {graph.value(shape, URIRef(SH + 'path'))} has no sh:message"
        for message in messages:
            what, _, todo = message.partition(": ")
            assert what and todo, f"sh:message must read 'what is wrong: what to do': {message!r}"


def test_shapes_are_not_loaded_as_ontology():
    project = open_project(REPO)
    assert all(path.parent == project.ontology for path in project.ontology_files())
    assert (REPO / SHAPES_FILE).is_file()


def test_importing_the_module_does_not_import_pyshacl():
    code = "import sys, kg.shapes; assert 'pyshacl' not in sys.modules, 'pyshacl imported eagerly'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


# --------------------------------------------------------------------------- the real seeds


def test_real_seeds_conform(seeds):
    root, data, origins = seeds
    assert len(set(data.subjects(RDF.type, KG.Statement))) > 50  # the shapes had something to check
    assert len(set(data.subjects(RDF.type, KG.Statistic))) > 5
    assert check(root, data, origins) == []


def test_seed_statistics_without_a_source_get_their_origin_from_a_citing_statement(seeds):
    root, data, origins = seeds
    unsourced = KGR["boston-pilot-mostly-no-convictions"]
    assert (unsourced, KG.originalSource, None) not in data
    broken = clone(data)
    broken.remove((None, KG.cites, unsourced))
    broken.remove((unsourced, KG.citedBy, None))
    problems = check(root, broken, origins)
    line = line_of(root / "seeds" / "registry.yaml", "id: boston-pilot-mostly-no-convictions")
    assert [(p.file, p.line) for p in problems] == [("seeds/registry.yaml", line)]
    assert "no origin" in problems[0].message and "source:" in problems[0].hint


# --------------------------------------------------------------------------- the mini corpus, broken


def test_mini_corpus_conforms(mini):
    root, data, origins = mini
    assert (STATISTIC, KG.originalSource, None) not in data  # its origin is the statement citing it
    assert check(root, data, origins) == []


def test_statement_without_speaker_points_at_the_statement(mini):
    root, data, origins = mini
    broken = clone(data)
    broken.remove((STATEMENT, KG.statedBy, None))
    problems = check(root, broken, origins)
    line = line_of(root / "seeds" / "note.yaml", "id: park-praise")
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.file, problem.line, problem.kind) == ("seeds/note.yaml", line, "shape")
    assert "no speaker" in problem.message and "park-praise" in problem.message
    assert "speaker: ID" in problem.hint
    assert str(problem).startswith(f"seeds/note.yaml:{line}: ")


def test_speaker_that_is_not_a_person_or_organization(mini):
    root, data, origins = mini
    broken = clone(data)
    broken.set((STATEMENT, KG.statedBy, KGR["freedonia"]))
    problems = check(root, broken, origins)
    line = line_of(root / "seeds" / "note.yaml", "id: park-praise")
    assert problems and all((p.file, p.line) == ("seeds/note.yaml", line) for p in problems)
    assert any("neither a person nor an organization" in p.message and "kgr:freedonia" in p.message for p in problems)


def test_class_membership_follows_subclasses_named_or_blank(mini):
    """sh:class through rdfs:subClassOf chains the data itself declares, to a named class and to a blank
    one (which the compiled checks cannot write in the query and keep as a path): pySHACL's answer either way."""
    root, data, origins = mini
    for make_class in (lambda: URIRef("https://example.org/Spokesperson"), BNode):
        broken = clone(data)
        speaker, middle, spokesperson = KGR["freedonia"], make_class(), make_class()
        broken.set((STATEMENT, KG.statedBy, speaker))
        broken.add((speaker, RDF.type, spokesperson))
        broken.add((spokesperson, RDFS.subClassOf, middle))
        broken.add((middle, RDFS.subClassOf, KG.Person))
        assert not [p for p in check(root, broken, origins) if "neither a person nor an organization" in p.message]
        broken.remove((middle, RDFS.subClassOf, KG.Person))
        assert [p for p in check(root, broken, origins) if "neither a person nor an organization" in p.message]


def test_statistic_without_unit_and_value_points_at_the_registry(mini):
    root, data, origins = mini
    broken = clone(data)
    broken.remove((STATISTIC, KG.unit, None))
    broken.remove((STATISTIC, KG.value, None))
    problems = check(root, broken, origins)
    line = line_of(root / "seeds" / "registry.yaml", "id: pilot-resolved-share")
    assert {(p.file, p.line) for p in problems} == {("seeds/registry.yaml", line)}
    messages = " | ".join(p.message for p in problems)
    assert "no unit" in messages and "neither a value nor a bound" in messages
    assert len(problems) == 2


def test_statistic_without_any_origin(mini):
    root, data, origins = mini
    broken = clone(data)
    broken.remove((None, KG.cites, STATISTIC))
    problems = check(root, broken, origins)
    line = line_of(root / "seeds" / "registry.yaml", "id: pilot-resolved-share")
    assert [(p.file, p.line) for p in problems] == [("seeds/registry.yaml", line)]
    assert "no origin" in problems[0].message
    broken.add((STATISTIC, KG.originalSource, KGR["town-pilot"]))
    assert check(root, broken, origins) == []


def test_anchor_end_beyond_the_text_points_at_the_quote(mini):
    root, data, origins = mini
    anchor, position, _exact = quote_anchor(data)
    length = len((root / "seeds" / "note.txt").read_bytes().decode("utf-8"))
    broken = clone(data)
    broken.set((position, OA.end, Literal(length + 5, datatype=OFFSET)))
    problems = check(root, broken, origins)
    line = line_of(root / "seeds" / "note.yaml", 'quote: "works well."')
    assert problems and all((p.file, p.line) == ("seeds/note.yaml", line) for p in problems)
    assert any("do not lie inside seeds/note.txt" in p.message for p in problems)
    assert all(p.hint for p in problems)


def test_anchor_end_at_the_end_of_the_text_is_fine(mini):
    root, data, origins = mini
    text = (root / "seeds" / "note.txt").read_bytes().decode("utf-8")
    _anchor, position, exact = quote_anchor(data)
    start = int(data.value(position, OA.start))
    shifted = clone(data)
    shifted.set((position, OA.end, Literal(len(text), datatype=OFFSET)))
    shifted.set((exact, OA.exact, Literal(text[start:])))
    shifted.set((QUOTE, KG.exactText, Literal(text[start:])))
    assert check(root, shifted, origins) == []


def test_anchor_with_changed_exact_text_points_at_the_quote(mini):
    root, data, origins = mini
    _anchor, _position, exact = quote_anchor(data)
    broken = clone(data)
    broken.set((exact, OA.exact, Literal("works very well.")))
    problems = check(root, broken, origins)
    line = line_of(root / "seeds" / "note.yaml", 'quote: "works well."')
    assert problems and all((p.file, p.line) == ("seeds/note.yaml", line) for p in problems)
    assert any("not the anchor's exact text" in p.message and p.hint.startswith("re-anchor") for p in problems)


def test_anchor_with_start_not_before_end_is_a_shape_violation_at_the_quote(mini):
    root, data, origins = mini
    _anchor, position, _exact = quote_anchor(data)
    start = int(data.value(position, OA.start))
    broken = clone(data)
    broken.set((position, OA.end, Literal(start, datatype=OFFSET)))
    problems = check(root, broken, origins)
    line = line_of(root / "seeds" / "note.yaml", 'quote: "works well."')
    assert problems and all((p.file, p.line) == ("seeds/note.yaml", line) for p in problems)
    # The selector has no origin of its own: it is reported at its anchor's line.
    assert any("position-selector" in p.message and "not before its end" in p.message for p in problems)


def test_missing_article_text_file(mini):
    root, data, origins = mini
    broken = clone(data)
    broken.set((KGR["town-note"], KG.textFile, Literal("seeds/gone.txt")))
    problems = check(root, broken, origins)
    assert len(problems) == 1
    assert problems[0].file == "seeds/note.yaml" and "seeds/gone.txt" in problems[0].message


def test_bad_checksum_and_missing_document_fields(mini):
    root, data, origins = mini
    broken = clone(data)
    broken.set((KGR["town-note"], KG.sha256, Literal("not-a-digest")))
    problems = check(root, broken, origins)
    assert [p.file for p in problems] == ["seeds/note.yaml"]
    assert "sha256" in problems[0].message


def test_without_origins_problems_point_at_the_shapes_file(mini):
    root, data, _origins = mini
    broken = clone(data)
    broken.remove((STATEMENT, KG.statedBy, None))
    problems = check(root, broken, {})
    assert [(p.file, p.line) for p in problems] == [(SHAPES_FILE, None)]


def test_problems_are_sorted_and_repeatable(mini):
    root, data, origins = mini
    _anchor, position, _exact = quote_anchor(data)
    broken = clone(data)
    broken.remove((STATEMENT, KG.statedBy, None))
    broken.remove((STATISTIC, KG.unit, None))
    broken.set((position, OA.end, Literal(10_000, datatype=OFFSET)))
    broken.add((KGR["town-note/statement/park-figures"], KG.statedBy, BNode()))
    first = check(root, broken, origins)
    assert len(first) >= 4
    assert first == sorted(first, key=lambda p: (p.file, p.line or 0, p.column or 0, p.message, p.hint))
    assert check(root, broken, origins) == first


def test_a_shapes_file_that_does_not_parse_is_a_problem_not_a_crash(tmp_path, mini):
    root, data, origins = mini
    shapes_dir = tmp_path / "shapes"
    shapes_dir.mkdir()
    (shapes_dir / "broken.ttl").write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n\nthis is not turtle\n", encoding="utf-8")
    problems = check_shapes(data, origins, root, shapes_dir)  # outside the project: the full path is shown
    assert [(p.file, p.kind) for p in problems] == [(str(shapes_dir / "broken.ttl"), "shape")]
    assert "cannot parse" in problems[0].message


# --------------------------------------------------------------------------- the compiled shapes against pySHACL


def test_the_shapes_compile_to_sparql():
    shapes = Graph().parse(REPO / SHAPES_FILE, format="turtle")
    checks = compile_shapes(shapes)
    assert len(checks) >= 50  # one per constraint: every shape is checked on the fast path
    assert {check.shape for check in checks} >= set(shapes.objects(None, URIRef(SH + "property")))
    counts = [check for check in checks if check.bound]
    # the counts of one target's focus nodes are one query (sh:minCount and sh:maxCount of a path count once)
    assert len({check.query for check in counts}) == len({check.counted[0] for check in counts}) < len(counts)


def test_counts_of_one_target_are_one_query_that_reports_each_count():
    # three counts of one target, their values in one UNION: a node breaking one count is reported for
    # that one only; an IRI that holds "?value" is left as it is
    shapes = Graph().parse(data=f"""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:s> a sh:NodeShape ; sh:targetClass <urn:C> ;
            sh:property [ sh:path <urn:a> ; sh:minCount 1 ; sh:message "no a" ] ,
                        [ sh:path <urn:b> ; sh:maxCount 1 ; sh:message "b twice" ] ,
                        [ sh:path <http://example.org/?value=1> ; sh:minCount 1 ; sh:maxCount 2 ; sh:message "odd" ] .
        """, format="turtle")
    checks = [check for check in compile_shapes(shapes) if check.bound]
    assert len(checks) == 4 and len({check.query for check in checks}) == 1
    assert "<http://example.org/?value=1>" in checks[0].query
    store = ox.Store()
    store.load(b"""<urn:x> a <urn:C> . <urn:x> <urn:a> 1 . <urn:x> <http://example.org/?value=1> 1 .
        <urn:y> a <urn:C> . <urn:y> <urn:a> 1 . <urn:y> <urn:b> 1, 2 . <urn:y> <http://example.org/?value=1> 1, 2, 3 .
        <urn:z> a <urn:C> . <urn:z> <http://example.org/?value=1> 1 .""", format=ox.RdfFormat.TURTLE)
    from kg.shape_queries import run_checks

    found = sorted((str(focus), messages[0]) for focus, _, _, messages, _ in run_checks(checks, store, None))
    assert found == [("urn:y", "b twice"), ("urn:y", "odd"), ("urn:z", "no a")]


def test_wrong_and_ill_formed_datatypes_are_caught_as_pyshacl_does(mini):
    root, data, origins = mini
    _anchor, position, _exact = quote_anchor(data)
    broken = clone(data)
    broken.set((position, OA.start, Literal("3", datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer"))))
    broken.set((STATISTIC, KG.value, Literal("a third", datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal"))))
    broken.set((STATISTIC, KG.upperBound, Literal("0.33")))
    problems = check(root, broken, origins)
    assert sum("not a non-negative integer" in p.message for p in problems) == 1
    assert any("found a third" in p.message for p in problems) and any("found '0.33'" in p.message for p in problems)


def test_a_literal_that_names_a_checked_property_is_read_as_a_literal(mini):
    # the datatype checks read the values off the lines; a claim quoting " <oa:start> " used to be taken
    # for a line of that property (a KeyError, or the same value counted twice)
    root, data, origins = mini
    _anchor, position, _exact = quote_anchor(data)
    broken = clone(data)
    broken.set((STATEMENT, KG.claim, Literal(f"see <{OA.start}> <{OA.start}> <{KG.value}> and more")))
    assert check(root, broken, origins) == check(root, clone(data), origins)
    broken.set((position, OA.start, Literal("3", datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer"))))
    assert sum("not a non-negative integer" in p.message for p in check(root, broken, origins)) == 1


def test_many_breakages_at_once_give_pyshacls_answer(seeds):
    """Every tenth triple of the predicates the shapes look at removed, retyped or repeated: the compiled
    checks and pySHACL must report the same problems, one for one."""
    root, data, origins = seeds
    watched = [KG.statedBy, KG.hasQuote, KG.reportedIn, KG.exactText, KG.anchoredAt, KG.inDocument, OA.hasSelector,
               OA.start, OA.end, OA.exact, KG.textFile, KG.sha256, KG.unit, KG.value, KG.lowerBound, KG.cites, KG.originalSource]
    broken = clone(data)
    for number, triple in enumerate(sorted((t for p in watched for t in data.triples((None, p, None))), key=str)):
        if number % 10 == 0:
            broken.remove(triple)
        elif number % 10 == 3:
            broken.add((triple[0], triple[1], Literal(f"extra {number}")))
        elif number % 10 == 7 and isinstance(triple[2], URIRef):
            broken.add((triple[0], triple[1], KGR[f"unknown-{number}"]))
    assert len(check(root, broken, origins)) > 100


def test_shapes_beyond_the_compiled_subset_fall_back_to_pyshacl(tmp_path, mini):
    root, data, origins = mini
    shapes_dir = tmp_path / "shapes"
    shapes_dir.mkdir()
    (shapes_dir / "kinds.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix kg: <https://w3id.org/kg/ontology#> .\n"
        "<urn:shape> a sh:NodeShape ; sh:targetClass kg:Statement ;\n"
        "  sh:property [ sh:path kg:claim ; sh:nodeKind sh:IRI ; sh:message \"claim is not an IRI: make it one\" ] .\n",
        encoding="utf-8")
    with pytest.raises(Unsupported):
        compile_shapes(Graph().parse(shapes_dir / "kinds.ttl"))
    problems = check_shapes(data, origins, root, shapes_dir)
    assert problems and all("claim is not an IRI" in p.message for p in problems)


def test_the_shapes_are_parsed_from_the_bytes_their_digest_names(tmp_path):
    """kg/shape_reach.py keeps the shapes' reach under this digest: it must change with any byte or place of a
    file, and the graph must be the one rdflib makes of the file itself (relative IRIs resolve against it)."""
    from rdflib.compare import isomorphic

    from kg.shapes import _load_shapes

    shapes_dir = tmp_path / "shapes"
    shapes_dir.mkdir()
    (shapes_dir / "kg-shapes.ttl").write_bytes((REPO / SHAPES_FILE).read_bytes())
    (shapes_dir / "relative.ttl").write_text('@prefix sh: <http://www.w3.org/ns/shacl#> .\n<Local> sh:targetNode <#node> .\n', encoding="utf-8")
    shapes, _files, problems, digest = _load_shapes(shapes_dir, tmp_path)
    by_path = Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        by_path.parse(path, format="turtle")
    assert not problems and isomorphic(shapes, by_path) and len(shapes) > 100
    assert (URIRef((shapes_dir / "Local").as_uri()), URIRef(SH + "targetNode"), URIRef((shapes_dir / "relative.ttl").as_uri() + "#node")) in shapes
    assert _load_shapes(shapes_dir, tmp_path)[3] == digest
    with (shapes_dir / "relative.ttl").open("a", encoding="utf-8") as stream:
        stream.write("# a comment: the same triples, other bytes\n")
    assert _load_shapes(shapes_dir, tmp_path)[3] != digest
    edited = _load_shapes(shapes_dir, tmp_path)[3]
    moved = tmp_path / "elsewhere"
    shapes_dir.rename(moved)
    assert _load_shapes(moved, tmp_path)[3] != edited  # the same bytes elsewhere: relative IRIs would differ


def test_an_offset_that_is_no_integer_is_left_to_the_shapes():
    # pyoxigraph keeps "ten"^^xsd:integer as it is: the anchors' records hold None, not a crash
    from kg.shapes import _whole

    integer = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    assert _whole(ox.Literal("ten", datatype=integer)) is None
    assert _whole(ox.Literal("12", datatype=integer)) == 12
    assert _whole(ox.Literal("12")) is None
