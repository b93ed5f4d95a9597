"""The label schema of SPEC.md, defined once for training, evaluation and serving."""

from __future__ import annotations

BODY_KINDS: tuple[str, ...] = ("title", "text", "caption")
BOILERPLATE_KINDS: tuple[str, ...] = ("related", "metadata", "tags", "share", "comments", "ad", "ui")
KINDS: tuple[str, ...] = BODY_KINDS + BOILERPLATE_KINDS
LABELS: tuple[str, ...] = ("body", "boilerplate")

STANCES: tuple[str, ...] = ("neutral", "supportive", "critical", "mixed")
POLARITIES: tuple[str, ...] = ("supportive", "critical")
ENTITY_TYPES: tuple[str, ...] = ("PERS", "ORG", "LOC")
BIO_TAGS: tuple[str, ...] = ("O",) + tuple(f"{p}-{t}" for t in ENTITY_TYPES for p in ("B", "I"))

KIND2ID: dict[str, int] = {k: i for i, k in enumerate(KINDS)}
STANCE2ID: dict[str, int] = {s: i for i, s in enumerate(STANCES)}
BIO2ID: dict[str, int] = {t: i for i, t in enumerate(BIO_TAGS)}

IGNORE_INDEX = -100


def label_of(kind: str) -> str:
    """Map a paragraph kind to its coarse label (``body`` or ``boilerplate``)."""
    if kind in BODY_KINDS:
        return "body"
    if kind in BOILERPLATE_KINDS:
        return "boilerplate"
    raise ValueError(f"unknown paragraph kind {kind!r}; expected one of {', '.join(KINDS)}")


def is_body(kind: str) -> bool:
    return label_of(kind) == "body"


def stance_from_polarities(polarities: set[str]) -> str:
    """The paragraph stance implied by the polarities of its triples."""
    if not polarities:
        return "neutral"
    if len(polarities) > 1:
        return "mixed"
    return next(iter(polarities))
