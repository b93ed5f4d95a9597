"""Scraping noise on annotated paragraphs: lines split in two, merged, cut short, titles re-rendered.

Real pages reach us through an HTML-to-text step that breaks a paragraph at a ``<br>``,
glues two ``<p>`` together, stops mid-word where the stored page stopped, and prints the
headline again with other punctuation. Each function here takes SPEC.md paragraph dicts
and returns new ones whose actor offsets still point at the same names. The stance of a
fragment is unknown unless the whole was neutral, so it is dropped (the loss ignores it).
"""

from __future__ import annotations

import random
import re

from models.labels import stance_from_polarities

_SENTENCE_END_RE = re.compile(r"(?<=[.!؟?:،])\s+")


def _actors_within(paragraph: dict, start: int, end: int) -> list[dict]:
    """Actors lying wholly in ``[start, end)``, shifted to start at ``start``."""
    return [
        {**a, "start": a["start"] - start, "end": a["end"] - start}
        for a in paragraph.get("actors") or []
        if start <= a["start"] and a["end"] <= end
    ]


def _fragment(paragraph: dict, start: int, end: int) -> dict:
    text = paragraph["text"][start:end]
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    out = {"text": stripped, "kind": paragraph["kind"], "actors": _actors_within(paragraph, start + lead, start + lead + len(stripped))}
    if paragraph.get("stance") == "neutral":
        out |= {"stance": "neutral", "stances": []}
    return out


def _inside_actor(paragraph: dict, offset: int) -> bool:
    return any(a["start"] < offset < a["end"] for a in paragraph.get("actors") or [])


def split_paragraph(paragraph: dict, rng: random.Random) -> list[dict]:
    """The paragraph broken in two at a sentence or clause boundary, or unchanged when it has none."""
    text = paragraph["text"]
    cuts = [m.end() for m in _SENTENCE_END_RE.finditer(text) if 15 < m.start() < len(text) - 15 and not _inside_actor(paragraph, m.end())]
    if not cuts:
        return [paragraph]
    cut = rng.choice(cuts)
    return [_fragment(paragraph, 0, cut), _fragment(paragraph, cut, len(text))]


def truncate_paragraph(paragraph: dict, rng: random.Random, min_chars: int = 25) -> dict:
    """The paragraph cut mid-word, as a page excerpt ends; unchanged when it is too short to cut."""
    text = paragraph["text"]
    if len(text) < 2 * min_chars:
        return paragraph
    cut = rng.randint(min_chars, len(text) - min_chars // 2)
    while _inside_actor(paragraph, cut):
        cut += 1
    return _fragment(paragraph, 0, cut)


def merge_paragraphs(first: dict, second: dict) -> dict:
    """Two body paragraphs glued into one line (the kind of the first)."""
    shift = len(first["text"]) + 1
    actors = list(first.get("actors") or []) + [
        {**a, "start": a["start"] + shift, "end": a["end"] + shift} for a in second.get("actors") or []
    ]
    out = {"text": first["text"] + " " + second["text"], "kind": first["kind"], "actors": actors}
    if first.get("stance") is None or second.get("stance") is None:
        return out
    stances: list[str] = [first["stance"], second["stance"]]
    triples = list(
        {(t["holder"], t["target"], t["polarity"]): t for t in (first.get("stances") or []) + (second.get("stances") or [])}.values()
    )
    if triples:
        stance = stance_from_polarities({t["polarity"] for t in triples})
    else:
        evaluative = {s for s in stances if s != "neutral"}
        stance = "mixed" if len(evaluative) > 1 else next(iter(evaluative), "neutral")
    return out | {"stance": stance, "stances": triples}


def relocate(paragraph: dict, new_text: str) -> dict:
    """The paragraph with another rendering of its text; each actor is found again, in order, or dropped."""
    actors, cursor = [], 0
    for a in paragraph.get("actors") or []:
        surface = paragraph["text"][a["start"] : a["end"]]
        found = new_text.find(surface, cursor)
        if found < 0:
            continue
        actors.append({**a, "start": found, "end": found + len(surface)})
        cursor = found + len(surface)
    out = {**paragraph, "text": new_text, "actors": actors}
    if len(actors) != len(paragraph.get("actors") or []):
        out.pop("stance", None)
        out.pop("stances", None)
    return out


def title_variant(title: dict, rng: random.Random) -> dict:
    """The headline as a page prints it a second time: the same, or with its punctuation changed."""
    text = title["text"]
    variants = [
        text,
        text,
        text.replace("..", " ").replace("  ", " "),
        text.rstrip(".!؟?"),
        text.replace('"', "").replace("«", "").replace("»", ""),
        text.replace(":", " :"),
    ]
    if len(text) > 50 and rng.random() < 0.3:
        variants.append(text[: rng.randint(40, len(text) - 5)].rstrip() + "...")
    chosen = " ".join(rng.choice(variants).split())
    return title if chosen == text else relocate(title, chosen)
