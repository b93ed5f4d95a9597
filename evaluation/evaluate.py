"""Evaluate a checkpoint against peers on a gold file: ``python -m evaluation.evaluate`` (``make eval-real``).

    python -m evaluation.evaluate --gold ../shared/eval/real-dev.jsonl --name real-dev   # real pages (make eval-real)
    python -m evaluation.evaluate --model-dir checkpoints/latest                         # authored test split (make eval)
    python -m evaluation.evaluate --gold ../shared/eval/seeds-gold.jsonl --name seeds    # any SPEC.md gold

Writes ``reports/<name>/metrics.json``, ``report.md``, ``confusion.png``,
``per_kind_f1.png``, ``reliability.png`` (calibration of the paragraph label) and
``stance_network.png`` (the predicted stance network of a few documents). A gold file
with kinds only scores the paragraph task only.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
from pathlib import Path

from tqdm import tqdm

from models.checkpoint import DEFAULT_MODEL_DIR, read_metadata
from models.onnx_encoder import BACKENDS
from models.precision import PRECISIONS
from models.predictor import Predictor
from models.spec import read_documents

from .bootstrap import bootstrap_ci
from .calibration import label_confidences, reliability, reliability_figure
from .metrics import score_actors, score_all, score_paragraphs, score_stance
from .peers import PARAGRAPH_PEERS, dictionary_actors, lexicon_stance, rule_triples
from .predictions import predict_documents
from .report import confusion_figure, markdown_report, per_kind_figure, stance_network_figure

logger = logging.getLogger(__name__)


def current_commit() -> str | None:
    """The git commit the code and data are at, "-dirty" when the checkout has changes git does not hold
    (edited or new files: a run on them is not reproducible from the commit); None outside a checkout."""
    try:
        found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5, check=True)
        changes = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = found.stdout.strip()
    return (commit + "-dirty" if changes.stdout.strip() else commit) or None


def run_peer(fn, gold: list[dict], name: str) -> list[list[dict]]:
    return [fn([p["text"] for p in d["paragraphs"]]) for d in tqdm(gold, desc=name, unit="doc")]


def evaluate(
    model_dir: str | Path,
    gold_path: str | Path,
    name: str,
    out_root: Path = Path("reports"),
    peers: bool = True,
    bootstrap: int = 1000,
    precision: str = "float32",
    backend: str = "torch",
) -> dict:
    gold = read_documents(gold_path)
    predictor = Predictor.from_pretrained(model_dir, precision=precision, backend=backend)
    predictions = predict_documents(predictor, gold, progress=True)
    model_scores = score_all(gold, predictions)
    ci = {}
    if bootstrap:
        ci["paragraph_macro_f1"] = bootstrap_ci(gold, predictions, lambda g, p: score_paragraphs(g, p)["macro_f1"], bootstrap)
        if model_scores["actors"]:
            ci["actor_f1"] = bootstrap_ci(gold, predictions, lambda g, p: (score_actors(g, p) or {}).get("exact", {}).get("f1"), bootstrap)
            ci["actor_id_accuracy"] = bootstrap_ci(gold, predictions, lambda g, p: (score_actors(g, p) or {}).get("id_accuracy"), bootstrap)
        if model_scores["stance"]:
            ci["stance_macro_f1"] = bootstrap_ci(gold, predictions, lambda g, p: (score_stance(g, p) or {}).get("macro_f1"), bootstrap)
            ci["triple_f1"] = bootstrap_ci(
                gold, predictions, lambda g, p: (score_stance(g, p) or {}).get("triples", {}).get("f1"), bootstrap
            )
        ci["kind_macro_f1"] = bootstrap_ci(gold, predictions, lambda g, p: score_paragraphs(g, p)["kind_macro_f1"], bootstrap)
    peer_scores: dict = {"paragraph": {}, "actors": {}, "stance": {}}
    if peers:
        for peer_name, fn in PARAGRAPH_PEERS.items():
            peer_scores["paragraph"][peer_name] = {"paragraph": score_paragraphs(gold, run_peer(fn, gold, peer_name))}
        if model_scores["actors"]:
            dictionary = run_peer(dictionary_actors(predictor.registry), gold, "registry dictionary")
            peer_scores["actors"]["registry dictionary"] = {"actors": score_actors(gold, dictionary)}
        if model_scores["stance"]:
            lexicon = run_peer(lexicon_stance, gold, "stance lexicon")
            peer_scores["stance"]["stance lexicon"] = {"stance": score_stance(gold, lexicon)}
            ruled = [rule_triples(doc, predictor.registry) for doc in predictions]
            peer_scores["stance"]["model stance + triple rule"] = {"stance": score_stance(gold, ruled)}
    calibration = reliability(label_confidences(gold, predictions))
    metadata = read_metadata(model_dir)
    result = {
        "name": name,
        "gold": str(gold_path),
        "documents": len(gold),
        "checkpoint": str(model_dir),
        "base_model": predictor.base_model,
        "runtime": predictor.runtime,
        "commit": current_commit(),
        "training": {k: metadata.get(k) for k in ("finished_at", "train_seconds", "commit", "arguments")},
        "model": model_scores,
        "calibration": calibration,
        "ci": {k: list(v) for k, v in ci.items() if v},
        "peers": peer_scores,
    }
    out = out_root / name
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    confusion_figure(model_scores["paragraph"]["confusion"], out / "confusion.png", f"{name}: kind confusion (model)")
    per_kind_figure({"model": model_scores} | peer_scores["paragraph"], out / "per_kind_f1.png", f"{name}: per-kind F1")
    reliability_figure(calibration, out / "reliability.png", f"{name}: paragraph label")
    if model_scores["stance"]:
        stance_network_figure(gold, predictions, out / "stance_network.png", f"{name}: predicted stance networks")
    (out / "report.md").write_text(markdown_report(result), encoding="utf-8")
    logger.info("Report written to %s", out)
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", default=DEFAULT_MODEL_DIR)
    parser.add_argument("--gold", default="data/build/test.jsonl", help="SPEC.md JSONL gold (default: the corpus test split)")
    parser.add_argument("--name", default=None, help="report name (default: the gold file's stem)")
    parser.add_argument("--out", type=Path, default=Path("reports"))
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap samples (0 to skip)")
    parser.add_argument("--precision", default="float32", choices=PRECISIONS, help="encoder number format (models.precision)")
    parser.add_argument("--backend", default="torch", choices=BACKENDS, help="encoder runtime: torch, or ONNX Runtime fp32/int8")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    result = evaluate(
        args.model_dir,
        args.gold,
        args.name or Path(args.gold).stem,
        args.out,
        not args.no_peers,
        args.bootstrap,
        precision=args.precision,
        backend=args.backend,
    )
    print(markdown_report(result))
    return result


if __name__ == "__main__":
    main()
