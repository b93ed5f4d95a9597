"""The model's predictions on gold documents, in the dict form the metrics read."""

from __future__ import annotations

from tqdm import tqdm

from models.predictor import ParagraphPrediction, Predictor


def as_dict(p: ParagraphPrediction) -> dict:
    """A paragraph prediction as the metrics read it (actor offsets relative to the paragraph)."""
    return {
        "kind": p.kind,
        "label": p.label,
        "label_probability": p.label_probability,
        "kind_probability": p.kind_probability,
        "stance": p.stance,
        "stance_probability": p.stance_probability,
        "stance_scores": p.stance_scores,
        "actors": [{"start": a.start, "end": a.end, "type": a.type, "actor": a.actor} for a in p.actors],
        "stances": p.stances,
    }


def predict_documents(predictor: Predictor, documents: list[dict], batch_size: int = 8, progress: bool = False) -> list[list[dict]]:
    """Predictions for SPEC.md documents, aligned one to one with their paragraphs."""
    out: list[list[dict]] = []
    starts = range(0, len(documents), batch_size)
    for i in tqdm(starts, desc="model", unit="batch", disable=not progress):
        batch = documents[i : i + batch_size]
        for labelled in predictor.predict_paragraphs([[p["text"] for p in d["paragraphs"]] for d in batch]):
            out.append([as_dict(p) for p in labelled])
    return out
