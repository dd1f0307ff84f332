"""Read the text of a SPARQL query the way a SPARQL parser does, without parsing it fully.

Three things need this before a query runs on pyoxigraph, whose Rust code makes its own HTTP
calls for SERVICE (where Python's audit hook cannot see them):

* which network clauses (SERVICE, FROM) the query holds, so kg can refuse them beforehand;
* where the query's WHERE block opens, to bind parameters there with a VALUES block;
* where a parameter's variable stands, and whether writing its value there instead gives the same
  answers (kg/parameter_inlining.py reads the query with the tokens made here).

A keyword inside a comment, string, IRI, variable or language tag is not a keyword; a `#`
inside an IRI, a string or an escaped local name (`ex:a\\#b`) does not start a comment. As
in the SPARQL grammar (and in Oxigraph), `\\uXXXX` and `\\UXXXXXXXX` escapes are replaced
before anything else, so `\\u0053ERVICE` is SERVICE. Where the lexer is unsure it errs
towards seeing too much: any bare word or prefix that *contains* SERVICE or FROM counts
(a parser may split `trueSERVICE` into `true SERVICE`).
"""
from __future__ import annotations

import re
from typing import NamedTuple

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"


def _name_class(ascii_allowed: str) -> str:
    """A class of these ASCII characters and of every non-ASCII one (a non-ASCII character that is
    no name character is a syntax error anyway). Negated ranges, so that it compiles in no time."""
    excluded = [code for code in range(128) if chr(code) not in ascii_allowed]
    ranges, start = [], excluded[0]
    for previous, code in zip(excluded, excluded[1:] + [None]):
        if code != previous + 1:
            ranges.append(f"\\x{start:02x}" + (f"-\\x{previous:02x}" if previous > start else ""))
            start = code
    return "[^" + "".join(ranges) + "]"


_BASE = _name_class(_LETTERS)
_U = _name_class(_LETTERS + "_")
_CHARS = _name_class(_LETTERS + "_-" + _DIGITS)
_CHARS_DOT = _name_class(_LETTERS + "_-." + _DIGITS)
_VAR = _name_class(_LETTERS + "_" + _DIGITS)
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PREFIX = f"{_BASE}(?:{_CHARS_DOT}*{_CHARS})?"
_LOCAL = (f"(?:{_name_class(_LETTERS + '_:' + _DIGITS)}|{_PLX})"
          f"(?:(?:{_name_class(_LETTERS + '_-.:' + _DIGITS)}|{_PLX})*(?:{_name_class(_LETTERS + '_-:' + _DIGITS)}|{_PLX}))?")

_TOKEN = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<comment>#[^\r\n]*)"
    r"|(?P<iri><[^<>\"{}|^`\\\x00-\x20]*>)"
    r'|(?P<string>"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""'
    r"|'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*')"
    f"|(?P<variable>[?$]{_VAR}+)"
    r"|(?P<language>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)"
    f"|(?P<bnode>_:{_VAR}(?:{_CHARS_DOT}*{_CHARS})?)"
    f"|(?P<pname>(?P<prefix>{_PREFIX})?:(?:{_LOCAL})?)"
    r"|(?P<word>[^\W\d]\w*)"
    r"|(?P<other>.)",
    re.S,
)
_CODEPOINT = re.compile(r"\\(?:u(.{0,4})|U(.{0,8})|(.?))", re.S)
_HEX = re.compile(r"\+?[0-9A-Fa-f]+")
NETWORK_KEYWORDS = ("SERVICE", "FROM")


class Clause(NamedTuple):
    """A network keyword and where it starts (1-based line and column of the unescaped text)."""

    keyword: str
    line: int
    column: int


def unescape(text: str) -> tuple[str, list[int] | None]:
    """The text with `\\u`/`\\U` codepoint escapes replaced, and for each of its characters the
    offset in `text` just after the characters it came from (None when nothing was replaced)."""
    if "\\u" not in text and "\\U" not in text:
        return text, None
    out: list[str] = []
    ends: list[int] = []
    position = 0
    for match in _CODEPOINT.finditer(text):
        out.append(text[position:match.start()])
        ends.extend(range(position + 1, match.start() + 1))
        digits = match.group(1) if match.group(1) is not None else match.group(2)
        character = None
        if digits is not None and len(digits) == (4 if match.group(1) is not None else 8) and _HEX.fullmatch(digits):
            code = int(digits, 16)
            if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                character = chr(code)
        if character is not None:
            out.append(character)
            ends.append(match.end())
        else:  # kept as it is: a backslash and what it was paired with
            out.append(match.group(0))
            ends.extend(range(match.start() + 1, match.end() + 1))
        position = match.end()
    out.append(text[position:])
    ends.extend(range(position + 1, len(text) + 1))
    return "".join(out), ends


def tokens(text: str):
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        yield match
        position = match.end()


def network_clauses(text: str) -> list[Clause]:
    """Every SERVICE and FROM keyword of the query (also ones spelt with codepoint escapes)."""
    plain, _ = unescape(text)
    found = []
    for match in tokens(plain):
        kind = match.lastgroup
        if kind == "word":
            word = match.group("word")
        elif kind == "pname" and match.group("prefix"):
            word = match.group("prefix")
        else:
            continue
        for keyword in NETWORK_KEYWORDS:
            if keyword.lower() in word.lower():
                line = plain.count("\n", 0, match.start()) + 1
                column = match.start() - (plain.rfind("\n", 0, match.start()) + 1) + 1
                found.append(Clause(keyword, line, column))
    return found


def where_block_start(text: str) -> int | None:
    """Offset in `text` just after the first `{` that is not in a comment, string or IRI."""
    plain, ends = unescape(text)
    for match in tokens(plain):
        if match.lastgroup == "other" and match.group() == "{":
            return match.end() if ends is None else ends[match.start()]
    return None

