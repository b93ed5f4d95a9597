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
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .labels import BIO_TAGS


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


def viterbi(probabilities: Sequence[Sequence[float]]) -> tuple[list[int], list[float]]:
    """Tag ids and their probabilities for words whose tag probabilities are given, one row a word."""
    if len(probabilities) == 0:
        return [], []
    probs = np.asarray(probabilities, dtype=np.float64)
    logp = np.log(np.clip(probs, 1e-12, None))
    forbidden = np.where(ALLOWED, 0.0, -np.inf)
    score = np.where(START_ALLOWED, logp[0], -np.inf)
    back = np.zeros(probs.shape, dtype=np.int64)
    for i in range(1, len(probs)):
        total = score[:, None] + forbidden  # [previous, next]
        back[i] = total.argmax(0)
        score = total.max(0) + logp[i]
    ids = [int(score.argmax())]
    for i in range(len(probs) - 1, 0, -1):
        ids.append(int(back[i, ids[-1]]))
    ids.reverse()
    return ids, [float(probs[i, t]) for i, t in enumerate(ids)]
