"""Constrained BIO decoding: the best tag sequence a word sequence can have.

The tagger scores every word independently; taking each word's argmax leaves
sequences no annotation has («O I-ORG I-ORG» for «وكالة الطاقة الذرية», the name's
first word lost because O beat B-ORG by a little). Viterbi decoding over the word
log-probabilities, with the transitions BIO forbids removed (an ``I-X`` only after
``B-X`` or ``I-X``), returns the most probable *valid* sequence instead, so a name
is kept whole when its words together say so. There are no learned transition
scores (no CRF layer): the constraint alone is the change, and it costs nothing in
training. A few lines of numpy over at most a chunk's words; no library we use has it
outside a CRF layer.

A second constraint is Arabic's: some words cannot end a name. A name particle («عبد»,
«أبو», «بن», «آل») always has its complement after it, and an indefinite head noun in
the construct state («وزارة», «مجلس», «هيئة», «وكالة») always has its genitive: «وزارة
الخارجية», never «وزارة» alone. A span that takes such a word must go on to the next
one (``open_words``), so a name the tagger began well is not cut after its first word
(«عبد» for «عبد الرحيم …», «مجلس» for «مجلس الوزراء»); the word lists are
:data:`NAME_PARTICLES` and :data:`CONSTRUCT_HEADS`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .labels import BIO_TAGS
from .registry import key_of

# Words no name ends with (compared folded by models.registry.key_of, after one leading و or ف).
NAME_PARTICLES: frozenset[str] = frozenset(key_of(w) for w in ("عبد", "أبو", "أبي", "أبا", "ابن", "بن", "بنت", "آل", "أم", "ذو", "ذي"))
CONSTRUCT_HEADS: frozenset[str] = frozenset(
    key_of(w)
    for w in (
        "وزارة",
        "مجلس",
        "هيئة",
        "وكالة",
        "حركة",
        "حزب",
        "جبهة",
        "منظمة",
        "مركز",
        "جامعة",
        "لجنة",
        "شركة",
        "قوات",
        "جيش",
        "اتحاد",
        "رابطة",
        "نقابة",
        "جمعية",
        "مؤسسة",
        "محكمة",
        "مكتب",
        "بعثة",
        "مديرية",
        "سلطة",
        "قيادة",
        "كتائب",
        "سرايا",
        "ألوية",
        "لواء",
        "فيلق",
        "تحالف",
        "ائتلاف",
        "تيار",
        "صندوق",
        "بنك",
        "مصرف",
        "محافظة",
        "ولاية",
        "إقليم",
        "مدينة",
        "مخيم",
        "بلدة",
        "قرية",
        "جزيرة",
        "مطار",
        "ميناء",
        "مستشفى",
        "مجمع",
        "دائرة",
        "رئاسة",
        "أمانة",
        "إدارة",
        "غرفة",
        "نادي",
        "منتدى",
        "معهد",
        "مرصد",
    )
)
_OPEN_WORDS = NAME_PARTICLES | CONSTRUCT_HEADS


def is_open_word(word: str) -> bool:
    """Whether a name cannot end with ``word`` (see the module docstring): a name particle or a construct head."""
    key = key_of(word.strip('«»"“”()[]،,.:؛'))
    return key in _OPEN_WORDS or (len(key) > 2 and key[0] in "وف" and key[1:] in _OPEN_WORDS)


def _allowed() -> np.ndarray:
    """``allowed[i, j]``: tag ``j`` may follow tag ``i``."""
    n = len(BIO_TAGS)
    allowed = np.ones((n, n), dtype=bool)
    for j, tag in enumerate(BIO_TAGS):
        if tag.startswith("I-"):
            allowed[:, j] = False
            allowed[BIO_TAGS.index("B-" + tag[2:]), j] = True
            allowed[j, j] = True
    return allowed


ALLOWED = _allowed()
START_ALLOWED = np.array([not tag.startswith("I-") for tag in BIO_TAGS])


def _continuing() -> np.ndarray:
    """``continuing[i, j]``: tag ``j`` may follow tag ``i`` on an open word (after B-X or I-X only I-X; after O anything)."""
    return np.array([[tag == "O" or after == "I-" + tag[2:] for after in BIO_TAGS] for tag in BIO_TAGS])


CONTINUE = _continuing()
IN_SPAN = np.array([tag != "O" for tag in BIO_TAGS])
FORBIDDEN = np.where(ALLOWED, 0.0, -np.inf)  # added to a transition's score: 0 or -inf
FORBIDDEN_AFTER_OPEN = np.where(ALLOWED & CONTINUE, 0.0, -np.inf)


def viterbi(probabilities: Sequence[Sequence[float]], open_words: Sequence[bool] | None = None) -> tuple[list[int], list[float]]:
    """Tag ids and their probabilities for words whose tag probabilities are given, one row a word.

    ``open_words[i]``: word ``i`` cannot end a name, so a span that takes it takes word ``i + 1`` too
    (an open last word ends no span: it is left out); None: no such words.
    """
    if len(probabilities) == 0:
        return [], []
    probs = np.asarray(probabilities, dtype=np.float64)
    logp = np.log(np.clip(probs, 1e-12, None))
    opens = list(open_words) if open_words is not None else [False] * len(probs)
    if len(opens) != len(probs):
        raise ValueError(f"open_words has {len(opens)} entries for {len(probs)} words")
    score = np.where(START_ALLOWED, logp[0], -np.inf)
    back = np.zeros(probs.shape, dtype=np.int64)
    for i in range(1, len(probs)):
        total = score[:, None] + (FORBIDDEN_AFTER_OPEN if opens[i - 1] else FORBIDDEN)  # [previous, next]
        back[i] = total.argmax(0)
        score = total.max(0) + logp[i]
    if opens[-1]:
        score = np.where(IN_SPAN, -np.inf, score)
    ids = [int(score.argmax())]
    for i in range(len(probs) - 1, 0, -1):
        ids.append(int(back[i, ids[-1]]))
    ids.reverse()
    return ids, [float(probs[i, t]) for i, t in enumerate(ids)]
