from models.features import decode_tags, encode_document, spans_to_tags, tag_labels
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


def test_decode_tags_joins_pieces_and_words():
    spans = [None, (0, 4), (4, 8), (9, 14), (15, 17), None]
    tags = [0, BIO2ID["B-PERS"], BIO2ID["B-PERS"], BIO2ID["I-PERS"], 0, 0]
    assert [(s, e, t) for s, e, t, _ in decode_tags(spans, tags, [1.0] * 6)] == [(0, 14, "PERS")]


def test_spans_to_tags_round_trip_through_decode():
    token_spans = [None, (0, 5), (6, 10), (11, 15), (16, 20), None]
    gold = [(6, 15, "ORG")]
    tags = spans_to_tags(token_spans, gold)
    assert [(s, e, t) for s, e, t, _ in decode_tags(token_spans, tags, [0.9] * len(tags))] == [(6, 15, "ORG")]
