"""The per-article stage of a build: cached by content (never stale), parallel, in file order."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import copy_project, load_generator
from kg import article_stage
from kg.build import build, read_project
from kg.errors import AnnotationError
from kg.project import open_project


def _entries(root: Path) -> set[str]:
    directory = root / "build" / article_stage.CACHE_DIR
    return {entry.name for entry in directory.iterdir()} if directory.is_dir() else set()


@pytest.fixture
def seeds(tmp_path) -> Path:
    return copy_project(tmp_path / "project")


def test_a_build_fills_the_cache_and_a_rebuild_reads_it(seeds, monkeypatch):
    project = open_project(seeds)
    build(project)
    assert len(_entries(seeds)) == 5
    first = (seeds / "build" / "dataset.nq").read_bytes()
    calls = []
    real = article_stage.process_article
    monkeypatch.setattr(article_stage, "process_article", lambda *args: calls.append(args) or real(*args))
    build(project, force=False)  # current: nothing to do
    (seeds / "seeds" / "registry.yaml").write_bytes((seeds / "seeds" / "registry.yaml").read_bytes() + b"\n")
    build(project)
    assert len(calls) == 5  # the registry is part of every article's key
    target = sorted(p for p in (seeds / "seeds").glob("*.yaml") if p.name != "registry.yaml")[0]
    target.write_bytes(target.read_bytes() + b"# a comment\n")
    calls.clear()
    build(project)
    assert [Path(args[0]).name for args in calls] == [target.name]
    assert (seeds / "build" / "dataset.nq").read_bytes() == first
    assert len(_entries(seeds)) == 5  # the entry of the old bytes is gone


def test_force_redoes_every_article(seeds, monkeypatch):
    project = open_project(seeds)
    build(project)
    calls = []
    real = article_stage.process_article
    monkeypatch.setattr(article_stage, "process_article", lambda *args: calls.append(args) or real(*args))
    build(project, force=True)
    assert len(calls) == 5


def test_a_changed_article_text_is_never_taken_from_the_cache(seeds):
    project = open_project(seeds)
    build(project)
    text = next((seeds / "seeds").glob("*.txt"))
    text.write_bytes(text.read_bytes().replace(b"Patrick", b"Patricks", 1))
    with pytest.raises(AnnotationError) as caught:
        read_project(project)
    assert any(problem.kind == "checksum" for problem in caught.value.problems)


def test_a_damaged_cache_entry_is_ignored(seeds):
    project = open_project(seeds)
    build(project)
    for name in _entries(seeds):
        (seeds / "build" / article_stage.CACHE_DIR / name).write_bytes(b"not a pickle")
    _corpus, lines, _origins = read_project(project)
    assert len(lines) == 7


def test_parallel_and_serial_give_the_same_results(tmp_path, monkeypatch):
    root = load_generator().generate(80, tmp_path / "corpus", seed=5)
    project = open_project(root)
    monkeypatch.setattr(article_stage, "_PARALLEL_FROM", 10_000)
    serial = read_project(project, use_cache=False, writable_cache=False)
    monkeypatch.setattr(article_stage, "_PARALLEL_FROM", 1)
    parallel = read_project(project, use_cache=False, writable_cache=False)
    assert serial[1] == parallel[1] and serial[2].lines == parallel[2].lines
    assert [a.id for a in serial[0].articles] == [a.id for a in parallel[0].articles]


def test_problems_in_several_articles_are_all_reported_in_parallel(tmp_path, monkeypatch):
    root = load_generator().generate(20, tmp_path / "corpus", seed=2)
    broken = sorted(p for p in (root / "seeds").glob("*.yaml") if p.name != "registry.yaml")[:3]
    for path in broken:
        path.write_text(path.read_text(encoding="utf-8").replace("speaker:", "speakr:", 1), encoding="utf-8")
    monkeypatch.setattr(article_stage, "_PARALLEL_FROM", 1)
    with pytest.raises(AnnotationError) as caught:
        read_project(open_project(root))
    assert {problem.file for problem in caught.value.problems} == {f"seeds/{path.name}" for path in broken}
