"""The benchmark's tools: the corpus generator writes valid, deterministic corpora, and bench/run.py
runs end to end and prints every figure the README lists (the figures themselves are not checked:
speed is measured by the benchmark, never by tests)."""
from __future__ import annotations

import json
import subprocess
import sys

from kg.build import build
from kg.project import open_project

from conftest import REPO, load_generator


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "seeds").iterdir())}


def test_generated_corpus_builds_and_is_deterministic(tmp_path):
    generate = load_generator()
    first = generate.generate(12, tmp_path / "a", seed=3)
    second = generate.generate(12, tmp_path / "b", seed=3)
    assert _files(first) == _files(second)
    assert len([p for p in (first / "seeds").glob("article-*.txt")]) == 12
    texts = "".join(p.read_text(encoding="utf-8") for p in (first / "seeds").glob("*.txt"))
    assert "\u00a0" in texts and "\u201c" in texts  # no-break spaces and curly quotes, like the seeds
    result = build(open_project(first))
    assert result.rebuilt and result.inferred_count > 0 and len(result.manifest.graphs) == 12 + 3


def test_generator_refuses_to_overwrite_a_real_project(tmp_path):
    generate = load_generator()
    (tmp_path / "seeds").mkdir()
    try:
        generate.generate(2, tmp_path)
    except FileExistsError as error:
        assert "refusing" in str(error)
    else:
        raise AssertionError("a seeds/ directory not made by the generator was overwritten")


def test_benchmark_runs_end_to_end(tmp_path):
    report_file = tmp_path / "figures.json"
    completed = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--sizes", "4", "--owlrl-up-to", "4",
         "--work", str(tmp_path / "work"), "--json", str(report_file)],
        capture_output=True, text=True, cwd=REPO, timeout=600)
    assert completed.returncode == 0, completed.stderr
    for expected in ("full build", "read, anchor and emit articles", "reason (rules)", "one file edited",
                     "saved queries p50", "who-cited-boston-pilot-figures", "cold kg query", "identical inferred graphs: True"):
        assert expected in completed.stdout
    figures = json.loads(report_file.read_text())["sizes"]["4"]
    assert figures["rebuild"]["rebuilt"] is True and not any(s.startswith("reason") for s in figures["rebuild"]["stages"])
    assert figures["rebuild_claim"]["rebuilt"] is True and any(s.startswith("reason") for s in figures["rebuild_claim"]["stages"])
    assert "one claim reworded" in completed.stdout and figures["rebuild_claim"]["first_query_seconds"] > 0
    assert "one quote moved" in completed.stdout and figures["rebuild_quote"]["rebuilt"] is True
    assert "a person added to the registry" in completed.stdout and figures["rebuild_registry"]["rebuilt"] is True
    assert figures["reasoning"]["identical"] is True
    latencies = figures["queries"]["latencies"]
    assert "who-cited-boston-pilot-figures" in latencies and all(v["p50_ms"] is not None and v["runs"] >= 1 for v in latencies.values())
    assert figures["build"]["asserted"] > 0 and figures["build"]["inferred"] > 0


def test_a_query_that_overruns_its_time_is_stopped_and_reported(tmp_path):
    """At 10,000 articles one saved query can take minutes: the benchmark stops it and says so."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
    bench_run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_run)
    root = load_generator().generate(3, tmp_path / "corpus", seed=1)
    build(open_project(root))
    latencies = bench_run._queries(root, {}, timeout=0.01)["latencies"]  # no process even starts in 10 ms
    assert latencies and all(v["p50_ms"] is None and v["over_seconds"] == 0.01 for v in latencies.values())
