"""Nothing let in, nothing lost: offline queries, timeouts, hostile RDF, killed and concurrent builds."""
from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, REPO, built_dataset, copy_project
from kg.build import build
from kg.cli import cli
from kg.errors import NetworkBlocked, ProjectError, QueryTimeout
from kg.project import open_project
from kg.querying import execute, find_query, load_dataset
from kg.store import is_current, read_manifest
from kg.userdata import read_user_rdf


def write_query(project: Path, name: str, body: str) -> None:
    (project / "queries" / f"{name}.rq").write_text(f"#+ name: {name}\n#+ summary: test\n#+ example: kg query {name}\n{body}\n", encoding="utf-8")


def test_service_is_refused_without_allow_network(mini_copy):
    write_query(mini_copy, "remote-service", "SELECT ?s WHERE { SERVICE <http://192.0.2.1/sparql> { ?s ?p ?o } }")
    result = CliRunner().invoke(cli, ["--project", str(mini_copy), "query", "remote-service"], obj={})
    assert result.exit_code == 1
    assert "network access refused" in result.output and "--allow-network" in result.output
    assert "Traceback" not in result.output


def test_remote_from_is_refused(mini_project, tmp_path):
    project = open_project(mini_project)
    dataset = load_dataset(built_dataset(project))
    query_file = tmp_path / "remote-from.rq"
    query_file.write_text("#+ name: remote-from\n#+ summary: s\nSELECT ?s FROM <http://192.0.2.1/data.ttl> WHERE { ?s ?p ?o }\n", encoding="utf-8")
    from kg.queries import read_query

    with pytest.raises(NetworkBlocked):
        execute(dataset, read_query(query_file, "remote-from.rq"), {})


def test_network_is_allowed_only_when_asked(mini_project, tmp_path):
    """With allow_network the same SERVICE query does try to connect (and fails on an unroutable address)."""
    from kg.queries import read_query

    query_file = tmp_path / "svc.rq"
    query_file.write_text("#+ name: svc\n#+ summary: s\nSELECT ?s WHERE { SERVICE SILENT <http://127.0.0.1:9/sparql> { ?s ?p ?o } }\n", encoding="utf-8")
    dataset = load_dataset(built_dataset(open_project(mini_project)))
    result = execute(dataset, read_query(query_file, "svc.rq"), {}, allow_network=True)
    assert result.rows == () or all(row == (None,) for row in result.rows)


def test_query_timeout(mini_copy):
    write_query(mini_copy, "slow", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    build(open_project(mini_copy))
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["--project", str(mini_copy), "query", "slow", "--timeout", "1"], obj={})
    assert result.exit_code == 1 and "longer than 1 s" in result.output
    assert time.monotonic() - started < 10
    with pytest.raises(QueryTimeout):
        execute(load_dataset(built_dataset(open_project(mini_copy))), find_query(open_project(mini_copy), "slow"), {}, timeout=0.5)


def test_xml_entities_are_refused(tmp_path):
    bomb = tmp_path / "bomb.rdf"
    bomb.write_text('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
                    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="http://x/"><rdf:value>&b;</rdf:value></rdf:Description></rdf:RDF>\n')
    with pytest.raises(ProjectError) as raised:
        read_user_rdf(bomb)
    assert raised.value.problems[0].line == 2 and "DOCTYPE" in str(raised.value)
    external = tmp_path / "xxe.rdf"
    external.write_text('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>\n')
    with pytest.raises(ProjectError):
        read_user_rdf(external)


def test_remote_jsonld_context_is_not_fetched(tmp_path):
    document = tmp_path / "data.jsonld"
    document.write_text('{"@context": "http://192.0.2.1/context.jsonld", "@id": "http://x/a", "name": "A"}')
    with pytest.raises(ProjectError) as raised:
        read_user_rdf(document)
    assert "network access refused" in str(raised.value) or "not valid" in str(raised.value)


def test_user_rdf_syntax_error_names_the_line(tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b .\n")
    with pytest.raises(ProjectError) as raised:
        read_user_rdf(broken)
    assert str(raised.value).startswith(str(broken))


def _good_build(tmp_path: Path) -> tuple[Path, bytes]:
    root = copy_project(tmp_path / "project", FIXTURES / "mini" / "seeds")
    build(open_project(root))
    return root, built_dataset(open_project(root))


@pytest.mark.parametrize("delay", [0.2, 0.8, 1.5, 2.5])
def test_build_killed_mid_way_leaves_a_usable_build(tmp_path, delay):
    root, good = _good_build(tmp_path)
    process = subprocess.Popen([sys.executable, "-m", "kg.cli", "--project", str(root), "build", "--force"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    project = open_project(root)
    data = built_dataset(project)
    manifest = read_manifest(project)
    assert manifest is not None
    # the old build, or a complete new dataset awaiting its manifest
    assert data == good or read_layout(project.build).dataset_sha256 != manifest.dataset_sha256
    result = CliRunner().invoke(cli, ["--project", str(root), "query", "statements-by", "--param", "speaker=lee-park", "--format", "csv"], obj={})
    assert result.exit_code == 0 and "park-praise" in result.output
    assert is_current(project) and not list((root / "build").glob(".*.tmp"))


def test_concurrent_builds_do_not_corrupt_the_build(tmp_path):
    root = copy_project(tmp_path / "project", FIXTURES / "mini" / "seeds")
    processes = [subprocess.Popen([sys.executable, "-m", "kg.cli", "--project", str(root), "build", "--force"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    assert is_current(open_project(root))
