"""Decision offsets fitted on the dev pages after training, so that rare classes are not swallowed.

Neutral paragraphs and "no stance" pairs dominate news; a model trained with class
weights still under-predicts supportive, critical and mixed on text it has not seen. The
offsets are added to the log-probabilities before the argmax (the reported probabilities
stay the model's): one per stance value (neutral fixed at 0), chosen by a grid search for
the dev stance macro-F1, and one on the triple head's "none" class, chosen for the dev
triple F1.

The stance search tries 125 offset triples on a few hundred dev paragraphs, so it can fit
the dev pages' noise: with the default checkpoint of ``afd85f9`` it chose (supportive -0.5,
critical +1.0, mixed -0.5) for a dev gain of 0.792 → 0.799, which on text it had not seen
was a loss (authored test 0.781 → 0.764, seeds 0.485 → 0.465, real-dev 0.536 either way).
The chosen offsets are therefore kept only when they beat no offsets on resampled dev
articles (:data:`STANCE_EVIDENCE`: the lower end of a one-sided 90% bootstrap interval of
the gain is above zero); otherwise the model stays as trained. The triple offset is one
number over five values and held up on unseen text (authored test 0.321 → 0.340), so it
is taken as fitted. They are written into the checkpoint's config (``stance_logit_bias``,
``pair_none_bias``) and applied by every predictor that loads it.

``make train`` calibrates (``--calibrate``). ``python -m training.calibrate MODEL_DIR``
(``make calibrate``) fits them again on an existing checkpoint, for instance after a change
of the decoding rules, and records when and at which commit in its training metadata.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import torch

from evaluation.bootstrap import bootstrap_ci
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
STANCE_EVIDENCE = 0.9  # one-sided bootstrap confidence that fitted stance offsets beat none on dev articles


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


def _stance_rows(gold_docs: Sequence[dict], predictions: Sequence[Sequence[dict]]) -> list[tuple[str, list[float] | None]]:
    return [
        (g["stance"], p.get("stance_scores"))
        for gold, pred in zip(gold_docs, predictions, strict=True)
        for g, p in zip(gold["paragraphs"], pred, strict=True)
        if g["kind"] in BODY_KINDS and g.get("stance")
    ]


def fit_stance_bias(
    gold_docs: Sequence[dict],
    predictions: Sequence[Sequence[dict]],
    grid: Sequence[float] = STANCE_GRID,
    evidence: float = STANCE_EVIDENCE,
    samples: int = 500,
) -> list[float]:
    """Offsets for (neutral, supportive, critical, mixed) maximising the stance macro-F1 of ``predictions``.

    Ties go to the smallest total offset, so that no evidence leaves the model as trained;
    so does a best fit whose gain over no offsets does not hold on resampled dev articles
    (see the module docstring).
    """
    rows = _stance_rows(gold_docs, predictions)
    candidates: list[Sequence[float]] = [(0.0, *rest) for rest in itertools.product(grid, repeat=len(STANCES) - 1)]

    def merit(bias: Sequence[float]) -> tuple[float, float]:
        return round(_stance_macro_f1(rows, bias), 6), -sum(abs(b) for b in bias)

    chosen = max(candidates, key=merit)
    best = list(chosen)
    none = [0.0] * len(STANCES)
    if best == none:
        return best

    # pages assembled from one article share its paragraphs: the article is the unit resampled
    articles: dict[str, list[int]] = {}
    for index, document in enumerate(gold_docs):
        articles.setdefault(article_key(document, index), []).append(index)
    units = [_stance_rows([gold_docs[i] for i in unit], [predictions[i] for i in unit]) for unit in articles.values()]

    def gain(resampled_units: Sequence[list[tuple[str, list[float] | None]]], _: Sequence[object]) -> float:
        resampled = [row for unit in resampled_units for row in unit]
        return _stance_macro_f1(resampled, best) - _stance_macro_f1(resampled, none)

    interval = bootstrap_ci(units, [None] * len(units), gain, samples=samples, alpha=2 * (1 - evidence))
    low = interval[0] if interval else 0.0
    if low <= 0:
        logger.info(
            "Stance offsets %s raise the dev macro-F1 %.3f -> %.3f, but not on resampled articles "
            "(one-sided %.0f%% bound of the gain over %d articles %.3f): kept at 0",
            best,
            _stance_macro_f1(rows, none),
            _stance_macro_f1(rows, best),
            100 * evidence,
            len(units),
            low,
        )
        return none
    return best


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


def article_key(document: dict, index: int) -> str:
    """The article a dev page was assembled from (a page without one is its own article)."""
    return str(document.get("article") or document.get("id") or index)


def one_page_per_article(documents: Sequence[dict]) -> list[dict]:
    """The first page of each article (pages without an ``article`` field are their own article).

    The assembled dev set prints each article on about three pages in different chrome; the
    offsets are about the body paragraphs, which those pages share, so fitting on one page per
    article reads the same evidence in a third of the time (six prediction passes: 4 minutes
    on 538 pages on 2 cores, 46 s on 172; 34 s with :func:`reused_encoder_states`).
    """
    seen: set[str] = set()
    chosen = []
    for index, document in enumerate(documents):
        key = article_key(document, index)
        if key not in seen:
            seen.add(key)
            chosen.append(document)
    return chosen


@contextmanager
def reused_encoder_states(predictor: Predictor) -> Iterator[dict[bytes, torch.Tensor]]:
    """While active, the predictor's encoder runs once per distinct word-piece batch; yields the stored states.

    The offsets change only what follows the encoder, so the six prediction passes of a
    calibration feed it the same batches; it is most of a pass (172 dev pages on 2 cores: 9.2 s
    for the first pass, 2.7 s for each later one). The states of those pages take 151 MB, freed on exit.
    """
    encode = predictor.encode_fn
    states: dict[bytes, torch.Tensor] = {}

    def encode_once(input_ids: torch.Tensor, attention_mask: torch.Tensor, gazetteer_ids: torch.Tensor) -> torch.Tensor:
        key = hashlib.blake2b(digest_size=16)
        for tensor in (input_ids, attention_mask, gazetteer_ids):
            key.update(str(tuple(tensor.shape)).encode())
            key.update(tensor.detach().cpu().numpy().tobytes())
        digest = key.digest()
        if digest not in states:
            states[digest] = encode(input_ids, attention_mask, gazetteer_ids)
        return states[digest]

    predictor.encode_fn = encode_once
    try:
        yield states
    finally:
        predictor.encode_fn = encode
        states.clear()


def calibrate(predictor: Predictor, gold_docs: list[dict]) -> dict:
    """Fit both offsets on one page per article of ``gold_docs`` and write them into the predictor's model config.

    Returns the offsets and the dev scores they were chosen by: the stance macro-F1 without
    and with the stance offsets, and the triple F1 at each "none" offset tried.
    """
    gold_docs = one_page_per_article(gold_docs)
    with reused_encoder_states(predictor):
        predictor.decoder.stance_bias = None
        predictions = predict_documents(predictor, gold_docs)
        stance_bias = fit_stance_bias(gold_docs, predictions)
        predictor.decoder.stance_bias = stance_bias
        pair_bias, tried = fit_pair_bias(predictor, gold_docs)
    rows = _stance_rows(gold_docs, predictions)
    stance_f1 = {"none": _stance_macro_f1(rows, [0.0] * len(STANCES)), "chosen": _stance_macro_f1(rows, stance_bias)}
    predictor.model.config.stance_logit_bias = stance_bias
    predictor.model.config.pair_none_bias = pair_bias
    logger.info(
        "Calibrated on %d dev pages (one per article): stance offsets %s (dev stance macro-F1 %.3f -> %.3f), "
        "pair 'none' offset %s (dev triple F1 %s)",
        len(gold_docs),
        stance_bias,
        stance_f1["none"],
        stance_f1["chosen"],
        pair_bias,
        {k: round(v, 3) for k, v in tried.items()},
    )
    return {
        "pages": len(gold_docs),
        "stance_logit_bias": stance_bias,
        "stance_macro_f1": {k: round(v, 4) for k, v in stance_f1.items()},
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
