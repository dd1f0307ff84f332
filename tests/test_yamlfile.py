"""The fast libyaml reader gives exactly what the pure-Python reader gives, positions included."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES, REPO
from kg import yamlfile
from kg.errors import AnnotationError

FILES = sorted(REPO.glob("seeds/*.yaml")) + sorted(FIXTURES.rglob("*.yaml"))


def _plain(value):
    """The value with every position it remembers, to compare two readings."""
    if isinstance(value, yamlfile.Mapping):
        return ("map", value.line, value.column, sorted(value.key_positions.items()), sorted(value.value_positions.items()),
                sorted((key, _plain(item)) for key, item in value.items()))
    if isinstance(value, yamlfile.Sequence):
        return ("seq", value.line, value.column, list(value.item_positions), [_plain(item) for item in value])
    return ("scalar", type(value).__name__, value)


def _python_reading(text: str, monkeypatch) -> object:
    with monkeypatch.context() as patch:
        patch.setattr(yamlfile, "_FastLoader", None)
        try:
            return _plain(yamlfile.load_yaml_text(text, "f.yaml"))
        except AnnotationError as error:
            return str(error)


def _reading(text: str) -> object:
    try:
        return _plain(yamlfile.load_yaml_text(text, "f.yaml"))
    except AnnotationError as error:
        return str(error)


needs_libyaml = pytest.mark.skipif(yamlfile._FastLoader is None, reason="PyYAML without libyaml: only the Python reader is used")


@needs_libyaml
@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_both_readers_agree_on_every_seed_and_fixture(path: Path, monkeypatch):
    text = path.read_text(encoding="utf-8")
    assert _reading(text) == _python_reading(text, monkeypatch)


@needs_libyaml
@pytest.mark.parametrize("text", [
    "a: [1, 2\n", "a: b\na: c\n", "a:\n  - x\n - y\n", "key\t: value\n", "a: 'unclosed\n", "a: \x07\n", "- [a, b]: c\n",
    "a: 2011-13-02\n", "{a: 1, b: {c: [x, y]}}\n", "a: |\n  multi\n  line\n", "",
])
def test_both_readers_agree_on_broken_and_odd_text(text: str, monkeypatch):
    assert _reading(text) == _python_reading(text, monkeypatch)
