"""The contract and the network: labels, text splitting, registry, model, predictor."""

__version__ = "0.1.0"

from .labels import BODY_KINDS, BOILERPLATE_KINDS, KINDS, LABELS, STANCES, label_of  # noqa: E402
from .text import Paragraph, normalize_ar, split_paragraphs  # noqa: E402

__all__ = [
    "BODY_KINDS",
    "BOILERPLATE_KINDS",
    "KINDS",
    "LABELS",
    "STANCES",
    "Paragraph",
    "__version__",
    "label_of",
    "normalize_ar",
    "split_paragraphs",
]
