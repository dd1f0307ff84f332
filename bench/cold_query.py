"""Wall time of a cold `kg query` (a fresh process each time) on an already built project.

    .venv/bin/python bench/cold_query.py                 # the repository's five seed articles
    .venv/bin/python bench/cold_query.py -n 50 --project DIR --query NAME --engine rdflib

Builds the project first if it is not current, runs the query once more to warm up (that first
query after a build creates the oxigraph store and the query header cache), then runs it N times
and prints min and median wall time. Python caches compiled modules (__pycache__) unless
PYTHONDONTWRITEBYTECODE is set; when it is set, both figures are printed: as the environment
has it, and with the cache as a normal installation has it.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def kg_command() -> list[str]:
    script = Path(sys.executable).with_name("kg")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kg.entry"]


def run(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    process = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{process.stderr.decode(errors='replace')}")
    return elapsed


def series(command: list[str], env: dict[str, str], times: int) -> list[float]:
    run(command, env)  # warm-up: the store, the header cache, __pycache__ (if allowed)
    return [run(command, env) for _ in range(times)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", type=Path, default=REPO)
    parser.add_argument("--query", default="who-cited-boston-pilot-figures")
    parser.add_argument("--engine", choices=["oxigraph", "rdflib"], default="oxigraph")
    parser.add_argument("-n", "--times", type=int, default=30)
    options = parser.parse_args()

    kg = kg_command() + ["--project", str(options.project)]
    subprocess.run(kg + ["build"], check=True, stdout=subprocess.DEVNULL)
    command = kg + ["query", options.query, "--engine", options.engine]
    environments = [("as is", dict(os.environ))]
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        environments.append(("with __pycache__", {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}))
    baseline = [sys.executable, "-c", "pass"]
    print(f"kg query {options.query} --engine {options.engine}  ({options.times} cold runs, {os.cpu_count()} CPUs)")
    for label, env in environments:
        times = series(command, env, options.times)
        empty = series(baseline, env, options.times)
        print(f"  {label:<17} min {min(times) * 1000:6.1f} ms   median {statistics.median(times) * 1000:6.1f} ms"
              f"   (python -c pass: min {min(empty) * 1000:.1f} ms, median {statistics.median(empty) * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
