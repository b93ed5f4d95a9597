"""The one JSONL reader, and the calibration numbers of the evaluation report."""

import pytest

from evaluation.calibration import label_confidences, reliability, reliability_figure
from models.spec import SpecError, iter_jsonl, read_documents, read_jsonl


def test_bad_lines_are_reported_in_place_and_the_good_ones_read(tmp_path):
    path = tmp_path / "pages.jsonl"
    path.write_bytes(
        '{"id": "a", "text": "حماس ترحب"}\n'.encode()
        + b"\xff\xfe not utf-8\n"
        + b"\n"
        + b"{not json\n"
        + ("[" * 5000 + "]" * 5000 + "\n").encode()
        + '{"id": "b", "text": "موسكو"}\n'.encode()
    )
    records = list(iter_jsonl(path))
    assert [r.line for r in records] == [1, 2, 4, 5, 6]
    assert records[0].value == {"id": "a", "text": "حماس ترحب"} and records[-1].value["id"] == "b"
    assert records[1].error == f"{path}:2: not UTF-8 (byte 0)"
    assert records[2].error.startswith(f"{path}:4: invalid JSON")
    assert records[3].error is None or "nested" in records[3].error
    with pytest.raises(SpecError, match=":2: not UTF-8"):
        read_jsonl(path)


def test_read_documents_refuses_invalid_gold_naming_the_field(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text('{"id": "d", "paragraphs": [{"text": "حجم الخط", "kind": "menu"}]}\n', encoding="utf-8")
    with pytest.raises(SpecError, match=r"gold.jsonl:1: paragraphs\[0\].kind: 'menu'"):
        read_documents(path)
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(SpecError, match="no documents"):
        read_documents(path)


def test_expected_calibration_error_by_hand(tmp_path):
    gold = [{"paragraphs": [{"kind": "text"}, {"kind": "ui"}, {"kind": "text"}, {"kind": "related"}]}]
    pred = [
        [
            {"kind": "text", "label_probability": 0.95},  # right
            {"kind": "ui", "label_probability": 0.95},  # right
            {"kind": "ui", "label_probability": 0.55},  # wrong
            {"kind": "title", "label_probability": 0.65},  # wrong
        ]
    ]
    pairs = label_confidences(gold, pred)
    assert pairs == [(0.95, True), (0.95, True), (0.55, False), (0.65, False)]
    table = reliability(pairs, bins=5)
    # bins: [0.5, 0.6) one wrong at 0.55; [0.6, 0.7) one wrong at 0.65; [0.9, 1.0] two right at 0.95
    assert [(b["count"], b["accuracy"]) for b in table["bins"]] == [(1, 0.0), (1, 0.0), (2, 1.0)]
    assert table["ece"] == pytest.approx((0.55 + 0.65 + 2 * 0.05) / 4)
    reliability_figure(table, tmp_path / "r.png", "test")
    assert (tmp_path / "r.png").stat().st_size > 1000
