"""Linking a tagged span to a registry id.

The linker learns, from the training annotations, which id each surface form
meant (``موسكو`` → RUS as a government, MOSCOW as a place), keyed also on the
word before the span ("في موسكو" is the city). Surfaces never seen in training
fall back to the registry's names. It also trims a glued clitic off a predicted
span when the rest is a known name ("لحماس" → "حماس"), as SPEC.md asks.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .labels import BODY_KINDS
from .registry import FOLD, ActorRegistry, clitic_variants, contracted_article, key_of
from .text import normalize_with_offsets

_PREV_WORD_RE = re.compile(r"(\w+)\W*$")


def _previous_word(text: str, start: int) -> str:
    match = _PREV_WORD_RE.search(text[:start])
    return key_of(match.group(1)) if match else ""


@dataclass
class ActorLinker:
    registry: ActorRegistry
    surface_counts: dict[str, Counter] = field(default_factory=dict)
    context_counts: dict[str, Counter] = field(default_factory=dict)

    # ------------------------------------------------------------------ learning
    def fit(self, documents: Iterable[dict]) -> ActorLinker:
        """Count surface → id (and previous word + surface → id) over gold body paragraphs."""
        surface: dict[str, Counter] = defaultdict(Counter)
        context: dict[str, Counter] = defaultdict(Counter)
        for document in documents:
            for paragraph in document["paragraphs"]:
                if paragraph["kind"] not in BODY_KINDS:
                    continue
                for mention in paragraph.get("actors") or []:
                    if mention.get("actor") is None:
                        continue
                    text = paragraph["text"]
                    key = key_of(text[mention["start"] : mention["end"]])
                    surface[key][mention["actor"]] += 1
                    context[_previous_word(text, mention["start"]) + "|" + key][mention["actor"]] += 1
        self.surface_counts = dict(surface)
        self.context_counts = dict(context)
        return self

    def known(self, surface: str) -> bool:
        return key_of(surface) in self.surface_counts or self.registry.has_name(surface)

    # ------------------------------------------------------------------ linking
    def trim(self, text: str, start: int, end: int) -> int:
        """New start of a span whose first word carries a clitic that is not part of the name."""
        span = text[start:end]
        if self.known(span):
            return start
        normalized, origin = normalize_with_offsets(span)  # offsets back to the span; folding keeps them
        key = normalized.translate(FOLD)
        first = key.split(" ", 1)[0]
        for strip, form in sorted(clitic_variants(first)):  # the shortest clitic first: «والحوثيين» → «الحوثيين», not «حوثيين»
            if self.known(form + key[len(first) :]):
                return start + origin[strip]
        return start

    def link(self, text: str, start: int, end: int, entity_type: str | None = None) -> str | None:
        """The registry id meant by ``text[start:end]``, or None.

        A span that starts after the ل of a contraction («لقدس» in «للقدس») is looked up as
        the name with its article («القدس») when only that form is known. Given the tagger's
        ``entity_type``, a person's mention prefers a person's id and any other mention an
        id that is not a person («الحوثي» the leader, or the movement), among the ids its
        surface had in training or has in the registry.
        """
        key = key_of(text[start:end])
        restored = contracted_article(key)
        if restored and not self.known(key) and self.known(restored):
            key = restored
        for counts in (self.context_counts.get(_previous_word(text, start) + "|" + key), self.surface_counts.get(key)):
            if counts:
                return self._pick([actor_id for actor_id, _ in counts.most_common()], entity_type)
        candidates = self.registry.candidates(key)
        return self._pick(candidates, entity_type) if candidates else None

    def _pick(self, ranked: list[str], entity_type: str | None) -> str:
        """The first id of ``ranked`` whose actor fits the mention's type (person or not), else the first."""
        if entity_type is not None:
            for actor_id in ranked:
                actor = self.registry.get(actor_id)
                if actor is not None and (actor.type == "PERS") == (entity_type == "PERS"):
                    return actor_id
        return ranked[0]

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict:
        return {
            "surface_counts": {k: dict(v) for k, v in sorted(self.surface_counts.items())},
            "context_counts": {k: dict(v) for k, v in sorted(self.context_counts.items())},
        }

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=0) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path, registry: ActorRegistry) -> ActorLinker:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(
            registry,
            {k: Counter(v) for k, v in data["surface_counts"].items()},
            {k: Counter(v) for k, v in data["context_counts"].items()},
        )
