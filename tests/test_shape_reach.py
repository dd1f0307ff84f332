"""kg/shape_reach.py: the paths the shapes read from a focus node, and the nodes a changed triple reaches back."""
from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import Graph

from conftest import REPO
from kg.shape_reach import Unbounded, kept_shape_reach, reached, shape_reach, sparql_paths

KG = "https://w3id.org/kg/ontology#"
OA = "http://www.w3.org/ns/oa#"
EX = "https://example.org/"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
PREFIXES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <https://example.org/> .
"""


def short(path) -> str:
    return "/".join(("" if forward else "^") + predicate.rsplit("#", 1)[-1].rsplit("/", 1)[-1] for predicate, forward in path)


def test_the_kg_shapes_reach_three_steps():
    reach = shape_reach(Graph().parse(REPO / "ontology" / "shapes" / "kg-shapes.ttl"))
    paths = {short(path) for path in reach.paths}
    # the quote's SPARQL constraint, sh:class of a value, an inverse path and the class of its values, targets
    assert {"anchoredAt/hasSelector/exact", "statedBy/type", "hasSelector/type", "^cites/type", "end", "sha256", "type"} <= paths
    assert max(len(path) for path in reach.paths) == 3
    assert {short(path) for path in reach.target_paths} == {"type", "^hasQuote", "^anchoredAt", "^inDocument", "^reportedIn"}
    assert reach.global_predicates == {SUBCLASS}


TINY_SHAPES = PREFIXES + """
ex:S a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:p ; sh:class ex:C ; sh:message "p is not a C: fix it" ] ;
    sh:property [ sh:path [ sh:inversePath ex:q ] ; sh:minCount 1 ; sh:message "nothing q's it: add one" ] ;
    sh:sparql [ sh:message "a/b is bad: fix it" ; sh:select "SELECT $this WHERE { $this <https://example.org/a>/<https://example.org/b> ?x FILTER (?x = 0) }" ] .
ex:T a sh:NodeShape ; sh:targetObjectsOf ex:r ;
    sh:or ( [ sh:path ex:s ; sh:minCount 1 ] [ sh:path ( ex:t ex:u ) ; sh:minCount 1 ] ) ; sh:message "no s or t/u: add one" .
"""


def test_the_paths_of_a_tiny_shapes_graph():
    reach = shape_reach(Graph().parse(data=TINY_SHAPES, format="turtle"))
    assert {short(path) for path in reach.paths} == {"type", "p", "p/type", "^q", "a", "a/b", "^r", "s", "t/u"}
    assert {short(path) for path in reach.target_paths} == {"type", "^r"}


def test_a_changed_triple_reaches_back_to_the_focus_nodes_whose_checks_read_it():
    reach = shape_reach(Graph().parse(data=TINY_SHAPES, format="turtle"))
    store = ox.Store()
    store.bulk_load(f"""
        <{EX}s1> <{TYPE}> <{EX}Thing> . <{EX}s1> <{EX}p> <{EX}v1> . <{EX}v1> <{TYPE}> <{EX}C> .
        <{EX}s2> <{TYPE}> <{EX}Thing> . <{EX}s2> <{EX}p> <{EX}v2> . <{EX}x> <{EX}q> <{EX}s2> .
        <{EX}s3> <{TYPE}> <{EX}Thing> . <{EX}s3> <{EX}a> <{EX}m> . <{EX}m> <{EX}b> "1" . <{EX}s1> <{EX}a> <{EX}m> .
        <{EX}o> <{EX}r> <{EX}t1> . <{EX}t1> <{EX}t> <{EX}w> . <{EX}w> <{EX}u> "2" .
    """.encode(), format=ox.RdfFormat.TURTLE)

    def node(term: str):
        return ox.Literal(term.strip('"')) if term.startswith('"') else ox.NamedNode(term if term.startswith("http") else EX + term)

    def nodes(*triples):
        changed = [ox.Triple(*map(node, triple)) for triple in triples]
        return {found.value.removeprefix(EX) for found in reached(store, changed, reach.paths)}

    # two steps back: v1's class is read by sh:class of the focus nodes pointing at it with ex:p (s1, not s2);
    # and v1 itself would be a focus node if it were a Thing
    assert nodes(("v1", TYPE, "D")) == {"s1", "v1"}
    assert nodes(("x", "q", "s2")) == {"s2"}  # an inverse path: the object
    assert nodes(("m", "b", '"1"')) == {"s1", "s3"}  # the SPARQL constraint's sequence, from its end
    assert nodes(("w", "u", '"2"')) == {"t1"}  # sh:or of a sequence path, a target by sh:targetObjectsOf
    assert nodes(("o", "r", "t9")) == {"t9"}  # a removed triple: its object is no longer an object of ex:r, but was
    assert nodes(("s2", "unread", "v1")) == set()  # a predicate no check reads


@pytest.mark.parametrize("select", [
    "SELECT $this WHERE { $this ex:a ?x OPTIONAL { ?x ex:b ?y } }",
    "SELECT $this WHERE { $this ex:a* ?x }",
    "SELECT $this WHERE { $this ex:a ?x FILTER NOT EXISTS { ?x ex:b ?y } }",
    "SELECT $this WHERE { $this ?p ?x }",
    "SELECT $this WHERE { $this ex:a ?x . ?y ex:b ?z }",
    "SELECT $this WHERE { { $this ex:a ?x } UNION { $this ex:b ?x } }",
    "SELECT $this WHERE { $this ex:a ?x } LIMIT 1",
    "SELECT $this WHERE { ?x ex:a ?y }",
])
def test_sparql_whose_reach_is_not_bounded(select):
    with pytest.raises(Unbounded):
        sparql_paths(select, [("ex", EX)])


def test_sparql_paths_follow_sequences_inverses_and_alternatives_from_this():
    paths = sparql_paths("SELECT $this ?v WHERE { ?x ex:a $this . ?x (ex:b|^ex:c)/ex:d ?v . FILTER (str(?v) != '') }", [("ex", EX)])
    assert {short(path) for path in paths} == {"^a", "^a/b", "^a/^c", "^a/b/d", "^a/^c/d"}


@pytest.mark.parametrize("path", ["[ sh:zeroOrMorePath ex:p ]", "[ sh:oneOrMorePath ex:p ]", "[ sh:zeroOrOnePath ex:p ]"])
def test_shapes_whose_reach_is_not_bounded(path):
    shapes = PREFIXES + f'ex:S sh:targetClass ex:Thing ; sh:property [ sh:path {path} ; sh:minCount 1 ; sh:message "m: m" ] .'
    with pytest.raises(Unbounded):
        shape_reach(Graph().parse(data=shapes, format="turtle"))
    other = PREFIXES + 'ex:S sh:targetClass ex:Thing ; sh:property [ sh:path ex:p ; sh:in ( 1 2 ) ; sh:message "m: m" ] .'
    with pytest.raises(Unbounded):
        shape_reach(Graph().parse(data=other, format="turtle"))


# --------------------------------------------------------------------------- kept between builds

def _counted_analysis(monkeypatch) -> list:
    """Count the analyses kept_shape_reach runs (each one a SPARQL parse, 0.4 s in a fresh process)."""
    from kg import shape_reach as module

    runs, real = [], module.shape_reach
    monkeypatch.setattr(module, "shape_reach", lambda shapes: runs.append(1) or real(shapes))
    return runs


def test_a_kept_reach_is_read_back_without_the_analysis(tmp_path, monkeypatch):
    shapes = Graph().parse(data=TINY_SHAPES, format="turtle")
    runs = _counted_analysis(monkeypatch)
    first = kept_shape_reach(shapes, b"tiny", tmp_path)
    assert first == shape_reach(shapes) and len(runs) == 1
    assert kept_shape_reach(shapes, b"tiny", tmp_path) == first and len(runs) == 1
    assert len(list(tmp_path.glob("*.json"))) == 1


def test_a_damaged_or_foreign_entry_is_never_read_but_worked_out_again(tmp_path, monkeypatch):
    from kg.store import with_checksum

    shapes = Graph().parse(data=TINY_SHAPES, format="turtle")
    runs = _counted_analysis(monkeypatch)
    right = kept_shape_reach(shapes, b"tiny", tmp_path)
    [entry] = tmp_path.glob("*.json")
    kept = entry.read_bytes()
    wrong = kept.replace(b"https://example.org/a", b"https://example.org/z")  # still JSON: only the checksum can tell
    foreign = kept_shape_reach(Graph().parse(data=PREFIXES + "ex:S sh:targetSubjectsOf ex:w .", format="turtle"), b"other", tmp_path)
    other_entry = next(tmp_path.glob("*.json"))
    for damaged in (wrong, kept[:-3], b"", other_entry.read_bytes(),  # another key's entry, copied over this one
                    with_checksum(b'{"paths": [[["x", 1]]], "target_paths": [], "global_predicates": []}', entry.name)):
        entry.write_bytes(damaged)
        before = len(runs)
        assert kept_shape_reach(shapes, b"tiny", tmp_path) == right != foreign
        assert len(runs) == before + 1 and entry.read_bytes() == kept
    assert list(tmp_path.glob("*.json")) == [entry]  # one set of shapes per project: the other entry went


def test_other_shapes_bytes_have_their_own_entry(tmp_path, monkeypatch):
    tiny = Graph().parse(data=TINY_SHAPES, format="turtle")
    one_step = Graph().parse(data=PREFIXES + "ex:S sh:targetSubjectsOf ex:w .", format="turtle")
    assert kept_shape_reach(tiny, b"tiny", tmp_path) == shape_reach(tiny)
    assert kept_shape_reach(one_step, b"edited", tmp_path) == shape_reach(one_step) != shape_reach(tiny)


def test_an_unbounded_reach_is_kept_and_raised_again(tmp_path, monkeypatch):
    shapes = Graph().parse(data=PREFIXES + 'ex:S sh:targetClass ex:T ; sh:property [ sh:path [ sh:zeroOrMorePath ex:p ] ; '
                           'sh:minCount 1 ; sh:message "m: m" ] .', format="turtle")
    runs = _counted_analysis(monkeypatch)
    for _ in range(2):
        with pytest.raises(Unbounded, match="not bounded"):
            kept_shape_reach(shapes, b"unbounded", tmp_path)
    assert len(runs) == 1


def test_an_unwritable_directory_only_means_the_analysis_runs_every_time(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    shapes = Graph().parse(data=TINY_SHAPES, format="turtle")
    assert kept_shape_reach(shapes, b"tiny", blocked / "reach") == shape_reach(shapes)
