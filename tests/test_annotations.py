"""Reading and checking annotation files: the real seeds pass, broken files name file:line."""
from __future__ import annotations

from pathlib import Path

import pytest

from kg.annotations import read_corpus
from kg.errors import AnnotationError

from conftest import REPO


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture no longer contains {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems_of(project: Path) -> list[str]:
    with pytest.raises(AnnotationError) as raised:
        read_corpus(project / "seeds", project)
    return [str(p) for p in raised.value.problems]


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_real_seeds_are_fully_annotated_and_anchor():
    corpus = read_corpus(REPO / "seeds", REPO)
    assert len(corpus.articles) == 5
    for article in corpus.articles:
        assert article.title and article.title.span
        assert article.statements and article.mentions
        for statement in article.statements:
            span = statement.anchored.span
            assert article.text[span.start:span.end] == span.exact
    heffernan = corpus.registry.entities["mary-beth-heffernan"]
    assert {"Mary Heffernan", "Mary Beth Heffernan"} <= set(heffernan.aliases) | {heffernan.name}


def test_every_seed_text_has_an_annotation_recording_its_original_name():
    corpus = read_corpus(REPO / "seeds", REPO)
    texts = {p.name for p in (REPO / "seeds").glob("*.txt")}
    assert {a.text_name for a in corpus.articles} == texts
    assert all(a.original_name for a in corpus.articles)


def test_yaml_syntax_error_names_file_line_and_column(mini_copy):
    note = mini_copy / "seeds" / "note.yaml"
    edit(note, "  kind: news-article", "  kind: [news-article")
    [problem] = problems_of(mini_copy)
    assert problem.startswith("seeds/note.yaml:")
    assert "YAML syntax" in problem


def test_unknown_key_suggests_the_right_one(mini_copy):
    note = mini_copy / "seeds" / "note.yaml"
    edit(note, "    claim: The town's pilot works well.", "    claims: The town's pilot works well.")
    [problem] = problems_of(mini_copy)
    assert problem.startswith(f"seeds/note.yaml:{line_of(note, 'claims:')}:")
    assert "unknown key 'claims'" in problem and "did you mean 'claim'" in problem


def test_quote_not_found_shows_closest_passage(mini_copy):
    note = mini_copy / "seeds" / "note.yaml"
    edit(note, 'quote: "Park cited figures showing', 'quote: "Park cites figures showing')
    [problem] = problems_of(mini_copy)
    assert f"seeds/note.yaml:{line_of(note, 'Park cites figures')}:" in problem
    assert "not found" in problem and "closest passage" in problem and "Park cited figures" in problem


def test_ambiguous_quote_says_how_often(mini_copy):
    note = mini_copy / "seeds" / "note.yaml"
    edit(note, '{entity: lee-park, quote: "Park", prefix: "well.\\" "}', '{entity: lee-park, quote: "Park"}')
    [problem] = problems_of(mini_copy)
    assert "occurs 2 times" in problem and "prefix" in problem


def test_unknown_entity_suggests_nearest_id(mini_copy):
    note = mini_copy / "seeds" / "note.yaml"
    edit(note, "    speaker: lee-park\n    quote: \"works", "    speaker: lee-parks\n    quote: \"works")
    [problem] = problems_of(mini_copy)
    assert f":{line_of(note, 'lee-parks')}:" in problem
    assert "unknown id 'lee-parks'" in problem and "did you mean 'lee-park'" in problem


def test_statistic_as_speaker_is_the_wrong_kind(mini_copy):
    note = mini_copy / "seeds" / "note.yaml"
    edit(note, "    speaker: lee-park\n    quote: \"works", "    speaker: pilot-resolved-share\n    quote: \"works")
    [problem] = problems_of(mini_copy)
    assert "which is a statistic" in problem


def test_place_as_speaker_is_the_wrong_kind(mini_copy):
    note = mini_copy / "seeds" / "note.yaml"
    edit(note, "    speaker: lee-park\n    quote: \"works", "    speaker: freedonia\n    quote: \"works")
    [problem] = problems_of(mini_copy)
    assert "which is a state" in problem


def test_duplicate_ids_are_reported(mini_copy):
    registry = mini_copy / "seeds" / "registry.yaml"
    edit(registry, "  - id: ana-ruiz", "  - id: freedonia")
    problems = problems_of(mini_copy)
    assert any("duplicate id 'freedonia'" in p for p in problems)


def test_bad_date_and_number(mini_copy):
    note = mini_copy / "seeds" / "note.yaml"
    registry = mini_copy / "seeds" / "registry.yaml"
    edit(note, "value: 2011-05-02", "value: 2011-13-02")
    edit(registry, "value: 0.33", "value: about a third")
    problems = problems_of(mini_copy)
    assert any(p.startswith("seeds/note.yaml:") and "not a date" in p for p in problems)
    assert any(p.startswith(f"seeds/registry.yaml:{line_of(registry, 'about a third')}:") and "must be a number" in p for p in problems)


def test_changed_article_bytes_are_detected(mini_copy):
    text = mini_copy / "seeds" / "note.txt"
    text.write_bytes(text.read_bytes().replace(b"resolved", b"solved"))
    problems = problems_of(mini_copy)
    assert any("changed since it was annotated" in p for p in problems)


def test_all_problems_are_reported_at_once(mini_copy):
    note = mini_copy / "seeds" / "note.yaml"
    edit(note, "    claim: The town's pilot works well.", "    claims: x")
    edit(note, "    speaker: lee-park\n    quote: \"Park", "    speaker: nobody\n    quote: \"Park")
    assert len(problems_of(mini_copy)) == 2


@pytest.mark.parametrize("reference, expected", [
    ("nyt-report#a b", "'derived_from' of statement 'nyt-boston-figures': 'nyt-report#a b' is not DOCUMENT-ID#STATEMENT-ID"),
    ("#nyt-boston-figures", "'derived_from' of statement 'nyt-boston-figures': '#nyt-boston-figures' is not DOCUMENT-ID#STATEMENT-ID"),
    ("nyt-report#no-such-statement", "'derived_from' of statement 'nyt-boston-figures' refers to unknown statement 'nyt-report#no-such-statement'"),
])
def test_a_statement_derived_from_another_articles_statement_is_checked(tmp_path, reference, expected):
    from conftest import copy_project

    project = copy_project(tmp_path / "project")
    blog = project / "seeds" / "003_e67304e719c7f874.yaml"
    edit(blog, "    derived_from: [nyt-report]", f'    derived_from: ["{reference}"]')
    problems = problems_of(project)
    assert [p for p in problems if expected in p] and all(p.startswith(f"seeds/{blog.name}:") for p in problems)
    from kg.build import build
    from kg.project import open_project

    with pytest.raises(AnnotationError):  # not a ValueError from the IRI it used to be written into
        build(open_project(project))


def test_a_statistic_whose_id_is_a_block_is_a_problem_not_a_traceback(tmp_path):
    # once found by tests/test_properties.py: the id was looked up in a dict before it was checked
    from conftest import copy_project

    project = copy_project(tmp_path / "project")
    registry = project / "seeds" / "registry.yaml"
    line = line_of(registry, "  - id: boston-pilot-serious-crime-share")
    edit(registry, "  - id: boston-pilot-serious-crime-share", "  - id: {a: b}")
    assert f"seeds/registry.yaml:{line}:9: 'id' of a statistic must be text, not a block (write it as a plain or quoted string)" in problems_of(project)
