"""A page document as the raw text a scraper delivers: its lines with varied separators.

The load test and the tests feed the service this text; splitting it with
:func:`models.text.split_paragraphs` gives back the document's paragraphs.
"""

from __future__ import annotations

import random


def render_text(document: dict, seed: int = 0) -> str:
    """The raw text of a page as a scraper would deliver it: lines with varied separators.

    Splitting the result with :func:`models.text.split_paragraphs` gives back the
    document's paragraphs in order.
    """
    rng = random.Random(seed)
    newline = "\r\n" if rng.random() < 0.1 else "\n"
    parts = []
    for paragraph in document["paragraphs"]:
        parts.append(rng.choice(["", "", " ", "  ", "\t"]) + paragraph["text"] + rng.choice(["", "", " "]))
        parts.append(newline * rng.choice([1, 2, 2, 3]) + (rng.choice(["", " \u00a0", " "]) + newline if rng.random() < 0.05 else ""))
    return "".join(parts)
