"""The page-level kind path: counted layout transitions and the Viterbi search over a page's kinds."""

import json
import math
import shutil

import pytest

from models.kind_path import DEFAULT_TRANSITION_WEIGHT, best_kind_path, count_transitions, transitions_valid
from models.labels import KIND2ID, KINDS
from models.predictor import Predictor

# a page as sites print it: title, metadata, body, then a block of other headlines
LAYOUT = ["ui", "ui", "title", "metadata", "text", "text", "text", "related", "related", "related", "related", "ui"]


def _probs(kinds_and_confidence):
    """One probability row per paragraph: ``confidence`` on the kind, the rest spread over the others."""
    rows = []
    for kind, confidence in kinds_and_confidence:
        rest = (1 - confidence) / (len(KINDS) - 1)
        rows.append([confidence if k == kind else rest for k in KINDS])
    return rows


def test_transitions_are_log_probabilities_with_a_start_row():
    transitions = count_transitions([LAYOUT] * 20, KINDS)
    assert transitions_valid(transitions, len(KINDS))
    assert len(transitions) == len(KINDS) + 1
    for row in transitions:
        assert math.isclose(sum(math.exp(v) for v in row), 1.0, abs_tol=1e-3)
    related = KIND2ID["related"]
    assert transitions[related][related] > transitions[related][KIND2ID["text"]]  # blocks run on
    assert transitions[len(KINDS)][KIND2ID["ui"]] > transitions[len(KINDS)][KIND2ID["comments"]]  # pages open with chrome


def test_an_unknown_kind_or_no_paragraphs_is_refused():
    with pytest.raises(ValueError, match="unknown paragraph kind 'sidebar'"):
        count_transitions([["text", "sidebar"]], KINDS)
    with pytest.raises(ValueError, match="no paragraphs"):
        count_transitions([], KINDS)


def test_weight_zero_or_no_transitions_is_each_paragraphs_argmax():
    probs = _probs([("related", 0.9), ("text", 0.55), ("related", 0.9)])
    argmax = [KIND2ID["related"], KIND2ID["text"], KIND2ID["related"]]
    transitions = count_transitions([LAYOUT] * 20, KINDS)
    assert best_kind_path(probs, None, DEFAULT_TRANSITION_WEIGHT) == argmax
    assert best_kind_path(probs, transitions, 0.0) == argmax
    assert best_kind_path([], transitions, DEFAULT_TRANSITION_WEIGHT) == []
    with pytest.raises(ValueError, match="must be 0 or more"):
        best_kind_path(probs, transitions, -0.3)


def test_a_hesitant_lone_flip_inside_a_related_block_follows_the_block():
    transitions = count_transitions([LAYOUT] * 20, KINDS)
    hesitant = _probs([("related", 0.95), ("related", 0.95), ("text", 0.5), ("related", 0.95)])
    hesitant[2][KIND2ID["related"]] = 0.4  # text 0.5 against related 0.4
    path = best_kind_path(hesitant, transitions, DEFAULT_TRANSITION_WEIGHT)
    assert [KINDS[k] for k in path] == ["related"] * 4


def test_a_confident_paragraph_keeps_its_kind():
    transitions = count_transitions([LAYOUT] * 20, KINDS)
    confident = _probs([("related", 0.95), ("text", 0.99), ("related", 0.95)])
    assert [KINDS[k] for k in best_kind_path(confident, transitions, DEFAULT_TRANSITION_WEIGHT)] == ["related", "text", "related"]


def test_transitions_of_the_wrong_shape_are_refused():
    transitions = count_transitions([LAYOUT], KINDS)
    assert not transitions_valid(transitions[:-1], len(KINDS))
    assert not transitions_valid("text->text", len(KINDS))
    with pytest.raises(ValueError, match="do not fit"):
        best_kind_path(_probs([("text", 0.9)]), transitions[:-1], 0.3)


def test_training_stores_the_transitions_and_the_predictor_decodes_with_them(trained_checkpoint, tmp_path):
    from training.kind_transitions import write_transitions

    model_dir, _ = trained_checkpoint
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    assert transitions_valid(config["kind_transitions"], len(KINDS))
    assert config["kind_transition_weight"] == DEFAULT_TRANSITION_WEIGHT

    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    pages = tmp_path / "pages.jsonl"
    page = {"id": "p1", "paragraphs": [{"text": "الرئيسية", "kind": "ui"}, {"text": "قال الوزير إن المحادثات ستستأنف.", "kind": "text"}]}
    pages.write_text(json.dumps(page, ensure_ascii=False) + "\n", encoding="utf-8")
    record = write_transitions(copy, pages, weight=0.0)
    assert record["documents"] == 1 and record["weight"] == 0.0
    assert json.loads((copy / "training_metadata.json").read_text(encoding="utf-8"))["kind_transitions"]["pages"] == str(pages)

    with pytest.raises(ValueError, match="must be 0 or more"):
        write_transitions(copy, pages, weight=-1.0)

    # pages of body text only, weighted heavily: the predictor must then read every paragraph as text
    all_text = {"id": "p2", "paragraphs": [{"text": "فقرة من متن الخبر.", "kind": "text"}] * 30}
    pages.write_text(json.dumps(all_text, ensure_ascii=False) + "\n", encoding="utf-8")
    write_transitions(copy, pages, weight=50.0)
    texts = ["الرئيسية | أخبار | رياضة", "شارك عبر فيسبوك", "وقال الوزير إن اللقاء تناول سبل التعاون بين البلدين.", "© جميع الحقوق محفوظة"]
    predicted = Predictor.from_pretrained(copy).predict_paragraphs([texts])[0]
    assert [p.kind for p in predicted] == ["text"] * len(texts)
    assert all(p.label == "body" for p in predicted)
