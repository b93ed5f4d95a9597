from hypothesis import given
from hypothesis import strategies as st

from models.text import map_span, normalize_ar, normalize_with_offsets, split_paragraphs


def test_split_keeps_offsets_with_crlf_blank_lines_and_padding():
    text = "  موسكو تستقبل وفداً من حماس  \r\n\r\n\tحجم الخط\n \n\u00a0\nRelated: الجيش يعلن\rآخر سطر"
    paragraphs = split_paragraphs(text)
    assert [p.text for p in paragraphs] == ["موسكو تستقبل وفداً من حماس", "حجم الخط", "Related: الجيش يعلن", "آخر سطر"]
    assert [p.index for p in paragraphs] == [0, 1, 2, 3]
    for p in paragraphs:
        assert text[p.start : p.end] == p.text


def test_split_of_blank_text_is_empty():
    assert split_paragraphs("") == []
    assert split_paragraphs(" \n\r\n\t \n") == []


@given(st.text(alphabet=st.sampled_from(list("ابت حماس\n\r\t ً.A1") + ["\u00a0", "\u0640"]), max_size=200))
def test_every_paragraph_is_cut_from_the_input(text):
    for p in split_paragraphs(text):
        assert text[p.start : p.end] == p.text
        assert p.text and p.text == p.text.strip()
        assert "\n" not in p.text and "\r" not in p.text


def test_normalisation_removes_diacritics_and_tatweel_and_maps_back():
    original = "مُوسْكـــو تُرَحِّب"
    normalized, origin = normalize_with_offsets(original)
    assert normalized == "موسكو ترحب"
    assert normalize_ar("حَمَاسٌ") == "حماس"
    start = normalized.index("ترحب")
    s, e = map_span(origin, start, start + 4, original)
    assert original[s:e] == "تُرَحِّب"  # the span keeps the diacritics of its last letter


@given(st.text(alphabet=st.sampled_from(list("بوتينًٌٍَُِّْـ ﻻ")), min_size=1, max_size=60))
def test_normalised_offsets_point_into_the_original(text):
    normalized, origin = normalize_with_offsets(text)
    assert len(origin) == len(normalized)
    assert all(0 <= i < len(text) for i in origin)
    assert origin == sorted(origin)


@given(
    st.text(
        alphabet=st.sampled_from(list("بوتين حماس.،A1") + ["\u064b", "\u0640", "\u00a0", "\t", "\ufefb", "\u200f", "\u2003"]), max_size=80
    )
)
def test_fast_path_normalises_exactly_like_the_slow_one(text):
    from models.text import _normalize_slow

    assert normalize_with_offsets(text) == _normalize_slow(text)


@given(
    st.text(
        alphabet=st.sampled_from(list("بوتين حماس.،A1") + ["\u064b", "\u0640", "\u00a0", "\t", "\ufefb", "\ufdf2", "\u200f", "\u2003"]),
        max_size=80,
    )
)
def test_normalisation_follows_its_character_by_character_definition(text):
    """Each character becomes its own normalised form (dropped, kept, or expanded as ﻻ → لا), with its index."""
    from models.text import _normalize_char

    pieces = [_normalize_char(c) for c in text]
    expected = ("".join(pieces), [i for i, piece in enumerate(pieces) for _ in piece])
    assert normalize_with_offsets(text) == expected
