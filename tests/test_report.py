"""The evaluation report: what its tables say and which documents its stance figure draws."""

from __future__ import annotations

from evaluation.calibration import reliability
from evaluation.metrics import score_all, score_paragraphs
from evaluation.report import markdown_report, stance_network_figure, stance_networks


def _body(text: str, stance: str = "neutral", actors: list | None = None, stances: list | None = None) -> dict:
    return {"text": text, "kind": "text", "stance": stance, "actors": actors or [], "stances": stances or []}


def _triple(holder: str, target: str, polarity: str) -> dict:
    return {"holder": holder, "target": target, "polarity": polarity}


HAMAS = {"start": 0, "end": 4, "type": "ORG", "actor": "HAMAS"}
ISR = {"start": 10, "end": 17, "type": "LOC", "actor": "ISR"}
GOLD = [
    {
        "id": "page-1",
        "paragraphs": [
            {"text": "حماس تدين قصف إسرائيل لمخيم النصيرات", "kind": "title", "stance": "critical", "actors": [], "stances": []},
            _body("حماس قالت إسرائيل تتحمل المسؤولية", "critical", [HAMAS, ISR], [_triple("HAMAS", "ISR", "critical")]),
            {"text": "تابعونا على تلغرام", "kind": "ui"},
            {"text": "اقرأ أيضاً: الأمطار تغمر شوارع الإسكندرية", "kind": "related"},
        ],
    },
    {
        "id": "page-2",
        "paragraphs": [
            _body("رحبت مصر بالاتفاق وأشادت بدور قطر", "supportive", stances=[_triple("EGY", "QAT", "supportive")]),
            {"text": "حجم الخط", "kind": "ui"},
        ],
    },
]
PRED = [
    [
        {"kind": "title", "stance": "critical", "actors": [], "stances": []},
        {"kind": "text", "stance": "critical", "actors": [HAMAS, ISR], "stances": [_triple("HAMAS", "ISR", "critical")]},
        {"kind": "text", "stance": "neutral", "actors": [], "stances": [_triple("HAMAS", "ISR", "critical")]},
        {"kind": "related", "stance": "neutral", "actors": [], "stances": []},
    ],
    [
        {
            "kind": "text",
            "stance": "supportive",
            "actors": [],
            "stances": [_triple("EGY", "QAT", "supportive"), _triple("QAT", "EGY", "supportive"), _triple("EGY", "TUR", "critical")],
        },
        {"kind": "ui"},
    ],
]


def _result(ci: dict | None = None, calibration: dict | None = None) -> dict:
    model = score_all(GOLD, PRED)
    everything_body = [[{"kind": "text"} for _ in doc["paragraphs"]] for doc in GOLD]
    return {
        "name": "tiny",
        "gold": "gold.jsonl",
        "documents": len(GOLD),
        "checkpoint": "checkpoints/x",
        "base_model": {"name": "embedded", "kind": "embedded"},
        "commit": "abc1234",
        "training": {"commit": "def5678"},
        "model": model,
        "calibration": calibration,
        "ci": ci or {},
        "peers": {"paragraph": {"everything body": {"paragraph": score_paragraphs(GOLD, everything_body)}}, "actors": {}, "stance": {}},
    }


def _row(report: str, first_cell: str, after: str) -> list[str]:
    """The cells of the first table row starting with ``first_cell`` after the heading ``after``."""
    section = report[report.index(after) :]
    line = next(x for x in section.splitlines() if x.startswith(f"| {first_cell} |"))
    return [c.strip() for c in line.strip("|").split("|")]


def test_paragraph_table_gives_model_and_peer_scores_with_the_models_interval():
    result = _result(ci={"paragraph_macro_f1": [0.5, 0.9]})
    report = markdown_report(result)
    model = _row(report, "model", "## Paragraphs")
    assert model[1] == f"{result['model']['paragraph']['macro_f1']:.3f} [0.500, 0.900]"
    peer = _row(report, "everything body", "## Paragraphs")
    assert peer[1] == f"{result['peers']['paragraph']['everything body']['paragraph']['macro_f1']:.3f}"
    assert "[" not in peer[1]  # intervals are the model's only
    assert "commit `abc1234`, trained at commit `def5678`" in report


def test_stance_table_has_a_recall_column_per_gold_class_and_triple_scores():
    result = _result()
    report = markdown_report(result)
    header = _row(report, "system", "## Stance")
    stance = result["model"]["stance"]
    assert [h for h in header if h.startswith("recall")] == [f"recall {c}" for c in stance["recall"]]
    row = _row(report, "model", "## Stance")
    assert row[header.index("triple F1")] == f"{stance['triples']['f1']:.3f}"
    assert row[header.index("accuracy")] == f"{stance['accuracy']:.3f}"


def test_sections_follow_what_was_measured():
    kinds_only = [{"id": d["id"], "paragraphs": [{"text": p["text"], "kind": p["kind"]} for p in d["paragraphs"]]} for d in GOLD]
    bare = _result()
    bare["model"] = score_all(kinds_only, PRED)
    report = markdown_report(bare)
    assert "## Actors" not in report and "## Stance" not in report and "stance_network.png" not in report
    assert "## Calibration" not in report
    calibrated = markdown_report(_result(calibration=reliability([(0.95, True), (0.9, True), (0.6, False)], bins=5)))
    assert "## Calibration of the paragraph label: ECE" in calibrated
    assert "| 0.90–1.00 | 2 |" in calibrated


def test_per_kind_table_lists_only_kinds_the_gold_has():
    report = markdown_report(_result())
    section = report[report.index("## Model: per-kind F1") :]
    kinds = {line.split("|")[1].strip() for line in section.splitlines() if line.startswith("| ") and "kind" not in line}
    assert kinds == {"title", "text", "ui", "related"}


def test_stance_networks_count_paragraphs_per_edge_and_mark_gold_edges():
    networks = stance_networks(GOLD, PRED)
    assert [n.document for n in networks] == ["page-2", "page-1"]  # three predicted triples before two
    first, second = networks
    assert first.triples == 3 and first.correct == 1
    assert second.edges[("HAMAS", "ISR", "critical")] == 2  # two paragraphs, one edge
    assert second.correct == 1
    assert [n.document for n in stance_networks(GOLD, PRED, documents=1)] == ["page-2"]


def test_stance_network_figure_is_written_with_and_without_triples(tmp_path):
    stance_network_figure(GOLD, PRED, tmp_path / "net.png", "tiny")
    empty = [[{**p, "stances": []} for p in doc] for doc in PRED]
    stance_network_figure(GOLD, empty, tmp_path / "none.png", "tiny")
    for name in ("net.png", "none.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert stance_networks(GOLD, empty) == []


def test_reports_and_checkpoints_name_the_commit_and_say_when_the_checkout_differs_from_it(tmp_path, monkeypatch):
    import subprocess

    from evaluation.evaluate import current_commit

    monkeypatch.chdir(tmp_path)
    assert current_commit() is None  # not a checkout
    git = ["git", "-c", "user.email=ci@example.org", "-c", "user.name=ci"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "articles.jsonl").write_text('{"id": "a-1"}\n', encoding="utf-8")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "corpus"], check=True)
    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    assert current_commit() == sha
    (tmp_path / "new.jsonl").write_text('{"id": "b-1"}\n', encoding="utf-8")  # a file git does not hold yet
    assert current_commit() == f"{sha}-dirty"
