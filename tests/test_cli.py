"""Every kg command through click's CliRunner: output, exit codes, and clean errors."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph

from kg.cli import cli

from test_annotations import edit


def kg(project: Path, *args: str):
    return CliRunner().invoke(cli, ["--project", str(project), *args], obj={}, catch_exceptions=False)


def test_build_then_up_to_date(mini_copy):
    first = kg(mini_copy, "build")
    assert first.exit_code == 0 and first.output.startswith("built:")
    second = kg(mini_copy, "build")
    assert second.exit_code == 0 and second.output.startswith("up to date:")
    assert kg(mini_copy, "build", "--force").output.startswith("built:")


def test_validate_text_and_json(mini_project):
    text = kg(mini_project, "validate")
    assert text.exit_code == 0 and text.output.startswith("ok: 1 articles")
    report = json.loads(kg(mini_project, "validate", "--format", "json").output)
    assert report["ok"] is True and report["counts"]["statements"] == 2


def test_validate_reports_broken_file_with_line_and_no_traceback(mini_copy):
    edit(mini_copy / "seeds" / "note.yaml", "    speaker: lee-park\n    quote: \"works", "    speaker: lee-parks\n    quote: \"works")
    result = CliRunner().invoke(cli, ["--project", str(mini_copy), "validate"], obj={})
    assert result.exit_code == 1
    assert "seeds/note.yaml:" in result.output and "did you mean 'lee-park'" in result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    report = json.loads(CliRunner().invoke(cli, ["--project", str(mini_copy), "validate", "--format", "json"], obj={}).output)
    assert report["ok"] is False and report["problems"][0]["line"] > 1


def test_build_with_broken_yaml_is_one_clear_error(mini_copy):
    edit(mini_copy / "seeds" / "note.yaml", "  kind: news-article", "  kind: [news-article")
    result = CliRunner().invoke(cli, ["--project", str(mini_copy), "build"], obj={})
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: seeds/note.yaml:") and "YAML syntax" in lines[0]


def test_queries_lists_summaries_and_parameters(mini_project):
    result = kg(mini_project, "queries")
    assert result.exit_code == 0
    assert "who-cited-boston-pilot-figures" in result.output
    assert "--param speaker=<iri> (default kgr:mary-beth-heffernan)" in result.output


@pytest.mark.parametrize("form", ["table", "csv", "tsv", "json"])
def test_query_formats(mini_project, form):
    result = kg(mini_project, "query", "statements-by", "--param", "speaker=lee-park", "--format", form)
    assert result.exit_code == 0
    if form == "json":
        document = json.loads(result.output)
        assert document["head"]["vars"][0] == "statement"
        assert len(document["results"]["bindings"]) == 2
        assert document["results"]["bindings"][0]["statement"]["type"] == "uri"
    elif form == "table":
        assert result.output.rstrip().endswith("(2 rows)")
    elif form == "csv":
        assert result.output.startswith("statement,document,") and result.stdout_bytes.count(b"\r\n") == 3
    else:
        assert result.output.startswith("?statement\t?document") and "<https://w3id.org/kg/id/town-note>" in result.output


def test_query_builds_a_fresh_project_first(mini_copy):
    result = kg(mini_copy, "query", "governors-who-declined")
    assert result.exit_code == 0 and (mini_copy / "build" / "dataset.json").exists()


def test_unknown_query_and_bad_parameter_are_usage_errors(mini_project):
    runner = CliRunner()
    unknown = runner.invoke(cli, ["--project", str(mini_project), "query", "who-cited"], obj={})
    assert unknown.exit_code == 2 and "no saved query named 'who-cited'" in unknown.output
    bad = runner.invoke(cli, ["--project", str(mini_project), "query", "statements-by", "--param", "speaker=not an iri"], obj={})
    assert bad.exit_code == 2 and "speaker=" in bad.output and "Traceback" not in bad.output
    extra = runner.invoke(cli, ["--project", str(mini_project), "query", "statements-by", "--param", "nobody=1"], obj={})
    assert extra.exit_code == 2 and "unknown parameter 'nobody'" in extra.output


def test_export_to_stdout_and_file(mini_project, tmp_path):
    stdout = kg(mini_project, "export", "--format", "ntriples", "--inferred")
    graph = Graph().parse(data=stdout.stdout_bytes, format="nt")
    assert len(graph) > 0
    target = tmp_path / "out.ttl"
    written = kg(mini_project, "export", "-o", str(target))
    assert written.exit_code == 0 and Graph().parse(target, format="turtle")


def test_missing_project_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["--project", str(tmp_path), "build"], obj={})
    assert result.exit_code == 1 and "has no seeds/ directory" in result.output


def test_validate_data_file(mini_project, tmp_path):
    good = tmp_path / "good.nt"
    good.write_bytes(kg(mini_project, "export", "--format", "ntriples", "--asserted").stdout_bytes)
    ok = kg(mini_project, "validate", "--data", str(good))
    assert ok.exit_code == 0 and ok.output.startswith("ok: ")
    broken = tmp_path / "broken.nt"
    broken.write_bytes(b"".join(line + b"\n" for line in good.read_bytes().splitlines() if b"#statedBy>" not in line))
    result = CliRunner().invoke(cli, ["--project", str(mini_project), "validate", "--data", str(broken)], obj={})
    assert result.exit_code == 1 and "no speaker" in result.output and "broken.nt" in result.output


def test_build_reports_shape_violations_at_the_annotation_line(mini_copy):
    # a figure that no statement cites and that names no source has no origin
    edit(mini_copy / "seeds" / "note.yaml", "    cites: [pilot-resolved-share]\n", "")
    result = CliRunner().invoke(cli, ["--project", str(mini_copy), "build"], obj={})
    assert result.exit_code == 1 and "seeds/registry.yaml:" in result.output and "Traceback" not in result.output
