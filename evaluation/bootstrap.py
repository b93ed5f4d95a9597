"""Bootstrap confidence intervals over documents."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence


def bootstrap_ci(
    gold_docs: Sequence[dict],
    pred_docs: Sequence[Sequence[dict]],
    statistic: Callable[[Sequence[dict], Sequence[Sequence[dict]]], float | None],
    samples: int = 1000,
    seed: int = 13,
    alpha: float = 0.05,
) -> tuple[float, float] | None:
    """Percentile interval of ``statistic`` over documents resampled with replacement."""
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
