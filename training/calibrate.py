"""Decision offsets fitted on the dev pages after training, so that rare classes are not swallowed.

Neutral paragraphs and "no stance" pairs dominate news; a model trained with class
weights still under-predicts supportive, critical and mixed on text it has not seen. The
offsets are added to the log-probabilities before the argmax (the reported probabilities
stay the model's): one per stance value (neutral fixed at 0), chosen by a grid search for
the dev stance macro-F1, and one on the triple head's "none" class, chosen for the dev
triple F1. They are written into the checkpoint's config (``stance_logit_bias``,
``pair_none_bias``) and applied by every predictor that loads it.

``make train`` calibrates (``--calibrate``). ``python -m training.calibrate MODEL_DIR``
(``make calibrate``) fits them again on an existing checkpoint, for instance after a change
of the decoding rules, and records when and at which commit in its training metadata.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import math
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from evaluation.evaluate import current_commit
from evaluation.metrics import class_f1, score_stance
from evaluation.predictions import predict_documents
from models.checkpoint import load_checkpoint, write_metadata
from models.labels import BODY_KINDS, STANCES
from models.predictor import Predictor
from models.spec import read_documents

logger = logging.getLogger(__name__)

STANCE_GRID = (-0.5, 0.0, 0.5, 1.0, 1.5)
PAIR_GRID = (-1.0, -0.5, 0.0, 0.5, 1.0)


def _stance_macro_f1(rows: Sequence[tuple[str, list[float] | None]], bias: Sequence[float]) -> float:
    gold, pred = [], []
    for label, scores in rows:
        gold.append(label)
        if scores is None:  # the paragraph was not read as body: wrong whatever the offsets
            pred.append("none")
            continue
        adjusted = [math.log(max(p, 1e-12)) + b for p, b in zip(scores, bias, strict=True)]
        pred.append(STANCES[max(range(len(adjusted)), key=adjusted.__getitem__)])
    per_class = class_f1(gold, pred, STANCES)
    present = [s for s in STANCES if s in gold]
    return sum(per_class[s]["f1"] for s in present) / max(len(present), 1)


def fit_stance_bias(gold_docs: Sequence[dict], predictions: Sequence[Sequence[dict]], grid: Sequence[float] = STANCE_GRID) -> list[float]:
    """Offsets for (neutral, supportive, critical, mixed) maximising the stance macro-F1 of ``predictions``.

    Ties go to the smallest total offset, so that no evidence leaves the model as trained.
    """
    rows = [
        (g["stance"], p.get("stance_scores"))
        for gold, pred in zip(gold_docs, predictions, strict=True)
        for g, p in zip(gold["paragraphs"], pred, strict=True)
        if g["kind"] in BODY_KINDS and g.get("stance")
    ]
    candidates: list[Sequence[float]] = [(0.0, *rest) for rest in itertools.product(grid, repeat=len(STANCES) - 1)]

    def merit(bias: Sequence[float]) -> tuple[float, float]:
        return round(_stance_macro_f1(rows, bias), 6), -sum(abs(b) for b in bias)

    best = max(candidates, key=merit)
    return list(best)


def fit_pair_bias(predictor: Predictor, gold_docs: list[dict], grid: Sequence[float] = PAIR_GRID) -> tuple[float, dict[float, float]]:
    """The offset of the triple head's "none" class with the best dev triple F1 (ties: closest to 0), and every score tried."""
    scores: dict[float, float] = {}
    for bias in grid:
        predictor.pair_none_bias = bias
        stance = score_stance(gold_docs, predict_documents(predictor, gold_docs))
        scores[bias] = stance["triples"]["f1"] if stance else 0.0
    best = max(grid, key=lambda b: (round(scores[b], 6), -abs(b)))
    predictor.pair_none_bias = best
    return best, scores


def calibrate(predictor: Predictor, gold_docs: list[dict]) -> dict:
    """Fit both offsets on ``gold_docs`` and write them into the predictor's model config; returns what was chosen."""
    predictor.decoder.stance_bias = None
    stance_bias = fit_stance_bias(gold_docs, predict_documents(predictor, gold_docs))
    predictor.decoder.stance_bias = stance_bias
    pair_bias, tried = fit_pair_bias(predictor, gold_docs)
    predictor.model.config.stance_logit_bias = stance_bias
    predictor.model.config.pair_none_bias = pair_bias
    logger.info(
        "Calibrated on %d dev pages: stance offsets %s, pair 'none' offset %s (dev triple F1 %s)",
        len(gold_docs),
        stance_bias,
        pair_bias,
        tried,
    )
    return {
        "stance_logit_bias": stance_bias,
        "pair_none_bias": pair_bias,
        "pair_triple_f1": {str(k): round(v, 4) for k, v in tried.items()},
    }


def recalibrate(model_dir: str | Path, dev_file: str | Path) -> dict:
    """Fit the offsets of the checkpoint in ``model_dir`` again on ``dev_file`` and rewrite its config and metadata."""
    checkpoint = load_checkpoint(model_dir)
    documents = read_documents(dev_file, checkpoint.registry)  # SpecError (file, line, field) on bad or empty input
    predictor = Predictor(checkpoint.model, checkpoint.tokenizer, checkpoint.registry, checkpoint.linker)
    chosen = calibrate(predictor, documents)
    checkpoint.model.config.save_pretrained(checkpoint.path)
    metadata = checkpoint.metadata | {
        "calibration": chosen
        | {
            "recalibrated": {
                "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "commit": current_commit(),
                "dev": str(dev_file),
            }
        }
    }
    write_metadata(checkpoint.path, metadata)
    return chosen


def main(argv: Sequence[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("model_dir", help="a checkpoint directory (make train writes checkpoints/latest)")
    parser.add_argument("--dev", default="data/build/dev.jsonl", help="SPEC.md documents to fit on (default: the authored dev pages)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return recalibrate(args.model_dir, args.dev)


if __name__ == "__main__":
    main()
