"""Find a quoted passage in a verbatim article and turn it into character offsets.

Annotators type plain ASCII; the articles contain no-break spaces, runs of spaces,
curly quotes and typographic dashes. Matching is therefore done on a normalised copy
of the text that remembers, for every normalised character, where it came from, so
the offsets and the exact text always refer to the verbatim file.
"""
from __future__ import annotations

import bisect
import difflib
import functools
import re
from dataclasses import dataclass

_QUOTE_MAP = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    "\u2026": "...",
}

# \s is exactly what str.isspace, str.split and str.strip take for white space (tests/test_anchoring.py).
# Only the white space that changes: most of it is a single plain space, which stays as it is.
_ODD_SPACE = re.compile(r"\s\s+|[^\S ]")
_MARK = re.compile("[%s]" % "".join(_QUOTE_MAP))
# Where normalised and original offsets stop moving in step: runs of two or more white space
# characters (folded into one space) and marks whose plain form is longer than one character.
_OFF_STEP = re.compile(r"\s\s+|[%s]" % "".join(mark for mark, plain in _QUOTE_MAP.items() if len(plain) > 1))

#: Characters of the verbatim text kept around an anchor in its TextQuoteSelector.
CONTEXT_CHARS = 32


@dataclass(frozen=True)
class Span:
    start: int  # code-point offset of the first character, inclusive
    end: int  # code-point offset after the last character, exclusive
    exact: str  # the verbatim characters text[start:end]
    prefix: str  # up to CONTEXT_CHARS verbatim characters before
    suffix: str  # up to CONTEXT_CHARS verbatim characters after


class NormalisedText:
    """A text with white space folded and typographic marks made plain, mapped back to the original.

    The folding is done by regular expressions, in C: a character loop in Python was a fifth of the
    time an article took. The map back is kept as the few points where the offsets stop moving in
    step (a run of white space other than one character, a mark that becomes several), not as one
    integer per character."""

    def __init__(self, text: str):
        self.original = text
        stripped = text.lstrip()  # leading white space is dropped
        self.text = _plain(_ODD_SPACE.sub(" ", stripped))
        lead = len(text) - len(stripped)
        self._starts, self._origins = [0], [lead]  # from normalised offset _starts[i], original offsets run on from _origins[i]
        shift = lead  # original offset minus normalised offset, at this point of the text
        for match in _OFF_STEP.finditer(text, lead):
            start, end = match.span()
            at = start - shift  # the normalised offset of the run's space or the mark's first character
            plain = _QUOTE_MAP.get(match[0])
            if plain:  # every character of the mark's plain form comes from the mark
                self._starts += range(at + 1, at + len(plain) + 1)
                self._origins += [start] * (len(plain) - 1) + [end]
                shift -= len(plain) - 1
            else:  # the run's one space comes from its first character
                self._starts.append(at + 1)
                self._origins.append(end)
                shift += end - start - 1

    @functools.cached_property
    def origin(self) -> list[int]:
        """The original offset of every normalised character, for a tool that maps the whole text
        (bench/generate.py)."""
        origin: list[int] = []
        for begin, end, start in zip(self._starts, self._starts[1:] + [len(self.text)], self._origins):
            origin += range(start, start + end - begin)
        return origin

    def _origin(self, offset: int) -> int:
        """The original offset of the normalised character at `offset`."""
        index = bisect.bisect_right(self._starts, offset) - 1
        return self._origins[index] + offset - self._starts[index]

    def occurrences(self, needle: str) -> list[int]:
        found, start = [], self.text.find(needle)
        while start != -1 and needle:
            found.append(start)
            start = self.text.find(needle, start + 1)
        return found

    def span(self, norm_start: int, norm_end: int) -> Span:
        start = self._origin(norm_start)
        end = self._origin(norm_end - 1) + 1
        original = self.original
        return Span(
            start=start,
            end=end,
            exact=original[start:end],
            prefix=original[max(0, start - CONTEXT_CHARS):start],
            suffix=original[end:end + CONTEXT_CHARS],
        )

    def closest_passage(self, needle: str) -> str:
        """The passage of the text most like `needle`, to show next to a 'not found' error."""
        if not needle or not self.text:
            return ""
        matcher = difflib.SequenceMatcher(None, self.text, needle, autojunk=False)
        best = max(matcher.get_matching_blocks(), key=lambda block: block.size)
        begin = max(0, best.a - best.b)
        return self.text[begin:begin + len(needle)]


def normalise(fragment: str) -> str:
    """The normal form of a quote, prefix or suffix as typed by an annotator: NormalisedText's, stripped."""
    return _plain(" ".join(fragment.split()))


def _plain(text: str) -> str:
    # a regular expression finds the few marks faster than str.translate looks up every character
    return _MARK.sub(_plain_mark, text)


def _plain_mark(match: re.Match) -> str:
    return _QUOTE_MAP[match[0]]


class AnchorNotFound(Exception):
    def __init__(self, closest: str):
        self.closest = closest
        super().__init__(closest)


class AnchorAmbiguous(Exception):
    def __init__(self, count: int):
        self.count = count
        super().__init__(count)


def anchor(text: NormalisedText, quote: str, prefix: str | None = None, suffix: str | None = None) -> Span:
    """Locate `quote` (optionally right after `prefix` / right before `suffix`) exactly once."""
    needle = normalise(quote)
    if not needle:
        raise AnchorNotFound("")
    candidates = text.occurrences(needle)
    if not candidates:
        raise AnchorNotFound(text.closest_passage(needle))
    if prefix:
        wanted = normalise(prefix)
        candidates = [c for c in candidates if _ends_with(text.text, c, wanted)]
    if suffix:
        wanted = normalise(suffix)
        candidates = [c for c in candidates if _starts_with(text.text, c + len(needle), wanted)]
    if not candidates:
        raise AnchorNotFound(text.closest_passage(" ".join(filter(None, [prefix, quote, suffix]))))
    if len(candidates) > 1:
        raise AnchorAmbiguous(len(candidates))
    return text.span(candidates[0], candidates[0] + len(needle))


def _ends_with(haystack: str, position: int, wanted: str) -> bool:
    before = haystack[:position].rstrip()
    return before.endswith(wanted)


def _starts_with(haystack: str, position: int, wanted: str) -> bool:
    after = haystack[position:].lstrip()
    return after.startswith(wanted)


_WORD = re.compile(r"\w")


def is_blank(quote: str) -> bool:
    return not _WORD.search(quote or "")
