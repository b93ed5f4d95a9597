"""The actor registry: canonical ids, Arabic names, types and affiliations.

One JSON object maps an id to ``{"type", "name_en", "names", "affiliation"}``.
Names are matched after :func:`key_of` folding (normalisation plus the usual
Arabic spelling variation: hamzated alefs, alef maqsura, teh marbuta), so that
بوغدانوف/بوجدانوف need only be listed once each, not in every hamza variant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NoReturn

from .labels import ENTITY_TYPES
from .text import map_span, normalize_ar, normalize_with_offsets

FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
_WORD_RE = re.compile(r"\w+")  # on normalised text: letters and digits, not Arabic punctuation (، ؛ ؟)
# Clitics that may be glued to a name without being part of it (longest first).
_CLITICS = ("وبال", "وال", "بال", "فال", "كال", "ولل", "لل", "و", "ب", "ل", "ف", "ك")
_ID_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_VARIANT_CACHE_SIZE = 200_000
COMMON_WORD = "O"  # the name_types value of a name that is mostly not a mention in running text (e.g. المسيرة, النصر)
NAME_TYPES: tuple[str, ...] = (*ENTITY_TYPES, COMMON_WORD)
_KEY_RE = re.compile(r'"((?:[^"\\\n]|\\.)*)"\s*:')  # a key of a JSON object (in a registry file: an id or a field)


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


class RegistryError(ValueError):
    """The registry file is malformed; ``errors`` lists every problem, each naming the actor id and field."""

    def __init__(self, errors: str | list[str]) -> None:
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("\n".join(self.errors))


def type_name(value: object) -> str:
    """A JSON value's type as error messages name it (``null`` for None); the registry, SPEC and corpus validators share it."""
    return "null" if value is None else type(value).__name__


def registry_problems(data: object) -> list[tuple[str | None, str]]:
    """Every problem of a registry mapping, as (actor id or None, what is wrong with which field)."""
    if not isinstance(data, dict):
        return [(None, f"the registry must be a JSON object mapping ids to entries, found {type_name(data)}")]
    problems: list[tuple[str | None, str]] = []
    for actor_id, entry in data.items():
        if not isinstance(actor_id, str) or not _ID_RE.match(actor_id):
            problems.append((actor_id, f"id {actor_id!r} is not an upper-case identifier"))
        if not isinstance(entry, dict):
            problems.append((actor_id, f"the entry must be an object, found {type_name(entry)}"))
            continue
        if entry.get("type") not in ENTITY_TYPES:
            problems.append((actor_id, f"field 'type': {entry.get('type')!r} not in {ENTITY_TYPES}"))
        names = entry.get("names")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
            problems.append((actor_id, f"field 'names' must be a non-empty list of strings, found {names!r:.60}"))
        if not isinstance(entry.get("name_en", ""), str | None):
            problems.append((actor_id, f"field 'name_en' must be a string, found {type_name(entry['name_en'])}"))
        name_types = entry.get("name_types", {})
        if not isinstance(name_types, dict) or not all(isinstance(n, str) and t in NAME_TYPES for n, t in name_types.items()):
            problems.append((actor_id, f"field 'name_types' must map names to one of {NAME_TYPES}, found {name_types!r:.60}"))
        affiliation = entry.get("affiliation")
        if affiliation is not None and not isinstance(affiliation, str):
            problems.append((actor_id, f"field 'affiliation' must be an id string or null, found {type_name(affiliation)}"))
        elif affiliation is not None and affiliation not in data:
            problems.append((actor_id, f"field 'affiliation': {affiliation!r} is not in the registry"))
    return problems


def _key_lines(text: str) -> dict[str, int]:
    """Line of the first ``"KEY":`` of each key in a JSON text: where an actor id's entry starts (found cheaply, not parsed)."""
    lines: dict[str, int] = {}
    line, counted = 1, 0
    for match in _KEY_RE.finditer(text):
        line += text.count("\n", counted, match.start())
        counted = match.start()
        lines.setdefault(match.group(1), line)
    return lines


def _raise_problems(problems: list[tuple[str | None, str]], source: str, lines: dict[str, int] | None = None) -> NoReturn:
    errors = []
    for actor_id, problem in problems:
        line = lines.get(actor_id) if lines is not None and actor_id is not None else None
        where = f"{source}:{line}" if line else source
        errors.append(f"{where}: {problem}" if actor_id is None else f"{where}: {actor_id}: {problem}")
    raise RegistryError(errors)


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
            _raise_problems(problems, source)
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
        path = Path(path)
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            line = raw.count(b"\n", 0, err.start) + 1
            raise RegistryError(f"{path}:{line}: not UTF-8 (byte {err.start})") from err
        duplicates: dict[int, tuple[dict, list[str]]] = {}  # id() of a parsed object → (it, keys it holds more than once)

        def pairs_hook(pairs: list[tuple[str, object]]) -> dict:
            obj = dict(pairs)
            if len(obj) != len(pairs):
                keys = [key for key, _ in pairs]
                duplicates[id(obj)] = (obj, sorted({key for key in keys if keys.count(key) > 1}))
            return obj

        try:
            data = json.loads(text, object_pairs_hook=pairs_hook)
        except json.JSONDecodeError as err:
            raise RegistryError(f"{path}:{err.lineno}: invalid JSON: {err.msg}") from err
        except RecursionError as err:
            raise RegistryError(f"{path}: JSON nested too deeply") from err
        problems: list[tuple[str | None, str]] = [
            (key, "id given more than once; all but the last entry would be lost") for key in duplicates.get(id(data), ({}, []))[1]
        ]
        if isinstance(data, dict):
            for actor_id, entry in data.items():
                for key in duplicates.get(id(entry), ({}, []))[1]:
                    problems.append((actor_id, f"field {key!r} given more than once"))
        problems += registry_problems(data)
        if problems:
            _raise_problems(problems, str(path), _key_lines(text))
        return cls._build(data)

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

    def candidates(self, surface: str) -> list[str]:
        """Ids whose names match ``surface``, trying it bare and then without a glued clitic."""
        key = key_of(surface)
        for _, candidate in [(0, key), *clitic_variants(key)]:
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


def merge_registries(parts: Iterable[tuple[str, dict[str, dict]]]) -> dict[str, dict]:
    """Union registry parts: names are merged, type and affiliation must agree.

    Raises :class:`RegistryError` listing every disagreement, each naming the id and both files.
    """
    merged: dict[str, dict] = {}
    origin: dict[str, str] = {}
    conflicts: list[str] = []
    for source, part in parts:
        for actor_id, entry in part.items():
            if actor_id not in merged:
                merged[actor_id] = {
                    "type": entry.get("type"),
                    "name_en": entry.get("name_en", ""),
                    "names": list(entry.get("names", [])),
                    "affiliation": entry.get("affiliation"),
                }
                origin[actor_id] = source
                continue
            have = merged[actor_id]
            if entry.get("type") != have["type"]:
                conflicts.append(f"{actor_id}: type {entry.get('type')} in {source} but {have['type']} in {origin[actor_id]}")
                continue
            if have["affiliation"] is None:
                have["affiliation"] = entry.get("affiliation")
            for name in entry.get("names", []):
                if name not in have["names"]:
                    have["names"].append(name)
    if conflicts:
        raise RegistryError(conflicts)
    return dict(sorted(merged.items()))
