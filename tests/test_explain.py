"""kg query --explain: quotes in context for every row, and how reasoning derived inferred facts."""
import pytest
from click.testing import CliRunner

from kg.cli import cli
from kg.explain import Explainer
from kg.project import open_project
from kg.querying import execute, find_query, load_dataset

from kg.vocabulary import KG, KGR
from conftest import built_dataset


@pytest.fixture(scope="module")
def explainer(seeds_project):
    return Explainer(load_dataset(built_dataset(open_project(seeds_project))), seeds_project)


def explain(explainer, seeds_project, name):
    project = open_project(seeds_project)
    query = find_query(project, name)
    return explainer.explain(execute(explainer.dataset, query, {}), query.text)


def test_every_citer_row_has_its_quote_in_context(explainer, seeds_project):
    rows = explain(explainer, seeds_project, "who-cited-boston-pilot-figures")
    assert rows
    for row in rows:
        assert row.evidence, row.row
        for evidence in row.evidence:
            assert evidence.quote and evidence.start < evidence.end
            assert evidence.paragraph[evidence.start - evidence.paragraph_start: evidence.end - evidence.paragraph_start] == evidence.quote
            assert evidence.title


def test_agent_cites_is_explained_by_the_property_chain(explainer, seeds_project):
    rows = explain(explainer, seeds_project, "who-cited-boston-pilot-figures")
    heffernan = next(r for r in rows if r.row["citer"] == KGR["mary-beth-heffernan"])
    cites = next(d for d in heffernan.derivations if d.fact[1] == KG.cites)
    assert cites.axiom.startswith("property chain") and "kg:made kg:cites" in cites.axiom
    made, statement_cites = cites.premises
    assert made[1].axiom.startswith("inverse property: kg:made owl:inverseOf kg:statedBy")
    assert statement_cites[1] == "asserted"


def test_governor_is_explained_by_the_restriction(explainer, seeds_project):
    rows = explain(explainer, seeds_project, "governors-who-declined")
    patrick = next(r for r in rows if r.row["governor"] == KGR["deval-patrick"])
    governor = next(d for d in patrick.derivations if d.fact[2] == KG.Governor)
    assert governor.axiom.startswith("someValuesFrom restriction")
    assert [how for _, how in governor.premises] == ["asserted", "asserted"]


def test_transitive_derivation_is_explained(explainer, seeds_project):
    rows = explain(explainer, seeds_project, "figure-provenance")
    blog = next(r for r in rows if r.row["derived"] == KGR["blog-2011-06-opt-out"])
    derived = next(d for d in blog.derivations if d.fact[1] == KG.derivedFrom)
    assert derived.axiom == "transitive property: kg:derivedFrom"
    assert [fact[2] for fact, _ in derived.premises] == [KGR["nyt-report"], KGR["boston-pilot-figures"]]


def test_explain_from_the_cli(seeds_project):
    result = CliRunner().invoke(cli, ["--project", str(seeds_project), "query", "who-cited-boston-pilot-figures", "--explain"], obj={})
    assert result.exit_code == 0
    assert "[[Heffernan cited statistics" in result.output or "[[Citing statistics" in result.output
    assert "by property chain: kg:cites owl:propertyChainAxiom (kg:made kg:cites)" in result.output
    assert "characters " in result.output and "Mass. Won't Participate" in result.output
