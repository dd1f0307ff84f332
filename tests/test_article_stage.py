"""The per-article stage of a build: cached by content (never stale), parallel, in file order."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import built_dataset, copy_project, load_generator
from kg import article_stage
from kg.build import build, derivation_digest, read_project
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
    first = built_dataset(seeds)
    calls = []
    real = article_stage.process_article
    monkeypatch.setattr(article_stage, "process_article", lambda *args: calls.append(args) or real(*args))
    build(project, force=False)  # current: nothing to do
    (seeds / "seeds" / "registry.yaml").write_bytes((seeds / "seeds" / "registry.yaml").read_bytes() + b"\n")
    build(project)
    assert calls == []  # no id any article names changed kind
    target = sorted(p for p in (seeds / "seeds").glob("*.yaml") if p.name != "registry.yaml")[0]
    target.write_bytes(target.read_bytes() + b"# a comment\n")
    calls.clear()
    build(project)
    assert [Path(args[0]).name for args in calls] == [target.name]
    assert built_dataset(seeds) == first
    assert len(_entries(seeds)) == 5  # the entry of the old bytes is gone


def _naming(root: Path, identifier: str) -> list[str]:
    """The annotation files that name a registry id."""
    import re

    return sorted(path.name for path in (root / "seeds").glob("*.yaml")
                  if path.name != "registry.yaml" and re.search(rf"\b{identifier}\b", path.read_text(encoding="utf-8")))


def _with_an_alias(registry_text: str) -> str:
    """The seeds' registry with one more alias of afsc: no id changes kind."""
    return registry_text.replace("aliases: [AFSC, ", "aliases: [AFSC, the Friends, ", 1)


def _redone(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = article_stage.process_article
    monkeypatch.setattr(article_stage, "process_article", lambda path, *args: calls.append(Path(path).name) or real(path, *args))
    return calls


@pytest.mark.parametrize("edit, redone", [
    ("an alias", "none"), ("a new entity", "none"), ("an entity moved down the file", "none"), ("a type", "naming afsc")])
def test_a_registry_edit_redoes_only_the_articles_naming_an_id_whose_kind_changed(seeds, tmp_path, monkeypatch, edit, redone):
    registry = seeds / "seeds" / "registry.yaml"
    text = registry.read_text(encoding="utf-8")
    block = text[text.index("  - id: afsc\n"):text.index("  - id: centro-presente\n")]
    edited = {
        "an alias": _with_an_alias(text),
        "a new entity": text.replace("  - id: afsc\n", "  - id: new-group\n    type: advocacy-group\n    name: A New Group\n  - id: afsc\n", 1),
        "an entity moved down the file": text.replace(block, "", 1).replace("\nstatistics:", "\n" + block + "\nstatistics:", 1),
        "a type": text.replace(block, block.replace("type: advocacy-group", "type: organization"), 1),
    }[edit]
    assert edited != text
    project = open_project(seeds)
    build(project)
    calls = _redone(monkeypatch)
    registry.write_text(edited, encoding="utf-8")
    build(project)
    assert calls == ([] if redone == "none" else _naming(seeds, "afsc")) and (redone == "none" or calls)
    fresh = copy_project(tmp_path / "fresh")
    (fresh / "seeds" / "registry.yaml").write_text(edited, encoding="utf-8")
    monkeypatch.setattr(article_stage, "process_article", article_stage.process_article)
    build(open_project(fresh), force=True)
    assert built_dataset(seeds) == built_dataset(fresh)


def test_an_id_gone_from_the_registry_is_reported_in_every_article_naming_it(seeds, monkeypatch):
    registry = seeds / "seeds" / "registry.yaml"
    text = registry.read_text(encoding="utf-8")
    project = open_project(seeds)
    build(project)
    naming = _naming(seeds, "centro-presente")
    assert len(naming) >= 2
    block = text[text.index("  - id: centro-presente\n"):text.index("  - id: mira\n")]
    registry.write_text(text.replace(block, "", 1), encoding="utf-8")
    with pytest.raises(AnnotationError) as caught:
        build(project)
    files = {Path(problem.file).name for problem in caught.value.problems if "centro-presente" in problem.message}
    assert set(naming) <= files


def test_a_reading_that_looks_at_more_than_kinds_is_keyed_on_the_whole_registry(seeds):
    from kg.annotations import read_registry
    from kg.errors import ProblemCollector

    registry = read_registry(seeds / "seeds" / "registry.yaml", "seeds/registry.yaml", ProblemCollector())
    reads = article_stage.RegistryReads(registry)
    assert reads.kind_of("afsc") == "advocacy-group" and "nobody" not in reads.statistics
    assert reads.looked_up() == ("afsc", "nobody")
    assert reads.entities["afsc"].name == "American Friends Service Committee"
    assert reads.looked_up() is None
    listing = article_stage.RegistryReads(registry)
    assert "afsc" in list(listing.entities) and listing.looked_up() is None
    cache = article_stage.ArticleCache(seeds, seeds / "build", "seeds/registry.yaml")
    assert cache.key_for("k", ("afsc",), registry) != cache.key_for("k", None, registry) != cache.key_for("k", ("aclu",), registry)


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


def test_entries_written_by_the_workers_are_put_under_their_keys(tmp_path, monkeypatch):
    root = load_generator().generate(70, tmp_path / "corpus", seed=4)
    project = open_project(root)
    monkeypatch.setattr(article_stage, "_PARALLEL_FROM", 1)
    build(project)
    assert len(_entries(root)) == 70 and not any(name.startswith(".") for name in _entries(root))
    assert read_project(project, writable_cache=False)[1] == read_project(project, use_cache=False, writable_cache=False)[1]


def test_a_forced_rebuild_rewrites_only_the_entries_that_differ(seeds):
    project = open_project(seeds)
    build(project)
    directory = seeds / "build" / article_stage.CACHE_DIR
    before = {entry.name: entry.stat().st_ino for entry in directory.iterdir()}
    damaged = sorted(before)[0]
    (directory / damaged).write_bytes(b"damaged")
    build(project, force=True)
    after = {entry.name: entry.stat().st_ino for entry in directory.iterdir()}
    assert set(after) == set(before) and [name for name in after if after[name] != before[name]] == [damaged]
    assert (directory / damaged).read_bytes() != b"damaged"


def test_a_build_stopped_midway_keeps_no_entry(seeds, monkeypatch):
    real = article_stage.process_article
    stop = _annotations(seeds)[3].name

    def stopped(path, display, registry):
        if Path(path).name == stop:
            raise KeyboardInterrupt
        return real(path, display, registry)

    monkeypatch.setattr(article_stage, "process_article", stopped)
    with pytest.raises(KeyboardInterrupt):
        build(open_project(seeds))
    assert _entries(seeds) == set()  # nor the temporary files of the entries made before


def test_problems_in_several_articles_are_all_reported_in_parallel(tmp_path, monkeypatch):
    root = load_generator().generate(20, tmp_path / "corpus", seed=2)
    broken = sorted(p for p in (root / "seeds").glob("*.yaml") if p.name != "registry.yaml")[:3]
    for path in broken:
        path.write_text(path.read_text(encoding="utf-8").replace("speaker:", "speakr:", 1), encoding="utf-8")
    monkeypatch.setattr(article_stage, "_PARALLEL_FROM", 1)
    with pytest.raises(AnnotationError) as caught:
        read_project(open_project(root))
    assert {problem.file for problem in caught.value.problems} == {f"seeds/{path.name}" for path in broken}


def _fresh_build(seeds_dir: Path, target: Path) -> tuple[bytes, bytes]:
    """The dataset and manifest a build from scratch makes of the same seeds."""
    root = copy_project(target, seeds_dir)
    build(open_project(root))
    return built_dataset(root), (root / "build" / "manifest.json").read_bytes()


def _built(root: Path) -> tuple[bytes, bytes]:
    return built_dataset(root), (root / "build" / "manifest.json").read_bytes()


def _reasoned(result) -> bool:
    return any(stage.startswith("reason") for stage in result.stages)


def _annotations(root: Path) -> list[Path]:
    return sorted(p for p in (root / "seeds").glob("*.yaml") if p.name != "registry.yaml")


def test_the_index_alone_decides_a_no_change_edit_and_the_entries_a_change(seeds, tmp_path):
    project = open_project(seeds)
    build(project)
    for name in _entries(seeds):  # an edit that changes no triple needs no entry: only the index
        (seeds / "build" / article_stage.CACHE_DIR / name).unlink()
    target = _annotations(seeds)[1]
    target.write_text(target.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    assert not _reasoned(build(project))
    text = target.read_text(encoding="utf-8")
    claim = next(line for line in text.splitlines() if line.strip().startswith("claim:"))
    target.write_text(text.replace(claim, claim.rstrip() + " (reworded)", 1), encoding="utf-8")
    assert _reasoned(build(project))  # the entries are gone: the articles are made again
    assert _built(seeds) == _fresh_build(seeds / "seeds", tmp_path / "fresh")


def test_a_removed_and_an_added_article_are_never_taken_from_the_index(seeds, tmp_path):
    project = open_project(seeds)
    build(project)
    first = _built(seeds)
    removed = _annotations(seeds)[1]  # one no other article depends on
    kept = {path: path.read_bytes() for path in (removed, removed.with_suffix(".txt"))}
    for path in kept:
        path.unlink()
    assert _reasoned(build(project))
    assert _built(seeds) == _fresh_build(seeds / "seeds", tmp_path / "fresh")
    for path, data in kept.items():
        path.write_bytes(data)
    assert _reasoned(build(project))
    assert _built(seeds) == first


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_damaged_index_is_ignored(seeds, tmp_path):
    project = open_project(seeds)
    build(project)
    index = seeds / "build" / article_stage.INDEX_FILE
    _flip_a_byte(index)
    target = _annotations(seeds)[0]
    text = target.read_text(encoding="utf-8")
    claim = next(line for line in text.splitlines() if line.strip().startswith("claim:"))
    target.write_text(text.replace(claim, claim.rstrip() + " (reworded)", 1), encoding="utf-8")
    assert _reasoned(build(project))
    assert _built(seeds) == _fresh_build(seeds / "seeds", tmp_path / "fresh")
    index.write_bytes(index.read_bytes()[:100])
    target.write_text(text, encoding="utf-8")
    assert _reasoned(build(project))
    assert _built(seeds) == _fresh_build(seeds / "seeds", tmp_path / "fresh-again")


def test_damaged_or_missing_views_redo_the_articles_not_the_answer(seeds, tmp_path, monkeypatch):
    """Without the views the keys are not known until the articles are read again: slower, never wrong."""
    project = open_project(seeds)
    build(project)
    views = seeds / "build" / article_stage.VIEWS_FILE
    _flip_a_byte(views)
    registry = seeds / "seeds" / "registry.yaml"
    registry.write_text(_with_an_alias(registry.read_text(encoding="utf-8")), encoding="utf-8")
    calls = _redone(monkeypatch)
    build(project)
    assert len(calls) == 5
    assert _built(seeds) == _fresh_build(seeds / "seeds", tmp_path / "fresh")
    calls.clear()
    views.unlink()
    registry.write_text(registry.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    build(project)
    assert len(calls) == 5 and views.is_file()


def test_a_registry_edit_rewrites_the_views_not_the_index(seeds, monkeypatch):
    project = open_project(seeds)
    build(project)
    index, views = seeds / "build" / article_stage.INDEX_FILE, seeds / "build" / article_stage.VIEWS_FILE
    before = (index.stat().st_mtime_ns, index.stat().st_ino, views.read_bytes())
    registry = seeds / "seeds" / "registry.yaml"
    registry.write_text(_with_an_alias(registry.read_text(encoding="utf-8")), encoding="utf-8")
    calls = _redone(monkeypatch)
    build(project)
    assert calls == [] and (index.stat().st_mtime_ns, index.stat().st_ino) == before[:2] and views.read_bytes() != before[2]


def _reword(target: Path, words: str) -> None:
    text = target.read_text(encoding="utf-8")
    claim = next(line for line in text.splitlines() if line.strip().startswith("claim:"))
    target.write_text(text.replace(claim, claim.rstrip() + f" ({words})", 1), encoding="utf-8")


def test_a_few_changed_articles_are_journalled_beside_the_index(seeds, tmp_path, monkeypatch):
    """The index is written again only when the journal would grow past _JOURNAL_UP_TO entries."""
    monkeypatch.setattr(article_stage, "_JOURNAL_UP_TO", 2)
    project = open_project(seeds)
    build(project)
    index, journal = seeds / "build" / article_stage.INDEX_FILE, seeds / "build" / article_stage.JOURNAL_FILE
    written = (index.stat().st_ino, index.stat().st_mtime_ns)
    assert not journal.exists()
    first, second = _annotations(seeds)[:2]
    _reword(first, "journalled")  # one entry added, one removed: 2
    build(project)
    assert (index.stat().st_ino, index.stat().st_mtime_ns) == written and journal.is_file()
    calls = _redone(monkeypatch)
    build(open_project(seeds), force=False)
    assert calls == []
    _reword(second, "one too many")  # 4: the index again, no journal
    build(project)
    assert (index.stat().st_ino, index.stat().st_mtime_ns) != written and not journal.exists()
    assert _built(seeds) == _fresh_build(seeds / "seeds", tmp_path / "fresh")


@pytest.mark.parametrize("damage", ["damaged", "of another index"])
def test_a_journal_that_does_not_fit_its_index_is_ignored(seeds, tmp_path, monkeypatch, damage):
    def index_keys() -> set[str]:
        return set(article_stage.ArticleCache(seeds, seeds / "build", "seeds/registry.yaml").index)

    project = open_project(seeds)
    build(project)
    journal = seeds / "build" / article_stage.JOURNAL_FILE
    first, second = _annotations(seeds)[:2]
    original = first.read_text(encoding="utf-8")
    before = index_keys()
    _reword(first, "journalled")
    build(project)
    assert journal.is_file() and index_keys() != before
    if damage == "damaged":
        journal.write_bytes(journal.read_bytes()[:-10])
        expected = before  # the index as written, without the journal's change
    else:
        stale = journal.read_bytes()
        first.write_text(original, encoding="utf-8")
        _reword(second, "rewritten")
        monkeypatch.setattr(article_stage, "_JOURNAL_UP_TO", 0)
        build(project)  # the index written again, holding the first article's first entry, and no journal
        assert not journal.exists()
        expected = index_keys()
        journal.write_bytes(stale)  # its change (that entry out, the reworded one in) is of the index before
    assert index_keys() == expected
    build(project)
    assert _built(seeds) == _fresh_build(seeds / "seeds", tmp_path / "fresh")


def test_an_entry_under_another_key_is_not_used(seeds):
    project = open_project(seeds)
    build(project)
    directory = seeds / "build" / article_stage.CACHE_DIR
    first, second = sorted(directory.iterdir())[:2]
    first_bytes = first.read_bytes()
    first.write_bytes(second.read_bytes())
    second.write_bytes(first_bytes)
    (seeds / "build" / article_stage.INDEX_FILE).unlink()  # else the index alone would answer
    _corpus, cached, _origins = read_project(project, writable_cache=False)
    assert cached == read_project(project, use_cache=False, writable_cache=False)[1]


def test_a_copied_project_checks_its_own_texts(seeds, tmp_path):
    # The cache is copied with the project; a hit must hash the copy's text, not the one it was made from.
    build(open_project(seeds))
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(seeds, copy)
    text = sorted((copy / "seeds").glob("*.txt"))[0]
    text.write_bytes(text.read_bytes().replace(b"Patrick", b"Patricks", 1))
    with pytest.raises(AnnotationError) as caught:
        build(open_project(copy))
    assert any(problem.kind == "checksum" for problem in caught.value.problems)


@pytest.mark.parametrize("edited, kept", [("an annotation file", 4), ("registry.yaml", 0)])
def test_a_file_edited_while_it_is_read_is_not_cached(seeds, monkeypatch, edited, kept):
    # A result may be of the new bytes, so it must not be kept under a key of the bytes hashed before.
    project = open_project(seeds)
    target = _annotations(seeds)[2] if edited == "an annotation file" else seeds / "seeds" / edited
    real = article_stage.process_article

    def edited_meanwhile(path, display, registry):
        result = real(path, display, registry)
        if Path(path).name == _annotations(seeds)[2].name:
            target.write_text(target.read_text(encoding="utf-8") + "# edited while kg read it\n", encoding="utf-8")
        return result

    monkeypatch.setattr(article_stage, "process_article", edited_meanwhile)
    build(project)
    assert len(_entries(seeds)) == kept
    monkeypatch.setattr(article_stage, "process_article", real)
    assert build(project).rebuilt  # the manifest names the bytes hashed before the edit
    assert len(_entries(seeds)) == 5


def test_an_upgraded_library_is_a_new_article_cache_and_a_new_derivation(mini_project, monkeypatch):
    import importlib.metadata

    project = open_project(mini_project)
    before = (article_stage._code_digest(), derivation_digest(project, {}, "rules"))
    installed = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "99.0" if name == "pyoxigraph" else installed(name))
    article_stage.library_versions.cache_clear()  # looked up once per process: an upgrade means a new process
    try:
        after = (article_stage._code_digest(), derivation_digest(project, {}, "rules"))
    finally:
        monkeypatch.undo()
        article_stage.library_versions.cache_clear()
    assert before[0] != after[0] and before[1] != after[1]
