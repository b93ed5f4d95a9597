import pytest

from models.features import decode_tags, encode_document, spans_to_tags, tag_labels, word_spans
from models.labels import BIO2ID, BIO_TAGS, IGNORE_INDEX


def test_bio_labels_align_to_word_pieces_from_offsets(tokenizer, registry):
    text = "وقال بوغدانوف إن روسيا تدعم الأمم المتحدة"
    doc = encode_document([text, "حجم الخط"], tokenizer, registry, max_tokens=64, stride=8)
    gold = [[(5, 13, "PERS"), (17, 22, "LOC"), (28, 41, "ORG")], None]
    labels = tag_labels(doc, gold)
    first, second = labels
    assert all(x == IGNORE_INDEX for x in second)  # no actor gold on that paragraph
    spans = doc.token_spans[0]
    tagged = [(spans[i], BIO_TAGS[t]) for i, t in enumerate(first) if t not in (IGNORE_INDEX, BIO2ID["O"])]
    assert tagged[0][1] == "B-PERS" and text[tagged[0][0][0] : tagged[0][0][1]] in "بوغدانوف"
    assert sum(1 for t in first if t != IGNORE_INDEX) == sum(doc.word_starts[0])  # one label per word
    assert [t for _, t in tagged if t.startswith("B-")] == ["B-PERS", "B-LOC", "B-ORG"]
    # special tokens are ignored
    assert first[0] == IGNORE_INDEX and first[-1] == IGNORE_INDEX


def test_gazetteer_marks_registry_names(tokenizer, registry):
    doc = encode_document(["استقبل لافروف وفد حماس"], tokenizer, registry, max_tokens=64, stride=8)
    marked = {BIO_TAGS[g] for g in doc.gazetteer_ids[0]}
    assert {"B-PERS", "B-ORG"} <= marked


def test_the_names_of_unknown_actors_are_left_unmatched(tokenizer, registry):
    text = ["استقبل لافروف وفد حماس"]
    doc = encode_document(text, tokenizer, registry, max_tokens=64, stride=8, unknown_actors={"HAMAS"})
    marked = {BIO_TAGS[g] for g in doc.gazetteer_ids[0]}
    assert "B-PERS" in marked and "B-ORG" not in marked  # Lavrov still matched, Hamas as if the registry lacked it
    plain = encode_document(text, tokenizer, registry, max_tokens=64, stride=8)
    assert doc.input_ids == plain.input_ids


def test_long_paragraphs_are_split_into_overlapping_chunks(tokenizer, registry):
    text = " ".join(["وقال المتحدث إن الوفد بحث ملف الأسرى في موسكو"] * 12)
    doc = encode_document([text], tokenizer, registry, max_tokens=24, stride=8)
    assert len(doc.input_ids) > 1
    assert set(doc.chunk_paragraph) == {0}
    assert all(len(ids) <= 24 for ids in doc.input_ids)


def test_words_take_the_tag_of_their_first_piece():
    # "بوغ ##دانوف" is one word: its span is the whole word, its tag the first piece's
    token_spans = [None, (0, 3), (3, 8), (9, 14), (15, 17), None]
    starts = [False, True, False, True, True, False]
    words = word_spans(token_spans, starts)
    assert words == [None, (0, 8), None, (9, 14), (15, 17), None]
    tags = [0, BIO2ID["B-PERS"], BIO2ID["O"], BIO2ID["I-PERS"], 0, 0]
    assert [(s, e, t) for s, e, t, _ in decode_tags(words, tags, [1.0] * 6)] == [(0, 14, "PERS")]


def test_a_stray_inside_tag_starts_a_span():
    words = [None, (0, 4), (5, 9), None]
    tags = [0, BIO2ID["O"], BIO2ID["I-LOC"], 0]
    assert [(s, e, t) for s, e, t, _ in decode_tags(words, tags, [1.0] * 4)] == [(5, 9, "LOC")]


def test_spans_to_tags_round_trip_through_decode():
    token_spans = [None, (0, 5), (6, 10), (11, 15), (16, 20), None]
    words = word_spans(token_spans, [False, True, True, True, True, False])
    tags = spans_to_tags(words, [(6, 15, "ORG")])
    assert [(s, e, t) for s, e, t, _ in decode_tags(words, tags, [0.9] * len(tags))] == [(6, 15, "ORG")]


def _row(**probs):
    return [probs.get(tag.replace("-", "_"), 0.0) for tag in BIO_TAGS]


def test_constrained_decoding_keeps_a_name_whole_that_the_argmax_would_cut():
    from models.bio import viterbi

    # «وكالة الطاقة الذرية أعلنت»: O narrowly beats B-ORG on «وكالة»; the next two words say I-ORG
    rows = [_row(O=0.5, B_ORG=0.45), _row(O=0.3, B_ORG=0.1, I_ORG=0.6), _row(O=0.3, B_ORG=0.1, I_ORG=0.6), _row(O=0.9, I_ORG=0.1)]
    argmax = [max(range(len(r)), key=r.__getitem__) for r in rows]
    assert [BIO_TAGS[i] for i in argmax] == ["O", "I-ORG", "I-ORG", "O"]
    ids, scores = viterbi(rows)
    assert [BIO_TAGS[i] for i in ids] == ["B-ORG", "I-ORG", "I-ORG", "O"]
    assert scores == [0.45, 0.6, 0.6, 0.9]
    words = [(0, 5), (6, 12), (13, 19), (20, 25)]
    assert decode_tags(words, ids, scores) == [(0, 19, "ORG", (0.45 + 0.6 + 0.6) / 3)]


def test_constrained_decoding_never_continues_another_type_and_agrees_with_a_valid_argmax():
    from models.bio import viterbi

    valid = [_row(B_PERS=0.8, O=0.2), _row(I_PERS=0.7, O=0.3), _row(O=0.9, B_LOC=0.1), _row(B_LOC=0.6, O=0.4)]
    assert [BIO_TAGS[i] for i in viterbi(valid)[0]] == ["B-PERS", "I-PERS", "O", "B-LOC"]
    # an I-LOC after a person: the sequence must either start a place or stay inside the person
    clash = [_row(B_PERS=0.9, O=0.1), _row(I_LOC=0.5, I_PERS=0.3, B_LOC=0.2)]
    tags = [BIO_TAGS[i] for i in viterbi(clash)[0]]
    assert tags == ["B-PERS", "I-PERS"]
    assert viterbi([]) == ([], [])


def test_a_name_does_not_end_on_a_particle_or_a_construct_head():
    from models.bio import is_open_word, viterbi

    # «عبد الرحيم نصار قال»: the tagger starts the person on «عبد» and narrowly lets it end there
    rows = [_row(B_PERS=0.8, O=0.2), _row(O=0.55, I_PERS=0.45), _row(O=0.6, I_PERS=0.4), _row(O=0.95, B_PERS=0.05)]
    opens = [is_open_word(w) for w in ["عبد", "الرحيم", "نصار", "قال"]]
    assert opens == [True, False, False, False]
    assert [BIO_TAGS[i] for i in viterbi(rows)[0]] == ["B-PERS", "O", "O", "O"]
    assert [BIO_TAGS[i] for i in viterbi(rows, opens)[0]] == ["B-PERS", "I-PERS", "O", "O"]
    # «اجتمع مجلس الوزراء»: an organisation begun on the bare head noun takes its genitive
    rows = [_row(O=0.9, B_ORG=0.1), _row(B_ORG=0.7, O=0.3), _row(O=0.6, I_ORG=0.4)]
    opens = [is_open_word(w) for w in ["اجتمع", "مجلس", "الوزراء"]]
    assert [BIO_TAGS[i] for i in viterbi(rows, opens)[0]] == ["O", "B-ORG", "I-ORG"]
    # the last word of a paragraph cannot leave a name open: the head alone is dropped
    assert [BIO_TAGS[i] for i in viterbi(rows[:2], opens[:2])[0]] == ["O", "O"]
    # a head with its article or with a conjunction in front is judged the same way; a full name is not open
    assert is_open_word("ووزارة") and is_open_word("«مجلس") and not is_open_word("المجلس") and not is_open_word("حماس")
    with pytest.raises(ValueError, match="open_words"):
        viterbi(rows, [True])
