"""kg/entry.py: a plain `kg query` is answered without click, exactly as the click command answers it.

Each command line runs twice in a fresh interpreter, once through the console entry point (kg.entry)
and once straight through click (kg.cli); output, errors and exit code must be the same bytes.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kg import entry
from conftest import copy_project

THROUGH_ENTRY = "import sys; from kg.entry import main; sys.argv[0] = 'kg'; main()"
THROUGH_CLICK = "import sys; from kg.cli import main; sys.argv[0] = 'kg'; main()"


@pytest.fixture(scope="module")
def built(seeds_project, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("entry") / "project"
    shutil.copytree(seeds_project, target, ignore=shutil.ignore_patterns("oxigraph-*", "query-headers.json"))
    return target


def run(program: str, cwd: Path, *args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """`kg ARGS` in a fresh interpreter; the process and the names of the modules it imported."""
    process = subprocess.run([sys.executable, "-X", "importtime", "-c", program, *args], cwd=cwd, capture_output=True,
                             text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    names = {m.group(1).strip() for m in re.finditer(r"^import time:\s*\d+ \|\s*\d+ \|(.*)$", process.stderr, re.M)}
    process.stderr = re.sub(r"^import time:.*\n", "", process.stderr, flags=re.M)
    return process, names


def same_as_click(cwd: Path, *args: str) -> set[str]:
    """Run ARGS both ways, assert the same result; the modules the entry point imported."""
    fast, names = run(THROUGH_ENTRY, cwd, *args)
    slow, _ = run(THROUGH_CLICK, cwd, *args)
    assert (fast.returncode, fast.stdout, fast.stderr) == (slow.returncode, slow.stdout, slow.stderr)
    return names


PLAIN = [
    ("query", "who-cited-boston-pilot-figures"),
    ("query", "statements-by", "--param", "speaker=carol-rose", "--format", "csv"),
    ("query", "--format=json", "mentions-of", "--param=entity=ice"),
    ("query", "who-cited-boston-pilot-figures", "--engine", "oxigraph", "--format", "tsv", "--format", "table"),
    ("query", "statements-by", "--param", "speaker=kgr:nobody-at-all"),
    ("query", "no-such-query"),
    ("query", "statements-by", "--param", "speaker"),
    ("query", "statements-by", "--param", "nobody=1"),
    ("query", "article-evidence", "--param", "document=not a name"),
]


@pytest.mark.parametrize("args", PLAIN, ids=" ".join)
def test_a_plain_query_is_answered_without_click_and_as_click_answers_it(built, args):
    names = same_as_click(built, *args)
    assert "click" not in names and "kg.cli" not in names


@pytest.mark.parametrize("args", [("--project", "."), ("-p", ".")], ids=" ".join)
def test_the_project_option_before_the_command_is_plain(built, args):
    names = same_as_click(built.parent, args[0], built.name, "query", "governors-who-declined")
    assert "click" not in names


OTHERS = [
    ("query", "who-cited-boston-pilot-figures", "--format", "xml"),
    ("query", "who-cited-boston-pilot-figures", "--timeout", "30"),
    ("query", "who-cited-boston-pilot-figures", "--engine", "rdflib"),
    ("query", "--help"),
    ("query",),
    ("query", "statements-by", "carol-rose"),
    ("query", "who-cited-boston-pilot-figures", "--"),
    ("query", "who-cited-boston-pilot-figures", "--param"),
    ("query", "who-cited-boston-pilot-figures", "--project", "."),
    ("--allow-network", "query", "governors-who-declined"),
    ("-p=.", "query", "governors-who-declined"),
    ("--project", "no-such-directory", "query", "governors-who-declined"),
    ("queries",),
    ("--version",),
    (),
]


@pytest.mark.parametrize("args", OTHERS, ids=lambda args: " ".join(args) or "(nothing)")
def test_every_other_command_line_goes_to_click(built, args):
    names = same_as_click(built, *args)
    assert "click" in names


def test_a_build_to_make_first_goes_to_click_which_says_so(tmp_path):
    project = copy_project(tmp_path / "project")
    fast, names = run(THROUGH_ENTRY, project, "query", "governors-who-declined")
    assert fast.returncode == 0, fast.stderr
    assert "building the graph first" in fast.stderr and "Deval Patrick" in fast.stdout
    assert "click" in names
    again, names = run(THROUGH_ENTRY, project, "query", "governors-who-declined")
    assert again.stdout == fast.stdout and again.stderr == "" and "click" not in names


def test_plain_query_reads_exactly_the_plain_form():
    assert entry.plain_query(["-p", "x", "query", "q", "--param", "a=b=c", "--param=d=", "--format=csv"]) is None  # x is no directory
    plain = entry.plain_query(["--project=.", "query", "--param", "a=b=c", "q", "--param=d=", "--format=csv"])
    assert (plain.project, plain.name, plain.params, plain.form) == (".", "q", ("a=b=c", "d="), "csv")
    assert entry.plain_query(["query", "q", "--format"]) is None
    assert entry.plain_query(["query", "q", "--form", "csv"]) is None  # click does not complete option names
    assert entry.plain_query(["query", "-", "q"]) is None


def test_a_closed_pipe_ends_quietly_with_exit_1_as_click_does(monkeypatch):
    class ClosedPipe(io.StringIO):
        def write(self, text):
            raise BrokenPipeError()

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    with pytest.raises(SystemExit) as ended:
        entry._write("answers\n")
    assert ended.value.code == 1
