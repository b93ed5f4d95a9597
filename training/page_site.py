"""One page's site: the random choices that make it look like one outlet, and its chrome lines.

A :class:`PageSite` draws, once per page, what a real site fixes once for all its pages:
the outlet's name, its date format and digits, its menu bullet, its social handle, the
tags of the article; it then writes chrome lines from the vocabulary
(:class:`~training.chrome.ChromeLibrary`) with those values filled in. :class:`Line` is
one line of a page with its SPEC.md kind, and, for a body line, its annotated paragraph.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from .chrome import DATE_PREFIXES, DATE_STYLES, ChromeLibrary, Item, date_text, fill
from .corpus import Article

BULLETS = ("", "", "", "• ", "- ", "» ", "| ", "* ", "◄ ", "▪ ", "– ", "· ")
STRAY = ("-", "|", "..", "•", "…", "*", "—", "0", "/", ">")
_CAPTION_PREFIXES = (
    "",
    "",
    "",
    "الرئيس ",
    "الوزير ",
    "الرئيس الأسبق ",
    "رئيس الوزراء ",
    "المتحدث ",
    "السفير ",
    "الدكتور ",
    "اللواء ",
    "الشيخ ",
)
_CAPTION_SUFFIXES = (
    "",
    "",
    " (أرشيفية)",
    " - أرشيفية",
    " (صورة أرشيفية)",
    " - صورة أرشيفية",
    " (أرشيف)",
    "- أرشيفية",
    " - ارشيفية",
    " (ارشيف)",
)
_CAPTION_WRAPS = (("", ""), ("", ""), ("", ""), ("[ ", " ]"), ("(", ")"), ("صورة: ", ""))


@dataclass
class Line:
    text: str
    kind: str
    source: dict | None = None  # the SPEC paragraph of a body line of the main article

    @classmethod
    def body(cls, text: str, kind: str) -> Line:
        """A body line with no actor and no stance (a subheading, a photo description, a bare caption)."""
        return cls(text, kind, {"text": text, "kind": kind, "stance": "neutral", "actors": [], "stances": []})


class PageSite:
    """The random choices of one page (its site) and the means to write its chrome lines."""

    def __init__(self, library: ChromeLibrary, rng: random.Random, main: Article) -> None:
        self.library, self.rng, self.main = library, rng, main
        self.when = datetime(2019, 1, 1) + timedelta(minutes=rng.randint(0, 60 * 24 * 365 * 7))
        self.outlet = library.value("outlet", rng, "الموقع")
        self.arabic_digits = rng.random() < 0.12
        self.date_style = rng.choice(DATE_STYLES)
        self.bullet = rng.choice(BULLETS)
        self.handle = rng.choice(["news", "ar", "akhbar", "alyoum", "press", "tv", "24"]) + str(rng.randint(1, 99))
        self.tags = self._tags()

    def _tags(self) -> list[str]:
        names = [p.text[m.start : m.end] for p in self.main.paragraphs for m in p.actors]
        if self.main.title:
            names += [w.strip('"«»:،.') for w in self.main.title.text.split() if len(w) > 4][: self.rng.randint(0, 3)]
        names = list(dict.fromkeys(n for n in names if n))
        self.rng.shuffle(names)
        return names[: self.rng.randint(1, 6)] or ["أخبار"]

    def values(self) -> dict[str, str]:
        rng = self.rng
        return {
            "outlet": self.outlet,
            "author": self.library.value("author", rng, "فريق التحرير"),
            "city": self.library.value("city", rng, "القاهرة"),
            "section": self.library.value("nav", rng, "أخبار"),
            "n": str(rng.choice([rng.randint(0, 99), rng.randint(100, 9999), rng.randint(10000, 250000)])),
            "m": str(rng.randint(1, 15)),  # minutes: reading time, "منذ {m} دقيقة"
            "time": f"{rng.randint(3, 22):02d}:{rng.randint(0, 59):02d}",
            "date": self.date(),
            "year": str(self.when.year),
            "url": f"https://{self.handle}.example/{rng.randint(10000, 999999)}",
            "handle": self.handle,
            "tag": rng.choice(self.tags),
            "price": f"{rng.uniform(0.5, 5000):.2f}",
        }

    def date(self) -> str:
        style = self.date_style if self.rng.random() < 0.8 else None
        return (self.rng.choice(DATE_PREFIXES) + date_text(self.rng, self.when, style)).strip()

    def line(self, item: Item | None, bullet: str = "") -> Line | None:
        if item is None:
            return None
        text = fill(item.template, self.values(), self.arabic_digits)
        return Line((bullet + text).strip(), item.kind) if text else None

    def lines(self, role: str, k: int, bullet: str = "") -> list[Line]:
        return [x for x in (self.line(i, bullet) for i in self.library.sample(role, self.rng, k)) if x]

    def one(self, role: str) -> list[Line]:
        found = self.line(self.library.pick(role, self.rng))
        return [found] if found else []

    def name_caption(self) -> list[Line]:
        mentions = [(p.text[m.start : m.end], m) for p in self.main.paragraphs for m in p.actors if m.type in ("PERS", "ORG")]
        if not mentions:
            return []
        surface, mention = self.rng.choice(mentions)
        opening, closing = self.rng.choice(_CAPTION_WRAPS)
        prefix = opening + (self.rng.choice(_CAPTION_PREFIXES) if mention.type == "PERS" else "")
        text = prefix + surface + (closing or self.rng.choice(_CAPTION_SUFFIXES))
        source = {
            "text": text,
            "kind": "caption",
            "stance": "neutral",
            "actors": [{"start": len(prefix), "end": len(prefix) + len(surface), "type": mention.type, "actor": mention.actor}],
            "stances": [],
        }
        return [Line(text, "caption", source)]
