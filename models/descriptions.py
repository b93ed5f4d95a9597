"""States named by their adjective: «السفير الروسي», «الهجوم الإسرائيلي», «القوات الأمريكية».

SPEC.md: nationality adjectives alone are not actor mentions, but a description may be a
triple's target by id («استدعت إسرائيل السفير الروسي للاحتجاج» → ISR → RUS critical).
Such targets cannot come from the tagger's mentions, so the triple candidates
(:mod:`models.triples`) also pair each holder with the states a paragraph names this way.

The adjectives are learned from the registry rather than listed by hand: the names of a
state's bodies end in its adjective («الخارجية الروسية», «الجيش الروسي»), so an adjective
that ends at least two names of one state (and no more than a fifth as many of others),
and whose stem starts one of that state's one-word names (روسي → روسيا; which keeps out
«العسكري» and «الثوري», common to many bodies' names), names that state. Masculine and
feminine forms are read, with the clitics of :func:`~models.registry.clitic_variants`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence

from .registry import ActorRegistry, clitic_variants, key_of

_WORD_RE = re.compile(r"\w+")
MIN_NAMES = 2
MIN_SHARE = 0.8


def _masculine(word: str) -> str | None:
    """«الروسي» for a folded «الروسي» or «الروسيه»; None for a word that is no such adjective."""
    if word.endswith("يه"):
        word = word[:-1]
    return word if word.startswith("ال") and word.endswith("ي") and len(word) >= 5 else None


def _stem_starts_a_name(stem: str, names: Sequence[str]) -> bool:
    need = min(len(stem), 4)
    return any(name.startswith(stem[:need]) or stem.startswith(name[: max(need, len(name) - 1)]) for name in names if len(name) >= 3)


def state_adjectives(registry: ActorRegistry) -> dict[str, str]:
    """Folded masculine adjective with its article («الروسي») → the state's id («RUS»)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    one_word: dict[str, list[str]] = {}
    for actor in registry:
        if not actor.is_state:
            continue
        keys = [key_of(name) for name in actor.names]
        single = [k for k in keys if " " not in k]
        one_word[actor.id] = single + [k[2:] for k in single if k.startswith("ال")]  # المانيا as it is, السودان also as سودان
        for key in keys:
            words = key.split()
            adjective = _masculine(words[-1]) if len(words) >= 2 else None
            if adjective:
                counts[adjective][actor.id] += 1
    out: dict[str, str] = {}
    for adjective, by_state in counts.items():
        state, n = by_state.most_common(1)[0]
        if n >= MIN_NAMES and n >= MIN_SHARE * sum(by_state.values()) and _stem_starts_a_name(adjective[2:-1], one_word[state]):
            out[adjective] = state
    return out


def described_states(text: str, adjectives: dict[str, str]) -> list[tuple[int, int, str]]:
    """(start, end, state id) of every state adjective in ``text``, clitics left out of the span."""
    found: list[tuple[int, int, str]] = []
    for match in _WORD_RE.finditer(text):
        word = key_of(match.group())
        readings = [(0, word)] + sorted(clitic_variants(word))  # the shortest clitic first: ب + الروسي, not بال + روسي
        for n, reading in readings:
            if n and not reading.startswith("ال") and word[n - 2 : n] == "ال":  # بال + روسي: the span keeps its article
                n, reading = n - 2, "ال" + reading
            adjective = _masculine(reading)
            if adjective in adjectives:
                shift = n if len(word) == len(match.group()) else 0  # folding dropped a tatweel: keep the whole word
                found.append((match.start() + shift, match.end(), adjectives[adjective]))
                break
    return found
