"""Shared fixtures: throw-away copies of the real project and of small test corpora.

Builds run in temporary copies so tests never touch the repository's own build/ and
can break files freely.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kg.build import build
from kg.project import open_project

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def load_generator():
    """bench/generate.py as a module (bench/ is not a package)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("bench_generate", REPO / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


def built_dataset(where) -> bytes:
    """The built dataset's N-Quads (kg/segments.py) of a project or of a project directory."""
    from kg.segments import dataset_bytes

    data = dataset_bytes(_build_dir(where))
    assert data is not None, f"no built dataset in {where}"
    return data


def _build_dir(where) -> Path:
    return where.build if hasattr(where, "build") else Path(where) / "build"


def dataset_files(where) -> list[Path]:
    """The built dataset's layout file and segment files (kg/segments.py)."""
    from kg.segments import LAYOUT_FILE, SEGMENT_DIR, read_layout

    build_dir = _build_dir(where)
    return [build_dir / LAYOUT_FILE] + [build_dir / SEGMENT_DIR / name for name in read_layout(build_dir).segments()]


def rewrite_dataset(where, edit) -> None:
    """Change the built dataset's bytes where they lie, as damage would: `edit(bytes) -> bytes` of its
    one segment (a build from scratch writes one)."""
    layout_file, *segments = dataset_files(where)
    assert len(segments) == 1, segments
    segments[0].write_bytes(edit(segments[0].read_bytes()))


def copy_project(target: Path, seeds: Path | None = None) -> Path:
    """A project directory with the repository's ontology and queries and the given seeds."""
    shutil.copytree(seeds or REPO / "seeds", target / "seeds")
    shutil.copytree(REPO / "ontology", target / "ontology")
    shutil.copytree(REPO / "queries", target / "queries")
    return target


@pytest.fixture(scope="session")
def seeds_project(tmp_path_factory) -> Path:
    """The real five-article corpus, built once for the whole session. Do not modify."""
    root = copy_project(tmp_path_factory.mktemp("seeds-project"))
    build(open_project(root))
    return root


@pytest.fixture(scope="session")
def mini_project(tmp_path_factory) -> Path:
    """A one-article corpus (tests/fixtures/mini), built once. Do not modify."""
    root = copy_project(tmp_path_factory.mktemp("mini-project"), FIXTURES / "mini" / "seeds")
    build(open_project(root))
    return root


@pytest.fixture
def mini_copy(tmp_path) -> Path:
    """A fresh, unbuilt copy of the mini corpus that a test may break."""
    return copy_project(tmp_path / "project", FIXTURES / "mini" / "seeds")
