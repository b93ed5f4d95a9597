"""The inference benchmark runs its systems side by side and reports ratios to the naive reference."""

import json


def test_benchmark_reports_every_system_with_ratios(trained_checkpoint, pages, tmp_path):
    from bench.inference import main

    model_dir, _ = trained_checkpoint
    pages_file = tmp_path / "pages.jsonl"
    pages_file.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pages[:4]), encoding="utf-8")
    out = tmp_path / "bench.json"
    (result,) = main(
        [
            "--model-dir", str(model_dir), "--shapes", "checkpoint", "--pages", str(pages_file), "--n-pages", "4",
            "--naive-pages", "2", "--batch-pages", "2", "--repeats", "1", "--latency-repeats", "3",
            "--precisions", "float32,bfloat16", "--out", str(out),
        ]
    )  # fmt: skip
    systems = [row["system"] for row in result["rows"]]
    assert systems[0].startswith("naive") and result["rows"][0]["ratio_to_naive"] == 1.0
    assert any(s.startswith("predictor (float32)") for s in systems) and any(s.startswith("predictor (bfloat16)") for s in systems)
    assert any(s.startswith("raw encoder") for s in systems)
    assert any("without the encoder" in s for s in systems)
    int8 = next(row for row in result["rows"] if "int8" in row["system"])
    assert 0.0 <= int8["label_agreement"] <= 1.0 and int8["vs_fp32_predictor"] > 0
    assert all(row["paragraphs_per_s"] > 0 and row["tokens_per_s"] > 0 for row in result["rows"])
    assert set(result["page_latency"]) == {"float32", "bfloat16", "onnx", "onnx-int8"}
    assert json.loads(out.read_text())[0]["rows"] == result["rows"]
