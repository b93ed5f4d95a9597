"""Scores of predicted documents against SPEC.md gold, for every task.

Predictions come as lists of :class:`models.predictor.ParagraphPrediction`-like
dicts (``kind``, ``label``, ``stance``, ``actors`` with paragraph-relative offsets,
``stances``), aligned one to one with the gold paragraphs.

Actors and stance are scored on the gold body paragraphs, end to end: a body
paragraph the model wrongly drops counts its mentions as missed and its stance
as wrong.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from models.labels import BODY_KINDS, KINDS, STANCES, label_of

NO_STANCE = "none"


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}


def class_f1(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, dict[str, float]]:
    out = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        out[label] = prf(tp, fp, fn)
    return out


def _check_aligned(gold_docs: Sequence[dict], pred_docs: Sequence[Sequence[dict]]) -> None:
    if len(gold_docs) != len(pred_docs):
        raise ValueError(f"{len(gold_docs)} gold documents but {len(pred_docs)} predicted")
    for g, p in zip(gold_docs, pred_docs, strict=True):
        if len(g["paragraphs"]) != len(p):
            raise ValueError(f"document {g.get('id')}: {len(g['paragraphs'])} gold paragraphs but {len(p)} predicted")


def score_paragraphs(gold_docs: Sequence[dict], pred_docs: Sequence[Sequence[dict]]) -> dict:
    """Body/boilerplate and kind scores, confusion matrix and leakage."""
    _check_aligned(gold_docs, pred_docs)
    gold_kinds = [p["kind"] for d in gold_docs for p in d["paragraphs"]]
    pred_kinds = [p["kind"] for d in pred_docs for p in d]
    gold_labels = [label_of(k) for k in gold_kinds]
    pred_labels = [label_of(k) for k in pred_kinds]
    per_label = class_f1(gold_labels, pred_labels, ("body", "boilerplate"))
    present = [k for k in KINDS if k in gold_kinds]
    per_kind = class_f1(gold_kinds, pred_kinds, KINDS)
    related = [p for g, p in zip(gold_kinds, pred_labels, strict=True) if g == "related"]
    body = [p for g, p in zip(gold_labels, pred_labels, strict=True) if g == "body"]
    n = max(len(gold_kinds), 1)
    return {
        "paragraphs": len(gold_kinds),
        "accuracy": sum(g == p for g, p in zip(gold_labels, pred_labels, strict=True)) / n,
        "body": per_label["body"],
        "boilerplate": per_label["boilerplate"],
        "macro_f1": (per_label["body"]["f1"] + per_label["boilerplate"]["f1"]) / 2,
        "kind_accuracy": sum(g == p for g, p in zip(gold_kinds, pred_kinds, strict=True)) / n,
        "kind_macro_f1": sum(per_kind[k]["f1"] for k in present) / max(len(present), 1),
        "per_kind": per_kind,
        "confusion": {g: dict(Counter(p for gk, p in zip(gold_kinds, pred_kinds, strict=True) if gk == g)) for g in present},
        "related_as_body": sum(p == "body" for p in related) / len(related) if related else 0.0,
        "body_lost": sum(p != "body" for p in body) / len(body) if body else 0.0,
    }


def _gold_body(gold_docs: Sequence[dict], pred_docs: Sequence[Sequence[dict]]):
    for g_doc, p_doc in zip(gold_docs, pred_docs, strict=True):
        for g, p in zip(g_doc["paragraphs"], p_doc, strict=True):
            if g["kind"] in BODY_KINDS:
                yield g, p


def score_actors(gold_docs: Sequence[dict], pred_docs: Sequence[Sequence[dict]]) -> dict | None:
    """Mention P/R/F1 (exact span and type; overlapping span and type), id accuracy on exact matches."""
    _check_aligned(gold_docs, pred_docs)
    tp = fp = fn = 0
    overlap_tp_gold = overlap_tp_pred = 0
    n_gold = n_pred = 0
    id_right = id_total = 0
    annotated = False
    for g, p in _gold_body(gold_docs, pred_docs):
        if g.get("actors") is None:
            continue
        annotated = True
        gold = {(a["start"], a["end"], a["type"]): a.get("actor") for a in g["actors"]}
        pred = {(a["start"], a["end"], a["type"]): a.get("actor") for a in (p.get("actors") or [])}
        n_gold += len(gold)
        n_pred += len(pred)
        hits = gold.keys() & pred.keys()
        tp += len(hits)
        fp += len(pred) - len(hits)
        fn += len(gold) - len(hits)
        for key in hits:
            id_total += 1
            id_right += gold[key] == pred[key]
        overlap_tp_gold += sum(any(t == pt and s < pe and ps < e for ps, pe, pt in pred) for s, e, t in gold)
        overlap_tp_pred += sum(any(t == gt and s < ge and gs < e for gs, ge, gt in gold) for s, e, t in pred)
    if not annotated:
        return None
    precision = overlap_tp_pred / n_pred if n_pred else 0.0
    recall = overlap_tp_gold / n_gold if n_gold else 0.0
    return {
        "exact": prf(tp, fp, fn),
        "overlap": {
            "precision": precision,
            "recall": recall,
            "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
            "support": n_gold,
        },
        "id_accuracy": id_right / id_total if id_total else 0.0,
        "id_matched": id_total,
    }


def score_stance(gold_docs: Sequence[dict], pred_docs: Sequence[Sequence[dict]]) -> dict | None:
    """Stance accuracy and macro-F1 over the four values; triple P/R/F1."""
    _check_aligned(gold_docs, pred_docs)
    gold: list[str] = []
    pred: list[str] = []
    directed = [0, 0, 0]  # tp, fp, fn
    undirected = [0, 0, 0]
    for g, p in _gold_body(gold_docs, pred_docs):
        if not g.get("stance"):
            continue
        gold.append(g["stance"])
        pred.append(p.get("stance") or NO_STANCE)
        gold_triples = {(t["holder"], t["target"], t["polarity"]) for t in g.get("stances") or []}
        pred_triples = {(t["holder"], t["target"], t["polarity"]) for t in p.get("stances") or []}
        for counts, (gs, ps) in (
            (directed, (gold_triples, pred_triples)),
            (
                undirected,
                ({(frozenset((h, t)), pol) for h, t, pol in gold_triples}, {(frozenset((h, t)), pol) for h, t, pol in pred_triples}),
            ),
        ):
            counts[0] += len(gs & ps)
            counts[1] += len(ps - gs)
            counts[2] += len(gs - ps)
    if not gold:
        return None
    per_class = class_f1(gold, pred, STANCES)
    present = [s for s in STANCES if s in gold]
    return {
        "paragraphs": len(gold),
        "accuracy": sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold),
        "macro_f1": sum(per_class[s]["f1"] for s in present) / len(present),
        "per_class": per_class,
        "recall": {s: per_class[s]["recall"] for s in present},
        "triples": prf(*directed),
        "triples_undirected": prf(*undirected),
    }


def score_all(gold_docs: Sequence[dict], pred_docs: Sequence[Sequence[dict]]) -> dict:
    return {
        "paragraph": score_paragraphs(gold_docs, pred_docs),
        "actors": score_actors(gold_docs, pred_docs),
        "stance": score_stance(gold_docs, pred_docs),
    }


def headline(scores: dict) -> dict[str, float]:
    """The few numbers that a training log or a gate looks at."""
    out = {
        "paragraph_macro_f1": scores["paragraph"]["macro_f1"],
        "kind_accuracy": scores["paragraph"]["kind_accuracy"],
        "kind_macro_f1": scores["paragraph"]["kind_macro_f1"],
    }
    if scores.get("actors"):
        out["actor_f1"] = scores["actors"]["exact"]["f1"]
        out["actor_id_accuracy"] = scores["actors"]["id_accuracy"]
    if scores.get("stance"):
        out["stance_macro_f1"] = scores["stance"]["macro_f1"]
        out["triple_f1"] = scores["stance"]["triples"]["f1"]
    return out
