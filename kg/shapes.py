"""SHACL shapes (ontology/shapes/*.ttl) checked with pySHACL on the built graph, plus the anchor checks
SHACL cannot do because they need the article's text file.

Every violation becomes a Problem at the annotation file and line that produced the node it is
about (the build's Origins), in the same `file:line: what is wrong (what to do)` form as the
annotation checks. The shapes' sh:message reads "WHAT IS WRONG: WHAT TO DO"; it is split at the
first ": " into the problem's message and hint.
"""
from __future__ import annotations

from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from . import vocabulary as V
from .errors import Problem

KG, OA = V.KG, V.OA
SH = "http://www.w3.org/ns/shacl#"


def sh(name: str) -> URIRef:
    return URIRef(SH + name)


_DEFAULT_HINT = "fix the annotation that produced this node, then rebuild"
_REANCHOR = "re-anchor: the article text changed or the offsets are wrong"


def check_shapes(data: Graph, origins: dict[URIRef, tuple[str, int]], project_root: Path, shapes_dir: Path) -> list[Problem]:
    """Every SHACL violation of `data` (asserted + inferred graph) and every anchor that does not fit
    its article's text, as Problems sorted by file, line, message."""
    project_root = Path(project_root)
    shapes, shape_files, problems = _load_shapes(Path(shapes_dir), project_root)
    if len(shapes) and not problems:
        problems.update(_shacl_problems(data, shapes, shape_files, origins, project_root, Path(shapes_dir)))
    problems.update(_anchor_problems(data, origins, project_root))
    return sorted(problems, key=_order)


def _order(problem: Problem) -> tuple:
    return (problem.file, problem.line or 0, problem.column or 0, problem.message, problem.hint)


# --------------------------------------------------------------------------- SHACL


def _load_shapes(shapes_dir: Path, project_root: Path) -> tuple[Graph, dict[Node, str], set[Problem]]:
    """All shapes files in one graph, which file (relative to the project) each shape comes from, and
    a problem for each file that does not parse."""
    shapes = Graph()
    shape_files: dict[Node, str] = {}
    problems: set[Problem] = set()
    for path in sorted(shapes_dir.glob("*.ttl")):
        name = _relative(path, project_root)
        graph = Graph()
        try:
            graph.parse(path, format="turtle")
        except Exception as error:  # rdflib raises many parser types; all mean the same to a user
            line = getattr(error, "lines", None)
            problems.add(Problem(name, line if isinstance(line, int) else None, None,
                                 f"cannot parse the SHACL shapes: {error}", "fix the Turtle syntax", "shape"))
            continue
        for triple in graph:
            shapes.add(triple)
            # Blank nodes keep their identity when copied, so property shapes map to their file too.
            shape_files.setdefault(triple[0], name)
        for prefix, namespace in graph.namespaces():
            shapes.bind(prefix, namespace, override=False)
    return shapes, shape_files, problems


def _shacl_problems(data: Graph, shapes: Graph, shape_files: dict[Node, str], origins: dict[URIRef, tuple[str, int]],
                    project_root: Path, shapes_dir: Path) -> list[Problem]:
    import pyshacl  # imported here: querying a built graph must not pay for it

    _conforms, report, _text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        inference="none",
        allow_warnings=True,
        advanced=True,
    )
    fallback_file = _relative(shapes_dir, project_root)
    problems = []
    for result in report.subjects(RDF.type, sh("ValidationResult")):
        focus = report.value(result, sh("focusNode"))
        source_shape = report.value(result, sh("sourceShape"))
        value = report.value(result, sh("value"))
        messages = sorted(str(m) for m in report.objects(result, sh("resultMessage")))
        text = messages[0] if messages else "does not conform to its shape"
        what, hint = _split_message(text)
        message = f"{_short(focus)}: {what}"
        severity = report.value(result, sh("resultSeverity"))
        if severity is not None and severity != sh("Violation"):
            message = f"{severity[len(SH):].lower()}: {message}"
        if value is not None and value != focus and not isinstance(value, BNode):
            message += f", found {_short(value)}"
        origin = _origin_of(focus, origins, data)
        if origin:
            file, line = origin
        else:
            file, line = shape_files.get(source_shape, fallback_file), None
        problems.append(Problem(file, line, None, message, hint, "shape"))
    return problems


def _split_message(text: str) -> tuple[str, str]:
    what, separator, hint = text.partition(": ")
    if not separator or not hint.strip():
        return text, _DEFAULT_HINT
    return what, hint


def _short(node: Node | None) -> str:
    if node is None:
        return "?"
    if isinstance(node, Literal):
        text = str(node)
        if node.datatype not in (None, XSD.string):
            return text  # a number or date reads best as it is
        return repr(text) if len(text) <= 60 else repr(text[:57] + "...")
    if isinstance(node, URIRef):
        for prefix, namespace in (("kgr", V.KGR), ("kg", V.KG), ("oa", V.OA)):
            if str(node).startswith(str(namespace)):
                return f"{prefix}:{str(node)[len(str(namespace)):]}"
        return f"<{node}>"
    return str(node.n3())


def _origin_of(node: Node | None, origins: dict[URIRef, tuple[str, int]], data: Graph) -> tuple[str, int] | None:
    """The annotation line that produced `node`, or of the nearest node that has one: the node itself,
    then its IRI's parents (…/anchor/1-5/quote-selector -> …/anchor/1-5), then a node linking to it."""
    if node is None:
        return None
    if node in origins:
        return origins[node]
    if isinstance(node, URIRef):
        iri = str(node)
        while "/" in iri.rstrip("/"):
            iri = iri.rstrip("/").rsplit("/", 1)[0]
            if not iri.startswith(str(V.KGR)):
                break
            if URIRef(iri) in origins:
                return origins[URIRef(iri)]
    linked = sorted(origins[s] for s in set(data.subjects(None, node)) if s in origins)
    return linked[0] if linked else None


# --------------------------------------------------------------------------- anchors vs the text


def _anchor_problems(data: Graph, origins: dict[URIRef, tuple[str, int]], project_root: Path) -> list[Problem]:
    """Offsets inside the article, characters equal to oa:exact: SHACL cannot read the text file."""
    problems: list[Problem] = []
    texts: dict[str, str | None] = {}
    missing_reported: set[str] = set()
    for anchor in sorted(set(data.subjects(RDF.type, KG.Anchor)), key=str):
        origin = _origin_of(anchor, origins, data)
        file, line = origin if origin else ("", None)
        name = _short(anchor)
        documents = list(data.objects(anchor, KG.inDocument))
        files = [f for d in documents for f in data.objects(d, KG.textFile)]
        starts, ends, exacts = [], [], []
        for selector in data.objects(anchor, OA.hasSelector):
            starts += list(data.objects(selector, OA.start))
            ends += list(data.objects(selector, OA.end))
            exacts += list(data.objects(selector, OA.exact))
        if len(files) != 1 or len(starts) != 1 or len(ends) != 1 or len(exacts) != 1:
            continue  # missing or repeated: the shapes report it
        relative = str(files[0])
        if relative not in texts:
            texts[relative] = _read_text(project_root / relative)
        text = texts[relative]
        if text is None:
            if relative not in missing_reported:
                missing_reported.add(relative)
                document_origin = _origin_of(documents[0], origins, data) or (file, line)
                problems.append(Problem(document_origin[0], document_origin[1], None,
                                        f"{_short(documents[0])}: the article text {relative} does not exist or is not UTF-8",
                                        f"put the verbatim article at {relative}, or fix 'text:' in the 'document:' block", "shape"))
            continue
        start, end = _integer(starts[0]), _integer(ends[0])
        if start is None or end is None:
            continue  # not an integer: the shapes report it
        if not 0 <= start < end <= len(text):
            problems.append(Problem(file, line, None,
                                    f"{name}: offsets {start}-{end} do not lie inside {relative} ({len(text)} characters)", _REANCHOR, "shape"))
            continue
        found, exact = text[start:end], str(exacts[0])
        if found != exact:
            problems.append(Problem(file, line, None,
                                    f"{name}: the text at {start}-{end} of {relative} is {_short(Literal(found))}, not the anchor's exact text {_short(Literal(exact))}",
                                    _REANCHOR, "shape"))
    return problems


def _read_text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")  # bytes, so no newline translation: offsets are into the file
    except (OSError, UnicodeDecodeError):
        return None


def _integer(value: Node) -> int | None:
    if isinstance(value, Literal) and value.datatype in (XSD.nonNegativeInteger, XSD.integer, XSD.positiveInteger, XSD.int, XSD.long):
        number = value.toPython()
        if isinstance(number, int) and not isinstance(number, bool):
            return number
    return None


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)
