"""The most likely sequence of paragraph kinds on a page, not only the likeliest kind of each paragraph.

Pages have a layout: a related block runs on for several lines, a share row sits between
metadata and the body, the body rarely switches to one line of chrome and straight back.
The model's kind head sees its neighbours through the document GRU, yet still makes
isolated flips: one paragraph of a pasted article read as text between two related
lines, one menu item read as a caption. This module adds what a linear-chain CRF's
decoding would: kind-to-kind transition log-probabilities counted on the training pages
(add-one smoothed, a start row), and a Viterbi search maximising

    sum_i log p(kind_i | page) + weight * sum_i log T(kind_{i-1} -> kind_i)

``weight`` 0 is the plain argmax. A trained CRF layer would fit the transitions jointly
with the encoder; counted transitions plus one weight need no retraining, so any
checkpoint can use them (``python -m training.kind_transitions``), and the weight was
chosen on the authored dev pages (see :data:`DEFAULT_TRANSITION_WEIGHT`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

# chosen on the authored dev pages (538 pages) with the bf16 default of 08d0867: paragraph macro-F1
# 0.9709 at weight 0, 0.9730 / 0.9740 / 0.9743 / 0.9737 at 0.1 / 0.2 / 0.3 / 0.5, 0.9651 at 1.0
DEFAULT_TRANSITION_WEIGHT = 0.3


def check_transition_weight(weight: float, what: str = "the kind transition weight") -> float:
    """``weight`` as a float, or a ValueError naming ``what`` when it is negative (a weight rewards transitions, never inverts them)."""
    if weight < 0:
        raise ValueError(f"{what} must be 0 or more, not {weight}")
    return float(weight)


def count_transitions(kind_sequences: Iterable[Sequence[str]], kinds: Sequence[str]) -> list[list[float]]:
    """Log transition probabilities, ``len(kinds) + 1`` rows (the last is the page start) by ``len(kinds)``."""
    index = {k: i for i, k in enumerate(kinds)}
    counts = np.ones((len(kinds) + 1, len(kinds)))
    seen = 0
    for sequence in kind_sequences:
        previous = len(kinds)
        for kind in sequence:
            if kind not in index:
                raise ValueError(f"unknown paragraph kind {kind!r}; expected one of {', '.join(kinds)}")
            counts[previous, index[kind]] += 1
            previous = index[kind]
            seen += 1
    if not seen:
        raise ValueError("no paragraphs to count kind transitions on")
    return np.log(counts / counts.sum(axis=1, keepdims=True)).round(5).tolist()


def page_transitions(documents: Iterable[dict], kinds: Sequence[str]) -> list[list[float]]:
    """:func:`count_transitions` over the paragraphs of SPEC.md pages (the training pages, for ``make train``)."""
    return count_transitions(([p["kind"] for p in d["paragraphs"]] for d in documents), kinds)


def best_kind_path(probs: Sequence[Sequence[float]], transitions: Sequence[Sequence[float]] | None, weight: float) -> list[int]:
    """Kind ids of a page's paragraphs: the Viterbi path, or the argmax of each when there are no transitions."""
    scores = np.log(np.clip(np.asarray(probs, dtype=np.float64), 1e-12, 1.0))
    check_transition_weight(weight)
    if scores.size == 0:
        return []
    if transitions is None or weight == 0:
        return scores.argmax(axis=1).tolist()
    log_t = weight * np.asarray(transitions, dtype=np.float64)
    n_kinds = scores.shape[1]
    if log_t.shape != (n_kinds + 1, n_kinds):
        raise ValueError(f"kind transitions of shape {log_t.shape} do not fit {n_kinds} kinds")
    best = scores[0] + log_t[n_kinds]
    back = np.zeros((len(scores), n_kinds), dtype=np.int64)
    for i in range(1, len(scores)):
        candidates = best[:, None] + log_t[:n_kinds]
        back[i] = candidates.argmax(axis=0)
        best = candidates.max(axis=0) + scores[i]
    path = [int(best.argmax())]
    for i in range(len(scores) - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    return path[::-1]


def transitions_valid(transitions: object, n_kinds: int) -> bool:
    """Whether a checkpoint's stored transitions have the shape of its kind set (rows of finite log-probabilities)."""
    if not isinstance(transitions, list) or len(transitions) != n_kinds + 1:
        return False
    return all(isinstance(row, list) and len(row) == n_kinds and all(math.isfinite(v) and v <= 0 for v in row) for row in transitions)
