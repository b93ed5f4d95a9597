"""Assemble authored articles into scraped-looking pages, deterministically for a seed.

There are no fixed outlet templates: every page draws its own site, then its widgets, from
the chrome vocabulary (:mod:`training.chrome`) and places them around the article at
random, as the hundreds of real Arabic news sites do. A page may open on a consent banner,
a menu printed as a bullet list (twice: desktop and mobile), a ticker of other headlines,
teasers of other articles; its headline may be missing or printed up to three times; the
body may be interrupted by an ad, a read-also line, a block of related headlines or a
teaser, and resume; after it come source lines, tags, share rows, comments, pasted
articles (of the same split) and "most read" lists of unrelated headlines, a footer. Lines
are split, merged and cut as an HTML-to-text step does (:mod:`training.noise`), and a page
may stop mid-way, as the excerpts of real pages do.

Every line carries its SPEC.md kind, so the same sentence is ``text`` on its own page and
``related`` on another; body lines of the main article keep their annotations.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .chrome import ChromeLibrary, fill, spread
from .corpus import Article
from .noise import merge_paragraphs, split_paragraph, title_variant, truncate_paragraph
from .page_others import OtherItems
from .page_site import BULLETS, STRAY, Line, PageSite


@dataclass
class PageConfig:
    """How pages vary. Probabilities are per page unless said otherwise."""

    pages_per_article: int = 3
    p_bare_page: float = 0.06  # the article alone, no chrome
    p_consent_top: float = 0.08
    p_nav: float = 0.55  # a menu before the article
    nav_items: tuple[int, int] = (3, 30)
    p_nav_twice: float = 0.25  # the menu printed again (mobile and desktop menus)
    p_ticker: float = 0.08  # a ticker of other headlines before the article
    p_widgets: float = 0.2  # weather, prayer times, prices
    p_teasers_before: float = 0.1  # headlines or teasers of other articles before the main one
    p_breadcrumb: float = 0.3
    p_no_title: float = 0.08
    p_title_repeats: float = 0.4  # the headline is printed two or three times
    p_name_caption: float = 0.2  # a photo caption that is a name from the article (under the headline)
    p_bare_caption: float = 0.15  # «صورة أرشيفية»-like caption or a photo description
    p_credit: float = 0.2
    p_split: float = 0.05  # per body paragraph
    p_merge: float = 0.03  # per pair of body paragraphs
    p_stray: float = 0.06  # per page: a stray punctuation line somewhere in the chrome
    p_inline_read_also: float = 0.15
    p_inline_related_block: float = 0.07
    p_inline_ad: float = 0.18
    p_inline_teaser: float = 0.03
    p_inline_share: float = 0.08
    p_subheadings: float = 0.2  # 1-3 subheadings between body paragraphs
    p_body_caption: float = 0.12  # a photo caption (a name or a description) between body paragraphs
    p_embedded_post: float = 0.04  # an embedded social post (often English) inside the body
    p_body_label: float = 0.06  # an interface label («أبرز الأحداث», «شاهد الفيديو») inside the body
    p_author_box: float = 0.06  # "about the author" after the body
    p_pasted_articles: float = 0.45
    max_pasted_articles: int = 3
    p_pasted_whole: float = 0.5
    p_related_list: float = 0.45
    p_most_read: float = 0.3
    p_footer: float = 0.55
    p_cut_page: float = 0.35  # the stored page stops somewhere after the article starts (mostly inside its body)
    p_placeholder: float = 0.1
    p_glue: float = 0.15  # a marker glued to the headline after it
    p_glued_run: float = 0.12  # per page: a run of 2-8 chrome lines printed as one line (inline elements run together)


class PageAssembler:
    def __init__(self, library: ChromeLibrary, articles: list[Article], config: PageConfig | None = None) -> None:
        self.library = library
        self.articles = articles
        self.config = config or PageConfig()
        self.other = OtherItems(articles, self.config.p_glue, self.config.p_pasted_whole)

    @classmethod
    def from_files(
        cls, chrome_dir: str | Path, articles: list[Article], config: PageConfig | None = None, pool: str = "train"
    ) -> PageAssembler:
        return cls(ChromeLibrary.load(chrome_dir, pool), articles, config)

    # ------------------------------------------------------------------ zones
    def _menu(self, page: PageSite) -> list[Line]:
        rng, cfg = page.rng, self.config
        items = page.library.sample("nav", rng, rng.randint(*cfg.nav_items))
        if rng.random() < 0.25:
            line = Line(spread([fill(i.template, page.values()) for i in items], rng), "ui")
            menu = [line]
        else:
            menu = [x for x in (page.line(i, page.bullet) for i in items) if x]
        if rng.random() < 0.3:
            menu.insert(rng.randint(0, len(menu)), Line(page.outlet, "ui"))
        menu += page.lines("nav_extra", rng.randint(0, 3))
        return menu + (menu if rng.random() < cfg.p_nav_twice else [])

    def _head(self, page: PageSite) -> list[Line]:
        rng, cfg = page.rng, self.config
        lines: list[Line] = []
        if rng.random() < cfg.p_consent_top:
            lines += page.lines("consent", rng.randint(1, 3))
        if rng.random() < 0.25:
            lines.append(Line(page.outlet, "metadata"))
        lines += page.lines("legacy_top", rng.randint(0, 2)) if rng.random() < 0.2 else []
        if rng.random() < cfg.p_nav:
            lines += self._menu(page)
        if rng.random() < cfg.p_widgets:
            lines += page.lines("widget", rng.randint(1, 4))
        if rng.random() < cfg.p_ticker:
            lines += page.one("ticker") + self.other.headlines(page, rng.randint(2, 8), rng.choice(BULLETS))
        if rng.random() < cfg.p_teasers_before:
            lines += self.other.related_block(page, rng.randint(1, 10), p_header=0.4)
        if rng.random() < cfg.p_breadcrumb:
            crumbs = [c.template for c in page.library.sample("nav", rng, rng.randint(1, 3))]
            lines.append(Line(rng.choice([" » ", " > ", " / ", " ‹ ", " - "]).join(["الرئيسية", *crumbs]), "ui"))
        elif rng.random() < 0.3:
            lines += page.one(rng.choice(["nav", "box_label"]))
        if rng.random() < 0.25:
            lines.append(Line(page.date(), "metadata"))
        return lines

    def _title_zone(self, page: PageSite) -> list[Line]:
        rng, cfg, main = page.rng, self.config, page.main
        lines: list[Line] = []
        title = main.title.to_json() if main.title else None

        def title_line() -> Line:
            assert title is not None
            variant = title_variant(title, rng)
            return Line(variant["text"], "title", variant)

        if title and rng.random() >= cfg.p_no_title:
            lines.append(title_line())
        if rng.random() < cfg.p_name_caption:
            lines += page.name_caption() * rng.choice([1, 1, 2])
        elif rng.random() < cfg.p_bare_caption:
            lines += self._bare_caption(page)
        if rng.random() < cfg.p_credit:
            lines += page.one("credit")
        after: list[Line] = []
        for role, p in (
            ("byline", 0.45),
            ("legacy_after_title", 0.2),
            ("counter", 0.25),
            ("share", 0.3),
            ("font", 0.15),
            ("box_label", 0.08),
        ):
            if rng.random() < p:
                after += page.lines(role, 1 if role != "share" else rng.randint(1, 5))
        if rng.random() < 0.7:
            after.insert(rng.randint(0, len(after)), Line(page.date(), "metadata"))
        if rng.random() < 0.2:
            after.append(Line(page.date(), "metadata"))
        if rng.random() < 0.3:
            rng.shuffle(after)
        lines += after
        if title and rng.random() < cfg.p_title_repeats:
            at = rng.randint(0, len(lines))
            lines[at:at] = [title_line() for _ in range(rng.choice([1, 1, 2]))]
        return lines

    def _bare_caption(self, page: PageSite) -> list[Line]:
        """A caption with no actor: «صورة أرشيفية»-like, or a description of the photo."""
        role = "photo_description" if page.library.has("photo_description") and page.rng.random() < 0.5 else "bare_caption"
        return [Line.body(x.text, "caption") for x in page.one(role)]

    def _body(self, page: PageSite) -> list[Line]:
        rng, cfg = page.rng, self.config
        paragraphs = [p.to_json() for p in page.main.body]
        noisy: list[dict] = []
        i = 0
        while i < len(paragraphs):
            p = paragraphs[i]
            if i + 1 < len(paragraphs) and p["kind"] == paragraphs[i + 1]["kind"] == "text" and rng.random() < cfg.p_merge:
                noisy.append(merge_paragraphs(p, paragraphs[i + 1]))
                i += 2
                continue
            noisy.extend(split_paragraph(p, rng) if p["kind"] == "text" and rng.random() < cfg.p_split else [p])
            i += 1
        inserts: dict[int, list[Line]] = {}

        def insert(lines: list[Line]) -> None:
            if len(noisy) > 1 and lines:
                inserts.setdefault(rng.randint(1, len(noisy) - 1), []).extend(lines)

        if rng.random() < cfg.p_inline_read_also:
            marker = page.line(page.library.pick("inline_marker", rng))
            headline = self.other.headlines(page, 1)
            if headline and marker is not None and rng.random() < 0.3:  # the marker on its own line, the headline under it
                insert([Line(marker.text, "related"), Line(headline[0].text, "related")])
            elif headline:
                glued = marker is not None and rng.random() >= 0.15
                text = marker.text + rng.choice(["", " ", " "]) + headline[0].text if glued and marker else headline[0].text
                insert([Line(text, "related")])
        if rng.random() < cfg.p_inline_related_block:
            insert(self.other.related_block(page, rng.randint(1, 5)))
        if rng.random() < cfg.p_inline_ad:
            insert(page.lines("ad", rng.randint(1, 2)))
        if rng.random() < cfg.p_inline_teaser:
            insert(self.other.headlines(page, 1) + [Line(x.text, "related") for x in page.lines("teaser", 1)])
        if rng.random() < cfg.p_inline_share:
            insert(page.lines(rng.choice(["share", "paywall", "box_label"]), 1))
        if rng.random() < cfg.p_subheadings:
            for _ in range(rng.choice([1, 1, 2, 3])):
                insert([Line.body(x.text, "text") for x in page.one("subheading")])
        if rng.random() < cfg.p_body_caption:
            insert((page.name_caption() if rng.random() < 0.5 else []) or self._bare_caption(page))
        if rng.random() < cfg.p_embedded_post:
            post = [Line.body(x.text, "text") for x in page.lines("embedded_post", rng.choice([1, 1, 2]))]
            insert(post + (page.one("embedded_post_handle") if rng.random() < 0.6 else []))
        if rng.random() < cfg.p_body_label:
            insert(page.one("body_label"))
        lines: list[Line] = []
        for n, p in enumerate(noisy):
            lines += inserts.get(n, [])
            lines.append(Line(p["text"], p["kind"], p))
        return lines

    def _after_body(self, page: PageSite) -> list[Line]:
        rng, cfg = page.rng, self.config
        lines: list[Line] = []
        for role, p in (("source", 0.4), ("credit", 0.1), ("legacy_after_body", 0.25)):
            if rng.random() < p:
                lines += page.lines(role, rng.randint(1, 2))
        if rng.random() < 0.4:
            header = page.one("tag_header")
            if rng.random() < 0.5:
                lines += header + [Line(rng.choice(["", "#"]) + t, "tags") for t in page.tags]
            else:
                lines.append(Line(((header[0].text + " ") if header else "") + spread(page.tags, rng), "tags"))
        if rng.random() < 0.45:
            shares = page.lines("share", rng.randint(1, 6))
            lines += [Line(spread([s.text for s in shares], rng), "share")] if shares and rng.random() < 0.2 else shares
        if rng.random() < 0.08:
            lines += page.one("byline") + page.one("bio")
        elif rng.random() < cfg.p_author_box:
            lines += page.one("author_box_header") + page.one("author_box")
        if rng.random() < 0.3:
            lines += page.lines("comments", rng.randint(1, 4))
        if rng.random() < cfg.p_pasted_articles:
            for other in self.other.others(rng, page.main, rng.randint(1, cfg.max_pasted_articles)):
                lines += self.other.pasted_article(page, other)
        if rng.random() < cfg.p_related_list:
            lines += self.other.related_block(page, rng.randint(2, 10))
        if rng.random() < cfg.p_most_read:
            lines += self.other.related_block(page, rng.randint(3, 10))
        if rng.random() < cfg.p_footer:
            links = page.lines("footer", rng.randint(2, 14), page.bullet if rng.random() < 0.3 else "")
            lines += [Line(spread([x.text for x in links], rng), "ui")] if links and rng.random() < 0.2 else links
            lines += page.one("copyright") if rng.random() < 0.6 else []
        if rng.random() < 0.06:
            lines += page.lines("consent", rng.randint(1, 3))
        return lines

    def _sprinkle(self, page: PageSite, lines: list[Line], body_start: int, body_end: int) -> tuple[list[Line], int, int]:
        """Template residue and stray punctuation dropped into the chrome (never inside the body); the body's new bounds."""
        rng, cfg = page.rng, self.config
        for make, p in ((lambda: page.one("placeholder"), cfg.p_placeholder), (lambda: [Line(rng.choice(STRAY), "ui")], cfg.p_stray)):
            if rng.random() < p:
                extra = make()
                where = rng.choice([rng.randint(0, body_start), rng.randint(body_end, len(lines))])
                lines[where:where] = extra
                if where <= body_start:
                    body_start += len(extra)
                    body_end += len(extra)
        return lines, body_start, body_end

    def _glue_run(self, page: PageSite, lines: list[Line], body_start: int, body_end: int) -> tuple[list[Line], int]:
        """A run of chrome lines glued into one, with no space or one between them and sometimes an
        interface label in front («Related», «المزيد»), as an HTML-to-text step prints inline
        elements: related headlines, a tag list, share buttons. Its kind is that of most of its
        characters. Returns the lines and how far the body moved (runs before the body shorten it)."""
        rng = page.rng
        after = rng.random() < 0.7
        lo, hi = (body_end, len(lines)) if after else (0, body_start)
        runs: list[tuple[int, int]] = []
        i = lo
        while i < hi:
            j = i
            while j < hi and lines[j].source is None and lines[j].text:
                j += 1
            if j - i >= 2:
                runs.append((i, j))
            i = j + 1
        if not runs:
            return lines, 0
        start, end = rng.choice(runs)
        length = rng.randint(2, min(8, end - start))
        start = rng.randint(start, end - length)
        run = lines[start : start + length]
        weight: Counter[str] = Counter()
        for line in run:
            weight[line.kind] += len(line.text)
        text = rng.choice(["", "", " "]).join(line.text for line in run)
        if rng.random() < 0.3:
            label = page.one("nav_extra")
            text = (label[0].text if label else "") + text
        glued = Line(text, weight.most_common(1)[0][0])
        return lines[:start] + [glued] + lines[start + length :], (0 if after else length - 1)

    # ------------------------------------------------------------------ pages
    def page(self, main: Article, rng: random.Random, page_id: str) -> dict:
        """One page (a SPEC.md document) showing ``main`` as its article."""
        page = PageSite(self.library, rng, main)
        cfg = self.config
        if rng.random() < cfg.p_bare_page:
            lines = self._title_zone(page)[:1] + self._body(page)
            body_start, body_end = 0, len(lines)
        else:
            head = self._head(page) + self._title_zone(page)
            body = self._body(page)
            lines = head + body + self._after_body(page)
            body_start, body_end = len(head), len(head) + len(body)
            lines, body_start, body_end = self._sprinkle(page, lines, body_start, body_end)
            if rng.random() < cfg.p_glued_run:
                lines, moved = self._glue_run(page, lines, body_start, body_end)
                body_start, body_end = body_start - moved, body_end - moved
        if rng.random() < cfg.p_cut_page and body_end > body_start + 1:
            end = body_end if rng.random() < 0.6 else len(lines)
            lines = lines[: rng.randint(body_start + 1, end)]
            last = lines[-1]
            if last.source is not None and last.kind == "text" and rng.random() < 0.6:
                cut = truncate_paragraph(last.source, rng)
                lines[-1] = Line(cut["text"], cut["kind"], cut)
        paragraphs = [
            dict(line.source) if line.source is not None else {"text": line.text, "kind": line.kind} for line in lines if line.text
        ]
        return {"id": page_id, "source": page.outlet, "article": main.id, "paragraphs": paragraphs}

    def pages(self, seed: int) -> list[dict]:
        """``pages_per_article`` pages for every article, deterministic for ``seed``."""
        rng = random.Random(seed)
        return [self.page(article, rng, f"{article.id}-p{n}") for article in self.articles for n in range(self.config.pages_per_article)]
