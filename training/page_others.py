"""Lines of other items on a page: headlines, related blocks, pasted articles.

Real pages print other items around their article: headlines of the same site's other
articles or unrelated "most read" ones, blocks of related headlines (with teasers), whole
or cut articles pasted after a read-also marker. :class:`OtherItems` writes them from
the other articles of the same split and the chrome vocabulary; every line is
``related`` (a pasted article's share row stays ``share``).
"""

from __future__ import annotations

import random

from .corpus import Article
from .page_site import BULLETS, Line, PageSite


class OtherItems:
    """``p_glue``: chance that a marker is glued to the pasted title; ``p_pasted_whole``: that an article is pasted whole."""

    def __init__(self, articles: list[Article], p_glue: float, p_pasted_whole: float) -> None:
        self.articles, self.p_glue, self.p_pasted_whole = articles, p_glue, p_pasted_whole

    def others(self, rng: random.Random, main: Article, k: int) -> list[Article]:
        pool = [a for a in self.articles if a.id != main.id]
        return rng.sample(pool, min(k, len(pool)))

    def headlines(self, page: PageSite, k: int, bullet: str = "") -> list[Line]:
        """Headlines of other items: other articles of the split, or unrelated "most read" ones."""
        out = []
        for _ in range(k):
            if page.rng.random() < 0.5 and page.library.has("headline"):
                out.extend(page.lines("headline", 1, bullet))
            else:
                other = self.others(page.rng, page.main, 1)
                if other:
                    title = (other[0].title or other[0].paragraphs[0]).text
                    if page.rng.random() < 0.1:
                        title = title[: page.rng.randint(20, max(21, len(title)))].rstrip() + "..."
                    out.append(Line((bullet + title).strip(), "related"))
        return [Line(x.text, "related") for x in out]

    def related_block(self, page: PageSite, k: int, p_header: float = 0.8) -> list[Line]:
        rng = page.rng
        header = page.one("related_header") if rng.random() < p_header else []
        bullet = rng.choice(BULLETS)
        items = self.headlines(page, k, bullet)
        if rng.random() < 0.25:  # each headline with its teaser
            items = [x for item in items for x in [item, *page.lines("teaser", 1)]]
        return [Line(x.text, "related") for x in header + items]

    def pasted_article(self, page: PageSite, other: Article) -> list[Line]:
        rng = page.rng
        marker = page.line(page.library.pick(rng.choice(["inline_marker", "related_header"]), rng))
        title = (other.title or other.paragraphs[0]).text
        lines: list[Line] = []
        if marker and rng.random() < self.p_glue:
            lines.append(Line(marker.text.rstrip() + title, "related"))
        else:
            lines += [marker] if marker else []
            if rng.random() > 0.1:
                lines.append(Line(title, "related"))
        if rng.random() < 0.12:  # the pasted article's own dateline or date, rarely its byline
            lines += rng.choice([page.one("dateline"), page.one("dateline"), [Line(page.date(), "related")], page.one("byline")])
        if rng.random() < 0.1:
            lines += page.lines("share", rng.randint(1, 3))
        body = other.body
        keep = len(body) if rng.random() < self.p_pasted_whole else rng.randint(1, max(1, len(body) - 1))
        lines += [Line(p.text, "related") for p in body[:keep]]
        if rng.random() < 0.1:
            lines += page.one("source")
        return [Line(x.text, "share" if x.kind == "share" else "related") for x in lines]
