"""The ontology graph's N-Triples lines, kept in build/cache/ontology/.

Every build needs the ontology's triples as lines, with blank nodes labelled canonically so that the
same ontology always writes the same bytes. Parsing the Turtle and canonicalising its blank nodes
(rdflib.compare) costs about 0.4 s, which after a one-file edit in a large corpus is a fifth of the
build. The lines depend only on the ontology files' names and bytes, on kg's code that makes them
and on the libraries' versions, so they are kept under a digest of exactly those.

An entry starts with the SHA-256 of its name (its key) and the rest (kg/store.py with_checksum), so a
damaged entry, or one under another key's name, is never read: the lines are made again and the entry
rewritten.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from .project import Project

CACHE_DIR = Path("cache") / "ontology"
_FORMAT = b"kg-ontology-lines-1"
_CODE = ("build.py", "ontology_cache.py", "ntriples.py")  # the modules that decide the lines


def ontology_lines(project: Project, digests: dict[str, bytes], make: Callable[[], set[str]],
                   readable: bool = True, writable: bool = True) -> set[str]:
    """make(), the ontology's lines, or what an earlier call kept for the same files. `digests`: the
    input files' digests by name (kg/store.py input_digests); `readable` is False for `kg build
    --force`, `writable` for `kg validate`."""
    from .store import file_sha256, keep_entry, read_entry

    key = hashlib.sha256(_code_digest())
    for path in project.ontology_files():
        name = project.relative(path)
        digest = digests.get(name)
        key.update(name.encode() + b"\0" + (digest if digest is not None else file_sha256(path)))
    entry = project.build / CACHE_DIR / f"{key.hexdigest()}.nt"
    payload = read_entry(entry) if readable else None
    if payload is not None:
        try:
            return set(payload.decode("utf-8").split("\n")) if payload else set()
        except UnicodeDecodeError:
            pass
    lines = make()
    if writable:
        keep_entry(entry, "\n".join(sorted(lines)).encode("utf-8"))
    return lines


def _code_digest() -> bytes:
    from .article_stage import code_digest

    return code_digest(_FORMAT, _CODE)
