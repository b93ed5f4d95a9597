"""Paragraph splitting with offsets, and CAMeLBERT-style text normalisation.

Every function here keeps a way back to the original text: paragraphs carry
their (start, end) character offsets, and normalised strings carry a map from
each normalised character to the original character it came from.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from itertools import compress

# Arabic diacritics (harakat, tanween, shadda, sukun, superscript alef, Quranic marks), as camel_tools' dediac_ar.
_DIACRITICS_RE = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u08d3-\u08ff]")
_TATWEEL = "\u0640"
_INVISIBLE_RE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad]")
_LINE_RE = re.compile(r"[^\r\n]+")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def lone_surrogate(text: str) -> int | None:
    """The offset of the first lone UTF-16 surrogate in ``text`` (JSON can carry one, Unicode text cannot), or None."""
    found = _SURROGATE_RE.search(text)
    return found.start() if found else None


@dataclass(frozen=True)
class Paragraph:
    """One non-empty line of a document, with its offsets in the original text."""

    index: int
    start: int
    end: int
    text: str


def split_paragraphs(text: str) -> list[Paragraph]:
    """Split ``text`` into paragraphs: non-empty lines, stripped, with original offsets.

    Lines are separated by ``\\n``, ``\\r\\n`` or ``\\r``; blank lines are dropped; the
    returned ``text`` always equals ``text[start:end]``.
    """
    paragraphs: list[Paragraph] = []
    for match in _LINE_RE.finditer(text):
        line = match.group()
        stripped = line.strip()
        if not stripped:
            continue
        start = match.start() + (len(line) - len(line.lstrip()))
        end = start + len(stripped)
        paragraphs.append(Paragraph(len(paragraphs), start, end, stripped))
    return paragraphs


@functools.lru_cache(maxsize=65536)
def _normalize_char(char: str) -> str:
    """What one character becomes (memoised: pages reuse a small alphabet)."""
    if char == _TATWEEL or _DIACRITICS_RE.match(char) or _INVISIBLE_RE.match(char):
        return ""
    if unicodedata.category(char) == "Zs" or char == "\t":
        return " "
    return unicodedata.normalize("NFKC", char)


_NEEDS_WORK_RE = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u08d3-\u08ff\u0640"
    "\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]"
)


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """Normalise as CAMeLBERT was pre-trained (unicode-normalised, dediacritised, no tatweel).

    Returns the normalised string and, for every character of it, the index of the
    original character it came from, so that offsets can be mapped back. Text that
    needs no change (most paragraphs) takes a fast path with the same result.
    """
    if not _NEEDS_WORK_RE.search(text) and unicodedata.is_normalized("NFKC", text):
        return text, list(range(len(text)))
    return _normalize_slow(text)


def _normalize_slow(text: str) -> tuple[str, list[int]]:
    out = list(map(_normalize_char, text))
    if max(map(len, out), default=0) <= 1:  # characters kept or dropped, none expanded: C-level bookkeeping
        return "".join(out), list(compress(range(len(out)), out))
    origin = [i for i, normalized in enumerate(out) for _ in normalized]
    return "".join(out), origin


def normalize_ar(text: str) -> str:
    """Normalised text only (see :func:`normalize_with_offsets`)."""
    return normalize_with_offsets(text)[0]


def map_span(origin: list[int], start: int, end: int, original: str) -> tuple[int, int]:
    """Map a half-open span of the normalised text back to the original text.

    Diacritics and tatweel that follow the span's last letter in the original
    belong to that letter and are included.
    """
    if start >= end:
        raise ValueError("empty span")
    orig_start = origin[start]
    orig_end = origin[end - 1] + 1
    while orig_end < len(original) and (original[orig_end] == _TATWEEL or _DIACRITICS_RE.match(original[orig_end])):
        orig_end += 1
    return orig_start, orig_end
