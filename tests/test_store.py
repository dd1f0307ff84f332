"""kg/store.py's record of the inputs' digests (build/inputs.seen.json): a file is hashed again
whenever it may have changed, and only then."""
from __future__ import annotations

import hashlib
import os

import pytest

from kg import store
from kg.build import build
from kg.project import open_project


@pytest.fixture
def counted_hashes(monkeypatch) -> list[str]:
    """The names of the files store.input_digests hashes, as it hashes them."""
    hashed: list[str] = []
    hash_file = store.file_sha256

    def counting(path):
        hashed.append(str(path))
        return hash_file(path)

    monkeypatch.setattr(store, "file_sha256", counting)
    return hashed


@pytest.fixture
def no_racy_margin(monkeypatch) -> None:
    """Files the test just wrote may be recorded (by default one changed within 2 s of being hashed is not)."""
    monkeypatch.setattr(store._SeenInputs, "_RACY_NS", 0)


def _true_digests(project) -> dict[str, bytes]:
    return {name: hashlib.sha256((project.root / name).read_bytes()).digest() for name in project.input_names()}


def test_an_unchanged_input_is_not_hashed_again(mini_copy, no_racy_margin, counted_hashes):
    project = open_project(mini_copy)
    (project.build).mkdir()
    first = store.input_digests(project)
    assert len(counted_hashes) == len(project.input_names())
    counted_hashes.clear()
    assert store.input_digests(project) == first == _true_digests(project)
    assert counted_hashes == []


def test_an_input_rewritten_at_the_same_size_and_time_is_hashed_again(mini_copy, no_racy_margin, counted_hashes):
    project = open_project(mini_copy)
    build(project)
    note = mini_copy / "seeds" / "note.yaml"
    before = note.stat()
    edited = note.read_bytes().replace(b"works well.\n", b"works fine.\n", 1)
    assert len(edited) == before.st_size
    note.write_bytes(edited)
    os.utime(note, ns=(before.st_atime_ns, before.st_mtime_ns))  # only its change time (ctime) tells
    counted_hashes.clear()
    assert store.input_digests(project) == _true_digests(project)
    assert counted_hashes == [str(note)]
    assert not store.is_current(project)


def test_a_file_changed_within_the_racy_margin_is_not_recorded(mini_copy, counted_hashes):
    # Every file was copied a moment ago: a second write in the same clock tick could keep its identity.
    project = open_project(mini_copy)
    project.build.mkdir()
    store.input_digests(project)
    counted_hashes.clear()
    store.input_digests(project)
    assert len(counted_hashes) == len(project.input_names())


def test_a_damaged_or_foreign_record_is_ignored_and_made_again(mini_copy, no_racy_margin, counted_hashes):
    project = open_project(mini_copy)
    project.build.mkdir()
    store.input_digests(project)
    record = project.build / store._SeenInputs.FILE
    for damage in (lambda data: data[:-1] + bytes([data[-1] ^ 1]), lambda data: b"{}", lambda data: b""):
        record.write_bytes(damage(record.read_bytes()))
        counted_hashes.clear()
        assert store.input_digests(project) == _true_digests(project)
        assert len(counted_hashes) == len(project.input_names())
    counted_hashes.clear()
    store.input_digests(project)
    assert counted_hashes == []


def test_a_forced_build_hashes_every_input(mini_copy, no_racy_margin, counted_hashes):
    project = open_project(mini_copy)
    build(project)
    counted_hashes.clear()
    build(project)
    assert counted_hashes == []
    build(project, force=True)
    assert set(map(str, (project.root / name for name in project.input_names()))) <= set(counted_hashes)


def test_a_removed_input_leaves_the_record(mini_copy, no_racy_margin):
    project = open_project(mini_copy)
    project.build.mkdir()
    (mini_copy / "seeds" / "extra.txt").write_text("an input\n", encoding="utf-8")
    store.input_digests(project)
    (mini_copy / "seeds" / "extra.txt").unlink()
    store.input_digests(project)
    assert "seeds/extra.txt" not in store._SeenInputs.read(project).entries


def test_files_on_a_file_system_not_known_to_be_local_are_always_hashed(mini_copy, no_racy_margin, counted_hashes, monkeypatch):
    # NFS and the like may answer stat() from attributes cached before another machine's edit.
    project = open_project(mini_copy)
    project.build.mkdir()
    store.input_digests(project)
    monkeypatch.setattr(store, "_local_device_ids", frozenset())
    counted_hashes.clear()
    store.input_digests(project)
    assert len(counted_hashes) == len(project.input_names())


def test_a_build_removes_the_one_file_dataset_of_earlier_versions(mini_copy):
    project = open_project(mini_copy)
    project.build.mkdir()
    for legacy in ("dataset.nq", "dataset.graphs.json"):
        (project.build / legacy).write_bytes(b"from kg before segments\n")
    build(project)
    assert not (project.build / "dataset.nq").exists() and not (project.build / "dataset.graphs.json").exists()


def test_the_manifest_is_the_last_file_a_build_writes(mini_copy, monkeypatch):
    # Once the manifest names the new dataset, a query finds the build current and runs no build that
    # would remove a killed build's temporary files: so nothing may be written after it.
    written = []
    write = store.write_atomically

    def recording(path, data):
        written.append(path.name)
        return write(path, data)

    monkeypatch.setattr(store, "write_atomically", recording)
    build(open_project(mini_copy))
    assert written[-1] == store.MANIFEST_FILE and store.SEEN_FILE in written


def test_a_build_of_an_earlier_format_is_made_again_not_trusted(mini_copy):
    # An earlier kg's build directory (format 2: a layout without chunks, which this kg cannot read) is
    # not current, though its files are the ones last hashed: a build makes it again rather than saying it
    # is up to date while export finds no dataset.
    import json

    from kg.export import export

    project = open_project(mini_copy)
    build(project)
    layout = project.build / "dataset.json"
    old_layout = json.loads(layout.read_bytes())
    old_layout["format"] = 1
    layout.write_text(json.dumps(old_layout))
    store._record_seen(project, store.read_manifest(project), store._identities(project, sorted({e[0] for e in old_layout["extents"]})))
    manifest = project.build / store.MANIFEST_FILE
    manifest.write_text(manifest.read_text().replace(f'"format": "{store.FORMAT_VERSION}"', '"format": "2"'))
    assert not store.is_current(project)
    result = build(project)
    assert result.rebuilt and store.is_current(project)
    assert json.loads(layout.read_bytes())["format"] != 1
    assert export(project, "nquads")


def test_the_record_is_rewritten_once_enough_files_were_hashed_again(mini_copy, no_racy_margin, counted_hashes, monkeypatch):
    # At 10,000 articles rewriting 20,000 entries after each edit cost more than hashing the few edited
    # files again at the next run; what is not recorded is hashed again, never trusted.
    monkeypatch.setattr(store._SeenInputs, "_SAVE_AFTER", 2)
    monkeypatch.setattr(store._SeenInputs, "_SAVE_SHARE", 1.0)
    project = open_project(mini_copy)
    project.build.mkdir()
    store.input_digests(project)
    record = project.build / store._SeenInputs.FILE
    saved = record.read_bytes()
    note, other = mini_copy / "seeds" / "note.yaml", mini_copy / "seeds" / "registry.yaml"
    note.write_bytes(note.read_bytes() + b"# one edit\n")
    counted_hashes.clear()
    assert store.input_digests(project) == _true_digests(project)
    assert counted_hashes == [str(note)] and record.read_bytes() == saved  # one file: not worth a rewrite
    counted_hashes.clear()
    assert store.input_digests(project) == _true_digests(project)
    assert counted_hashes == [str(note)]  # so it is hashed again
    other.write_bytes(other.read_bytes() + b"# another edit\n")
    counted_hashes.clear()
    assert store.input_digests(project) == _true_digests(project)
    assert sorted(counted_hashes) == sorted([str(note), str(other)]) and record.read_bytes() != saved
    counted_hashes.clear()
    assert store.input_digests(project) == _true_digests(project)
    assert counted_hashes == []
