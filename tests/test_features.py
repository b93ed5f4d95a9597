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
