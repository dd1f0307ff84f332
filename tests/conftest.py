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
