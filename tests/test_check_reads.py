"""kg/check_reads.py: the inferred triples the checks can read, which a large build's store holds (and no others)."""
from __future__ import annotations

import shutil

import pyoxigraph as ox
import pytest

from kg import vocabulary as V
from kg.build import build
from kg.check_reads import check_reads
from kg.project import open_project
from kg.rules import closure_lines

from conftest import REPO, built_dataset, load_generator
from test_dead_heads import _graphs, _lines

KG, OA = V.KG, V.OA
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
PROV = "http://www.w3.org/ns/prov#"


def test_the_projects_checks_read_their_paths_classes_and_the_anchors(tmp_path):
    reads = check_reads(REPO, REPO / "ontology" / "shapes", tmp_path / "reach")
    assert reads is not None and (tmp_path / "reach").is_dir()  # the reach is kept for the next build
    x = "<https://w3id.org/kg/id/x>"
    assert reads(f"{x} <{KG.anchoredAt}> {x}") and reads(f"{x} <{OA.exact}> \"text\"")  # a shape's path
    assert reads(f"{x} <{KG.inDocument}> {x}") and reads(f"{x} {TYPE} <{KG.Anchor}>")  # the anchors' check
    assert reads(f"{x} {TYPE} <{KG.Statement}>")  # a class a shape names
    assert not reads(f"{x} <{PROV}wasAttributedTo> {x}")  # an aligned vocabulary's property, which no check reads
    assert not reads(f"{x} {TYPE} <{PROV}Entity>")


def _shapes_copy(tmp_path, extra: str):
    shapes = tmp_path / "shapes"
    shutil.copytree(REPO / "ontology" / "shapes", shapes)
    (shapes / "zz-extra.ttl").write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix kg: <https://w3id.org/kg/ontology#> .\n"
                                         + extra, encoding="utf-8")
    return shapes


def test_a_sparql_constraint_that_may_read_a_type_makes_every_type_read(tmp_path):
    shapes = _shapes_copy(tmp_path, """
        kg:TypedShape a sh:NodeShape ; sh:targetClass kg:Statement ;
            sh:sparql [ sh:prefixes <https://w3id.org/kg/shapes> ;
                        sh:select "SELECT $this WHERE { $this kg:statedBy ?who . ?who a kg:Person }" ] .
        """)
    reads = check_reads(REPO, shapes, None)
    assert reads is not None and reads.classes is None
    assert reads(f"<urn:x> {TYPE} <{PROV}Entity>") and not reads(f"<urn:x> <{PROV}wasAttributedTo> <urn:y>")


def test_shapes_whose_reach_is_unbounded_read_everything(tmp_path):
    shapes = _shapes_copy(tmp_path, "kg:ClosedShape a sh:NodeShape ; sh:targetClass kg:Statement ; sh:closed true .\n")
    assert check_reads(REPO, shapes, None) is None


def test_the_store_holds_every_triple_but_the_unread_dead_heads(seeds_project):
    lines = _lines(_graphs(seeds_project)[0])
    reads = check_reads(seeds_project, seeds_project / "ontology" / "shapes", None)
    inferred, full = closure_lines(lines)
    same, store = closure_lines(lines, stored=reads)
    assert same == inferred
    held, every = _triples(store), _triples(full)
    assert held < every
    left_out = every - held
    assert all(not reads(line) and line in inferred for line in left_out)
    assert all(line in held for line in inferred if reads(line) and "_:" not in line and '"' not in line)
    assert any(f" <{PROV}" in line for line in left_out)


def _triples(store) -> set[str]:
    """The store's triples without a blank node, as "S P O" (IRIs are written alike by both)."""
    text = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()).decode("utf-8")
    return {line[:-2] for line in text.split("\n") if line and "_:" not in line and '"' not in line}


@pytest.fixture(scope="module")
def corpus_of_100(tmp_path_factory):
    # 29,575 asserted lines: more than FEWEST_LINES, so the build leaves the unread dead heads out
    return load_generator().generate(100, tmp_path_factory.mktemp("corpus") / "c", seed=11)


def test_a_build_that_finds_a_problem_checks_again_with_every_triple(corpus_of_100, tmp_path, monkeypatch):
    # a problem's annotation line may be found through any triple: so a first check that finds one
    # (here made up) is done again with every inferred triple in the store, and that one counts
    from kg import shapes
    from kg.errors import Problem

    root = tmp_path / "c"
    shutil.copytree(corpus_of_100, root)
    expected = built_dataset(open_project(_built(corpus_of_100)))
    original, sizes = shapes.check_triple_lines, []

    def checked(lines, origins, project_root, shapes_dir, store, **options):
        sizes.append(len(store))
        found = original(lines, origins, project_root, shapes_dir, store, **options)
        return found + [Problem("seeds/made-up.yaml", 1, None, "made up", "", "shape")] if len(sizes) == 1 else found

    monkeypatch.setattr(shapes, "check_triple_lines", checked)
    project = open_project(root)
    build(project)
    assert len(sizes) == 2 and sizes[1] > sizes[0]  # the unread dead heads, loaded for the second check
    assert built_dataset(project) == expected


def test_a_small_build_holds_every_triple(mini_copy, monkeypatch):
    from kg import shapes

    original, stores = shapes.check_triple_lines, []
    monkeypatch.setattr(shapes, "check_triple_lines", lambda *arguments, **options: stores.append(arguments[4]) or original(*arguments, **options))
    build(open_project(mini_copy))
    (inferred,) = [lines for name, lines in _dataset_lines(mini_copy).items() if name == str(V.INFERRED_GRAPH)]
    assert all(line in _triples(stores[0]) for line in inferred if "_:" not in line and '"' not in line)


def _dataset_lines(root) -> dict[str, set[str]]:
    lines: dict[str, set[str]] = {}
    for quad in ox.parse(built_dataset(open_project(root)), format=ox.RdfFormat.N_QUADS):
        lines.setdefault(quad.graph_name.value, set()).add(f"{quad.subject} {quad.predicate} {quad.object}")
    return lines


def _built(root):
    build(open_project(root))
    return root
