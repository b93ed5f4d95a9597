"""From model outputs back to labelled paragraphs and a document summary.

Pure Python over plain lists, picklable, so that it can run in worker processes
(:mod:`models.workers`) while the model runs on the next batch. Actors and triples
arrive already decoded (:mod:`models.actors`, the triple head); this module assembles
each paragraph's answer and the per-document picture: its actors and its stance network.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from .actors import ActorPrediction
from .labels import BODY_KINDS, LABELS, label_of
from .registry import ActorRegistry
from .text import Paragraph


@dataclass
class ParagraphPrediction:
    index: int
    start: int
    end: int
    text: str
    label: str
    label_probability: float
    kind: str
    kind_probability: float
    stance: str | None = None
    stance_probability: float | None = None
    stance_scores: list[float] | None = None  # the probability of every stance value, in the model's order
    actors: list[ActorPrediction] = field(default_factory=list)
    stances: list[dict] = field(default_factory=list)  # holder, target, polarity, probability
    truncated: bool = False  # the model saw only the first ``max_paragraph_chars`` characters

    @property
    def is_body(self) -> bool:
        return self.label == "body"


@dataclass
class DocumentPrediction:
    paragraphs: list[ParagraphPrediction]
    body_text: str
    actors: list[dict]
    stance_summary: dict

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class DocumentOutputs:
    """What the model said about one document, as plain lists (cheap to pickle)."""

    kind_probs: list[list[float]]  # [paragraphs, kinds]
    stance_probs: list[list[float]]  # [paragraphs, stances]
    actors: dict[int, list[ActorPrediction]]  # body paragraph → its actors (paragraph-relative offsets)
    triples: dict[int, list[dict]]  # body paragraph → its stance triples
    # body paragraph → polarity → the candidate pair most likely of that polarity (see reconcile_triples)
    reserve: dict[int, dict[str, dict]] = field(default_factory=dict)
    # the page's kind path (models.kind_path); None: each paragraph's likeliest kind
    kind_ids: list[int] | None = None


def _argmax(values: Sequence[float]) -> int:
    return max(range(len(values)), key=values.__getitem__)  # the first of tied maxima, as torch.argmax


@dataclass
class Decoder:
    kinds: list[str]
    stances: list[str]
    max_paragraph_chars: int | None = None
    stance_bias: list[float] | None = None  # added to the stance log-probabilities before the argmax (calibration)
    triples_follow_stance: bool = True  # see reconcile_triples

    def __post_init__(self) -> None:
        self.label_kinds = {label: [i for i, k in enumerate(self.kinds) if label_of(k) == label] for label in LABELS}
        self.body_kind_ids = {i for i, k in enumerate(self.kinds) if k in BODY_KINDS}

    def decode(self, texts: Sequence[str], outputs: DocumentOutputs) -> list[ParagraphPrediction]:
        """The paragraphs of one document (``texts`` whole; actor offsets relative to the paragraph)."""
        limit = self.max_paragraph_chars
        out: list[ParagraphPrediction] = []
        for index, text in enumerate(texts):
            probs = outputs.kind_probs[index]
            kind_id = outputs.kind_ids[index] if outputs.kind_ids is not None else _argmax(probs)
            label = label_of(self.kinds[kind_id])
            prediction = ParagraphPrediction(
                index=index,
                start=0,
                end=len(text),
                text=text,
                label=label,
                label_probability=round(sum(probs[i] for i in self.label_kinds[label]), 4),
                kind=self.kinds[kind_id],
                kind_probability=round(probs[kind_id], 4),
                truncated=bool(limit and len(text) > limit),
            )
            if kind_id in self.body_kind_ids:
                stance = outputs.stance_probs[index]
                bias = self.stance_bias or [0.0] * len(stance)
                stance_id = _argmax([math.log(max(p, 1e-12)) + b for p, b in zip(stance, bias, strict=True)])
                prediction.stance = self.stances[stance_id]
                prediction.stance_probability = round(stance[stance_id], 4)
                prediction.stance_scores = [round(p, 4) for p in stance]
                prediction.actors = outputs.actors.get(index, [])
                prediction.stances = outputs.triples.get(index, [])
                if self.triples_follow_stance:
                    prediction.stances = reconcile_triples(prediction.stance, prediction.stances, outputs.reserve.get(index, {}))
            out.append(prediction)
        return out


def reconcile_triples(stance: str, triples: list[dict], reserve: dict[str, dict]) -> list[dict]:
    """A paragraph's triples made to agree with its stance, as SPEC.md defines one by the other.

    A neutral paragraph attributes no stance: no triples. A supportive or critical one has
    at least one triple of its polarity, a mixed one one of each: where the triple head left
    a polarity out, its most likely candidate pair of that polarity is added (``reserve``;
    none when the paragraph has no candidate pair). Real news mostly carries one triple per
    evaluative paragraph, which the head, trained on authored text, under-predicts.
    """
    if stance == "neutral":
        return []
    needed = {"supportive", "critical"} if stance == "mixed" else {stance}
    out = list(triples)
    for polarity in sorted(needed - {t["polarity"] for t in triples}):
        if polarity in reserve:
            out.append(reserve[polarity])
    return out


def summarize_document(paragraphs: Sequence[Paragraph], labelled: list[ParagraphPrediction], registry: ActorRegistry) -> DocumentPrediction:
    """Offsets into the whole text, the body text, and the document's actors and stance network.

    The network lists every (holder, target, polarity) with the number of paragraphs that
    carry it and the holder's and target's English names where the registry has them.
    """
    mentions: dict[str, dict] = {}
    triples: Counter = Counter()
    stance_counts: Counter = Counter()
    for paragraph, prediction in zip(paragraphs, labelled, strict=True):
        prediction.start, prediction.end = paragraph.start, paragraph.end
        for actor in prediction.actors:
            actor.start += paragraph.start
            actor.end += paragraph.start
            key = actor.actor or actor.text
            entry = mentions.setdefault(key, {"actor": actor.actor, "type": actor.type, "name_en": None, "mentions": 0, "surfaces": []})
            entry["mentions"] += 1
            if actor.text not in entry["surfaces"]:
                entry["surfaces"].append(actor.text)
            registered = registry.get(actor.actor) if actor.actor else None
            if registered:
                entry["name_en"] = registered.name_en
        if prediction.is_body and prediction.stance:
            stance_counts[prediction.stance] += 1
        for triple in prediction.stances:
            triples[(triple["holder"], triple["target"], triple["polarity"])] += 1

    def name(actor_id: str) -> str | None:
        registered = registry.get(actor_id)
        return registered.name_en if registered else None

    summary = {
        "paragraphs": dict(stance_counts),
        "triples": [
            {"holder": h, "target": t, "polarity": p, "paragraphs": n, "holder_name": name(h), "target_name": name(t)}
            for (h, t, p), n in triples.most_common()
        ],
    }
    body_text = "\n\n".join(p.text for p in labelled if p.is_body)
    actors = sorted(mentions.values(), key=lambda e: -e["mentions"])
    return DocumentPrediction(labelled, body_text, actors, summary)
