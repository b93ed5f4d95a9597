"""From model outputs back to labelled paragraphs: kinds, stances, actor spans and ids, triples.

Pure Python over plain lists, picklable, so that it can run in worker processes
(:mod:`models.workers`) while the model runs on the next batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from .features import EncodedDocument, decode_tags, word_spans
from .labels import BODY_KINDS, LABELS, label_of
from .linking import ActorLinker
from .registry import ActorRegistry


@dataclass
class ActorPrediction:
    start: int
    end: int
    text: str
    type: str
    actor: str | None
    probability: float


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
    actors: list[ActorPrediction] = field(default_factory=list)
    stances: list[dict] = field(default_factory=list)
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


def _can_hold_stance(actor_id: str, registry: ActorRegistry) -> bool:
    """People, organisations and states hold and receive stances; cities and regions as places do not."""
    actor = registry.get(actor_id)
    if actor is None:
        return False
    return actor.type in ("PERS", "ORG") or (len(actor_id) == 3 and actor_id.isalpha())


def infer_triples(paragraphs: Sequence[ParagraphPrediction], registry: ActorRegistry) -> None:
    """Directed stance triples from predicted stance and linked actors (a rule, not learned).

    The holder is the paragraph's first linked person or organisation (else its first
    linked state, else the previous body paragraph's holder: "وقالت في بيان…"); every
    other linked person, organisation or state that is not the holder's own affiliation
    is a target, with the paragraph's polarity. Mixed paragraphs get no triples: the rule
    cannot tell which target is praised and which criticised.
    """
    previous_holder: str | None = None
    for paragraph in paragraphs:
        if not paragraph.is_body:
            continue
        ids = [a.actor for a in paragraph.actors if a.actor and _can_hold_stance(a.actor, registry)]
        people_or_orgs = [a.actor for a in paragraph.actors if a.actor and a.type in ("PERS", "ORG") and a.actor in ids]
        holder: str | None = (people_or_orgs or ids or [previous_holder])[0]  # type: ignore[list-item]
        if paragraph.stance in ("supportive", "critical") and holder:
            holder_actor = registry.get(holder)
            affiliation = holder_actor.affiliation if holder_actor else None
            for target in dict.fromkeys(ids):
                if target not in (holder, affiliation):
                    paragraph.stances.append({"holder": holder, "target": target, "polarity": paragraph.stance})
        if holder:
            previous_holder = holder


@dataclass
class DocumentOutputs:
    """What the model said about one document, as plain lists (cheap to pickle)."""

    kind_probs: list[list[float]]  # [paragraphs, kinds]
    stance_probs: list[list[float]]  # [paragraphs, stances]
    tag_ids: dict[int, list[int]]  # chunk index → BIO id per word piece, for chunks of body paragraphs only
    tag_scores: dict[int, list[float]]


@dataclass
class Decoder:
    kinds: list[str]
    stances: list[str]
    registry: ActorRegistry
    linker: ActorLinker
    max_paragraph_chars: int | None = None

    def __post_init__(self) -> None:
        self.label_kinds = {label: [i for i, k in enumerate(self.kinds) if label_of(k) == label] for label in LABELS}
        self.body_kind_ids = {i for i, k in enumerate(self.kinds) if k in BODY_KINDS}

    def decode(self, texts: Sequence[str], doc: EncodedDocument, outputs: DocumentOutputs) -> list[ParagraphPrediction]:
        """The paragraphs of one document (``texts`` whole; actor offsets relative to the paragraph)."""
        limit = self.max_paragraph_chars
        spans_by_paragraph: dict[int, list] = {}
        for chunk, paragraph in enumerate(doc.chunk_paragraph):
            if chunk in outputs.tag_ids:
                words = word_spans(doc.token_spans[chunk], doc.word_starts[chunk])
                spans = decode_tags(words, outputs.tag_ids[chunk], outputs.tag_scores[chunk])
                spans_by_paragraph.setdefault(paragraph, []).extend(spans)
        out: list[ParagraphPrediction] = []
        for index, text in enumerate(texts):
            probs = outputs.kind_probs[index]
            kind_id = max(range(len(probs)), key=probs.__getitem__)  # the first of tied maxima, as argmax
            kind = self.kinds[kind_id]
            label = label_of(kind)
            prediction = ParagraphPrediction(
                index=index,
                start=0,
                end=len(text),
                text=text,
                label=label,
                label_probability=round(sum(probs[i] for i in self.label_kinds[label]), 4),
                kind=kind,
                kind_probability=round(probs[kind_id], 4),
                truncated=bool(limit and len(text) > limit),
            )
            if kind_id in self.body_kind_ids:
                stance = outputs.stance_probs[index]
                stance_id = max(range(len(stance)), key=stance.__getitem__)
                prediction.stance = self.stances[stance_id]
                prediction.stance_probability = round(stance[stance_id], 4)
                prediction.actors = self._actors(text, spans_by_paragraph.get(index, []))
            out.append(prediction)
        infer_triples(out, self.registry)
        return out

    def _actors(self, text: str, spans: list[tuple[int, int, str, float]]) -> list[ActorPrediction]:
        actors: list[ActorPrediction] = []
        last_end = -1
        for start, end, entity_type, score in sorted(spans):
            if start < last_end:  # the same span seen again in an overlapping chunk
                continue
            start = self.linker.trim(text, start, end)
            actors.append(ActorPrediction(start, end, text[start:end], entity_type, self.linker.link(text, start, end), round(score, 4)))
            last_end = end
        return actors
