"""Candidate (holder, target) pairs for the learned stance-triple classifier.

A body paragraph's actors are grouped into entities, one per registry id. Only actors
that can hold or receive a stance take part: people, organisations and states (a state's
id is its ISO alpha-3 code); cities and regions as places, and actors the registry does
not know, do not (on the authored dev pages and on real-dev, no gold triple has one, and
leaving them out raised triple precision from 0.21-0.22 to 0.28 at the same recall).
Every ordered pair of distinct entities is a candidate, and so is every pair whose holder is the *context speaker*: the first person
or organisation of the nearest earlier body paragraph that names one, when the
paragraph itself does not name it ("وقالت في بيان …" after a paragraph about Hamas is
Hamas speaking). The model scores each candidate as no stance, supportive or critical
(:data:`PAIR_LABELS`); direction matters, so (A, B) and (B, A) are separate candidates.

The same code builds the candidates from gold mentions in training and from predicted,
linked mentions at inference, so both see pairs made the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .labels import ENTITY_TYPES, POLARITIES

PAIR_LABELS: tuple[str, ...] = ("none", *POLARITIES)
PAIR2ID: dict[str, int] = {label: i for i, label in enumerate(PAIR_LABELS)}
MAX_ENTITIES = 8  # per paragraph: at most 8 × 7 explicit pairs and 8 implicit ones
NUM_PAIR_FEATURES = 6 + 2 * len(ENTITY_TYPES)
_ID_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_STATE_RE = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class MentionRef:
    """One actor mention of a paragraph: character span (paragraph-relative), type and entity key."""

    paragraph: int
    start: int
    end: int
    type: str
    key: str  # the registry id, or the surface text when the actor has none


@dataclass(frozen=True)
class PairCandidate:
    paragraph: int
    holder: str
    target: str
    holder_mention: MentionRef  # for an implicit holder: its mention in the earlier paragraph
    target_mention: MentionRef
    implicit: bool
    features: tuple[float, ...]


def can_hold_stance(mention: MentionRef) -> bool:
    """A linked person or organisation, or a state (alpha-3 id) whatever the mention's type."""
    return bool(_ID_RE.match(mention.key)) and (mention.type in ("PERS", "ORG") or bool(_STATE_RE.match(mention.key)))


def _entities(mentions: Sequence[MentionRef]) -> dict[str, list[MentionRef]]:
    entities: dict[str, list[MentionRef]] = {}
    for mention in sorted(filter(can_hold_stance, mentions), key=lambda m: m.start):
        if mention.key in entities or len(entities) < MAX_ENTITIES:
            entities.setdefault(mention.key, []).append(mention)
    return entities


def _features(holder: list[MentionRef], target: list[MentionRef], implicit: bool, first_key: str, length: int) -> tuple[float, ...]:
    h, t = holder[0], target[0]
    return (
        float(implicit),
        float(implicit or h.start < t.start),
        float(not implicit and h.key == first_key),
        min(len(holder), 3) / 3 if not implicit else 0.0,
        min(len(target), 3) / 3,
        0.0 if implicit else abs(h.start - t.start) / max(length, 1),
        *(float(h.type == entity_type) for entity_type in ENTITY_TYPES),
        *(float(t.type == entity_type) for entity_type in ENTITY_TYPES),
    )


def candidate_pairs(mentions: Sequence[Sequence[MentionRef] | None], lengths: Sequence[int]) -> list[PairCandidate]:
    """Candidates of every body paragraph of one document.

    ``mentions[i]`` are the actors of paragraph ``i``, or None when it is not a body
    paragraph (boilerplate neither speaks nor carries a speaker over).
    """
    candidates: list[PairCandidate] = []
    speaker: MentionRef | None = None
    for index, paragraph_mentions in enumerate(mentions):
        if paragraph_mentions is None:
            continue
        entities = _entities(paragraph_mentions)
        keys = list(entities)
        first = keys[0] if keys else ""
        for holder in keys:
            for target in keys:
                if holder != target:
                    features = _features(entities[holder], entities[target], False, first, lengths[index])
                    candidates.append(PairCandidate(index, holder, target, entities[holder][0], entities[target][0], False, features))
        if speaker is not None and speaker.key not in entities:
            for target in keys:
                features = _features([speaker], entities[target], True, first, lengths[index])
                candidates.append(PairCandidate(index, speaker.key, target, speaker, entities[target][0], True, features))
        speakers = [m for m in sorted(paragraph_mentions, key=lambda m: m.start) if m.type in ("PERS", "ORG") and can_hold_stance(m)]
        if speakers:
            speaker = speakers[0]
    return candidates


def pair_label(candidate: PairCandidate, gold: Sequence[dict]) -> int:
    """The gold label of a candidate given its paragraph's gold triples (critical wins a tie)."""
    polarities = {t["polarity"] for t in gold if t["holder"] == candidate.holder and t["target"] == candidate.target}
    if "critical" in polarities:
        return PAIR2ID["critical"]
    if "supportive" in polarities:
        return PAIR2ID["supportive"]
    return PAIR2ID["none"]
