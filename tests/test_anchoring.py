import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.anchoring import _QUOTE_MAP, AnchorAmbiguous, AnchorNotFound, NormalisedText, anchor, normalise

TEXT = "Gov.\u00a0Deval  Patrick said \u201cno\u201d \u2014 twice.\nPatrick said it again: \u201cno.\u201d"


def test_no_break_space_and_double_space_match_one_space():
    span = anchor(NormalisedText(TEXT), "Gov. Deval Patrick")
    assert span.exact == "Gov.\u00a0Deval  Patrick"
    assert TEXT[span.start:span.end] == span.exact


def test_plain_quotes_and_dashes_match_typographic_ones():
    span = anchor(NormalisedText(TEXT), 'said "no" - twice.')
    assert span.exact == "said \u201cno\u201d \u2014 twice."
    assert (span.start, span.end) == (TEXT.index("said"), TEXT.index("twice.") + len("twice."))


def test_offsets_are_code_points_into_the_verbatim_text():
    text = "\u00e9\u00e9\u00a0caf\u00e9 \u201cquote\u201d"
    span = anchor(NormalisedText(text), '"quote"')
    assert span.start == text.index("\u201c") and span.end == len(text)


def test_repeated_quote_is_ambiguous_until_prefix_or_suffix_given():
    normalised = NormalisedText(TEXT)
    with pytest.raises(AnchorAmbiguous) as raised:
        anchor(normalised, "Patrick said")
    assert raised.value.count == 2
    second = anchor(normalised, "Patrick said", prefix="twice.")
    assert second.start == TEXT.index("Patrick said it")
    first = anchor(normalised, "Patrick said", suffix='"no" -')
    assert first.start == TEXT.index("Patrick said \u201c")


def test_missing_quote_reports_the_closest_passage():
    with pytest.raises(AnchorNotFound) as raised:
        anchor(NormalisedText(TEXT), "Deval Patrik said")
    assert "Deval" in raised.value.closest


def test_context_is_recorded_verbatim():
    span = anchor(NormalisedText(TEXT), "twice")
    assert span.prefix.endswith("\u201d \u2014 ")
    assert span.suffix.startswith(".\nPatrick")


def test_normalise_strips_and_folds():
    assert normalise("  a\u00a0\u00a0b\t\u2018c\u2019 ") == "a b 'c'"


def _one_character_at_a_time(text: str) -> tuple[str, list[int]]:
    """The normal form by its definition, with the original offset of every character of it."""
    chars, origin, previous_space = [], [], True
    for index, char in enumerate(text):
        if char.isspace():
            if not previous_space:
                chars.append(" ")
                origin.append(index)
            previous_space = True
            continue
        previous_space = False
        for plain in _QUOTE_MAP.get(char, char):
            chars.append(plain)
            origin.append(index)
    return "".join(chars), origin


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", ".", " ", "\n", "\t", "\u00a0", "\u2009", "\u3000", "\x1c", "\x85", *_QUOTE_MAP]), max_size=40))
def test_the_normal_form_and_its_offsets_are_those_of_one_character_at_a_time(text):
    expected, origin = _one_character_at_a_time(text)
    normalised = NormalisedText(text)
    assert normalised.text == expected
    assert [normalised.span(index, index + 1).start for index in range(len(expected))] == origin == normalised.origin
    assert normalise(text) == expected.strip()


def test_the_white_space_of_a_regular_expression_is_that_of_str_isspace():
    # NormalisedText folds with \s, normalise with str.split: both must take exactly str.isspace's characters
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    spaces = {char for char in every if char.isspace()}
    assert set(re.findall(r"\s", every)) == spaces == set(every) - set("".join(every.split()))
