"""Faster inference must not change the answers: precision, ONNX Runtime export, int8, and the cache."""

from __future__ import annotations

import os

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from models.onnx_encoder import OnnxEncoder, prepare_onnx_encoder
from models.precision import cpu_has_native_bf16, resolve_dtype
from models.predictor import Predictor, plan_buckets


def _labels(predictor: Predictor, pages: list[dict]) -> list[str]:
    documents = [[p["text"] for p in page["paragraphs"]] for page in pages]
    return [p.kind for doc in predictor.predict_paragraphs(documents) for p in doc]


def test_precision_names_resolve_per_device():
    assert resolve_dtype("float32", "cpu") == torch.float32
    assert resolve_dtype("bfloat16", "cpu") == torch.bfloat16
    assert resolve_dtype(torch.float16, "cpu") == torch.float16
    assert resolve_dtype("auto", "cpu") == (torch.bfloat16 if cpu_has_native_bf16() else torch.float32)
    with pytest.raises(ValueError, match="unknown precision 'int4'"):
        resolve_dtype("int4", "cpu")


def test_bfloat16_encoder_keeps_the_labels_and_reports_itself(trained_checkpoint, pages):
    model_dir, _ = trained_checkpoint
    reference = Predictor.from_pretrained(model_dir, device="cpu")
    fast = Predictor.from_pretrained(model_dir, device="cpu", precision="bfloat16")
    assert next(fast.model.encoder.parameters()).dtype == torch.bfloat16
    assert next(fast.model.kind_head.parameters()).dtype == torch.float32  # heads stay float32
    assert fast.runtime == {"device": "cpu", "backend": "torch", "precision": "bfloat16"}
    expected, got = _labels(reference, pages), _labels(fast, pages)
    assert len(expected) == len(got)
    assert sum(a == b for a, b in zip(expected, got, strict=True)) / len(expected) >= 0.9


def test_onnx_encoder_matches_torch_and_int8_keeps_the_labels(tiny_model, tokenizer, registry, pages, tmp_path):
    tiny_model.eval()
    ids = torch.tensor([[2, 40, 41, 42, 3, 0], [2, 50, 3, 0, 0, 0]])
    mask = (ids != 0).long()
    gaz = torch.zeros_like(ids)
    gaz[0, 1] = 1
    with torch.inference_mode():
        expected = tiny_model.encode(ids, mask, gaz)
    fp32 = prepare_onnx_encoder(tiny_model, "onnx", tmp_path)
    assert isinstance(fp32, OnnxEncoder)
    torch.testing.assert_close(fp32(ids, mask, gaz)[mask.bool()], expected[mask.bool()], atol=1e-4, rtol=1e-4)

    from models.linking import ActorLinker

    linker = ActorLinker(registry)
    reference = Predictor(tiny_model, tokenizer, registry, linker, device="cpu")
    int8 = Predictor(
        tiny_model,
        tokenizer,
        registry,
        linker,
        device="cpu",
        encode_fn=prepare_onnx_encoder(tiny_model, "onnx-int8", tmp_path),
        backend="onnx-int8",
    )
    assert int8.runtime["precision"] == "int8 weights"
    expected_labels, got = _labels(reference, pages), _labels(int8, pages)
    assert sum(a == b for a, b in zip(expected_labels, got, strict=True)) / len(expected_labels) >= 0.9


def test_onnx_export_is_cached_and_redone_when_the_weights_change(tiny_model, tmp_path):
    prepare_onnx_encoder(tiny_model, "onnx", tmp_path)
    graph = tmp_path / "onnx" / "encoder.onnx"
    first = graph.stat().st_mtime_ns
    os.utime(graph, ns=(first - 10**9, first - 10**9))  # make a rewrite visible whatever the clock resolution
    prepare_onnx_encoder(tiny_model, "onnx", tmp_path)
    assert graph.stat().st_mtime_ns == first - 10**9  # reused
    with torch.no_grad():
        tiny_model.encoder.encoder.layer[0].output.dense.bias.add_(1.0)
    prepare_onnx_encoder(tiny_model, "onnx", tmp_path)
    assert graph.stat().st_mtime_ns != first - 10**9  # exported again for the new weights


def test_bad_backend_choices_are_clear_errors(trained_checkpoint):
    model_dir, _ = trained_checkpoint
    with pytest.raises(ValueError, match="unknown encoder backend 'tensorrt'"):
        Predictor.from_pretrained(model_dir, backend="tensorrt")
    with pytest.raises(ValueError, match="runs on the CPU"):
        Predictor.from_pretrained(model_dir, backend="onnx-int8", device="cuda")


def test_streaming_with_featurisation_workers_gives_the_same_answers(trained_checkpoint, pages):
    model_dir, _ = trained_checkpoint
    documents = [[p["text"] for p in page["paragraphs"]] for page in pages[:7]] + [[]]
    reference = Predictor.from_pretrained(model_dir, device="cpu").predict_paragraphs(documents)
    streaming = Predictor.from_pretrained(model_dir, device="cpu", cpu_workers=2)
    try:
        streamed = list(streaming.predict_stream(iter(documents), batch_pages=3, prefetch=1))
        pooled = streaming.predict_paragraphs(documents)
    finally:
        streaming.close()
    assert streamed == reference
    assert pooled == reference
    assert streamed[-1] == []  # an empty document keeps its place


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 130), max_size=300), st.sampled_from([64, 512, 2048]), st.sampled_from([0.0, 0.2, 1.0]))
def test_buckets_cover_every_chunk_once_within_budget_and_padding(lengths, budget, max_padding):
    batches = plan_buckets(lengths, budget, max_padding)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        sizes = [lengths[i] for i in batch]
        assert sizes == sorted(sizes)
        if len(batch) > 1:
            padded = max(sizes) * len(batch)
            assert padded <= budget
            assert padded - sum(sizes) <= max_padding * padded + 1e-9


def test_a_long_chunk_does_not_stretch_a_batch_of_short_ones():
    lengths = [4] * 50 + [120]
    batches = plan_buckets(lengths, 8192, max_padding=0.2)
    assert [len(b) for b in batches] == [50, 1]
    assert plan_buckets(lengths, 8192, max_padding=1.0) == [list(range(51))]  # unbounded padding: one batch


def test_a_checkpoint_trained_with_other_cue_lists_or_features_is_refused(trained_checkpoint, tmp_path, monkeypatch, caplog):
    import json
    import shutil

    from models import cues
    from models.checkpoint import load_checkpoint

    model_dir, _ = trained_checkpoint
    copy = tmp_path / "copy"
    shutil.copytree(model_dir, copy)
    config = json.loads((copy / "config.json").read_text(encoding="utf-8"))
    assert config["cues_fingerprint"] == cues.cues_fingerprint()
    load_checkpoint(copy)  # as trained: loads

    monkeypatch.setattr(cues, "SUPPORTIVE", cues.SUPPORTIVE + ("أشاد",))  # someone edits a cue list
    with pytest.raises(ValueError, match="other cue lists"):
        load_checkpoint(copy)
    monkeypatch.undo()

    (copy / "config.json").write_text(json.dumps(config | {"paragraph_features": config["paragraph_features"] + 1}), encoding="utf-8")
    with pytest.raises(ValueError, match="paragraph features"):
        load_checkpoint(copy)

    (copy / "config.json").write_text(json.dumps({k: v for k, v in config.items() if k != "cues_fingerprint"}), encoding="utf-8")
    load_checkpoint(copy)  # older than the fingerprint: loads, and says it cannot check
    assert "no cue-list fingerprint" in caplog.text
