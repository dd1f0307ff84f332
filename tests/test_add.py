"""kg add: a new article joins the corpus with a starter annotation that validates, then gets found."""

from click.testing import CliRunner

from conftest import FIXTURES, copy_project
from kg.cli import cli

ARTICLE = ("Park Visits Town\n\nMay 9, 2011\n\nGov.\u00a0Lee Park toured the pilot on Monday. Ana Ruiz wrote that Park said "
           "\u201cthe pilot is here to stay.\u201d Park cited figures showing about one in three cases were resolved.\n")


def test_add_then_annotate_then_query(tmp_path):
    project = copy_project(tmp_path / "project", FIXTURES / "mini" / "seeds")
    source = tmp_path / "incoming.txt"
    source.write_text(ARTICLE, encoding="utf-8")
    runner = CliRunner()
    added = runner.invoke(cli, ["--project", str(project), "add", str(source), "--title", "Park Visits Town", "--date", "2011-05-09", "--name", "visit"], obj={})
    assert added.exit_code == 0, added.output
    assert (project / "seeds" / "visit.txt").read_bytes() == source.read_bytes()
    annotation = (project / "seeds" / "visit.yaml").read_text(encoding="utf-8")
    assert "{entity: lee-park, quote: \"Gov. Lee Park\"}" in annotation
    assert "{entity: ana-ruiz, quote: \"Ana Ruiz\"}" in annotation
    assert "# Candidate statements" in annotation and "the pilot is here to stay" in annotation
    assert "# Candidate statistics" in annotation and "about one in three" in annotation
    assert runner.invoke(cli, ["--project", str(project), "validate"], obj={}).exit_code == 0
    # a person confirms one candidate statement
    annotation = annotation.replace("statements: []", "statements:\n  - id: park-stays\n    speaker: lee-park\n"
                                    "    quote: \"the pilot is here to stay.\"\n    form: direct\n    about: [town-pilot]")
    (project / "seeds" / "visit.yaml").write_text(annotation, encoding="utf-8")
    found = runner.invoke(cli, ["--project", str(project), "query", "statements-by", "--param", "speaker=lee-park", "--format", "csv"], obj={})
    assert found.exit_code == 0 and "visit/statement/park-stays" in found.output


def test_add_refuses_to_overwrite_and_checks_its_options(mini_copy, tmp_path):
    source = tmp_path / "a.txt"
    source.write_text("Some text.\n", encoding="utf-8")
    runner = CliRunner()
    clash = runner.invoke(cli, ["--project", str(mini_copy), "add", str(source), "--title", "T", "--name", "note"], obj={})
    assert clash.exit_code == 2 and "already exists" in clash.output
    bad_date = runner.invoke(cli, ["--project", str(mini_copy), "add", str(source), "--title", "T", "--date", "May 9"], obj={})
    assert bad_date.exit_code == 2 and "is not a date" in bad_date.output
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert runner.invoke(cli, ["--project", str(mini_copy), "add", str(binary), "--title", "T"], obj={}).exit_code == 2
