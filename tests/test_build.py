"""kg build: named graphs, valid RDF out of owlrl, inconsistency reports, no work when unchanged."""
from __future__ import annotations

import json
import os

import pytest
from rdflib import BNode, Literal

from kg import store
from kg import vocabulary as V
from kg.build import build
from kg.errors import AnnotationError, InconsistencyError, ProjectError
from kg.project import open_project
from kg.querying import load_dataset
from kg.segments import LAYOUT_FILE
from kg.store import SEEN_FILE, inputs_digest, is_current, read_manifest
from conftest import built_dataset, dataset_files, rewrite_dataset


def graphs_of(project):
    dataset = load_dataset(built_dataset(open_project(project)))
    return {g.identifier: g for g in dataset.graphs() if len(g)}


def test_one_named_graph_per_article_plus_ontology_registry_inferred(seeds_project):
    names = {str(n) for n in graphs_of(seeds_project)}
    assert str(V.ONTOLOGY_GRAPH) in names and str(V.REGISTRY_GRAPH) in names and str(V.INFERRED_GRAPH) in names
    assert len([n for n in names if "/graph/article/" in n]) == 5


def test_inferred_triples_are_kept_apart_and_are_valid_rdf(seeds_project):
    graphs = graphs_of(seeds_project)
    inferred = graphs[V.INFERRED_GRAPH]
    asserted = set()
    for name, graph in graphs.items():
        if name != V.INFERRED_GRAPH:
            asserted.update(graph)
    assert len(inferred) > 1000
    assert not (set(inferred) & asserted)
    for s, p, o in inferred:
        assert not isinstance(s, (Literal, BNode)) and not isinstance(o, BNode)
    from rdflib.namespace import OWL
    assert not any(p == OWL.sameAs and s == o for s, p, o in inferred)


def test_every_statement_and_statistic_is_traceable_to_a_span(seeds_project):
    dataset = load_dataset(built_dataset(open_project(seeds_project)))
    untraced = dataset.query("""
        PREFIX kg: <https://w3id.org/kg/ontology#>
        PREFIX oa: <http://www.w3.org/ns/oa#>
        SELECT ?x WHERE {
          { ?x a kg:Statement . FILTER NOT EXISTS { ?x kg:hasQuote/kg:anchoredAt/oa:hasSelector/oa:start ?s } }
          UNION
          { ?x a kg:Statistic . FILTER NOT EXISTS { ?m kg:refersTo ?x ; kg:anchoredAt/oa:hasSelector/oa:start ?s } }
        }""")
    assert list(untraced) == []


def test_anchor_offsets_point_at_the_exact_text_in_the_verbatim_file(seeds_project):
    dataset = load_dataset(built_dataset(open_project(seeds_project)))
    rows = dataset.query("""
        PREFIX kg: <https://w3id.org/kg/ontology#>
        PREFIX oa: <http://www.w3.org/ns/oa#>
        SELECT ?file ?start ?end ?exact WHERE {
          ?anchor kg:inDocument ?doc ; oa:hasSelector ?p, ?q .
          ?doc kg:textFile ?file .
          ?p oa:start ?start ; oa:end ?end .
          ?q oa:exact ?exact .
        }""")
    texts = {}
    count = 0
    for file, start, end, exact in rows:
        text = texts.setdefault(str(file), (seeds_project / str(file)).read_text(encoding="utf-8"))
        assert text[int(start):int(end)] == str(exact)
        count += 1
    assert count > 300
    assert any("\u00a0" in str(row[3]) for row in rows)


def test_second_build_with_unchanged_inputs_does_no_work(mini_project):
    project = open_project(mini_project)
    before = [os.stat(path).st_mtime_ns for path in dataset_files(project)]
    result = build(project)
    assert result.rebuilt is False
    assert [os.stat(path).st_mtime_ns for path in dataset_files(project)] == before


def test_changed_input_rebuilds(mini_copy):
    project = open_project(mini_copy)
    assert build(project).rebuilt
    note = mini_copy / "seeds" / "note.yaml"
    note.write_text(note.read_text(encoding="utf-8").replace("The town's pilot works well.", "The pilot works."), encoding="utf-8")
    result = build(project)
    assert result.rebuilt
    assert read_manifest(project).inputs_sha256 == result.manifest.inputs_sha256


def test_inconsistency_fails_with_the_offending_annotation_line(mini_copy):
    # Ana Ruiz is a person in the registry; a second ontology file also makes her an organization.
    (mini_copy / "ontology" / "zz-contradiction.ttl").write_text(
        "<https://w3id.org/kg/id/ana-ruiz> a <https://w3id.org/kg/ontology#Organization> .\n", encoding="utf-8")
    project = open_project(mini_copy)
    with pytest.raises(InconsistencyError) as raised:
        build(project)
    messages = [str(p) for p in raised.value.problems]
    assert any(m.startswith("seeds/registry.yaml:") and "ana-ruiz" in m for m in messages)
    assert not (project.build / LAYOUT_FILE).exists()


def test_the_garbage_collector_is_paused_while_building_and_resumed_after(mini_copy):
    import gc

    project = open_project(mini_copy)
    seen = []
    build(project, progress=lambda stage, done, total: seen.append(gc.isenabled()))
    assert seen and not any(seen) and gc.isenabled()
    note = mini_copy / "seeds" / "note.yaml"
    note.write_text(note.read_text(encoding="utf-8").replace("speaker: lee-park", "speaker: nobody", 1), encoding="utf-8")
    with pytest.raises(AnnotationError):
        build(project)
    assert gc.isenabled()
    gc.disable()
    try:  # a caller that paused it itself finds it paused still
        with pytest.raises(AnnotationError):
            build(project)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_failed_build_keeps_the_previous_good_build(mini_copy):
    project = open_project(mini_copy)
    build(project)
    good = built_dataset(project)
    note = mini_copy / "seeds" / "note.yaml"
    note.write_text(note.read_text(encoding="utf-8").replace("speaker: lee-park", "speaker: nobody", 1), encoding="utf-8")
    with pytest.raises(Exception):
        build(project)
    assert built_dataset(project) == good


def test_a_dataset_changed_in_place_is_not_current_even_at_the_same_size(mini_copy):
    # is_current skips hashing the dataset when its files are the ones it hashed (inode, size, mtime);
    # any write to them changes that, and then the digests decide.
    project = open_project(mini_copy)
    build(project)
    assert is_current(project)
    rewrite_dataset(project, lambda data: data[:-2] + (b"X" if data[-2:-1] != b"X" else b"Y") + data[-1:])
    assert not is_current(project)
    assert build(project).rebuilt
    assert is_current(project)


def test_the_manifest_describes_the_dataset_written_in_chunks(mini_project):
    """The dataset is written a graph at a time and hashed as it goes: the manifest's digest and
    counts are those of the file on disk."""
    import hashlib

    project = open_project(mini_project)
    manifest = read_manifest(project)
    data = built_dataset(project)
    graphs, blocks = {}, {}
    for line in data.decode("utf-8").split(" .\n")[:-1]:
        name = line.rsplit(" ", 1)[1][1:-1]
        graphs[name] = graphs.get(name, 0) + 1
        blocks[name] = blocks.get(name, "") + line + " .\n"
    assert manifest.graphs == graphs
    assert list(blocks) == sorted(blocks)  # one block of lines per graph, in order
    # the dataset's digest: of each graph's name, block length and block SHA-256, in order
    expected = hashlib.sha256(b"kg-dataset-2\n")
    for name, block in blocks.items():
        encoded = block.encode("utf-8")
        expected.update(f"{name}\0{len(encoded)}\0{hashlib.sha256(encoded).hexdigest()}\n".encode())
    assert manifest.dataset_sha256 == expected.hexdigest()


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temporary(tmp_path):
    from kg.store import write_atomically

    target = tmp_path / "dataset.nq"
    write_atomically(target, [b"old ", b"bytes"])
    assert target.read_bytes() == b"old bytes"

    def failing():
        yield b"half of the new"
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_atomically(target, failing())
    assert target.read_bytes() == b"old bytes"
    assert [p.name for p in tmp_path.iterdir()] == ["dataset.nq"]


def test_a_written_file_has_the_mode_open_would_give_it_or_the_one_it_replaces(tmp_path):
    # mkstemp's temporary file is private; an export that others read must not become so.
    import os

    from kg import store
    from kg.store import write_atomically

    umask = os.umask(0o022)
    os.umask(umask)
    assert store._UMASK == umask  # the process's, read when kg.store was imported
    new_file = tmp_path / "new.ttl"
    write_atomically(new_file, b"data")
    assert new_file.stat().st_mode & 0o777 == 0o666 & ~umask
    existing = tmp_path / "shared.ttl"
    existing.write_bytes(b"old")
    existing.chmod(0o644)
    write_atomically(existing, b"new")
    assert existing.stat().st_mode & 0o777 == 0o644 and existing.read_bytes() == b"new"
    existing.chmod(0o600)
    write_atomically(existing, b"newer")
    assert existing.stat().st_mode & 0o777 == 0o600


def _reasoned(result) -> bool:
    return any(stage.startswith("reason") for stage in result.stages)


def test_an_edit_that_changes_no_triple_keeps_the_dataset_without_reasoning_again(mini_copy):
    project = open_project(mini_copy)
    first = build(project)
    assert _reasoned(first)
    before = [(os.stat(path).st_ino, os.stat(path).st_mtime_ns) for path in dataset_files(project)]
    note = mini_copy / "seeds" / "note.yaml"
    note.write_text(note.read_text(encoding="utf-8") + "# a comment changes the file, not one triple\n", encoding="utf-8")
    result = build(project)
    assert result.rebuilt and not _reasoned(result)
    assert [(os.stat(path).st_ino, os.stat(path).st_mtime_ns) for path in dataset_files(project)] == before
    assert result.manifest.dataset_sha256 == first.manifest.dataset_sha256 and result.manifest.graphs == first.manifest.graphs
    assert result.manifest.inputs_sha256 != first.manifest.inputs_sha256 and is_current(project)
    assert build(project).rebuilt is False


def test_an_edit_that_changes_a_triple_or_a_shape_is_reasoned_and_checked_again(mini_copy):
    project = open_project(mini_copy)
    first = build(project)
    note = mini_copy / "seeds" / "note.yaml"
    note.write_text(note.read_text(encoding="utf-8").replace("The town's pilot works well.", "The pilot works."), encoding="utf-8")
    changed = build(project)
    assert _reasoned(changed) and changed.manifest.dataset_sha256 != first.manifest.dataset_sha256
    shapes = mini_copy / "ontology" / "shapes" / "kg-shapes.ttl"
    shapes.write_text(shapes.read_text(encoding="utf-8") + "\n# a new comment: the shapes are read again\n", encoding="utf-8")
    assert _reasoned(build(project))
    assert _reasoned(build(project, force=True))


def test_a_damaged_dataset_is_rebuilt_even_when_no_triple_changed(mini_copy):
    project = open_project(mini_copy)
    first = build(project)
    good = built_dataset(project)
    rewrite_dataset(project, lambda data: data.replace(b"Lee Park", b"Lee Pork"))
    note = mini_copy / "seeds" / "note.yaml"
    note.write_text(note.read_text(encoding="utf-8") + "# comment\n", encoding="utf-8")
    result = build(project)
    assert _reasoned(result) and built_dataset(project) == good and result.manifest.dataset_sha256 == first.manifest.dataset_sha256


def _fresh(seeds_dir, target):
    """The dataset and manifest that a build from scratch makes of the same seeds."""
    from conftest import copy_project

    root = copy_project(target, seeds_dir)
    build(open_project(root))
    return built_dataset(root), (root / "build" / "manifest.json").read_bytes()


def _built(root):
    return built_dataset(root), (root / "build" / "manifest.json").read_bytes()


def test_a_triple_changed_after_a_no_change_edit_is_built_as_from_scratch(mini_copy, tmp_path):
    project = open_project(mini_copy)
    build(project)
    note = mini_copy / "seeds" / "note.yaml"
    note.write_text(note.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    assert not _reasoned(build(project))
    assert _built(mini_copy) == _fresh(mini_copy / "seeds", tmp_path / "fresh")
    note.write_text(note.read_text(encoding="utf-8").replace("The town's pilot works well.", "The pilot works."), encoding="utf-8")
    assert _reasoned(build(project))
    assert _built(mini_copy) == _fresh(mini_copy / "seeds", tmp_path / "fresh-again")


def test_an_input_changed_at_the_same_size_and_time_is_not_current(mini_copy, tmp_path):
    project = open_project(mini_copy)
    build(project)
    note = mini_copy / "seeds" / "note.yaml"
    before = note.stat()
    edited = note.read_bytes().replace(b"works well.\n", b"works fine.\n", 1)
    assert edited != note.read_bytes() and len(edited) == before.st_size
    note.write_bytes(edited)
    os.utime(note, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert not is_current(project)
    assert _reasoned(build(project))
    assert _built(mini_copy) == _fresh(mini_copy / "seeds", tmp_path / "fresh")
    text = mini_copy / "seeds" / "note.txt"
    before = text.stat()
    text.write_bytes(text.read_bytes().replace(b"Park", b"Pork", 1))
    os.utime(text, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert not is_current(project)
    with pytest.raises(AnnotationError) as caught:
        build(project)
    assert any(problem.kind == "checksum" for problem in caught.value.problems)


def test_the_inputs_digest_is_of_every_input_name_and_its_bytes(mini_copy):
    # What the manifest records: the same digest as ever for the same inputs, so a build stays current.
    import hashlib

    (mini_copy / "seeds" / "notes.md").write_text("not an input\n", encoding="utf-8")
    (mini_copy / "seeds" / ".draft.yaml").write_text("# an input, but no article\n", encoding="utf-8")
    (mini_copy / "seeds" / "a.txt").write_text("an input\n", encoding="utf-8")
    (mini_copy / "seeds" / "dir.yaml").mkdir()
    root = mini_copy.resolve()
    names = ["seeds/.draft.yaml", "seeds/a.txt", "seeds/note.txt", "seeds/note.yaml", "seeds/registry.yaml"]
    names += sorted(f"ontology/{p.name}" for p in (root / "ontology").glob("*.ttl"))
    names += sorted(f"ontology/shapes/{p.name}" for p in (root / "ontology" / "shapes").glob("*.ttl"))
    expected = hashlib.sha256(b"kg-build-3\n")
    for name in names:
        expected.update(name.encode() + b"\0" + hashlib.sha256((root / name).read_bytes()).digest())
    assert inputs_digest(open_project(mini_copy)) == expected.hexdigest()


def test_a_copied_build_is_hashed_once_and_a_damaged_one_never_passes(mini_project, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(mini_project, copy)  # new inodes: the recorded identity no longer fits
    project = open_project(copy)
    assert is_current(project)
    seen = json.loads((copy / "build" / SEEN_FILE).read_text(encoding="utf-8"))
    assert [identity[0] for identity in seen["identities"].values()] == [path.stat().st_ino for path in dataset_files(project)]
    damaged = tmp_path / "damaged"
    shutil.copytree(mini_project, damaged)
    rewrite_dataset(damaged, lambda data: data[:-2] + (b"X" if data[-2:-1] != b"X" else b"Y") + data[-1:])
    assert not is_current(open_project(damaged)) and not is_current(open_project(damaged))


def test_an_input_that_cannot_be_read_is_named_without_a_traceback(mini_copy, monkeypatch):
    unreadable = next(name for name in open_project(mini_copy).input_names() if name.endswith(".yaml"))
    hash_file = store.file_sha256

    def removed_meanwhile(path):
        if str(path).endswith(unreadable):
            raise FileNotFoundError(2, "No such file or directory")
        return hash_file(path)

    monkeypatch.setattr(store, "file_sha256", removed_meanwhile)
    with pytest.raises(ProjectError) as raised:
        store.input_digests(open_project(mini_copy))
    assert str(raised.value) == f"{unreadable}: cannot read the file: No such file or directory (check that it exists and is readable, then run kg again)"
