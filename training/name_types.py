"""Learn, from the corpus's gold mentions, what a registry name found in running text is.

Two things are learned. (1) Names that are mentions of another type than their actor:

The registry types an actor (ISR is a LOC, a state), but many of its names are mentions of
an organisation: SPEC.md folds a state's bodies into the state's id, so «الموساد»,
«الجيش الإسرائيلي» or «الكرملين» are ORG mentions of LOC actors. Typing the gazetteer
feature of such a name by the actor's type tells the tagger the wrong type; this module
counts, for every (name, actor) the corpus annotates, the types its mentions carry, and
keeps the names whose clear majority type differs from the actor's. A name the corpus never
annotates takes the type its first word has across the corpus's mentions of actors of another
type («وزارة …», «الجيش …» are ORG mentions of states), where that word is clear enough.
(2) Names that are mostly common words: «المسيرة» (a drone, a march; also a TV channel),
«النصر» (victory; also a football club), «القاعدة» (a base), «هناك مستقبل» (there is a
future; also an Israeli party). Where the dictionary finds such a name often in the
corpus's body text and the annotators marked few of those places as mentions, it is typed
"O": the gazetteer feature and the dictionary then stay silent on it, and the tagger
decides from context (off by default: measured on real-dev it moved actor F1 by +0.001,
0.800 → 0.801, see the README). Both are stored in the checkpoint's registry
(``name_types``), so inference reads the same types.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable

from models.labels import BODY_KINDS
from models.registry import ActorRegistry, key_of
from models.registry_file import COMMON_WORD

logger = logging.getLogger(__name__)


def corpus_name_types(
    registry: ActorRegistry, documents: Iterable[dict], min_count: int = 2, min_share: float = 0.8
) -> dict[str, dict[str, str]]:
    """actor id → {registry name: type} for names whose gold mentions are mostly (``min_share``) of another type."""
    seen: dict[tuple[str, str], Counter] = defaultdict(Counter)
    heads: dict[tuple[str, str], Counter] = defaultdict(Counter)  # (first word, actor type) → mention types
    for document in documents:
        for paragraph in document["paragraphs"]:
            if paragraph["kind"] not in BODY_KINDS:
                continue
            for mention in paragraph.get("actors") or []:
                if mention.get("actor") and mention["actor"] in registry:
                    key = key_of(paragraph["text"][mention["start"] : mention["end"]])
                    if not key:
                        continue
                    seen[(key, mention["actor"])][mention["type"]] += 1
                    if len(key.split()) > 1:
                        heads[(key.split()[0], registry.actors[mention["actor"]].type)][mention["type"]] += 1
    learned: dict[str, dict[str, str]] = {}
    for actor in registry:
        for name in actor.names:
            key = key_of(name)
            counts = seen.get((key, actor.id))
            if not counts and len(key.split()) > 1:
                counts = heads.get((key.split()[0], actor.type))
                if counts and sum(counts.values()) < 5 * min_count:
                    continue  # a first word seen too rarely to say
            if not counts:
                continue
            entity_type, n = counts.most_common(1)[0]
            if entity_type != actor.type and n >= min_count and n / sum(counts.values()) >= min_share:
                learned.setdefault(actor.id, {})[name] = entity_type
    logger.info(
        "gazetteer: %d registry names of %d actors typed from the corpus, not by their actor (e.g. %s)",
        sum(len(v) for v in learned.values()),
        len(learned),
        ", ".join(f"{n}: {t}" for v in list(learned.values())[:2] for n, t in list(v.items())[:3]),
    )
    return learned


def corpus_common_words(
    registry: ActorRegistry, documents: Iterable[dict], min_matches: int = 8, max_share: float = 0.25
) -> dict[str, dict[str, str]]:
    """actor id → {registry name: "O"} for names found at least ``min_matches`` times in body text, at most ``max_share`` of them gold mentions."""
    found: Counter = Counter()
    marked: Counter = Counter()
    for document in documents:
        for paragraph in document["paragraphs"]:
            if paragraph["kind"] not in BODY_KINDS:
                continue
            gold = [(m["start"], m["end"]) for m in paragraph.get("actors") or []]
            for match in registry.find(paragraph["text"]):
                key = (key_of(paragraph["text"][match.start : match.end]), match.actor.id)
                found[key] += 1
                marked[key] += any(start < match.end and match.start < end for start, end in gold)
    common = {key for key, n in found.items() if n >= min_matches and marked[key] / n <= max_share}
    learned: dict[str, dict[str, str]] = {}
    for actor in registry:
        for name in actor.names:
            if (key_of(name), actor.id) in common:
                learned.setdefault(actor.id, {})[name] = COMMON_WORD
    logger.info(
        "gazetteer: %d registry names are mostly common words in the corpus and stay silent (e.g. %s)",
        sum(len(v) for v in learned.values()),
        ", ".join(n for v in list(learned.values())[:6] for n in list(v)[:1]),
    )
    return learned


def learn_name_types(registry: ActorRegistry, documents: list[dict], common_words: bool = False) -> ActorRegistry:
    """The registry with the learned name types, and (``common_words``) its common-word names silenced."""
    types = corpus_name_types(registry, documents)
    if common_words:
        for actor_id, names in corpus_common_words(registry, documents).items():
            types.setdefault(actor_id, {}).update(names)
    return registry.with_name_types(types)
