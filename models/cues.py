"""Surface cues of Arabic news pages, written for this project, used as model features.

Read-also markers, chrome phrases by kind, date-like lines, and supportive/critical
cue words. The model receives them as paragraph features and learns how much to
trust them; the cue-phrase and lexicon baselines of the evaluation use the same lists.
All matching is on :func:`models.registry.key_of` folded text (no hamza/ta marbuta
distinctions, no diacritics), lower-cased for Latin chrome.
"""

from __future__ import annotations

import hashlib
import json
import re

from .registry import key_of

_READ_ALSO_PHRASES: tuple[str, ...] = (
    # "read also" and its siblings: what real sites put over a link, a teaser or a pasted item
    "اقرأ أيضا",
    "اقرأ أيضاً",
    "اقرأأيضا",
    "اقرأ كذلك",
    "اقرأ المزيد",
    "اقرأ التفاصيل",
    "اقرأ الخبر كاملا",
    "للمزيد اقرأ",
    "طالع أيضا",
    "طالع كذلك",
    "شاهد أيضا",
    "يهمك أيضا",
    "قد يهمك",
    "لا يفوتك",
    "لا تفوتك",
    "لاتفوتك",
    "ننصحك بقراءة",
    "ننصحكم بقراءة",
    "اخترنا لك",
    "قد يعجبك أيضا",
    # headers of related and most-read lists
    "مقالات مشابهة",
    "مقالات ذات صلة",
    "أخبار ذات صلة",
    "مواضيع ذات صلة",
    "موضوعات ذات صلة",
    "تقارير ذات صلة",
    "قصص ذات صلة",
    "ذات صلة",
    "مقال ذو صلة",
    "خبر ذو صلة",
    "موضوع ذو صلة",
    "محتوى ذو صلة",
    "أخبار متعلقة",
    "مقالات متعلقة",
    "مواضيع متعلقة",
    "موضوعات متعلقة",
    "أخبار مرتبطة",
    "مقالات مرتبطة",
    "أخبار مقترحة",
    "مقالات مقترحة",
    "مواضيع مقترحة",
    "أخبار قد تهمك",
    "مواضيع قد تهمك",
    "موضوعات قد تهمك",
    "أخبار تهمك",
    "الأكثر قراءة",
    "الأكثر مشاهدة",
    "الأكثر تداولا",
    "المزيد من الأخبار",
    "related",
    "read more",
    "read also",
    "see also",
    "you may also like",
    "most read",
)
READ_ALSO: tuple[str, ...] = tuple(dict.fromkeys(key_of(p).lower() for p in _READ_ALSO_PHRASES))
CHROME: dict[str, tuple[str, ...]] = {
    "metadata": (
        "المصدر",
        "تاريخ النشر",
        "اخر تحديث",
        "نشر في",
        "نشر بتاريخ",
        "بقلم",
        "كتب",
        "كتبت",
        "تحرير",
        "وكالات",
        "مراسل",
        "محرر",
        "by ",
    ),
    "tags": ("كلمات دلاليه", "الوسوم", "الكلمات المفتاحيه", "وسوم", "tags", "#"),
    "share": (
        "شارك",
        "مشاركه",
        "طباعه",
        "تابعونا",
        "تابعنا",
        "تابع",
        "اشترك",
        "حمل تطبيق",
        "تطبيق",
        "النشره",
        "facebook",
        "whatsapp",
        "twitter",
        "telegram",
        "نسخ الرابط",
        "share",
        "print",
        "واتساب",
        "فيسبوك",
    ),
    "comments": ("تعليق", "التعليقات", "اضف تعليق", "اترك تعليق", "البريد الالكتروني", "comments", "ارسال", "الاسم"),
    "ad": ("اعلان", "advertisement", "محتوي مدعوم", "مساحه اعلانيه", "sponsored", "اعلانات"),
    "ui": (
        "حجم الخط",
        "استمع",
        "مده القراءه",
        "الرئيسيه",
        "مشاهده",
        "عدد القراءات",
        "اضغط هنا",
        "انقر",
        "المزيد",
        "تخطي",
        "القائمه",
        "بحث",
    ),
}
# Stance cue words, matched as word starts (after leading و/ف) on folded text, so each stem must
# not begin common words of other meanings. Checked against the authored training text: «ثمن»
# (price), «هنا» (here, هناك), «اثني» (twelve, اثنين), «ايد» (hands, deposit), «تقدير»
# (estimates), «حمل» (campaign, carry), «طالب» (student, Talabani) matched more unrelated words
# than stance words and are left out or narrowed to unambiguous forms; «عدوان», «جرائم» and
# «انتهاك» are mostly the outlet's own vocabulary, which SPEC.md says is no stance. Written in
# ordinary spelling and folded like the text (a hamza on ؤ or ئ would otherwise never match).
_SUPPORTIVE_WORDS: tuple[str, ...] = (
    "رحب",
    "ترحب",
    "يرحب",
    "ترحيب",
    "أشاد",
    "تشيد",
    "يشيد",
    "إشادة",
    "ثمنت",
    "تثمن",
    "يثمن",
    "أيدت",
    "تؤيد",
    "يؤيد",
    "تأييد",
    "دعم",
    "تدعم",
    "يدعم",
    "شكر",
    "تشكر",
    "يشكر",
    "امتنان",
    "ممتن",
    "اتفق",
    "تعاون",
    "يثني",
    "تثني",
    "هنأت",
    "يهنئ",
    "تهنئ",
    "بارك",
)
_CRITICAL_WORDS: tuple[str, ...] = (
    "ندد",
    "تندد",
    "يندد",
    "أدان",
    "تدين",
    "يدين",
    "إدانة",
    "شجب",
    "تشجب",
    "يشجب",
    "استنكر",
    "تستنكر",
    "يستنكر",
    "اتهم",
    "تتهم",
    "يتهم",
    "رفض",
    "ترفض",
    "يرفض",
    "حذر",
    "تحذر",
    "يحذر",
    "هدد",
    "تهدد",
    "يهدد",
    "انتقد",
    "تنتقد",
    "ينتقد",
    "احتجاج",
    "احتج",
    "استياء",
)
SUPPORTIVE: tuple[str, ...] = tuple(dict.fromkeys(key_of(w) for w in _SUPPORTIVE_WORDS))
CRITICAL: tuple[str, ...] = tuple(dict.fromkeys(key_of(w) for w in _CRITICAL_WORDS))
_DATE_RE = re.compile(
    r"^[\d\s/:\-@.,٠-٩]*(?:gmt)?[\d\s/:\-@.,٠-٩]*$|\d{4}.{0,20}\d{1,2}:\d{2}|\d{1,2}(?:st|nd|rd|th),|منذ \d+|\d{1,2}:\d{2}\s*[صم]?$",
    re.IGNORECASE,
)
SENTENCE_END_RE = re.compile(r"[.!؟?»\"”'’)]$")
_BULLET_RE = re.compile(r"^\s*[•\-»◄|*·▪●]")
_LEADING_SYMBOLS_RE = re.compile(r"^[^\w#]+")  # bullets, arrows, emoji, brackets (not the # of a tag): «📌 اقرأ أيضاً», «<< اقرأ أيضا»


def folded(text: str) -> str:
    return key_of(text).lower()


def starts_with_any(key: str, phrases: tuple[str, ...]) -> bool:
    """Whether ``key`` (folded) starts with one of ``phrases`` once its leading symbols are dropped."""
    key = _LEADING_SYMBOLS_RE.sub("", key)
    return any(key.startswith(p) for p in phrases)


def chrome_kind(key: str) -> str | None:
    """The chrome kind whose phrase a short line starts with (or is), if any."""
    words = key.split()
    if len(words) > 10:
        return None
    for kind, phrases in CHROME.items():
        if starts_with_any(key, phrases) or (len(words) <= 3 and any(p in key for p in phrases)):
            return kind
    return None


def is_date_like(key: str) -> bool:
    return len(key.split()) <= 12 and bool(_DATE_RE.search(key))


def _cue_word_re(cues: tuple[str, ...]) -> re.Pattern[str]:
    """Words that, without their leading و/ف letters, start with one of ``cues``.

    The possessive ``[وف]*+`` strips every leading و/ف as ``str.lstrip`` would (no
    backtracking into a cue that itself starts with one), and ``(?<!\\S)`` anchors at a
    word start, so ``findall`` counts each matching word once.
    """
    alternatives = "|".join(re.escape(c) for c in sorted(cues, key=len, reverse=True))
    return re.compile(rf"(?<!\S)[وف]*+(?:{alternatives})")


_SUPPORTIVE_RE = _cue_word_re(SUPPORTIVE)
_CRITICAL_RE = _cue_word_re(CRITICAL)


def stance_cues(key: str) -> tuple[int, int]:
    """Counts of words starting with a supportive or critical cue (leading و/ف conjunctions ignored)."""
    return len(_SUPPORTIVE_RE.findall(key)), len(_CRITICAL_RE.findall(key))


_WORD_RE = re.compile(r"\S+")


def stance_cue_spans(text: str) -> list[tuple[int, int]]:
    """Character spans, in ``text`` itself, of the words :func:`stance_cues` counts (either polarity).

    Each whitespace-separated word is folded on its own, so the spans are offsets of the
    original text whatever the folding removes; training hides these words (``--stance_cue_mask``).
    """
    spans = []
    for word in _WORD_RE.finditer(text):
        key = folded(word.group())
        if _SUPPORTIVE_RE.match(key) or _CRITICAL_RE.match(key):
            spans.append(word.span())
    return spans


CHROME_KINDS: tuple[str, ...] = tuple(CHROME)


def cue_features(text: str) -> list[float]:
    """Read-also, chrome kind (one-hot), date, bullet, sentence end, stance cue counts."""
    key = folded(text)
    kind = chrome_kind(key)
    supportive, critical = stance_cues(key)
    return [
        float(starts_with_any(key, READ_ALSO)),
        *(float(kind == k) for k in CHROME_KINDS),
        float(is_date_like(key)),
        float(bool(_BULLET_RE.match(text))),
        float(bool(SENTENCE_END_RE.search(text.strip()))),
        min(supportive, 3) / 3,
        min(critical, 3) / 3,
    ]


NUM_CUE_FEATURES = 1 + len(CHROME_KINDS) + 5
LINE_CUES = slice(0, 1 + len(CHROME_KINDS))  # where cue_features puts the read-also flag and the chrome kind one-hot
STANCE_CUES = slice(NUM_CUE_FEATURES - 2, NUM_CUE_FEATURES)  # where cue_features puts the supportive and critical cue counts


def cues_fingerprint() -> str:
    """A short hash of every cue list and pattern the features read: a checkpoint records it, and loading
    one under edited cues is refused (its paragraph features would silently mean something else)."""
    content = {
        "read_also": READ_ALSO,
        "chrome": CHROME,
        "supportive": SUPPORTIVE,
        "critical": CRITICAL,
        "patterns": [_DATE_RE.pattern, SENTENCE_END_RE.pattern, _BULLET_RE.pattern, _LEADING_SYMBOLS_RE.pattern],
    }
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()[:16]
