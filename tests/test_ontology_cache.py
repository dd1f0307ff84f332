"""kg/ontology_cache.py: the ontology's lines, kept by the files' bytes and made again when they change."""
from __future__ import annotations

import pytest

from kg import build as build_module
from kg import vocabulary as V
from kg.build import read_inputs
from kg.errors import ProjectError
from kg.ontology_cache import CACHE_DIR
from kg.project import open_project


@pytest.fixture
def parses(monkeypatch) -> list[int]:
    """One entry per time the ontology's Turtle is parsed."""
    calls: list[int] = []
    load = build_module.load_ontology

    def counted(project):
        calls.append(1)
        return load(project)

    monkeypatch.setattr(build_module, "load_ontology", counted)
    return calls


def _ontology_lines(project, **options) -> set[str]:
    return read_inputs(project, **options).shared_lines[str(V.ONTOLOGY_GRAPH)]


def test_the_lines_are_kept_and_read_back_the_same(mini_copy, parses):
    project = open_project(mini_copy)
    first = _ontology_lines(project)
    assert len(parses) == 1 and len(first) > 100
    assert _ontology_lines(project) == first and len(parses) == 1
    assert len(list((project.build / CACHE_DIR).glob("*.nt"))) == 1


def test_an_edited_ontology_is_parsed_again_and_the_old_entry_goes(mini_copy, parses):
    project = open_project(mini_copy)
    first = _ontology_lines(project)
    extra = mini_copy / "ontology" / "zz-extra.ttl"
    extra.write_text("<https://w3id.org/kg/ontology#Extra> a <http://www.w3.org/2002/07/owl#Class> .\n", encoding="utf-8")
    second = _ontology_lines(open_project(mini_copy))
    assert len(parses) == 2 and second - first == {"<https://w3id.org/kg/ontology#Extra> "
                                                   "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/2002/07/owl#Class>"}
    assert len(list((project.build / CACHE_DIR).glob("*.nt"))) == 1


def test_a_damaged_entry_is_made_again_and_forced_builds_do_not_read_it(mini_copy, parses):
    project = open_project(mini_copy)
    first = _ontology_lines(project)
    (entry,) = (project.build / CACHE_DIR).glob("*.nt")
    entry.write_bytes(entry.read_bytes().replace(b"Governor", b"Gouverneur", 1))
    assert _ontology_lines(project) == first and len(parses) == 2
    assert _ontology_lines(project) == first and len(parses) == 2  # rewritten whole
    assert _ontology_lines(project, use_cache=False) == first and len(parses) == 3


def test_a_broken_ontology_is_still_reported_by_file_and_line(mini_copy):
    project = open_project(mini_copy)
    _ontology_lines(project)
    broken = mini_copy / "ontology" / "zz-broken.ttl"
    broken.write_text("@prefix kg: <https://w3id.org/kg/ontology#> .\nkg:Thing a a .\n", encoding="utf-8")
    with pytest.raises(ProjectError) as raised:
        _ontology_lines(open_project(mini_copy))
    assert "ontology/zz-broken.ttl:" in str(raised.value)
