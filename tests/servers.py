"""Real triple stores for the tests, started on 127.0.0.1 and always stopped.

Each server gets a free port and its own temporary directory; if its program is not
installed the test is skipped with the reason (`.ci/run` installs both).
"""
from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

VIRTUOSO_USER = "dba"
VIRTUOSO_PASSWORD = "dba"  # the default of a new Virtuoso database; it only ever listens on 127.0.0.1


@dataclass(frozen=True)
class RunningStore:
    kind: str
    base: str
    query: str
    needs_login: bool
    home: Path | None = None  # Virtuoso: a directory it may bulk-load from
    sql_port: int | None = None  # Virtuoso: for isql-vt


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_answering(url: str, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            time.sleep(0.3)
    raise RuntimeError(f"no answer from {url} within {seconds:g}s: {log.read_text(errors='replace')[-2000:]}")


@contextlib.contextmanager
def _running(command: list[str], probe: str, log: Path):
    with open(log, "wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        _wait_until_answering(probe, process, log)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _oxigraph_program() -> str | None:
    beside_python = Path(sys.executable).parent / "oxigraph"
    return str(beside_python) if beside_python.exists() else shutil.which("oxigraph")


@contextlib.contextmanager
def oxigraph(directory: Path):
    program = _oxigraph_program()
    if not program:
        pytest.skip("Oxigraph server not installed (pip install oxigraph; .ci/run installs it)")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [program, "serve", "--location", str(directory / "oxigraph"), "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    probe = f"{base}/query?" + urllib.parse.urlencode({"query": "ASK {}"})
    with _running(command, probe, directory / "oxigraph.log"):
        yield RunningStore("oxigraph", base, f"{base}/query", needs_login=False)


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
CheckpointInterval = 60
DirsAllowed = ., {d}
CaseMode = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}
MaxClientConnections = 5
ServerThreads = 5

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
"""


@contextlib.contextmanager
def virtuoso(directory: Path):
    program = shutil.which("virtuoso-t")
    if not program:
        pytest.skip("Virtuoso not installed (Debian package virtuoso-opensource-7-bin; .ci/run installs it)")
    home = directory / "virtuoso"
    home.mkdir()
    http_port, sql_port = free_port(), free_port()
    ini = home / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(d=home, sql_port=sql_port, http_port=http_port), encoding="utf-8")
    base = f"http://127.0.0.1:{http_port}"
    probe = f"{base}/sparql?" + urllib.parse.urlencode({"query": "ASK {}"})
    with _running([program, "+configfile", str(ini), "+foreground"], probe, directory / "virtuoso.out"):
        yield RunningStore("virtuoso", base, f"{base}/sparql", needs_login=True, home=home, sql_port=sql_port)
