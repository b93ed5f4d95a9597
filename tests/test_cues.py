"""Surface cues: the fast stance-cue counter says exactly what the word-by-word definition says."""

from hypothesis import given, settings
from hypothesis import strategies as st

from models.cues import CRITICAL, SUPPORTIVE, cue_features, folded, stance_cues


def _by_words(key: str) -> tuple[int, int]:
    """The definition: words, without leading و/ف letters, that start with a cue."""
    words = [w.lstrip("وف") for w in key.split()]
    return (
        sum(any(w.startswith(c) for c in SUPPORTIVE) for w in words),
        sum(any(w.startswith(c) for c in CRITICAL) for w in words),
    )


def test_counts_cue_words_after_conjunctions():
    key = folded("ورحب الوزير بالاتفاق وأدان الهجوم، فيما انتقدت المعارضة القرار")
    supportive, critical = stance_cues(key)
    assert (supportive, critical) == _by_words(key)
    assert supportive >= 1 and critical >= 2


_pieces = st.sampled_from([*SUPPORTIVE, *CRITICAL, "و", "ف", "وف", "ال", "الوزير", "بيان", " ", "  ", "\t", "،", "x"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces, max_size=12).map("".join))
def test_regex_counter_equals_the_word_definition(key):
    assert stance_cues(key) == _by_words(key)


def test_cue_features_have_a_fixed_length():
    assert len(cue_features("اقرأ أيضاً: الأهلي يفوز")) == len(cue_features("نص عادي."))


def test_read_also_markers_are_read_behind_emoji_arrows_and_brackets():
    from models.cues import READ_ALSO, starts_with_any

    for line in ("📌 اقرأ أيضاً: الأهلي يفوز", "<< اقرأ كذلك", "لا يفوتك", "⬅️ قد يهمك أيضاً", "(اقرأ أيضا:", "• الأكثر قراءة"):
        assert starts_with_any(folded(line), READ_ALSO), line
        assert cue_features(line)[0] == 1.0, line
    for line in ("وقال الوزير إن المحادثات ستستأنف الأسبوع المقبل.", "📌 الرئيسية", "#اقتصاد"):
        assert not starts_with_any(folded(line), READ_ALSO), line


def test_stance_cues_skip_words_that_only_look_like_stance_words():
    # here/there, two, price, estimates, a campaign, hands, a student: no stance in any of them
    neutral = "وقال الوزير إن هناك اثنين من الجرحى هنا، وإن ثمن الوقود ارتفع بحسب تقديرات الحملة، وإن الأيدي العاملة ومعها طالب جامعي"
    assert stance_cues(folded(neutral)) == (0, 0)
    # the outlet's own vocabulary is not a stance (SPEC.md): no critical cue either
    assert stance_cues(folded("وتواصل العدوان على المدينة وسط انتهاكات وجرائم متكررة")) == (0, 0)


def test_stance_cues_with_a_hamza_match_the_folded_text():
    assert stance_cues(folded("وثمّنت الحركة موقف القاهرة، فيما يؤيد الاتحاد الخطة وأيدت مصر البيان")) == (3, 0)
    assert stance_cues(folded("وشجبت الخارجية الهجوم وأدانت إسرائيل")) == (0, 2)


def test_stance_cue_spans_are_offsets_of_the_original_text_and_agree_with_the_counts():
    from models.cues import stance_cue_spans

    # diacritics and a kashida inside the cue words: folding shortens them, the spans must not shift
    text = "وندّد الوزيـر بالهجوم، فيما رحّبت الحكومة بالقرار ورفضت المعارضة «الاتهامات» وقال إن الحوار مستمر"
    spans = stance_cue_spans(text)
    assert [text[s:e] for s, e in spans] == ["وندّد", "رحّبت", "ورفضت"]
    assert len(spans) == sum(stance_cues(folded(text)))
    assert stance_cue_spans("وقال الوزير إن المفاوضات ستستأنف الأسبوع المقبل") == []
