import pytest

from kg.anchoring import AnchorAmbiguous, AnchorNotFound, NormalisedText, anchor, normalise

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
