"""The SPEC.md response of one classified document, served by the API (single and batch routes)."""

from __future__ import annotations

from dataclasses import asdict

from models.predictor import DocumentPrediction, Predictor


def to_response(prediction: DocumentPrediction, predictor: Predictor, model_dir: str) -> dict:
    """The SPEC.md response of one document."""
    paragraphs = []
    for p in prediction.paragraphs:
        item = {
            "index": p.index,
            "start": p.start,
            "end": p.end,
            "text": p.text,
            "label": p.label,
            "label_probability": p.label_probability,
            "kind": p.kind,
            "kind_probability": p.kind_probability,
            "stance": None,
            "actors": [],
            "stances": [],
            "truncated": p.truncated,
        }
        if p.is_body:
            item["stance"] = {"label": p.stance, "probability": p.stance_probability}
            item["actors"] = [asdict(a) for a in p.actors]
            item["stances"] = p.stances
        paragraphs.append(item)
    base = predictor.base_model
    return {
        "model": {"base_model": base.get("name"), "base_kind": base.get("kind"), "model_dir": model_dir},
        "paragraphs": paragraphs,
        "document": {"body_text": prediction.body_text, "actors": prediction.actors, "stance": prediction.stance_summary},
    }
