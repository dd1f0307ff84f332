"""Read RDF that a user hands in (`kg validate --data FILE`) without trusting it.

XML is refused if it declares a DOCTYPE or entities (no external entities, no entity
expansion bombs), and parsing runs offline, so a remote JSON-LD context is never fetched.
"""
from __future__ import annotations

import re
from pathlib import Path

from rdflib import Dataset

from .errors import Problem, ProjectError
from .network import offline

FORMATS = {
    ".ttl": "turtle", ".turtle": "turtle", ".nt": "nt", ".ntriples": "nt", ".nq": "nquads", ".trig": "trig",
    ".jsonld": "json-ld", ".json": "json-ld", ".rdf": "xml", ".xml": "xml", ".owl": "xml", ".n3": "n3",
}
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def read_user_rdf(path: Path, display: str | None = None) -> Dataset:
    display = display or str(path)
    form = FORMATS.get(path.suffix.lower())
    if form is None:
        raise ProjectError(Problem(display, None, None, f"unknown RDF file type '{path.suffix}'", f"use one of: {', '.join(sorted(FORMATS))}", "data"))
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ProjectError(Problem(display, None, None, f"cannot read: {error.strerror}", "check the path", "data")) from None
    match = _DOCTYPE.search(data)
    if match:
        line = data[: match.start()].count(b"\n") + 1
        raise ProjectError(Problem(display, line, None, "XML with a DOCTYPE or ENTITY declaration is refused",
                                   "remove the DOCTYPE: kg never expands XML entities", "data"))
    dataset = Dataset()
    try:
        with offline():
            dataset.parse(data=data, format=form)
    except ProjectError:
        raise
    except Exception as error:  # each rdflib parser has its own error types
        line = getattr(error, "lines", None) or getattr(error, "line", None) or getattr(error, "_lineNumber", None)
        message = " ".join(str(error).split())[:300]
        raise ProjectError(Problem(display, line if isinstance(line, int) else None, None, f"not valid {form}: {message}", "fix the syntax", "data")) from None
    return dataset
