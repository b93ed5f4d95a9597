"""``training.train.main`` on the tiny corpus: a checkpoint that a user can load."""

import json
import shutil

import pytest

from models.checkpoint import read_metadata
from models.predictor import Predictor
from models.spec import SpecError


def test_training_writes_a_self_contained_checkpoint(trained_checkpoint):
    out, metrics = trained_checkpoint
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "registry.json",
        "linker.json",
        "training_metadata.json",
        "README.md",
        "all_results.json",
    ):
        assert (out / name).is_file(), name
    assert not list(out.glob("checkpoint-*"))
    meta = read_metadata(out)
    assert meta["base_model"]["kind"] == "embedded"
    assert meta["data"]["train_documents"] > 0
    assert "eval_paragraph_macro_f1" in metrics
    assert "embedded" in (out / "README.md").read_text()
    config = json.loads((out / "config.json").read_text())
    assert config["base_model"]["name"] == "embedded"


def test_training_lowers_the_loss(trained_checkpoint):
    out, _ = trained_checkpoint
    history = read_metadata(out)["log_history"]
    losses = [h["loss"] for h in history if "loss" in h]
    assert len(losses) >= 4
    assert sum(losses[-2:]) / 2 < sum(losses[:2]) / 2


def test_trained_checkpoint_loads_and_predicts(trained_checkpoint):
    out, _ = trained_checkpoint
    predictor = Predictor.from_pretrained(out)
    doc = predictor.predict_text("عنوان عن روسيا\n\nحجم الخط\nوقال لافروف إن موسكو تدعم الحل.\n")
    assert [p.index for p in doc.paragraphs] == [0, 1, 2]
    assert predictor.base_model["kind"] == "embedded"


def test_stance_weights_favour_rare_values():
    from training.train import stance_class_weights

    docs = [{"paragraphs": [{"kind": "text", "stance": "neutral"}] * 9 + [{"kind": "text", "stance": "critical"}, {"kind": "ui"}]}]
    weights = dict(zip(("neutral", "supportive", "critical", "mixed"), stance_class_weights(docs), strict=True))
    assert weights["critical"] > weights["neutral"]
    assert abs(sum(weights.values()) / 4 - 1) < 1e-3
    full = dict(zip(("neutral", "supportive", "critical", "mixed"), stance_class_weights(docs, power=1.0), strict=True))
    assert full["critical"] / full["neutral"] > weights["critical"] / weights["neutral"]
    assert stance_class_weights(docs, power=0.0) == [1.0] * 4


def test_stance_offsets_raise_a_swallowed_class_and_leave_a_fitted_model_alone():
    from training.calibrate import fit_stance_bias

    gold = [{"paragraphs": [{"kind": "text", "stance": s} for s in ["neutral"] * 2 + ["supportive"]]}] * 3
    # the model gives supportive paragraphs 0.3 and neutral ones 0.1 of supportive: argmax says neutral for all
    scores = [[0.8, 0.1, 0.05, 0.05]] * 2 + [[0.6, 0.3, 0.05, 0.05]]
    pred = [[{"stance_scores": sc} for sc in scores]] * 3
    bias = fit_stance_bias(gold, pred)
    assert bias[0] == 0.0 and bias[1] > 0.5  # supportive is lifted over its neutral twin, in every document
    fitted = [[0.8, 0.1, 0.05, 0.05]] * 2 + [[0.1, 0.8, 0.05, 0.05]]
    assert fit_stance_bias(gold, [[{"stance_scores": sc} for sc in fitted]] * 3) == [0.0, 0.0, 0.0, 0.0]


def test_stance_offsets_that_help_one_dev_document_of_ten_are_not_kept():
    from training.calibrate import fit_stance_bias

    gold = [{"paragraphs": [{"kind": "text", "stance": "neutral"}, {"kind": "text", "stance": "supportive"}]}] * 10
    fitted = [{"stance_scores": [0.8, 0.1, 0.05, 0.05]}, {"stance_scores": [0.1, 0.8, 0.05, 0.05]}]
    swallowed = [{"stance_scores": [0.8, 0.1, 0.05, 0.05]}, {"stance_scores": [0.6, 0.3, 0.05, 0.05]}]
    pred = [fitted] * 9 + [swallowed]
    # lifting supportive fixes the last document and breaks nothing, but a tenth of the pages is no evidence
    assert fit_stance_bias(gold, pred, evidence=0.5)[1] > 0.5
    assert fit_stance_bias(gold, pred) == [0.0, 0.0, 0.0, 0.0]


def test_recalibration_rewrites_the_offsets_in_the_checkpoint_and_records_it(trained_checkpoint, pages, tmp_path):
    from training.calibrate import main as recalibrate_main

    model_dir = tmp_path / "model"
    shutil.copytree(trained_checkpoint[0], model_dir)
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    config["pair_none_bias"], config["stance_logit_bias"] = 7.0, [0.0, 9.0, 9.0, 9.0]  # offsets no fit would choose
    (model_dir / "config.json").write_text(json.dumps(config), encoding="utf-8")
    dev = tmp_path / "dev.jsonl"
    dev.write_text("".join(json.dumps(page, ensure_ascii=False) + "\n" for page in pages[:6]), encoding="utf-8")

    chosen = recalibrate_main([str(model_dir), "--dev", str(dev)])

    written = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    assert written["pair_none_bias"] == chosen["pair_none_bias"] != 7.0
    assert written["stance_logit_bias"] == chosen["stance_logit_bias"] != [0.0, 9.0, 9.0, 9.0]
    assert read_metadata(model_dir)["calibration"]["recalibrated"]["dev"] == str(dev)
    assert Predictor.from_pretrained(model_dir).pair_none_bias == chosen["pair_none_bias"]


def test_recalibration_refuses_an_empty_dev_file(trained_checkpoint, tmp_path):
    from training.calibrate import recalibrate

    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(SpecError, match="empty.jsonl: no documents"):
        recalibrate(trained_checkpoint[0], empty)


def test_calibration_reads_one_page_per_article():
    from training.calibrate import one_page_per_article

    body = {"text": "ورحبت الحكومة بالاتفاق.", "kind": "text", "stance": "supportive"}
    pages = [
        {"id": "a-p0", "article": "a", "paragraphs": [{"text": "الرئيسية", "kind": "ui"}, body]},
        {"id": "a-p1", "article": "a", "paragraphs": [body, {"text": "شارك", "kind": "share"}]},
        {"id": "b-p0", "article": "b", "paragraphs": [body]},
        {"id": "authored-page", "paragraphs": [body]},
    ]
    assert [p["id"] for p in one_page_per_article(pages)] == ["a-p0", "b-p0", "authored-page"]


def test_calibration_runs_the_encoder_once_per_batch_and_predicts_as_without(trained_checkpoint, pages):
    from evaluation.predictions import predict_documents
    from training.calibrate import reused_encoder_states

    predictor = Predictor.from_pretrained(trained_checkpoint[0])
    calls = []
    encode = predictor.encode_fn
    predictor.encode_fn = lambda *tensors: calls.append(tensors[0].shape) or encode(*tensors)
    plain = predict_documents(predictor, pages[:4])
    first_pass = len(calls)
    with reused_encoder_states(predictor) as states:
        reused = [predict_documents(predictor, pages[:4]) for _ in range(3)]
        assert len(states) == first_pass
    assert len(calls) == 2 * first_pass  # the plain pass, then one more for all three passes
    assert all(r == plain for r in reused)
    predict_documents(predictor, pages[:1])
    assert len(calls) > 2 * first_pass  # outside the block the encoder runs again


def test_training_records_the_calibration_and_scores_the_dev_pages_once(trained_checkpoint):
    out, metrics = trained_checkpoint
    calibration = read_metadata(out)["calibration"]
    assert set(calibration["stance_macro_f1"]) == {"none", "chosen"}
    assert calibration["stance_macro_f1"]["chosen"] >= calibration["stance_macro_f1"]["none"]
    assert set(calibration["pair_triple_f1"]) == {"-1.0", "-0.5", "0.0", "0.5", "1.0"}
    evaluations = [h for h in read_metadata(out)["log_history"] if "eval_score" in h]
    assert len(evaluations) == 1 and evaluations[0]["eval_score"] == metrics["eval_score"]


def test_featurising_in_two_processes_gives_the_same_features(pages, tokenizer):
    from datasets import Dataset

    from training.data import featurize_dataset

    dataset = Dataset.from_list([{"paragraphs": page["paragraphs"]} for page in pages[:6]])
    one = featurize_dataset(dataset, tokenizer, None, 32, 8)
    two = featurize_dataset(dataset, tokenizer, None, 32, 8, num_proc=2)
    assert one.to_list() == two.to_list()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--kind_transition_weight", "-0.3"], "--kind_transition_weight must be 0 or more, not -0.3"),
        (["--max_tokens", "32", "--stride", "30"], "--stride 30 must be below --max_tokens 32"),
        (["--context_layers", "0"], "--context_layers 0 must be 1 or more"),
        (["--cue_line_mask", "1.5"], "--cue_line_mask 1.5 must be between 0 and 1"),
        (["--stance_cue_mask", "-0.2"], "--stance_cue_mask -0.2 must be between 0 and 1"),
        (["--stance_class_weight_power", "3"], "--stance_class_weight_power 3.0 must be between 0 and 2"),
    ],
)
def test_bad_model_flags_are_refused_before_any_work(flags, message, tmp_path):
    from training.train import main

    with pytest.raises(ValueError, match=message):
        main([*flags, "--output_dir", str(tmp_path / "never")])
    assert not (tmp_path / "never").exists()
