"""The vocabulary of site chrome, and how one line of it is drawn and filled.

``data/chrome/*.json`` hold categories of interface lines written for the project
(``{"category": {"kind": "ui", "items": ["line", ["line", "own kind"], ...]}}``):
menus, tickers, share rows, consent banners, bylines, photo credits, template residue,
headlines of other articles… Each category serves a *role* of the page assembler
(:data:`ROLES`); a role draws from all its categories at once. Items carry placeholders
(``{outlet}``, ``{author}``, ``{n}`` a count, ``{m}`` minutes…) that :meth:`ChromeLibrary.fill` completes per page.

Every item belongs to one of two pools by a stable hash of its text: training pages draw
from the ``train`` pool, dev and test pages from the ``heldout`` pool, so that the dev
score measures chrome the model never saw. A category marked ``"pool": "train"`` is for
training pages only: chrome written after the split was fixed goes there, so that the dev
and test pages stay what they were and scores before and after stay comparable. Such an
item may not repeat a held-out item (compared folded, as the cue features read lines),
or the held-out chrome would be seen in training.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from models.cues import folded
from models.labels import KINDS

POOLS = ("train", "heldout", "all")
FIXED_POOLS = ("train",)  # what a category may pin its items to
HELDOUT_SHARE = 0.2

# role → the categories it draws from (a category missing from the files is simply absent)
ROLES: dict[str, tuple[str, ...]] = {
    "nav": ("nav", "legacy_sections"),
    "nav_extra": ("nav_extras", "misc_latin"),
    "box_label": ("box_labels",),
    "ticker": ("ticker",),
    "counter": ("counters",),
    "widget": ("widgets_misc",),
    "font": ("font_listen",),
    "share": ("share",),
    "comments": ("comments",),
    "ad": ("ad",),
    "consent": ("consent",),
    "footer": ("footer", "legacy_footer"),
    "paywall": ("paywall",),
    "placeholder": ("placeholders",),
    "related_header": ("related_headers", "legacy_related_headers"),
    "inline_marker": ("inline_markers", "legacy_read_also"),
    "outlet": ("outlet_names", "outlet_names_legacy"),
    "copyright": ("copyright",),
    "author": ("author_names",),
    "byline": ("bylines", "legacy_bylines"),
    "bio": ("author_bios",),
    "source": ("source_lines",),
    "dateline": ("datelines",),
    "credit": ("photo_credits",),
    "bare_caption": ("bare_captions",),
    "tag_header": ("tag_headers",),
    "headline": ("most_read_headlines",),
    "teaser": ("teasers",),
    # lines inside or right after the article body (body_parts.json)
    "subheading": ("subheadings",),
    "photo_description": ("photo_descriptions",),
    "embedded_post": ("embedded_posts",),
    "embedded_post_handle": ("embedded_post_handles",),
    "author_box_header": ("author_box_headers",),
    "author_box": ("author_boxes",),
    "body_label": ("section_labels_in_body",),
    "city": ("cities",),
    "legacy_top": ("legacy_top",),
    "legacy_after_title": ("legacy_after_title",),
    "legacy_after_body": ("legacy_after_body",),
}
_PLACEHOLDER_RE = re.compile(r"\{(\w+)\}")
_AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


class ChromeError(ValueError):
    """A chrome file is malformed; the message names the file and category."""


@dataclass(frozen=True)
class Item:
    template: str
    kind: str
    pool: str | None = None  # pinned by its category ("train"), else drawn by pool_of


def pool_of(text: str) -> str:
    """``heldout`` for a stable fifth of all items, ``train`` for the rest."""
    bucket = int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "heldout" if bucket < HELDOUT_SHARE else "train"


def item_pool(item: Item) -> str:
    return item.pool or pool_of(item.template)


def read_categories(path: Path) -> dict[str, list[Item]]:
    """The categories of one chrome file, every item with its kind checked."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ChromeError(f"{path}:{err.lineno}: invalid JSON: {err.msg}") from err
    if not isinstance(data, dict):
        raise ChromeError(f"{path}: expected an object of categories")
    out: dict[str, list[Item]] = {}
    for name, category in data.items():
        if not isinstance(category, dict) or category.get("kind") not in KINDS or not isinstance(category.get("items"), list):
            raise ChromeError(f"{path}: category {name!r} needs a 'kind' among {KINDS} and a list of 'items'")
        pinned = category.get("pool")
        if pinned is not None and pinned not in FIXED_POOLS:
            raise ChromeError(f"{path}: category {name!r}: 'pool' may only be one of {FIXED_POOLS}, not {pinned!r}")
        items = []
        for j, raw in enumerate(category["items"]):
            text, kind = (
                (raw, category["kind"])
                if isinstance(raw, str)
                else (raw[0], raw[1])
                if isinstance(raw, list) and len(raw) == 2
                else (None, None)
            )
            if not isinstance(text, str) or kind not in KINDS:
                raise ChromeError(f"{path}: {name}.items[{j}]: expected a line or [line, kind], got {raw!r}")
            text = " ".join(text.split())
            if text:
                items.append(Item(text, kind, pinned))
        out[name] = items
    return out


@dataclass
class ChromeLibrary:
    """Chrome items by role, for one pool (``train``, ``heldout``, or ``all`` of them)."""

    roles: dict[str, list[Item]] = field(default_factory=dict)

    @classmethod
    def from_categories(cls, categories: dict[str, list[Item]], pool: str) -> ChromeLibrary:
        if pool not in POOLS:
            raise ValueError(f"pool must be one of {POOLS}, not {pool!r}")
        _refuse_heldout_repeats(categories)
        roles: dict[str, list[Item]] = {}
        for role, names in ROLES.items():
            items = [item for name in names for item in categories.get(name, [])]
            chosen = [item for item in items if pool in ("all", item_pool(item))]
            shared = [item for item in items if not item.pool]
            if chosen or shared:
                roles[role] = chosen or shared  # a tiny category keeps its unpinned items in both pools
        return cls(roles)

    @classmethod
    def load(cls, chrome_dir: str | Path, pool: str = "train") -> ChromeLibrary:
        categories: dict[str, list[Item]] = {}
        paths = sorted(Path(chrome_dir).glob("*.json"))
        if not paths:
            raise ChromeError(f"no chrome files (*.json) in {chrome_dir}")
        for path in paths:
            for name, items in read_categories(path).items():
                categories.setdefault(name, []).extend(items)
        return cls.from_categories(categories, pool)

    def has(self, role: str) -> bool:
        return bool(self.roles.get(role))

    def pick(self, role: str, rng: random.Random) -> Item | None:
        items = self.roles.get(role)
        return rng.choice(items) if items else None

    def sample(self, role: str, rng: random.Random, k: int) -> list[Item]:
        items = self.roles.get(role) or []
        return rng.sample(items, min(k, len(items)))

    def value(self, role: str, rng: random.Random, default: str) -> str:
        item = self.pick(role, rng)
        return item.template if item else default

    def sizes(self) -> dict[str, int]:
        return {role: len(items) for role, items in sorted(self.roles.items())}


def _refuse_heldout_repeats(categories: dict[str, list[Item]]) -> None:
    """Train-only items that repeat a held-out item (folded) would show held-out chrome to training."""
    heldout = {folded(item.template) for items in categories.values() for item in items if item_pool(item) == "heldout"}
    repeats = sorted({item.template for items in categories.values() for item in items if item.pool and folded(item.template) in heldout})
    if repeats:
        shown = ", ".join(repr(t) for t in repeats[:10]) + (f" and {len(repeats) - 10} more" if len(repeats) > 10 else "")
        raise ChromeError(f"{len(repeats)} train-only chrome item(s) repeat held-out items: {shown}")


def fill(template: str, values: dict[str, str], arabic_digits: bool = False) -> str:
    """A template with its placeholders filled (unknown ones are left as residue, as real sites do)."""
    text = _PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group()), template)
    if arabic_digits:
        text = text.translate(_AR_DIGITS)
    return " ".join(text.split())


# ---------------------------------------------------------------------- dates
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
_MONTHS_MAGHREB = ["جانفي", "فيفري", "مارس", "أفريل", "ماي", "جوان", "جويلية", "أوت", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"]
_MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
_HIJRI = [
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
_WEEKDAYS_LATIN = [
    ("Monday", "Lundi", "Pazartesi"),
    ("Tuesday", "Mardi", "Salı"),
    ("Wednesday", "Mercredi", "Çarşamba"),
    ("Thursday", "Jeudi", "Perşembe"),
    ("Friday", "Vendredi", "Cuma"),
    ("Saturday", "Samedi", "Cumartesi"),
    ("Sunday", "Dimanche", "Pazar"),
]
DATE_PREFIXES = (
    "",
    "",
    "",
    "نشر في: ",
    "نُشر بتاريخ ",
    "آخر تحديث: ",
    "تاريخ النشر: ",
    "تحديث: ",
    "Published ",
    "Updated: ",
    "التوقيت ",
    "- ",
    "📅 ",
)


def _date_parts(rng: random.Random, when: datetime) -> dict:
    hour12 = when.hour % 12 or 12
    am_pm = rng.choice(["ص", "م", "صباحاً", "مساءً"]) if rng.random() < 0.3 else ("ص" if when.hour < 12 else "م")
    day = when.day
    return {
        "w": when,
        "rng": rng,
        "day": day,
        "year": when.year,
        "hm": f"{when.hour:02d}:{when.minute:02d}",
        "h12": f"{hour12}:{when.minute:02d}",
        "am_pm": am_pm,
        "weekday": _WEEKDAYS[when.weekday()],
        "eg": _MONTHS_EG[when.month - 1],
        "lev": _MONTHS_LEV[when.month - 1],
        "mag": _MONTHS_MAGHREB[when.month - 1],
        "en": _MONTHS_EN[when.month - 1],
        "ordinal": "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th"),
        "hijri": f"{rng.randint(1, 29)} {rng.choice(_HIJRI)} {rng.randint(1444, 1447)}",
    }


_DATE_FORMATS: dict[str, Callable[[dict], str]] = {
    "iso_at": lambda c: c["w"].strftime("%Y-%m-%d@%H:%M:%S GMT"),
    "iso_t": lambda c: c["w"].strftime("%Y-%m-%dT%H:%M:%S+03:00"),
    "en_ordinal": lambda c: f"{c['day']}{c['ordinal']}, {c['en']} {c['year']} GMT",
    "en_short": lambda c: f"{c['en'][:3]} {c['day']}, {c['year']} {c['hm']}",
    "ar_long": lambda c: f"{c['weekday']} {c['day']} {c['eg']} {c['year']} - {c['h12']} {c['am_pm']}",
    "ar_comma": lambda c: f"{c['day']} {c['eg']} {c['year']}, {c['h12']}:{c['w'].second:02d} {c['am_pm']}",
    "ar_date": lambda c: f"{c['weekday']}، {c['day']:02d} {c['eg']} {c['year']}",
    "ar_levant": lambda c: f"{c['weekday']} {c['day']} {c['lev']} {c['year']} {c['hm']} توقيت بيروت",
    "maghreb": lambda c: f"{c['weekday']} {c['day']} {c['mag']} {c['year']}",
    "dmy_slash": lambda c: c["w"].strftime("%d/%m/%Y %H:%M"),
    "dmy_weekday_latin": lambda c: f"{c['w'].strftime('%d/%m/%Y')}, {c['rng'].choice(_WEEKDAYS_LATIN[c['w'].weekday()])}",
    "ymd_pipe": lambda c: f"{c['w'].strftime('%Y-%m-%d')} | {c['hm']}",
    "ymd_dash": lambda c: c["w"].strftime("%Y-%m-%d %H:%M"),
    "relative": lambda c: c["rng"].choice(
        [
            f"منذ {c['rng'].randint(2, 59)} دقيقة",
            f"منذ {c['rng'].randint(2, 23)} ساعات",
            "منذ ساعة",
            f"منذ {c['rng'].randint(2, 12)} أيام",
            "منذ يومين",
        ]
    ),
    "hijri_mixed": lambda c: f"{c['weekday']} {c['hijri']} هـ - {c['day']} {c['eg']} {c['year']} م",
    "gregorian_hijri": lambda c: f"{c['day']} {c['eg']} {c['year']}مـ – {c['hijri']}هـ",
    "time_city": lambda c: f"توقيت {c['rng'].choice(['مصر', 'القاهرة', 'مكة المكرمة', 'بيروت', 'الرياض'])} {c['h12']} {c['am_pm']}",
    "time_only": lambda c: c["hm"],
}
DATE_STYLES: tuple[str, ...] = tuple(_DATE_FORMATS)


def date_text(rng: random.Random, when: datetime, style: str | None = None) -> str:
    """A date or timestamp line as one of many real layouts writes it (a random style if none is given)."""
    chosen = style if style in _DATE_FORMATS else rng.choice(DATE_STYLES)
    return _DATE_FORMATS[chosen](_date_parts(rng, when))


def spread(items: Iterable[str], rng: random.Random) -> str:
    """Items joined as one line, with one of the separators menus and tag lists use."""
    return rng.choice([" | ", " - ", "، ", " ", "  ", " • ", " / ", ", ", " · "]).join(items)
