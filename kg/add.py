"""`kg add FILE`: bring a new article into the corpus with a starter annotation file.

The text is copied byte for byte into seeds/ and its checksum recorded. The starter file
already anchors a mention for every registry name or alias found in the text, and lists
sentences with quotation marks or numbers as candidate statements and statistics, as YAML
comments for a person to confirm — so the new file validates from the start.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .anchoring import NormalisedText, normalise
from .annotations import REGISTRY_FILE, Registry, read_registry
from .errors import AnnotationError, Problem, ProblemCollector, ProjectError
from .project import Project
from .store import write_atomically

_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?[\"”’']?")
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|half|third|quarter|hundreds?|thousands?|millions?|percent|majority|most)\b", re.I)
_QUOTED = re.compile(r"[\"“”]")


@dataclass(frozen=True)
class Added:
    text_path: Path
    annotation_path: Path
    mentions: int
    candidate_statements: int
    candidate_figures: int


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "article"


def _yaml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def _surface_forms(registry: Registry) -> list[tuple[str, str]]:
    forms = []
    for entity in registry.entities.values():
        for form in {entity.name, *entity.aliases}:
            if len(normalise(form)) >= 3:
                forms.append((normalise(form), entity.id))
    # longest first, so "Mary Beth Heffernan" wins over "Heffernan" where both match
    return sorted(set(forms), key=lambda item: (-len(item[0]), item[0], item[1]))


def propose_mentions(text: str, registry: Registry) -> list[dict]:
    normalised = NormalisedText(text)
    taken: list[tuple[int, int]] = []
    proposals = []
    for form, entity in _surface_forms(registry):
        for start in normalised.occurrences(form):
            end = start + len(form)
            before = normalised.text[start - 1] if start else " "
            after = normalised.text[end] if end < len(normalised.text) else " "
            if before.isalnum() or after.isalnum():
                continue  # part of a longer word
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            proposals.append({"entity": entity, "start": start, "quote": form, "occurrences": normalised.occurrences(form)})
    proposals.sort(key=lambda p: p["start"])
    for proposal in proposals:
        if len(proposal["occurrences"]) > 1:
            before = normalised.text[max(0, proposal["start"] - 30):proposal["start"]]
            words = before.split()
            prefix = ""
            for size in range(1, len(words) + 1):
                candidate = " ".join(words[-size:])
                matches = [o for o in proposal["occurrences"] if normalised.text[:o].rstrip().endswith(candidate)]
                if len(matches) == 1:
                    prefix = candidate
                    break
            proposal["prefix"] = prefix
    return [p for p in proposals if len(p["occurrences"]) == 1 or p.get("prefix")]


def candidate_sentences(text: str) -> tuple[list[str], list[str]]:
    statements, figures = [], []
    for match in _SENTENCE.finditer(text):
        sentence = " ".join(match.group(0).split())
        if len(sentence) < 12:
            continue
        if _QUOTED.search(match.group(0)) or re.search(r"\b(said|says|wrote|added|argued|argues|announced|claimed|noted|warned|according to|told|stated)\b", sentence):
            statements.append(sentence)
        if _NUMBER.search(sentence):
            figures.append(sentence)
    return statements, figures


def add_article(project: Project, source: Path, title: str, date: str | None = None, publisher: str | None = None,
                kind: str = "news-article", name: str | None = None) -> Added:
    try:
        data = source.read_bytes()
        text = data.decode("utf-8")
    except OSError as error:
        raise ProjectError(Problem(str(source), None, None, f"cannot read: {error.strerror}", "check the path", "usage")) from None
    except UnicodeDecodeError as error:
        raise ProjectError(Problem(str(source), None, None, f"not UTF-8 text (byte {error.start})", "convert the article to UTF-8 first", "usage")) from None
    if date is not None:
        try:
            dt.date.fromisoformat(date)
        except ValueError:
            raise ProjectError(Problem("--date", None, None, f"'{date}' is not a date", "write YYYY-MM-DD", "usage")) from None
    problems = ProblemCollector()
    registry = read_registry(project.seeds / REGISTRY_FILE, project.relative(project.seeds / REGISTRY_FILE), problems)
    problems.raise_if_any(AnnotationError)
    if publisher and publisher not in registry.entities:
        raise ProjectError(Problem("--publisher", None, None, f"'{publisher}' is not a registry id", f"add it to seeds/{REGISTRY_FILE} first", "usage"))
    stem = name or _slug(title)
    document_id = _slug(f"{stem}-{date}" if date and not name else stem)
    text_path = project.seeds / f"{stem}.txt"
    annotation_path = project.seeds / f"{stem}.yaml"
    for existing in (text_path, annotation_path):
        if existing.exists():
            raise ProjectError(Problem(project.relative(existing), None, None, "already exists", "choose another --name", "usage"))
    mentions = propose_mentions(text, registry)
    statements, figures = candidate_sentences(text)
    normalised = NormalisedText(text)
    lines = [
        f"# Annotations for {text_path.name}, started by `kg add` on {source.name}.",
        "# The mentions below were found by matching registry names and aliases: check each one.",
        "# Candidate statements and figures are listed as comments at the end: confirm them by",
        "# moving them into `statements:` / `figures:` (see docs/annotation-format.md).",
        "document:",
        f"  id: {document_id}",
        f"  text: {text_path.name}",
        f"  original_name: {_yaml_string(source.name)}",
        f"  sha256: {hashlib.sha256(data).hexdigest()}",
        f"  kind: {kind}",
    ]
    if normalise(title) and normalised.occurrences(normalise(title)):
        lines.append(f"  title: {{quote: {_yaml_string(normalise(title))}}}")
    if date:
        lines.append(f"  date: {{value: {date}}}")
    if publisher:
        lines.append(f"  publisher: {{entity: {publisher}}}")
    lines.append("mentions:" if mentions else "mentions: []")
    for mention in mentions:
        prefix = f", prefix: {_yaml_string(mention['prefix'])}" if mention.get("prefix") else ""
        lines.append(f"  - {{entity: {mention['entity']}, quote: {_yaml_string(mention['quote'])}{prefix}}}")
    lines.append("statements: []")
    lines.append("figures: []")
    if statements:
        lines.append("# Candidate statements (sentences with quotation marks or reporting verbs):")
        lines += [f"#   - {_yaml_string(s)}" for s in statements]
    if figures:
        lines.append("# Candidate statistics (sentences with numbers):")
        lines += [f"#   - {_yaml_string(s)}" for s in figures]
    project.seeds.mkdir(parents=True, exist_ok=True)
    write_atomically(text_path, data)
    write_atomically(annotation_path, ("\n".join(lines) + "\n").encode("utf-8"))
    return Added(text_path, annotation_path, len(mentions), len(statements), len(figures))
