import json

import pytest

from evaluation.metrics import headline, score_actors, score_paragraphs, score_stance

GOLD = [
    {
        "id": "a",
        "paragraphs": [
            {
                "text": "عنوان",
                "kind": "title",
                "stance": "neutral",
                "actors": [{"start": 0, "end": 5, "type": "LOC", "actor": "RUS"}],
                "stances": [],
            },
            {
                "text": "نص أول",
                "kind": "text",
                "stance": "critical",
                "actors": [{"start": 0, "end": 2, "type": "ORG", "actor": "HAMAS"}, {"start": 3, "end": 6, "type": "LOC", "actor": "ISR"}],
                "stances": [{"holder": "HAMAS", "target": "ISR", "polarity": "critical"}],
            },
            {"text": "حجم الخط", "kind": "ui"},
            {"text": "إقرأ أيضاً", "kind": "related"},
            {"text": "نص آخر", "kind": "related"},
        ],
    },
]
PRED = [
    [
        {"kind": "title", "stance": "neutral", "actors": [{"start": 0, "end": 5, "type": "LOC", "actor": "MOSCOW"}], "stances": []},
        {
            "kind": "text",
            "stance": "supportive",
            "actors": [{"start": 0, "end": 2, "type": "ORG", "actor": "HAMAS"}, {"start": 3, "end": 5, "type": "LOC", "actor": "ISR"}],
            "stances": [{"holder": "HAMAS", "target": "ISR", "polarity": "critical"}],
        },
        {"kind": "ui"},
        {"kind": "related"},
        {"kind": "text", "stance": "neutral", "actors": [], "stances": []},
    ]
]


def test_paragraph_scores_by_hand():
    s = score_paragraphs(GOLD, PRED)
    # body: tp=2 fp=1 fn=0 → P=2/3 R=1 F1=0.8; boilerplate: tp=2 fp=0 fn=1 → P=1 R=2/3 F1=0.8
    assert s["body"]["f1"] == pytest.approx(0.8)
    assert s["boilerplate"]["f1"] == pytest.approx(0.8)
    assert s["macro_f1"] == pytest.approx(0.8)
    assert s["accuracy"] == pytest.approx(4 / 5)
    assert s["related_as_body"] == pytest.approx(0.5)
    assert s["body_lost"] == 0.0
    assert s["confusion"]["related"] == {"related": 1, "text": 1}


def test_actor_scores_by_hand():
    s = score_actors(GOLD, PRED)
    # gold 3 mentions, predicted 3; exact matches: title RUS span and HAMAS → tp=2
    assert s["exact"]["precision"] == pytest.approx(2 / 3)
    assert s["exact"]["recall"] == pytest.approx(2 / 3)
    assert s["overlap"]["f1"] == pytest.approx(1.0)  # the ISR span overlaps
    assert s["id_accuracy"] == pytest.approx(0.5)  # RUS vs MOSCOW wrong, HAMAS right


def test_stance_scores_by_hand():
    s = score_stance(GOLD, PRED)
    assert s["accuracy"] == pytest.approx(0.5)
    # neutral: tp 1 → F1 1.0; critical: fn 1 → F1 0; macro over present classes = 0.5
    assert s["macro_f1"] == pytest.approx(0.5)
    assert s["triples"]["f1"] == pytest.approx(1.0)


def test_kinds_only_gold_scores_paragraphs_only():
    kinds_only = [{"id": "a", "paragraphs": [{"text": p["text"], "kind": p["kind"]} for p in GOLD[0]["paragraphs"]]}]
    assert score_actors(kinds_only, PRED) is None
    assert score_stance(kinds_only, PRED) is None
    assert set(headline({"paragraph": score_paragraphs(kinds_only, PRED), "actors": None, "stance": None})) == {
        "paragraph_macro_f1",
        "kind_accuracy",
        "kind_macro_f1",
    }


def test_evaluate_end_to_end_writes_a_report(trained_checkpoint, data_dir, tmp_path):
    from evaluation.evaluate import main

    model_dir, _ = trained_checkpoint
    gold = tmp_path / "gold.jsonl"
    pages = sorted((model_dir.parent).glob("*"))  # noqa: F841 - the checkpoint's build dir is private; write our own gold
    gold.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in GOLD) + "\n", encoding="utf-8")
    result = main(
        ["--model-dir", str(model_dir), "--gold", str(gold), "--name", "tiny", "--out", str(tmp_path / "reports"), "--bootstrap", "20"]
    )
    out = tmp_path / "reports" / "tiny"
    for name in ("metrics.json", "report.md", "confusion.png", "per_kind_f1.png"):
        assert (out / name).is_file()
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["model"]["paragraph"]["paragraphs"] == 5
    assert set(saved["peers"]["paragraph"]) >= {"rules (cue phrases)", "jusText (Arabic, default)", "trafilatura (HTML-built)"}
    assert "| model |" in (out / "report.md").read_text()
    assert result["documents"] == 1


def test_rule_baseline_cuts_after_read_also():
    from evaluation.peers import rule_baseline

    kinds = [
        p["kind"]
        for p in rule_baseline(
            [
                "موسكو تستقبل وفداً من حماس لبحث التهدئة",
                "حجم الخط",
                "استقبل وزير الخارجية الروسي وفداً من الحركة لبحث وقف إطلاق النار في القطاع.",
                "إقرأ أيضاً:",
                "وقال المتحدث إن الوفد سيزور القاهرة الأسبوع المقبل لاستكمال المحادثات.",
            ]
        )
    ]
    assert kinds == ["title", "ui", "text", "related", "related"]


def test_gate_fails_below_a_floor_and_passes_above(tmp_path):
    from evaluation.gate import main as gate
    from evaluation.metrics import score_all

    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"name": "tiny", "model": score_all(GOLD, PRED)}), encoding="utf-8")
    floors = tmp_path / "floors.json"
    floors.write_text(json.dumps({"tiny": {"paragraph_macro_f1": 0.75, "actor_f1": 0.6}}), encoding="utf-8")
    assert gate([str(metrics), "--floors", str(floors)]) == 0
    floors.write_text(json.dumps({"tiny": {"paragraph_macro_f1": 0.85}}), encoding="utf-8")
    assert gate([str(metrics), "--floors", str(floors)]) == 1
    floors.write_text(json.dumps({"other": {}}), encoding="utf-8")
    assert gate([str(metrics), "--floors", str(floors)]) == 1
