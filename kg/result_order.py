"""ORDER BY done in Python, after pyoxigraph has found the answers.

pyoxigraph sorts by comparing terms through its string table: on the on-disk store each comparison
looks up both strings, so at 10,000 articles sorting 20,000 rows took longer than finding them
(statements-about: 2.9 s with ORDER BY, 1.5 s without). Here the query runs without its final
ORDER BY (and LIMIT, OFFSET), and the rows, whose terms are decoded anyway, are sorted in Python.
That is done when every key is a variable the query projects (`?v`, `ASC(?v)`, `DESC(?v)`) and
nothing but LIMIT and OFFSET follows; otherwise pyoxigraph sorts.

The order is SPARQL's, and pyoxigraph's wherever pyoxigraph's is defined: unbound < blank nodes
(all equal) < IRIs (by code point) < literals. Among literals, strings by code point, numbers by
value, dates and dateTimes by instant (one without a time zone taken as UTC, which agrees with
pyoxigraph wherever it can tell the two apart, more than 14 hours). Where SPARQL leaves the order
open and pyoxigraph's comparison gives up (a string against a number, language-tagged strings,
booleans, a date against a gYear, NaN), pyoxigraph's result depends on its sorting algorithm;
here such literals rank after those kinds, grouped, by text. Rows whose keys are equal, whose order
SPARQL leaves open too, are ordered by their columns' terms, so the output does not depend on the
store's plan (in memory or on disk) either.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from .prefixes import RDF_LANG_STRING, XSD, XSD_STRING
from .sparql_text import tokens, unescape


class OrderKey(NamedTuple):
    variable: str
    descending: bool


class TrailingOrder(NamedTuple):
    """A query's final ORDER BY (with LIMIT and OFFSET) cut off: the text to run, and how to order and slice its rows."""

    unordered_text: str
    keys: tuple[OrderKey, ...]
    offset: int
    limit: int | None


class _Unordered(Exception):
    pass


def trailing_order(text: str) -> TrailingOrder | None:
    """The query's top-level ORDER BY, when it is only variable keys followed by nothing but LIMIT and
    OFFSET; None otherwise (no ORDER BY, expressions, VALUES after it, codepoint escapes)."""
    plain, ends = unescape(text)
    if ends is not None:
        return None
    significant = [match for match in tokens(plain) if match.lastgroup not in ("space", "comment")]
    depth, start = 0, None
    for index, token in enumerate(significant):
        if token.lastgroup == "other" and token.group() in "{}":
            depth += 1 if token.group() == "{" else -1
        elif depth == 0 and _word(token) == "ORDER" and index + 1 < len(significant) and _word(significant[index + 1]) == "BY":
            start = index
    if start is None or depth != 0:
        return None
    try:
        keys, position = _keys(significant, start + 2)
        offset, limit = _slice(significant, position)
    except _Unordered:
        return None
    projected = _projection(significant)
    if projected is not None and any(key.variable not in projected for key in keys):
        return None  # sorting by what the rows do not hold: pyoxigraph's ORDER BY it is
    return TrailingOrder(plain[:significant[start].start()], tuple(keys), offset, limit)


def _word(token) -> str:
    return token.group().upper() if token.lastgroup == "word" else ""


def _projection(significant) -> set[str] | None:
    """The variables the outer SELECT projects; None for SELECT *."""
    names, depth, after_as = set(), 0, False
    for token in significant[next((i for i, t in enumerate(significant) if _word(t) == "SELECT"), len(significant)) + 1:]:
        if _word(token) == "WHERE" or token.group() == "{":
            break
        if token.group() == "*" and depth == 0:
            return None
        if token.group() in "()":
            depth += 1 if token.group() == "(" else -1
        elif token.lastgroup == "variable" and (depth == 0 or after_as):
            names.add(token.group()[1:])
        after_as = _word(token) == "AS"
    return names


def _keys(significant, position: int) -> tuple[list[OrderKey], int]:
    keys = []
    while position < len(significant):
        token = significant[position]
        if token.lastgroup == "variable":
            keys.append(OrderKey(token.group()[1:], False))
            position += 1
        elif _word(token) in ("ASC", "DESC"):
            parts = significant[position + 1:position + 4]
            if [part.group() for part in parts[::2]] != ["(", ")"] or len(parts) < 3 or parts[1].lastgroup != "variable":
                raise _Unordered
            keys.append(OrderKey(parts[1].group()[1:], _word(token) == "DESC"))
            position += 4
        else:
            break
    if not keys:
        raise _Unordered
    return keys, position


def _slice(significant, position: int) -> tuple[int, int | None]:
    offset, limit, seen = 0, None, set()
    while position < len(significant):
        keyword = _word(significant[position])
        if keyword not in ("LIMIT", "OFFSET") or keyword in seen:
            raise _Unordered
        seen.add(keyword)
        number, position = _integer(significant, position + 1)
        if keyword == "LIMIT":
            limit = number
        else:
            offset = number
    return offset, limit


def _integer(significant, position: int) -> tuple[int, int]:
    """The integer at `position` and the position after it: the tokens hold a number one digit at a time."""
    digits = []
    while (position < len(significant) and significant[position].group().isdigit()
           and (not digits or significant[position].start() == significant[position - 1].end())):
        digits.append(significant[position].group())
        position += 1
    if not digits:
        raise _Unordered
    return int("".join(digits)), position


def ordered_rows(order: TrailingOrder, variables: tuple[str, ...], rows: tuple[tuple, ...]) -> tuple[tuple, ...] | None:
    """The rows in the order the ORDER BY asks for, sliced; None if a key is not a column of the rows."""
    if _LITERAL[0] is None:
        _resolve_types()
    columns = []
    for key in order.keys:
        if key.variable not in variables:
            return None
        columns.append((variables.index(key.variable), key.descending))
    positions = list(range(len(rows)))
    if not any(descending for _, descending in columns):
        # one flat tuple a row: the keys' parts line up wherever the terms before them are equal
        keys = [sum((term_key(row[column]) for column, _ in columns), ()) for row in rows]
        positions.sort(key=keys.__getitem__)
    else:  # key by key from the last, each sort stable
        keys = [tuple(term_key(row[column]) for column, _ in columns) for row in rows]
        for place, (_, descending) in reversed(list(enumerate(columns))):
            positions.sort(key=lambda position: keys[position][place], reverse=descending)
    ranked = [rows[position] for position in positions]
    ranked_keys = [keys[position] for position in positions]
    start = None
    for place in [place for place, (key, following) in enumerate(zip(ranked_keys, ranked_keys[1:])) if key == following] + [None]:
        # rows with equal keys (a run) are ordered by their terms
        if start is not None and place != end:
            ranked[start:end + 1] = sorted(ranked[start:end + 1], key=_row_key)
            start = None
        if place is not None:
            start, end = (place if start is None else start), place + 1
    stop = None if order.limit is None else order.offset + order.limit
    return tuple(ranked[order.offset:stop])


def term_key(term) -> tuple:
    """Where a pyoxigraph term ranks in an ORDER BY (see the module's docstring)."""
    if term is None:
        return (0,)
    kind = type(term)
    if kind is _NAMED_NODE[0]:
        return (2, term.value)
    if kind is _BLANK_NODE[0]:
        return (1,)  # pyoxigraph ranks all blank nodes equal: the next key decides
    if kind is not _LITERAL[0]:
        _resolve_types()
        return term_key(term)
    datatype = term.datatype.value
    if datatype == XSD_STRING:
        return (3, _STRING, term.value)
    if datatype == RDF_LANG_STRING:
        return (3, _OTHER, term.value, term.language)
    value = _VALUE_OF.get(datatype, _no_value)(term.value)
    if value is None:
        return (3, _OTHER, term.value, datatype)
    return (3, _VALUE_KIND[datatype], value)


# pyoxigraph's term classes, looked up when the first term comes (pyoxigraph is imported by then)
_NAMED_NODE, _BLANK_NODE, _LITERAL = [None], [None], [None]


def _resolve_types() -> None:
    import pyoxigraph

    if _LITERAL[0] is pyoxigraph.Literal:
        raise TypeError("not a pyoxigraph term")
    _NAMED_NODE[0], _BLANK_NODE[0], _LITERAL[0] = pyoxigraph.NamedNode, pyoxigraph.BlankNode, pyoxigraph.Literal


def _no_value(lexical: str) -> None:
    return None


def _number(lexical: str):
    import decimal  # here, not at the top: the cold `kg query` path sorts mostly IRIs and strings (5 ms)
    try:
        value = decimal.Decimal(lexical)
    except decimal.InvalidOperation:
        return None
    return None if value.is_nan() else value


def _instant(lexical: str):
    """A date or dateTime as a UTC instant; one without a time zone is taken as UTC, which orders it as
    pyoxigraph does wherever pyoxigraph can tell (more than 14 hours apart)."""
    match = _DATE_TIME.fullmatch(lexical)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone, zone_hours, zone_minutes = match.groups()
    import datetime
    try:
        moment = datetime.datetime(int(year), int(month), int(day), tzinfo=datetime.timezone.utc)
        moment += datetime.timedelta(hours=int(hour or 0), minutes=int(minute or 0), seconds=int(second or 0),
                            microseconds=int((fraction or "0")[:6].ljust(6, "0")))
        if zone and zone != "Z":
            moment -= (1 if zone[0] == "+" else -1) * datetime.timedelta(hours=int(zone_hours), minutes=int(zone_minutes))
    except (ValueError, OverflowError):  # years beyond 1..9999, 24:00:00
        return None
    return moment


def _row_key(row: tuple) -> tuple:
    """Every column's term, to order rows whose keys are equal: one order, whatever the plan."""
    return tuple(_whole_term(term) for term in row)


def _whole_term(term) -> tuple:
    if term is None:
        return (0, "")
    if type(term) is _LITERAL[0]:
        return (3, term.value, term.datatype.value, term.language or "")
    return (1 if type(term) is _BLANK_NODE[0] else 2, term.value)


_STRING, _NUMBER, _MOMENT, _OTHER = range(4)
_DATE_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?)?(Z|[+-](\d{2}):(\d{2}))?")
_VALUE_KIND = {XSD + name: _NUMBER for name in ("integer", "decimal", "double", "float")} | {XSD + "date": _MOMENT, XSD + "dateTime": _MOMENT}
_VALUE_OF = {XSD + name: _number for name in ("integer", "decimal", "double", "float")} | {XSD + "date": _instant, XSD + "dateTime": _instant}
