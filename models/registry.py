"""The actor registry: canonical ids, Arabic names, types and affiliations.

One JSON object maps an id to ``{"type", "name_en", "names", "affiliation"}``.
Names are matched after :func:`key_of` folding (normalisation plus the usual
Arabic spelling variation: hamzated alefs, alef maqsura, teh marbuta), so that
بوغدانوف/بوجدانوف need only be listed once each, not in every hamza variant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from .registry_file import (
    COMMON_WORD,
    raise_problems,
    read_registry_file,
    registry_problems,
)
from .text import map_span, normalize_ar, normalize_with_offsets

FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
_WORD_RE = re.compile(r"\w+")  # on normalised text: letters and digits, not Arabic punctuation (، ؛ ؟)
# Clitics that may be glued to a name without being part of it (longest first).
_CLITICS = ("وبال", "وال", "بال", "فال", "كال", "ولل", "لل", "و", "ب", "ل", "ف", "ك")
_VARIANT_CACHE_SIZE = 200_000


def clitic_variants(word: str) -> list[tuple[int, str]]:
    """Readings of a folded word as clitic + name: (characters the clitic takes, the word without it).

    Longest clitic first. After ل the article's alef is dropped in writing (للأمم = ل + الأمم),
    so a word starting with لل also reads as its first ل plus the name with ال restored:
    (1, "الأمم") for للأمم, the span then starting at the second ل as SPEC.md's gold does.
    The one place that knows Arabic proclitics for the registry, the search and the linker.
    """
    variants: list[tuple[int, str]] = []
    for clitic in _CLITICS:
        if word.startswith(clitic) and len(word) > len(clitic) + 1:
            rest = word[len(clitic) :]
            variants.append((len(clitic), rest))
            if clitic.endswith("لل"):
                variants.append((len(clitic) - 1, "ال" + rest))
    return variants


def contracted_article(key: str) -> str | None:
    """The name a folded key reads as when its span starts after the ل of a contraction.

    SPEC.md starts the span of «للقدس» at the second ل («لقدس»), whose name is «القدس»:
    the article's alef was dropped in writing. None when the key cannot be such a span.
    """
    if key.startswith("ل") and not key.startswith(("ال", "لل")) and len(key) > 2:
        return "ا" + key
    return None


_STATE_ID_RE = re.compile(r"^[A-Z]{3}$")


def is_state_id(actor_id: str) -> bool:
    """Whether an id names a state: SPEC.md gives a state, its government and its bodies the ISO alpha-3 code."""
    return bool(_STATE_ID_RE.match(actor_id))


def key_of(surface: str) -> str:
    """The lookup key of a surface form: normalised, spelling-folded, single-spaced."""
    return " ".join(normalize_ar(surface).translate(FOLD).split())


@dataclass(frozen=True)
class Actor:
    id: str
    type: str
    name_en: str
    names: tuple[str, ...]
    affiliation: str | None = None
    # (name, type) where a mention by that name has another type than the actor's, or "O" where the
    # name is mostly a common word in running text (the dictionary search then skips it)
    name_types: tuple[tuple[str, str], ...] = ()

    @property
    def is_state(self) -> bool:
        """A state: an ISO alpha-3 id typed as a place (not an organisation with a three-letter acronym such as WHO)."""
        return self.type == "LOC" and is_state_id(self.id)


@dataclass(frozen=True)
class Match:
    """A registry name found in a text (character offsets, end exclusive), and the mention type that name has."""

    start: int
    end: int
    actor: Actor
    type: str = ""

    def __post_init__(self) -> None:
        if not self.type:
            object.__setattr__(self, "type", self.actor.type)


@dataclass
class ActorRegistry:
    actors: dict[str, Actor]
    _index: dict[str, list[str]] = field(init=False, repr=False)
    _longest_from: dict[str, int] = field(init=False, repr=False)
    _variants: dict[str, list[tuple[int, str]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._index = {}
        self._variants = {}
        self._name_type: dict[tuple[str, str], str] = {}  # (name key, actor id) → the type of a mention by that name
        self._longest_from: dict[str, int] = {}  # first word of a name → words in the longest such name
        for actor in self.actors.values():
            for name in actor.names:
                key = key_of(name)
                if not key:
                    continue
                ids = self._index.setdefault(key, [])
                if actor.id not in ids:
                    ids.append(actor.id)
                words = key.split()
                self._longest_from[words[0]] = max(self._longest_from.get(words[0], 1), len(words))
            for name, entity_type in actor.name_types:
                self._name_type[(key_of(name), actor.id)] = entity_type

    # construction -----------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict[str, dict], source: str = "<registry>") -> ActorRegistry:
        """The registry of a mapping; raises :class:`RegistryError` listing every problem (id and field)."""
        problems = registry_problems(data)
        if problems:
            raise_problems(problems, source)
        return cls._build(data)

    @classmethod
    def _build(cls, data: dict[str, dict]) -> ActorRegistry:
        actors: dict[str, Actor] = {}
        for actor_id, entry in data.items():
            names = entry["names"]
            actors[actor_id] = Actor(
                id=actor_id,
                type=entry["type"],
                name_en=entry.get("name_en", actor_id.replace("_", " ").title()),
                names=tuple(dict.fromkeys(n.strip() for n in names)),
                affiliation=entry.get("affiliation"),
                name_types=tuple(sorted((entry.get("name_types") or {}).items())),
            )
        return cls(actors)

    @classmethod
    def load(cls, path: str | Path) -> ActorRegistry:
        """The registry of a JSON file; raises :class:`RegistryError` listing every problem with its line and actor id."""
        return cls._build(read_registry_file(path))

    def to_dict(self) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for a in sorted(self.actors.values(), key=lambda a: a.id):
            out[a.id] = {"type": a.type, "name_en": a.name_en, "names": list(a.names), "affiliation": a.affiliation}
            if a.name_types:
                out[a.id]["name_types"] = dict(a.name_types)
        return out

    def with_name_types(self, name_types: dict[str, dict[str, str]]) -> ActorRegistry:
        """This registry with the mention type of some names set (actor id → {name: type or "O"}), e.g. learned from a corpus."""
        actors = dict(self.actors)
        for actor_id, types in name_types.items():
            actor = actors[actor_id]
            merged = dict(actor.name_types) | types
            actors[actor_id] = replace(actor, name_types=tuple(sorted((n, t) for n, t in merged.items() if t != actor.type)))
        return ActorRegistry(actors)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    # queries ----------------------------------------------------------------------
    def __contains__(self, actor_id: object) -> bool:
        return actor_id in self.actors

    def __len__(self) -> int:
        return len(self.actors)

    def __iter__(self) -> Iterator[Actor]:
        return iter(self.actors.values())

    def get(self, actor_id: str) -> Actor | None:
        return self.actors.get(actor_id)

    def has_name(self, surface: str) -> bool:
        """Whether ``surface`` is exactly one of the registry's names (after folding)."""
        return key_of(surface) in self._index

    def glued_clitic(self, surface: str) -> int:
        """Characters of a clitic glued to the front of a registry name in ``surface``, 0 if none.

        «لحزب الله» is ل + «حزب الله» (1); «للأهلي» is the contraction ل + «الأهلي» (1: the
        span starts at the second ل, as SPEC.md asks); a surface that is a name itself
        («لبنان», «الكرملين») has none. Counted on the folded key, so a surface with
        diacritics on its clitic may need one more character.
        """
        key = key_of(surface)
        if not key or key in self._index:
            return 0
        first, _, rest = key.partition(" ")
        for strip, form in clitic_variants(first):
            if " ".join(filter(None, (form, rest))) in self._index:
                return strip
        return 0

    def candidates(self, surface: str) -> list[str]:
        """Ids whose names match ``surface``, trying it bare, then without a glued clitic, then as the
        span of a contraction («لقدس» of «للقدس» is «القدس», see :func:`contracted_article`)."""
        key = key_of(surface)
        restored = contracted_article(key)
        for _, candidate in [(0, key), *clitic_variants(key), *([(0, restored)] if restored else [])]:
            if candidate in self._index:
                return list(self._index[candidate])
        return []

    def find(self, text: str) -> list[Match]:
        """Longest-match dictionary search for registry names in ``text``.

        Names match across whitespace only (not across punctuation). A glued clitic
        (و/ب/ل/ف/ك, or the ا of ال contracted after ل) is left out of the span, as
        SPEC.md asks of gold mentions.
        """
        normalized, origin = normalize_with_offsets(text)
        folded = normalized.translate(FOLD)  # one character for one: offsets are unchanged
        words = [(m.start(), m.end(), m.group()) for m in _WORD_RE.finditer(folded)]
        matches: list[Match] = []
        i = 0
        while i < len(words):
            found = None
            for strip, first in self._first_word_variants(words[i][2]):
                n_max = min(self._longest_from[first], len(words) - i)
                for n in range(n_max, 0, -1):
                    if n > 1 and not folded[words[i + n - 2][1] : words[i + n - 1][0]].isspace():
                        continue
                    key = " ".join([first] + [w[2] for w in words[i + 1 : i + n]])
                    ids = self._index.get(key)
                    if ids:
                        start = words[i][0] + strip
                        end = words[i + n - 1][1]
                        found = (n, map_span(origin, start, end, text), self.actors[ids[0]], key)
                        break
                if found:
                    break
            entity_type = self._name_type.get((found[3], found[2].id), found[2].type) if found else COMMON_WORD
            if found and entity_type != COMMON_WORD:
                n, (start, end), actor, _ = found
                matches.append(Match(start, end, actor, entity_type))
                i += n
            else:
                i += 1
        return matches

    def _first_word_variants(self, word: str) -> list[tuple[int, str]]:
        """(characters stripped, first word) pairs to try: the word, then without a clitic (memoised)."""
        cached = self._variants.get(word)
        if cached is not None:
            return cached
        if len(self._variants) >= _VARIANT_CACHE_SIZE:  # bounded for long-running services
            self._variants.clear()
        variants = [(strip, form) for strip, form in [(0, word), *clitic_variants(word)] if form in self._longest_from]
        self._variants[word] = variants
        return variants
