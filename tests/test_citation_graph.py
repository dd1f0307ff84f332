"""kg graph: the citation network as DOT (always) and SVG/PNG (with Graphviz)."""
import shutil

import pytest
from click.testing import CliRunner

from kg.citation_graph import citation_graph
from kg.cli import cli
from kg.project import open_project


def test_dot_has_citers_figures_reporters_and_origins(seeds_project):
    dot = citation_graph(open_project(seeds_project), "dot").decode()
    assert dot.startswith("digraph citations {")
    assert '"https://w3id.org/kg/id/mary-beth-heffernan" -> "https://w3id.org/kg/id/boston-pilot-serious-crime-share" [label="cites"]' in dot
    assert '"https://w3id.org/kg/id/boston-pilot-serious-crime-share" -> "https://w3id.org/kg/id/boston-pilot-figures" [label="from"]' in dot
    assert '"https://w3id.org/kg/id/blog-2011-06-opt-out" -> "https://w3id.org/kg/id/nyt-report" [label="derived from"]' in dot
    assert '[label="reports"]' in dot and '[label="produced by"]' in dot


def test_dot_is_deterministic(seeds_project):
    project = open_project(seeds_project)
    assert citation_graph(project, "dot") == citation_graph(project, "dot")


def test_svg_via_cli(mini_project, tmp_path):
    if not shutil.which("dot"):
        pytest.skip("Graphviz not installed (Debian package graphviz; .ci/run installs it)")
    target = tmp_path / "citations.svg"
    result = CliRunner().invoke(cli, ["--project", str(mini_project), "graph", "-o", str(target)], obj={})
    assert result.exit_code == 0, result.output
    text = target.read_text()
    assert "<svg" in text and "Lee Park" in text
