"""Units with behaviour of their own: decoding model outputs, the document summary, bootstrap intervals, request ids and log lines."""

import json
import logging

from evaluation.bootstrap import bootstrap_ci
from models.actors import ActorPrediction
from models.decoding import Decoder, DocumentOutputs, summarize_document
from models.labels import KINDS, STANCES
from models.text import split_paragraphs
from serving.observability import JsonFormatter, accept_request_id, request_id_var

PAGE = "الرئيسية | سياسة\nانتقدت حماس قرار إسرائيل إغلاق المعابر في غزة.\nرحبت مصر بالاتفاق."


def mention(paragraph: str, surface: str, entity_type: str, actor_id: str) -> ActorPrediction:
    start = paragraph.index(surface)
    return ActorPrediction(start, start + len(surface), surface, entity_type, actor_id, 0.9)


def one_hot(index: int, size: int, p: float = 0.9) -> list[float]:
    rest = (1 - p) / (size - 1)
    return [p if i == index else rest for i in range(size)]


def test_decoder_labels_kinds_and_gives_stance_and_actors_to_body_paragraphs_only():
    texts = PAGE.split("\n")
    hamas = mention(texts[1], "حماس", "ORG", "HAMAS")
    outputs = DocumentOutputs(
        kind_probs=[
            one_hot(KINDS.index("ui"), len(KINDS)),
            one_hot(KINDS.index("text"), len(KINDS)),
            one_hot(KINDS.index("title"), len(KINDS), 0.5),
        ],
        stance_probs=[one_hot(0, 4), one_hot(STANCES.index("critical"), 4), [0.3, 0.35, 0.2, 0.15]],
        actors={0: [hamas], 1: [hamas]},  # the decoder must drop actors of a boilerplate paragraph
        triples={1: [{"holder": "HAMAS", "target": "ISR", "polarity": "critical", "probability": 0.8}]},
    )
    menu, criticism, welcome = Decoder(list(KINDS), list(STANCES)).decode(texts, outputs)

    assert (menu.label, menu.kind, menu.stance, menu.actors) == ("boilerplate", "ui", None, [])
    assert (criticism.label, criticism.kind, criticism.stance) == ("body", "text", "critical")
    assert criticism.actors == [hamas] and criticism.stances[0]["target"] == "ISR"
    # the label's probability sums the kinds under it: 0.5 for title plus the other two body kinds
    assert welcome.label == "body" and welcome.label_probability == round(0.5 + 2 * 0.5 / (len(KINDS) - 1), 4)
    assert welcome.stance == "supportive"


def test_calibration_bias_moves_the_stance_decision_not_its_probability():
    outputs = DocumentOutputs([one_hot(KINDS.index("text"), len(KINDS))], [[0.40, 0.35, 0.15, 0.10]], {}, {})
    plain = Decoder(list(KINDS), list(STANCES)).decode(["رحبت مصر بالاتفاق"], outputs)[0]
    biased = Decoder(list(KINDS), list(STANCES), stance_bias=[0.0, 0.5, 0.0, 0.0]).decode(["رحبت مصر بالاتفاق"], outputs)[0]
    assert plain.stance == "neutral"
    assert biased.stance == "supportive" and biased.stance_probability == 0.35


def test_triples_follow_the_paragraph_stance_neutral_drops_them_and_an_evaluative_one_gets_its_polarity():
    texts = ["رحبت مصر بالاتفاق وانتقدت إسرائيل التصعيد.", "وصل الوفد المصري إلى غزة.", "أشادت مصر بالوساطة."]
    welcome = {"holder": "EGY", "target": "QAT", "polarity": "supportive", "probability": 0.41}
    blame = {"holder": "EGY", "target": "ISR", "polarity": "critical", "probability": 0.38}
    stray = {"holder": "EGY", "target": "GAZA_STRIP", "polarity": "critical", "probability": 0.7}
    text_kind = one_hot(KINDS.index("text"), len(KINDS))
    outputs = DocumentOutputs(
        kind_probs=[text_kind] * 3,
        stance_probs=[one_hot(STANCES.index("mixed"), 4), one_hot(STANCES.index("neutral"), 4), one_hot(STANCES.index("supportive"), 4)],
        actors={},
        triples={0: [blame], 1: [stray]},  # the head found the blame only, and a triple in a neutral paragraph
        reserve={0: {"supportive": welcome, "critical": blame}, 1: {"critical": stray}, 2: {}},  # paragraph 2: no candidate pair
    )
    mixed, neutral, praise = Decoder(list(KINDS), list(STANCES)).decode(texts, outputs)
    assert mixed.stances == [blame, welcome]
    assert neutral.stances == []
    assert praise.stance == "supportive" and praise.stances == []
    as_trained = Decoder(list(KINDS), list(STANCES), triples_follow_stance=False).decode(texts, outputs)
    assert [p.stances for p in as_trained] == [[blame], [stray], []]


def test_document_summary_counts_actors_and_the_stance_network_with_whole_text_offsets(registry):
    paragraphs = split_paragraphs(PAGE)
    texts = [p.text for p in paragraphs]
    outputs = DocumentOutputs(
        kind_probs=[one_hot(KINDS.index("ui"), len(KINDS))] + [one_hot(KINDS.index("text"), len(KINDS))] * 2,
        stance_probs=[one_hot(0, 4), one_hot(STANCES.index("critical"), 4), one_hot(STANCES.index("supportive"), 4)],
        actors={
            1: [mention(texts[1], "حماس", "ORG", "HAMAS"), mention(texts[1], "إسرائيل", "LOC", "ISR")],
            2: [mention(texts[2], "مصر", "LOC", "EGY")],
        },
        triples={1: [{"holder": "HAMAS", "target": "ISR", "polarity": "critical", "probability": 0.8}]},
    )
    labelled = Decoder(list(KINDS), list(STANCES)).decode(texts, outputs)
    document = summarize_document(paragraphs, labelled, registry)

    for p in document.paragraphs:
        assert PAGE[p.start : p.end] == p.text
        for actor in p.actors:
            assert PAGE[actor.start : actor.end] == actor.text
    assert document.body_text == "\n\n".join(texts[1:])
    assert {a["actor"] for a in document.actors} == {"HAMAS", "ISR", "EGY"}
    assert document.stance_summary["paragraphs"] == {"critical": 1, "supportive": 1}
    (edge,) = document.stance_summary["triples"]
    assert (edge["holder"], edge["target"], edge["polarity"], edge["paragraphs"]) == ("HAMAS", "ISR", "critical", 1)
    assert edge["holder_name"] == registry.get("HAMAS").name_en


def test_bootstrap_interval_contains_the_statistic_and_narrows_with_more_documents():
    def accuracy(gold, pred):
        return sum(g["y"] == p[0]["y"] for g, p in zip(gold, pred, strict=True)) / len(gold)

    def interval(n):
        gold = [{"y": i % 2} for i in range(n)]
        pred = [[{"y": (i % 2) if i % 5 else 1 - i % 2}] for i in range(n)]  # one in five wrong: 0.8
        return bootstrap_ci(gold, pred, accuracy, samples=400)

    small, large = interval(20), interval(400)
    assert small[0] < 0.8 < small[1] and large[0] < 0.8 < large[1]
    assert large[1] - large[0] < small[1] - small[0]
    assert bootstrap_ci([{"y": 1}], [[{"y": 1}]], accuracy) is None  # one document has no interval


def test_request_ids_are_echoed_only_when_short_and_plain():
    assert accept_request_id("crawl-2026.12:07_a") == "crawl-2026.12:07_a"
    for hostile in ["x" * 129, "id\nforged log line", "مرحبا", "", None]:
        fresh = accept_request_id(hostile)
        assert fresh != hostile and len(fresh) == 32 and fresh.isalnum()


def test_log_lines_are_json_with_the_request_id_and_arabic_kept_readable():
    token = request_id_var.set("req-42")
    try:
        record = logging.LogRecord("serving.access", logging.INFO, __file__, 1, "صنّف %d فقرات", (3,), None)
        record.fields = {"status": 200, "route": "/v1/classify"}
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["message"] == "صنّف 3 فقرات" and line["request_id"] == "req-42"
    assert (line["status"], line["route"], line["level"]) == (200, "/v1/classify", "INFO")
