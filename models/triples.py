"""Candidate (holder, target) pairs for the learned stance-triple classifier.

A body paragraph's actors are grouped into entities, one per registry id. Only actors
that can hold or receive a stance take part: people, organisations and states (a state's
id is its ISO alpha-3 code); cities and regions as places, and actors the registry does
not know, do not (on the authored dev pages and on real-dev, no gold triple has one, and
leaving them out raised triple precision from 0.21-0.22 to 0.28 at the same recall).
Every ordered pair of distinct entities is a candidate, and so is every pair whose holder is the *context speaker*: the first person
or organisation of the nearest earlier body paragraph that names one, when the
paragraph itself does not name it ("وقالت في بيان …" after a paragraph about Hamas is
Hamas speaking). Targets, too, are often named before: «وأدانت الخارجية الهجوم» is
about the attacker of the previous paragraph, «ورحب الأردن بالخطوة» about the actor of
the headline. So each holder of a paragraph (its own entities and the context speaker)
is also paired with the *context targets*: up to :data:`MAX_CONTEXT_TARGETS` entities of
the previous body paragraph and of the first one (the headline) that the paragraph does
not name. With gold mentions, they raise the share of gold triples that are candidates
from 50% to 68% on the authored dev pages and from 68% to 79% on real-dev (the other
targets are named later or not at all), at the price of twice as many candidates.
Readouts report a principal by his title alone («وقال المتحدث باسم الرئاسة إن الرئيس رحب …»
after a headline that names him), and the context speaker is then the spokesman: optionally
(:func:`principal_paragraphs`, the checkpoint's ``headline_holder``) the headline's speaker is an
implicit holder too, in every paragraph or only where a title stands alone.
A state named only by its adjective («السفير الروسي», :mod:`models.descriptions`) is no
mention, but SPEC.md lets it be a target: each holder is also paired with the states so
described in its paragraph (*description targets*: on the authored test pages 8% of the
gold triples, whose target the paragraph names no other way).
The model scores each candidate as no stance, supportive or critical
(:data:`PAIR_LABELS`); direction matters, so (A, B) and (B, A) are separate candidates.

The same code builds the candidates from gold mentions in training and from predicted,
linked mentions at inference, so both see pairs made the same way.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from .descriptions import described_states
from .labels import ENTITY_TYPES, POLARITIES
from .registry import ActorRegistry, is_state_id

PAIR_LABELS: tuple[str, ...] = ("none", *POLARITIES)
PAIR2ID: dict[str, int] = {label: i for i, label in enumerate(PAIR_LABELS)}
MAX_ENTITIES = 8  # per paragraph: at most 8 × 7 explicit pairs and 8 implicit ones
MAX_CONTEXT_TARGETS = 4  # per paragraph: at most 9 × 4 pairs with a target named earlier
NUM_PAIR_FEATURES = 8 + 2 * len(ENTITY_TYPES)
_ID_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")


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
    target_mention: MentionRef  # for a context target: its mention in the previous or first paragraph
    implicit: bool
    features: tuple[float, ...]
    context_target: bool = False
    description_target: bool = False  # the target is a state named by its adjective (models.descriptions)


def can_hold_stance(mention: MentionRef) -> bool:
    """A linked person or organisation, or a state (alpha-3 id) whatever the mention's type."""
    return bool(_ID_RE.match(mention.key)) and (mention.type in ("PERS", "ORG") or is_state_id(mention.key))


def _entities(mentions: Sequence[MentionRef]) -> dict[str, list[MentionRef]]:
    entities: dict[str, list[MentionRef]] = {}
    for mention in sorted(filter(can_hold_stance, mentions), key=lambda m: m.start):
        if mention.key in entities or len(entities) < MAX_ENTITIES:
            entities.setdefault(mention.key, []).append(mention)
    return entities


def _features(
    holder: list[MentionRef],
    target: list[MentionRef],
    implicit: bool,
    first_key: str,
    length: int,
    context_target: bool = False,
    description_target: bool = False,
) -> tuple[float, ...]:
    h, t = holder[0], target[0]
    same_paragraph = not implicit and not context_target
    return (
        float(implicit),
        float(context_target),
        float(implicit or (same_paragraph and h.start < t.start)),
        float(not implicit and h.key == first_key),
        min(len(holder), 3) / 3 if not implicit else 0.0,
        min(len(target), 3) / 3,
        abs(h.start - t.start) / max(length, 1) if same_paragraph else 0.0,
        float(description_target),
        *(float(h.type == entity_type) for entity_type in ENTITY_TYPES),
        *(float(t.type == entity_type) for entity_type in ENTITY_TYPES),
    )


def candidate_pairs(
    mentions: Sequence[Sequence[MentionRef] | None],
    lengths: Sequence[int],
    descriptions: Sequence[Sequence[MentionRef]] | None = None,
    principal_in: Collection[int] = (),
) -> list[PairCandidate]:
    """Candidates of every body paragraph of one document.

    ``mentions[i]`` are the actors of paragraph ``i``, or None when it is not a body
    paragraph (boilerplate neither speaks nor carries a speaker over); ``descriptions[i]``
    the states paragraph ``i`` names by their adjective (:func:`description_refs`).
    In the paragraphs ``principal_in`` (:func:`principal_paragraphs`), the *principal* (the first
    person or organisation of the first body paragraph that names one) is an implicit holder too
    where the paragraph does not name it and it is not the context speaker: official readouts
    report him unnamed («وقال المتحدث باسم الرئاسة إن الرئيس رحب …» after a headline that names him).
    """
    candidates: list[PairCandidate] = []
    speaker: MentionRef | None = None
    principal: MentionRef | None = None
    headline: dict[str, list[MentionRef]] | None = None  # entities of the first body paragraph
    previous: dict[str, list[MentionRef]] = {}  # entities of the previous body paragraph
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
        holders = {key: entities[key] for key in keys}
        if speaker is not None and speaker.key not in entities:
            for target in keys:
                features = _features([speaker], entities[target], True, first, lengths[index])
                candidates.append(PairCandidate(index, speaker.key, target, speaker, entities[target][0], True, features))
            holders[speaker.key] = [speaker]
        if index in principal_in and principal is not None and principal.key not in holders:
            for target in keys:
                features = _features([principal], entities[target], True, first, lengths[index])
                candidates.append(PairCandidate(index, principal.key, target, principal, entities[target][0], True, features))
            holders[principal.key] = [principal]
        described: dict[str, list[MentionRef]] = {}
        for ref in descriptions[index] if descriptions is not None else ():
            if ref.key not in entities and len(described) < MAX_CONTEXT_TARGETS:
                described.setdefault(ref.key, []).append(ref)
        context: dict[str, list[MentionRef]] = {}
        for earlier in (previous, headline or {}):
            for key, found in earlier.items():
                if key not in entities and key not in described and key not in context and len(context) < MAX_CONTEXT_TARGETS:
                    context[key] = found
        for holder, held in holders.items():
            implicit = holder not in entities
            for target, aimed in described.items():
                if target != holder:
                    features = _features(held, aimed, implicit, first, lengths[index], description_target=True)
                    candidates.append(PairCandidate(index, holder, target, held[0], aimed[0], implicit, features, description_target=True))
            for target, aimed in context.items():
                if target != holder:
                    features = _features(held, aimed, implicit, first, lengths[index], context_target=True)
                    candidates.append(PairCandidate(index, holder, target, held[0], aimed[0], implicit, features, context_target=True))
        speakers = [m for m in sorted(paragraph_mentions, key=lambda m: m.start) if m.type in ("PERS", "ORG") and can_hold_stance(m)]
        if speakers:
            speaker = speakers[0]
            principal = principal or speakers[0]
        if headline is None:
            headline = entities
        previous = entities
    return candidates


HEADLINE_HOLDER_MODES: tuple[str, ...] = ("off", "all", "titled")
# a principal's title standing alone: «الرئيس», «جلالة الملك», «سمو الأمير», «ولي العهد», «الأمين العام»
_PRINCIPAL_TITLE_RE = re.compile(r"(?<!\w)[وفبل]?(?:ال)?(?:رئيس|ملك|أمير|امير|سلطان|عاهل|مرشد)(?!\w)|ولي العهد|الأمين العام|سماحة القائد")
# what may stand between a title and the name it introduces: nothing, or one adjective («الرئيس المصري …»)
_NAME_FOLLOWS_RE = re.compile(r"\s*(?:\S+[يى]\s+)?")


def headline_holder_mode(value: object) -> str:
    """The checkpoint's or the command line's ``headline_holder`` as one of :data:`HEADLINE_HOLDER_MODES`
    (a boolean from an older checkpoint: True is "all")."""
    if isinstance(value, bool) or value is None:
        return "all" if value else "off"
    if value not in HEADLINE_HOLDER_MODES:
        raise ValueError(f"headline_holder is {value!r}; expected one of {', '.join(HEADLINE_HOLDER_MODES)}")
    return str(value)


def principal_paragraphs(mode: str, texts: Sequence[str], mentions: Sequence[Sequence[MentionRef] | None]) -> set[int]:
    """The body paragraphs where the headline's speaker is a candidate holder (:func:`candidate_pairs`):
    none ("off"), every one ("all"), or those that name a principal by his title alone, outside any
    mention («إن الرئيس أكد …», not «الرئيس عبد الفتاح السيسي»: "titled")."""
    mode = headline_holder_mode(mode)
    if mode == "off":
        return set()
    body = [i for i, found in enumerate(mentions) if found is not None]
    if mode == "all":
        return set(body)
    return {i for i in body if any(_title_alone(texts[i], t, mentions[i] or ()) for t in _PRINCIPAL_TITLE_RE.finditer(texts[i]))}


def _title_alone(text: str, title: re.Match, mentions: Sequence[MentionRef]) -> bool:
    """Whether a title found in ``text`` stands alone: inside no mention, and not followed by one, directly or
    after one adjective («الرئيس عبد الفتاح السيسي», «الرئيس المصري عبد الفتاح السيسي» name him)."""
    if any(m.start <= title.start() and title.end() <= m.end for m in mentions):
        return False
    following = [m.start for m in mentions if m.start >= title.end()]
    return not following or not _NAME_FOLLOWS_RE.fullmatch(text[title.end() : min(following)])


def description_refs(index: int, text: str, adjectives: dict[str, str], mentions: Sequence[MentionRef]) -> list[MentionRef]:
    """The states paragraph ``index`` names by their adjective (``adjectives``: :func:`models.descriptions.state_adjectives`),
    as targets for :func:`candidate_pairs`; an adjective inside a mention («الخارجية الروسية») is that mention's."""
    inside = [(m.start, m.end) for m in mentions]
    return [
        MentionRef(index, start, end, "LOC", state)
        for start, end, state in described_states(text, adjectives)
        if not any(s < end and start < e for s, e in inside)
    ]


def document_descriptions(
    texts: Sequence[str], mentions: Sequence[Sequence[MentionRef] | None], adjectives: dict[str, str] | None
) -> list[list[MentionRef]]:
    """:func:`description_refs` of every body paragraph of a document (``mentions[i]`` None: not body), for :func:`candidate_pairs`."""
    return [
        description_refs(i, text, adjectives, found) if adjectives and found is not None else []
        for i, (text, found) in enumerate(zip(texts, mentions, strict=True))
    ]


def own_side(registry: ActorRegistry, holder: str, target: str) -> bool:
    """Whether one actor of the pair belongs to the other (registry affiliation): a minister and his state,
    a leader and his movement.

    Such pairs are skipped at inference (the model's ``skip_own_side_pairs``): the triple head,
    seeing «وزير الخارجية الإيراني عباس عراقجي» name Iran beside its speaker, gives them a stance
    that is almost never there. Measured with the default checkpoint, of the triples it predicted
    on such pairs 1 of 15 was right on real-dev, 0 of 6 on the seeds and 16 of 320 on the authored
    test pages; gold has them for 9 of 91 triples on real-dev (a leader praising his own movement)
    and 2% on the authored pages. Training still sees them, as candidates like any other.
    """
    h, t = registry.get(holder), registry.get(target)
    return bool((h is not None and h.affiliation == target) or (t is not None and t.affiliation == holder))


def pair_label(candidate: PairCandidate, gold: Sequence[dict]) -> int:
    """The gold label of a candidate given its paragraph's gold triples (critical wins a tie)."""
    polarities = {t["polarity"] for t in gold if t["holder"] == candidate.holder and t["target"] == candidate.target}
    if "critical" in polarities:
        return PAIR2ID["critical"]
    if "supportive" in polarities:
        return PAIR2ID["supportive"]
    return PAIR2ID["none"]
