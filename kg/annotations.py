"""Read the registry and the article annotation files, check them, and anchor their quotes.

Everything wrong is collected (not only the first problem) and reported together, each
with file:line:column, what is wrong and what to do.
"""
from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import vocabulary as V
from .anchoring import AnchorAmbiguous, AnchorNotFound, NormalisedText, Span, anchor
from .errors import AnnotationError, ProblemCollector
from .yamlfile import Mapping, Sequence, load_yaml

REGISTRY_FILE = "registry.yaml"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass
class Entity:
    id: str
    type: str
    name: str
    aliases: list[str]
    description: str | None
    relations: dict[str, list[str]]
    scalars: dict[str, str]
    line: int


@dataclass
class Statistic:
    id: str
    measure: str
    unit: str
    value: float | None
    lower_bound: float | None
    upper_bound: float | None
    approximate: bool
    bound_inclusive: bool
    population: str | None
    place: str | None
    period_start: str | None
    period_end: str | None
    concerns: list[str]
    source: str | None
    line: int


@dataclass
class Registry:
    path: str
    entities: dict[str, Entity] = field(default_factory=dict)
    statistics: dict[str, Statistic] = field(default_factory=dict)

    def kind_of(self, identifier: str) -> str | None:
        if identifier in self.entities:
            return self.entities[identifier].type
        if identifier in self.statistics:
            return "statistic"
        return None


@dataclass
class Anchored:
    """A quote as written in the annotation file, and where it was found in the verbatim text."""

    quote: str
    prefix: str | None
    suffix: str | None
    line: int
    column: int
    span: Span | None = None


@dataclass
class Mention:
    target: str  # a registry entity or statistic id
    anchored: Anchored
    role: str = "mention"  # mention | figure | title | author | publisher | date


@dataclass
class Statement:
    id: str
    speaker: str
    anchored: Anchored
    claim: str | None
    form: str | None
    medium: str | None
    addressee: str | None
    date: str | None
    event_date: str | None
    about: list[str]
    cites: list[str]
    names_source: list[str]
    derived_from: list[str]
    line: int


@dataclass
class Article:
    id: str
    annotation_path: str
    text_path: Path
    text_name: str
    original_name: str
    sha256: str
    kind: str
    text: str
    title: Anchored | None = None
    publisher: Mention | None = None
    author: Mention | None = None
    date: str | None = None
    date_anchor: Anchored | None = None
    derived_from: list[str] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    figures: list[Mention] = field(default_factory=list)


@dataclass
class Corpus:
    registry: Registry
    articles: list[Article]


# --------------------------------------------------------------------------- helpers


class _Checker:
    """Field-level checks that record problems against one file."""

    def __init__(self, problems: ProblemCollector, display: str):
        self.problems = problems
        self.display = display

    def problem(self, line: int | None, column: int | None, message: str, hint: str = "", kind: str = "annotation") -> None:
        self.problems.add(self.display, line, column, message, hint, kind)

    def keys(self, block: Mapping, allowed: set[str], required: set[str], what: str) -> bool:
        ok = True
        for key in block:
            if key not in allowed:
                close = difflib.get_close_matches(key, sorted(allowed), n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(sorted(allowed))}"
                self.problem(block.key_line(key), block.key_positions[key][1], f"unknown key '{key}' in {what}", hint, "schema")
                ok = False
        for key in sorted(required - set(block)):
            self.problem(block.line, block.column, f"{what} is missing the key '{key}'", f"add '{key}: ...'", "schema")
            ok = False
        return ok

    def text(self, block: Mapping, key: str, what: str, required: bool = False) -> str | None:
        if key not in block or block[key] is None or (required and isinstance(block[key], str) and not block[key].strip()):
            if required and key in block:  # a missing key is reported once, by keys()
                self.problem(block.line_of(key), block.column_of(key), f"{what} has an empty '{key}'", f"write '{key}: ...'", "schema")
            return None
        value = block[key]
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.problem(block.line_of(key), block.column_of(key), f"'{key}' of {what} must be text, not {_kind(value)}", "write it as a plain or quoted string", "type")
            return None
        return str(value)

    def identifier(self, block: Mapping, key: str, what: str, required: bool = False) -> str | None:
        value = self.text(block, key, what, required)
        if value is not None and not _ID.match(value):
            self.problem(block.line_of(key), block.column_of(key), f"'{value}' is not a valid id", "use lower-case letters, digits and hyphens", "schema")
            return None
        return value

    def id_list(self, block: Mapping, key: str, what: str) -> list[tuple[str, int, int]]:
        """A key holding one id or a list of ids, each with its position."""
        if key not in block or block[key] is None:
            return []
        value = block[key]
        if isinstance(value, Sequence):
            items = []
            for index, item in enumerate(value):
                line, column = value.item_positions[index]
                if not isinstance(item, str):
                    self.problem(line, column, f"'{key}' of {what} lists {_kind(item)}; expected an id", "write the id of a registry entry", "type")
                    continue
                items.append((item, line, column))
            return items
        if isinstance(value, str):
            return [(value, block.line_of(key), block.column_of(key))]
        self.problem(block.line_of(key), block.column_of(key), f"'{key}' of {what} must be an id or a list of ids, not {_kind(value)}", "write [id-one, id-two]", "type")
        return []

    def date(self, block: Mapping, key: str, what: str, required: bool = False) -> str | None:
        if key not in block or block[key] is None:
            if required and key in block:
                self.problem(block.line_of(key), block.column_of(key), f"{what} has no '{key}'", "write a date: YYYY-MM-DD, YYYY-MM or YYYY", "date")
            return None
        value = block[key]
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and _DATE.match(value) and _valid_date(value):
            return value
        self.problem(block.line_of(key), block.column_of(key), f"'{key}' of {what} is not a date: {value!r}", "write YYYY-MM-DD, YYYY-MM or YYYY", "date")
        return None

    def number(self, block: Mapping, key: str, what: str) -> float | None:
        if key not in block or block[key] is None:
            return None
        value = block[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problem(block.line_of(key), block.column_of(key), f"'{key}' of {what} must be a number, not {value!r}", "write 0.25 for one in four, 0.54 for 54 percent, 1000 for 1,000", "number")
            return None
        if value != value or value in (float("inf"), float("-inf")):
            self.problem(block.line_of(key), block.column_of(key), f"'{key}' of {what} must be a finite number", "write a plain number", "number")
            return None
        return value

    def boolean(self, block: Mapping, key: str, what: str, default: bool) -> bool:
        if key not in block or block[key] is None:
            return default
        if not isinstance(block[key], bool):
            self.problem(block.line_of(key), block.column_of(key), f"'{key}' of {what} must be true or false", "write true or false", "type")
            return default
        return block[key]

    def choice(self, block: Mapping, key: str, what: str, choices: dict | set, required: bool = False) -> str | None:
        value = self.text(block, key, what, required)
        if value is not None and value not in choices:
            close = difflib.get_close_matches(value, sorted(choices), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"one of: {', '.join(sorted(choices))}"
            self.problem(block.line_of(key), block.column_of(key), f"'{key}' of {what} cannot be '{value}'", hint, "schema")
            return None
        return value

    def mapping(self, value: Any, line: int, column: int, what: str) -> Mapping | None:
        if isinstance(value, Mapping):
            return value
        self.problem(line, column, f"{what} must be a block of 'key: value' lines, not {_kind(value)}", "see docs/annotation-format.md", "type")
        return None

    def sequence(self, block: Mapping, key: str, what: str) -> Sequence:
        if key not in block or block[key] is None:
            return Sequence()
        if isinstance(block[key], Sequence):
            return block[key]
        self.problem(block.line_of(key), block.column_of(key), f"'{key}' of {what} must be a list ('- ' items)", "start each item with '- '", "type")
        return Sequence()


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a block"
    return type(value).__name__


def _valid_date(value: str) -> bool:
    parts = [int(p) for p in value.split("-")]
    try:
        dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- registry

_ENTITY_COMMON = {"id", "type", "name", "aliases", "description"}
_STATISTIC_KEYS = {
    "id", "measure", "unit", "value", "lower_bound", "upper_bound", "approximate", "bound_inclusive",
    "population", "place", "period", "concerns", "source", "description",
}


def read_registry(path: Path, display: str, problems: ProblemCollector) -> Registry:
    registry = Registry(path=display)
    check = _Checker(problems, display)
    if not path.exists():
        check.problem(None, None, "the shared registry is missing", f"create {display} with 'entities:' and 'statistics:'", "project")
        return registry
    try:
        data = load_yaml(path, display)
    except AnnotationError as error:
        problems.problems.extend(error.problems)
        return registry
    top = check.mapping(data, 1, 1, "the registry")
    if top is None:
        return registry
    check.keys(top, {"entities", "statistics"}, {"entities"}, "the registry")
    seen: dict[str, int] = {}
    raw_entities = check.sequence(top, "entities", "the registry")
    for index, item in enumerate(raw_entities):
        block = check.mapping(item, *raw_entities.item_positions[index], "an entity")
        if block is not None:
            entity = _read_entity(block, check)
            if entity:
                _remember(entity.id, entity.line, seen, check)
                registry.entities[entity.id] = entity
    raw_statistics = check.sequence(top, "statistics", "the registry")
    for index, item in enumerate(raw_statistics):
        block = check.mapping(item, *raw_statistics.item_positions[index], "a statistic")
        if block is not None:
            statistic = _read_statistic(block, check)
            if statistic:
                _remember(statistic.id, statistic.line, seen, check)
                registry.statistics[statistic.id] = statistic
    _check_registry_references(registry, raw_entities, raw_statistics, check)
    return registry


def _remember(identifier: str, line: int, seen: dict[str, int], check: _Checker) -> None:
    if identifier in seen:
        check.problem(line, None, f"duplicate id '{identifier}' (first defined on line {seen[identifier]})", "give each entry its own id", "duplicate")
    else:
        seen[identifier] = line


def _read_entity(block: Mapping, check: _Checker) -> Entity | None:
    kind = check.choice(block, "type", "an entity", V.ENTITY_TYPES, required=True)
    allowed = set(_ENTITY_COMMON)
    if kind:
        allowed |= V.TYPE_RELATIONS.get(kind, set()) | set(V.TYPE_SCALARS.get(kind, {}))
    else:
        allowed |= set(V.RELATIONS) | {k for scalars in V.TYPE_SCALARS.values() for k in scalars}
    check.keys(block, allowed, {"id", "type", "name"}, f"entity '{block.get('id', '?')}'")
    identifier = check.identifier(block, "id", "an entity", required=True)
    name = check.text(block, "name", f"entity '{identifier}'", required=True)
    if not identifier or not kind or not name:
        return None
    what = f"entity '{identifier}'"
    aliases = []
    for alias in check.sequence(block, "aliases", what):
        if isinstance(alias, (str, int)) and not isinstance(alias, bool):
            aliases.append(str(alias))
        else:
            check.problem(block.line_of("aliases"), None, f"an alias of {what} is {_kind(alias)}", "write each alias as text", "type")
    relations = {}
    for key in V.TYPE_RELATIONS.get(kind, ()):
        items = check.id_list(block, key, what)
        if items:
            relations[key] = items
    scalars = {}
    for key, choices in V.TYPE_SCALARS.get(kind, {}).items():
        value = check.date(block, key, what) if choices is None else check.choice(block, key, what, choices)
        if value:
            scalars[key] = value
    entity = Entity(identifier, kind, name, aliases, check.text(block, "description", what), relations, scalars, block.line)
    return entity


def _read_statistic(block: Mapping, check: _Checker) -> Statistic | None:
    check.keys(block, _STATISTIC_KEYS, {"id", "measure", "unit"}, f"statistic '{block.get('id', '?')}'")
    identifier = check.identifier(block, "id", "a statistic", required=True)
    if not identifier:
        return None
    what = f"statistic '{identifier}'"
    measure = check.text(block, "measure", what, required=True)
    unit = check.choice(block, "unit", what, V.UNITS, required=True)
    value = check.number(block, "value", what)
    lower = check.number(block, "lower_bound", what)
    upper = check.number(block, "upper_bound", what)
    if value is None and lower is None and upper is None and not any(k in block for k in ("value", "lower_bound", "upper_bound")):
        check.problem(block.line, block.column, f"{what} has neither a value nor a bound", "add 'value: ...' or 'lower_bound: ...'", "schema")
    if value is not None and (lower is not None or upper is not None):
        check.problem(block.line_of("value"), block.column_of("value"), f"{what} has both a value and a bound", "keep 'value' for a figure, bounds for 'more than'/'less than'", "schema")
    if lower is not None and upper is not None and lower > upper:
        check.problem(block.line_of("lower_bound"), block.column_of("lower_bound"), f"{what} has lower_bound above upper_bound", "swap them", "number")
    start = end = None
    if "period" in block and block["period"] is not None:
        period = check.mapping(block["period"], block.line_of("period"), block.column_of("period"), f"the period of {what}")
        if period is not None:
            check.keys(period, {"start", "end"}, set(), f"the period of {what}")
            start, end = check.date(period, "start", what), check.date(period, "end", what)
    place = check.id_list(block, "place", what)
    source = check.id_list(block, "source", what)
    return Statistic(
        id=identifier,
        measure=measure or "",
        unit=unit or "count",
        value=value,
        lower_bound=lower,
        upper_bound=upper,
        approximate=check.boolean(block, "approximate", what, False),
        bound_inclusive=check.boolean(block, "bound_inclusive", what, False),
        population=check.text(block, "population", what),
        place=place[0][0] if place else None,
        period_start=start,
        period_end=end,
        concerns=[i for i, _, _ in check.id_list(block, "concerns", what)],
        source=source[0][0] if source else None,
        line=block.line,
    )


def _check_registry_references(registry: Registry, raw_entities: Sequence, raw_statistics: Sequence, check: _Checker) -> None:
    for entity in registry.entities.values():
        for key, items in entity.relations.items():
            allowed = V.RELATIONS[key][1]
            for target, line, column in items:
                _check_reference(registry, target, allowed, f"'{key}' of entity '{entity.id}'", line, column, check)
    for raw in raw_statistics:
        identifier = raw.get("id") if isinstance(raw, Mapping) else None
        if not isinstance(identifier, str) or identifier not in registry.statistics:
            continue  # no valid id: reported where the statistic is read
        what = f"statistic '{raw['id']}'"
        for key, allowed in (("place", V.PLACE), ("concerns", V.ANY), ("source", V.SOURCE_TYPES | V.AGENT)):
            for target, line, column in check.id_list(raw, key, what):
                _check_reference(registry, target, allowed, f"'{key}' of {what}", line, column, check)


def _check_reference(registry: Registry, target: str, allowed: set[str] | None, what: str, line: int, column: int, check: _Checker, statistics_ok: bool = False) -> bool:
    kind = registry.kind_of(target)
    if kind is None:
        candidates = list(registry.entities) + (list(registry.statistics) if statistics_ok else [])
        close = difflib.get_close_matches(target, candidates, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else f"add '{target}' to {registry.path}"
        check.problem(line, column, f"{what} refers to unknown id '{target}'", hint, "reference")
        return False
    if kind == "statistic" and not statistics_ok:
        check.problem(line, column, f"{what} refers to '{target}', which is a statistic", "name a registry entity here; statistics go under 'cites'", "kind")
        return False
    if allowed is not None and kind not in allowed and kind != "statistic":
        check.problem(line, column, f"{what} refers to '{target}', which is a {kind}", f"expected one of: {', '.join(sorted(allowed))}", "kind")
        return False
    return True


# --------------------------------------------------------------------------- articles

_DOCUMENT_KEYS = {"id", "text", "original_name", "sha256", "kind", "title", "publisher", "author", "date", "derived_from"}
_ANCHOR_KEYS = {"quote", "prefix", "suffix"}
_STATEMENT_KEYS = {
    "id", "speaker", "quote", "prefix", "suffix", "claim", "form", "medium", "addressee", "date", "event_date",
    "about", "cites", "names_source", "derived_from",
}


def read_article(path: Path, display: str, registry: Registry, problems: ProblemCollector) -> Article | None:
    check = _Checker(problems, display)
    try:
        data = load_yaml(path, display)
    except AnnotationError as error:
        problems.problems.extend(error.problems)
        return None
    top = check.mapping(data, 1, 1, "an annotation file")
    if top is None:
        return None
    check.keys(top, {"document", "mentions", "statements", "figures"}, {"document"}, "the annotation file")
    head = check.mapping(top.get("document"), top.line_of("document"), top.column_of("document"), "'document'") if "document" in top else None
    if head is None:
        return None
    check.keys(head, _DOCUMENT_KEYS, {"id", "text", "sha256", "kind"}, "'document'")
    identifier = check.identifier(head, "id", "'document'", required=True)
    text_name = check.text(head, "text", "'document'", required=True)
    kind = check.choice(head, "kind", "'document'", V.ARTICLE_KINDS, required=True)
    if not identifier or not text_name:
        return None
    text_path = path.parent / text_name
    display_text = str(Path(display).parent / text_name)
    try:
        raw = text_path.read_bytes()
    except OSError:
        check.problem(head.line_of("text"), head.column_of("text"), f"the article text '{text_name}' does not exist", f"put the verbatim article at {display_text}", "project")
        return None
    digest = hashlib.sha256(raw).hexdigest()
    recorded = check.text(head, "sha256", "'document'", required=True)
    if recorded is not None and recorded.lower() != digest:
        check.problem(head.line_of("sha256"), head.column_of("sha256"), f"the bytes of {text_name} changed since it was annotated (sha256 is {digest})",
                      "restore the original article; if the change is intended, re-check every quote and update sha256", "checksum")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        check.problem(None, None, f"{text_name} is not valid UTF-8 (byte {error.start})", "save the article as UTF-8", "project")
        return None
    article = Article(
        id=identifier,
        annotation_path=display,
        text_path=text_path,
        text_name=text_name,
        original_name=check.text(head, "original_name", "'document'") or text_name,
        sha256=digest,
        kind=kind or "news-article",
        text=text,
    )
    normalised = NormalisedText(text)
    if "title" in head:
        block = check.mapping(head["title"], head.line_of("title"), head.column_of("title"), "'title'")
        if block is not None:
            check.keys(block, _ANCHOR_KEYS, {"quote"}, "'title'")
            article.title = _anchored(block, normalised, check, "the title")
    for role in ("publisher", "author"):
        if role in head:
            block = check.mapping(head[role], head.line_of(role), head.column_of(role), f"'{role}'")
            if block is not None:
                check.keys(block, _ANCHOR_KEYS | {"entity"}, {"entity"}, f"'{role}'")
                target = check.identifier(block, "entity", f"'{role}'", required=True)
                if target and _check_reference(registry, target, V.AGENT, f"'{role}'", block.line_of("entity"), block.column_of("entity"), check):
                    anchored = _anchored(block, normalised, check, f"the {role}") if "quote" in block else None
                    setattr(article, role, Mention(target, anchored, role))
    if "date" in head:
        block = check.mapping(head["date"], head.line_of("date"), head.column_of("date"), "'date'")
        if block is not None:
            check.keys(block, _ANCHOR_KEYS | {"value"}, {"value"}, "'date'")
            article.date = check.date(block, "value", "'date'", required=True)
            if "quote" in block:
                article.date_anchor = _anchored(block, normalised, check, "the date")
    for target, line, column in check.id_list(head, "derived_from", "'document'"):
        if _check_reference(registry, target, V.SOURCE_TYPES, "'derived_from' of 'document'", line, column, check):
            article.derived_from.append(target)

    raw_mentions = check.sequence(top, "mentions", "the annotation file")
    for index, item in enumerate(raw_mentions):
        block = check.mapping(item, *raw_mentions.item_positions[index], "a mention")
        if block is None:
            continue
        check.keys(block, _ANCHOR_KEYS | {"entity"}, {"entity", "quote"}, "a mention")
        target = check.identifier(block, "entity", "a mention", required=True)
        if target and _check_reference(registry, target, V.ANY, "a mention", block.line_of("entity"), block.column_of("entity"), check):
            anchored = _anchored(block, normalised, check, f"the mention of '{target}'")
            if anchored:
                article.mentions.append(Mention(target, anchored))

    raw_figures = check.sequence(top, "figures", "the annotation file")
    for index, item in enumerate(raw_figures):
        block = check.mapping(item, *raw_figures.item_positions[index], "a figure")
        if block is None:
            continue
        check.keys(block, _ANCHOR_KEYS | {"statistic"}, {"statistic", "quote"}, "a figure")
        target = check.identifier(block, "statistic", "a figure", required=True)
        if target and _check_statistic(registry, target, "a figure", block.line_of("statistic"), block.column_of("statistic"), check):
            anchored = _anchored(block, normalised, check, f"the figure '{target}'")
            if anchored:
                article.figures.append(Mention(target, anchored, "figure"))

    statement_ids: dict[str, int] = {}
    raw_statements = check.sequence(top, "statements", "the annotation file")
    for index, item in enumerate(raw_statements):
        block = check.mapping(item, *raw_statements.item_positions[index], "a statement")
        if block is None:
            continue
        statement = _read_statement(block, registry, normalised, check)
        if statement:
            _remember(statement.id, statement.line, statement_ids, check)
            article.statements.append(statement)
    return article


def _check_statistic(registry: Registry, target: str, what: str, line: int, column: int, check: _Checker) -> bool:
    if target in registry.statistics:
        return True
    if target in registry.entities:
        check.problem(line, column, f"{what} refers to '{target}', which is a {registry.entities[target].type}, not a statistic", "name an entry of 'statistics:' in the registry", "kind")
        return False
    close = difflib.get_close_matches(target, list(registry.statistics), n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'?" if close else f"add '{target}' under 'statistics:' in {registry.path}"
    check.problem(line, column, f"{what} refers to unknown statistic '{target}'", hint, "reference")
    return False


def _read_statement(block: Mapping, registry: Registry, normalised: NormalisedText, check: _Checker) -> Statement | None:
    check.keys(block, _STATEMENT_KEYS, {"id", "speaker", "quote"}, f"statement '{block.get('id', '?')}'")
    identifier = check.identifier(block, "id", "a statement", required=True)
    speaker = check.identifier(block, "speaker", f"statement '{identifier}'", required=True)
    if not identifier:
        return None
    what = f"statement '{identifier}'"
    if speaker and not _check_reference(registry, speaker, V.AGENT, f"the speaker of {what}", block.line_of("speaker"), block.column_of("speaker"), check):
        speaker = None
    anchored = _anchored(block, normalised, check, f"the quote of {what}")
    addressee = check.identifier(block, "addressee", what)
    if addressee and not _check_reference(registry, addressee, V.AGENT, f"the addressee of {what}", block.line_of("addressee"), block.column_of("addressee"), check):
        addressee = None

    def references(key: str, allowed: set[str] | None) -> list[str]:
        return [t for t, line, column in check.id_list(block, key, what)
                if _check_reference(registry, t, allowed, f"'{key}' of {what}", line, column, check)]

    cites = [t for t, line, column in check.id_list(block, "cites", what)
             if _check_statistic(registry, t, f"'cites' of {what}", line, column, check)]
    derived = []
    for target, line, column in check.id_list(block, "derived_from", what):
        if "#" in target:
            document, _, local = target.partition("#")
            if _ID.match(document) and _ID.match(local):
                derived.append(target)  # a statement in another article; resolved once all articles are read
            else:
                check.problem(line, column, f"'derived_from' of {what}: '{target}' is not DOCUMENT-ID#STATEMENT-ID",
                              "write the id of an annotated statement after the article's id and '#' (lower-case letters, digits and hyphens)", "reference")
        elif _check_reference(registry, target, V.SOURCE_TYPES, f"'derived_from' of {what}", line, column, check):
            derived.append(target)
    if not speaker or not anchored:
        return None
    return Statement(
        id=identifier,
        speaker=speaker,
        anchored=anchored,
        claim=check.text(block, "claim", what),
        form=check.choice(block, "form", what, V.STATEMENT_FORMS),
        medium=check.choice(block, "medium", what, V.MEDIA),
        addressee=addressee,
        date=check.date(block, "date", what),
        event_date=check.date(block, "event_date", what),
        about=references("about", V.ANY),
        cites=cites,
        names_source=references("names_source", V.SOURCE_TYPES | V.AGENT),
        derived_from=derived,
        line=block.line,
    )


def _anchored(block: Mapping, normalised: NormalisedText, check: _Checker, what: str) -> Anchored | None:
    quote = check.text(block, "quote", what, required=True)
    prefix = check.text(block, "prefix", what)
    suffix = check.text(block, "suffix", what)
    if quote is None:
        return None
    line, column = block.line_of("quote"), block.column_of("quote")
    anchored = Anchored(quote, prefix, suffix, line, column)
    try:
        anchored.span = anchor(normalised, quote, prefix, suffix)
    except AnchorNotFound as missing:
        hint = f"closest passage: \"{missing.closest}\"" if missing.closest else "copy the words from the article"
        context = " with that prefix/suffix" if prefix or suffix else ""
        check.problem(line, column, f"{what}: quote \"{_short(quote)}\" not found in the article{context}", hint, "anchor")
        return None
    except AnchorAmbiguous as many:
        check.problem(line, column, f"{what}: quote \"{_short(quote)}\" occurs {many.count} times in the article",
                      "add 'prefix:' (words just before) or 'suffix:' (words just after) so only one place matches", "anchor")
        return None
    return anchored


def _short(quote: str, limit: int = 60) -> str:
    return quote if len(quote) <= limit else quote[: limit - 1] + "…"


# --------------------------------------------------------------------------- corpus


def read_corpus(seeds: Path, display_root: Path | None = None, on_file: Callable[[int, int], None] | None = None) -> Corpus:
    """Read and check the registry and every article annotation under `seeds`; raise on any problem.

    `on_file(done, total)` is called after each annotation file, for a progress bar."""
    root = display_root or seeds.parent

    def display(path: Path) -> str:
        try:
            return str(path.relative_to(root))
        except ValueError:
            return str(path)

    problems = ProblemCollector()
    registry = read_registry(seeds / REGISTRY_FILE, display(seeds / REGISTRY_FILE), problems)
    articles: list[Article] = []
    paths = [path for path in sorted(seeds.glob("*.yaml")) if path.name != REGISTRY_FILE]
    for done, path in enumerate(paths, 1):
        article = read_article(path, display(path), registry, problems)
        if article:
            articles.append(article)
        if on_file:
            on_file(done, len(paths))
    check_corpus(articles, registry, problems)
    problems.raise_if_any(AnnotationError)
    return Corpus(registry, articles)


def check_corpus(articles: list[Article], registry: Registry, problems: ProblemCollector) -> None:
    """What no single file can be checked for: ids unique across articles, derived_from between articles."""
    by_id: dict[str, Article] = {}
    for article in articles:
        if article.id in by_id:
            problems.add(article.annotation_path, 1, None, f"document id '{article.id}' is also used by {by_id[article.id].annotation_path}", "give each article its own id", "duplicate")
        elif article.id in registry.entities or article.id in registry.statistics:
            problems.add(article.annotation_path, 1, None, f"document id '{article.id}' is also a registry id", "rename one of them", "duplicate")
        by_id.setdefault(article.id, article)
    for article in articles:
        for statement in article.statements:
            for reference in statement.derived_from:
                if "#" not in reference:
                    continue
                document, _, local = reference.partition("#")
                target = by_id.get(document)
                if target is None or local not in {s.id for s in target.statements}:
                    problems.add(article.annotation_path, statement.line, None,
                                 f"'derived_from' of statement '{statement.id}' refers to unknown statement '{reference}'",
                                 "write DOCUMENT-ID#STATEMENT-ID of an annotated statement", "reference")
