"""What a user would otherwise reach for, run on the same gold paragraphs.

* jusText with its Arabic stoplist (its defaults, and the settings trafilatura uses
  for its jusText fallback), and trafilatura itself: both are built for HTML, so
  each page is fed as one HTML document with one ``<p>`` per paragraph;
* a cue-phrase rule baseline: a read-also marker cuts the rest of the page, known
  chrome phrases, date-only lines and short lines are boilerplate;
* actors: longest-match lookup of the registry's names;
* stance: a lexicon of supportive and critical verbs and nouns.

Every peer returns, per document, one dict per paragraph with ``kind`` (and, where
it has them, ``actors``/``stance``), aligned with the input paragraphs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

from models.labels import BODY_KINDS
from models.registry import ActorRegistry, key_of

PeerFn = Callable[[Sequence[str]], list[dict]]

# Markers after which another article is pasted, and chrome phrases by kind. Written for this
# project from how Arabic news sites label their widgets; matched after key_of() folding.
READ_ALSO = ("اقرا ايضا", "اقرا المزيد", "مقالات مشابهه", "مقالات ذات صله", "اخبار ذات صله", "مواضيع ذات صله", "شاهد ايضا", "طالع ايضا", "يهمك ايضا", "related", "read more", "الاكثر قراءه", "المزيد من الاخبار", "قد يعجبك ايضا")
CHROME = {
    "metadata": ("المصدر", "تاريخ النشر", "اخر تحديث", "نشر في", "بقلم", "كتب", "تحرير", "وكالات", "مراسل"),
    "tags": ("كلمات دلاليه", "الوسوم", "الكلمات المفتاحيه", "tags"),
    "share": ("شارك", "مشاركه", "طباعه", "تابعونا", "تابعنا", "اشترك", "حمل تطبيق", "تطبيق", "النشره البريديه", "facebook", "whatsapp", "twitter", "telegram", "نسخ الرابط", "share", "print"),
    "comments": ("تعليق", "التعليقات", "اضف تعليق", "البريد الالكتروني", "comments", "ارسال"),
    "ad": ("اعلان", "advertisement", "محتوي مدعوم", "مساحه اعلانيه", "sponsored"),
    "ui": ("حجم الخط", "استمع", "مده القراءه", "الرئيسيه", "مشاهده", "عدد القراءات", "اضغط هنا", "انقر", "المزيد"),
}
_DATE_RE = re.compile(r"^[\d\s/:\-@.,ـ٠-٩]*(?:gmt|[صم]|am|pm)?[\d\s/:\-@.,٠-٩]*$|\d{4}.*\d{1,2}:\d{2}|^\d{1,2}(?:st|nd|rd|th),", re.IGNORECASE)
_SENTENCE_END_RE = re.compile(r"[.!؟?»\"”]$")

SUPPORTIVE = ("رحب", "ترحب", "يرحب", "اشاد", "تشيد", "يشيد", "ثمن", "تثمن", "يثمن", "ايد", "تؤيد", "يؤيد", "دعم", "تدعم", "يدعم", "شكر", "تشكر", "يشكر", "امتنان", "ممتن", "تقدير", "اتفق", "تعاون", "ترحيب", "اشاده", "تاييد")
CRITICAL = ("ندد", "تندد", "يندد", "ادان", "تدين", "يدين", "ادانه", "استنكر", "تستنكر", "يستنكر", "اتهم", "تتهم", "يتهم", "رفض", "ترفض", "يرفض", "حذر", "تحذر", "يحذر", "هدد", "تهدد", "يهدد", "انتقد", "تنتقد", "ينتقد", "احتجاج", "احتج", "حمل المسؤوليه", "استياء", "اعتداء", "عدوان", "جرائم")


def _words(text: str) -> list[str]:
    return key_of(text).lower().split()


def _starts_with_any(text: str, phrases: Sequence[str]) -> bool:
    key = key_of(text).lower().lstrip("•-»◄|* ")
    return any(key.startswith(p) for p in phrases)


def rule_baseline(paragraphs: Sequence[str]) -> list[dict]:
    """Cue phrases: read-also cuts the rest; chrome phrases; dates; short lines."""
    out: list[dict] = []
    cut = False
    seen_body = False
    for text in paragraphs:
        key = key_of(text).lower()
        words = key.split()
        if seen_body and _starts_with_any(text, READ_ALSO):
            cut = True
        if cut:
            out.append({"kind": "related"})
            continue
        kind = None
        for chrome_kind, phrases in CHROME.items():
            if len(words) <= 8 and any(key.lstrip("•-»◄|* ").startswith(p) or (len(words) <= 3 and p in key) for p in phrases):
                kind = chrome_kind
                break
        if kind is None and _DATE_RE.search(key):
            kind = "metadata" if len(words) <= 10 else None
        if kind is None and len(words) < 6 and not _SENTENCE_END_RE.search(text.strip()):
            kind = "title" if not seen_body and len(words) >= 4 else "ui"
        if kind is None:
            kind = "title" if not seen_body and len(words) <= 25 and not _SENTENCE_END_RE.search(text.strip()) else "text"
            seen_body = seen_body or kind == "text"
        out.append({"kind": kind})
    return out


def _html_page(paragraphs: Sequence[str]) -> str:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f'<html lang="ar" dir="rtl"><head><meta charset="utf-8"><title></title></head><body>\n{body}\n</body></html>'


def _justext(paragraphs: Sequence[str], **settings) -> list[dict]:
    import justext

    stoplist = justext.get_stoplist("Arabic")
    found = justext.justext(_html_page(paragraphs).encode("utf-8"), stoplist, encoding="utf-8", **settings)
    kept = [not p.is_boilerplate for p in found]
    texts = [p.text for p in found]
    out = []
    j = 0
    for text in paragraphs:  # jusText keeps <p> blocks one for one; align by text to be safe
        while j < len(texts) and " ".join(texts[j].split()) != " ".join(html.unescape(html.escape(text)).split()):
            j += 1
        body = kept[j] if j < len(kept) else False
        out.append({"kind": "text" if body else "ui"})
        j = j + 1 if j < len(texts) else j
    return out


def justext_default(paragraphs: Sequence[str]) -> list[dict]:
    return _justext(paragraphs)


def justext_trafilatura_settings(paragraphs: Sequence[str]) -> list[dict]:
    """The settings trafilatura passes to jusText in its fallback (external.py)."""
    return _justext(paragraphs, length_low=50, length_high=200, stopwords_low=0.1, stopwords_high=0.2, max_link_density=0.25, max_heading_distance=150, no_headings=False)


def trafilatura_peer(paragraphs: Sequence[str]) -> list[dict]:
    import trafilatura

    extracted = trafilatura.extract(_html_page(paragraphs), output_format="txt", include_comments=False, include_tables=False, favor_recall=True) or ""
    kept = {" ".join(line.split()) for line in extracted.splitlines() if line.strip()}
    return [{"kind": "text" if " ".join(t.split()) in kept else "ui"} for t in paragraphs]


def dictionary_actors(registry: ActorRegistry) -> PeerFn:
    """Registry longest-match as an actor tagger (type and id from the registry)."""

    def tag(paragraphs: Sequence[str]) -> list[dict]:
        return [
            {"actors": [{"start": m.start, "end": m.end, "type": m.actor.type, "actor": m.actor.id} for m in registry.find(t)]}
            for t in paragraphs
        ]

    return tag


def lexicon_stance(paragraphs: Sequence[str]) -> list[dict]:
    """Supportive/critical cue words anywhere in the paragraph; both → mixed; none → neutral."""
    out = []
    for text in paragraphs:
        words = _words(text)
        joined = " ".join(words)
        supportive = any(w.lstrip("وف").startswith(c) for w in words for c in SUPPORTIVE if " " not in c)
        critical = any(w.lstrip("وف").startswith(c) for w in words for c in CRITICAL if " " not in c) or any(c in joined for c in CRITICAL if " " in c)
        stance = "mixed" if supportive and critical else "supportive" if supportive else "critical" if critical else "neutral"
        out.append({"stance": stance})
    return out


PARAGRAPH_PEERS: dict[str, PeerFn] = {
    "rules (cue phrases)": rule_baseline,
    "jusText (Arabic, default)": justext_default,
    "jusText (trafilatura's settings)": justext_trafilatura_settings,
    "trafilatura (HTML-built)": trafilatura_peer,
}


def is_body_kind(kind: str) -> bool:
    return kind in BODY_KINDS
