"""Offline bulk classification: a JSONL file in, one batch-API item per line out, failures in place."""

import json

from models.predictor import Predictor
from serving.bulk import main
from serving.responses import to_response

PAGES = [
    "الرئيسية | أخبار\nاستقبل وزير الخارجية المصري نظيره الأردني في القاهرة لبحث التهدئة في غزة.\nإقرأ أيضاً:",
    "حجم الخط\nانتقدت حماس في بيان القرار الإسرائيلي الأخير بشأن المعابر.\nالمصدر: وكالات",
    "موسكو تستقبل وفداً من حماس\nشارك",
]


def test_bulk_file_keeps_order_and_reports_bad_lines_in_place(trained_checkpoint, tmp_path):
    model_dir, _ = trained_checkpoint
    source = tmp_path / "pages.jsonl"
    lines = [
        json.dumps({"id": "a", "text": PAGES[0]}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": 7, "text": PAGES[1]}, ensure_ascii=False),
        "",
        json.dumps({"id": "empty", "text": "   "}),
        json.dumps(["a list"]),
        json.dumps({"text": PAGES[2]}, ensure_ascii=False),
    ]
    source.write_bytes(("\n".join(lines) + "\n").encode("utf-8") + b'{"id": "s", "text": "x \\ud800"}\n' + b"\xff not utf-8\n")
    target = tmp_path / "out.jsonl"

    status = main([str(source), str(target), "--model-dir", str(model_dir), "--precision", "float32", "--batch-pages", "2"])

    items = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert status == 1  # some lines failed
    assert [i["index"] for i in items] == list(range(8))  # the blank line is skipped, not numbered
    assert [i["ok"] for i in items] == [True, False, True, False, False, True, False, False]
    assert [i["id"] for i in items] == ["a", None, "7", "empty", None, None, "s", None]
    assert items[6]["error"]["code"] == "invalid_text" and "offset 2" in items[6]["error"]["message"]
    assert items[7]["error"]["code"] == "invalid_utf8" and f"{source}:9:" in items[7]["error"]["message"]
    assert items[1]["error"]["code"] == "malformed_json" and f"{source}:2:" in items[1]["error"]["message"]
    assert items[3]["error"]["code"] == "empty_text" and f"{source}:5:" in items[3]["error"]["message"]
    assert items[4]["error"]["code"] == "invalid_document" and f"{source}:6:" in items[4]["error"]["message"]

    predictor = Predictor.from_pretrained(model_dir, precision="float32")
    for item, page in zip([items[0], items[2], items[5]], PAGES, strict=True):
        assert item["result"] == json.loads(json.dumps(to_response(predictor.predict_text(page), predictor, str(model_dir))))
        for p in item["result"]["paragraphs"]:
            assert page[p["start"] : p["end"]] == p["text"]


def test_bulk_file_of_good_pages_exits_zero(trained_checkpoint, tmp_path):
    model_dir, _ = trained_checkpoint
    source = tmp_path / "pages.jsonl"
    source.write_text("".join(json.dumps({"text": p}, ensure_ascii=False) + "\n" for p in PAGES), encoding="utf-8")
    target = tmp_path / "out.jsonl"
    assert main([str(source), str(target), "--model-dir", str(model_dir)]) == 0
    assert len(target.read_text(encoding="utf-8").splitlines()) == 3
