"""Assemble authored articles into scraped-looking pages, deterministically for a seed.

A page is the main article wrapped in one outlet's chrome (``data/chrome/outlets.json``):
menus, dates, bylines, font-size and share widgets, tags, comment forms, ads, and,
often, other articles of the same split pasted after "إقرأ أيضاً" markers or listed
as related headlines. Every line carries its SPEC.md kind, so the same sentence is
``text`` on its own page and ``related`` on another.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from .corpus import Article

_AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_MONTHS_EG = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"]
_MONTHS_LEV = [
    "كانون الثاني",
    "شباط",
    "آذار",
    "نيسان",
    "أيار",
    "حزيران",
    "تموز",
    "آب",
    "أيلول",
    "تشرين الأول",
    "تشرين الثاني",
    "كانون الأول",
]
_MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
_HIJRI_MONTHS = [
    "محرم",
    "صفر",
    "ربيع الأول",
    "ربيع الآخر",
    "جمادى الأولى",
    "جمادى الآخرة",
    "رجب",
    "شعبان",
    "رمضان",
    "شوال",
    "ذو القعدة",
    "ذو الحجة",
]
_WEEKDAYS = ["الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"]
_PLACEHOLDER_RE = re.compile(r"\{(\w+)\}")
_TAG_SEPARATORS = (" ", "، ", " | ", " - ", ", ", " ، ")
_INLINE_MARKERS = ("اقرأ أيضاً:", "إقرأ أيضا:", "اقرأ أيضا", "Related", "طالع أيضا:", "شاهد أيضاً:", "اقرأ المزيد:", "ذات صلة:")


@dataclass
class PageConfig:
    """How pages vary. Probabilities are per page unless said otherwise."""

    pages_per_article: int = 3
    p_chrome_line: float = 0.75  # each chrome line of the outlet's slots is kept with this probability
    p_no_title: float = 0.08
    p_repeat_title: float = 0.15
    p_pasted_articles: float = 0.7
    max_pasted_articles: int = 3
    p_pasted_whole: float = 0.5  # a pasted article is whole, else its first paragraphs
    p_related_list: float = 0.5
    p_inline_read_also: float = 0.2  # a "read also: <headline>" line inside the body
    p_chrome_inside_body: float = 0.15  # an ad or share line between body paragraphs
    p_bare_page: float = 0.05  # the article alone, no chrome
    p_glue: float = 0.5  # on outlets that glue, a marker is glued to the next line
    p_drop_slot: float = 0.2  # a whole chrome slot (top, after title, after body, footer) is missing
    p_second_outlet: float = 0.3  # some slots come from a second outlet's chrome (sites change templates)
    p_pasted_source: float = 0.1  # a pasted article ends with its own source line
    p_pasted_untitled: float = 0.15  # a pasted article follows its marker without its title
    p_glued_chrome: float = 0.1  # two chrome lines arrive glued into one paragraph


@dataclass
class Line:
    text: str
    kind: str
    source: dict | None = None  # the article paragraph (SPEC json) for body lines of the main article


class PageAssembler:
    def __init__(self, chrome: dict, articles: list[Article], config: PageConfig | None = None) -> None:
        self.chrome = chrome
        self.outlets = chrome["outlets"]
        self.articles = articles
        self.config = config or PageConfig()

    @classmethod
    def from_files(cls, chrome_path: str | Path, articles: list[Article], config: PageConfig | None = None) -> PageAssembler:
        return cls(json.loads(Path(chrome_path).read_text(encoding="utf-8")), articles, config)

    # ------------------------------------------------------------------ filling
    def _date(self, rng: random.Random, style: str, when: datetime) -> str:
        hour12 = when.hour % 12 or 12
        suffix = "ص" if when.hour < 12 else "م"
        weekday = _WEEKDAYS[when.weekday()]
        if style == "iso_at":
            return when.strftime("%Y-%m-%d@%H:%M:%S GMT")
        if style == "en_ordinal":
            day = when.day
            ordinal = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
            return f"{day}{ordinal}, {_MONTHS_EN[when.month - 1]} {when.year} GMT"
        if style == "ar_long":
            return f"{weekday} {when.day} {_MONTHS_EG[when.month - 1]} {when.year} - {hour12}:{when.minute:02d} {suffix}"
        if style == "ar_levant":
            return f"{weekday} {when.day} {_MONTHS_LEV[when.month - 1]} {when.year}"
        if style == "dmy_slash":
            return when.strftime("%d/%m/%Y %H:%M")
        if style == "ymd_dash":
            return when.strftime("%Y-%m-%d %H:%M")
        if style == "relative":
            return rng.choice(
                [f"منذ {rng.randint(2, 59)} دقيقة", f"منذ {rng.randint(2, 23)} ساعات", "منذ ساعة", f"منذ {rng.randint(2, 6)} أيام"]
            )
        if style == "hijri_mixed":
            return f"{weekday} {rng.randint(1, 29)} {rng.choice(_HIJRI_MONTHS)} {rng.randint(1444, 1447)} هـ - {when.day} {_MONTHS_EG[when.month - 1]} {when.year} م"
        raise ValueError(f"unknown date style {style!r}")

    def _tags(self, rng: random.Random, article: Article) -> list[str]:
        names = []
        for paragraph in article.paragraphs:
            for mention in paragraph.actors:
                names.append(paragraph.text[mention.start : mention.end])
        if article.title:  # keyword lists mix actor names with topic words of the headline
            names += [w.strip('"«»:،.') for w in article.title.text.split() if len(w) > 4][: rng.randint(0, 3)]
        names = list(dict.fromkeys(n for n in names if n))
        rng.shuffle(names)
        return names[: rng.randint(1, 5)] or [rng.choice(self.chrome["sections"])]

    def _fill(self, template: str, rng: random.Random, outlet: dict, article: Article, when: datetime) -> str:
        tags = self._tags(rng, article)
        values = {
            "outlet": outlet["name"],
            "date": self._date(rng, outlet["date_style"], when),
            "time": f"{when.hour:02d}:{when.minute:02d}",
            "city": rng.choice(self.chrome["cities"]),
            "section": rng.choice(self.chrome["sections"]),
            "views": str(rng.choice([rng.randint(0, 999), rng.randint(1000, 250000)])),
            "comments": str(rng.randint(0, 120)),
            "n": str(rng.randint(1, 12)),
            "tags": rng.choice(_TAG_SEPARATORS).join(tags),
            "tag": tags[0],
        }
        values["author"] = _PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group()), rng.choice(self.chrome["authors"]))
        text = _PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group()), template)
        if outlet.get("digits") == "arabic_indic":
            text = text.translate(_AR_DIGITS)
        return " ".join(text.split())

    def _slot(self, rng: random.Random, outlet: dict, slot: str, article: Article, when: datetime) -> list[Line]:
        lines = []
        for template, kind in outlet.get(slot, []):
            if rng.random() < self.config.p_chrome_line:
                text = self._fill(template, rng, outlet, article, when)
                if text:
                    lines.append(Line(text, kind))
        if len(lines) > 1 and rng.random() < self.config.p_glued_chrome:
            i = rng.randrange(len(lines) - 1)
            lines[i : i + 2] = [Line(lines[i].text + lines[i + 1].text, lines[i].kind)]
        return lines

    def _page_slot(self, rng: random.Random, outlets: tuple[dict, dict], slot: str, article: Article, when: datetime) -> list[Line]:
        """A slot of the page: sometimes missing, sometimes from the second outlet's template."""
        if rng.random() < self.config.p_drop_slot:
            return []
        outlet = outlets[1] if rng.random() < self.config.p_second_outlet else outlets[0]
        return self._slot(rng, outlet, slot, article, when)

    # ------------------------------------------------------------------ pieces
    def _others(self, rng: random.Random, main: Article, k: int) -> list[Article]:
        pool = [a for a in self.articles if a.id != main.id]
        return rng.sample(pool, min(k, len(pool)))

    def _pasted_article(self, rng: random.Random, outlet: dict, other: Article, when: datetime) -> list[Line]:
        lines: list[Line] = []
        marker = rng.choice(outlet["read_also"])
        title = other.title.text if other.title else other.paragraphs[0].text
        if rng.random() < self.config.p_pasted_untitled:
            lines.append(Line(marker, "related"))
        elif outlet.get("glue") and rng.random() < self.config.p_glue:
            lines.append(Line(marker + title, "related"))
        else:
            lines.append(Line(marker, "related"))
            lines.append(Line(title, "related"))
        if rng.random() < 0.3:  # the pasted article's own outlet line or date
            lines.append(
                Line(
                    rng.choice(
                        [f"{rng.choice(self.chrome['cities'])} - ", f"{outlet['name']}|", self._date(rng, outlet["date_style"], when)]
                    ).strip(),
                    "related",
                )
            )
        if rng.random() < 0.15:  # an app or follow prompt between the title and the body
            lines.extend([x for x in self._slot(rng, outlet, "after_body", other, when) if x.kind == "share"][:1])
        body = other.body
        keep = len(body) if rng.random() < self.config.p_pasted_whole else rng.randint(1, max(1, len(body) - 1))
        lines.extend(Line(p.text, "related") for p in body[:keep])
        if rng.random() < self.config.p_pasted_source:
            lines.append(
                Line(rng.choice(["المصدر: " + rng.choice(self.chrome["sections"]), "(وكالات)", f"المصدر: {outlet['name']}"]), "related")
            )
        return lines

    def _related_list(self, rng: random.Random, outlet: dict, main: Article) -> list[Line]:
        header = rng.choice(outlet["related_header"])
        bullet = outlet.get("bullet", "")
        lines = [Line(header, "related")]
        for other in self._others(rng, main, rng.randint(3, 10)):
            title = other.title.text if other.title else other.paragraphs[0].text
            if rng.random() < 0.1:
                title = title[: rng.randint(20, max(21, len(title)))].rstrip() + "..."
            lines.append(Line((bullet + title).strip(), "related"))
        return lines

    def _body(self, rng: random.Random, outlet: dict, main: Article, when: datetime) -> list[Line]:
        lines: list[Line] = []
        body = main.body
        inline_at = rng.randint(1, max(1, len(body) - 1)) if rng.random() < self.config.p_inline_read_also and len(body) > 2 else -1
        chrome_at = rng.randint(1, max(1, len(body) - 1)) if rng.random() < self.config.p_chrome_inside_body and len(body) > 2 else -1
        for i, paragraph in enumerate(body):
            if i == inline_at:
                other = self._others(rng, main, 1)[0]
                title = other.title.text if other.title else other.paragraphs[0].text
                marker = rng.choice(list(outlet["read_also"]) + list(_INLINE_MARKERS))
                glue = rng.random() < self.config.p_glue
                lines.append(Line(marker + ("" if glue else " ") + title if rng.random() < 0.8 else title, "related"))
            if i == chrome_at:
                lines.append(
                    rng.choice(
                        [Line("إعلان", "ad"), Line("Advertisement", "ad"), Line("مساحة إعلانية", "ad")]
                        + [x for x in self._slot(rng, outlet, "after_title", main, when) if x.kind in ("share", "ui")][:1]
                    )
                )
            lines.append(Line(paragraph.text, paragraph.kind, paragraph.to_json()))
        return lines

    # ------------------------------------------------------------------ pages
    def page(self, main: Article, rng: random.Random, page_id: str) -> dict:
        """One page (a SPEC.md document) showing ``main`` as its article."""
        outlet = rng.choice(self.outlets)
        outlets = (outlet, rng.choice(self.outlets))
        when = datetime(2023, 1, 1) + timedelta(minutes=rng.randint(0, 60 * 24 * 365 * 3))
        cfg = self.config
        title = [Line(main.title.text, "title", main.title.to_json())] if main.title else []
        bare = rng.random() < cfg.p_bare_page
        lines: list[Line] = []
        if not bare:
            lines += self._page_slot(rng, outlets, "top", main, when)
        if title and rng.random() >= cfg.p_no_title:
            lines += title
        if not bare:
            after_title = self._page_slot(rng, outlets, "after_title", main, when)
            lines += after_title
            if title and rng.random() < cfg.p_repeat_title:
                lines += title
        lines += self._body(rng, outlet, main, when)
        if not bare:
            lines += self._page_slot(rng, outlets, "after_body", main, when)
            if rng.random() < cfg.p_pasted_articles:
                for other in self._others(rng, main, rng.randint(1, cfg.max_pasted_articles)):
                    lines += self._pasted_article(rng, outlet, other, when)
            if rng.random() < cfg.p_related_list:
                lines += self._related_list(rng, outlet, main)
            lines += self._page_slot(rng, outlets, "footer", main, when)
        paragraphs = []
        for line in lines:
            if line.source is not None:
                paragraphs.append(dict(line.source))
            else:
                paragraphs.append({"text": line.text, "kind": line.kind})
        return {"id": page_id, "source": outlet["name"], "article": main.id, "paragraphs": paragraphs}

    def pages(self, seed: int) -> list[dict]:
        """``pages_per_article`` pages for every article, deterministic for ``seed``."""
        rng = random.Random(seed)
        out = []
        for article in self.articles:
            for n in range(self.config.pages_per_article):
                out.append(self.page(article, rng, f"{article.id}-p{n}"))
        return out


def render_text(document: dict, seed: int = 0) -> str:
    """The raw text of a page as a scraper would deliver it: lines with varied separators.

    Splitting the result with :func:`models.text.split_paragraphs` gives back the
    document's paragraphs in order.
    """
    rng = random.Random(seed)
    newline = "\r\n" if rng.random() < 0.1 else "\n"
    parts = []
    for paragraph in document["paragraphs"]:
        parts.append(rng.choice(["", "", " ", "  ", "\t"]) + paragraph["text"] + rng.choice(["", "", " "]))
        parts.append(newline * rng.choice([1, 2, 2, 3]) + (rng.choice(["", " \u00a0", " "]) + newline if rng.random() < 0.05 else ""))
    return "".join(parts)
