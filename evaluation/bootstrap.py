"""Bootstrap confidence intervals over documents."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TypeVar

G = TypeVar("G")
P = TypeVar("P")


def bootstrap_ci(
    gold_docs: Sequence[G],
    pred_docs: Sequence[P],
    statistic: Callable[[Sequence[G], Sequence[P]], float | None],
    samples: int = 1000,
    seed: int = 13,
    alpha: float = 0.05,
) -> tuple[float, float] | None:
    """Percentile interval of ``statistic`` over documents (or any units: articles) resampled with replacement."""
    if len(gold_docs) < 2:
        return None
    rng = random.Random(seed)
    values: list[float] = []
    n = len(gold_docs)
    for _ in range(samples):
        picks = [rng.randrange(n) for _ in range(n)]
        value = statistic([gold_docs[i] for i in picks], [pred_docs[i] for i in picks])
        if value is not None:
            values.append(value)
    if not values:
        return None
    values.sort()
    low = values[int(alpha / 2 * (len(values) - 1))]
    high = values[int((1 - alpha / 2) * (len(values) - 1))]
    return low, high
