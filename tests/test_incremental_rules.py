"""kg/incremental_rules.py updates a built store to exactly the store of a full build of the edited inputs.

The oracle is the full build: a generated corpus is built, its dataset loaded as `kg query` lays it out
(load_store), an annotation file edited at random (seeded), the project built again in full, and the
changed asserted graphs handed to update_closure. Every quad of the updated store must then equal a
quad of load_store(the new dataset) and back (blank nodes, only in the ontology's graph and its copy in
the default graph, are renamed at every load: those are counted), and the returned delta must be the
inferred graphs' difference. A contradiction must raise the full path's own problems and leave the store
as it was.
"""
from __future__ import annotations

import random
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml

from kg import vocabulary as V
from kg.build import build, read_project
from kg.errors import AnnotationError, InconsistencyError
from kg.incremental_rules import update_closure
from kg.oxigraph_engine import load_store
from kg.project import open_project
from kg.rules import _graph, closure_lines
from kg.schema_cache import schema_closure

from conftest import built_dataset, load_generator

INFERRED = str(V.INFERRED_GRAPH)
ONTOLOGY = str(V.ONTOLOGY_GRAPH)
REGISTRY = str(V.REGISTRY_GRAPH)
KG = "https://w3id.org/kg/ontology#"
KGR = "https://w3id.org/kg/id/"
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A generated corpus of 30 articles, built once; tests copy it."""
    root = load_generator().generate(30, tmp_path_factory.mktemp("incremental") / "corpus", seed=11)
    build(open_project(root))
    return root


def _copy(built: Path, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(built, root)
    return root


def _graphs(root: Path) -> dict[str, set[str]]:
    """The dataset's lines ("S P O") by graph IRI."""
    graphs: dict[str, set[str]] = {}
    for line in built_dataset(root).decode("utf-8").split("\n")[:-1]:
        body, graph = line[:-2].rsplit(" ", 1)
        graphs.setdefault(graph[1:-1], set()).add(body)
    return graphs


def _changes(old: dict[str, set[str]], new: dict[str, set[str]]) -> dict[str, tuple[set[str], set[str]]]:
    changes = {}
    for graph in set(old) | set(new):
        if graph == INFERRED:
            continue
        removed, added = old.get(graph, set()) - new.get(graph, set()), new.get(graph, set()) - old.get(graph, set())
        if removed or added:
            changes[graph] = (removed, added)
    return changes


def _schema(graphs: dict[str, set[str]]):
    lines = sorted(graphs[ONTOLOGY])
    return lines, schema_closure(_graph(" .\n".join(lines) + " .\n"))


def _content(store) -> tuple[set, int]:
    """The store's quads without a blank node, and how many hold one."""
    named, blank = set(), 0
    for quad in store:
        if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
            blank += 1
        else:
            named.add(quad)
    return named, blank


def _assert_same_store(store, dataset: bytes) -> None:
    got, expected = _content(store), _content(load_store(dataset))
    missing, extra = expected[0] - got[0], got[0] - expected[0]
    assert not missing and not extra, f"missing {sorted(map(str, missing))[:5]}, extra {sorted(map(str, extra))[:5]}"
    assert got[1] == expected[1]
    # an emptied working graph holds no quad but is still a graph of the store, listed to every query
    assert not [graph for graph in store.named_graphs() if graph.value.startswith("urn:kg:")]


# ------------------------------------------------------------------------------------ edits

def _load(path: Path):
    return yaml.safe_load(path.read_text("utf-8"))


def _dump(path: Path, data) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1 << 16), encoding="utf-8")


def _articles(root: Path) -> list[Path]:
    return sorted(p for p in (root / "seeds").glob("article-*.yaml"))


def _ids(registry, kind: str) -> list[str]:
    return [e["id"] for e in registry["entities"] if e.get("type") == kind]


def _reword_claim(root, rng):
    path = rng.choice(_articles(root))
    data = _load(path)
    statement = rng.choice(data["statements"])
    statement["claim"] = f"Reworded claim number {rng.randrange(10 ** 6)}."
    _dump(path, data)


def _remove_statement(root, rng):
    path = rng.choice(_articles(root))
    data = _load(path)
    data["statements"].pop(rng.randrange(len(data["statements"])))
    _dump(path, data)


def _add_statement(root, rng):
    path = rng.choice(_articles(root))
    data = _load(path)
    registry = _load(root / "seeds" / "registry.yaml")
    copy = dict(rng.choice(data["statements"]))
    copy["id"] = f"added-{rng.randrange(10 ** 6)}"
    copy["speaker"] = rng.choice(_ids(registry, "person"))
    copy["claim"] = "An added statement."
    copy.pop("derived_from", None)
    data["statements"].append(copy)
    _dump(path, data)


def _change_speaker(root, rng):
    path = rng.choice(_articles(root))
    data = _load(path)
    registry = _load(root / "seeds" / "registry.yaml")
    rng.choice(data["statements"])["speaker"] = rng.choice(_ids(registry, "person") + _ids(registry, "advocacy-group"))
    _dump(path, data)


def _remove_article(root, rng):
    path = rng.choice(_articles(root))
    path.unlink()
    path.with_suffix(".txt").unlink()


def _add_article(root, rng):
    path = rng.choice(_articles(root))
    number = rng.randrange(50000, 60000)
    name = f"article-{number}"
    shutil.copy(path.with_suffix(".txt"), root / "seeds" / f"{name}.txt")
    data = _load(path)
    data["document"]["id"] = name
    data["document"]["text"] = data["document"]["original_name"] = f"{name}.txt"
    _dump(root / "seeds" / f"{name}.yaml", data)


def _share_entity(root, rng):
    """A mention of one entity now names another: the two articles share (or stop sharing) it."""
    path = rng.choice(_articles(root))
    data = _load(path)
    registry = _load(root / "seeds" / "registry.yaml")
    mention = rng.choice([m for m in data["mentions"] if m["entity"] in _ids(registry, "person")] or data["mentions"])
    kinds = [e.get("type") for e in registry["entities"] if e["id"] == mention["entity"]]
    mention["entity"] = rng.choice(_ids(registry, kinds[0]))
    _dump(path, data)


def _change_derived_from(root, rng):
    """An article's document now derives from another source, or from none: kg:derivedFrom is transitive."""
    path = rng.choice(_articles(root))
    data = _load(path)
    registry = _load(root / "seeds" / "registry.yaml")
    sources = _ids(registry, "report") + _ids(registry, "dataset")
    if data["document"].get("derived_from") and rng.random() < 0.4:
        del data["document"]["derived_from"]
    else:
        data["document"]["derived_from"] = [rng.choice(sources)]
    _dump(path, data)


def _registry_chain(root, rng):
    """A dataset or report of the registry derives from another: a link in the middle of derivedFrom chains."""
    path = root / "seeds" / "registry.yaml"
    registry = _load(path)
    sources = [e for e in registry["entities"] if e.get("type") in ("dataset", "report")]
    entity = rng.choice([e for e in sources if e.get("derived_from")] or sources)
    if entity.get("derived_from") and rng.random() < 0.5:
        del entity["derived_from"]
    else:
        entity["derived_from"] = [rng.choice([e["id"] for e in sources if e is not entity])]
    _dump(path, registry)


def _registry_governor(root, rng):
    """Someone starts or stops holding a governor post: kg:Governor through the blank restriction."""
    path = root / "seeds" / "registry.yaml"
    registry = _load(path)
    posts = [e["id"] for e in registry["entities"] if e.get("post_kind") == "governor"]
    people = [e for e in registry["entities"] if e.get("type") == "person"]
    governors = [e for e in people if set(_as_list(e.get("holds"))) & set(posts)]
    if governors and rng.random() < 0.5:
        del rng.choice(governors)["holds"]
    else:
        rng.choice(people)["holds"] = rng.choice(posts)
    _dump(path, registry)


def _registry_rename(root, rng):
    path = root / "seeds" / "registry.yaml"
    registry = _load(path)
    rng.choice(registry["entities"])["name"] = f"Renamed {rng.randrange(10 ** 6)}"
    _dump(path, registry)


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value] if value else []


EDITS = [_reword_claim, _remove_statement, _add_statement, _change_speaker, _remove_article, _add_article, _share_entity,
         _change_derived_from, _registry_chain, _registry_governor, _registry_rename]


def _edit_and_build(root: Path, rng: random.Random, edit, then=lambda project: build(project)) -> None:
    """Apply `edit`, then build in full (or do `then` with the project); an edit the annotation checks
    refuse is undone and drawn again."""
    seeds = root / "seeds"
    for _ in range(10):
        saved = {p.name: p.read_bytes() for p in seeds.iterdir()}
        edit(root, rng)
        try:
            then(open_project(root))
            return
        except AnnotationError:
            for p in seeds.iterdir():
                if p.name not in saved:
                    p.unlink()
            for name, data in saved.items():
                (seeds / name).write_bytes(data)
    raise AssertionError(f"{edit.__name__}: no valid edit in 10 draws")


def _update_and_compare(root: Path, store, old: dict[str, set[str]]) -> dict[str, set[str]]:
    new = _graphs(root)
    changes = _changes(old, new)
    ontology_lines, schema = _schema(new)
    delta = update_closure(store, changes, ontology_lines, schema)
    assert delta is not None
    old_inferred, new_inferred = old.get(INFERRED, set()), new.get(INFERRED, set())
    assert (delta.removed, delta.added) == (old_inferred - new_inferred, new_inferred - old_inferred)
    _assert_same_store(store, built_dataset(root))
    return new


# ------------------------------------------------------------------------------------ tests

@pytest.mark.parametrize("edit", EDITS, ids=lambda edit: edit.__name__.strip("_"))
def test_one_edit_gives_the_full_builds_store(built, tmp_path, edit):
    root = _copy(built, tmp_path)
    rng = random.Random(f"{edit.__name__} 1")
    old = _graphs(root)
    store = load_store(built_dataset(root))
    _edit_and_build(root, rng, edit)
    _update_and_compare(root, store, old)


def test_edits_in_sequence_on_one_store(built, tmp_path):
    root = _copy(built, tmp_path)
    rng = random.Random(20261201)
    graphs = _graphs(root)
    store = load_store(built_dataset(root))
    for _ in range(4):
        _edit_and_build(root, rng, rng.choice(EDITS))
        graphs = _update_and_compare(root, store, graphs)


def test_an_on_disk_store_is_updated_alike(built, tmp_path):
    root = _copy(built, tmp_path)
    rng = random.Random(5)
    old = _graphs(root)
    store = ox.Store(str(tmp_path / "store"))
    store.bulk_load(built_dataset(root), format=ox.RdfFormat.N_QUADS)
    store.bulk_load(b"".join(line.rsplit(b" ", 2)[0] + b" .\n" for line in built_dataset(root).split(b"\n")[:-1]),
                    format=ox.RdfFormat.N_TRIPLES)
    _edit_and_build(root, rng, _registry_governor)
    _update_and_compare(root, store, old)


def _person_and_organization(graphs) -> tuple[str, str]:
    people = sorted(line.split(" ")[0] for line in graphs[REGISTRY] if line.endswith(f"{TYPE} <{KG}Person>"))
    organizations = sorted(line.split(" ")[0] for line in graphs[REGISTRY] if line.endswith(f"{TYPE} <{KG}AdvocacyGroup>"))
    return people[0], organizations[0]


@pytest.mark.parametrize("how", ["typed both", "derived both"])
def test_a_contradiction_raises_the_full_paths_problems_and_leaves_the_store(built, how):
    graphs = _graphs(built)
    person, organization = _person_and_organization(graphs)
    # typed both: a registry entry typed Organization too; derived both: someone is a member of a person,
    # whom kg:memberOf's range makes an Organization (and Person and Organization are disjoint)
    line = f"{person} {TYPE} <{KG}Organization>" if how == "typed both" else f"{organization} <{KG}memberOf> {person}"
    _, _, origins = read_project(open_project(built))
    new = {name: set(lines) for name, lines in graphs.items() if name != INFERRED}
    new[REGISTRY].add(line)
    with pytest.raises(InconsistencyError) as full:
        closure_lines(new, origins.lines, keep_store=False)
    store = load_store(built_dataset(built))
    with pytest.raises(InconsistencyError) as incremental:
        update_closure(store, {REGISTRY: (set(), {line})}, *_schema(graphs), origins.lines)
    assert incremental.value.problems == full.value.problems
    _assert_same_store(store, built_dataset(built))


def test_what_it_cannot_do_exactly_it_leaves_to_the_full_build(built):
    graphs = _graphs(built)
    store = load_store(built_dataset(built))
    schema = _schema(graphs)
    person = _person_and_organization(graphs)[0]
    refused = [
        {ONTOLOGY: (set(), {f"<{KG}Thing> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <{KG}Agent>"})},
        {REGISTRY: (set(), {f"{person} <http://www.w3.org/2000/01/rdf-schema#subClassOf> <{KG}Agent>"})},  # a schema triple in the data
        {REGISTRY: (set(), {f"{person} <{KG}memberOf> _:someone"})},
        {REGISTRY: (set(), {f"{person} {TYPE} <http://www.w3.org/2002/07/owl#Thing>"})},
        {REGISTRY: (set(), {f"{person} <http://www.w3.org/2002/07/owl#sameAs> <{KGR}someone-else>"})},
    ]
    for changes in refused:
        assert update_closure(store, changes, *schema) is None, changes
    _assert_same_store(store, built_dataset(built))


def test_over_deletion_stops_at_asserted_hubs_and_rederives_one_step(built, tmp_path):
    """Removing one article's mention of a much-mentioned entity over-deletes a handful of triples, not
    the entity's every type and mention: what is still asserted is never over-deleted."""
    root = _copy(built, tmp_path)
    old = _graphs(root)
    store = load_store(built_dataset(root))
    path = _articles(root)[0]
    data = _load(path)
    data["mentions"].pop(0)
    _dump(path, data)
    build(open_project(root))
    new = _graphs(root)
    delta = update_closure(store, _changes(old, new), *_schema(new))
    assert delta is not None and delta.stats["over-deleted"] < 40, delta.stats
    _assert_same_store(store, built_dataset(root))


class _Unlisted:
    """A store whose named graphs cannot be listed: RocksDB reads every name off disk, half a second at
    10,000 articles, and the update knows which working graphs it wrote."""

    def __init__(self, store) -> None:
        self._store = store

    def named_graphs(self):
        raise AssertionError("the update listed the store's graphs")

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def __contains__(self, quad) -> bool:
        return quad in self._store


def test_the_working_graphs_are_dropped_by_name(built, tmp_path):
    root = _copy(built, tmp_path)
    old = _graphs(root)
    store = load_store(built_dataset(root))
    _edit_and_build(root, random.Random("by name"), _reword_claim)
    new = _graphs(root)
    assert update_closure(_Unlisted(store), _changes(old, new), *_schema(new)) is not None
    _assert_same_store(store, built_dataset(root))
